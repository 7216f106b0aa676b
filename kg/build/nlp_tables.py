"""Optional corpus-derived tables (keywords, mentions, topics, sentiment, similarity) read from
the NLP pipeline's artifact folders, with the provenance their manifests record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.artifacts import MANIFEST, latest_artifact, load_manifest, sha256_file
from kg.build.core import KGBuildError, _rel

if TYPE_CHECKING:
    import pandas as pd


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
    """The folder's manifest, or ``{}`` when it has none or it cannot be read."""
    if not (folder / MANIFEST).exists():
        return {}
    try:
        return load_manifest(folder)
    except (OSError, ValueError):
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
        from kg.corpus_origin import corpus_origin

        origin = corpus_origin(folder)  # which files; the embedded sample or a user's export
        info["corpus"] = origin.to_json() if origin else {"artifact_key": inputs["corpus"]}
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
    return [f for stage in NLP_STAGES if (f := latest_artifact(stage, root)) is not None]


# ============================================================================ the builder


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
