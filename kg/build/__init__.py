"""Build the heritage knowledge graph: catalog (+ NLP artifacts when present) → RDF.

:func:`build_graph` is a pure function of its inputs: the site catalog
(:func:`kg.catalog.load_catalog`), the heritage items, the curated heritage links and the
administrative areas, plus optional NLP tables (:class:`NlpTables`). It returns an
:class:`rdflib.Graph` whose IRIs are minted from ASCII ids only (:mod:`kg.uris`), whose labels
carry language tags, and whose derived statements (great-circle distances, similarity,
popularity, keywords, topics, sentiment) point at the PROV-O activity that produced them with
its stage, parameters and input hashes.

:func:`run_build` wraps it for the CLI: it hashes every input, skips the build when the
manifest shows the same inputs, validates with SHACL (:mod:`kg.validate`; a violation raises
:class:`~kg.validate.ShaclViolationError`), and writes ``graph.ttl``, ``graph.jsonld``,
``shacl_report.txt`` and ``manifest.json`` atomically.

Vocabulary decisions (see ``data/ontology/heritage-routes.ttl``):

* sites get ``hr:Site`` plus the hr: and schema.org classes of their kind, stated explicitly;
* coordinates: ``wgs:lat``/``wgs:long`` on the site and a GeoSPARQL ``geo:Geometry`` (CRS84
  WKT) carrying ``hr:coordinateConfidence``, ``hr:isApproximate``, uncertainty and method;
* areas: ``schema:containedInPlace`` from site to county to prefecture to province, with ASCII
  ids from ``data/ontology/areas.csv``;
* heritage links are stated directly (``hr:practisedAt`` …) and as ``hr:HeritageLink`` nodes
  with ``dcterms:source``;
* popularity is the number of corpus documents that mention a site when the NLP artifacts give
  per-site document counts (``corpus-mentions``), else the rank of the site's highest
  designation level (``designation-level``: World Heritage 4, national 3, provincial 2,
  prefecture / A-level scenic area / other title 1, none 0).

The package is split by job:

* :mod:`kg.build.core` — file names, :class:`KGBuildError`, :class:`BuildParams`, literal helpers;
* :mod:`kg.build.records` — the areas, heritage-item and heritage-link CSV files;
* :mod:`kg.build.designations` — designation texts → protection levels, years, batches;
* :mod:`kg.build.nlp_tables` — the NLP pipeline's tables and their provenance;
* :mod:`kg.build.builder` — the builder, one mixin per kind of entity, and :func:`build_graph`;
* :mod:`kg.build.serialize` — deterministic Turtle and JSON-LD;
* :mod:`kg.build.inputs` and :mod:`kg.build.runner` — input hashes and :func:`run_build`.
"""

from __future__ import annotations

from kg.build.builder import build_graph
from kg.build.core import BUILD_PARAMS, BuildParams, KGBuildError
from kg.build.designations import LEVEL_RANK, classify_designation, classify_item_level
from kg.build.nlp_tables import NlpTables, find_nlp_tables, load_nlp_tables
from kg.build.records import (
    Area,
    HeritageItem,
    HeritageLink,
    default_paths,
    load_areas,
    load_heritage_items,
    load_heritage_links,
)
from kg.build.runner import BuildResult, run_build
from kg.build.serialize import serialize_jsonld, serialize_turtle

__all__ = [
    "BUILD_PARAMS",
    "LEVEL_RANK",
    "Area",
    "BuildParams",
    "BuildResult",
    "HeritageItem",
    "HeritageLink",
    "KGBuildError",
    "NlpTables",
    "build_graph",
    "classify_designation",
    "classify_item_level",
    "default_paths",
    "find_nlp_tables",
    "load_areas",
    "load_heritage_items",
    "load_heritage_links",
    "load_nlp_tables",
    "run_build",
    "serialize_jsonld",
    "serialize_turtle",
]
