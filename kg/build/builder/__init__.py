"""The graph builder: one class assembled from a statement mixin per kind of entity
(:mod:`.places`, :mod:`.heritage`, :mod:`.distances`, :mod:`.corpus`, :mod:`.derived`) over
the shared state of :mod:`.base`, and :func:`build_graph`, the pure function around it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from rdflib import Graph

from kg.build.builder.corpus import CorpusStatements
from kg.build.builder.derived import DerivedStatements
from kg.build.builder.distances import DistanceStatements
from kg.build.builder.heritage import HeritageStatements
from kg.build.builder.places import PlaceStatements
from kg.build.builder.themes import ThemeStatements
from kg.build.core import BUILD_PARAMS, BuildParams, KGBuildError
from kg.build.inputs import _input_hashes
from kg.build.nlp_tables import NlpTables
from kg.build.records import (
    Area,
    HeritageItem,
    HeritageLink,
    default_paths,
    load_areas,
    load_heritage_items,
    load_heritage_links,
)

if TYPE_CHECKING:
    from kg.catalog import Catalog

__all__ = ["Builder", "build_graph"]

log = logging.getLogger("kg.build")


class Builder(
    PlaceStatements,
    ThemeStatements,
    HeritageStatements,
    DistanceStatements,
    CorpusStatements,
    DerivedStatements,
):
    """Builds one graph: :meth:`build` adds every kind of statement in a fixed order."""

    # ------------------------------------------------------------------ all
    def build(self) -> Graph:
        self.add_areas()
        self.add_themes()
        for s in sorted(self.catalog.sites.values(), key=lambda s: s.id):
            self.add_site(s)
        self.add_theme_members()
        self.add_items()
        self.add_links()
        self.add_lines()
        self.add_distances()
        self.add_nlp()
        self.add_feature_similarity()
        self.add_popularity()
        if self.problems:
            raise KGBuildError(self.problems)
        for w in self.warnings:
            log.warning("%s", w)
        return self.g


def build_graph(
    catalog: Catalog,
    items: Mapping[str, HeritageItem] | None = None,
    links: Iterable[HeritageLink] | None = None,
    areas: Mapping[str, Area] | None = None,
    *,
    nlp: NlpTables | None = None,
    params: BuildParams = BUILD_PARAMS,
    inputs: Mapping[str, str] | None = None,
    warnings: list[str] | None = None,
) -> Graph:
    """Build the knowledge graph (not yet validated; see :func:`kg.validate.validate_graph`).

    Parameters
    ----------
    catalog
        The loaded site catalog.
    items, links, areas
        Heritage items, heritage links and administrative areas; default: read from the
        catalog folder and ``data/ontology``.
    nlp
        Optional NLP tables; without them no keyword/topic/sentiment statements are made and
        popularity falls back to designation levels.
    params
        Parameters of the derivations (recorded in the PROV activities).
    inputs
        ``{input name: sha256}`` recorded as ``prov:used`` by the build's activities
        (default: the hashes of the catalog and ontology files).
    warnings
        If given, non-fatal remarks (e.g. NLP groups that match nothing) are appended to it.

    Returns
    -------
    rdflib.Graph

    Raises
    ------
    KGBuildError
        Naming every row that cannot be represented (unknown area, bad Wikidata id …).
    """
    data_dir = catalog.data_dir
    paths = default_paths(data_dir)
    items = load_heritage_items(paths["items"]) if items is None else items
    links = load_heritage_links(paths["links"]) if links is None else links
    areas = load_areas(paths["areas"]) if areas is None else areas
    if inputs is None:
        inputs = _input_hashes(paths, [])
    if nlp is not None:
        nlp = nlp.normalised()
    b = Builder(catalog, items, links, areas, nlp, params, inputs)
    g = b.build()
    if warnings is not None:
        warnings.extend(b.warnings)
    return g


# ============================================================================ serialisation
