"""Amap navigation links (GCJ-02) and the plan link of the QR code.

The GCJ-02 conversion is checked against published reference points, written here as
numbers: the test vectors of the eviltransform project (googollee/eviltransform,
``go/transform_test.go``: Shanghai, Shenzhen, Beijing, WGS-84 → GCJ-02) and the gcoord
project's GCJ-02 → WGS-84 vector (hujiulong/gcoord, ``test/unit/crs/GCJ02.spec.js``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from common.geo import gcj02_to_wgs84, haversine_km, wgs84_to_gcj02
from kg.catalog import load_catalog
from planner.export import collect
from planner.export.amap import day_links, marker_url, navigation_url
from planner.export.facts import Place
from planner.export.planlink import plan_query, plan_url
from planner.model import itinerary_from_dict

FIX = Path(__file__).parent / "fixtures" / "export"

# (WGS-84 lat, lon) → (GCJ-02 lat, lon), eviltransform's published vectors.
EVILTRANSFORM = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM)
def test_gcj02_matches_published_vectors(wgs, gcj) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    assert gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-7)


def test_gcj02_inverse_matches_gcoord() -> None:
    # gcoord: GCJ02.to.WGS84([123, 45]) ≈ [122.99395597, 44.99804071] (5 decimals checked).
    lat, lon = gcj02_to_wgs84(45.0, 123.0)
    assert (lon, lat) == pytest.approx((122.99395597, 44.99804071), abs=5e-6)


def test_no_shift_outside_china() -> None:
    assert wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)


@pytest.fixture(scope="module")
def data():
    plan = itinerary_from_dict(json.loads((FIX / "sample_itinerary.json").read_text("utf-8")))
    return collect(plan, catalog=load_catalog(), with_facts=False)


def _points(url: str) -> dict[str, tuple[float, float, str]]:
    q = parse_qs(urlsplit(url).query)
    out = {}
    for key in ("from", "via", "to"):
        if key in q:
            lon, lat, name = q[key][0].split(",", 2)
            out[key] = (float(lat), float(lon), unquote(name))
    return out


def test_day_links_cover_each_day_in_gcj02(data) -> None:
    links = day_links(data, src="test-src")
    assert len(links) == len(data.itinerary.days)
    for d, day_links_ in enumerate(links):
        chain = data.day_chain(d)
        covered = []
        for k, link in enumerate(day_links_):
            parts = urlsplit(link.url)
            assert (parts.scheme, parts.netloc, parts.path) == (
                "https",
                "uri.amap.com",
                "/navigation",
            )
            q = parse_qs(parts.query)
            assert q["mode"] == ["car"] and q["src"] == ["test-src"]
            assert q["coordinate"] == ["gaode"]
            pts = _points(link.url)
            assert len(pts) == len(link.points) <= 3  # Amap takes one via point at most
            for got, place in zip(pts.values(), link.points, strict=True):
                glat, glon = wgs84_to_gcj02(place.lat, place.lon)
                assert got[:2] == pytest.approx((glat, glon), abs=2e-6)
                assert got[2] == place.name_zh
                # the datum shift in Sichuan/Chongqing is a few hundred metres
                assert 0.2 < haversine_km(place.lat, place.lon, got[0], got[1]) < 0.8
            if k:
                assert link.points[0] == day_links_[k - 1].points[-1]  # links chain up
            covered += [p.id for p in link.points][1 if k else 0 :]
        assert covered == [p.id for p in chain]


def test_bus_links_have_no_via(data) -> None:
    import dataclasses

    bus = dataclasses.replace(data, itinerary=dataclasses.replace(data.itinerary, mode="bus"))
    for links in day_links(bus):
        for link in links:
            assert len(link.points) == 2
            q = parse_qs(urlsplit(link.url).query)
            assert "via" not in q and q["mode"] == ["bus"]


def test_navigation_url_rejects_what_amap_cannot_open() -> None:
    a = Place("a", "甲", lat=29.7, lon=105.7)
    b = Place("b", "乙", lat=29.8, lon=105.8)
    c = Place("c", "丙", lat=29.9, lon=105.9)
    with pytest.raises(ValueError, match="at most one via"):
        navigation_url([a, b, c, a])
    with pytest.raises(ValueError, match="only in car mode"):
        navigation_url([a, b, c], mode="bus")
    with pytest.raises(ValueError, match="no coordinates"):
        navigation_url([a, Place("x", "无坐标")])
    with pytest.raises(ValueError, match="unknown Amap mode"):
        navigation_url([a, b], mode="plane")
    odd = Place("o", "名,称&x", lat=29.7, lon=105.7)
    url = navigation_url([odd, b])
    assert _points(url)["from"][2] == "名，称＆x"  # separators in names cannot break the URI


def test_marker_url_is_gcj02() -> None:
    p = Place("beishan", "北山摩崖造像", lat=29.70111, lon=105.705)
    q = parse_qs(urlsplit(marker_url(p)).query)
    lon, lat = map(float, q["position"][0].split(","))
    assert (lat, lon) == pytest.approx(wgs84_to_gcj02(29.70111, 105.705), abs=2e-6)
    assert q["name"] == ["北山摩崖造像"]


def test_plan_link_round_trip(data) -> None:
    url = plan_url(data.itinerary, "https://app.example.org/plan?lang=zh")
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("app.example.org", "/plan")
    assert parse_qs(parts.query)["lang"] == ["zh"]  # the base URL's own parameters survive
    q = plan_query(url)
    p = data.itinerary.params
    assert q == {
        "theme": p["theme"],
        "days": p["days"],
        "start": p["start"],
        "date": dt.date.fromisoformat(p["date"]),
        "mode": p["mode"],
        "pace": p["pace"],
    }
    import dataclasses

    it = dataclasses.replace(
        data.itinerary, params={**p, "must": ["baodingshan", "beishan"], "avoid": ["nanshan"]}
    )
    q = plan_query(plan_url(it))
    assert q["must"] == ("baodingshan", "beishan") and q["avoid"] == ("nanshan",)
    with pytest.raises(ValueError, match="days"):
        plan_query("http://x/?days=zero")
    with pytest.raises(ValueError, match="date"):
        plan_query("http://x/?date=2025-13-01")
