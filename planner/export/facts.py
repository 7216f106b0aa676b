"""What the exports print about a plan, gathered once from the catalog, hours and graph.

:func:`collect` turns an :class:`~planner.model.Itinerary` into :class:`ExportData`: every
place the plan touches (stops, lodging towns, the sites a leg's distance passes through)
with its WGS-84 position and how well it is known, and, per stop, the facts a brochure card
shows — era and designations from the catalog, the heritage practised at the site and in its
county, local food and experience bases nearby from the knowledge graph, the opening hours on
the visit's date from ``data/catalog/opening_hours.csv`` and the published ticket text.
Nothing is filled in: a missing fact stays empty and the layouts print
"unknown — check before going".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from common.geo import haversine_km
from planner import hours as hours_mod
from planner.export._io import ExportLookupError
from planner.messages import Message
from planner.model import Itinerary, Stop

if TYPE_CHECKING:
    from kg.catalog import Catalog
    from kg.store import KnowledgeGraph

__all__ = [
    "ExportData",
    "HoursFact",
    "LineInfo",
    "Place",
    "StopFacts",
    "collect",
    "resolve_line",
]

_GENERIC_THEMES = frozenset({"classic"})


@dataclass(frozen=True)
class Place:
    """A point of the plan (a stop, a lodging town or a via site), WGS-84."""

    id: str
    name_zh: str
    name_en: str = ""
    lat: float | None = None
    lon: float | None = None
    coord_confidence: str = ""
    uncertainty_km: float | None = None
    kind: str = ""
    address: str = ""

    @property
    def has_coords(self) -> bool:
        """True if both latitude and longitude are known."""
        return self.lat is not None and self.lon is not None

    @property
    def approx(self) -> bool:
        """True if the position was derived rather than sourced."""
        return self.coord_confidence == "approx"

    def name(self, lang: str) -> str:
        """English name when ``lang == "en"`` and one exists, else the Chinese name."""
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class HoursFact:
    """Opening status on one date (``open``, ``closed`` or ``unknown``) and its caveats."""

    date: dt.date
    status: str
    open: str | None = None
    close: str | None = None
    notes: tuple[Message, ...] = ()
    published: str = ""


@dataclass(frozen=True)
class StopFacts:
    """What a stop card shows; empty fields are unknown, never guessed."""

    site_id: str
    era: str = ""
    designations: tuple[str, ...] = ()
    heritage_here: tuple[str, ...] = ()
    heritage_area: tuple[str, ...] = ()
    heritage_nearby: tuple[tuple[str, str, float], ...] = ()
    foods: tuple[str, ...] = ()
    bases: tuple[tuple[str, str, float], ...] = ()
    hours: HoursFact | None = None
    ticket: str = ""
    from_graph: bool = False


@dataclass(frozen=True)
class LineInfo:
    """A built-in line as an export title: its names, the theme it plans and a start town."""

    id: str
    name_zh: str
    name_en: str
    theme: str
    start: str


@dataclass(frozen=True)
class ExportData:
    """An itinerary plus everything the exports need to print it."""

    itinerary: Itinerary
    places: dict[str, Place]
    facts: dict[str, StopFacts] = field(default_factory=dict)
    line: LineInfo | None = None
    mode_names: dict[str, str] = field(default_factory=dict)
    near_km: float = 15.0
    #: (from, to) → the leg's road geometry, (lat, lon) (planner.roads.plan_geometries)
    road_lines: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)

    def place(self, site_id: str) -> Place:
        """The place ``site_id``; an id unknown to the catalog gets a name-only place."""
        return self.places.get(site_id) or Place(site_id, site_id)

    def stop_place(self, stop: Stop) -> Place:
        """A stop as a place (the stop's own coordinates win over the catalog's)."""
        base = self.places.get(stop.site_id)
        return Place(
            id=stop.site_id,
            name_zh=stop.name_zh,
            name_en=stop.name_en,
            lat=stop.lat,
            lon=stop.lon,
            coord_confidence=stop.coord_confidence,
            uncertainty_km=base.uncertainty_km if base else None,
            kind=stop.kind or (base.kind if base else ""),
            address=base.address if base else "",
        )

    def day_chain(self, day_index: int, *, with_via: bool = False) -> list[Place]:
        """Places of a day in travel order: start town, stops, night's town.

        With ``with_via`` the sites a leg's documented distance passes through are inserted
        between its ends (they are on the way, not visited).
        """
        day = self.itinerary.days[day_index]
        stops = {s.site_id: self.stop_place(s) for s in day.stops}
        ordered = [self.place(day.start_id), *stops.values(), self.place(day.end_id)]
        if not with_via:
            return ordered
        out = [ordered[0]]
        for leg in day.legs:
            out.extend(self.place(v) for v in leg.via)
            out.append(stops.get(leg.to_id) or self.place(leg.to_id))
        return out if len(day.legs) else ordered

    def day_line(self, day_index: int) -> list[tuple[float, float]]:
        """The day's line to draw, ``(lat, lon)``: each leg along its road geometry when the
        plan's road matrix has one, else straight through the leg's via sites."""
        day = self.itinerary.days[day_index]
        stops = {s.site_id: self.stop_place(s) for s in day.stops}
        out: list[tuple[float, float]] = []
        for leg in day.legs:
            seg = self.road_lines.get((leg.from_id, leg.to_id))
            if seg is None:
                ids = (leg.from_id, *leg.via, leg.to_id)
                places = [stops.get(x) or self.place(x) for x in ids]
                seg = [(float(p.lat), float(p.lon)) for p in places if p.has_coords]  # type: ignore[arg-type]
            out.extend(seg[1:] if out and seg and seg[0] == out[-1] else seg)
        if not day.legs:
            chain = self.day_chain(day_index)
            out = [(float(p.lat), float(p.lon)) for p in chain if p.has_coords]  # type: ignore[arg-type]
        return out

    def follows_roads(self, day_index: int) -> bool:
        """True if at least one leg of the day is drawn along its road geometry."""
        day = self.itinerary.days[day_index]
        return any((leg.from_id, leg.to_id) in self.road_lines for leg in day.legs)

    def title(self, lang: str) -> str:
        """The line's name, else the itinerary's title, in ``lang``."""
        if self.line is not None:
            return self.line.name_en if lang == "en" and self.line.name_en else self.line.name_zh
        return self.itinerary.title.text(lang)


def _address(site: Any) -> str:
    parts = [site.province, site.city, site.county, site.town]
    out: list[str] = []
    for p in parts:
        p = p.split(" (")[0].strip()
        if p and p not in out:
            out.append(p)
    return "".join(out)


def _place_from_site(site: Any) -> Place:
    return Place(
        id=site.id,
        name_zh=site.name_zh,
        name_en=site.name_en,
        lat=site.lat,
        lon=site.lon,
        coord_confidence=site.coord_confidence,
        uncertainty_km=site.coord_uncertainty_km,
        kind=site.kind,
        address=_address(site),
    )


def _ids_of(it: Itinerary) -> list[str]:
    ids: list[str] = []
    for d in it.days:
        ids.extend([d.start_id, d.end_id])
        ids.extend(s.site_id for s in d.stops)
        for leg in d.legs:
            ids.extend([leg.from_id, leg.to_id, *leg.via])
    return list(dict.fromkeys(ids))


def _hours_fact(rules: list[Any] | None, day: dt.date, published: str) -> HoursFact:
    h = hours_mod.hours_on(rules, day)
    fmt = "%H:%M"
    return HoursFact(
        date=day,
        status=h.status,
        open=h.open.strftime(fmt) if h.open else None,
        close=h.close.strftime(fmt) if h.close else None,
        notes=tuple(h.notes),
        published=published,
    )


def _graph_facts(kgraph: KnowledgeGraph, site_id: str, near_km: float) -> dict[str, Any]:
    from kg.queries import heritage_near

    found = heritage_near(kgraph, site_id, radius_km=near_km)
    here: list[str] = []
    area: list[str] = []
    nearby: list[tuple[str, str, float]] = []
    foods: list[str] = []
    seen_nearby: set[str] = set()
    for hit in found.items:
        if hit.category == "food":
            if hit.name_zh not in foods:
                foods.append(hit.name_zh)
            continue
        if hit.via == "site":
            if hit.name_zh not in here:
                here.append(hit.name_zh)
        elif hit.via == "area":
            if hit.name_zh not in area and hit.name_zh not in here:
                area.append(hit.name_zh)
        elif hit.item_id not in seen_nearby and hit.name_zh not in here:
            seen_nearby.add(hit.item_id)
            nearby.append((hit.name_zh, hit.via_name, round(float(hit.distance_km or 0.0), 1)))
    bases = tuple(
        (b.site.name_zh, b.site.name_en, round(float(b.km), 1))
        for b in found.bases
        if b.site.id != site_id
    )
    return {
        "heritage_here": tuple(here),
        "heritage_area": tuple(area),
        "heritage_nearby": tuple(nearby),
        "foods": tuple(foods),
        "bases": bases,
    }


def collect(
    it: Itinerary,
    *,
    catalog: Catalog | None = None,
    kgraph: KnowledgeGraph | None = None,
    hours_rules: dict[str, list[Any]] | None = None,
    line: LineInfo | None = None,
    near_km: float = 15.0,
    with_facts: bool = True,
) -> ExportData:
    """Gather the places and stop facts of ``it``.

    Parameters
    ----------
    it
        The plan.
    catalog
        The site catalog (default :func:`kg.catalog.load_catalog`); gives the lodging towns'
        positions, eras, designations and ticket texts.
    kgraph
        The knowledge graph for heritage, food and experience bases; without it those card
        rows say the graph was not loaded.
    hours_rules
        Opening-hours rules (default :func:`planner.hours.load_hours`).
    line
        The built-in line the plan follows (for the title), if any.
    near_km
        Radius for "nearby" heritage and experience bases.
    with_facts
        ``False`` for the map/GPS formats, which need places only.
    """
    if catalog is None:
        from kg.catalog import load_catalog

        catalog = load_catalog()
    places: dict[str, Place] = {}
    for sid in _ids_of(it):
        site = catalog.sites.get(sid)
        if site is not None:
            places[sid] = _place_from_site(site)
    facts: dict[str, StopFacts] = {}
    if with_facts:
        if hours_rules is None:
            hours_rules = hours_mod.load_hours(known_sites=set(catalog.sites))
        for day in it.days:
            for stop in day.stops:
                site = catalog.sites.get(stop.site_id)
                graph = _graph_facts(kgraph, stop.site_id, near_km) if kgraph else {}
                facts[stop.site_id] = StopFacts(
                    site_id=stop.site_id,
                    era=site.era if site else "",
                    designations=site.designations if site else (),
                    hours=_hours_fact(
                        hours_rules.get(stop.site_id),
                        stop.start.date(),
                        site.opening_hours if site else "",
                    ),
                    ticket=site.ticket_cny if site else "",
                    from_graph=kgraph is not None,
                    **graph,
                )
    from planner.themes import load_planning

    transport = load_planning().get("transport", {})
    modes = {m: str(v.get("name_zh", m)) for m, v in transport.items()}
    from planner.roads import plan_geometries

    return ExportData(
        itinerary=it,
        places=places,
        facts=facts,
        line=line,
        mode_names=modes,
        near_km=near_km,
        road_lines=plan_geometries(it),
    )


def resolve_line(catalog: Catalog, name: str) -> LineInfo:
    """A built-in line (or a bare theme id) as an export title, theme and start town.

    The theme is the one most of the line's sites carry (``classic`` only if nothing else);
    the start is the lodging town nearest the line's first site. A theme id that is not a
    line (``folk-crafts`` …) gets its own id as title and the first lodging town as start.

    Raises
    ------
    LookupError
        If ``name`` is neither a line nor a theme (the message lists both).
    """
    from kg.catalog import THEMES, UnknownLineError

    towns = [s for s in catalog.sites.values() if s.kind == "town" and s.has_coords]
    if not towns:
        raise ExportLookupError("the catalog has no lodging town with coordinates")
    try:
        ln = catalog.line(name)
    except UnknownLineError:
        if name in THEMES:
            return LineInfo(name, name, name, name, towns[0].id)
        raise ExportLookupError(
            f"unknown line {name!r}; lines: {', '.join(catalog.lines)}; "
            f"themes: {', '.join(sorted(THEMES))}"
        ) from None
    counts = Counter(t for sid in ln.sites for t in catalog.sites[sid].themes)
    specific = [(n, t) for t, n in counts.items() if t not in _GENERIC_THEMES]
    pool = specific or [(n, t) for t, n in counts.items()]
    if not pool:
        raise ExportLookupError(f"line {ln.id!r}: none of its sites has a theme")
    theme = sorted(pool, key=lambda x: (-x[0], x[1]))[0][1]
    first = catalog.sites[ln.start or ln.sites[0]]
    if first.has_coords:
        start = min(
            towns,
            key=lambda t: (haversine_km(first.lat, first.lon, t.lat, t.lon), t.id),  # type: ignore[arg-type]
        ).id
    else:
        start = towns[0].id
    return LineInfo(ln.id, ln.name_zh, ln.name_en, theme, start)
