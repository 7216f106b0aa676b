"""Road distances from OSRM over a synthetic OpenStreetMap network around the catalog's sites.

The network (written with pyosmium) is a grid of primary roads covering every catalog point
except 巴岳山 and 铜梁城区, which lie outside it; each other point has a short spur ending ~10 m
from it, and no point lies near a grid line, so no point sits on a tie between two roads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from common.geo import haversine_km
from planner import providers
from planner.cli import app
from planner.itinerary import TripRequest, plan_itinerary
from planner.roads import catalog_points, load_matrix, road_matrix
from planner.service import load_context
from planner.traveltimes import load_travel_times
from routing.roads.matrix import SNAP_LIMIT_KM, RoadMatrix
from routing.roads.synthetic import write_grid_network

FAR = ("bayueshan", "tongliang_town")
PRIMARY_KMH = 65.0  # car.lua's speed for highway=primary
FOOT_KMH = 5.0  # foot.lua's walking speed
DAY0 = dt.date(2026, 12, 7)  # a Monday
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def report_sites(tmp_path_factory: pytest.TempPathFactory):
    """Run on the report's 38 sites: the synthetic grid network cannot cover the region.

    Since the catalog holds every national unit of Sichuan and Chongqing (~320 more points
    over ~12° × 7°), no 0.02° grid over their bounding box stays clear of every point (and it
    would be far too large for a test). The rows the import added carry only the compiled
    national-unit list as their source; they are dropped here, with the region tables and
    the region's lodging towns (towns.csv: 203 county seats over the same box).
    """
    from kg.catalog.subset import copy_report_area_catalog

    data = tmp_path_factory.mktemp("run") / "data"
    cat = copy_report_area_catalog(data)
    # The planner's themes come from the graph: build one from this catalog too, so that a
    # graph another test built from the full catalog (artifacts/kg) is never mixed in.
    from kg.build import run_build
    from kg.store import open_graph

    graph_dir = tmp_path_factory.mktemp("kg")
    run_build(data_dir=cat, out_dir=graph_dir)
    kgraph = open_graph(graph_dir / "graph.ttl", store="memory", build_if_missing=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HERITAGE_DATA_DIR", str(data))
        mp.setattr("planner.themes._graph", lambda: kgraph)
        load_context.cache_clear()
        yield
    load_context.cache_clear()


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cat = load_context().catalog
    ids, pts = catalog_points(cat)
    folder = tmp_path_factory.mktemp("osm")
    net = write_grid_network(folder / "sites.osm.pbf", pts, far=[ids.index(s) for s in FAR])
    return net.path


@pytest.fixture(scope="module")
def built(network: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("roads")
    first = runner.invoke(app, ["roads", "build", "--osm", str(network), "--out", str(root)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["roads", "build", "--osm", str(network), "--out", str(root)])
    assert second.exit_code == 0, second.output
    rm = load_matrix(root=root)
    assert rm is not None
    return {"root": root, "first": first.output, "second": second.output, "matrix": rm}


def _usable_pairs(rm: RoadMatrix):
    ok = [k for k, d in enumerate(rm.snap_km) if d <= SNAP_LIMIT_KM]
    return [(i, j) for i in ok for j in ok if i != j]


def test_every_road_km_is_at_least_the_great_circle_km(built: dict) -> None:
    rm: RoadMatrix = built["matrix"]
    n = len(rm.ids)
    assert n == len(catalog_points(load_context().catalog)[0])
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            gc = haversine_km(*rm.points[i], *rm.points[j])
            assert math.isfinite(rm.km[i, j])
            assert rm.km[i, j] >= gc - 1e-6, (rm.ids[i], rm.ids[j], rm.km[i, j], gc)


def test_minutes_follow_the_car_profile(built: dict) -> None:
    rm: RoadMatrix = built["matrix"]
    checked = 0
    for i, j in _usable_pairs(rm):
        network_km = rm.km[i, j] - rm.snap_km[i] - rm.snap_km[j]
        if network_km < 1.0:
            continue  # co-located points: a few metres of road
        pure = network_km / PRIMARY_KMH * 60.0
        # never faster than the fastest road; at most a few turn penalties (7.5 s each) slower
        assert pure - 0.05 <= rm.minutes[i, j] <= pure + 1.5, (rm.ids[i], rm.ids[j])
        checked += 1
    assert checked > 500


def test_foot_profile_walks_at_five_kmh(network: Path, tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["roads", "build", "--osm", str(network), "--profile", "foot", "--out", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    rm = load_matrix(profile="foot", root=tmp_path)
    assert rm is not None and rm.provenance["profile"] == "foot"
    for i, j in _usable_pairs(rm)[:200]:
        network_km = rm.km[i, j] - rm.snap_km[i] - rm.snap_km[j]
        if network_km > 1.0:
            assert rm.minutes[i, j] == pytest.approx(network_km / FOOT_KMH * 60.0, rel=0.02)


def test_the_matrix_is_reused_on_a_second_run(built: dict) -> None:
    assert "road data built" in built["first"] and "matrix computed" in built["first"]
    assert "road data reused" in built["second"] and "matrix reused" in built["second"]
    assert len(list((built["root"] / "matrix").iterdir())) == 1


def test_provenance_is_recorded(built: dict, network: Path) -> None:
    rm: RoadMatrix = built["matrix"]
    prov = rm.provenance
    assert prov["engine"] == "osrm" and prov["algorithm"] == "MLD" and prov["profile"] == "car"
    assert prov["engine_version"]
    assert prov["extract"]["name"] == network.name and len(prov["extract"]["sha256"]) == 64
    assert prov["extract"]["date"]
    assert all(math.isfinite(d) for d in rm.snap_km)  # a snapping distance for every point


def test_a_site_far_from_any_road_is_flagged(built: dict) -> None:
    rm: RoadMatrix = built["matrix"]
    assert sorted(rm.flagged) == sorted(FAR)
    assert "巴岳山 (bayueshan)" in built["first"]
    ctx = load_context()
    assert not rm.usable("bayueshan", ctx.coords["bayueshan"])
    assert rm.usable("baodingshan", ctx.coords["baodingshan"])


def test_a_moved_point_does_not_use_the_old_figures(built: dict) -> None:
    rm: RoadMatrix = built["matrix"]
    lat, lon = load_context().coords["baodingshan"]  # type: ignore[misc]
    assert not rm.usable("baodingshan", (lat + 0.01, lon))


def test_legs_are_marked_road_osrm_and_the_itinerary_uses_road_minutes(
    built: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERITAGE_ROADS_DIR", str(built["root"]))
    rm = road_matrix()
    assert rm is not None and rm.source == "road:osrm"
    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    legs = [leg for d in it.days for leg in d.legs]
    road_legs = [leg for leg in legs if leg.source == "road:osrm"]
    assert road_legs and len(road_legs) == len(legs)  # no flagged point on this trip
    for leg in road_legs:
        km, minutes = rm.pair(leg.from_id, leg.to_id)  # type: ignore[misc]
        assert leg.km == pytest.approx(km)
        assert leg.minutes == pytest.approx(minutes + it.params["overhead_min"])
    assert it.params["roads"]["source"] == "road:osrm"
    assert it.params["roads"]["extract_sha256"] == rm.provenance["extract"]["sha256"]
    assert not [w for w in it.warnings if w.code == "warn.no_roads"]


def test_a_flagged_point_keeps_the_estimate(built: dict) -> None:
    ctx = load_context()
    rm: RoadMatrix = built["matrix"]
    transport = {"speed_kmh": 45, "overhead_min": 5}
    table = providers.leg_table(
        ctx, ["dazu_town", "bayueshan", "baodingshan"], transport=transport, roads=rm
    )
    assert table.sources[0][2] == "road:osrm"
    assert table.sources[0][1] in {"seed", "estimate"}
    assert table.sources[1][0] in {"seed", "estimate"}


def test_users_times_beat_the_road_matrix(built: dict, tmp_path: Path) -> None:
    ctx = load_context()
    path = tmp_path / "times.csv"
    path.write_text("from,to,minutes,source\n大足城区,宝顶山,99,our stopwatch\n", encoding="utf-8")
    tt = load_travel_times(path, ctx.catalog)
    transport = {"speed_kmh": 45, "overhead_min": 5}
    table = providers.leg_table(
        ctx,
        ["dazu_town", "baodingshan", "beishan"],
        transport=transport,
        travel_times=tt,
        roads=built["matrix"],
    )
    assert table.sources[0][1] == table.sources[1][0] == "user"
    assert table.minutes[0, 1] == 99
    assert table.sources[1][2] == "road:osrm"


def test_without_road_data_plans_use_estimates_and_say_so_once() -> None:
    assert road_matrix() is None  # the test suite's empty roads folder
    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    assert [w.code for w in it.warnings].count("warn.no_roads") == 1
    assert it.params["roads"] is None
    sources = {leg.source for d in it.days for leg in d.legs}
    assert sources <= {"seed", "estimate", "seed+estimate"}


def test_colocated_sites_never_chain_through_other_sites() -> None:
    ctx = load_context()
    ids = ["xiangguo_gongyuan", "changzhou_gucheng", "yongxi_guzhen"]
    table = providers.leg_table(ctx, ids, transport={"speed_kmh": 45, "overhead_min": 5})
    leg = table.leg(0, 1)
    assert leg.via == () and leg.km < 5, leg  # not 66 km through 雍溪古镇
    # the table's own figures for printed pairs are kept
    direct = {(e.a, e.b): e.km for e in ctx.catalog.seed_edges}
    for (a, b), km in direct.items():
        if a in ids and b in ids:
            assert table.km[ids.index(a), ids.index(b)] == pytest.approx(km)
            assert table.sources[ids.index(a)][ids.index(b)] == "seed"


def test_route_prints_one_route_with_its_geometry(built: dict) -> None:
    res = runner.invoke(
        app,
        [
            "roads",
            "route",
            "宝顶山",
            "bei shan",
            "--out",
            str(built["root"]),
            "--format",
            "geojson",
        ],
    )
    assert res.exit_code == 0, res.output
    feature = json.loads(res.output)
    coords = feature["geometry"]["coordinates"]
    assert feature["properties"]["sites"] == ["baodingshan", "beishan"]
    ctx = load_context()
    for (lon, lat), sid in ((coords[0], "baodingshan"), (coords[-1], "beishan")):
        assert haversine_km(lat, lon, *ctx.coords[sid]) < 0.05  # type: ignore[misc]
    line_km = sum(haversine_km(a[1], a[0], b[1], b[0]) for a, b in itertools.pairwise(coords))
    assert feature["properties"]["km"] == pytest.approx(line_km, rel=0.02)


def test_route_with_an_unknown_name_suggests_close_ones(built: dict) -> None:
    res = runner.invoke(app, ["roads", "route", "宝顶善", "北山", "--out", str(built["root"])])
    assert res.exit_code == 2
    assert "宝顶山" in res.output


def test_build_errors_are_one_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["roads", "build", "--osm", str(tmp_path / "missing.osm.pbf")])
    assert res.exit_code == 2 and "no such OpenStreetMap extract" in res.output
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a protobuf")
    res = runner.invoke(app, ["roads", "build", "--osm", str(bad), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "osrm-extract failed" in res.output, res.output
    assert not list((tmp_path / "osrm-car").glob("[!.]*"))  # nothing half-built is kept


def test_fit_circuity_on_roads(built: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERITAGE_ROADS_DIR", str(built["root"]))
    res = runner.invoke(app, ["fit-circuity", "--roads"])
    assert res.exit_code == 0, res.output
    assert "circuity re-fitted on road:osrm" in res.output
    # a grid of 65 km/h primary roads: the fitted drive speed is close to it
    speed = float(res.output.split("drive speed fitted on road minutes ")[1].split()[0])
    assert 55 <= speed <= PRIMARY_KMH


def test_geometry_is_stored_for_usable_pairs(built: dict) -> None:
    rm: RoadMatrix = built["matrix"]
    line = rm.line("beishan", "baodingshan")
    assert line is not None and len(line) >= 2
    assert np.allclose(line[0], rm.points[rm.ids.index("beishan")])
    assert rm.line("bayueshan", "baodingshan") is None


def test_maps_and_exports_follow_the_roads(built: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import xml.etree.ElementTree as ET

    import gpxpy

    from planner.export import collect
    from planner.export.formats import KML_NS, geojson_dict, to_gpx, to_kml
    from planner.model import itinerary_from_dict, itinerary_to_dict
    from planner.ui.components import route_layer_data

    monkeypatch.setenv("HERITAGE_ROADS_DIR", str(built["root"]))
    rm: RoadMatrix = built["matrix"]
    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    it = itinerary_from_dict(json.loads(json.dumps(itinerary_to_dict(it))))  # a saved plan
    data = collect(it, with_facts=False)
    legs = [leg for d in it.days for leg in d.legs]
    assert set(data.road_lines) == {(leg.from_id, leg.to_id) for leg in legs}
    # GeoJSON: each day's line is the concatenation of its legs' road geometries
    gj = geojson_dict(data)
    days = [f for f in gj["features"] if f["properties"]["role"] == "day"]
    assert days and all("along the road" in f["properties"]["geometry_note"] for f in days)
    for f, day in zip(days, it.days, strict=True):
        want: list[tuple[float, float]] = []
        for leg in day.legs:
            seg = rm.line(leg.from_id, leg.to_id)
            assert seg is not None
            want.extend(seg[1:] if want and seg[0] == want[-1] else seg)
        got = [(lat, lon) for lon, lat in f["geometry"]["coordinates"]]
        assert got == [pytest.approx((round(a, 6), round(b, 6)), abs=1e-6) for a, b in want]
        assert len(got) > len(day.stops) + 2  # bends of the road, not stop to stop
    # GPX: the stops' route stays, plus one track per day along the road
    gpx = gpxpy.parse(to_gpx(data).decode("utf-8"))
    assert len(gpx.routes) == len(it.days) == len(gpx.tracks)
    assert len(gpx.tracks[0].segments[0].points) == len(days[0]["geometry"]["coordinates"])
    # KML: the day's LineString has the road's vertices
    root = ET.fromstring(to_kml(data))
    lines = root.findall(f".//{{{KML_NS}}}LineString/{{{KML_NS}}}coordinates")
    assert len(lines[0].text.split()) == len(days[0]["geometry"]["coordinates"])  # type: ignore[union-attr]
    # the app's map: road legs solid, along the geometry
    ctx = load_context()
    layer = route_layer_data(it, ctx.catalog.sites, basemap="osm", lang="en")
    first = legs[0]
    start = list(ctx.coords[first.from_id] or ())
    line = next(x for x in layer["lines"] if x["points"][0] == start)  # type: ignore[index]
    assert len(line["points"]) == len(rm.line(first.from_id, first.to_id))  # type: ignore[arg-type]
    assert line["dash"] is None


def test_maps_stay_straight_without_road_data() -> None:
    from planner.export import collect
    from planner.export.formats import geojson_dict

    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    data = collect(it, with_facts=False)
    assert data.road_lines == {}
    gj = geojson_dict(data)
    notes = {f["properties"].get("geometry_note") for f in gj["features"]}
    assert "straight segments through documented via sites, not roads" in notes


def test_plan_with_best_distances_uses_the_road_matrix(
    built: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.service import plan_route

    without = plan_route(line="stone-carving-report", distances="best")
    assert {leg.source for leg in without.legs} <= {"seed", "estimate"}
    monkeypatch.setenv("HERITAGE_ROADS_DIR", str(built["root"]))
    plan = plan_route(line="stone-carving-report", distances="best")
    rm: RoadMatrix = built["matrix"]
    assert {leg.source for leg in plan.legs} == {"road:osrm"}
    for leg in plan.legs:
        ab, ba = rm.pair(leg.from_id, leg.to_id), rm.pair(leg.to_id, leg.from_id)
        assert ab is not None and ba is not None
        assert leg.km == pytest.approx((ab[0] + ba[0]) / 2)


def test_the_brochure_map_draws_the_roads(built: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.export import collect
    from planner.export.content import notes
    from planner.export.mapdraw import _scene, draw_route_map

    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    straight = collect(it, with_facts=False)
    monkeypatch.setenv("HERITAGE_ROADS_DIR", str(built["root"]))
    it_roads = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    roads = collect(it_roads, with_facts=False)
    scene = _scene(roads)
    for d in range(len(it_roads.days)):  # every day's line is its road line, projected
        assert len(scene.lines[d]) == len(roads.day_line(d)) > len(it_roads.days[d].stops) + 2
    assert len(_scene(straight).lines[0]) == len(
        [p for p in straight.day_chain(0, with_via=True) if p.has_coords]
    )
    assert draw_route_map(roads, fmt="png") != draw_route_map(straight, fmt="png")
    about = [x for _, items in notes(roads, "en") for x in items]
    assert any("follow OpenStreetMap roads" in x for x in about)
    about = [x for _, items in notes(straight, "en") for x in items]
    assert any("Map legs are straight lines" in x for x in about)
