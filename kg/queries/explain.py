"""How two entities are connected: ranked paths through the graph's entity links."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from common import settings
from kg.namespaces import HR, HRID, PREFIXES, SCHEMA
from kg.queries.lookup import _id, _label, resolve
from kg.queries.results import Connection, Hop
from kg.store import KnowledgeGraph, QueryError

VOCABULARY = settings.ONTOLOGY_DIR / "heritage-routes.ttl"


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
        raise QueryError("the two entities are the same")
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
