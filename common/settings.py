"""Every setting of the project in one place: folders and environment variables.

Modelled on OSMnx's ``settings.py``: a flat module that a newcomer reads top to bottom. Fixed
paths are module constants; everything that the environment can change is a small function
that reads the variable *when it is called*, so a test that sets a variable with
``monkeypatch.setenv`` (or a user who exports one) is always honoured.

Folders (constants)
-------------------
PROJECT_ROOT
    The repository root (the folder holding ``pyproject.toml``, ``data/`` and ``artifacts/``).
ONTOLOGY_DIR
    ``<root>/data/ontology``: the vocabulary (Turtle), the SHACL shapes, themes and areas.
LEXICON_DIR
    ``<root>/data/lexicon``: jieba user-dictionary terms, domain stopwords, aspect lexicon.
CORPUS_DIR
    ``<root>/data/corpus``: the embedded sample corpus.
SAMPLE_CORPUS
    ``<root>/data/corpus/sample_reviews.jsonl``, what ``heritage nlp run`` reads by default.
KG_QUERY_DIR
    ``<root>/kg/queries``: the parametrised SPARQL queries (``*.rq``), part of the code.
ARTIFACTS_DIR
    ``<root>/artifacts`` (git-ignored): everything built, always rebuildable.
KG_ARTIFACTS_DIR
    ``<root>/artifacts/kg``: the built graph (``graph.ttl``, ``graph.jsonld``), its SHACL
    report and ``manifest.json``.

Folders and values the environment can change (functions)
---------------------------------------------------------
``data_dir()`` — ``HERITAGE_DATA_DIR``, default ``<root>/data``
    The data folder; the catalog is read from its ``catalog/`` sub-folder.
``catalog_dir()`` — derived from ``HERITAGE_DATA_DIR``, default ``<root>/data/catalog``
    The site catalog CSVs, ``lines.yaml`` and ``planning.yaml``.
``nlp_artifacts_dir()`` — ``HERITAGE_NLP_ARTIFACTS_DIR``, default ``<root>/artifacts/nlp``
    Where the NLP stages write ``<stage>/<key>/`` and where the graph build and the planner
    look for their latest results.
``kg_store()`` — ``HERITAGE_KG_STORE``, default ``memory``
    Backend of the knowledge graph: ``memory`` (rdflib) or ``oxigraph`` (persistent).
    Any other value is a :class:`SettingError` (a user error).
``kg_oxigraph_dir()`` — ``HERITAGE_KG_OXIGRAPH_DIR``, default ``<root>/artifacts/kg/oxigraph``
    Folder of the persistent Oxigraph store.
``app_cache_dir()`` — ``HERITAGE_APP_CACHE_DIR``, default ``<root>/artifacts/app``
    Where the web app keeps what a new visitor's first page needs between server processes
    (the theme table and the default plan, keyed by everything they depend on; see
    ``planner.ui.snapshot``). An empty folder means the first page is computed again.
``cjk_font()`` — ``HERITAGE_CJK_FONT``, default unset
    A font file with Chinese glyphs for word clouds and PDF brochures; unset means the
    Noto Sans SC font of ``pylopdf-fonts-zh-cn``, then system fonts (see ``nlp.fonts``).
``nlp_env(field)`` — ``HERITAGE_NLP_<FIELD>``, default: the field's default in ``nlp.config``
    Overrides one field of the NLP pipeline's settings (:class:`nlp.config.NlpConfig`):
    ``HERITAGE_NLP_LEXICON_DIR``, ``HERITAGE_NLP_CATALOG_DIR``, ``HERITAGE_NLP_ARTIFACTS_DIR``,
    ``HERITAGE_NLP_SEED`` (42), ``HERITAGE_NLP_WORKERS`` (min(2, CPUs)),
    ``HERITAGE_NLP_CHUNK_DOCS`` (2000), ``HERITAGE_NLP_MIN_CHARS`` (2),
    ``HERITAGE_NLP_MAX_CHARS`` (10000), ``HERITAGE_NLP_NEAR_DUP_THRESHOLD`` (0.8),
    ``HERITAGE_NLP_MIN_TOKEN_CHARS`` (2), ``HERITAGE_NLP_SENTIMENT_WORDS`` (``jieba``),
    ``HERITAGE_NLP_SEGMENTER`` (``rjieba``),
    ``HERITAGE_NLP_SENTIMENT_MODEL`` (``auto``),
    ``HERITAGE_NLP_ENGINE`` (``local``; ``dask`` runs the map-style stages as Dask tasks),
    ``HERITAGE_NLP_SCHEDULER`` (empty: a Dask ``LocalCluster``; else ``tcp://host:8786``),
    ``HERITAGE_NLP_SCHEDULER_TIMEOUT`` (10 seconds to reach the scheduler and its workers),
    ``HERITAGE_NLP_KEY_DIR`` (``~/.config/heritage-routes/corpus-keys``).
``roads_dir()`` — ``HERITAGE_ROADS_DIR``, default ``<root>/artifacts/roads``
    Road-network artifacts (OSRM data, road distance/time matrices; see ``planner.roads``).
``roads_enabled()`` — ``HERITAGE_ROADS``, default on
    ``off`` (or ``0``, ``no``, ``none``) makes plans ignore road data and use the distance
    table and estimates.
``author_key()`` — ``HERITAGE_NLP_AUTHOR_KEY``, default unset
    The key that pseudonymises review authors at ingest (keyed hash, ``nlp.privacy``);
    unset means a random key per corpus, kept under ``HERITAGE_NLP_KEY_DIR``.
``amap_key()`` — ``AMAP_KEY``, default unset
    AMap (高德) Web Service key for ``heritage catalog geocode`` (also ``--key``).

Planning assumptions (travel speeds, visit lengths, scoring weights) are data, not settings:
``<catalog>/planning.yaml``, read once by ``planner.themes.load_planning``.
"""

from __future__ import annotations

import os
from pathlib import Path

from common.errors import UserError

__all__ = [
    "AMAP_KEY_VAR",
    "ARTIFACTS_DIR",
    "CORPUS_DIR",
    "KG_ARTIFACTS_DIR",
    "KG_BACKENDS",
    "KG_QUERY_DIR",
    "LEXICON_DIR",
    "ONTOLOGY_DIR",
    "PROJECT_ROOT",
    "SAMPLE_CORPUS",
    "SettingError",
    "amap_key",
    "app_cache_dir",
    "author_key",
    "catalog_dir",
    "cjk_font",
    "data_dir",
    "kg_oxigraph_dir",
    "kg_store",
    "nlp_artifacts_dir",
    "nlp_env",
    "roads_dir",
    "roads_enabled",
]

PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR: Path = PROJECT_ROOT / "data" / "ontology"
LEXICON_DIR: Path = PROJECT_ROOT / "data" / "lexicon"
CORPUS_DIR: Path = PROJECT_ROOT / "data" / "corpus"
SAMPLE_CORPUS: Path = CORPUS_DIR / "sample_reviews.jsonl"
KG_QUERY_DIR: Path = PROJECT_ROOT / "kg" / "queries"
ARTIFACTS_DIR: Path = PROJECT_ROOT / "artifacts"
KG_ARTIFACTS_DIR: Path = ARTIFACTS_DIR / "kg"

KG_BACKENDS: tuple[str, ...] = ("memory", "oxigraph")


class SettingError(UserError, ValueError):
    """An environment variable holds a value the project cannot use."""


AMAP_KEY_VAR = "AMAP_KEY"


def _env(name: str) -> str | None:
    """The variable's value, or ``None`` when it is unset or blank."""
    value = os.environ.get(name)
    return value if value is not None and value.strip() else None


def data_dir() -> Path:
    """``$HERITAGE_DATA_DIR`` if set, else ``<root>/data``."""
    env = _env("HERITAGE_DATA_DIR")
    return Path(env).expanduser() if env else PROJECT_ROOT / "data"


def catalog_dir() -> Path:
    """``<data_dir()>/catalog``: the site catalog folder."""
    return data_dir() / "catalog"


def nlp_artifacts_dir() -> Path:
    """``$HERITAGE_NLP_ARTIFACTS_DIR`` if set, else ``<root>/artifacts/nlp``."""
    env = _env("HERITAGE_NLP_ARTIFACTS_DIR")
    return Path(env).expanduser() if env else ARTIFACTS_DIR / "nlp"


def kg_store() -> str:
    """``$HERITAGE_KG_STORE`` (``memory`` or ``oxigraph``), default ``memory``.

    Raises
    ------
    SettingError
        Any other value.
    """
    value = (_env("HERITAGE_KG_STORE") or "memory").strip().lower()
    if value not in KG_BACKENDS:
        raise SettingError(
            f"HERITAGE_KG_STORE must be one of {', '.join(KG_BACKENDS)}, got {value!r}"
        )
    return value


def kg_oxigraph_dir() -> Path:
    """``$HERITAGE_KG_OXIGRAPH_DIR`` if set, else ``<root>/artifacts/kg/oxigraph``."""
    env = _env("HERITAGE_KG_OXIGRAPH_DIR")
    return Path(env).expanduser() if env else KG_ARTIFACTS_DIR / "oxigraph"


def app_cache_dir() -> Path:
    """``$HERITAGE_APP_CACHE_DIR`` if set, else ``<root>/artifacts/app``."""
    env = _env("HERITAGE_APP_CACHE_DIR")
    return Path(env).expanduser() if env else ARTIFACTS_DIR / "app"


def cjk_font() -> Path | None:
    """``$HERITAGE_CJK_FONT`` as a path, or ``None`` when unset (existence is not checked)."""
    env = _env("HERITAGE_CJK_FONT")
    return Path(env).expanduser() if env else None


def nlp_env(field: str) -> str | None:
    """The raw value of ``HERITAGE_NLP_<FIELD>`` (``field`` as in ``NlpConfig``), or ``None``."""
    return os.environ.get(f"HERITAGE_NLP_{field.upper()}")


def roads_dir() -> Path:
    """``$HERITAGE_ROADS_DIR`` if set, else ``<root>/artifacts/roads``."""
    env = _env("HERITAGE_ROADS_DIR")
    return Path(env).expanduser() if env else ARTIFACTS_DIR / "roads"


def roads_enabled() -> bool:
    """``False`` when ``$HERITAGE_ROADS`` is ``off``, ``0``, ``no`` or ``none``."""
    return (_env("HERITAGE_ROADS") or "").strip().lower() not in {"off", "0", "no", "none"}


def author_key() -> str | None:
    """``$HERITAGE_NLP_AUTHOR_KEY``, or ``None`` when unset (a random key per corpus)."""
    return os.environ.get("HERITAGE_NLP_AUTHOR_KEY")


def amap_key() -> str | None:
    """``$AMAP_KEY`` (the AMap Web Service key), or ``None``."""
    return _env(AMAP_KEY_VAR)
