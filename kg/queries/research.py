"""Researchers' own SPARQL files, run with ``--bind name=value`` parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from kg import uris
from kg.namespaces import PREFIXES, XSD
from kg.store import KnowledgeGraph, QueryError

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
