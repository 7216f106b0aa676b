"""What every part of the graph build shares: file names, the build error, the derivation
parameters and the helpers that turn values into canonical RDF literals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from common import settings
from common.errors import UserError
from kg import uris
from kg.names import has_cjk
from kg.namespaces import XSD

PROJECT_ROOT = settings.PROJECT_ROOT
ONTOLOGY_DIR = settings.ONTOLOGY_DIR
VOCABULARY_FILE = "heritage-routes.ttl"
THEMES_FILE = "themes.ttl"
SHAPES_FILE = "shapes.ttl"
AREAS_FILE = "areas.csv"
ITEMS_FILE = "heritage_items.csv"
LINKS_FILE = "heritage_links.csv"
WKT_CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
SF_POINT = URIRef("http://www.opengis.net/ont/sf#Point")
THEME_SCHEME = uris.scheme_uri("themes")
KEYWORD_SCHEME = uris.scheme_uri("keywords")


class KGBuildError(UserError, ValueError):
    """Inputs that cannot become a valid graph; ``problems`` lists each one, naming the row."""

    def __init__(self, problems: list[str], head: str = "cannot build the knowledge graph"):
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__("\n".join([f"{head} ({n} problem{'s' if n != 1 else ''}):", *problems]))


@dataclass(frozen=True)
class BuildParams:
    """Parameters of the derivations made while building (recorded in PROV and the manifest).

    Parameters
    ----------
    near_km
        Great-circle distances are stated for pairs of located sites at most this far apart.
    similarity_min
        Feature-similarity (Jaccard) links below this score are not stated.
    similarity_top_k
        At most this many feature-similarity links per site (the best ones).
    keyword_top_k
        Keywords kept per site/area from the NLP tables (``None``: all).
    topic_top_k
        Terms kept per topic.
    """

    near_km: float = 30.0
    similarity_min: float = 0.34
    similarity_top_k: int = 8
    keyword_top_k: int | None = 30
    topic_top_k: int = 10


BUILD_PARAMS = BuildParams()


def _split(value: str, sep: str = ";") -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(sep) if p.strip())


def _dec(x: float, places: int = 6) -> Literal:
    """A canonical xsd:decimal literal (fixed point, no trailing zeros, no exponent)."""
    d = Decimal(repr(round(float(x), places)))
    text = format(d.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)


def _int(x: int) -> Literal:
    return Literal(str(int(x)), datatype=XSD.integer)


def _zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def _text(text: str) -> Literal:
    """A literal for catalog free text: tagged @zh when it contains Chinese, else plain."""
    return Literal(text, lang="zh") if has_cjk(text) else Literal(text)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(settings.PROJECT_ROOT))
    except ValueError:
        return Path(path).name
