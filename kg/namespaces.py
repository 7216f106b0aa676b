"""Namespaces of the heritage knowledge graph, defined once and bound the same way everywhere.

Our own terms live under :data:`HR` (``https://w3id.org/heritage-routes/ontology#``) and our
entities under :data:`HRID` (``https://w3id.org/heritage-routes/id/``). The vocabulary file
``data/ontology/heritage-routes.ttl`` aligns every ``hr:`` class and property with schema.org,
SKOS, W3C WGS84 / OGC GeoSPARQL and PROV-O. The ``w3id.org`` redirect is not registered yet;
the IRIs are nevertheless stable because they are minted only from ASCII ids
(see :mod:`kg.uris`).
"""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

__all__ = [
    "DCTERMS",
    "GEO",
    "HR",
    "HRID",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SH",
    "SKOS",
    "WGS",
    "WIKIDATA",
    "XSD",
    "bind_prefixes",
    "new_graph",
]

BASE = "https://w3id.org/heritage-routes/"
HR = Namespace(BASE + "ontology#")
HRID = Namespace(BASE + "id/")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SH = Namespace("http://www.w3.org/ns/shacl#")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")

#: Prefix → namespace, in the order they are written to Turtle and JSON-LD contexts.
PREFIXES: dict[str, Namespace] = {
    "hr": HR,
    "hrid": HRID,
    "schema": SCHEMA,
    "skos": Namespace(str(SKOS)),
    "geo": GEO,
    "wgs": WGS,
    "prov": Namespace(str(PROV)),
    "dcterms": Namespace(str(DCTERMS)),
    "owl": Namespace(str(OWL)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
    "sh": SH,
    "wd": WIKIDATA,
}


def bind_prefixes(g: Graph) -> Graph:
    """Bind the project prefixes on ``g`` (replacing rdflib's defaults) and return it."""
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


def new_graph(**kwargs: object) -> Graph:
    """A fresh :class:`rdflib.Graph` with only the project prefixes bound.

    ``bind_namespaces="none"`` keeps rdflib from adding its own default prefixes, so the
    serialised header is the same whatever the rdflib version.
    """
    g = Graph(bind_namespaces="none", **kwargs)  # type: ignore[arg-type]
    return bind_prefixes(g)
