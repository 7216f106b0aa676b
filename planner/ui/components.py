"""Drawing pieces of the app: the route map, the day timeline, site cards and graph views.

The map is built with folium (WGS-84 inside; converted to GCJ-02 only when drawn on the AMap
base map) and carries its own copy of Leaflet, so markers and routes show even when the
tile servers and CDNs cannot be reached; offline only the base-map tiles are missing.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import streamlit as st
import streamlit.components.v1 as components_v1
from branca.element import MacroElement
from jinja2 import Template
from streamlit_folium import st_folium

from common.geo import wgs84_to_gcj02
from kg import queries
from kg.catalog import Site
from planner.i18n import label, site_name, text
from planner.model import Day, Itinerary, Stop, TravelLeg
from planner.roads import plan_geometries
from planner.ui.markup import md, md_text

DAY_COLOURS = ("#c0392b", "#1f6fb2", "#1e8449", "#b9770e", "#7d3c98", "#148f77", "#a04000")
ASSETS = Path(__file__).resolve().parent / "assets"
AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def day_colour(n: int) -> str:
    """Colour of day ``n`` (from 1)."""
    return DAY_COLOURS[(n - 1) % len(DAY_COLOURS)]


#: Leaflet 1.9.4 (BSD-2-Clause, ``assets/leaflet/LICENSE``), served by Streamlit from this
#: package: a component declared only for its path makes the server serve the folder, so the
#: map loads Leaflet from the app itself (browser-cached), never from a CDN.
_LEAFLET = components_v1.declare_component("leaflet_assets", path=str(ASSETS / "leaflet"))
#: relative to the streamlit-folium frame (``<base>/component/streamlit_folium.st_folium/``)
LEAFLET_JS = f"../{_LEAFLET.name}/leaflet.js"
LEAFLET_CSS = f"../{_LEAFLET.name}/leaflet.css"


class _RouteLayer(MacroElement):
    """Every marker and line of the trip, drawn by one small script from JSON data.

    One element instead of one folium object per marker, line, tooltip and popup keeps the
    page fast (folium compiles a template per object) and needs nothing but Leaflet (folium's
    ``Popup`` needs jQuery)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function (map) {
  var data = {{ this.data|tojson }};
  data.lines.forEach(function (l) {
    L.polyline(l.points, {color: l.colour, weight: 4, opacity: 0.85, dashArray: l.dash})
      .bindTooltip(l.tip, {sticky: true}).addTo(map);
  });
  data.markers.forEach(function (m) {
    L.marker(m.point, {icon: L.divIcon({html: m.pin, className: "hr-pin",
                                        iconSize: [26, 26], iconAnchor: [13, 13]}),
                       zIndexOffset: m.z})
      .bindTooltip(m.tip).bindPopup(m.popup, {maxWidth: 280}).addTo(map);
  });
})({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, data: dict[str, list[dict[str, object]]]):
        super().__init__()
        self._name = "RouteLayer"
        self.data = data


def _project(basemap: str) -> Callable[[float, float], tuple[float, float]]:
    if basemap == "amap":
        return wgs84_to_gcj02
    return lambda lat, lon: (lat, lon)


def _pin(number: int | str, colour: str, *, approx: bool = False, square: bool = False) -> str:
    border = "2px dashed #fff" if approx else "2px solid #fff"
    radius = "4px" if square else "50%"
    return (
        f'<div style="background:{colour};color:#fff;border:{border};border-radius:{radius};'
        "width:26px;height:26px;box-sizing:border-box;text-align:center;font:bold 13px/22px "
        'sans-serif;box-shadow:0 1px 3px rgba(0,0,0,.5)">'
        f"{html.escape(str(number))}</div>"
    )


def _stop_popup(n: int, day_no: int, stop: Stop, lang: str) -> str:
    name = html.escape(site_name(stop.name_zh, stop.name_en, lang))
    times = html.escape(
        text(
            lang,
            "ui.timeline.times",
            arrive=f"{stop.arrive:%H:%M}",
            start=f"{stop.start:%H:%M}",
            depart=f"{stop.depart:%H:%M}",
            visit=stop.visit_min,
        )
    )
    kind = html.escape(label(lang, "ui.kind", stop.kind)) if stop.kind else ""
    approx = (
        f"<br><i>{html.escape(text(lang, 'ui.map.approx'))}</i>"
        if stop.coord_confidence == "approx"
        else ""
    )
    day = html.escape(text(lang, "ui.map.day", n=day_no))
    return f"<b>{n}. {name}</b><br>{day} · {kind}<br>{times}{approx}"


def route_layer_data(
    it: Itinerary, sites: Mapping[str, Site], *, basemap: str, lang: str
) -> dict[str, list[dict[str, object]]]:
    """Markers and lines of a trip, in the base map's datum (GCJ-02 for AMap, else WGS-84).

    Lines follow the road for road legs when the plan's road matrix has their geometry
    (``planner.roads.plan_geometries``), else each leg's ``via`` chain (the report's table
    routes through intermediate sites); estimated legs are dashed. Stops are numbered across
    the trip and coloured by day; lodging towns are dark squares. Texts are HTML-escaped.
    """
    proj = _project(basemap)

    def where(site_id: str) -> list[float] | None:
        s = sites.get(site_id)
        if s is None or not s.has_coords:
            return None
        return list(proj(s.lat, s.lon))  # type: ignore[arg-type]

    roads = plan_geometries(it)  # road legs drawn along the road when the matrix has them
    lines: list[dict[str, object]] = []
    markers: list[dict[str, object]] = []
    for sid in dict.fromkeys(x for d in it.days for x in (d.start_id, d.end_id)):
        p = where(sid)
        if p is None:
            continue
        name = site_name(sites[sid].name_zh, sites[sid].name_en, lang)
        tip = html.escape(text(lang, "ui.map.lodging", name=name))
        markers.append(
            {
                "point": p,
                "pin": _pin("⌂", "#2c3e50", square=True),
                "tip": tip,
                "popup": f"<b>{tip}</b>",
                "z": 0,
                "site": sid,
            }
        )
    n = 0
    for day_no, day in enumerate(it.days, 1):
        colour = day_colour(day_no)
        for leg in day.legs:
            chain = [where(x) for x in (leg.from_id, *leg.via, leg.to_id)]
            road = roads.get((leg.from_id, leg.to_id))
            if road is not None:
                chain = [list(proj(lat, lon)) for lat, lon in road]
            points = [c for c in chain if c is not None]
            if len(points) < 2:
                continue
            tip = text(
                lang,
                "ui.map.leg",
                km=leg.km,
                minutes=leg.minutes,
                source=label(lang, "ui.source", leg.source),
            )
            lines.append(
                {
                    "points": points,
                    "colour": colour,
                    "dash": None if leg.source == "seed" or road is not None else "8 6",
                    "tip": html.escape(tip),
                    "day": day_no,
                }
            )
        for stop in day.stops:
            n += 1
            if stop.lat is None or stop.lon is None:
                continue
            markers.append(
                {
                    "point": list(proj(stop.lat, stop.lon)),
                    "pin": _pin(n, colour, approx=stop.coord_confidence == "approx"),
                    "tip": html.escape(f"{n}. {site_name(stop.name_zh, stop.name_en, lang)}"),
                    "popup": _stop_popup(n, day_no, stop, lang),
                    "z": 1000 + n,
                    "site": stop.site_id,
                }
            )
    return {"lines": lines, "markers": markers}


def build_map(it: Itinerary, sites: Mapping[str, Site], *, basemap: str, lang: str) -> folium.Map:
    """The trip on a folium map: one colour per day, numbered stops with popups, legs along
    their via chains, lodging squares; coordinates converted to GCJ-02 only for AMap tiles."""
    fmap = folium.Map(tiles=None, control_scale=True)
    fmap.default_js = [("leaflet", LEAFLET_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    if basemap == "amap":
        folium.TileLayer(
            tiles=AMAP_TILES,
            attr="© 高德地图 AutoNavi",
            name=text(lang, "ui.map.amap"),
            subdomains="1234",
            max_zoom=18,
        ).add_to(fmap)
    else:
        folium.TileLayer(
            tiles=OSM_TILES,
            attr="© OpenStreetMap contributors",
            name=text(lang, "ui.map.osm"),
            max_zoom=19,
        ).add_to(fmap)
    data = route_layer_data(it, sites, basemap=basemap, lang=lang)
    fmap.add_child(_RouteLayer(data))
    points = [m["point"] for m in data["markers"]]
    if points:
        lats = [p[0] for p in points]  # type: ignore[index]
        lons = [p[1] for p in points]  # type: ignore[index]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
    else:
        fmap.location = list(_project(basemap)(29.9, 105.5))
        fmap.options["zoom"] = 9
    return fmap


def render_map(fmap: folium.Map, *, key: str, height: int = 440) -> None:
    """Show a folium map (no values returned to Python: nothing reruns on pan or zoom)."""
    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def render_legend(it: Itinerary, lang: str) -> None:
    """One coloured swatch per day, with its distance."""
    km = html.escape(text(lang, "ui.unit.km"))
    spans = [
        f'<span style="white-space:nowrap;margin-right:12px">'
        f'<span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
        f'background:{day_colour(k)};vertical-align:middle"></span> '
        f"{html.escape(text(lang, 'ui.map.day', n=k))} · {d.km:.0f} {km}</span>"
        for k, d in enumerate(it.days, 1)
    ]
    st.markdown(" ".join(spans), unsafe_allow_html=True)


# ----------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class StopActions:
    """Callbacks behind a stop's buttons (wired by the plan view)."""

    move: Callable[[int, int, int], None]  # (day, index, delta)
    lock: Callable[[str, int | None], None]  # (site, day or None to unlock)
    skip: Callable[[str], None]
    card: Callable[[str], None]


def _leg_line(leg: TravelLeg, lang: str, name_of: Callable[[str], str]) -> str:
    key = "ui.timeline.leg_bus" if leg.mode == "bus" else "ui.timeline.leg"
    line = md_text(
        lang, key, km=leg.km, minutes=leg.minutes, source=label(lang, "ui.source", leg.source)
    )
    if leg.via:
        via = " → ".join(md(name_of(v)) for v in leg.via)
        line += " · " + text(lang, "ui.timeline.via", via=via)
    return line


def render_day(
    day_no: int,
    day: Day,
    *,
    first_number: int,
    n_days: int,
    lang: str,
    name_of: Callable[[str], str],
    locked: Mapping[str, int],
    lunch_min: float,
    actions: StopActions | None,
) -> None:
    """One day: leave, each leg (km, minutes, source, via) and stop (arrive / start / leave,
    visit length and where it came from), lunch, arrival at the night's lodging, slack."""
    colour = day_colour(day_no)
    weekday = text(lang, f"common.weekday.{day.date.weekday()}")
    title = text(
        lang,
        "ui.timeline.day",
        n=day_no,
        date=day.date.isoformat(),
        weekday=weekday,
        km=day.km,
        hours=day.drive_min / 60,
    )
    st.markdown(
        f'<div style="border-left:6px solid {colour};padding-left:8px;font-weight:600">'
        f"{html.escape(title)}</div>",
        unsafe_allow_html=True,
    )
    st.caption(
        md_text(lang, "ui.timeline.leave", time=f"{day.leave:%H:%M}", place=name_of(day.start_id))
    )
    legs = list(day.legs)
    lunch_shown = day.lunch is None
    if not day.stops:
        st.caption(text(lang, "ui.timeline.no_stops"))
    for k, stop in enumerate(day.stops):
        if not lunch_shown and day.lunch is not None and day.lunch <= stop.arrive:
            st.caption(
                text(lang, "ui.timeline.lunch", time=f"{day.lunch:%H:%M}", minutes=lunch_min)
            )
            lunch_shown = True
        if k < len(legs):
            st.caption(_leg_line(legs[k], lang, name_of))
        _render_stop(day_no, k, stop, first_number + k, n_days, day, lang, locked, actions, name_of)
    if not lunch_shown and day.lunch is not None:
        st.caption(text(lang, "ui.timeline.lunch", time=f"{day.lunch:%H:%M}", minutes=lunch_min))
    for leg in legs[len(day.stops) :]:
        st.caption(_leg_line(leg, lang, name_of))
    st.caption(
        md_text(lang, "ui.timeline.back", time=f"{day.back:%H:%M}", place=name_of(day.end_id))
        + " · "
        + text(lang, "ui.timeline.slack", minutes=day.slack_min)
    )


def _render_stop(
    day_no: int,
    k: int,
    stop: Stop,
    number: int,
    n_days: int,
    day: Day,
    lang: str,
    locked: Mapping[str, int],
    actions: StopActions | None,
    name_of: Callable[[str], str],
) -> None:
    with st.container(border=True, key=f"stop-{day_no}-{stop.site_id}"):
        head = md_text(
            lang, "ui.timeline.stop", n=number, name=site_name(stop.name_zh, stop.name_en, lang)
        )
        if stop.kind:
            head += f" · {md(label(lang, 'ui.kind', stop.kind))}"
        if locked.get(stop.site_id) == day_no:
            head += f" · {text(lang, 'ui.edit.locked')}"
        st.markdown(head)
        times = text(
            lang,
            "ui.timeline.times",
            arrive=f"{stop.arrive:%H:%M}",
            start=f"{stop.start:%H:%M}",
            depart=f"{stop.depart:%H:%M}",
            visit=stop.visit_min,
        )
        if stop.wait_min >= 1:
            times += text(lang, "ui.timeline.wait", minutes=stop.wait_min)
        st.caption(times)
        notes = [n.text(lang, md) for n in stop.notes if n.code != "stop.visit_source"]
        source = next((n for n in stop.notes if n.code == "stop.visit_source"), None)
        if source is not None:
            st.caption(source.text(lang, md))
        if notes:
            st.caption(" · ".join(notes))
        if actions is None:
            return
        with st.container(horizontal=True, gap="small"):
            sid = stop.site_id
            st.button(
                text(lang, "ui.edit.up"),
                key=f"up-{day_no}-{sid}",
                icon=":material/arrow_upward:",
                disabled=k == 0,
                on_click=actions.move,
                args=(day_no, k, -1),
                type="tertiary",
            )
            st.button(
                text(lang, "ui.edit.down"),
                key=f"down-{day_no}-{sid}",
                icon=":material/arrow_downward:",
                disabled=k == len(day.stops) - 1,
                on_click=actions.move,
                args=(day_no, k, 1),
                type="tertiary",
            )
            is_locked = locked.get(sid) == day_no
            st.button(
                text(lang, "ui.edit.unlock" if is_locked else "ui.edit.lock"),
                key=f"lock-{day_no}-{sid}",
                icon=":material/push_pin:",
                on_click=actions.lock,
                args=(sid, None if is_locked else day_no),
                type="tertiary",
            )
            for other in range(1, n_days + 1):
                if other != day_no:
                    st.button(
                        text(lang, "ui.edit.move", n=other),
                        key=f"move-{day_no}-{sid}-{other}",
                        icon=":material/swap_horiz:",
                        on_click=actions.lock,
                        args=(sid, other),
                        type="tertiary",
                    )
            st.button(
                text(lang, "ui.edit.skip"),
                key=f"skip-{day_no}-{sid}",
                icon=":material/block:",
                on_click=actions.skip,
                args=(sid,),
                type="tertiary",
            )
            st.button(
                text(lang, "ui.edit.card"),
                key=f"card-{day_no}-{sid}",
                icon=":material/info:",
                on_click=actions.card,
                args=(sid,),
                type="tertiary",
            )


# ----------------------------------------------------------------------------- site cards


def _facts(profile: queries.SiteProfile, key: str) -> str:
    return "; ".join(profile.facts.get(key, []))


def render_site_card(
    card: object,
    *,
    lang: str,
    name_of: Callable[[str], str],
    on_add: Callable[[str], None] | None,
    key: str,
) -> None:
    """A site's card: facts, heritage practised there, food and experience bases nearby,
    what visitors say (keywords, topics, sentiment), similar sites and quieter alternatives."""
    profile: queries.SiteProfile = card.profile  # type: ignore[attr-defined]
    near: queries.NearbyHeritage = card.near  # type: ignore[attr-defined]
    gems: Sequence[queries.SimilarSite] = card.gems  # type: ignore[attr-defined]
    site = profile.site
    none = text(lang, "ui.card.none")
    st.subheader(md(site_name(site.name_zh, site.name_en, lang)))
    county = next((a[1] for a in profile.areas if a[2] in ("county", "zone")), "")
    kind = md(label(lang, "ui.kind", site.kind))
    st.caption(f"{kind} · {md(county)}" if county else kind)
    rows = [
        ("ui.card.era", _facts(profile, "era")),
        ("ui.card.designation", _facts(profile, "designation")),
        ("ui.card.hours", _facts(profile, "opening_hours")),
        ("ui.card.ticket", _facts(profile, "ticket")),
    ]
    st.markdown("\n".join(f"- **{text(lang, k)}**: {md(v) if v else none}" for k, v in rows))

    here = [h for h in profile.heritage if h.via == "site"]
    area = [h for h in near.items if h.via == "area"]
    nearby = [h for h in near.items if h.via == "nearby"]
    st.markdown(f"**{text(lang, 'ui.card.heritage')}**")
    st.markdown(
        "\n".join(
            f"- {md(h.name_zh)} ({md(label(lang, 'ui.cat', h.category))}, "
            f"{md(label(lang, 'ui.rel', h.relation))})"
            for h in here
        )
        or none
    )
    st.markdown(f"**{text(lang, 'ui.card.area_heritage')}**")
    st.markdown(
        ", ".join(
            f"{md(h.name_zh)} ({md(label(lang, 'ui.cat', h.category))})"
            for h in _unique_items(area)
        )
        or none
    )
    foods = [h for h in nearby if h.category == "food"]
    st.markdown(f"**{text(lang, 'ui.card.foods')}**")
    st.markdown(
        ", ".join(
            f"{md(h.name_zh)} "
            f"({md_text(lang, 'ui.card.via_nearby', site=h.via_name, km=h.distance_km or 0)})"
            for h in _unique_items(foods)
        )
        or none
    )
    st.markdown(f"**{text(lang, 'ui.card.bases')}**")
    km = text(lang, "ui.unit.km")
    bases = [
        f"{md(name_of(b.site.id))} ({md(label(lang, 'ui.kind', b.site.kind))}, {b.km:.1f} {km})"
        for b in near.bases
    ]
    experience = [
        f"{md(h.name_zh)} "
        f"({md_text(lang, 'ui.card.via_nearby', site=h.via_name, km=h.distance_km or 0)})"
        for h in _unique_items(nearby)
        if h.category != "food"
    ]
    st.markdown("\n".join(f"- {x}" for x in [*bases, *experience]) or none)

    st.markdown(f"**{text(lang, 'ui.card.keywords')}**")
    if profile.keywords:
        st.markdown(" · ".join(f"{md(w)} ({s:.1f})" for w, s in profile.keywords))
    else:
        st.caption(text(lang, "ui.card.no_nlp"))
    if profile.topics:
        st.markdown(f"**{text(lang, 'ui.card.topics')}**")
        areas = {aid: name for aid, name, _ in profile.areas}
        for t in profile.topics[:4]:
            terms = ", ".join(md(w) for w, _ in t["terms"][:8])
            where = md(areas.get(t["subject"]) or name_of(t["subject"]))
            st.markdown(f"- {text(lang, 'ui.ins.topic', n=t['topic'])} ({where}): {terms}")
    if profile.sentiment:
        st.markdown(f"**{text(lang, 'ui.card.sentiment')}**")
        own = [s for s in profile.sentiment if s["subject"] == site.id]
        if not own:  # fall back to the site's county
            areas = {aid: name for aid, name, _ in profile.areas}
            own = profile.sentiment
            st.caption(", ".join(sorted({md(areas.get(s["subject"], s["subject"])) for s in own})))
        st.dataframe(
            [
                {
                    text(lang, "ui.ins.aspect"): label(lang, "ui.aspect", s["aspect"]),
                    text(lang, "ui.ins.mean"): round(float(s["score"]), 3),
                    text(lang, "ui.ins.clauses"): int(s["n"] or 0),
                }
                for s in own
            ],
            hide_index=True,
            column_config={
                text(lang, "ui.ins.mean"): st.column_config.ProgressColumn(
                    min_value=0.0, max_value=1.0, format="%.2f"
                )
            },
        )
    _similar_list("ui.card.similar", profile.similar, lang, name_of, on_add, f"{key}-sim", False)
    _similar_list("ui.card.gems", gems, lang, name_of, on_add, f"{key}-gem", True)


def _unique_items(items: Sequence[queries.HeritageHit]) -> list[queries.HeritageHit]:
    seen: dict[str, queries.HeritageHit] = {}
    for h in items:
        seen.setdefault(h.item_id, h)
    return list(seen.values())


def _similar_list(
    title: str,
    items: Sequence[queries.SimilarSite],
    lang: str,
    name_of: Callable[[str], str],
    on_add: Callable[[str], None] | None,
    key: str,
    show_popularity: bool,
) -> None:
    st.markdown(f"**{text(lang, title)}**")
    if not items:
        st.caption(text(lang, "ui.card.none"))
        return
    for s in items:
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            extra = text(lang, "ui.card.similarity", score=s.score)
            if show_popularity and s.popularity is not None:
                extra += " · " + text(lang, "ui.card.popularity", n=s.popularity)
                if s.reference_popularity is not None:
                    extra += f" (vs {s.reference_popularity:.0f})"
            st.markdown(f"{md(name_of(s.site.id))} · {extra}")
            if on_add is not None and s.site.has_coords:
                st.button(
                    text(lang, "ui.card.add"),
                    key=f"{key}-{s.site.id}",
                    icon=":material/add:",
                    on_click=on_add,
                    args=(s.site.id,),
                    type="tertiary",
                )


# ----------------------------------------------------------------------------- graph


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def neighbourhood_dot(  # noqa: C901
    card: object,
    *,
    lang: str,
    name_of: Callable[[str], str],
    keywords: bool,
    theme_names: Mapping[str, str] | None = None,
) -> str:
    """Graphviz DOT of the graph around a site: its areas and themes, heritage here and in its
    county, nearby bases, similar sites (dashed) and lesser-known alternatives (green)."""
    profile: queries.SiteProfile = card.profile  # type: ignore[attr-defined]
    near: queries.NearbyHeritage = card.near  # type: ignore[attr-defined]
    gems: Sequence[queries.SimilarSite] = card.gems  # type: ignore[attr-defined]
    me = profile.site
    theme_names = theme_names or {}
    lines = [
        "graph G {",
        '  graph [rankdir=LR, overlap=false, splines=true, bgcolor="transparent", '
        'fontname="sans-serif"];',
        '  node [fontname="sans-serif", fontsize=11];',
        '  edge [fontname="sans-serif", fontsize=9, color="#666666"];',
        f'  {_q("s:" + me.id)} [label={_q(name_of(me.id))}, shape=box, style="filled,bold", '
        'fillcolor="#f5d6d0"];',
    ]
    seen = {"s:" + me.id}

    def node(nid: str, text_: str, attrs: str) -> None:
        if nid not in seen:
            seen.add(nid)
            lines.append(f"  {_q(nid)} [label={_q(text_)}, {attrs}];")

    def edge(a: str, b: str, lab: str = "", attrs: str = "") -> None:
        extra = f"label={_q(lab)}" if lab else ""
        both = ", ".join(x for x in (extra, attrs) if x)
        lines.append(f"  {_q(a)} -- {_q(b)}" + (f" [{both}]" if both else "") + ";")

    for aid, name, level in profile.areas:
        if level == "province":
            continue
        node("a:" + aid, name, 'shape=box, style="rounded,filled", fillcolor="#eeeeee"')
        edge("s:" + me.id, "a:" + aid)
    for t in profile.facts.get("theme", []):
        name = theme_names.get(t, t)
        node("t:" + t, name, 'shape=box, style="rounded,filled", fillcolor="#fdebd0"')
        edge("s:" + me.id, "t:" + t)
    colours = {"food": "#d5f5e3", "ich": "#d6eaf8", "event": "#fcf3cf"}
    for h in _unique_items([*profile.heritage, *near.items])[:24]:
        nid = "h:" + h.item_id
        node(
            nid,
            h.name_zh,
            f'shape=ellipse, style=filled, fillcolor="{colours.get(h.category, "#ffffff")}"',
        )
        if h.via == "site":
            edge("s:" + me.id, nid, label(lang, "ui.rel", h.relation))
        elif h.via == "area":
            edge("a:" + h.via_id, nid, label(lang, "ui.rel", h.relation))
        else:
            node("s:" + h.via_id, name_of(h.via_id), "shape=box")
            edge("s:" + h.via_id, nid, label(lang, "ui.rel", h.relation))
            edge("s:" + me.id, "s:" + h.via_id, f"{h.distance_km or 0:.1f} km", "style=dotted")
    for b in near.bases:
        nid = "s:" + b.site.id
        if nid not in seen:
            node(nid, name_of(b.site.id), "shape=box")
            edge("s:" + me.id, nid, f"{b.km:.1f} km", "style=dotted")
    linked: set[str] = set()
    for g in gems:  # lesser-known alternatives first, so they keep their green fill
        nid = "s:" + g.site.id
        node(nid, name_of(g.site.id), 'shape=box, style=filled, fillcolor="#abebc6"')
        edge("s:" + me.id, nid, f"{g.score:.2f}", 'style=dashed, color="#1e8449"')
        linked.add(nid)
    for s in profile.similar:
        nid = "s:" + s.site.id
        if nid in linked:
            continue
        node(nid, name_of(s.site.id), "shape=box")
        edge("s:" + me.id, nid, f"{s.score:.2f}", "style=dashed")
    if keywords:
        for w, _ in profile.keywords[:8]:
            nid = "k:" + w
            node(nid, w, 'shape=plaintext, fontcolor="#7d3c98"')
            edge("s:" + me.id, nid, attrs='color="#d2b4de"')
    lines.append("}")
    return "\n".join(lines)


def paths_dot(paths: Sequence[queries.Connection]) -> str:
    """Graphviz DOT of connection paths (shared nodes merged)."""
    lines = [
        "digraph G {",
        '  graph [rankdir=LR, bgcolor="transparent"];',
        '  node [fontname="sans-serif", fontsize=11, shape=box, style=rounded];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]
    seen_nodes: set[str] = set()
    seen_edges: set[tuple[str, str, str]] = set()
    for path in paths:
        for node_id, lab in zip(path.nodes, path.labels, strict=True):
            if node_id not in seen_nodes:
                seen_nodes.add(node_id)
                lines.append(f"  {_q(node_id)} [label={_q(lab)}];")
        for (a, b), hop in zip(itertools.pairwise(path.nodes), path.hops, strict=True):
            e = (a, b, hop.relation_label)
            if e not in seen_edges:
                seen_edges.add(e)
                lab = hop.relation_label
                lab = lab if len(lab) <= 40 else lab[:39] + "…"
                lines.append(f"  {_q(a)} -> {_q(b)} [label={_q(lab)}];")
    lines.append("}")
    return "\n".join(lines)
