"""Heritage items, foods, events and experience bases at, around or near a site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kg.queries.lookup import _label, _site
from kg.queries.results import HeritageHit, NearbyHeritage, SiteRef
from kg.queries.sites import sites_within
from kg.store import KnowledgeGraph

#: site kinds offered as "experience bases" and food/eco stops near a site
BASE_KINDS = frozenset({"ich_base", "exhibition_hall", "troupe", "agritourism"})


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
