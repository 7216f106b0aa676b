"""Machine formats of a plan: JSON, GeoJSON, GPX 1.1, KML 2.2 and iCalendar.

All coordinates are WGS-84 (GPX, KML and GeoJSON require it), written with 6 decimals
(≈ 0.1 m). Each function returns the file's bytes; :func:`planner.export.export_plan`
writes them atomically.

* JSON — :func:`planner.model.itinerary_to_dict`, which the app loads back losslessly.
* GeoJSON (RFC 7946) — a FeatureCollection: a Point per stop and per lodging town
  (``role``), a LineString per day through its documented via sites, with times and
  distances as properties; ``bbox`` on the collection.
* GPX 1.1 — a waypoint per stop and lodging town, one ``<rte>`` per day (lodging → stops →
  lodging).
* KML 2.2 — a folder per day with the stops (``TimeSpan`` of the visit) and the day's line,
  styled in the day's colour.
* iCalendar (RFC 5545) — one VEVENT per stop, visit start to departure, ``TZID=Asia/Shanghai``
  with its VTIMEZONE, location, ``GEO`` and the practical notes.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

from planner.export.facts import ExportData, Place
from planner.export.labels import duration, hours_text, km_text, label
from planner.model import Stop, itinerary_to_dict

__all__ = [
    "GPX_NS",
    "KML_NS",
    "TZ",
    "geojson_dict",
    "to_geojson",
    "to_gpx",
    "to_ics",
    "to_json",
    "to_kml",
]

TZ = ZoneInfo("Asia/Shanghai")
GPX_NS = "http://www.topografix.com/GPX/1/1"
KML_NS = "http://www.opengis.net/kml/2.2"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
CREATOR = "heritage-routes"


def _r(x: float | None) -> float:
    """A coordinate with 6 decimals (callers pass only places that have coordinates)."""
    if x is None:
        raise ValueError("a place without coordinates reached a geometry")
    return round(float(x), 6)


def _local(t: dt.datetime) -> dt.datetime:
    """Planner times are naive local times in China; attach Asia/Shanghai."""
    return t.replace(tzinfo=TZ) if t.tzinfo is None else t.astimezone(TZ)


def _now(generated: dt.datetime | None) -> dt.datetime:
    t = generated or dt.datetime.now(dt.UTC)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _stops(data: ExportData) -> list[tuple[int, int, Stop, Place]]:
    out = []
    for d, day in enumerate(data.itinerary.days):
        for k, stop in enumerate(day.stops, 1):
            out.append((d, k, stop, data.stop_place(stop)))
    return out


def _lodgings(data: ExportData) -> list[Place]:
    ids: list[str] = []
    for day in data.itinerary.days:
        ids += [day.start_id, day.end_id]
    return [data.place(i) for i in dict.fromkeys(ids) if data.place(i).has_coords]


def _visit_text(stop: Stop, day_no: int, k: int, lang: str) -> str:
    return (
        f"{label('day_n', lang, n=day_no)} · {label('stop_n', lang, n=k)} · "
        f"{stop.start:%H:%M}–{stop.depart:%H:%M} ({duration(stop.visit_min, lang)})"
    )


# --------------------------------------------------------------------------- JSON


def to_json(data: ExportData) -> bytes:
    """The plan as :func:`~planner.model.itinerary_to_dict` JSON (UTF-8, loadable back)."""
    doc = itinerary_to_dict(data.itinerary)
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- GeoJSON


def geojson_dict(data: ExportData, *, lang: str = "zh") -> dict[str, Any]:
    """RFC 7946 FeatureCollection of the plan (see the module docstring)."""
    it = data.itinerary
    features: list[dict[str, Any]] = []
    for d, k, stop, place in _stops(data):
        if not place.has_coords:
            continue
        features.append(
            {
                "type": "Feature",
                "id": f"d{d + 1}-{k}-{stop.site_id}",
                "geometry": {"type": "Point", "coordinates": [_r(place.lon), _r(place.lat)]},
                "properties": {
                    "role": "stop",
                    "site_id": stop.site_id,
                    "name_zh": stop.name_zh,
                    "name_en": stop.name_en,
                    "day": d + 1,
                    "date": it.days[d].date.isoformat(),
                    "order": k,
                    "arrive": stop.arrive.isoformat(timespec="minutes"),
                    "start": stop.start.isoformat(timespec="minutes"),
                    "depart": stop.depart.isoformat(timespec="minutes"),
                    "visit_min": round(stop.visit_min, 1),
                    "kind": stop.kind,
                    "coord_confidence": stop.coord_confidence,
                    "uncertainty_km": place.uncertainty_km,
                    "timezone": "Asia/Shanghai",
                },
            }
        )
    for town in _lodgings(data):
        features.append(
            {
                "type": "Feature",
                "id": f"lodging-{town.id}",
                "geometry": {"type": "Point", "coordinates": [_r(town.lon), _r(town.lat)]},
                "properties": {
                    "role": "lodging",
                    "site_id": town.id,
                    "name_zh": town.name_zh,
                    "name_en": town.name_en,
                    "coord_confidence": town.coord_confidence,
                    "uncertainty_km": town.uncertainty_km,
                },
            }
        )
    for d, day in enumerate(it.days):
        chain = [p for p in data.day_chain(d, with_via=True) if p.has_coords]
        line = data.day_line(d)
        if len(chain) < 2 or len(line) < 2:
            continue
        features.append(
            {
                "type": "Feature",
                "id": f"day-{d + 1}",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[_r(lon), _r(lat)] for lat, lon in line],
                },
                "properties": {
                    "role": "day",
                    "day": d + 1,
                    "date": day.date.isoformat(),
                    "name": f"{label('day_n', lang, n=d + 1)} {day.date.isoformat()}",
                    "start_id": day.start_id,
                    "end_id": day.end_id,
                    "stop_ids": [s.site_id for s in day.stops],
                    "vertex_ids": [p.id for p in chain],
                    "leave": day.leave.isoformat(timespec="minutes"),
                    "back": day.back.isoformat(timespec="minutes"),
                    "km": round(day.km, 2),
                    "travel_min": round(sum(leg.minutes for leg in day.legs), 1),
                    "distance_sources": sorted({leg.source for leg in day.legs if leg.source}),
                    "geometry_note": (
                        "road legs along the road (OSRM, simplified); other legs straight "
                        "through documented via sites"
                        if data.follows_roads(d)
                        else "straight segments through documented via sites, not roads"
                    ),
                },
            }
        )
    lons = [c for f in features for c in _lons(f["geometry"])]
    lats = [c for f in features for c in _lats(f["geometry"])]
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if lons:
        doc["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
    doc["features"] = features
    doc["properties"] = {  # a foreign member (RFC 7946 §6.1)
        "title": data.title(lang),
        "theme": it.theme,
        "mode": it.mode,
        "pace": it.pace,
        "total_km": round(it.total_km, 2),
        "crs": "WGS-84 (RFC 7946)",
    }
    return doc


def _lons(g: dict[str, Any]) -> list[float]:
    c = g["coordinates"]
    return [c[0]] if g["type"] == "Point" else [p[0] for p in c]


def _lats(g: dict[str, Any]) -> list[float]:
    c = g["coordinates"]
    return [c[1]] if g["type"] == "Point" else [p[1] for p in c]


def to_geojson(data: ExportData, *, lang: str = "zh") -> bytes:
    """:func:`geojson_dict` as UTF-8 JSON."""
    text = json.dumps(geojson_dict(data, lang=lang), ensure_ascii=False, indent=1)
    return (text + "\n").encode("utf-8")


# --------------------------------------------------------------------------- GPX


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def to_gpx(data: ExportData, *, lang: str = "zh", generated: dt.datetime | None = None) -> bytes:
    """GPX 1.1: waypoints for the stops and lodging towns, one route per day."""
    ET.register_namespace("", GPX_NS)
    g = f"{{{GPX_NS}}}"
    root = ET.Element(
        f"{g}gpx",
        {
            "version": "1.1",
            "creator": CREATOR,
            f"{{{_XSI}}}schemaLocation": f"{GPX_NS} http://www.topografix.com/GPX/1/1/gpx.xsd",
        },
    )
    meta = _sub(root, f"{g}metadata")
    _sub(meta, f"{g}name", data.title(lang))
    _sub(meta, f"{g}desc", f"{data.itinerary.title.text(lang)} · WGS-84")
    _sub(meta, f"{g}time", _now(generated).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for d, k, stop, place in _stops(data):
        if not place.has_coords:
            continue
        wpt = _sub(root, f"{g}wpt", lat=f"{_r(place.lat)}", lon=f"{_r(place.lon)}")
        _sub(wpt, f"{g}name", place.name(lang))
        _sub(wpt, f"{g}cmt", stop.name_zh if lang == "en" else (stop.name_en or stop.name_zh))
        _sub(wpt, f"{g}desc", _visit_text(stop, d + 1, k, lang))
        _sub(wpt, f"{g}sym", "Scenic Area")
        _sub(wpt, f"{g}type", stop.kind or "stop")
    for town in _lodgings(data):
        wpt = _sub(root, f"{g}wpt", lat=f"{_r(town.lat)}", lon=f"{_r(town.lon)}")
        _sub(wpt, f"{g}name", town.name(lang))
        _sub(wpt, f"{g}desc", label("legend_lodging", lang))
        _sub(wpt, f"{g}sym", "Lodging")
        _sub(wpt, f"{g}type", "lodging")
    for d, day in enumerate(data.itinerary.days):
        chain = [p for p in data.day_chain(d) if p.has_coords]
        if len(chain) < 2:
            continue
        rte = _sub(root, f"{g}rte")
        _sub(rte, f"{g}name", f"{label('day_n', lang, n=d + 1)} {day.date.isoformat()}")
        _sub(rte, f"{g}desc", km_text(day.km, lang))
        _sub(rte, f"{g}number", str(d + 1))
        for p in chain:
            pt = _sub(rte, f"{g}rtept", lat=f"{_r(p.lat)}", lon=f"{_r(p.lon)}")
            _sub(pt, f"{g}name", p.name(lang))
    for d, day in enumerate(data.itinerary.days):  # the roads themselves, when known
        if not data.follows_roads(d):
            continue
        trk = _sub(root, f"{g}trk")
        _sub(trk, f"{g}name", f"{label('day_n', lang, n=d + 1)} {day.date.isoformat()}")
        _sub(trk, f"{g}number", str(d + 1))
        seg = _sub(trk, f"{g}trkseg")
        for lat, lon in data.day_line(d):
            _sub(seg, f"{g}trkpt", lat=f"{_r(lat)}", lon=f"{_r(lon)}")
    return _xml_bytes(root)


# --------------------------------------------------------------------------- KML


def _kml_colour(hex_rgb: str, alpha: str = "ff") -> str:
    """``#RRGGBB`` → KML's ``aabbggrr``."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"{alpha}{b}{g}{r}".lower()


def to_kml(data: ExportData, *, lang: str = "zh", day_colours: tuple[str, ...] = ()) -> bytes:
    """KML 2.2: per day a folder with its stops (visit ``TimeSpan``) and its line."""
    from planner.export.brand import DEFAULT_BRAND

    colours = day_colours or DEFAULT_BRAND.day_colours
    ET.register_namespace("", KML_NS)
    k = f"{{{KML_NS}}}"
    root = ET.Element(f"{k}kml")
    doc = _sub(root, f"{k}Document")
    _sub(doc, f"{k}name", data.title(lang))
    _sub(doc, f"{k}description", f"{data.itinerary.title.text(lang)} · WGS-84")
    n_days = len(data.itinerary.days)
    for d in range(n_days):
        colour = colours[d % len(colours)]
        style = _sub(doc, f"{k}Style", id=f"day{d + 1}")
        icon = _sub(style, f"{k}IconStyle")
        _sub(icon, f"{k}color", _kml_colour(colour))
        line = _sub(style, f"{k}LineStyle")
        _sub(line, f"{k}color", _kml_colour(colour))
        _sub(line, f"{k}width", "4")
    lodging = _sub(doc, f"{k}Style", id="lodging")
    _sub(_sub(lodging, f"{k}IconStyle"), f"{k}color", "ff333333")
    stops = _stops(data)
    for d, day in enumerate(data.itinerary.days):
        folder = _sub(doc, f"{k}Folder")
        _sub(folder, f"{k}name", f"{label('day_n', lang, n=d + 1)} {day.date.isoformat()}")
        for dd, n, stop, place in stops:
            if dd != d or not place.has_coords:
                continue
            pm = _sub(folder, f"{k}Placemark", id=f"d{d + 1}-{n}-{stop.site_id}")
            _sub(pm, f"{k}name", f"{n}. {place.name(lang)}")
            _sub(pm, f"{k}description", _visit_text(stop, d + 1, n, lang))
            span = _sub(pm, f"{k}TimeSpan")
            _sub(span, f"{k}begin", _local(stop.start).isoformat())
            _sub(span, f"{k}end", _local(stop.depart).isoformat())
            _sub(pm, f"{k}styleUrl", f"#day{d + 1}")
            ext = _sub(pm, f"{k}ExtendedData")
            for key, value in (
                ("site_id", stop.site_id),
                ("name_zh", stop.name_zh),
                ("name_en", stop.name_en),
                ("coord_confidence", stop.coord_confidence),
            ):
                _sub(_sub(ext, f"{k}Data", name=key), f"{k}value", value)
            pt = _sub(pm, f"{k}Point")
            _sub(pt, f"{k}coordinates", f"{_r(place.lon)},{_r(place.lat)},0")
        chain = data.day_line(d)
        if len(chain) >= 2:
            pm = _sub(folder, f"{k}Placemark", id=f"day-{d + 1}")
            _sub(pm, f"{k}name", f"{label('day_n', lang, n=d + 1)} · {km_text(day.km, lang)}")
            _sub(pm, f"{k}description", label("legend_legs", lang))
            _sub(pm, f"{k}styleUrl", f"#day{d + 1}")
            ls = _sub(pm, f"{k}LineString")
            _sub(ls, f"{k}tessellate", "1")
            _sub(ls, f"{k}coordinates", " ".join(f"{_r(lon)},{_r(lat)},0" for lat, lon in chain))
    folder = _sub(doc, f"{k}Folder")
    _sub(folder, f"{k}name", label("lodging", lang))
    for town in _lodgings(data):
        pm = _sub(folder, f"{k}Placemark", id=f"lodging-{town.id}")
        _sub(pm, f"{k}name", town.name(lang))
        _sub(pm, f"{k}styleUrl", "#lodging")
        _sub(_sub(pm, f"{k}Point"), f"{k}coordinates", f"{_r(town.lon)},{_r(town.lat)},0")
    return _xml_bytes(root)


# --------------------------------------------------------------------------- iCalendar


def _hours_line(data: ExportData, stop: Stop, lang: str) -> str:
    f = data.facts.get(stop.site_id)
    if f is None or f.hours is None:
        return ""
    return f"{label('hours_on', lang, date=f.hours.date.isoformat())}: {hours_text(f.hours, lang)}"


def to_ics(
    data: ExportData,
    *,
    lang: str = "zh",
    plan_link: str = "",
    amap_src: str = "heritage-routes",
    generated: dt.datetime | None = None,
) -> bytes:
    """iCalendar: one event per stop (visit start → departure) in Asia/Shanghai time."""
    from icalendar import Calendar, Event

    from planner.export.amap import marker_url

    cal = Calendar()
    cal.add("prodid", "-//heritage-routes//export//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # an X- property is written as it is (no RFC 5545 escaping): one line, or icalendar refuses
    cal.add("x-wr-calname", " ".join(data.title(lang).split()))
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = _now(generated).astimezone(dt.UTC)
    for d, k, stop, place in _stops(data):
        ev = Event()
        ev.add("uid", f"{stop.start:%Y%m%d}-{d + 1}-{k}-{stop.site_id}@heritage-routes")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", _local(stop.start))
        ev.add("dtend", _local(stop.depart))
        ev.add("summary", f"{label('day_n', lang, n=d + 1)}·{k} {place.name(lang)}")
        where = place.name_zh if not place.address else f"{place.name_zh}, {place.address}"
        ev.add("location", where)
        lines = [_visit_text(stop, d + 1, k, lang)]
        if lang == "en" and stop.name_en:
            lines.append(stop.name_zh)
        hours = _hours_line(data, stop, lang)
        if hours:
            lines.append(hours)
        f = data.facts.get(stop.site_id)
        if f is not None:
            lines.append(f"{label('tickets', lang)}: {f.ticket or label('unknown', lang)}")
        if place.approx:
            lines.append(label("approx_position_nokm", lang))
        if place.has_coords:
            ev.add("geo", (_r(place.lat), _r(place.lon)))
            lines.append(f"{label('amap_links', lang)}: {marker_url(place, src=amap_src)}")
        if plan_link:
            lines.append(f"{label('plan_link', lang)}: {plan_link}")
            ev.add("url", plan_link)
        ev.add("description", "\n".join(lines))
        ev.add("categories", [stop.kind or "heritage"])
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()
