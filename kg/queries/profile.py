"""Everything the graph says about one site: facts, areas, keywords, topics, sentiment,
heritage and similar sites."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import URIRef

from kg import uris
from kg.queries.heritage import heritage_near
from kg.queries.lookup import _f, _id, _label, _site
from kg.queries.results import SiteProfile, SiteRef
from kg.queries.similarity import similar_sites
from kg.store import KnowledgeGraph


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
