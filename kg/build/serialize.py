"""Deterministic Turtle and JSON-LD text of a built graph (same triples, same bytes)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from kg.namespaces import PREFIXES

_PN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_TURTLE_PREFIXES = [(p, str(ns)) for p, ns in PREFIXES.items() if p != "hrid"]


def _turtle_term(node: Any) -> str:
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, ns in _TURTLE_PREFIXES:
            if text.startswith(ns) and _PN_LOCAL.match(text[len(ns) :]):
                return f"{prefix}:{text[len(ns) :]}"
        return f"<{text}>"
    if isinstance(node, Literal):
        if node.datatype is not None and node.language is None:
            dt = _turtle_term(URIRef(node.datatype))
            return Literal(str(node)).n3() + "^^" + dt
        return node.n3()
    raise ValueError(f"blank nodes are not allowed in the published graph: {node!r}")


def serialize_turtle(g: Graph) -> str:
    """Deterministic Turtle: subjects, predicates (``a`` first) and objects in sorted order.

    Only IRIs and literals occur (the builder makes no blank nodes), so the text depends only
    on the set of triples: building twice, or re-parsing and serialising again, gives the same
    bytes. Written directly rather than through rdflib's pretty-printers, whose cost grows
    faster than linearly with the graph (minutes at 400k triples).
    """
    by_subject: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    memo: dict[Any, str] = {RDF.type: "a"}

    def term(node: Any) -> str:
        text = memo.get(node)
        if text is None:
            text = memo[node] = _turtle_term(node)
        return text

    for s, p, o in g:
        by_subject[term(s)][term(p)].append(term(o))
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in sorted(_TURTLE_PREFIXES)]
    for subj in sorted(by_subject):
        lines.append("")
        lines.append(subj)
        preds = by_subject[subj]
        for pred in sorted(preds, key=lambda x: (x != "a", x)):
            objs = sorted(set(preds[pred]))
            if len(objs) == 1:
                lines.append(f"    {pred} {objs[0]} ;")
            else:
                lines.append(f"    {pred}")
                lines.extend(f"        {o} ," for o in objs[:-1])
                lines.append(f"        {objs[-1]} ;")
        lines.append(".")
    return "\n".join(lines) + "\n"


def _sort_jsonld(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sort_jsonld(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_sort_jsonld(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def serialize_jsonld(g: Graph) -> str:
    """Deterministic JSON-LD: compacted with the project prefixes, nodes and values sorted."""
    context = {p: str(ns) for p, ns in PREFIXES.items()}
    raw = g.serialize(format="json-ld", context=context, auto_compact=False)
    data = json.loads(raw)
    if isinstance(data, list):
        data = {"@context": context, "@graph": data}
    graph_nodes = data.get("@graph", [])
    if isinstance(graph_nodes, dict):
        graph_nodes = [graph_nodes]
    ordered = {
        "@context": context,
        "@graph": sorted(
            (_sort_jsonld(n) for n in graph_nodes), key=lambda n: str(n.get("@id", ""))
        ),
    }
    return json.dumps(ordered, ensure_ascii=False, indent=1) + "\n"


# ============================================================================ run_build
