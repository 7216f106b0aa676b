"""Datum conversions and great-circle distance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.geo import (
    bd09_to_gcj02,
    destination_point,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_km,
    in_china,
    wgs84_to_gcj02,
)


def test_haversine_known_distance() -> None:
    # One degree of latitude is ~111.2 km on the mean sphere.
    assert haversine_km(30.0, 105.0, 31.0, 105.0) == pytest.approx(111.19, abs=0.01)
    assert haversine_km(30.0, 105.0, 30.0, 105.0) == 0


def test_destination_point_round_trip() -> None:
    lat, lon = destination_point(29.7, 105.7, 45.0, 15.0)
    assert haversine_km(29.7, 105.7, lat, lon) == pytest.approx(15.0, rel=1e-6)
    assert lat > 29.7 and lon > 105.7


def test_gcj02_shift_in_the_project_area() -> None:
    # Published conversion of the 圆觉洞 AMap point (facts notes §2): GCJ → WGS moves the
    # point ~440 m north-west.
    lat, lon = gcj02_to_wgs84(30.087028, 105.346751)
    assert lat == pytest.approx(30.089576, abs=2e-6)
    assert lon == pytest.approx(105.343211, abs=2e-6)
    assert 400 < haversine_km(lat, lon, 30.087028, 105.346751) * 1000 < 500


@given(st.floats(20, 45), st.floats(80, 130))
def test_gcj02_inverse_is_exact(lat: float, lon: float) -> None:
    glat, glon = wgs84_to_gcj02(lat, lon)
    wlat, wlon = gcj02_to_wgs84(glat, glon)
    assert wlat == pytest.approx(lat, abs=1e-7) and wlon == pytest.approx(lon, abs=1e-7)


def test_no_shift_outside_china() -> None:
    assert not in_china(48.85, 2.35)
    assert wgs84_to_gcj02(48.85, 2.35) == (48.85, 2.35)


def test_bd09_round_trip() -> None:
    lat, lon = gcj02_to_bd09(29.748912, 105.789124)
    back = bd09_to_gcj02(lat, lon)
    assert back[0] == pytest.approx(29.748912, abs=1e-5)
    assert back[1] == pytest.approx(105.789124, abs=1e-5)
