"""Moved to :mod:`common.geo`; this alias stays only until ``kg/build.py`` imports it there.

``kg/build.py`` is being split into modules by another change, which switches its import to
``common.geo``; remove this file then (tests/test_architecture.py lists it as temporary).
"""

from common.geo import EARTH_RADIUS_KM, haversine_km

__all__ = ["EARTH_RADIUS_KM", "haversine_km"]
