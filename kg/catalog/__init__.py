"""The site catalog: typed, validated access to ``data/catalog`` and site-name resolution.

``load_catalog()`` reads ``sites.csv`` (plus ``towns.csv`` and the national-unit tables of
:mod:`kg.units`), ``lines.yaml``, ``seed_distances.csv`` and ``published_distances.csv``,
validates everything and raises a single :class:`CatalogError` listing every problem as
``file:line: message``. Name resolution (ids, Chinese names, aliases, traditional characters,
pinyin, full-width input) is done by :class:`Catalog` with indexes built once at load time;
normalisation lives in :mod:`kg.names`.

Modules: :mod:`kg.catalog.model` (records, errors, :class:`Catalog`) and
:mod:`kg.catalog.loading` (reading and validating the files).
"""

from kg.catalog.loading import default_data_dir, load_catalog, site_count
from kg.catalog.model import (
    COORD_CONFIDENCE,
    DISTANCE_KINDS,
    SITE_COLUMNS,
    SITE_KINDS,
    THEMES,
    Catalog,
    CatalogError,
    Line,
    PublishedDistance,
    SeedEdge,
    Site,
    UnknownLineError,
    UnknownSiteError,
)

__all__ = [
    "COORD_CONFIDENCE",
    "DISTANCE_KINDS",
    "SITE_COLUMNS",
    "SITE_KINDS",
    "THEMES",
    "Catalog",
    "CatalogError",
    "Line",
    "PublishedDistance",
    "SeedEdge",
    "Site",
    "UnknownLineError",
    "UnknownSiteError",
    "default_data_dir",
    "load_catalog",
    "site_count",
]
