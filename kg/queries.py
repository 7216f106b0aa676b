"""The questions the planner, the app and researchers ask of the knowledge graph.

Every function takes a :class:`kg.store.KnowledgeGraph` first, then the entity it is about
(an id, a Chinese name or alias, or an IRI — see :func:`resolve`), then keyword-only options,
and returns plain dataclasses. The SPARQL lives in ``kg/queries/*.rq``; parameters are bound
with ``initBindings`` only (:meth:`kg.store.KnowledgeGraph.select`), so a name such as
``宝顶山" } UNION { ?s ?p ?o }`` is looked up as a name, never spliced into a query.

Functions
---------
sites_by(kg, *, theme=None, area=None, kind=None)
    Sites with a theme and/or inside an area (province → city → county).
heritage_near(kg, site, *, radius_km=10.0, include_province=False)
    Heritage items, foods, events and experience bases at, around, or near a site.
sites_within(kg, center, radius_km)
    Sites within R km of a site or a (lat, lon) point, with how each distance is known.
site_profile(kg, site, *, top_k=10, include_similar=True)
    Facts, areas, keywords (TF-IDF), topics (LDA), sentiment and heritage of one site.
similar_sites(kg, site, *, top_k=5) / hidden_gems(kg, site, *, top_k=5, min_score=0.3)
    Similar sites; and similar sites that are less popular (see below).
explain_connection(kg, a, b, *, max_paths=5, max_hops=6)
    Paths through the graph that connect two entities, most specific first.
run_query_file(kg, path, bindings)
    A researcher's own ``.rq`` file with ``--bind name=value`` parameters.

Popularity ("less visited") is a documented fact, never a guess: the number of corpus documents
mentioning the site when the NLP artifacts provide per-site document counts
(``corpus-mentions``); otherwise the rank of the site's highest designation
(``designation-level``: World Heritage 4, national 3, provincial 2, other titles 1, none 0).
Each result says which one it used.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from kg import uris
from kg.names import echo, normalize, rank_candidates
from kg.namespaces import HR, HRID, PREFIXES, SCHEMA, SKOS, XSD
from kg.store import KnowledgeGraph, QueryError, Row
from routing.geo import haversine_km

__all__ = [
    "BASE_KINDS",
    "Connection",
    "Entity",
    "HeritageHit",
    "Hop",
    "NearbyHeritage",
    "NearbySite",
    "SimilarSite",
    "SiteProfile",
    "SiteRef",
    "UnknownEntityError",
    "explain_connection",
    "heritage_near",
    "hidden_gems",
    "parse_binding",
    "resolve",
    "run_query_file",
    "similar_sites",
    "site_profile",
    "site_summaries",
    "sites_by",
    "sites_within",
    "theme_ids",
    "themes",
]

#: site kinds offered as "experience bases" and food/eco stops near a site
BASE_KINDS = frozenset({"ich_base", "exhibition_hall", "troupe", "agritourism"})
_KIND_OF_TYPE = {
    HR.Site: "site",
    HR.HeritageItem: "heritage",
    HR.AdministrativeArea: "area",
    HR.Line: "line",
    SKOS.Concept: "theme",
}
_DEFAULT_KIND_ORDER = ("site", "heritage", "area", "theme", "line")
_KM_PER_DEG_LAT = 111.2
VOCABULARY = Path(__file__).resolve().parents[1] / "data" / "ontology" / "heritage-routes.ttl"


# ============================================================================ results


@dataclass(frozen=True)
class SiteRef:
    """A site as list views show it."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    lat: float | None
    lon: float | None
    coord_confidence: str | None
    approximate: bool | None
    uncertainty_km: float | None
    visit_hours_min: float | None
    visit_hours_max: float | None
    popularity: float | None
    popularity_method: str | None

    @property
    def iri(self) -> URIRef:
        return uris.site_uri(self.id)

    @property
    def has_coords(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Entity:
    """A resolved name: the IRI, what it is (site, heritage, area, theme, line) and its id."""

    iri: URIRef
    kind: str
    id: str
    name_zh: str


@dataclass(frozen=True)
class NearbySite:
    """Another site near a centre, with how its distance is known.

    ``straight_km`` is the great-circle distance between catalog coordinates (``approximate``
    when either point is derived); ``documented_km`` is the shortest documented distance
    (report table / published figure) with its ``documented_kind`` and ``source``.
    """

    site: SiteRef
    straight_km: float | None
    approximate: bool
    documented_km: float | None = None
    documented_kind: str | None = None
    source: str | None = None

    @property
    def km(self) -> float:
        """The distance used for ordering: documented when known, else straight-line."""
        if self.documented_km is not None:
            return self.documented_km
        return self.straight_km if self.straight_km is not None else math.inf


@dataclass(frozen=True)
class HeritageHit:
    """A heritage item found for a site, and why.

    ``via`` is ``"site"`` (linked to the site itself), ``"area"`` (its home area contains the
    site) or ``"nearby"`` (linked to a site ``distance_km`` away).
    """

    item_id: str
    name_zh: str
    category: str
    relation: str
    via: str
    via_id: str
    via_name: str
    source: str
    distance_km: float | None = None


@dataclass(frozen=True)
class NearbyHeritage:
    """Result of :func:`heritage_near`."""

    site: SiteRef
    items: list[HeritageHit]
    bases: list[NearbySite]

    def foods(self) -> list[HeritageHit]:
        return [h for h in self.items if h.category == "food"]


@dataclass(frozen=True)
class SimilarSite:
    """A site similar to another one."""

    site: SiteRef
    score: float
    method: str
    popularity: float | None
    popularity_method: str | None
    reference_popularity: float | None = None


@dataclass
class SiteProfile:
    """Everything the graph says about one site."""

    site: SiteRef
    areas: list[tuple[str, str, str]]
    facts: dict[str, list[str]]
    keywords: list[tuple[str, float]]
    area_keywords: dict[str, list[tuple[str, float]]]
    topics: list[dict[str, Any]]
    sentiment: list[dict[str, Any]]
    heritage: list[HeritageHit]
    similar: list[SimilarSite] = field(default_factory=list)


@dataclass(frozen=True)
class Hop:
    """One step of a connection: ``source --relation--> target`` (as stated in the graph)."""

    source: str
    source_label: str
    relation: str
    relation_label: str
    target: str
    target_label: str

    def text(self) -> str:
        return f"{self.source_label} —{self.relation_label}→ {self.target_label}"


@dataclass(frozen=True)
class Connection:
    """A path between two entities; ``cost`` grows with length and with the hubs it crosses."""

    cost: float
    nodes: tuple[str, ...]
    labels: tuple[str, ...]
    hops: tuple[Hop, ...]

    def text(self) -> str:
        return "; ".join(h.text() for h in self.hops)


class UnknownEntityError(LookupError):
    """A name that matches no entity (or several equally well)."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, ambiguous: bool = False):
        self.name = name
        self.suggestions = list(suggestions)
        what = "ambiguous name" if ambiguous else "unknown name"
        msg = f"{what} {echo(name)}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions) + "?"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


# ============================================================================ helpers


def _f(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, Decimal | int | float):
        return float(x)
    try:
        return float(str(x))
    except ValueError:
        return None


def _dec(x: float) -> Literal:
    return Literal(format(Decimal(repr(float(x))), "f"), datatype=XSD.decimal)


def _id(iri: Any) -> str:
    return uris.id_from_uri(iri)


def site_summaries(kg: KnowledgeGraph) -> dict[str, SiteRef]:
    """All sites by id (one query per graph, cached)."""

    def load() -> dict[str, SiteRef]:
        fields: dict[Any, dict[str, Any]] = defaultdict(dict)
        for r in kg.select("site_summaries", raw=True):
            d = fields[r.site]
            for k, v in r.values.items():
                if v is None or k == "site":
                    continue
                if k == "label":
                    d.setdefault("name_zh" if v.language == "zh" else "name_en", str(v))
                else:
                    d[k] = v.toPython() if isinstance(v, Literal) else v
        out = {}
        for d in fields.values():
            sid = str(d["id"])
            out[sid] = SiteRef(
                id=sid,
                name_zh=d.get("name_zh", ""),
                name_en=d.get("name_en", ""),
                kind=str(d["kind"]),
                lat=_f(d.get("lat")),
                lon=_f(d.get("lon")),
                coord_confidence=str(d["confidence"]) if "confidence" in d else None,
                approximate=bool(d["approximate"]) if "approximate" in d else None,
                uncertainty_km=_f(d.get("uncertainty_km")),
                visit_hours_min=_f(d.get("visit_min")),
                visit_hours_max=_f(d.get("visit_max")),
                popularity=_f(d.get("popularity")),
                popularity_method=str(d["popularity_method"]) if "popularity_method" in d else None,
            )
        return dict(sorted(out.items()))

    return kg.memo("site_summaries", load)


def _entity_index(kg: KnowledgeGraph) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        keys: dict[str, dict[URIRef, int]] = defaultdict(dict)
        info: dict[URIRef, tuple[str, str]] = {}
        names: dict[URIRef, str] = {}
        rank = {"id": 3, "label": 2, "alias": 1}
        rows = kg.select("entity_index", raw=True)
        for r in rows:
            kind = _KIND_OF_TYPE.get(r.type) if r.type is not None else None
            if kind is not None:
                info[r.entity] = (kind, str(r.id))
        for r in rows:
            ent = r.entity
            if ent not in info:
                continue
            if r.type is not None:
                how, name = "id", str(r.id)
            elif r.label is not None:
                how, name = "label", str(r.label)
                if r.label.language == "zh":
                    names[ent] = name
            else:
                how, name = "alias", str(r.alias)
            key = normalize(name)
            if key:
                keys[key][ent] = max(keys[key].get(ent, 0), rank[how])
        fuzzy = [(k, str(e)) for k, ents in keys.items() for e in ents]
        return {"keys": keys, "info": info, "names": names, "fuzzy": fuzzy}

    return kg.memo("entity_index", load)


def resolve(
    kg: KnowledgeGraph, name: str | URIRef, *, kinds: Sequence[str] | None = None
) -> Entity:
    """Resolve an id, Chinese name, alias or IRI to an entity of the graph.

    Matching uses :func:`kg.names.normalize` (full-width, traditional characters, spacing).
    An id match beats a label match, which beats an alias match; among equal matches the
    first kind in ``kinds`` wins (default: site, heritage, area, theme, line).

    Raises
    ------
    UnknownEntityError
        No match, or several entities of one kind match equally well.
    """
    idx = _entity_index(kg)
    order = tuple(kinds) if kinds else _DEFAULT_KIND_ORDER
    text = str(name).strip()
    if text.startswith(str(HRID)):
        iri = URIRef(text)
        if iri in idx["info"] and idx["info"][iri][0] in order:
            kind, eid = idx["info"][iri]
            return Entity(iri, kind, eid, idx["names"].get(iri, ""))
        raise UnknownEntityError(text)
    cands = idx["keys"].get(normalize(text), {})
    cands = {e: r for e, r in cands.items() if idx["info"][e][0] in order}
    if cands:
        best = max(cands.values())
        top = [e for e, r in cands.items() if r == best]
        for kind in order:
            of_kind = sorted(e for e in top if idx["info"][e][0] == kind)
            if len(of_kind) == 1:
                e = of_kind[0]
                return Entity(e, kind, idx["info"][e][1], idx["names"].get(e, ""))
            if len(of_kind) > 1:
                raise UnknownEntityError(
                    text,
                    [f"{idx['names'].get(e, '')} ({idx['info'][e][1]})" for e in of_kind],
                    ambiguous=True,
                )
    fuzzy = [(k, e) for k, e in idx["fuzzy"] if idx["info"][URIRef(e)][0] in order]
    sugg = [
        f"{idx['names'].get(URIRef(e), '')} ({idx['info'][URIRef(e)][1]})"
        for e, _ in rank_candidates(text, fuzzy, 5)
    ]
    raise UnknownEntityError(text, sugg)


def _site(kg: KnowledgeGraph, site: str | SiteRef | URIRef) -> SiteRef:
    if isinstance(site, SiteRef):
        return site
    ent = resolve(kg, site, kinds=("site",))
    return site_summaries(kg)[ent.id]


# ============================================================================ sites by theme/area


def sites_by(
    kg: KnowledgeGraph,
    *,
    theme: str | None = None,
    area: str | None = None,
    kind: str | None = None,
) -> list[SiteRef]:
    """Sites with ``theme`` and/or inside ``area`` (at any depth), optionally of one ``kind``.

    Parameters
    ----------
    kg
        The graph.
    theme
        Theme id or label (``stone-carving``, ``石刻``).
    area
        Area id, name or alias (``安岳县``, ``安岳``, ``sichuan.ziyang.anyue``, ``四川省``).
    kind
        Catalog kind (``rock_carving`` …), filtered after the query.

    Returns
    -------
    list[SiteRef]
        Sorted by id. With neither theme nor area: all sites.
    """
    bindings: dict[str, URIRef] = {}
    if theme is not None:
        bindings["theme"] = resolve(kg, theme, kinds=("theme",)).iri
    if area is not None:
        bindings["area"] = resolve(kg, area, kinds=("area",)).iri
    summaries = site_summaries(kg)
    if theme is not None and area is not None:
        rows = kg.select("sites_by_theme_in_area", bindings)
    elif theme is not None:
        rows = kg.select("sites_by_theme", bindings)
    elif area is not None:
        rows = kg.select("sites_in_area", bindings)
    else:
        rows = [Row({"site": s.iri}) for s in summaries.values()]
    out = [summaries[_id(r.site)] for r in rows]
    if kind is not None:
        out = [s for s in out if s.kind == kind]
    return sorted(out, key=lambda s: s.id)


# ============================================================================ distances


def sites_within(
    kg: KnowledgeGraph,
    center: str | SiteRef | tuple[float, float],
    radius_km: float,
    *,
    include_documented: bool = True,
    include_towns: bool = False,
) -> list[NearbySite]:
    """Sites within ``radius_km`` of a site or a WGS-84 ``(lat, lon)`` point.

    A site is included when its great-circle distance from the centre (both points known) or
    a documented distance (the report's table, a published figure) is at most ``radius_km``.
    Approximate coordinates are flagged on each result.

    Returns
    -------
    list[NearbySite]
        Nearest first (documented distance when known, else straight-line).
    """
    if radius_km < 0 or not math.isfinite(radius_km):
        raise ValueError(f"radius_km must be a non-negative number, got {radius_km!r}")
    summaries = site_summaries(kg)
    if isinstance(center, tuple):
        lat, lon = float(center[0]), float(center[1])
        me: SiteRef | None = None
        my_approx = False
    else:
        me = _site(kg, center)
        lat, lon = (me.lat, me.lon) if me.has_coords else (None, None)  # type: ignore[assignment]
        my_approx = bool(me.approximate)
    found: dict[str, dict[str, Any]] = {}
    if lat is not None and lon is not None:
        dlat = radius_km / _KM_PER_DEG_LAT
        dlon = radius_km / (_KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
        rows = kg.select(
            "sites_in_box",
            {
                "lat_min": _dec(lat - dlat),
                "lat_max": _dec(lat + dlat),
                "lon_min": _dec(lon - dlon),
                "lon_max": _dec(lon + dlon),
            },
        )
        for r in rows:
            sid = _id(r.site)
            if me is not None and sid == me.id:
                continue
            km = haversine_km(lat, lon, float(r.lat), float(r.lon))
            if km <= radius_km:
                found[sid] = {"straight": km}
    if me is not None and include_documented:
        bindings = {"site": me.iri, "radius": _dec(radius_km)}
        for r in kg.select("documented_distances_from", bindings):
            sid = _id(r.other)
            d = found.setdefault(sid, {})
            km = float(r.km)
            if d.get("doc") is None or km < d["doc"]:
                d.update(doc=km, kind=str(r.kind), source=str(r.source or ""))
    out = []
    for sid, d in found.items():
        s = summaries[sid]
        if s.kind == "town" and not include_towns:
            continue
        straight = d.get("straight")
        if straight is None and s.has_coords and lat is not None and lon is not None:
            straight = haversine_km(lat, lon, s.lat, s.lon)  # type: ignore[arg-type]
        out.append(
            NearbySite(
                site=s,
                straight_km=round(straight, 3) if straight is not None else None,
                approximate=my_approx or bool(s.approximate),
                documented_km=d.get("doc"),
                documented_kind=d.get("kind"),
                source=d.get("source"),
            )
        )
    out.sort(key=lambda n: (n.km, n.site.id))
    return out


# ============================================================================ heritage near a site


@dataclass(frozen=True)
class _Item:
    id: str
    name_zh: str
    name_en: str
    category: str


def _items(kg: KnowledgeGraph) -> dict[str, _Item]:
    """Heritage items by IRI (one query per graph, cached)."""

    def load() -> dict[str, _Item]:
        out = {}
        for r in kg.select("heritage_summaries", raw=True):
            if _truth(r.is_event):
                cat = "event"
            elif _truth(r.is_food):
                cat = "food"
            else:
                cat = "ich" if _truth(r.is_ich) else "other"
            out[str(r.item)] = _Item(str(r.id), str(r.name_zh or ""), str(r.name_en or ""), cat)
        return out

    return kg.memo("heritage_items", load)


def _hit(
    it: _Item,
    relation: str,
    via: str,
    via_id: str,
    via_name: str,
    source: Any,
    km: float | None = None,
) -> HeritageHit:
    return HeritageHit(
        item_id=it.id,
        name_zh=it.name_zh,
        category=it.category,
        relation=relation,
        via=via,
        via_id=via_id,
        via_name=via_name,
        source=str(source),
        distance_km=km,
    )


def _truth(node: Any) -> bool:
    return node is not None and bool(node.toPython())


def _relation_name(iri: Any) -> str:
    return str(iri).rsplit("#", 1)[-1]


def heritage_near(
    kg: KnowledgeGraph,
    site: str | SiteRef,
    *,
    radius_km: float = 10.0,
    include_province: bool = False,
) -> NearbyHeritage:
    """Heritage items, foods, events and experience bases at or near a site.

    Items come from three documented relations, each reported with its source:

    * ``via="site"``: linked to the site itself (practised, performed, experienced … there);
    * ``via="area"``: the item's home area contains the site (county or city; the province
      too with ``include_province``);
    * ``via="nearby"``: linked to another site within ``radius_km`` (:func:`sites_within`).

    ``bases`` are the experience bases, exhibition halls, troupes and agritourism sites within
    ``radius_km``.
    """
    me = _site(kg, site)
    items = _items(kg)
    hits: list[HeritageHit] = []
    for r in kg.select("heritage_at_site", {"site": me.iri}):
        it = items[str(r.item)]
        rel = _relation_name(r.relation)
        hits.append(_hit(it, rel, "site", me.id, me.name_zh, r.source))
    for r in kg.select("heritage_in_site_area", {"site": me.iri}):
        if r.level == "province" and not include_province:
            continue
        it = items[str(r.item)]
        area = _label(kg, r.area)
        hits.append(_hit(it, "originatesIn", "area", str(r.area_id), area, r.source))
    nearby = sites_within(kg, me, radius_km) if radius_km > 0 else []
    for n in nearby:
        for r in kg.select("heritage_at_site", {"site": n.site.iri}):
            it = items[str(r.item)]
            rel = _relation_name(r.relation)
            hit = _hit(it, rel, "nearby", n.site.id, n.site.name_zh, r.source, round(n.km, 3))
            hits.append(hit)
    order = {"site": 0, "area": 1, "nearby": 2}
    hits.sort(key=lambda h: (order[h.via], h.distance_km or 0.0, h.item_id, h.via_id))
    bases = [n for n in nearby if n.site.kind in BASE_KINDS]
    return NearbyHeritage(me, hits, bases)


# ============================================================================ profile


def _label(kg: KnowledgeGraph, iri: Any) -> str:
    labels = kg.memo("labels", lambda: _load_labels(kg))
    return labels.get(str(iri), _id(iri) if str(iri).startswith(str(HRID)) else str(iri))


def _load_labels(kg: KnowledgeGraph) -> dict[str, str]:
    zh: dict[str, str] = {}
    other: dict[str, str] = {}
    for r in kg.select("entity_labels", raw=True):
        key = str(r.entity)
        if str(r.lang) == "zh":
            zh.setdefault(key, str(r.label))
        else:
            other.setdefault(key, str(r.label))
    return {**other, **zh}


def _keywords(kg: KnowledgeGraph, subject: URIRef, top_k: int) -> list[tuple[str, float]]:
    rows = kg.select("site_keywords", {"subject": subject})
    rows.sort(key=lambda r: (int(r.rank), str(r.term)))
    return [(_label(kg, r.term), float(r.weight)) for r in rows[:top_k]]


def site_profile(
    kg: KnowledgeGraph, site: str | SiteRef, *, top_k: int = 10, include_similar: bool = True
) -> SiteProfile:
    """Facts, areas, keyword / topic / sentiment profile and heritage of a site.

    Keywords, topics and sentiment exist only when the graph was built with NLP artifacts;
    ``area_keywords`` holds the destination-level keywords of the site's areas (the report's
    资阳 / 大足 tables are of that kind). ``include_similar`` adds :func:`similar_sites` (top 5).
    """
    me = _site(kg, site)
    facts: dict[str, list[str]] = defaultdict(list)
    for r in kg.select("site_facts", {"site": me.iri}):
        facts[str(r.field)].append(str(r.value))
    areas = []
    level_order = {"county": 0, "zone": 0, "prefecture": 1, "province": 2}
    for r in kg.select("site_areas", {"site": me.iri}):
        areas.append((str(r.id), _label(kg, r.area), str(r.level)))
    areas.sort(key=lambda a: (level_order.get(a[2], 3), a[0]))
    keywords = _keywords(kg, me.iri, top_k)
    area_keywords = {}
    for aid, _, _ in areas:
        kws = _keywords(kg, uris.area_uri(aid), top_k)
        if kws:
            area_keywords[aid] = kws
    topics: dict[str, dict[str, Any]] = {}
    subjects = [me.iri] + [uris.area_uri(a[0]) for a in areas]
    for subj in subjects:
        rows = kg.select("site_topics", {"subject": subj})
        rows.sort(key=lambda r: (-(_f(r.share) or 0.0), str(r.notation), int(r.term_rank)))
        for r in rows:
            t = topics.setdefault(
                str(r.topic),
                {
                    "topic": str(r.notation),
                    "subject": _id(subj),
                    "share": _f(r.share),
                    "terms": [],
                },
            )
            if len(t["terms"]) < top_k:
                t["terms"].append((_label(kg, r.term), float(r.term_weight)))
    sentiment = []
    for subj in subjects:
        by_aspect: dict[str, dict[str, Any]] = {}
        for r in kg.select("site_sentiment", {"subject": subj}):
            d = by_aspect.setdefault(
                str(r.aspect), {"aspect": str(r.aspect), "score": None, "n": None}
            )
            if r.score is not None:
                d["score"] = float(r.score)
            if r.n is not None:
                d["n"] = int(r.n)
        sentiment += [
            {**d, "subject": _id(subj)} for d in by_aspect.values() if d["score"] is not None
        ]
    return SiteProfile(
        site=me,
        areas=areas,
        facts=dict(facts),
        keywords=keywords,
        area_keywords=area_keywords,
        topics=list(topics.values()),
        sentiment=sentiment,
        heritage=heritage_near(kg, me, radius_km=0.0).items,
        similar=similar_sites(kg, me, top_k=5) if include_similar else [],
    )


# ============================================================================ similarity


def _similar_rows(
    rows: list[Row], kg: KnowledgeGraph, top_k: int, me: SiteRef
) -> list[SimilarSite]:
    summaries = site_summaries(kg)
    best: dict[str, SimilarSite] = {}
    for r in rows:
        sid = _id(r.other)
        other = summaries[sid]
        cand = SimilarSite(
            site=other,
            score=float(r.score),
            method=str(r.method),
            popularity=other.popularity,
            popularity_method=other.popularity_method,
            reference_popularity=me.popularity,
        )
        if sid not in best or cand.score > best[sid].score:
            best[sid] = cand
    out = sorted(best.values(), key=lambda s: (-s.score, s.popularity or 0.0, s.site.id))
    return out[:top_k]


def similar_sites(
    kg: KnowledgeGraph, site: str | SiteRef, *, top_k: int = 5, method: str | None = None
) -> list[SimilarSite]:
    """Sites most similar to ``site`` (all methods; or those whose method contains ``method``).

    Similarity comes from the NLP artifacts (text similarity) when present and always from
    catalog features (Jaccard over themes, kind, county, linked heritage and designation
    levels); a pair found by both keeps its best score.
    """
    me = _site(kg, site)
    rows = kg.select("similar_sites", {"site": me.iri})
    if method:
        rows = [r for r in rows if method in str(r.method)]
    return _similar_rows(rows, kg, top_k, me)


def hidden_gems(
    kg: KnowledgeGraph, site: str | SiteRef, *, top_k: int = 5, min_score: float = 0.3
) -> list[SimilarSite]:
    """Sites similar to ``site`` (score ≥ ``min_score``) but less popular than it.

    Popularity is corpus mentions when the graph was built with NLP document counts, else the
    designation level (see the module docstring); ``popularity_method`` says which.
    """
    me = _site(kg, site)
    rows = kg.select("hidden_gems", {"site": me.iri, "min_score": _dec(min_score)})
    return _similar_rows(rows, kg, top_k, me)


# ============================================================================ explanations


@lru_cache(maxsize=1)
def _relation_labels() -> dict[str, tuple[str, str]]:
    g = Graph().parse(VOCABULARY, format="turtle")
    out: dict[str, tuple[str, str]] = {}
    for p in set(g.subjects(RDFS.label, None)):
        zh = en = ""
        for lab in g.objects(p, RDFS.label):
            if isinstance(lab, Literal) and lab.language == "zh":
                zh = str(lab)
            elif isinstance(lab, Literal) and lab.language == "en":
                en = str(lab)
        out[str(p)] = (zh, en)
    out[str(SCHEMA.containedInPlace)] = ("位于", "lies in")
    out[str(SCHEMA.itinerary)] = ("途经", "visits")
    out[str(HR.theme)] = ("主题", "has theme")
    return out


def _relation_label(p: str) -> str:
    zh, en = _relation_labels().get(p, ("", ""))
    if zh and en:
        return f"{zh} / {en}"
    return zh or en or _short(p)


def _short(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)):
            return f"{prefix}:{iri[len(str(ns)) :]}"
    return iri


def _projection(kg: KnowledgeGraph, *, keywords: bool = False) -> nx.Graph:
    def load() -> nx.Graph:
        G = nx.Graph()
        # sorted, so that both stores build the same graph and break ties the same way
        edges = sorted((str(r.s), str(r.p), str(r.o)) for r in kg.select("graph_edges", raw=True))
        for s, p, o in edges:
            if s == o:
                continue
            rels = G.get_edge_data(s, o, {}).get("rels", [])
            rels.append((s, p, o, _relation_label(p)))
            G.add_edge(s, o, rels=rels)
        docs = sorted(
            (str(r.a), str(r.b), float(r.km.toPython()), str(r.kind), str(r.source))
            for r in kg.select("documented_distances", raw=True)
        )
        for a, b, km, kind, source in docs:
            label = f"距离 {km:g} km ({kind}; {source})"
            rels = G.get_edge_data(a, b, {}).get("rels", [])
            rels.append((a, str(HR.Distance), b, label))
            G.add_edge(a, b, rels=rels)
        if keywords:
            kws = sorted(
                (str(r.subject), str(r.term), float(r.weight.toPython()))
                for r in kg.select("keyword_edges", raw=True)
            )
            for a, b, weight in kws:
                label = f"关键词 / keyword (TF-IDF {weight:.2f})"
                rels = G.get_edge_data(a, b, {}).get("rels", [])
                rels.append((a, str(HR.KeywordWeight), b, label))
                G.add_edge(a, b, rels=rels)
        deg = dict(G.degree())
        for u, v, d in G.edges(data=True):
            d["w"] = 1.0 + 0.5 * (math.log(max(deg[u], 1)) + math.log(max(deg[v], 1)))
        return G

    return kg.memo(f"projection:{keywords}", load)


def explain_connection(
    kg: KnowledgeGraph,
    a: str | URIRef,
    b: str | URIRef,
    *,
    max_paths: int = 5,
    max_hops: int = 6,
    include_keywords: bool = False,
) -> list[Connection]:
    """How two entities (sites, heritage items, areas, themes, lines) are connected.

    The graph is projected onto its entity links (areas, themes, lines, heritage links,
    similarity, documented distances; with ``include_keywords`` also the TF-IDF keywords of
    sites and areas, so 安岳 and 大足 meet at 石刻; no types, literals or provenance).
    Paths are ranked by a cost of 1 per hop plus ``ln(degree)`` of each node crossed, so a
    path through a specific item (川剧) ranks above one through a hub (a province) of the
    same length. Up to
    ``max_paths`` simple paths of at most ``max_hops`` hops are returned, cheapest first
    (Yen's algorithm, :func:`networkx.shortest_simple_paths`).

    Returns
    -------
    list[Connection]
        Empty when the two entities are not connected within ``max_hops``.
    """
    ea, eb = resolve(kg, a), resolve(kg, b)
    if ea.iri == eb.iri:
        raise ValueError("the two entities are the same")
    G = _projection(kg, keywords=include_keywords)
    sa, sb = str(ea.iri), str(eb.iri)
    if sa not in G or sb not in G or not nx.has_path(G, sa, sb):
        return []
    out: list[Connection] = []
    for path in nx.shortest_simple_paths(G, sa, sb, weight="w"):
        if len(path) - 1 > max_hops:
            break
        hops = []
        cost = 0.0
        for u, v in itertools.pairwise(path):
            data = G[u][v]
            cost += data["w"]
            s, p, o, label = sorted(data["rels"])[0]
            hops.append(Hop(s, _label(kg, s), p, label, o, _label(kg, o)))
        out.append(
            Connection(
                cost=round(cost, 4),
                nodes=tuple(_id(n) if n.startswith(str(HRID)) else n for n in path),
                labels=tuple(_label(kg, n) for n in path),
                hops=tuple(hops),
            )
        )
        if len(out) >= max_paths:
            break
    return out


# ============================================================================ researchers' queries

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_SHORTHAND = re.compile(r"^(site|heritage|area|theme|line):([a-z0-9][a-z0-9_.-]*)$")


def parse_binding(value: str) -> URIRef | Literal:
    """Turn a ``--bind`` value into an RDF term (never into query text).

    ``<https://…>`` → IRI; ``site:baodingshan`` (also heritage:, area:, theme:, line:) → our
    IRI; ``prefix:local`` with a project prefix → IRI; ``42`` / ``3.5`` → xsd:integer /
    xsd:decimal; ``"text"@zh`` → tagged literal; anything else → plain string literal.
    """
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        return URIRef(v[1:-1])
    m = _SHORTHAND.match(v)
    if m:
        kind, ident = m.groups()
        maker = {
            "site": uris.site_uri,
            "heritage": uris.heritage_uri,
            "area": uris.area_uri,
            "theme": uris.theme_uri,
            "line": uris.line_uri,
        }[kind]
        return maker(ident)
    if ":" in v and not v.startswith('"'):
        prefix, _, local = v.partition(":")
        if prefix in PREFIXES and re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*$", local):
            return URIRef(str(PREFIXES[prefix]) + local)
    if _NUMBER.match(v):
        return Literal(v, datatype=XSD.decimal if "." in v else XSD.integer)
    m = re.match(r'^"(.*)"@([a-zA-Z-]+)$', v, re.S)
    if m:
        return Literal(m.group(1), lang=m.group(2))
    return Literal(v)


def run_query_file(
    kg: KnowledgeGraph, path: str | Path, bindings: Mapping[str, str] | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Run a researcher's SELECT query from a ``.rq`` file with bound parameters.

    The project prefixes (hr, schema, skos, geo, wgs, prov, dcterms …) are predeclared.
    Bound variables must appear in the SELECT clause (an Oxigraph requirement, checked here
    for both stores so a query behaves the same on each).

    Returns
    -------
    (variables, rows)
        Rows map variable names to Python values (IRIs as strings).
    """
    text = Path(path).read_text(encoding="utf-8")
    terms = {k: parse_binding(v) for k, v in (bindings or {}).items()}
    for k in terms:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", k):
            raise QueryError(f"bad variable name {k!r}")
        projected = re.search(rf"SELECT\b[^{{]*\?{k}\b", text, re.IGNORECASE | re.S)
        star = re.search(r"SELECT\s+(DISTINCT\s+|REDUCED\s+)?\*", text, re.IGNORECASE)
        if not projected and not star:
            raise QueryError(f"bound variable ?{k} must appear in the SELECT clause")
    variables, rows = kg.select_table(text if "\n" in text else text + "\n", terms)
    return variables, [
        {k: str(v) if isinstance(v, URIRef) else v for k, v in r.values.items()} for r in rows
    ]


# ============================================================================ themes


def themes(kg: KnowledgeGraph) -> list[tuple[str, str, str]]:
    """``(theme id, label_zh, label_en)`` of every theme some site has, sorted by id."""
    out = {}
    for r in kg.select("themes"):
        tid = _id(r.theme)
        out.setdefault(tid, (tid, str(r.label_zh or tid), str(r.label_en or tid)))
    return [out[k] for k in sorted(out)]


def theme_ids(kg: KnowledgeGraph) -> list[str]:
    """Ids of the themes some site has (``stone-carving``, ``sichuan-opera`` …)."""
    return [t[0] for t in themes(kg)]
