"""Service layer: themes, plans, exports and the ``heritage`` command line."""
