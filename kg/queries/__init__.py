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

The functions live in modules by topic: :mod:`.results` (the dataclasses), :mod:`.lookup`
(summaries, :func:`resolve`, labels), :mod:`.sites`, :mod:`.heritage`, :mod:`.profile`,
:mod:`.similarity`, :mod:`.explain`, :mod:`.research` and :mod:`.themes`.
"""

from __future__ import annotations

from kg.queries.explain import explain_connection
from kg.queries.heritage import BASE_KINDS, heritage_near
from kg.queries.lookup import resolve, site_summaries
from kg.queries.profile import site_profile
from kg.queries.research import parse_binding, run_query_file
from kg.queries.results import (
    Connection,
    Entity,
    HeritageHit,
    Hop,
    NearbyHeritage,
    NearbySite,
    SimilarSite,
    SiteProfile,
    SiteRef,
    UnknownEntityError,
)
from kg.queries.similarity import hidden_gems, similar_sites
from kg.queries.sites import sites_by, sites_within
from kg.queries.themes import ThemeReason, theme_ids, theme_reasons, themes

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
    "ThemeReason",
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
    "theme_reasons",
    "themes",
]
