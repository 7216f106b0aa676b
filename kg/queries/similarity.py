"""Sites similar to a site, and the less popular ones among them ("hidden gems")."""

from __future__ import annotations

from kg.queries.lookup import _dec, _id, _site, site_summaries
from kg.queries.results import SimilarSite, SiteRef
from kg.store import KnowledgeGraph, Row


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
