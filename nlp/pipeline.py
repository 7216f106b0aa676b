"""The NLP pipeline as cacheable stages: corpus → userdict → segment → keywords, topics,
sentiment, practicalities → similarity, network, word clouds.

Every ``stage_*`` function is pure over explicit inputs (files, upstream artifacts, a
:class:`~nlp.config.NlpConfig`) and writes ``<artifacts_dir>/<stage>/<key>/`` with a
``manifest.json`` (parameters, input hashes, library versions, seed, schema version). The key
hashes all of these, so a rerun with unchanged inputs finds the folder and reuses it.
:func:`run_all` chains them. Progress goes to a :class:`Reporter` (the CLI supplies a rich one;
this package never imports rich or typer).
"""

from __future__ import annotations

import array
import collections
import csv
import functools
import hashlib
import importlib.metadata
import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from common.artifacts import code_hash as artifact_code_hash
from nlp.artifacts import (
    SCHEMA_VERSION,
    build_artifact,
    find_artifact,
    hash_params,
    load_manifest,
    sha256_file,
)
from nlp.config import NlpConfig
from nlp.errors import ConfigError
from nlp.ingest import corpus_fingerprint, corpus_size, ingest_file, iter_corpus
from nlp.lexicon import LexiconEntry, build_userdict_entries, load_stopwords, write_userdict
from nlp.parallel import ordered_map
from nlp.places import PlaceMatcher
from nlp.segment import Segmenter, segment_corpus

__all__ = [
    "NullReporter",
    "Reporter",
    "StageOutput",
    "group_slug",
    "iter_docs",
    "load_segmenter",
    "run_all",
    "stage_corpus",
    "stage_keywords",
    "stage_network",
    "stage_practicalities",
    "stage_segment",
    "stage_sentiment",
    "stage_similarity",
    "stage_topics",
    "stage_userdict",
    "stage_wordclouds",
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
    "corpus": (("ingest", "textnorm", "dedupe", "artifacts"), ()),
    "userdict": (("lexicon", "textnorm"), ()),
    "segment": (("segment", "lexicon", "places", "parallel", "textnorm"), ()),
    "keywords": (("keywords", "segment"), ()),
    "topics": (("topics", "segment"), ("_write_doc_topics",)),
    "sentiment": (
        ("sentiment", "segment", "parallel"),
        (
            "_sentiment_chunk",
            "_sentiment_pass",
            "_choose_sentiment_model",
            "_rated_chunk",
            "_counts_chunk",
        ),
    ),
    "practicalities": (("practicalities", "sentiment", "places", "segment"), ()),
    "similarity": (("similarity",), ()),
    "network": (("network", "segment"), ()),
    "wordclouds": (("network", "fonts"), ()),
}
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
    functions = [globals()[n] for n in (f"stage_{stage}", *extra, *_COMMON_HELPERS)]
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
    inputs = {**inputs, "code": code_hash(stage)}
    key = hash_params({"stage": stage, "params": params, "inputs": inputs, "v": SCHEMA_VERSION})
    found = None if force else find_artifact(cfg.artifacts_dir, stage, key)
    if found is not None:
        out = StageOutput(stage, key, found, True, load_manifest(found).get("results", {}))
        rep.done(stage, out)
        return out
    with build_artifact(
        cfg.artifacts_dir, stage, key, params=params, inputs=inputs, seed=cfg.seed
    ) as (tmp, results):
        build(tmp, results)
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


# --------------------------------------------------------------------------- stages


def stage_corpus(
    inputs: Sequence[str | Path],
    cfg: NlpConfig,
    *,
    source: str | None = None,
    authors: str = "hash",
    rep: Reporter | None = None,
    force: bool = False,
) -> StageOutput:
    """Ingest input files into a corpus artifact (see :mod:`nlp.ingest`)."""
    rep = rep or NullReporter()
    paths = [Path(p) for p in inputs]
    lex = cfg.lexicon_dir
    params = {
        "source": source,
        "authors": authors,
        "min_chars": cfg.min_chars,
        "max_chars": cfg.max_chars,
        "near_dup_threshold": cfg.near_dup_threshold,
    }
    in_hashes = {f"input:{p.name}": _file_hash(p) for p in paths}
    in_hashes |= {
        "boilerplate.txt": _file_hash(lex / "boilerplate.txt"),
        "sources.yaml": _file_hash(lex / "sources.yaml"),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        rep.start("corpus", None)
        summary = []
        for p in paths:
            r = ingest_file(p, tmp, source=source, authors=authors, cfg=cfg)
            rep.advance("corpus", r.rows)
            summary.append(
                {
                    "file": str(p),
                    "source": r.source,
                    "encoding": r.encoding,
                    "rows": r.rows,
                    "kept": r.kept,
                    "rejected": r.rejected,
                    "reasons": dict(r.reasons),
                    "kept_with_issues": dict(r.kept_with_issues),
                    "rejects_file": r.rejects_file,
                }
            )
        results["files"] = summary
        results["documents"] = corpus_size(tmp)
        with open(tmp / "rejects_summary.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "reason", "action", "rows"])
            for s in summary:
                for reason, n in sorted(s["reasons"].items()):
                    w.writerow([s["file"], reason, "dropped", n])
                for reason, n in sorted(s["kept_with_issues"].items()):
                    w.writerow([s["file"], reason, "kept", n])

    return _run(cfg, "corpus", params, in_hashes, build, rep, force=force)


def stage_userdict(cfg: NlpConfig, *, rep: Reporter | None = None) -> StageOutput:
    """Generate the jieba user dictionary from the catalog, heritage items and domain terms."""
    rep = rep or NullReporter()
    cat = cfg.catalog_dir
    inputs = {
        "sites.csv": _file_hash(cat / "sites.csv"),
        "heritage_items.csv": _file_hash(cat / "heritage_items.csv"),
        "domain_terms.txt": _file_hash(cfg.lexicon_dir / "domain_terms.txt"),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        catalog = None
        if (cat / "sites.csv").is_file():
            from kg.catalog import load_catalog  # lazily: nlp does not need kg otherwise

            catalog = load_catalog(cat)
        entries = build_userdict_entries(
            catalog=catalog,
            heritage_csv=cat / "heritage_items.csv",
            domain_terms=cfg.lexicon_dir / "domain_terms.txt",
        )
        write_userdict(tmp / "userdict.txt", entries)
        with open(tmp / "entries.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["word", "tag", "site_id", "origin"])
            for e in entries:
                w.writerow([e.word, e.tag, e.site_id or "", e.origin])
        results["words"] = len(entries)
        results["place_names"] = sum(1 for e in entries if e.site_id)
        results["catalog"] = catalog is not None

    return _run(cfg, "userdict", {}, inputs, build, rep)


def load_entries(userdict_dir: Path) -> list[LexiconEntry]:
    """Entries written by :func:`stage_userdict`."""
    with open(userdict_dir / "entries.csv", encoding="utf-8", newline="") as fh:
        return [
            LexiconEntry(r["word"], r["tag"], r["site_id"] or None, r["origin"])
            for r in csv.DictReader(fh)
        ]


def load_segmenter(userdict_dir: Path, cfg: NlpConfig, *, backend: str = "jieba") -> Segmenter:
    """The pipeline's segmenter: user dictionary + maintained and domain stopwords.

    Cached per (user dictionary, lexicon folder, token length, backend): building a jieba
    tokenizer takes about a second, and the segmenter is never mutated after construction.
    """
    return _cached_segmenter(Path(userdict_dir), cfg.lexicon_dir, cfg.min_token_chars, backend)


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
    seg.cut("")  # build the tokenizer now, once
    return seg


def stage_segment(
    corpus: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    backend: str = "jieba",
    rep: Reporter | None = None,
) -> StageOutput:
    """Segment the corpus in parallel into ``tokens.parquet`` (see :mod:`nlp.segment`)."""
    rep = rep or NullReporter()
    params = {"backend": backend, "min_token_chars": cfg.min_token_chars}
    inputs = {
        "corpus": corpus_fingerprint(corpus.path),
        "userdict": userdict.key,
        "stopwords_domain.txt": _file_hash(cfg.lexicon_dir / "stopwords_domain.txt"),
        "stopwordsiso": str(_version("stopwordsiso")),
        "jieba": str(_version("jieba")),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg, backend=backend)
        matcher = PlaceMatcher(load_entries(userdict.path))
        rep.start("segment", corpus_size(corpus.path))
        n = segment_corpus(
            iter_corpus(
                corpus.path, columns=["doc_id", "text", "place"], batch_docs=cfg.chunk_docs
            ),
            tmp / "tokens.parquet",
            seg,
            matcher=matcher,
            workers=cfg.workers,
            progress=lambda k: rep.advance("segment", k),
        )
        results["documents"] = n
        results["workers"] = cfg.workers
        results["corpus_dir"] = str(corpus.path)

    return _run(cfg, "segment", params, inputs, build, rep)


def _doc_groups(doc: dict[str, Any], by: str) -> list[str]:
    if by == "destination":
        return [doc["destination"]] if doc.get("destination") else []
    if by == "site":
        return list(doc.get("sites") or ([doc["place"]] if doc.get("place") else []))
    if by == "place":
        return [doc["place"]] if doc.get("place") else []
    raise ValueError(f"unknown grouping {by!r} (destination, site, place)")


def stage_keywords(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    group_by: Sequence[str] = ("destination", "site"),
    top_n: int = 100,
    min_df: int = 2,
    rep: Reporter | None = None,
) -> StageOutput:
    """TF-IDF keyword tables per grouping: ``keywords_<by>.csv`` (long), ``table_<by>.csv``
    (report-style top 10), ``groups_<by>.csv`` (document shares), ``vectors_<by>.npz``."""
    from nlp.keywords import fit_keywords

    rep = rep or NullReporter()
    params = {"group_by": list(group_by), "top_n": top_n, "min_df": min_df}
    inputs = {"corpus": corpus.key, "tokens": tokens.key}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        for by in group_by:
            rep.start(f"keywords:{by}", None)

            def chunks(by: str = by) -> Iterator[list[tuple[list[str], list[str]]]]:
                for chunk in iter_docs(
                    corpus.path, tokens.path / "tokens.parquet", batch_docs=cfg.chunk_docs
                ):
                    yield [(_doc_groups(d, by), seg.expand(d["tokens"])) for d in chunk]

            kt = fit_keywords(chunks, top_n=top_n, min_df=min_df)
            kt.keywords.to_csv(tmp / f"keywords_{by}.csv", index=False, float_format="%.6g")
            kt.groups.to_csv(tmp / f"groups_{by}.csv", index=False, float_format="%.6g")
            kt.wide(10).to_csv(tmp / f"table_{by}.csv", float_format="%.2f")
            sp.save_npz(tmp / f"vectors_{by}.npz", kt.group_vectors)
            (tmp / f"vectors_{by}.json").write_text(
                json.dumps(
                    {"groups": kt.groups["group"].tolist(), "vocabulary": kt.vocabulary},
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            results[by] = {"groups": len(kt.groups), "vocabulary": len(kt.vocabulary)}
            results["documents"] = kt.n_docs

    return _run(cfg, "keywords", params, inputs, build, rep)


def stage_topics(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    ks: Sequence[int] = (2, 3, 4, 5, 6, 8),
    passes: int = 10,
    iterations: int = 100,
    no_below: int = 3,
    no_above: float = 0.5,
    min_group_docs: int = 30,
    coherence_docs: int = 5000,
    rep: Reporter | None = None,
) -> StageOutput:
    """LDA over all documents and per destination, k chosen by c_v over ``ks``.

    Writes ``coherence.csv`` (group, k, c_v, u_mass, c_npmi, chosen), ``topic_terms.csv``
    (group, k, topic, rank, term, weight), ``doc_topics.parquet`` (overall model) and
    ``models/<slug>/`` (gensim model, dictionary, params).
    """
    from nlp.topics import coherence_sweep

    rep = rep or NullReporter()
    params = {
        "ks": list(ks),
        "passes": passes,
        "iterations": iterations,
        "no_below": no_below,
        "no_above": no_above,
        "min_group_docs": min_group_docs,
        "coherence_docs": coherence_docs,
        "seed": cfg.seed,
    }
    inputs = {"corpus": corpus.key, "tokens": tokens.key, "gensim": str(_version("gensim"))}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        tokens_path = tokens.path / "tokens.parquet"
        sizes: Counter[str] = Counter()
        for chunk in iter_docs(corpus.path, tokens_path, batch_docs=cfg.chunk_docs):
            sizes.update(d["destination"] for d in chunk if d["destination"])
        big = sorted(g for g, n in sizes.items() if n >= min_group_docs)
        groups: list[str | None] = [None, *big]
        coh_rows, term_rows, chosen = [], [], {}
        for group in groups:
            label = group or "all"

            def docs(group: str | None = group) -> Iterator[list[str]]:
                for chunk in iter_docs(corpus.path, tokens_path, batch_docs=cfg.chunk_docs):
                    for d in chunk:
                        if group is None or d["destination"] == group:
                            yield seg.expand(d["tokens"])

            rep.message(f"topics [{label}]: sweeping k over {list(ks)}")
            res = coherence_sweep(
                docs,
                ks,
                seed=cfg.seed,
                passes=passes,
                iterations=iterations,
                no_below=no_below,
                no_above=no_above,
                coherence_docs=coherence_docs,
                on_k=lambda r, label=label: rep.message(
                    f"  [{label}] k={r['k']:>2}  c_v={r['c_v']:.4f}  u_mass={r['u_mass']:.4f}  "
                    f"c_npmi={r['c_npmi']:.4f}"
                ),
            )
            for row in res.table:
                coh_rows.append({"group": label, **row, "chosen": row["k"] == res.best_k})
            model = res.models[res.best_k]
            slug = "all" if group is None else group_slug(group)
            model.save(tmp / "models" / slug)
            for t, terms in enumerate(model.topics(10)):
                for rank, (term, w) in enumerate(terms, 1):
                    term_rows.append((label, res.best_k, t, rank, term, w))
            chosen[label] = {"k": res.best_k, "folder": f"models/{slug}", "docs": model.n_docs_}
            if group is None:
                _write_doc_topics(
                    model, seg.expand, corpus, tokens_path, tmp / "doc_topics.parquet", cfg
                )
        pd.DataFrame(coh_rows).to_csv(tmp / "coherence.csv", index=False, float_format="%.6f")
        pd.DataFrame(term_rows, columns=["group", "k", "topic", "rank", "term", "weight"]).to_csv(
            tmp / "topic_terms.csv", index=False, float_format="%.6f"
        )
        results["models"] = chosen

    return _run(cfg, "topics", params, inputs, build, rep)


def _write_doc_topics(
    model: Any,
    expand: Callable[[list[str]], list[str]],
    corpus: StageOutput,
    tokens_path: Path,
    out: Path,
    cfg: NlpConfig,
) -> None:
    k = model.num_topics
    schema = pa.schema(
        [
            ("doc_id", pa.string()),
            ("dominant_topic", pa.int32()),
            ("topics", pa.list_(pa.float32())),
        ]
    )
    writer = pq.ParquetWriter(out, schema)
    try:
        for chunk in iter_docs(corpus.path, tokens_path, batch_docs=cfg.chunk_docs):
            dist = model.transform([expand(d["tokens"]) for d in chunk]).reshape(-1, k)
            table = pa.table(
                {
                    "doc_id": [d["doc_id"] for d in chunk],
                    "dominant_topic": np.argmax(dist, axis=1).astype(np.int32),
                    "topics": [list(map(float, row)) for row in dist],
                },
                schema=schema,
            )
            writer.write_table(table)
    finally:
        writer.close()


# --------------------------------------------------------------------------- sentiment


SENTIMENT_MODELS = ("auto", "bundled", "rated")
#: most rated documents a sentiment model is trained on (seeded sample; bounds memory and
#: time: ChnSentiCorp's 7,765 labelled reviews already give ROC AUC 0.95 out of fold)
SENTIMENT_MAX_TRAIN = 20_000

_DOC_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("score", pa.float64()),
        ("score_bundled", pa.float64()),
        ("rating", pa.float64()),
    ]
)
_ASPECT_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("sites", pa.list_(pa.string())),
        ("aspect", pa.string()),
        ("clause", pa.string()),
        ("score", pa.float64()),
    ]
)


def _sentiment_pass(
    corpus: StageOutput,
    tokens: StageOutput,
    cfg: NlpConfig,
    func: Callable[[Any, list[str]], list[Any]],
    state: Any,
    tmp: Path,
    *,
    bundled: np.ndarray | None = None,
    override: dict[int, float] | None = None,
    clauses: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, list[float | None]]:
    """Score every document (and, with ``clauses``, every aspect clause) with ``func`` in
    parallel, streaming; write ``doc_sentiment.parquet`` (and ``aspect_clauses.parquet``),
    replacing earlier ones atomically. ``override`` replaces the scores of documents by
    position; ``bundled`` fills ``score_bundled`` (default: the scores themselves). Returns
    the document scores and ratings."""
    meta: collections.deque[list[dict[str, Any]]] = collections.deque()

    def texts() -> Iterator[list[str]]:
        for chunk in iter_docs(
            corpus.path,
            tokens.path / "tokens.parquet",
            corpus_columns=("doc_id", "text", "rating", "place"),
            token_columns=("sites",),
            batch_docs=cfg.chunk_docs,
        ):
            meta.append(chunk)
            yield [d["text"] for d in chunk]

    scores = array.array("d")
    ratings: list[float | None] = []
    doc_tmp, asp_tmp = tmp / "doc_sentiment.parquet.part", tmp / "aspect_clauses.parquet.part"
    dw = pq.ParquetWriter(doc_tmp, _DOC_SCHEMA)
    aw = pq.ParquetWriter(asp_tmp, _ASPECT_SCHEMA) if clauses else None
    try:
        for result in ordered_map(func, state, texts(), workers=cfg.workers):
            chunk = meta.popleft()
            first = len(scores)
            doc_scores = [r[0] for r in result]
            if override:
                doc_scores = [override.get(first + i, x) for i, x in enumerate(doc_scores)]
            base = doc_scores if bundled is None else bundled[first : first + len(chunk)].tolist()
            dw.write_table(
                pa.table(
                    {
                        "doc_id": [d["doc_id"] for d in chunk],
                        "score": doc_scores,
                        "score_bundled": base,
                        "rating": [d["rating"] for d in chunk],
                    },
                    schema=_DOC_SCHEMA,
                )
            )
            if aw is not None:
                rows = [
                    (d["doc_id"], _doc_groups(d, "site"), a, c, sc)
                    for d, r in zip(chunk, result, strict=True)
                    for a, c, sc in r[1]
                ]
                aw.write_table(
                    pa.table(
                        {n: [row[i] for row in rows] for i, n in enumerate(_ASPECT_SCHEMA.names)},
                        schema=_ASPECT_SCHEMA,
                    )
                )
            scores.extend(doc_scores)
            ratings += [d["rating"] for d in chunk]
            if on_chunk:
                on_chunk(len(chunk))
    finally:
        dw.close()
        if aw is not None:
            aw.close()
    os.replace(doc_tmp, tmp / "doc_sentiment.parquet")
    if aw is not None:
        os.replace(asp_tmp, tmp / "aspect_clauses.parquet")
    return np.frombuffer(scores, dtype=np.float64), ratings


def _choose_sentiment_model(
    corpus: StageOutput,
    tokens: StageOutput,
    cfg: NlpConfig,
    seg: Segmenter,
    bundled: np.ndarray,
    labels: list[int | None],
    *,
    min_per_class: int,
) -> dict[str, Any]:
    """Learn from the ratings when there are enough and compare with the bundled model on the
    same documents (out-of-fold); ``used`` says which scores the stage keeps."""
    from sklearn.metrics import roc_auc_score

    from nlp.sentiment import RatedModel

    n_pos = sum(1 for y in labels if y == 1)
    n_neg = sum(1 for y in labels if y == 0)
    out: dict[str, Any] = {"used": "bundled", "n_pos": n_pos, "n_neg": n_neg}
    if cfg.sentiment_model == "bundled":
        out["reason"] = "sentiment_model=bundled"
        return out
    if min(n_pos, n_neg) < min_per_class:
        if cfg.sentiment_model == "rated":
            raise ConfigError(
                f"sentiment_model=rated needs at least {min_per_class} rated documents per "
                f"class; the corpus has {n_pos} positive and {n_neg} negative"
            )
        out["reason"] = f"fewer than {min_per_class} rated documents in a class"
        return out
    # seeded sample of the rated documents (all of them up to SENTIMENT_MAX_TRAIN)
    rated = [i for i, y in enumerate(labels) if y is not None]
    if len(rated) > SENTIMENT_MAX_TRAIN:
        rated = sorted(random.Random(cfg.seed).sample(rated, SENTIMENT_MAX_TRAIN))
    wanted = set(rated)
    model = RatedModel(seed=cfg.seed)

    def sample_texts() -> Iterator[list[str]]:  # streamed to the workers, never all held
        pos = 0
        for chunk in iter_docs(
            corpus.path,
            tokens.path / "tokens.parquet",
            corpus_columns=("text",),
            token_columns=(),
            batch_docs=cfg.chunk_docs,
        ):
            texts = [d["text"] for k, d in enumerate(chunk) if pos + k in wanted]
            pos += len(chunk)
            if texts:
                yield texts

    parts = ordered_map(_counts_chunk, (model, seg), sample_texts(), workers=cfg.workers)
    counts = sp.vstack(list(parts), format="csr")
    y = np.array([labels[i] for i in rated], dtype=int)
    oof = model.cross_val_counts(counts, y)
    rated_auc = float(roc_auc_score(y, oof))
    bundled_auc = float(roc_auc_score(y, bundled[rated]))
    out.update(
        n_train=len(rated),
        rated_cv_auc=rated_auc,
        bundled_auc=bundled_auc,
        rated_params=model.params(),
    )
    if cfg.sentiment_model == "rated" or rated_auc > bundled_auc:
        out["used"] = "rated"
        out["reason"] = (
            "sentiment_model=rated" if cfg.sentiment_model == "rated" else "higher ROC AUC"
        )
        out["model"] = model.fit_counts(counts, y)
        out["oof"] = dict(zip(rated, oof.tolist(), strict=True))
    else:
        out["reason"] = "the bundled model scored at least as well"
    return out


def _counts_chunk(state: tuple[Any, Segmenter], texts: list[str]) -> Any:
    model, seg = state
    return model.counts([seg.cut(t) for t in texts])


def _rated_chunk(state: tuple[Any, Segmenter], texts: list[str]) -> list[Any]:
    model, seg = state
    return [(sc, []) for sc in model.score([seg.cut(t) for t in texts]).tolist()]


def _sentiment_chunk(state: tuple[Any, Segmenter, list[Any]], texts: list[str]) -> list[Any]:
    from nlp.sentiment import aspect_clauses

    scorer, seg, aspects = state
    out = []
    for text in texts:
        pairs = aspect_clauses(text, seg.cut, aspects)
        out.append((scorer.score(text), [(a, c, scorer.score(c)) for a, c in pairs]))
    return out


@dataclass
class _Acc:
    n: int = 0
    total: float = 0.0
    pos: int = 0
    examples_pos: list[str] = field(default_factory=list)
    examples_neg: list[str] = field(default_factory=list)


def stage_sentiment(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    positive_min: float = 4.0,
    min_rated_per_class: int = 100,
    rep: Reporter | None = None,
) -> StageOutput:
    """Document and aspect sentiment, calibrated on star ratings when the corpus has them.

    snownlp's bundled model scores everything first. With ``cfg.sentiment_model`` ``auto`` and
    at least ``min_rated_per_class`` rated documents on each side of ``positive_min``, a
    :class:`~nlp.sentiment.RatedModel` is learnt from the ratings and replaces the bundled scores
    if its out-of-fold ROC AUC is higher on the same documents (``rated`` forces it, ``bundled``
    never learns). ``model.json`` records the comparison.

    Writes ``doc_sentiment.parquet`` (doc_id, score, score_bundled, rating),
    ``aspect_clauses.parquet``, ``model.json``, ``calibration.json``, ``site_sentiment.csv`` and
    ``aspect_sentiment.csv``.
    """
    from nlp.sentiment import SentimentScorer, calibrate, labels_from_ratings, load_aspects

    rep = rep or NullReporter()
    if cfg.sentiment_words not in {"snownlp", "jieba"}:
        raise ValueError(f"sentiment_words must be snownlp or jieba, got {cfg.sentiment_words!r}")
    if cfg.sentiment_model not in SENTIMENT_MODELS:
        raise ConfigError(
            f"sentiment_model must be one of {', '.join(SENTIMENT_MODELS)}, "
            f"got {cfg.sentiment_model!r}"
        )
    params = {
        "positive_min": positive_min,
        "model": "snownlp-bundled",
        "words": cfg.sentiment_words,
        "learn_from_ratings": cfg.sentiment_model,
        "min_rated_per_class": min_rated_per_class,
        "max_train": SENTIMENT_MAX_TRAIN,
        "seed": cfg.seed,
    }
    inputs = {
        "corpus": corpus.key,
        "tokens": tokens.key,
        "aspects.yaml": _file_hash(cfg.lexicon_dir / "aspects.yaml"),
        "snownlp": str(_version("snownlp")),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        aspects = load_aspects(cfg.lexicon_dir / "aspects.yaml")
        words = "snownlp" if cfg.sentiment_words == "snownlp" else seg.cut
        rep.start("sentiment", corpus_size(corpus.path))
        # pass 1: the bundled model scores every document and aspect clause
        bundled, ratings = _sentiment_pass(
            corpus,
            tokens,
            cfg,
            _sentiment_chunk,
            (SentimentScorer(words=words), seg, aspects),
            tmp,
            on_chunk=lambda n: rep.advance("sentiment", n),
        )
        labels = labels_from_ratings(ratings, positive_min=positive_min)
        choice = _choose_sentiment_model(
            corpus, tokens, cfg, seg, bundled, labels, min_per_class=min_rated_per_class
        )
        scores = bundled
        if choice["used"] == "rated":
            # pass 2: documents get the model learnt from the ratings; those it was trained on
            # keep their out-of-fold score (never scored by a model that saw them). Aspect
            # clauses keep the bundled scores: a document-level model learnt from a few thousand
            # reviews pulls short clauses towards its prior, and clauses have no labels to
            # calibrate on.
            rep.message(
                f"sentiment: learnt from {choice['n_train']:,} rated documents "
                f"(out-of-fold ROC AUC {choice['rated_cv_auc']:.3f} vs bundled "
                f"{choice['bundled_auc']:.3f} on the same documents)"
            )
            scores, _ = _sentiment_pass(
                corpus,
                tokens,
                cfg,
                _rated_chunk,
                (choice.pop("model"), seg),
                tmp,
                bundled=bundled,
                override=choice.pop("oof"),
                clauses=False,
            )
        else:
            choice.pop("model", None)
            choice.pop("oof", None)
        results["model"] = choice
        cal = calibrate(scores, labels)
        # aspect clauses are bundled-model scores: cut them at the bundled model's threshold
        cal_bundled = cal if scores is bundled else calibrate(bundled, labels)
        choice["aspects"] = "bundled model, its calibrated threshold"
        choice["bundled_calibration"] = cal_bundled.to_dict()
        (tmp / "model.json").write_text(json.dumps(choice, indent=2) + "\n", encoding="utf-8")
        (tmp / "calibration.json").write_text(
            json.dumps(cal.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        threshold = cal.threshold
        site_acc: dict[str, _Acc] = defaultdict(_Acc)
        site_ratings: dict[str, list[float]] = defaultdict(list)
        scored = _rows(tmp / "doc_sentiment.parquet", ["doc_id", "score"])
        for chunk in iter_docs(
            corpus.path,
            tokens.path / "tokens.parquet",
            corpus_columns=("doc_id", "place", "rating"),
            token_columns=("sites",),
            batch_docs=cfg.chunk_docs,
        ):
            for d in chunk:
                s = _aligned(scored, d["doc_id"])["score"]
                for g in _doc_groups(d, "site"):
                    acc = site_acc[g]
                    acc.n += 1
                    acc.total += s
                    acc.pos += s >= threshold
                    if d["rating"] is not None:
                        site_ratings[g].append(d["rating"])
        pd.DataFrame(
            [
                {
                    "site": g,
                    "n_docs": a.n,
                    "mean_score": a.total / a.n,
                    "share_positive": a.pos / a.n,
                    "n_rated": len(site_ratings[g]),
                    "mean_rating": float(np.mean(site_ratings[g])) if site_ratings[g] else None,
                }
                for g, a in sorted(site_acc.items())
            ]
        ).to_csv(tmp / "site_sentiment.csv", index=False, float_format="%.4f")
        asp_acc: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
        for batch in pq.ParquetFile(tmp / "aspect_clauses.parquet").iter_batches():
            for r in batch.to_pylist():
                for g in [*r["sites"], "*"]:
                    acc = asp_acc[(g, r["aspect"])]
                    acc.n += 1
                    acc.total += r["score"]
                    positive = r["score"] >= cal_bundled.threshold
                    acc.pos += positive
                    ex = acc.examples_pos if positive else acc.examples_neg
                    if len(ex) < 3:
                        ex.append(r["clause"])
        pd.DataFrame(
            [
                {
                    "site": g,
                    "aspect": a,
                    "n_clauses": acc.n,
                    "mean_score": acc.total / acc.n,
                    "share_positive": acc.pos / acc.n,
                    "examples_positive": " | ".join(acc.examples_pos),
                    "examples_negative": " | ".join(acc.examples_neg),
                }
                for (g, a), acc in sorted(asp_acc.items())
            ]
        ).to_csv(tmp / "aspect_sentiment.csv", index=False, float_format="%.4f")
        results["calibration"] = cal.to_dict()
        results["documents"] = len(scores)

    return _run(cfg, "sentiment", params, inputs, build, rep)


# --------------------------------------------------------------------------- practicalities


def stage_practicalities(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    min_evidence: int = 3,
    rep: Reporter | None = None,
) -> StageOutput:
    """Per-site visit priors: ``priors.csv`` (figures and counts) and ``priors.json`` (with
    evidence sentences)."""
    from nlp.practicalities import PracticalityMiner, PriorAggregator, attribute

    rep = rep or NullReporter()
    params = {"min_evidence": min_evidence}
    inputs = {
        "corpus": corpus.key,
        "tokens": tokens.key,
        "practicalities.yaml": _file_hash(cfg.lexicon_dir / "practicalities.yaml"),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        matcher = PlaceMatcher(load_entries(userdict.path))
        miner = PracticalityMiner(cfg.lexicon_dir / "practicalities.yaml")
        agg = PriorAggregator()
        rep.start("practicalities", corpus_size(corpus.path))
        for chunk in iter_docs(
            corpus.path,
            tokens.path / "tokens.parquet",
            corpus_columns=("doc_id", "text", "place"),
            token_columns=("sites",),
            batch_docs=cfg.chunk_docs,
        ):
            for d in chunk:
                sites = _doc_groups(d, "site")
                found = miner.mine(d["text"])
                if found:
                    agg.add_doc(
                        sites,
                        attribute(found, sites, lambda s: matcher.match_tokens(seg.cut(s))),
                    )
                else:
                    agg.add_doc(sites, [])
            rep.advance("practicalities", len(chunk))
        rows = agg.result(min_evidence=min_evidence)
        (tmp / "priors.json").write_text(
            json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        flat = pd.DataFrame([{k: v for k, v in r.items() if k != "evidence"} for r in rows])
        flat.to_csv(tmp / "priors.csv", index=False, float_format="%.3f")
        results["sites"] = len(rows)
        results["sites_with_duration_prior"] = sum(
            1 for r in rows if r["visit_hours_prior"] is not None
        )

    return _run(cfg, "practicalities", params, inputs, build, rep)


# --------------------------------------------------------------------------- similarity etc.


def stage_similarity(
    corpus: StageOutput,
    tokens: StageOutput,
    keywords: StageOutput,
    topics: StageOutput,
    cfg: NlpConfig,
    *,
    weight: float = 0.5,
    top_k: int = 5,
    min_docs: int = 3,
    rep: Reporter | None = None,
) -> StageOutput:
    """Site-to-site similarity (``similarity.csv``) from TF-IDF and topic vectors."""
    from nlp.similarity import site_similarity

    rep = rep or NullReporter()
    params = {"weight": weight, "top_k": top_k, "min_docs": min_docs}
    inputs = {
        "corpus": corpus.key,
        "tokens": tokens.key,
        "keywords": keywords.key,
        "topics": topics.key,
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        meta = json.loads((keywords.path / "vectors_site.json").read_text(encoding="utf-8"))
        vectors = sp.load_npz(keywords.path / "vectors_site.npz").tocsr()
        sizes = pd.read_csv(keywords.path / "groups_site.csv", dtype={"group": str})
        n_of = dict(zip(sizes["group"], sizes["n_docs"], strict=True))
        groups = meta["groups"]
        keep = [i for i, g in enumerate(groups) if n_of.get(g, 0) >= min_docs]
        sites = [groups[i] for i in keep]
        index = {g: i for i, g in enumerate(sites)}
        k = None
        sums: np.ndarray | None = None
        counts = np.zeros(len(sites))
        doc_topics = _rows(topics.path / "doc_topics.parquet", ["doc_id", "topics"])
        for chunk in iter_docs(
            corpus.path,
            tokens.path / "tokens.parquet",
            corpus_columns=("doc_id", "place"),
            token_columns=("sites",),
            batch_docs=cfg.chunk_docs,
        ):
            for d in chunk:
                dist = _aligned(doc_topics, d["doc_id"])["topics"]
                if sums is None:
                    k = len(dist)
                    sums = np.zeros((len(sites), k))
                for g in _doc_groups(d, "site"):
                    if g in index:
                        sums[index[g]] += dist
                        counts[index[g]] += 1
        topic_vecs = None if sums is None else sums / np.maximum(counts, 1)[:, None]
        table = site_similarity(sites, vectors[keep], topic_vecs, weight=weight, top_k=top_k)
        table.to_csv(tmp / "similarity.csv", index=False, float_format="%.4f")
        results["sites"] = len(sites)
        results["topics"] = k

    return _run(cfg, "similarity", params, inputs, build, rep)


def stage_network(
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    top_n: int = 80,
    min_weight: int = 2,
    max_edges: int = 400,
    rep: Reporter | None = None,
) -> StageOutput:
    """Term co-occurrence network: ``cooccurrence.graphml``, ``.gexf`` and ``edges.csv``."""
    from nlp.network import cooccurrence_graph, write_graph

    rep = rep or NullReporter()
    params = {"top_n": top_n, "min_weight": min_weight, "max_edges": max_edges}
    inputs = {"tokens": tokens.key}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)

        def docs() -> Iterator[list[str]]:
            pf = pq.ParquetFile(tokens.path / "tokens.parquet")
            for b in pf.iter_batches(batch_size=cfg.chunk_docs, columns=["tokens"]):
                for toks in b.column("tokens").to_pylist():
                    yield seg.expand(toks)

        G = cooccurrence_graph(docs, top_n=top_n, min_weight=min_weight, max_edges=max_edges)
        write_graph(G, tmp)
        pd.DataFrame(
            [(a, b, d["weight"]) for a, b, d in G.edges(data=True)],
            columns=["source", "target", "weight"],
        ).to_csv(tmp / "edges.csv", index=False)
        results["nodes"] = G.number_of_nodes()
        results["edges"] = G.number_of_edges()

    return _run(cfg, "network", params, inputs, build, rep)


def stage_wordclouds(
    keywords: StageOutput,
    cfg: NlpConfig,
    *,
    group_by: Sequence[str] = ("destination", "site"),
    max_groups: int = 12,
    max_words: int = 100,
    rep: Reporter | None = None,
) -> StageOutput:
    """Word-cloud PNGs from TF-IDF sums: per destination, and for the ``max_groups`` sites with
    most documents (``<by>-<slug>.png``; ``index.csv`` maps groups to files)."""
    from nlp.fonts import find_cjk_font
    from nlp.network import render_wordcloud

    rep = rep or NullReporter()
    font = find_cjk_font()
    params = {
        "group_by": list(group_by),
        "max_groups": max_groups,
        "max_words": max_words,
        "font": font.name,
    }
    inputs = {"keywords": keywords.key, "font": _file_hash(font)}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        index = []
        for by in group_by:
            kw_path = keywords.path / f"keywords_{by}.csv"
            if not kw_path.is_file():
                continue
            kw = pd.read_csv(kw_path, dtype={"group": str})
            sizes = pd.read_csv(keywords.path / f"groups_{by}.csv", dtype={"group": str})
            biggest = sizes.sort_values(["n_docs", "group"], ascending=[False, True])
            for g in biggest["group"].head(max_groups):
                top = kw[kw["group"] == g].sort_values("rank").head(max_words)
                if top.empty:
                    continue
                name = f"{by}-{group_slug(str(g))}.png"
                render_wordcloud(
                    dict(zip(top["term"], top["tfidf_sum"], strict=True)),
                    tmp / name,
                    font_path=font,
                    seed=cfg.seed,
                )
                index.append((by, g, name))
        pd.DataFrame(index, columns=["group_by", "group", "file"]).to_csv(
            tmp / "index.csv", index=False
        )
        results["images"] = len(index)

    return _run(cfg, "wordclouds", params, inputs, build, rep)


# --------------------------------------------------------------------------- everything


def run_all(
    inputs: Sequence[str | Path],
    cfg: NlpConfig,
    *,
    source: str | None = None,
    ks: Sequence[int] = (2, 3, 4, 5, 6, 8),
    passes: int = 10,
    no_below: int = 3,
    backend: str = "jieba",
    rep: Reporter | None = None,
) -> dict[str, StageOutput]:
    """Run every stage; stages whose inputs are unchanged are reused.

    Parameters
    ----------
    inputs
        Export files to ingest (CSV/XLSX/JSONL).
    cfg
        Settings (artifacts root, seed, workers, limits).
    source
        Column mapping; detected per file when ``None``.
    ks
        Topic counts swept.
    passes
        LDA passes.
    no_below
        Dictionary pruning for LDA.
    backend
        Segmenter backend.
    rep
        Progress reporter.

    Returns
    -------
    dict[str, StageOutput]
    """
    rep = rep or NullReporter()
    out: dict[str, StageOutput] = {}
    out["corpus"] = stage_corpus(inputs, cfg, source=source, rep=rep)
    out["userdict"] = stage_userdict(cfg, rep=rep)
    out["segment"] = stage_segment(out["corpus"], out["userdict"], cfg, backend=backend, rep=rep)
    c, t, u = out["corpus"], out["segment"], out["userdict"]
    out["keywords"] = stage_keywords(c, t, u, cfg, rep=rep)
    out["topics"] = stage_topics(c, t, u, cfg, ks=ks, passes=passes, no_below=no_below, rep=rep)
    out["sentiment"] = stage_sentiment(c, t, u, cfg, rep=rep)
    out["practicalities"] = stage_practicalities(c, t, u, cfg, rep=rep)
    out["similarity"] = stage_similarity(c, t, out["keywords"], out["topics"], cfg, rep=rep)
    out["network"] = stage_network(t, u, cfg, rep=rep)
    out["wordclouds"] = stage_wordclouds(out["keywords"], cfg, rep=rep)
    return out
