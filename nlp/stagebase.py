"""Plumbing shared by the NLP stages: reporters, stage outputs, the cached-artifact runner,
code hashes, document streaming and the pipeline's segmenter.

Every ``stage_*`` function (in :mod:`nlp.stages_text`, :mod:`nlp.stages_sentiment` and
:mod:`nlp.stages_site`) calls :func:`_run`, which keys the artifact on its parameters, input
hashes and the code it runs, and reuses a folder whose key already exists.
"""

from __future__ import annotations

import collections
import csv
import functools
import hashlib
import importlib
import importlib.metadata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from filelock import FileLock

from common.artifacts import code_hash as artifact_code_hash
from common.errors import UserError
from nlp.artifacts import (
    SCHEMA_VERSION,
    build_artifact,
    find_artifact,
    hash_params,
    load_manifest,
    sha256_file,
)
from nlp.config import NlpConfig
from nlp.errors import WorkerLostError
from nlp.ingest import iter_corpus
from nlp.lexicon import LexiconEntry, load_stopwords
from nlp.partitions import PartialStore, partial_folder, resumable
from nlp.segment import Segmenter

__all__ = [
    "NullReporter",
    "Reporter",
    "StageOutput",
    "code_hash",
    "group_slug",
    "iter_docs",
    "load_entries",
    "load_segmenter",
]


# --------------------------------------------------------------------------- plumbing


class Reporter:
    """Receives progress; subclass it (the CLI renders rich progress bars)."""

    def start(self, stage: str, total: int | None) -> None:
        """A stage begins; ``total`` documents if known."""

    def advance(self, stage: str, n: int) -> None:
        """``n`` more documents done."""

    def done(self, stage: str, out: StageOutput) -> None:
        """A stage finished (or was reused)."""

    def message(self, text: str) -> None:
        """A line worth showing (e.g. coherence per k)."""


class NullReporter(Reporter):
    """Reports nothing."""


@dataclass
class StageOutput:
    """Where a stage's artifact is and whether it was reused."""

    stage: str
    key: str
    path: Path
    reused: bool
    results: dict[str, Any] = field(default_factory=dict)


def _file_hash(path: Path) -> str:
    return sha256_file(path) if path.is_file() else "missing"


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# The code behind each stage: its modules and the pipeline functions it runs. A change there
# (and only there) invalidates the stage's artifacts and, through the keys, those downstream.
_STAGE_CODE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "corpus": (
        (
            "ingest",
            "mapping",
            "readers",
            "placefrom",
            "privacy",
            "boilerplate",
            "textnorm",
            "dedupe",
        ),
        ("_file_summary", "_write_rejects_summary"),
    ),
    "userdict": (("lexicon", "textnorm"), ()),
    "segment": (
        (
            "segment",
            "lexicon",
            "places",
            "parallel",
            "engine",
            "partitions",
            "textnorm",
            "docslices",
        ),
        (),
    ),
    "keywords": (("keywords", "segment", "engine", "partitions", "docslices"), ("_KeywordDocs",)),
    "topics": (
        ("topics", "segment", "parallel", "engine", "partitions", "docslices"),
        ("_write_doc_topics", "_infer_slice", "_sweep", "_topic_samples"),
    ),
    "sentiment": (
        ("sentiment", "segment", "parallel", "engine", "partitions", "docslices"),
        (
            "_sentiment_chunk",
            "_sentiment_pass",
            "_doc_slices",
            "_compact",
            "_scored",
            "_Scored",
            "_Picked",
            "_picked_slices",
            "_choose_sentiment_model",
            "_rated_chunk",
            "_counts_chunk",
            "_write_site_sentiment",
            "_write_aspect_sentiment",
            "_write_destination_sentiment",
        ),
    ),
    "practicalities": (
        ("practicalities", "sentiment", "places", "segment", "engine", "partitions", "docslices"),
        ("_practicalities_chunk",),
    ),
    "similarity": (("similarity",), ()),
    "network": (("network", "segment"), ()),
    "wordclouds": (("network", "fonts"), ()),
}
#: modules holding the stage functions and their helpers (imported lazily by code_hash)
_STAGE_MODULES = ("nlp.stagebase", "nlp.stages_text", "nlp.stages_sentiment", "nlp.stages_site")
_COMMON_HELPERS = (
    "iter_docs",
    "_rows",
    "_aligned",
    "_doc_groups",
    "load_segmenter",
    "_cached_segmenter",
    "load_entries",
)


@functools.lru_cache(maxsize=32)
def code_hash(stage: str) -> str:
    """Hash of the source code a stage runs (its modules, its function and helpers)."""
    modules, extra = _STAGE_CODE[stage]
    files = [Path(__file__).parent / f"{name}.py" for name in modules]
    namespace: dict[str, Any] = {}
    for module in _STAGE_MODULES:
        namespace.update(vars(importlib.import_module(module)))
    functions = [namespace[n] for n in (f"stage_{stage}", *extra, *_COMMON_HELPERS)]
    return artifact_code_hash(files, functions)[:16]


def _run(
    cfg: NlpConfig,
    stage: str,
    params: dict[str, Any],
    inputs: dict[str, str],
    build: Callable[[Path, dict[str, Any]], None],
    rep: Reporter,
    *,
    force: bool = False,
) -> StageOutput:
    """Reuse the stage's artifact for these parameters and inputs, or build it.

    Builds of one key are serialised by a file lock beside the artifact folder: a second
    process asking for the same key waits, then reuses what the first one built (it never
    deletes a folder another process is reading or renaming). The build's engine maps keep
    their results as partitions (:mod:`nlp.partitions`), so a killed build resumes from them.
    """
    inputs = {**inputs, "code": code_hash(stage)}
    key = hash_params({"stage": stage, "params": params, "inputs": inputs, "v": SCHEMA_VERSION})
    (cfg.artifacts_dir / stage).mkdir(parents=True, exist_ok=True)
    with FileLock(str(cfg.artifacts_dir / stage / f".{key}.lock")):
        found = None if force else find_artifact(cfg.artifacts_dir, stage, key)
        if found is not None:
            out = StageOutput(stage, key, found, True, load_manifest(found).get("results", {}))
            rep.done(stage, out)
            return out
        store = PartialStore(
            partial_folder(cfg.artifacts_dir, stage, key),
            on_resume=lambda name, n: rep.message(
                f"{stage}: resuming from {n} completed partition(s) of {name.rsplit('.', 1)[-1]}"
            ),
        )
        try:
            with (
                build_artifact(
                    cfg.artifacts_dir, stage, key, params=params, inputs=inputs, seed=cfg.seed
                ) as (tmp, results),
                resumable(store),
            ):
                build(tmp, results)
        except WorkerLostError:
            store.close()  # the machine, not the input: a rerun resumes from the partitions
            raise
        except UserError:
            store.remove()  # too little data, bad settings: a rerun would fail the same way
            raise
        except BaseException:
            store.close()  # the completed partitions stay for a rerun
            raise
        store.remove()  # the artifact is complete: its partitions are no longer needed
    out = StageOutput(stage, key, cfg.artifacts_dir / stage / key, False, results)
    rep.done(stage, out)
    return out


def group_slug(name: str) -> str:
    """ASCII folder name for a group label (pinyin + short hash): 大足 → ``dazu-1a2b3c``."""
    from pypinyin import lazy_pinyin

    base = "".join(p for p in lazy_pinyin(name) if p.isascii() and p.isalnum())[:32] or "g"
    return f"{base.lower()}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"


def iter_docs(
    corpus_dir: Path,
    tokens_path: Path,
    *,
    corpus_columns: Sequence[str] = ("doc_id", "destination", "place"),
    token_columns: Sequence[str] = ("tokens", "sites"),
    batch_docs: int = 2000,
) -> Iterator[list[dict[str, Any]]]:
    """Stream documents as chunks of dicts joining corpus and token columns (same row order).

    Raises
    ------
    ValueError
        If the two files disagree on document ids (the tokens are from another corpus).
    """
    cols = list(dict.fromkeys(["doc_id", *corpus_columns]))
    tcols = list(dict.fromkeys(["doc_id", *token_columns]))
    tokens = pq.ParquetFile(tokens_path).iter_batches(batch_size=batch_docs, columns=tcols)
    pending: collections.deque[dict[str, Any]] = collections.deque()
    for batch in iter_corpus(corpus_dir, columns=cols, batch_docs=batch_docs):
        chunk = []
        for r in batch.to_pylist():
            if not pending:
                pending.extend(next(tokens).to_pylist())
            t = pending.popleft()
            if t["doc_id"] != r["doc_id"]:
                raise ValueError(f"tokens out of step with corpus at {r['doc_id']}")
            chunk.append({**r, **t})
        yield chunk


def _rows(path: Path, columns: Sequence[str], batch_docs: int = 2000) -> Iterator[dict[str, Any]]:
    """Rows of a Parquet file as dicts, streamed."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_docs, columns=list(columns)):
        yield from batch.to_pylist()


def _aligned(rows: Iterator[dict[str, Any]], doc_id: str) -> dict[str, Any]:
    row = next(rows)
    if row["doc_id"] != doc_id:
        raise ValueError(f"artifact rows out of step with the corpus at {doc_id}")
    return row


def load_entries(userdict_dir: Path) -> list[LexiconEntry]:
    """Entries written by :func:`stage_userdict`."""
    with open(userdict_dir / "entries.csv", encoding="utf-8", newline="") as fh:
        return [
            LexiconEntry(r["word"], r["tag"], r["site_id"] or None, r["origin"])
            for r in csv.DictReader(fh)
        ]


def load_segmenter(userdict_dir: Path, cfg: NlpConfig, *, backend: str | None = None) -> Segmenter:
    """The pipeline's segmenter: user dictionary + maintained and domain stopwords; backend
    ``cfg.segmenter`` unless given.

    Cached per (user dictionary, lexicon folder, token length, backend): building a jieba
    tokenizer takes about a second, and the segmenter is never mutated after construction.
    The tokenizer is built on first use: a stage that only hands the segmenter to its workers
    never builds one here (0.2 s of rjieba, 1 s of jieba, before the workers start).
    """
    return _cached_segmenter(
        Path(userdict_dir), cfg.lexicon_dir, cfg.min_token_chars, backend or cfg.segmenter
    )


@functools.lru_cache(maxsize=4)
def _cached_segmenter(
    userdict_dir: Path, lexicon_dir: Path, min_token_chars: int, backend: str
) -> Segmenter:
    words = [e.word for e in load_entries(userdict_dir)]
    seg = Segmenter(
        userdict_dir / "userdict.txt",
        stopwords=load_stopwords(lexicon_dir, protected=words),
        min_token_chars=min_token_chars,
        backend=backend,
    )
    return seg


def _doc_groups(doc: dict[str, Any], by: str) -> list[str]:
    if by == "destination":
        return [doc["destination"]] if doc.get("destination") else []
    if by == "site":
        return list(doc.get("sites") or ([doc["place"]] if doc.get("place") else []))
    if by == "place":
        return [doc["place"]] if doc.get("place") else []
    raise ValueError(f"unknown grouping {by!r} (destination, site, place)")
