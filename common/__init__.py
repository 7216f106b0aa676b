"""The foundation every package builds on: settings, errors, artifacts and geodesy.

``common`` imports nothing from the project. ``routing``, ``nlp`` and ``kg`` import it;
``planner`` imports those; the app and the CLI import ``planner``.

- :mod:`common.settings`  the project root, data and artifact folders, every ``HERITAGE_*``
  environment variable with its default;
- :mod:`common.errors`    :class:`~common.errors.HeritageError` (root of every project error)
  and :class:`~common.errors.UserError` (a problem the user can fix);
- :mod:`common.artifacts` hashing, atomic files and folders, manifests, ``latest_artifact``;
- :mod:`common.geo`       great-circle distances and the GCJ-02 / BD-09 datum shifts.
"""
