"""Tests for kg.coords: derivation of approximate coordinates and the catalog's coordinates."""

from __future__ import annotations

import csv
import math
import re
import statistics
from pathlib import Path

import pytest

from common.geo import destination_point, haversine_km
from kg.catalog import Catalog, CatalogError, load_catalog
from kg.coords import (
    CIRCUITY,
    CONSTRAINTS_FILE,
    Constraint,
    Point,
    calibrate_circuity,
    constraint_residual_km,
    derive_points,
    load_constraints,
    located_points,
    regenerate_sites_csv,
    seed_constraints,
)


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360) % 360


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def constraints(cat: Catalog) -> list[Constraint]:
    assert cat.data_dir is not None
    path = cat.data_dir / CONSTRAINTS_FILE
    return load_constraints(path, cat.sites) + seed_constraints(cat.seed_edges)


@pytest.fixture(scope="module")
def derivation(cat: Catalog, constraints: list[Constraint]):
    return derive_points(constraints, located_points(cat.sites.values()))


# --------------------------------------------------------------------------- the catalog


def test_every_line_site_has_coordinates(cat: Catalog) -> None:
    for lid in ("stone-carving", "stone-carving-report", "sichuan-opera"):
        missing = [s.id for s in cat.line_sites(lid) if not s.has_coords]
        assert not missing, (lid, missing)


def test_town_anchors_have_coordinates(cat: Catalog) -> None:
    for sid in ("dazu_town", "anyue_town", "lezhi_town", "ziyang_town"):
        assert cat.sites[sid].has_coords
        assert cat.sites[sid].coord_source


def test_sourced_points_are_the_published_ones(cat: Catalog) -> None:
    conf = {s.id: s.coord_confidence for s in cat.sites.values() if s.has_coords}
    assert conf["wofoyuan"] == conf["xuanmiao_guan"] == conf["shimenshan"] == "high"
    assert conf["baodingshan"] == conf["yuanjuedong"] == conf["kongque_dong"] == "medium"
    # moved in 2026-12 to independent points (../shared/data/coordinates_sourced.csv)
    assert conf["beishan"] == conf["pilu_dong"] == "medium"
    non_approx = {k for k, v in conf.items() if v != "approx"}
    towns = {"dazu_town", "anyue_town", "lezhi_town", "ziyang_town", "tongliang_town"}
    expected = {"baodingshan", "beishan", "yuanjuedong", "wofoyuan", "xuanmiao_guan"}
    expected |= {"kongque_dong", "shimenshan", "pilu_dong"} | towns
    # national units with a verified point of the cave-temple dataset (AMap POI → WGS-84)
    caves = {s.id for s in cat.sites.values() if "china-cave-temples-map" in s.coord_source}
    assert {cat.sites[i].name_zh for i in caves} >= {"乐山大佛", "皇泽寺摩崖造像", "南龛摩崖造像"}
    # the lodging towns of towns.csv carry their own source, checked point by point in
    # test_lodging_towns_are_the_published_seats
    lodging = _lodging_towns(cat)
    # every other sourced point belongs to a national unit with a published coordinate
    unit_sites = {u.site_id for u in cat.units}
    assert non_approx - expected - set(lodging) <= unit_sites
    assert cat.sites["zhanghuanhouci"].coord_confidence == "high"  # zh.wikipedia infobox
    assert all(cat.sites[i].precision == "site" for i in non_approx)


def _lodging_towns(cat: Catalog) -> dict[str, str]:
    """Towns whose point is a county or prefecture seat of county_centres.csv (towns.csv):
    site id → the adcode named in its source."""
    out = {}
    for s in cat.sites.values():
        m = re.fullmatch(r"county_centres\.csv adcode (\d{6}) \(.*\)", s.source)
        if s.kind == "town" and m is not None:
            out[s.id] = m.group(1)
    return out


def test_lodging_towns_are_the_published_seats(cat: Catalog) -> None:
    """Every lodging town of towns.csv sits exactly on the centre county_centres.csv gives
    for the adcode its source names, with that file named as the point's source."""
    assert cat.data_dir is not None
    towns_csv = cat.data_dir / "towns.csv"
    with towns_csv.open(encoding="utf-8", newline="") as fh:
        rows = {r["id"] for r in csv.DictReader(fh)}
    lodging = _lodging_towns(cat)
    assert set(lodging) == rows  # every row of towns.csv, and only those, names its seat
    assert len(rows) >= 150  # the county seats of Sichuan and Chongqing (merged within 8 km)
    with (cat.data_dir / "county_centres.csv").open(encoding="utf-8", newline="") as fh:
        centres = {r["adcode"]: r for r in csv.DictReader(fh)}
    for sid, adcode in lodging.items():
        s, c = cat.sites[sid], centres[adcode]
        assert sid == f"town_{adcode}"
        assert (s.lat, s.lon) == (float(c["lat"]), float(c["lon"])), sid
        assert s.coord_source == f"county_centres.csv: {c['source']}", sid
        assert s.precision == "site" and s.coord_confidence == "low", sid
        assert s.coord_uncertainty_km is not None and s.coord_uncertainty_km > 0, sid
        assert c["province"] in ("四川省", "重庆市") and s.province == c["province"], sid


def test_every_approx_point_has_method_source_and_uncertainty(cat: Catalog) -> None:
    approx = [s for s in cat.sites.values() if s.coord_confidence == "approx"]
    assert len([s for s in approx if s.precision == "derived"]) >= 20
    for s in approx:
        assert s.has_coords
        if s.precision == "derived":
            assert s.coord_method.startswith("approx"), s.id
        else:  # a division centre, never presented as the site itself
            assert s.precision in ("county", "city", "township"), s.id
            assert s.coord_method.startswith("centre of") and "not a site" in s.coord_method
        assert s.coord_source, s.id
        assert s.coord_uncertainty_km is not None and s.coord_uncertainty_km > 0, s.id
    for s in cat.sites.values():
        if s.has_coords:
            assert s.coord_uncertainty_km is not None, s.id
        else:
            assert s.coord_confidence == "" and s.coord_method.startswith("no coordinate"), s.id


def test_sites_csv_is_up_to_date(cat: Catalog, derivation) -> None:
    """The stored approx points are exactly what the derivation produces (reproducible)."""
    derived = derivation.points
    stored = {s.id for s in cat.sites.values() if s.precision == "derived" and s.has_coords}
    assert stored == set(derived)
    for sid, p in derived.items():
        s = cat.sites[sid]
        assert s.lat == pytest.approx(p.lat, abs=2e-5), sid
        assert s.lon == pytest.approx(p.lon, abs=2e-5), sid
        assert s.coord_method == p.method, sid


def test_regenerate_dry_run_matches() -> None:
    res = regenerate_sites_csv(write=False)
    assert "shixia_si" in res.points
    assert "baosen_ningmeng" not in res.points


def test_anyue_town_is_about_1km_nw_of_yuanjuedong(cat: Catalog, constraints) -> None:
    yj = cat.sites["yuanjuedong"]
    # from the published relation alone ("圆觉洞 1 km SE of 安岳县城")
    rel = [c for c in constraints if {c.site, c.anchor} == {"yuanjuedong", "anyue_town"}]
    assert rel and rel[0].kind == "bearing"
    pts = {"yuanjuedong": Point(yj.lat, yj.lon, 1.0, "medium")}
    res = derive_points(rel, pts)
    town = res.points["anyue_town"]
    assert haversine_km(yj.lat, yj.lon, town.lat, town.lon) == pytest.approx(1.0, abs=0.05)
    assert bearing_deg(yj.lat, yj.lon, town.lat, town.lon) == pytest.approx(315, abs=2)
    assert town.uncertainty_km < 2
    # the catalog's sourced county-seat point agrees with it
    at = cat.sites["anyue_town"]
    assert haversine_km(yj.lat, yj.lon, at.lat, at.lon) < 2.0
    assert 270 <= bearing_deg(yj.lat, yj.lon, at.lat, at.lon) <= 360


def test_derived_points_respect_their_constraints(derivation) -> None:
    """Every fact used fits within 3 combined sigmas (point + fact + anchor)."""
    assert derivation.points
    for sid, p in derivation.points.items():
        for c, r in zip(p.constraints, p.residuals_km, strict=True):
            anchor = derivation.located.get(c.other(sid)) or derivation.points[c.other(sid)]
            anchor_unc = anchor.uncertainty_km
            along, _ = c.sigmas()
            tol = 3 * math.sqrt(p.uncertainty_km**2 + along**2 + anchor_unc**2)
            assert abs(r) <= tol, (sid, c.describe(sid), r, tol)


def test_sourced_points_never_move(cat: Catalog, derivation) -> None:
    for sid, p in derivation.located.items():
        assert sid not in derivation.points
        assert (p.lat, p.lon) == (cat.sites[sid].lat, cat.sites[sid].lon)


def test_consistency_checks_are_reported(derivation) -> None:
    checks = {(c.site, c.anchor, c.km): r for c, r in derivation.checks}
    assert abs(checks[("yuanjuedong", "anyue_town", 1.0)]) < 1.0
    assert abs(checks[("wofoyuan", "anyue_town", 40.0)]) < 10.0


def test_mingshan_si_is_next_to_kongque_dong(cat: Catalog) -> None:
    ms, kq = cat.sites["mingshan_si"], cat.sites["kongque_dong"]
    assert haversine_km(ms.lat, ms.lon, kq.lat, kq.lon) < 5  # report: 3.9 km by road


def test_circuity_calibration(cat: Catalog) -> None:
    rows = calibrate_circuity(cat)
    assert len(rows) >= 6
    ratios = [r[4] for r in rows]
    assert min(ratios) <= CIRCUITY <= max(ratios)
    assert 1.2 <= statistics.median(ratios) <= 1.9


# --------------------------------------------------------------------------- the solver


def _synthetic(lat: float, lon: float, anchors: dict[str, tuple[float, float]]):
    pts = {k: Point(a, b, 0.05, "high") for k, (a, b) in anchors.items()}
    cons = [
        Constraint("x", k, "straight_km", km=haversine_km(lat, lon, a, b), sigma_km=0.1)
        for k, (a, b) in anchors.items()
    ]
    return pts, cons


def test_trilateration_recovers_a_known_point() -> None:
    truth = (30.0, 105.5)
    pts, cons = _synthetic(*truth, {"a": (30.2, 105.3), "b": (29.85, 105.45), "c": (30.05, 105.8)})
    res = derive_points(cons, pts)
    p = res.points["x"]
    assert haversine_km(p.lat, p.lon, *truth) < 0.05
    assert p.ambiguous_km is None
    assert all(abs(r) < 0.05 for r in p.residuals_km)


def test_two_circles_give_a_flagged_mirror_midpoint() -> None:
    truth = (30.0, 105.6)  # mirror image across the a–b meridian: (30.0, 105.4)
    pts, cons = _synthetic(*truth, {"a": (30.2, 105.5), "b": (29.8, 105.5)})
    p = derive_points(cons, pts).points["x"]
    assert p.ambiguous_km is not None and p.ambiguous_km > 1
    assert p.uncertainty_km >= p.ambiguous_km / 2
    assert haversine_km(p.lat, p.lon, *truth) <= p.uncertainty_km
    assert p.lon == pytest.approx(105.5, abs=0.01)  # the midpoint of the two solutions
    assert "mirror-image" in p.method
    assert "trilateration" in p.method


def test_single_circle_is_unresolved() -> None:
    pts, cons = _synthetic(30.0, 105.5, {"a": (30.2, 105.5)})
    res = derive_points(cons, pts)
    assert "x" not in res.points
    assert "under-determined" in res.unresolved["x"]


def test_bearing_is_used_in_both_directions() -> None:
    a = (29.7, 105.7)
    b_lat, b_lon = destination_point(*a, 45.0, 10.0)
    c = Constraint("b", "a", "bearing", km=10.0, bearing_deg=45.0, circuity=1.0)
    fwd = derive_points([c], {"a": Point(*a, 0.1, "high")}).points["b"]
    assert haversine_km(fwd.lat, fwd.lon, b_lat, b_lon) < 0.01
    back = derive_points([c], {"b": Point(b_lat, b_lon, 0.1, "high")}).points["a"]
    assert haversine_km(back.lat, back.lon, *a) < 0.01
    assert constraint_residual_km(c, "b", (b_lat, b_lon), Point(*a, 0.1)) < 0.01


def test_rounds_chain_and_road_km_uses_circuity() -> None:
    pts = {"a": Point(30.0, 105.0, 0.1, "high"), "b": Point(30.0, 105.3, 0.1, "high")}
    cons = [
        Constraint("c", "a", "colocated", sigma_km=0.5),
        Constraint("d", "c", "road_km", km=15.0, circuity=1.5),
        Constraint("d", "b", "road_km", km=15.0, circuity=1.5),
        Constraint("d", "a", "colocated", sigma_km=50.0),
    ]
    res = derive_points(cons, pts)
    assert res.points["c"].round == 1
    d = res.points["d"]
    assert d.round == 2
    assert d.anchors["c"] == "approx"
    # the 10 km circles around a and b (29 km apart) do not meet: d lies between them
    dist_a = haversine_km(d.lat, d.lon, 30.0, 105.0)
    dist_b = haversine_km(d.lat, d.lon, 30.0, 105.3)
    assert dist_a == pytest.approx(dist_b, abs=1.0)
    assert dist_a + dist_b == pytest.approx(haversine_km(30.0, 105.0, 30.0, 105.3), abs=0.5)


def test_load_constraints_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / CONSTRAINTS_FILE
    path.write_text(
        "site,anchor,kind,bearing_deg,km,circuity,sigma_km,source,note\n"
        "a,b,bearing,,5,,,src,\n"
        "a,zz,colocated,,,,,src,\n"
        "a,b,teleport,,5,,,src,\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as ei:
        load_constraints(path, {"a", "b"})
    text = str(ei.value)
    assert f"{CONSTRAINTS_FILE}:2:" in text and "bearing_deg" in text
    assert f"{CONSTRAINTS_FILE}:3:" in text and "'zz'" in text and "sigma_km" in text
    assert f"{CONSTRAINTS_FILE}:4:" in text and "'teleport'" in text


def test_placement_uses_printed_km_routing_uses_the_closure(cat: Catalog) -> None:
    """11 of the 42 printed table-6 figures are replaced by shorter chains in routing; the
    derivation keeps the printed figure for every one of them."""
    from kg.coords import closure_replacements, seed_constraints
    from routing.distances import seed_graph, seed_matrix

    replaced = closure_replacements(cat.seed_edges)
    assert len(cat.seed_edges) == 42
    assert len(replaced) == 11
    by_line = {(c.site, c.anchor, c.lineno): c.km for c in seed_constraints(cat.seed_edges)}
    g = seed_graph((e.a, e.b, e.km) for e in cat.seed_edges)
    for edge, chain in replaced:
        assert by_line[(edge.a, edge.b, edge.lineno)] == edge.km > chain
        dm = seed_matrix(g, [edge.a, edge.b])
        assert dm.km[0, 1] == pytest.approx(chain)


def test_circuity_documented_as_used() -> None:
    import kg.coords

    assert kg.coords.CIRCUITY == 1.5
    assert "default :data:`CIRCUITY` = 1.5" in (kg.coords.__doc__ or "")
