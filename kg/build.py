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
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg import uris
from kg.names import has_cjk, normalize
from kg.namespaces import (
    DCTERMS,
    GEO,
    HR,
    HRID,
    OWL,
    PREFIXES,
    PROV,
    SCHEMA,
    SKOS,
    WGS,
    WIKIDATA,
    XSD,
    new_graph,
)
from routing.geo import haversine_km

if TYPE_CHECKING:
    import pandas as pd

    from kg.catalog import Catalog, Site

__all__ = [
    "BUILD_PARAMS",
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

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = PROJECT_ROOT / "data" / "ontology"
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


class KGBuildError(ValueError):
    """Inputs that cannot become a valid graph; ``problems`` lists each one, naming the row."""

    def __init__(self, problems: list[str], head: str = "cannot build the knowledge graph"):
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__("\n".join([f"{head} ({n} problem{'s' if n != 1 else ''}):", *problems]))


# ============================================================================ input records


@dataclass(frozen=True)
class Area:
    """An administrative area of ``data/ontology/areas.csv``."""

    id: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class HeritageItem:
    """A row of ``heritage_items.csv`` (intangible heritage, food or specialty, event)."""

    id: str
    name_zh: str
    kinds: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    name_en: str = ""
    kind_text: str = ""
    category: str = ""
    level: str = ""
    batch_year: str = ""
    home_area: str = ""
    protection_unit_or_locus: str = ""
    key_facts: str = ""
    confidence: str = ""
    sources: str = ""
    notes: str = ""


@dataclass(frozen=True)
class HeritageLink:
    """A row of ``heritage_links.csv``: an item linked to a site, an area or another item."""

    item_id: str
    relation: str
    source: str
    site_id: str = ""
    area: str = ""
    related_item: str = ""
    where: str = ""


#: relation code → (property, what the target is)
RELATIONS: dict[str, tuple[URIRef, str]] = {
    "practised_at": (HR.practisedAt, "site"),
    "performed_at": (HR.performedAt, "site"),
    "experienced_at": (HR.experiencedAt, "site"),
    "held_at": (HR.heldAt, "site"),
    "safeguarded_at": (HR.safeguardedAt, "site"),
    "showcased_at": (HR.showcasedAt, "site"),
    "originates_in": (HR.originatesIn, "area"),
    "school_of": (HR.schoolOf, "item"),
    "part_of": (HR.partOf, "item"),
    "performed_during": (HR.performedDuring, "item"),
}

#: catalog kind → classes stated for the site (besides hr:Site)
SITE_KIND_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "rock_carving": (
        HR.RockCarvingSite,
        SCHEMA.TouristAttraction,
        SCHEMA.LandmarksOrHistoricalBuildings,
    ),
    "temple": (HR.TempleSite, SCHEMA.TouristAttraction, SCHEMA.PlaceOfWorship),
    "museum": (HR.MuseumSite, SCHEMA.TouristAttraction, SCHEMA.Museum),
    "exhibition_hall": (HR.ExhibitionHall, SCHEMA.TouristAttraction, SCHEMA.Museum),
    "park": (HR.ParkSite, SCHEMA.TouristAttraction, SCHEMA.Park),
    "old_town": (HR.OldTown, SCHEMA.TouristAttraction, SCHEMA.LandmarksOrHistoricalBuildings),
    "mountain": (HR.MountainSite, SCHEMA.TouristAttraction, SCHEMA.Mountain),
    "ich_base": (HR.ExperienceBase, SCHEMA.TouristAttraction),
    "troupe": (HR.Troupe, SCHEMA.TouristAttraction, SCHEMA.PerformingGroup),
    "agritourism": (HR.AgritourismSite, SCHEMA.TouristAttraction),
    "town": (HR.TownCentre, SCHEMA.Place),
}

#: heritage_items.csv kind token → classes
ITEM_KIND_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "ich": (HR.IntangibleHeritage,),
    "food": (HR.FoodSpecialty,),
    "gi": (HR.FoodSpecialty, HR.GeographicalIndication, SCHEMA.Product),
    "event": (HR.HeritageEvent, SCHEMA.Festival),
}

LEVEL_RANK: dict[URIRef, int] = {
    HR.WorldHeritage: 4,
    HR.NationalLevel: 3,
    HR.ProvincialLevel: 2,
    HR.PrefectureLevel: 1,
    HR.ScenicAreaRating: 1,
    HR.OtherTitle: 1,
    HR.UnverifiedLevel: 0,
}


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


# ============================================================================ small helpers


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


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return _sha256_bytes(Path(path).read_bytes())


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return Path(path).name


def _read_rows(
    path: Path, required: tuple[str, ...], problems: list[str]
) -> list[tuple[str, dict]]:
    where = _rel(path)
    if not path.exists():
        problems.append(f"{where}:0: file not found")
        return []
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"{where}:1: missing column(s): {', '.join(missing)}")
        return []
    out = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            out.append((f"{where}:{reader.line_num}", clean))
    return out


# ============================================================================ loaders


def default_paths(data_dir: str | Path | None = None) -> dict[str, Path]:
    """Where the inputs live: catalog folder, ontology folder, items, links and areas files."""
    from kg.catalog import default_data_dir

    catalog_dir = Path(data_dir) if data_dir else default_data_dir()
    if not (catalog_dir / "sites.csv").exists() and (catalog_dir / "catalog").exists():
        catalog_dir = catalog_dir / "catalog"
    return {
        "catalog": catalog_dir,
        "ontology": ONTOLOGY_DIR,
        "items": catalog_dir / ITEMS_FILE,
        "links": catalog_dir / LINKS_FILE,
        "areas": ONTOLOGY_DIR / AREAS_FILE,
    }


def load_areas(path: str | Path | None = None) -> dict[str, Area]:
    """Read ``areas.csv``; raise :class:`KGBuildError` on bad ids, levels or parents."""
    path = Path(path) if path else ONTOLOGY_DIR / AREAS_FILE
    problems: list[str] = []
    rows = _read_rows(path, ("id", "name_zh", "level", "parent"), problems)
    areas: dict[str, Area] = {}
    for where, r in rows:
        try:
            uris.check_id(r["id"], "area id")
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if r["id"] in areas:
            problems.append(f"{where}: duplicate area id {r['id']!r}")
            continue
        if r["level"] not in {"province", "prefecture", "county", "zone"}:
            problems.append(f"{where}: area {r['id']!r} has bad level {r['level']!r}")
        areas[r["id"]] = Area(
            id=r["id"],
            name_zh=r["name_zh"],
            name_en=r.get("name_en", ""),
            level=r["level"],
            parent=r["parent"] or None,
            aliases=_split(r.get("aliases", "")),
            source=r.get("source", ""),
        )
    for a in areas.values():
        if a.parent and a.parent not in areas:
            problems.append(f"{_rel(path)}: area {a.id!r} has unknown parent {a.parent!r}")
    if problems:
        raise KGBuildError(problems, "invalid areas table")
    return areas


def _item_kinds(text: str) -> tuple[str, ...] | None:
    tokens = [re.sub(r"\(.*?\)", "", t).strip().lower() for t in text.split("/")]
    kinds = tuple(t for t in tokens if t)
    if not kinds or any(t not in ITEM_KIND_CLASSES for t in kinds):
        return None
    return kinds


def load_heritage_items(path: str | Path | None = None) -> dict[str, HeritageItem]:
    """Read ``heritage_items.csv``; raise :class:`KGBuildError` naming every bad row."""
    path = Path(path) if path else default_paths()["items"]
    problems: list[str] = []
    rows = _read_rows(path, ("id", "name_zh", "kind"), problems)
    items: dict[str, HeritageItem] = {}
    for where, r in rows:
        iid = r["id"]
        try:
            uris.check_id(iid, "heritage item id")
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if iid in items:
            problems.append(f"{where}: duplicate heritage item id {iid!r}")
            continue
        if not r["name_zh"]:
            problems.append(f"{where}: heritage item {iid!r} has an empty name_zh")
        kinds = _item_kinds(r["kind"])
        if kinds is None:
            problems.append(
                f"{where}: heritage item {iid!r} has unknown kind {r['kind']!r} "
                "(expected tokens ICH, food, GI, event joined by '/')"
            )
            continue
        items[iid] = HeritageItem(
            id=iid,
            name_zh=r["name_zh"],
            kinds=kinds,
            aliases=_split(r.get("aliases", "")),
            name_en=r.get("name_en", ""),
            kind_text=r["kind"],
            category=r.get("category", ""),
            level=r.get("level", ""),
            batch_year=r.get("batch_year", ""),
            home_area=r.get("home_area", ""),
            protection_unit_or_locus=r.get("protection_unit_or_locus", ""),
            key_facts=r.get("key_facts", ""),
            confidence=r.get("confidence", ""),
            sources=r.get("sources", ""),
            notes=r.get("notes", ""),
        )
    if problems:
        raise KGBuildError(problems, "invalid heritage items")
    return items


def load_heritage_links(path: str | Path | None = None) -> list[HeritageLink]:
    """Read ``heritage_links.csv``. Targets are checked by SHACL after the build, not here.

    Exactly one of ``site_id``, ``area``, ``related_item`` must be filled, matching what the
    relation expects; every row needs a source.
    """
    path = Path(path) if path else default_paths()["links"]
    if not path.exists():
        return []
    problems: list[str] = []
    rows = _read_rows(
        path, ("item_id", "site_id", "area", "related_item", "relation", "source"), problems
    )
    links: list[HeritageLink] = []
    for where, r in rows:
        rel = r["relation"]
        if rel not in RELATIONS:
            problems.append(
                f"{where}: unknown relation {rel!r} (expected one of {', '.join(RELATIONS)})"
            )
            continue
        filled = [k for k in ("site_id", "area", "related_item") if r[k]]
        expected = {"site": "site_id", "area": "area", "item": "related_item"}[RELATIONS[rel][1]]
        if filled != [expected]:
            problems.append(
                f"{where}: relation {rel!r} of item {r['item_id']!r} needs exactly the "
                f"{expected} column filled (got: {', '.join(filled) or 'none'})"
            )
            continue
        if not r["source"]:
            problems.append(f"{where}: link of item {r['item_id']!r} has no source")
            continue
        links.append(
            HeritageLink(
                item_id=r["item_id"],
                relation=rel,
                source=r["source"],
                site_id=r["site_id"],
                area=r["area"],
                related_item=r["related_item"],
                where=where,
            )
        )
    if problems:
        raise KGBuildError(problems, "invalid heritage links")
    return links


# ============================================================================ classification


_YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_BATCH_RE = re.compile(r"第([一二三四五六七八九十\d]+)批")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text)


def classify_designation(text: str) -> tuple[URIRef, int | None, int | None]:
    """Level concept, year and batch of one designation text of ``sites.csv``.

    >>> classify_designation("全国重点文物保护单位 第三批 1988-01-13 (编号3-50)")[1:]
    (1988, 3)
    >>> str(classify_designation("国家AAAA级旅游景区")[0]).rsplit("#")[1]
    'ScenicAreaRating'
    """
    t = text.lower()
    if "world heritage" in t or "世界遗产" in text or "世界文化遗产" in text:
        level = HR.WorldHeritage
    elif "全国重点文物保护单位" in text or "national" in t or "国家级" in text:
        level = HR.NationalLevel
    elif re.search(r"省文保|省级|四川省|重庆市级|provincial", text, re.IGNORECASE):
        level = HR.ProvincialLevel
    elif re.search(r"A{1,5}级旅游景区", text):
        level = HR.ScenicAreaRating
    elif re.search(r"市级|city-level", text):
        level = HR.PrefectureLevel
    else:
        level = HR.OtherTitle
    year_m = _YEAR_RE.search(text)
    batch_m = _BATCH_RE.search(text)
    return (
        level,
        int(year_m.group(1)) if year_m else None,
        _cn_number(batch_m.group(1)) if batch_m else None,
    )


def classify_item_level(text: str) -> URIRef:
    """Protection level concept of a heritage item's ``level`` text (first match wins).

    >>> str(classify_item_level("Chongqing municipal (大足区市级非遗项目)")).rsplit("#")[1]
    'ProvincialLevel'
    >>> str(classify_item_level("NOT VERIFIED")).rsplit("#")[1]
    'UnverifiedLevel'
    """
    t = text.lower().strip()
    if not t or t.startswith(("not verified", "none found")):
        return HR.UnverifiedLevel
    if t.startswith("national") or "国家级" in text:
        return HR.NationalLevel
    if re.search(r"provincial|省级|chongqing municipal|重庆市级", t):
        return HR.ProvincialLevel
    if re.search(r"市级|city-level|city level", t):
        return HR.PrefectureLevel
    return HR.UnverifiedLevel
    if t.startswith("national") or "国家级" in text:
        return HR.NationalLevel
    if re.search(r"provincial|省级|chongqing municipal|重庆市级", t):
        return HR.ProvincialLevel
    if re.search(r"市级|city-level|city level", t):
        return HR.PrefectureLevel
    return HR.UnverifiedLevel


# ============================================================================ NLP tables


@dataclass
class NlpTables:
    """Optional corpus-derived tables (plain DataFrames) and where they came from.

    Column names (alternatives accepted in brackets):

    * ``keywords``: ``site_or_destination`` [``group``, ``site``, ``destination``], ``term``,
      ``weight`` [``tfidf_sum``, ``tfidf``, ``score``], optional ``rank``;
    * ``mentions``: ``site_or_destination`` [``group``, ``site``], ``n_docs`` [``n``,
      ``docs``] — documents per site, used for popularity;
    * ``topics``: ``topic_id`` [``topic``], ``term``, ``weight``, optional ``scope``
      [``group``, ``destination``];
    * ``site_topics``: ``site_or_destination`` [``group``, ``site``], ``topic_id``, ``weight``;
    * ``sentiment``: ``site`` [``group``, ``site_or_destination``], ``aspect``, ``score``,
      ``n`` [``n_docs``];
    * ``similar``: ``site_a``, ``site_b``, ``score``, optional ``method``.

    ``provenance`` maps a table name to ``{"stage", "key", "params", "corpus", "inputs"}``
    (from the NLP manifest); without it the table's content hash is the key.
    """

    keywords: pd.DataFrame | None = None
    mentions: pd.DataFrame | None = None
    topics: pd.DataFrame | None = None
    site_topics: pd.DataFrame | None = None
    sentiment: pd.DataFrame | None = None
    similar: pd.DataFrame | None = None
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)

    TABLES = ("keywords", "mentions", "topics", "site_topics", "sentiment", "similar")

    def present(self) -> list[str]:
        """Names of the tables that are given and non-empty."""
        return [t for t in self.TABLES if getattr(self, t) is not None and len(getattr(self, t))]

    def normalised(self) -> NlpTables:
        """A copy whose tables use the canonical column names (raises on a missing column)."""
        out = NlpTables(provenance=dict(self.provenance))
        for t in self.TABLES:
            df = getattr(self, t)
            if df is not None:
                setattr(out, t, _normalise_table(t, df))
        return out


_COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "keywords": {
        "subject": ("subject", "site_or_destination", "group", "site", "destination", "site_id"),
        "term": ("term", "word", "keyword"),
        "weight": ("weight", "tfidf_sum", "tfidf", "score"),
        "rank": ("rank",),
    },
    "mentions": {
        "subject": ("subject", "site_or_destination", "group", "site", "destination", "site_id"),
        "n_docs": ("n_docs", "n", "docs", "documents"),
    },
    "topics": {
        "topic_id": ("topic_id", "topic"),
        "term": ("term", "word"),
        "weight": ("weight", "prob", "probability", "score"),
        "scope": ("scope", "group", "destination", "site_or_destination"),
    },
    "site_topics": {
        "subject": ("subject", "site_or_destination", "group", "site", "destination", "site_id"),
        "topic_id": ("topic_id", "topic"),
        "weight": ("weight", "share", "prob", "probability"),
    },
    "sentiment": {
        "subject": ("subject", "site", "group", "site_or_destination", "destination", "site_id"),
        "aspect": ("aspect",),
        "score": ("score", "mean_score", "sentiment"),
        "n": ("n", "n_docs", "n_clauses", "count", "docs"),
    },
    "similar": {
        "a": ("site_a", "a", "site", "source"),
        "b": ("site_b", "b", "similar_site", "target"),
        "score": ("score", "combined", "similarity", "cosine"),
        "method": ("method",),
    },
}
_REQUIRED = {
    "keywords": ("subject", "term", "weight"),
    "mentions": ("subject", "n_docs"),
    "topics": ("topic_id", "term", "weight"),
    "site_topics": ("subject", "topic_id", "weight"),
    "sentiment": ("subject", "aspect", "score"),
    "similar": ("a", "b", "score"),
}


def _normalise_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Rename accepted column aliases to canonical names; raise if a required one is missing."""
    out = {}
    cols = {str(c).strip().lower(): c for c in df.columns}
    for canon, options in _COLUMN_ALIASES[name].items():
        for opt in options:
            if opt in cols:
                out[canon] = df[cols[opt]]
                break
    missing = [c for c in _REQUIRED[name] if c not in out]
    if missing:
        raise KGBuildError(
            [
                f"NLP table {name!r} lacks column(s) {', '.join(missing)} "
                f"(has {', '.join(map(str, df.columns))})"
            ],
            "invalid NLP artifacts",
        )
    import pandas as pd

    return pd.DataFrame(out)


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".json":
        return pd.read_json(path)
    return pd.read_csv(path, encoding="utf-8-sig")


_TABLE_FILES: dict[str, tuple[str, ...]] = {
    "keywords": ("keywords", "site_keywords", "destination_keywords"),
    "mentions": ("mentions", "site_mentions", "doc_counts"),
    "topics": ("topics",),
    "site_topics": ("site_topics", "group_topics"),
    "sentiment": ("sentiment",),
    "similar": ("similar", "site_similarity", "similar_sites"),
}

#: Files written by the project's NLP pipeline (``nlp/pipeline.py``), per stage folder:
#: file name → (table, fixed column values added to every row)
_PIPELINE_FILES: dict[str, tuple[str, dict[str, Any]]] = {
    "keywords_site.csv": ("keywords", {}),
    "keywords_destination.csv": ("keywords", {}),
    "groups_site.csv": ("mentions", {}),
    "topic_terms.csv": ("topics", {}),
    "aspect_sentiment.csv": ("sentiment", {}),
    "site_sentiment.csv": ("sentiment", {"aspect": "overall"}),
    "similarity.csv": ("similar", {"method": "tfidf+topic cosine (combined)"}),
}
NLP_STAGES = ("keywords", "topics", "sentiment", "similarity")
#: NLP group names that stand for the whole corpus, not a site or an area
CORPUS_WIDE_GROUPS = frozenset({"*", "all", "__all__", ""})


def _manifest(folder: Path) -> dict[str, Any]:
    mpath = folder / "manifest.json"
    if not mpath.exists():
        return {}
    try:
        return json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _provenance(folder: Path, table: str, files: list[Path]) -> dict[str, Any]:
    m = _manifest(folder)
    inputs = m.get("inputs", {}) if isinstance(m.get("inputs"), dict) else {}
    used = {f"nlp:{k}": str(v) for k, v in sorted(inputs.items()) if isinstance(v, str)}
    for f in files:
        used[_rel(f)] = sha256_file(f)
    info: dict[str, Any] = {
        "stage": f"nlp.{m['stage']}" if m.get("stage") else f"nlp.{table}",
        "params": m.get("params", {}),
        "used": used,
    }
    if m.get("key"):
        info["key"] = str(m["key"])
    if inputs.get("corpus"):
        info["corpus"] = {"artifact_key": inputs["corpus"]}
    return info


def _add_table(tables: NlpTables, name: str, df: pd.DataFrame, info: dict[str, Any]) -> None:
    import pandas as pd

    df = _normalise_table(name, df)
    old = getattr(tables, name)
    if old is not None:
        df = pd.concat([old, df], ignore_index=True)
        prev = tables.provenance.get(name, {})
        info = {**prev, "used": {**prev.get("used", {}), **info.get("used", {})}}
    setattr(tables, name, df)
    tables.provenance[name] = info


def _load_folder(folder: Path, tables: NlpTables) -> None:
    for f in sorted(folder.iterdir()):
        if not f.is_file():
            continue
        if f.name in _PIPELINE_FILES:
            name, extra = _PIPELINE_FILES[f.name]
            df = _read_table(f)
            for col, value in extra.items():
                df[col] = value
            _add_table(tables, name, df, _provenance(folder, name, [f]))
            continue
        if f.suffix not in {".parquet", ".csv", ".json"} or f.name == "manifest.json":
            continue
        for name, stems in _TABLE_FILES.items():
            if f.stem in stems:
                _add_table(tables, name, _read_table(f), _provenance(folder, name, [f]))


def load_nlp_tables(paths: Iterable[str | Path]) -> NlpTables:
    """Read NLP tables from artifact folders, an artifacts root, or single table files.

    * an artifacts root (``artifacts/nlp``): the latest complete folder of each NLP stage is
      used (:func:`find_nlp_tables`);
    * a stage folder (``artifacts/nlp/keywords/<key>/``): the pipeline's files
      (``keywords_site.csv``, ``groups_site.csv``, ``topic_terms.csv``,
      ``aspect_sentiment.csv``, ``site_sentiment.csv``, ``similarity.csv``) or generic ones
      named after a table (``keywords.csv``, ``similar.parquet`` …); its ``manifest.json``
      gives the stage, parameters and input keys recorded in PROV;
    * a file: a generic table recognised by its stem.
    """
    tables = NlpTables()
    for p in map(Path, paths):
        if p.is_dir() and not (p / "manifest.json").exists() and find_nlp_tables(p):
            for folder in find_nlp_tables(p):
                _load_folder(folder, tables)
        elif p.is_dir():
            _load_folder(p, tables)
        elif p.is_file():
            for name, stems in _TABLE_FILES.items():
                if p.stem in stems:
                    _add_table(tables, name, _read_table(p), _provenance(p.parent, name, [p]))
        else:
            raise KGBuildError([f"{p}: no such NLP artifact"], "invalid NLP artifacts")
    return tables


def find_nlp_tables(root: str | Path | None = None) -> list[Path]:
    """The latest complete folder (one with ``manifest.json``) of each NLP stage under ``root``.

    ``root`` defaults to ``artifacts/nlp``; stages are ``keywords``, ``topics``, ``sentiment``
    and ``similarity``. "Latest" is the manifest's ``created_utc`` (then its mtime).
    """
    from nlp.artifacts import latest_artifact

    root = Path(root) if root else PROJECT_ROOT / "artifacts" / "nlp"
    return [f for stage in NLP_STAGES if (f := latest_artifact(stage, root)) is not None]


# ============================================================================ the builder


class _Builder:
    def __init__(
        self,
        catalog: Catalog,
        items: Mapping[str, HeritageItem],
        links: Iterable[HeritageLink],
        areas: Mapping[str, Area],
        nlp: NlpTables | None,
        params: BuildParams,
        inputs: Mapping[str, str],
    ):
        self.catalog = catalog
        self.items = dict(items)
        self.links = list(links)
        self.areas = dict(areas)
        self.nlp = nlp
        self.params = params
        self.inputs = dict(inputs)
        self.g = new_graph()
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.area_index = self._area_index()
        self.site_area: dict[str, list[str]] = {}
        self._subjects: dict[str, tuple[str, str] | None] = {}

    # ------------------------------------------------------------------ helpers
    def add(self, s: URIRef, p: URIRef, o: Any) -> None:
        self.g.add((s, p, o))

    def _area_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for a in self.areas.values():
            for name in (a.id, a.name_zh, a.name_en, *a.aliases):
                key = normalize(name)
                if key:
                    index.setdefault(key, a.id)
        return index

    def resolve_area(self, name: str) -> str | None:
        """Area id for an id, Chinese name or alias (安岳, 安岳县, sichuan.ziyang.anyue)."""
        return self.area_index.get(normalize(name))

    def ancestors(self, area_id: str) -> list[str]:
        out = []
        cur = self.areas[area_id].parent
        while cur:
            out.append(cur)
            cur = self.areas[cur].parent
        return out

    def activity(self, stage: str, params: Mapping[str, Any], used: Mapping[str, str]) -> URIRef:
        """Mint (once) the PROV activity of ``stage`` with its parameters and input hashes."""
        key = hashlib.sha256(_json([stage, params, used]).encode()).hexdigest()[:16]
        slug = re.sub(r"[^a-z0-9.-]+", "-", stage.lower()).strip("-") or "stage"
        a = uris.activity_uri(slug, key)
        if (a, RDF.type, PROV.Activity) in self.g:
            return a
        self.add(a, RDF.type, PROV.Activity)
        self.add(a, RDFS.label, Literal(f"{stage} run {key}", lang="en"))
        self.add(a, HR.stage, Literal(stage))
        self.add(a, HR.parameters, Literal(_json(params)))
        for name, value in sorted(used.items()):
            ent = URIRef(f"{HRID}input/{uris.term_key(name + '|' + value)}")
            self.add(a, PROV.used, ent)
            self.add(ent, RDF.type, PROV.Entity)
            self.add(ent, DCTERMS.title, Literal(name))
            if re.fullmatch(r"[0-9a-f]{64}", value):
                self.add(ent, HR.sha256, Literal(value))
            else:
                self.add(ent, DCTERMS.identifier, Literal(value))
        return a

    # ------------------------------------------------------------------ areas and themes
    def add_areas(self) -> None:
        for a in sorted(self.areas.values(), key=lambda a: a.id):
            u = uris.area_uri(a.id)
            self.add(u, RDF.type, HR.AdministrativeArea)
            self.add(u, RDF.type, SCHEMA.AdministrativeArea)
            self.add(u, SCHEMA.identifier, Literal(a.id))
            self.add(u, RDFS.label, _zh(a.name_zh))
            if a.name_en:
                self.add(u, RDFS.label, Literal(a.name_en, lang="en"))
            for alias in a.aliases:
                self.add(u, SKOS.altLabel, _text(alias))
            self.add(u, HR.adminLevel, Literal(a.level))
            if a.parent:
                self.add(u, SCHEMA.containedInPlace, uris.area_uri(a.parent))
            if a.source:
                self.add(u, DCTERMS.source, _text(a.source))

    def add_themes(self) -> None:
        path = ONTOLOGY_DIR / THEMES_FILE
        self.g.parse(path, format="turtle")

    # ------------------------------------------------------------------ sites
    def site_areas(self, site: Site) -> list[str]:
        """Most specific area ids of a site, checked against the catalog's hierarchy."""
        where = f"sites.csv: site {site.id!r}"
        prov_id = self.resolve_area(site.province) if site.province else None
        city_id = self.resolve_area(site.city) if site.city else None
        for col, name, got in (("province", site.province, prov_id), ("city", site.city, city_id)):
            if name and got is None:
                self.problems.append(
                    f"{where}: unknown {col} {name!r} (add it to data/ontology/{AREAS_FILE})"
                )
        counties = []
        for c in site.counties:
            # a county name shared by two prefectures (市中区) is told apart by its prefecture
            cid = self.resolve_area(f"{site.city}{c}") or self.resolve_area(c)
            if cid is None:
                self.problems.append(
                    f"{where}: unknown county {c!r} (add it to data/ontology/{AREAS_FILE})"
                )
                continue
            chain = self.ancestors(cid)
            for col, want in (("province", prov_id), ("city", city_id)):
                if want and want != cid and want not in chain:
                    self.problems.append(
                        f"{where}: county {c!r} is not in {col} "
                        f"{getattr(site, col)!r} according to data/ontology/{AREAS_FILE}"
                    )
            counties.append(cid)
        if counties:
            return sorted(set(counties))
        if city_id and city_id != prov_id:
            return [city_id]
        if prov_id:
            return [prov_id]
        self.problems.append(f"{where}: no province, city or county given")
        return []

    def add_site(self, site: Site) -> None:
        u = uris.site_uri(site.id)
        self.add(u, RDF.type, HR.Site)
        classes = SITE_KIND_CLASSES.get(site.kind)
        if classes is None:
            self.warnings.append(f"site {site.id!r}: kind {site.kind!r} has no class mapping")
            classes = (SCHEMA.TouristAttraction,)
        for c in classes:
            self.add(u, RDF.type, c)
        self.add(u, SCHEMA.identifier, Literal(site.id))
        self.add(u, HR.siteKind, Literal(site.kind))
        if site.name_zh:
            self.add(u, RDFS.label, _zh(site.name_zh))
        if site.name_en:
            self.add(u, RDFS.label, Literal(site.name_en, lang="en"))
        for alias in site.aliases:
            if alias != site.name_zh:
                self.add(u, SKOS.altLabel, _text(alias))
        areas = self.site_areas(site)
        self.site_area[site.id] = areas
        for a in areas:
            self.add(u, SCHEMA.containedInPlace, uris.area_uri(a))
        if site.town:
            self.add(u, HR.locationNote, _text(site.town))
        if site.has_coords:
            self.add_point(site)
        elif site.coord_method.strip():
            self.add(u, HR.unlocatedReason, _text(site.coord_method.strip()))
        for t in site.themes:
            self.add(u, HR.theme, uris.theme_uri(t))
        if site.era:
            self.add(u, HR.era, _text(site.era))
        if site.visit_hours_min is not None:
            self.add(u, HR.visitHoursMin, _dec(site.visit_hours_min))
        if site.visit_hours_max is not None:
            self.add(u, HR.visitHoursMax, _dec(site.visit_hours_max))
        if site.opening_hours:
            self.add(u, HR.openingHoursNote, _text(site.opening_hours))
        if site.ticket_cny:
            self.add(u, HR.ticketNote, _text(site.ticket_cny))
        if site.source:
            self.add(u, DCTERMS.source, _text(site.source))
        if site.notes:
            self.add(u, HR.note, _text(site.notes))
        tangible = False
        for text in site.designations:
            d = uris.designation_uri(site.id, text)
            level, year, batch = classify_designation(text)
            self.add(u, HR.designation, d)
            self.add(d, RDF.type, HR.Designation)
            self.add(d, RDFS.label, _text(text))
            self.add(d, HR.designationLevel, level)
            if year:
                self.add(d, HR.designationYear, Literal(str(year), datatype=XSD.gYear))
            if batch:
                self.add(d, HR.batch, _int(batch))
            tangible |= level in (HR.WorldHeritage, HR.NationalLevel, HR.ProvincialLevel)
        if tangible and site.kind in {"rock_carving", "temple", "old_town", "museum"}:
            self.add(u, RDF.type, HR.TangibleHeritage)
        self.add_wikidata(site, u)

    def add_point(self, site: Site) -> None:
        u = uris.site_uri(site.id)
        geom = uris.geometry_uri(site.id)
        lat, lon = float(site.lat), float(site.lon)  # type: ignore[arg-type]
        self.add(u, WGS.lat, _dec(lat))
        self.add(u, WGS.long, _dec(lon))
        self.add(u, GEO.hasGeometry, geom)
        self.add(geom, RDF.type, GEO.Geometry)
        self.add(geom, RDF.type, SF_POINT)
        lon_t = format(_dec(lon).toPython(), "f")
        lat_t = format(_dec(lat).toPython(), "f")
        self.add(
            geom, GEO.asWKT, Literal(f"{WKT_CRS84} POINT({lon_t} {lat_t})", datatype=GEO.wktLiteral)
        )
        self.add(geom, HR.coordinateConfidence, Literal(site.coord_confidence))
        self.add(geom, HR.isApproximate, Literal(site.coord_confidence == "approx"))
        if site.coord_uncertainty_km is not None:
            self.add(geom, HR.coordinateUncertaintyKm, _dec(site.coord_uncertainty_km))
        if site.coord_method:
            self.add(geom, HR.coordinateMethod, _text(site.coord_method))
        if site.coord_source:
            self.add(geom, DCTERMS.source, _text(site.coord_source))

    def add_wikidata(self, site: Site, u: URIRef) -> None:
        """``owl:sameAs``/``schema:sameAs`` only for a Wikidata id recorded in the catalog.

        The catalog's ``wikidata`` column holds ``Q123`` optionally followed by its source
        (``Q123 (source: …)``); a value without a ``Q`` id is reported, never guessed.
        """
        raw = site.wikidata.strip()
        if not raw:
            return
        m = re.match(r"^(Q[1-9]\d*)\b", raw)
        if not m:
            self.problems.append(f"sites.csv: site {site.id!r}: bad wikidata value {raw!r}")
            return
        wd = WIKIDATA[m.group(1)]
        self.add(u, OWL.sameAs, wd)
        self.add(u, SCHEMA.sameAs, wd)

    # ------------------------------------------------------------------ heritage
    def add_items(self) -> None:
        for it in sorted(self.items.values(), key=lambda i: i.id):
            u = uris.heritage_uri(it.id)
            self.add(u, RDF.type, HR.HeritageItem)
            for k in it.kinds:
                for c in ITEM_KIND_CLASSES[k]:
                    self.add(u, RDF.type, c)
            self.add(u, SCHEMA.identifier, Literal(it.id))
            self.add(u, RDFS.label, _zh(it.name_zh))
            if it.name_en:
                self.add(u, RDFS.label, Literal(it.name_en, lang="en"))
            for alias in it.aliases:
                if alias != it.name_zh:
                    self.add(u, SKOS.altLabel, _text(alias))
            if it.category:
                self.add(u, HR.ichCategory, _text(it.category))
            self.add(u, HR.protectionLevel, classify_item_level(it.level))
            for prop, value in (
                (HR.protectionLevelNote, it.level),
                (HR.listingNote, it.batch_year),
                (HR.homeAreaNote, it.home_area),
                (HR.safeguardingNote, it.protection_unit_or_locus),
                (HR.keyFacts, it.key_facts),
                (HR.confidence, it.confidence),
                (DCTERMS.source, it.sources),
                (HR.note, it.notes),
            ):
                if value:
                    self.add(u, prop, _text(value))

    def add_links(self) -> None:
        for ln in self.links:
            prop, target_kind = RELATIONS[ln.relation]
            try:
                item = uris.heritage_uri(ln.item_id)
                if target_kind == "site":
                    target = uris.site_uri(ln.site_id)
                    tid = ln.site_id
                elif target_kind == "item":
                    target = uris.heritage_uri(ln.related_item)
                    tid = ln.related_item
                else:
                    aid = self.resolve_area(ln.area)
                    if aid is None:
                        self.problems.append(
                            f"{ln.where}: item {ln.item_id!r} names unknown area {ln.area!r}"
                        )
                        continue
                    target = uris.area_uri(aid)
                    tid = aid
            except ValueError as e:
                self.problems.append(f"{ln.where}: {e}")
                continue
            self.add(item, prop, target)
            node = URIRef(f"{HRID}link/{ln.item_id}/{ln.relation.replace('_', '-')}/{tid}")
            self.add(node, RDF.type, HR.HeritageLink)
            self.add(node, HR.item, item)
            self.add(node, HR.relation, prop)
            self.add(node, HR.target, target)
            self.add(node, DCTERMS.source, _text(ln.source))

    # ------------------------------------------------------------------ lines
    def add_lines(self) -> None:
        for line in sorted(self.catalog.lines.values(), key=lambda x: x.id):
            u = uris.line_uri(line.id)
            self.add(u, RDF.type, HR.Line)
            self.add(u, RDF.type, SCHEMA.TouristTrip)
            self.add(u, SCHEMA.identifier, Literal(line.id))
            self.add(u, RDFS.label, _zh(line.name_zh))
            if line.name_en:
                self.add(u, RDFS.label, Literal(line.name_en, lang="en"))
            if line.description_zh:
                self.add(u, SCHEMA.description, _zh(line.description_zh))
            if line.description_en:
                self.add(u, SCHEMA.description, Literal(line.description_en, lang="en"))
            self.add(u, HR.isLoop, Literal(bool(line.loop)))
            if line.start:
                self.add(u, HR.startsAt, uris.site_uri(line.start))
            if line.end:
                self.add(u, HR.endsAt, uris.site_uri(line.end))
            if line.report_km is not None:
                self.add(u, HR.reportKm, _dec(line.report_km))
            if line.source:
                self.add(u, DCTERMS.source, _text(line.source))
            for pos, sid in enumerate(line.sites, start=1):
                stop = uris.line_stop_uri(line.id, pos)
                self.add(u, SCHEMA.itinerary, uris.site_uri(sid))
                self.add(u, HR.hasStop, stop)
                self.add(stop, RDF.type, SCHEMA.ListItem)
                self.add(stop, SCHEMA.position, _int(pos))
                self.add(stop, SCHEMA.item, uris.site_uri(sid))

    # ------------------------------------------------------------------ distances
    def _distance(
        self, node: URIRef, a: str, b: str, km: float, kind: str, source: str | None
    ) -> None:
        self.add(node, RDF.type, HR.Distance)
        self.add(node, HR.between, uris.site_uri(a))
        self.add(node, HR.between, uris.site_uri(b))
        self.add(node, HR.distanceKm, _dec(km, 3))
        self.add(node, HR.distanceKind, Literal(kind))
        if source:
            self.add(node, DCTERMS.source, _text(source))

    def add_distances(self) -> None:
        for e in self.catalog.seed_edges:
            node = uris.distance_uri("seed", e.a, e.b, e.line)
            self._distance(node, e.a, e.b, e.km, "seed-table", e.source)
            if e.line in self.catalog.lines:
                self.add(node, HR.onLine, uris.line_uri(e.line))
        for p in self.catalog.published_distances:
            q = uris.term_key(f"{p.kind}|{p.km}|{p.source}|{p.bearing_deg}")[:10]
            node = uris.distance_uri("published", p.a, p.b, q)
            self._distance(node, p.a, p.b, p.km, p.kind, p.source)
            if p.bearing_deg is not None:
                self.add(node, HR.bearingDeg, _dec(p.bearing_deg))
            if p.note:
                self.add(node, HR.note, _text(p.note))
        self.add_great_circle()

    def add_great_circle(self) -> None:
        located = sorted(
            (s for s in self.catalog.sites.values() if s.has_coords), key=lambda s: s.id
        )
        if len(located) < 2:
            return
        act = self.activity(
            "kg.great-circle",
            {"near_km": self.params.near_km, "formula": "haversine", "earth_radius_km": 6371.0088},
            self._used("sites.csv"),
        )
        # grid of cells ~near_km wide: only neighbouring cells can hold a pair within near_km
        cell = max(self.params.near_km / 111.0, 1e-6)
        grid: dict[tuple[int, int], list[Site]] = defaultdict(list)
        for s in located:
            grid[(math.floor(s.lat / cell), math.floor(s.lon / cell))].append(s)  # type: ignore[operator]
        for s in located:
            ci, cj = math.floor(s.lat / cell), math.floor(s.lon / cell)  # type: ignore[operator]
            lon_span = math.ceil(1 / max(math.cos(math.radians(s.lat)), 0.1))  # type: ignore[arg-type]
            for di in (-1, 0, 1):
                for dj in range(-lon_span, lon_span + 1):
                    for t in grid.get((ci + di, cj + dj), ()):
                        if t.id <= s.id:
                            continue
                        km = haversine_km(s.lat, s.lon, t.lat, t.lon)  # type: ignore[arg-type]
                        if km <= self.params.near_km:
                            node = uris.distance_uri("great-circle", s.id, t.id)
                            self._distance(node, s.id, t.id, km, "great-circle", None)
                            self.add(node, PROV.wasGeneratedBy, act)

    # ------------------------------------------------------------------ NLP
    def resolve_subject(self, name: Any) -> tuple[str, str] | None:
        """``("site", id)`` or ``("area", id)`` for an NLP group name, else ``None``."""
        text = str(name).strip()
        if text not in self._subjects:
            self._subjects[text] = self._resolve_subject(text)
        return self._subjects[text]

    def _resolve_subject(self, text: str) -> tuple[str, str] | None:
        if text in self.catalog.sites:
            return ("site", text)
        area = self.resolve_area(text)
        if area:
            return ("area", area)
        try:
            return ("site", self.catalog.resolve(text).id)
        except LookupError:
            return None

    def subject_uri(self, kind: str, sid: str) -> URIRef:
        return uris.site_uri(sid) if kind == "site" else uris.area_uri(sid)

    def nlp_activity(self, table: str) -> URIRef:
        assert self.nlp is not None
        info = self.nlp.provenance.get(table, {})
        used = dict(info.get("used") or {})
        if not used:
            df = getattr(self.nlp, table)
            digest = _sha256_bytes(df.to_csv(index=False).encode("utf-8"))
            used[f"{table} (table given in memory)"] = digest
        params = {"params": info.get("params", {}), "table": table}
        if info.get("key"):
            params["artifact_key"] = info["key"]
        if info.get("corpus"):
            params["corpus"] = info["corpus"]
        act = self.activity(str(info.get("stage", f"nlp.{table}")), params, used)
        if info.get("corpus") and (act, HR.corpus, None) not in self.g:
            self.add(act, HR.corpus, Literal(_json(info["corpus"])))
        return act

    def _skip(self, table: str, names: Iterable[str]) -> None:
        names = sorted(set(names))
        if names:
            shown = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
            self.warnings.append(
                f"NLP table {table!r}: {len(names)} group(s) match no site or area and were "
                f"skipped: {shown}"
            )

    def term(self, text: str) -> URIRef:
        t = uris.term_uri(text)
        if (t, RDF.type, HR.Keyword) not in self.g:
            self.add(t, RDF.type, HR.Keyword)
            self.add(t, RDF.type, SKOS.Concept)
            self.add(t, SKOS.inScheme, KEYWORD_SCHEME)
            self.add(t, SKOS.prefLabel, _text(text))
            self.add(t, RDFS.label, _text(text))
        return t

    def add_nlp(self) -> None:
        if self.nlp is None or not self.nlp.present():
            return
        self.add(KEYWORD_SCHEME, RDF.type, SKOS.ConceptScheme)
        self.add(KEYWORD_SCHEME, RDFS.label, Literal("corpus keywords", lang="en"))
        self.add(KEYWORD_SCHEME, RDFS.label, _zh("语料关键词"))
        if self.nlp.keywords is not None and len(self.nlp.keywords):
            self.add_keywords()
        if self.nlp.topics is not None and len(self.nlp.topics):
            self.add_topics()
        if self.nlp.sentiment is not None and len(self.nlp.sentiment):
            self.add_sentiment()
        if self.nlp.similar is not None and len(self.nlp.similar):
            self.add_nlp_similarity()

    def add_keywords(self) -> None:
        df = self.nlp.keywords  # type: ignore[union-attr]
        act = self.nlp_activity("keywords")
        run = act.rsplit("/", 1)[1]
        skipped = []
        for group, rows in sorted(df.groupby(df["subject"].astype(str)), key=lambda kv: kv[0]):
            if group.strip() in CORPUS_WIDE_GROUPS:
                continue
            subj = self.resolve_subject(group)
            if subj is None:
                skipped.append(group)
                continue
            rows = rows.sort_values(["weight", "term"], ascending=[False, True])
            rows = rows.drop_duplicates("term")
            if self.params.keyword_top_k:
                rows = rows.head(self.params.keyword_top_k)
            for rank, (term, weight) in enumerate(
                zip(rows["term"].astype(str), rows["weight"], strict=True), start=1
            ):
                if not term.strip():
                    continue
                node = uris.keyword_weight_uri(run, subj[0], subj[1], term)
                self.add(node, RDF.type, HR.KeywordWeight)
                self.add(node, HR.subject, self.subject_uri(*subj))
                self.add(node, HR["term"], self.term(term))
                self.add(node, HR.weight, _dec(weight))
                self.add(node, HR.rank, _int(rank))
                self.add(node, PROV.wasGeneratedBy, act)
        self._skip("keywords", skipped)

    def add_topics(self) -> None:
        df = self.nlp.topics  # type: ignore[union-attr]
        act = self.nlp_activity("topics")
        run = act.rsplit("/", 1)[1]
        scheme = uris.scheme_uri(f"topics.{run}")
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add(scheme, RDFS.label, Literal(f"LDA topics of run {run}", lang="en"))
        self.add(scheme, PROV.wasGeneratedBy, act)
        has_scope = "scope" in df.columns
        keys = ["scope", "topic_id"] if has_scope else ["topic_id"]
        skipped = []
        topic_ids: dict[tuple[str, str], str] = {}
        for key, rows in sorted(df.groupby(keys), key=lambda kv: tuple(map(str, kv[0]))):
            key = key if isinstance(key, tuple) else (key,)
            scope_name = str(key[0]) if has_scope else ""
            raw_topic = str(key[-1])
            corpus_wide = not has_scope or scope_name.strip() in CORPUS_WIDE_GROUPS
            scope = None if corpus_wide else self.resolve_subject(scope_name)
            if not corpus_wide and scope is None:
                skipped.append(scope_name)
                continue
            tid = re.sub(r"[^a-z0-9_.-]+", "-", raw_topic.lower()).strip("-") or "0"
            tid = f"{scope[1]}.{tid}" if scope else f"all.{tid}"
            topic_ids[(scope_name, raw_topic)] = tid
            t = uris.topic_uri(run, tid)
            self.add(t, RDF.type, HR.Topic)
            self.add(t, RDF.type, SKOS.Concept)
            self.add(t, SKOS.inScheme, scheme)
            self.add(t, SKOS.notation, Literal(raw_topic))
            self.add(t, PROV.wasGeneratedBy, act)
            if scope:
                self.add(t, HR.scope, self.subject_uri(*scope))
            rows = rows.sort_values(["weight", "term"], ascending=[False, True])
            rows = rows.drop_duplicates("term").head(self.params.topic_top_k)
            terms = []
            for rank, (term, weight) in enumerate(
                zip(rows["term"].astype(str), rows["weight"], strict=True), start=1
            ):
                tt = uris.topic_term_uri(run, tid, term)
                self.add(t, HR.topicTerm, tt)
                self.add(tt, RDF.type, HR.TopicTerm)
                self.add(tt, HR["term"], self.term(term))
                self.add(tt, HR.weight, _dec(weight))
                self.add(tt, HR.rank, _int(rank))
                terms.append(term)
            label = f"topic {raw_topic}: " + "、".join(terms[:5])
            self.add(t, SKOS.prefLabel, _text(label))
            self.add(t, RDFS.label, _text(label))
        self._skip("topics", skipped)
        st = self.nlp.site_topics  # type: ignore[union-attr]
        if st is not None and len(st):
            sact = self.nlp_activity("site_topics")
            skipped = []
            for subj_name, raw_topic, weight in sorted(
                zip(
                    st["subject"].astype(str), st["topic_id"].astype(str), st["weight"], strict=True
                ),
                key=lambda r: (r[0], r[1]),
            ):
                subj = self.resolve_subject(subj_name)
                tid = topic_ids.get((subj_name, raw_topic)) or next(
                    (
                        v
                        for (scope, t), v in sorted(topic_ids.items())
                        if t == raw_topic and scope.strip() in CORPUS_WIDE_GROUPS
                    ),
                    None,
                )
                if subj is None or tid is None:
                    skipped.append(f"{subj_name}/{raw_topic}")
                    continue
                node = URIRef(f"{HRID}nlp/{run}/site-topic/{subj[0]}/{subj[1]}/{tid}")
                self.add(node, RDF.type, HR.SiteTopic)
                self.add(node, HR.subject, self.subject_uri(*subj))
                self.add(node, HR.topic, uris.topic_uri(run, tid))
                self.add(node, HR.weight, _dec(weight))
                self.add(node, PROV.wasGeneratedBy, sact)
            self._skip("site_topics", skipped)

    def add_sentiment(self) -> None:
        df = self.nlp.sentiment  # type: ignore[union-attr]
        act = self.nlp_activity("sentiment")
        run = act.rsplit("/", 1)[1]
        skipped = []
        has_n = "n" in df.columns
        for row in sorted(
            df.itertuples(index=False), key=lambda r: (str(r.subject), str(r.aspect))
        ):
            if str(row.subject).strip() in CORPUS_WIDE_GROUPS:
                continue
            subj = self.resolve_subject(row.subject)
            if subj is None:
                skipped.append(str(row.subject))
                continue
            aspect = str(row.aspect)
            node = URIRef(
                f"{HRID}nlp/{run}/sentiment/{subj[0]}/{subj[1]}/"
                + (aspect if uris.ID_RE.match(aspect) else uris.term_key(aspect))
            )
            self.add(node, RDF.type, HR.SentimentSummary)
            self.add(node, HR.subject, self.subject_uri(*subj))
            self.add(node, HR.aspect, _text(aspect))
            self.add(node, HR.sentimentScore, _dec(row.score))
            if has_n and row.n == row.n:  # not NaN
                self.add(node, HR.documentCount, _int(row.n))
            self.add(node, PROV.wasGeneratedBy, act)
        self._skip("sentiment", skipped)

    def _similarity(self, run: str, a: str, b: str, score: float, method: str, act: URIRef) -> None:
        node = uris.similarity_uri(run, a, b)
        if (node, RDF.type, HR.Similarity) in self.g:
            return
        self.add(node, RDF.type, HR.Similarity)
        self.add(node, HR.between, uris.site_uri(a))
        self.add(node, HR.between, uris.site_uri(b))
        self.add(node, HR.similarityScore, _dec(score, 4))
        self.add(node, HR.method, Literal(method))
        self.add(node, PROV.wasGeneratedBy, act)
        self.add(uris.site_uri(a), HR.similarTo, uris.site_uri(b))
        self.add(uris.site_uri(b), HR.similarTo, uris.site_uri(a))

    def add_nlp_similarity(self) -> None:
        df = self.nlp.similar  # type: ignore[union-attr]
        act = self.nlp_activity("similar")
        run = act.rsplit("/", 1)[1]
        skipped = []
        has_method = "method" in df.columns
        for row in sorted(df.itertuples(index=False), key=lambda r: (str(r.a), str(r.b))):
            sa, sb = self.resolve_subject(row.a), self.resolve_subject(row.b)
            if not sa or not sb or sa[0] != "site" or sb[0] != "site" or sa[1] == sb[1]:
                skipped.append(f"{row.a}~{row.b}")
                continue
            method = str(row.method) if has_method else "nlp text similarity"
            self._similarity(run, sa[1], sb[1], float(row.score), f"nlp: {method}", act)
        self._skip("similar", skipped)

    # ------------------------------------------------------------------ derived from catalog
    def site_features(self) -> dict[str, set[str]]:
        linked: dict[str, set[str]] = defaultdict(set)
        for ln in self.links:
            if ln.site_id:
                linked[ln.site_id].add(f"item:{ln.item_id}")
        feats: dict[str, set[str]] = {}
        for s in self.catalog.sites.values():
            if s.kind == "town":  # reference points, not places to recommend
                continue
            f = {f"theme:{t}" for t in s.themes} | {f"kind:{s.kind}"}
            f |= {f"area:{a}" for a in self.site_area.get(s.id, [])}
            f |= linked.get(s.id, set())
            f |= {f"level:{classify_designation(d)[0].rsplit('#', 1)[1]}" for d in s.designations}
            feats[s.id] = f
        return feats

    def add_feature_similarity(self) -> None:
        feats = self.site_features()
        params = {
            "features": ["themes", "kind", "county", "linked heritage items", "designation levels"],
            "measure": "jaccard",
            "min_score": self.params.similarity_min,
            "top_k": self.params.similarity_top_k,
        }
        used = self._used("sites.csv", LINKS_FILE, f"ontology/{AREAS_FILE}")
        act = self.activity("kg.feature-similarity", params, used)
        run = act.rsplit("/", 1)[1]
        # Sites with identical feature sets score alike: compare distinct sets only (an
        # inverted index keeps that to sets sharing a feature), then hand out members.
        groups: dict[frozenset[str], list[str]] = defaultdict(list)
        for sid in sorted(feats):
            groups[frozenset(feats[sid])].append(sid)
        by_feature: dict[str, list[frozenset[str]]] = defaultdict(list)
        for fs in groups:
            for f in fs:
                by_feature[f].append(fs)
        k = self.params.similarity_top_k
        best: dict[str, list[tuple[float, str]]] = {}
        for fs, members in groups.items():
            scored_sets = []
            for other in {o for f in fs for o in by_feature[f]}:
                score = round(len(fs & other) / len(fs | other), 4)
                if score >= self.params.similarity_min:
                    scored_sets.append((score, other))
            by_score: dict[float, list[str]] = defaultdict(list)
            for score, other in scored_sets:
                by_score[score].extend(groups[other])
            levels = [(score, sorted(by_score[score])) for score in sorted(by_score, reverse=True)]
            for sid in members:
                picked: list[tuple[float, str]] = []
                for score, ids in levels:
                    for o in ids:
                        if o != sid and len(picked) < k:
                            picked.append((score, o))
                    if len(picked) >= k:
                        break
                best[sid] = picked
        for sid in sorted(best):
            for score, o in best[sid]:
                self._similarity(run, sid, o, score, "catalog-feature jaccard", act)

    def _used(self, *names: str) -> dict[str, str]:
        """The recorded hashes of the named input files (those that exist)."""
        return {k: self.inputs[k] for k in names if k in self.inputs}

    def add_popularity(self) -> None:
        mentions: dict[str, int] = {}
        m = self.nlp.mentions if self.nlp is not None else None
        if m is not None and len(m):
            for name, n in zip(m["subject"].astype(str), m["n_docs"], strict=True):
                if name.strip() in CORPUS_WIDE_GROUPS:
                    continue
                subj = self.resolve_subject(name)
                if subj and subj[0] == "site":
                    mentions[subj[1]] = mentions.get(subj[1], 0) + int(n)
        if mentions:
            act = self.nlp_activity("mentions")
            pact = self.activity(
                "kg.popularity",
                {"method": "corpus-mentions", "sites_not_mentioned": 0},
                dict(self.nlp.provenance.get("mentions", {}).get("used", {})),  # type: ignore[union-attr]
            )
            self.add(pact, PROV.wasInformedBy, act)
            method = "corpus-mentions"
        else:
            pact = self.activity(
                "kg.popularity",
                {
                    "method": "designation-level",
                    "rank": {str(k).rsplit("#", 1)[1]: v for k, v in sorted(LEVEL_RANK.items())},
                },
                self._used("sites.csv"),
            )
            method = "designation-level"
        for s in sorted(self.catalog.sites.values(), key=lambda s: s.id):
            if method == "corpus-mentions":
                score = mentions.get(s.id, 0)
            else:
                score = max(
                    (LEVEL_RANK[classify_designation(d)[0]] for d in s.designations), default=0
                )
            node = uris.popularity_uri(s.id)
            u = uris.site_uri(s.id)
            self.add(u, HR.popularity, node)
            self.add(node, RDF.type, HR.PopularityEstimate)
            self.add(node, HR.popularityScore, _dec(score))
            self.add(node, HR.method, Literal(method))
            if method == "corpus-mentions":
                self.add(node, HR.documentCount, _int(score))
            self.add(node, PROV.wasGeneratedBy, pact)

    # ------------------------------------------------------------------ all
    def build(self) -> Graph:
        self.add_areas()
        self.add_themes()
        for s in sorted(self.catalog.sites.values(), key=lambda s: s.id):
            self.add_site(s)
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
    b = _Builder(catalog, items, links, areas, nlp, params, inputs)
    g = b.build()
    if warnings is not None:
        warnings.extend(b.warnings)
    return g


# ============================================================================ serialisation


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


@dataclass
class BuildResult:
    """What :func:`run_build` did."""

    out_dir: Path
    rebuilt: bool
    triples: int
    conforms: bool
    warnings: list[str]
    manifest: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def graph_path(self) -> Path:
        return self.out_dir / "graph.ttl"


def _code_hash() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("build.py", "uris.py", "namespaces.py", "validate.py", "catalog.py"):
        p = here / name
        if p.exists():
            digest.update(p.read_bytes())
    return digest.hexdigest()


CATALOG_FILES = (
    "sites.csv",
    "lines.yaml",
    "seed_distances.csv",
    "published_distances.csv",
    ITEMS_FILE,
    LINKS_FILE,
)
ONTOLOGY_FILES = (VOCABULARY_FILE, THEMES_FILE, SHAPES_FILE, AREAS_FILE)


def _nlp_files(p: Path) -> list[Path]:
    """The files :func:`load_nlp_tables` reads from ``p`` (and the manifests)."""
    if p.is_file():
        return [p]
    folders = find_nlp_tables(p) if not (p / "manifest.json").exists() else [p]
    folders = folders or [p]
    stems = {x for v in _TABLE_FILES.values() for x in v}
    out = []
    for d in folders:
        for f in sorted(d.iterdir()):
            if f.is_file() and (
                f.name in _PIPELINE_FILES or f.name == "manifest.json" or f.stem in stems
            ):
                out.append(f)
    return out


def _input_hashes(paths: Mapping[str, Path], nlp_paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of every file the build reads: catalog, ontology and NLP tables."""
    hashes: dict[str, str] = {}
    for name in CATALOG_FILES:
        f = Path(paths["catalog"]) / name
        if f.exists():
            hashes[name] = sha256_file(f)
    for name in ONTOLOGY_FILES:
        f = Path(paths["ontology"]) / name
        if f.exists():
            hashes[f"ontology/{name}"] = sha256_file(f)
    for p in nlp_paths:
        for f in _nlp_files(Path(p)):
            hashes[f"nlp:{_rel(f)}"] = sha256_file(f)
    return hashes


@contextlib.contextmanager
def _atomic_dir_writes(out_dir: Path) -> Iterator[dict[str, str]]:
    """Collect ``{name: text}``; write each to a temp file, then rename all into place."""
    pending: dict[str, str] = {}
    yield pending
    out_dir.mkdir(parents=True, exist_ok=True)
    temps = []
    try:
        for name, text in pending.items():
            fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            temps.append((tmp, out_dir / name))
        # manifest last: a folder whose manifest matches its files is complete
        temps.sort(key=lambda t: t[1].name == "manifest.json")
        for tmp, final in temps:
            os.replace(tmp, final)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def run_build(
    data_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    *,
    nlp_paths: Iterable[str | Path] | None = None,
    params: BuildParams = BUILD_PARAMS,
    force: bool = False,
) -> BuildResult:
    """Build, validate and write the graph unless the manifest shows identical inputs.

    Parameters
    ----------
    data_dir
        Catalog folder (default: :func:`kg.catalog.default_data_dir`).
    out_dir
        Output folder (default ``artifacts/kg``).
    nlp_paths
        NLP artifact folders or table files; ``None`` discovers them under ``artifacts/nlp``
        (:func:`find_nlp_tables`); an empty list builds without NLP.
    params
        Derivation parameters.
    force
        Rebuild even if nothing changed.

    Raises
    ------
    kg.catalog.CatalogError, KGBuildError
        Invalid inputs.
    kg.validate.ShaclViolationError
        The built graph violates the shapes; nothing is written except ``shacl_report.txt``.
    """
    import time

    from kg.catalog import load_catalog
    from kg.validate import ShaclViolationError, load_shapes, validate_graph

    out = Path(out_dir) if out_dir else PROJECT_ROOT / "artifacts" / "kg"
    paths = default_paths(data_dir)
    nlp_list = [Path(p) for p in (find_nlp_tables() if nlp_paths is None else nlp_paths)]
    inputs = _input_hashes(paths, nlp_list)
    key_material = {"inputs": inputs, "params": asdict(params), "code": _code_hash()}
    key = hashlib.sha256(_json(key_material).encode()).hexdigest()[:16]
    manifest_path = out / "manifest.json"
    if not force and manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            old = {}
        outputs_ok = all(
            (out / name).exists() and sha256_file(out / name) == digest
            for name, digest in old.get("outputs", {}).items()
        )
        if old.get("key") == key and outputs_ok and old.get("outputs"):
            return BuildResult(
                out, False, old.get("triples", 0), True, old.get("warnings", []), old
            )
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    catalog = load_catalog(paths["catalog"])
    nlp = load_nlp_tables(nlp_list) if nlp_list else None
    warnings: list[str] = []
    g = build_graph(catalog, nlp=nlp, params=params, inputs=inputs, warnings=warnings)
    seconds["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = validate_graph(g, shapes=load_shapes())
    seconds["validate"] = time.perf_counter() - t0
    if not report.conforms:
        with _atomic_dir_writes(out) as files:
            files["shacl_report.txt"] = report.text
        raise ShaclViolationError(report)
    t0 = time.perf_counter()
    ttl = serialize_turtle(g)
    jsonld = serialize_jsonld(g)
    seconds["serialize"] = time.perf_counter() - t0
    outputs = {
        "graph.ttl": ttl,
        "graph.jsonld": jsonld,
        "shacl_report.txt": report.text,
    }
    manifest = {
        "stage": "kg.build",
        "key": key,
        "params": asdict(params),
        "inputs": inputs,
        "nlp_tables": nlp.present() if nlp else [],
        "code_sha256": key_material["code"],
        "triples": len(g),
        "conforms": True,
        "warnings": warnings + [i.line() for i in report.issues],
        "outputs": {k: _sha256_bytes(v.encode("utf-8")) for k, v in outputs.items()},
    }
    with _atomic_dir_writes(out) as files:
        files.update(outputs)
        files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    return BuildResult(out, True, len(g), True, manifest["warnings"], manifest, seconds)
