"""Machine exports parsed back with real parsers (json + schema, gpxpy, xml.etree, icalendar)
and compared with the plan: names, coordinates, times."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from zoneinfo import ZoneInfo

import gpxpy
import icalendar
import jsonschema
import pytest

from kg.catalog import load_catalog
from planner.export import ExportData, collect, export_plan, format_from_path, render
from planner.export.formats import GPX_NS, KML_NS, geojson_dict
from planner.model import Itinerary, itinerary_from_dict, itinerary_to_dict

FIX = Path(__file__).parent / "fixtures" / "export"
TZ = ZoneInfo("Asia/Shanghai")
GEN = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def plan() -> Itinerary:
    return itinerary_from_dict(json.loads((FIX / "sample_itinerary.json").read_text("utf-8")))


@pytest.fixture(scope="module")
def data(plan: Itinerary, catalog) -> ExportData:
    return collect(plan, catalog=catalog)


def town(catalog, site_id: str) -> tuple[float, float]:
    s = catalog.sites[site_id]
    return s.lat, s.lon


# =========================================================================== JSON


def test_json_loads_back_to_the_same_plan(data: ExportData, plan: Itinerary) -> None:
    raw = json.loads(render(data, "json"))
    assert itinerary_from_dict(raw) == plan
    assert raw == itinerary_to_dict(plan)


# =========================================================================== GeoJSON


def test_geojson_is_rfc7946_and_matches_the_plan(data: ExportData, plan, catalog) -> None:
    doc = json.loads(render(data, "geojson"))
    schema = json.loads((FIX / "geojson-rfc7946.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    stops = [f for f in doc["features"] if f["properties"]["role"] == "stop"]
    assert [f["properties"]["site_id"] for f in stops] == [s.site_id for s in plan.stops]
    for f, s in zip(stops, plan.stops, strict=True):
        lon, lat = f["geometry"]["coordinates"]  # RFC 7946: longitude first
        assert (lat, lon) == pytest.approx((s.lat, s.lon), abs=1e-6)
        assert f["properties"]["name_zh"] == s.name_zh
        assert dt.datetime.fromisoformat(f["properties"]["start"]) == s.start
        assert dt.datetime.fromisoformat(f["properties"]["depart"]) == s.depart
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(plan.days)
    for f, day in zip(lines, plan.days, strict=True):
        coords = f["geometry"]["coordinates"]
        assert (coords[0][1], coords[0][0]) == pytest.approx(town(catalog, day.start_id))
        assert (coords[-1][1], coords[-1][0]) == pytest.approx(town(catalog, day.end_id))
        ids = f["properties"]["vertex_ids"]
        assert len(ids) == len(coords)
        stop_ids = [s.site_id for s in day.stops]
        assert [i for i in ids if i in stop_ids] == stop_ids  # in visiting order
        assert f["properties"]["km"] == pytest.approx(day.km, abs=0.01)
    xs = [c for f in doc["features"] for c in _positions(f["geometry"])]
    w, s_, e, n = doc["bbox"]
    assert all(w <= lon <= e and s_ <= lat <= n for lon, lat in xs)


def _positions(g: dict) -> list[list[float]]:
    return [g["coordinates"]] if g["type"] == "Point" else g["coordinates"]


def test_geojson_schema_rejects_swapped_or_legacy_geojson(data: ExportData) -> None:
    """The schema is strict enough to fail: a crs member or an out-of-range position."""
    schema = json.loads((FIX / "geojson-rfc7946.schema.json").read_text("utf-8"))
    doc = geojson_dict(data)
    bad = json.loads(json.dumps(doc))
    bad["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    bad = json.loads(json.dumps(doc))
    bad["features"][0]["geometry"]["coordinates"] = [29.7, 105.7, 0, 0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


# =========================================================================== GPX


def test_gpx_waypoints_and_one_route_per_day(data: ExportData, plan, catalog) -> None:
    raw = render(data, "gpx", generated=GEN)
    assert ET.fromstring(raw).tag == f"{{{GPX_NS}}}gpx"
    gpx = gpxpy.parse(raw.decode("utf-8"))
    assert gpx.version == "1.1"
    by_name = {w.name: w for w in gpx.waypoints}
    for s in plan.stops:
        w = by_name[s.name_zh]
        assert (w.latitude, w.longitude) == pytest.approx((s.lat, s.lon), abs=1e-6)
        assert f"{s.start:%H:%M}–{s.depart:%H:%M}" in w.description
    lodging = {w.name for w in gpx.waypoints if w.type == "lodging"}
    assert lodging == {catalog.sites[i].name_zh for d in plan.days for i in (d.start_id, d.end_id)}
    assert len(gpx.routes) == len(plan.days)
    for rte, day in zip(gpx.routes, plan.days, strict=True):
        pts = rte.points
        assert (pts[0].latitude, pts[0].longitude) == pytest.approx(town(catalog, day.start_id))
        assert (pts[-1].latitude, pts[-1].longitude) == pytest.approx(town(catalog, day.end_id))
        assert [p.name for p in pts[1:-1]] == [s.name_zh for s in day.stops]
        assert rte.number == plan.days.index(day) + 1
    assert gpx.time == GEN


def test_gpx_in_english_uses_english_names(data: ExportData, plan) -> None:
    gpx = gpxpy.parse(render(data, "gpx", lang="en").decode("utf-8"))
    names = {w.name for w in gpx.waypoints}
    assert {s.name_en for s in plan.stops} <= names
    assert "Day 1" in gpx.routes[0].name


# =========================================================================== KML


def test_kml_placemarks_times_and_colours(data: ExportData, plan, catalog) -> None:
    root = ET.fromstring(render(data, "kml"))
    ns = {"k": KML_NS}
    assert root.tag == f"{{{KML_NS}}}kml"
    folders = root.findall("k:Document/k:Folder", ns)
    assert len(folders) == len(plan.days) + 1  # one per day + lodging
    for folder, day in zip(folders, plan.days, strict=False):
        points = [pm for pm in folder.findall("k:Placemark", ns) if pm.find("k:Point", ns)]
        assert len(points) == len(day.stops)
        for pm, s in zip(points, day.stops, strict=True):
            lon, lat, alt = map(float, pm.findtext("k:Point/k:coordinates", "", ns).split(","))
            assert (lat, lon, alt) == pytest.approx((s.lat, s.lon, 0.0), abs=1e-6)
            data_ = {
                d.get("name"): d.findtext("k:value", "", ns) for d in pm.iter(f"{{{KML_NS}}}Data")
            }
            assert data_["site_id"] == s.site_id and data_["name_zh"] == s.name_zh
            begin = dt.datetime.fromisoformat(pm.findtext("k:TimeSpan/k:begin", "", ns))
            end = dt.datetime.fromisoformat(pm.findtext("k:TimeSpan/k:end", "", ns))
            assert begin == s.start.replace(tzinfo=TZ) and end == s.depart.replace(tzinfo=TZ)
            assert begin.utcoffset() == dt.timedelta(hours=8)
        line = folder.find("k:Placemark/k:LineString/k:coordinates", ns)
        coords = [tuple(map(float, c.split(",")))[:2] for c in line.text.split()]
        assert (coords[0][1], coords[0][0]) == pytest.approx(town(catalog, day.start_id))
        assert (coords[-1][1], coords[-1][0]) == pytest.approx(town(catalog, day.end_id))
    # KML colours are aabbggrr: the default day-1 colour #B0413E is ff3e41b0.
    style = root.find("k:Document/k:Style[@id='day1']/k:LineStyle/k:color", ns)
    assert style is not None and style.text == "ff3e41b0"


# =========================================================================== iCalendar


def test_ics_one_event_per_stop_in_shanghai_time(data: ExportData, plan) -> None:
    cal = icalendar.Calendar.from_ical(render(data, "ics", generated=GEN))
    tzs = [c for c in cal.walk("VTIMEZONE")]
    assert [str(t["TZID"]) for t in tzs] == ["Asia/Shanghai"]
    events = cal.walk("VEVENT")
    assert len(events) == len(plan.stops)
    for ev, s in zip(events, plan.stops, strict=True):
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert start == s.start.replace(tzinfo=TZ) and end == s.depart.replace(tzinfo=TZ)
        assert str(ev["DTSTART"].params["TZID"]) == "Asia/Shanghai"
        assert s.name_zh in str(ev["SUMMARY"]) and s.name_zh in str(ev["LOCATION"])
        geo = ev["GEO"]
        assert (geo.latitude, geo.longitude) == pytest.approx((s.lat, s.lon), abs=1e-6)
        assert "uri.amap.com/marker" in str(ev["DESCRIPTION"])
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)


def test_ics_prints_unknown_hours_and_sourced_tickets(data: ExportData, plan, catalog) -> None:
    cal = icalendar.Calendar.from_ical(render(data, "ics", lang="en"))
    text = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")}
    beishan = next(v for k, v in text.items() if k.endswith(" Beishan Rock Carvings"))
    assert "08:30–17:00" in beishan  # opening_hours.csv
    assert catalog.sites["beishan"].ticket_cny in beishan  # published text, verbatim
    pilu = next(v for k, v in text.items() if "Pilu" in k)
    assert "unknown — check before going" in pilu  # no rule in opening_hours.csv


# =========================================================================== edge cases


def test_a_stop_without_coordinates_is_left_out_of_geometry_only(plan: Itinerary, catalog) -> None:
    day0 = plan.days[0]
    lost = dataclasses.replace(day0.stops[1], lat=None, lon=None)
    day = dataclasses.replace(day0, stops=(day0.stops[0], lost, *day0.stops[2:]))
    it = dataclasses.replace(plan, days=(day, *plan.days[1:]))
    data = collect(it, catalog=catalog)
    gpx = gpxpy.parse(render(data, "gpx").decode("utf-8"))
    assert lost.name_zh not in {w.name for w in gpx.waypoints}
    assert lost.name_zh not in {p.name for r in gpx.routes for p in r.points}
    doc = json.loads(render(data, "geojson"))
    assert lost.site_id not in {f["properties"].get("site_id") for f in doc["features"]}
    events = icalendar.Calendar.from_ical(render(data, "ics")).walk("VEVENT")
    assert len(events) == len(it.stops)
    ev = next(e for e in events if lost.name_zh in str(e["SUMMARY"]))
    assert "GEO" not in ev


def test_export_writes_atomically(data: ExportData, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "plan.gpx"
    out.write_text("previous", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        export_plan(data, "gpx", out)
    assert out.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpx"]  # no temp file left
    monkeypatch.undo()
    export_plan(data, "gpx", out)
    assert gpxpy.parse(out.read_text(encoding="utf-8")).waypoints


def test_bad_requests_are_one_line_errors(data: ExportData, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot tell the format"):
        format_from_path("plan.txt")
    assert format_from_path("x/Plan.GeoJSON") == "geojson"
    with pytest.raises(ValueError, match="unknown format"):
        render(data, "shp")
    with pytest.raises(ValueError, match=r"tri-fold|trifold"):
        render(data, "gpx", trifold=True)
    with pytest.raises(ValueError, match="unknown language"):
        render(data, "gpx", lang="fr")
    with pytest.raises(ValueError, match="does not exist"):
        export_plan(data, "gpx", tmp_path / "missing" / "plan.gpx")
