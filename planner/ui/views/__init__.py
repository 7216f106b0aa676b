"""The app's views, one module each, every one a ``render()`` that :mod:`planner.ui.page`
registers as an ``st.Page``: ``plan`` (the trip), ``compare``, ``sites`` (site cards),
``insights`` and ``graph``."""
