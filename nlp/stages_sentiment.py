"""Sentiment stage: snownlp's bundled model, a model learnt from star ratings when it is
better out of fold, calibration, per-site and per-aspect tables."""

from __future__ import annotations

import array
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from nlp.config import NlpConfig
from nlp.docslices import DocSlice, plan_slices
from nlp.engine import engine_map
from nlp.errors import ConfigError
from nlp.ingest import corpus_size, iter_corpus
from nlp.segment import Segmenter
from nlp.stagebase import (
    NullReporter,
    Reporter,
    StageOutput,
    _aligned,
    _doc_groups,
    _file_hash,
    _rows,
    _run,
    _version,
    iter_docs,
    load_segmenter,
)

__all__ = ["SENTIMENT_MODELS", "stage_sentiment"]

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


@dataclass(frozen=True)
class _Scored:
    """One slice's results, as the main process writes them (from a worker): ``docs`` has
    ``doc_id``, ``score`` and ``rating`` per document, ``clauses`` the aspect clauses
    (:data:`_ASPECT_SCHEMA`) or ``None``."""

    docs: pa.Table
    clauses: pa.Table | None = None


def _doc_slices(
    corpus: StageOutput, tokens: StageOutput, cfg: NlpConfig, *, sites: bool
) -> Iterator[DocSlice]:
    """The slices the sentiment passes map over: ``doc_id``, ``text``, ``rating`` (and, with
    ``sites``, ``place`` and the tokens' ``sites``), read by the workers."""
    if not sites:
        return plan_slices(
            corpus.path, columns=("doc_id", "text", "rating"), max_rows=cfg.chunk_docs
        )
    return plan_slices(
        corpus.path,
        columns=("doc_id", "text", "rating", "place"),
        extra={"tokens": (tokens.path / "tokens.parquet", ("sites",))},
        max_rows=cfg.chunk_docs,
    )


def _compact(table: pa.Table) -> pa.Table:
    """``table`` in buffers of its own (a slice of a larger read would pickle all of it)."""
    return table.take(np.arange(table.num_rows)).combine_chunks()


def _scored(table: pa.Table, scores: list[float]) -> pa.Table:
    """``doc_id``, ``score``, ``rating`` of a slice's documents, ready to send back."""
    return pa.table(
        {
            "doc_id": _compact(table.select(["doc_id"])).column(0),
            "score": pa.array(scores, type=pa.float64()),
            "rating": _compact(table.select(["rating"])).column(0).cast(pa.float64()),
        }
    )


def _sentiment_pass(
    corpus: StageOutput,
    tokens: StageOutput,
    cfg: NlpConfig,
    func: Callable[[Any, DocSlice], _Scored],
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
    replacing earlier ones atomically. Each worker reads its slice of the corpus
    (:mod:`nlp.docslices`) and sends back only scores, ids, ratings and clauses: this process
    never reads the texts. ``override`` replaces the scores of documents by position;
    ``bundled`` fills ``score_bundled`` (default: the scores themselves). Returns the document
    scores and ratings."""
    if override:
        o_pos = np.fromiter(sorted(override), dtype=np.int64, count=len(override))
        o_val = np.array([override[int(i)] for i in o_pos], dtype=np.float64)
    scores = array.array("d")
    ratings: list[float | None] = []
    doc_tmp, asp_tmp = tmp / "doc_sentiment.parquet.part", tmp / "aspect_clauses.parquet.part"
    dw = pq.ParquetWriter(doc_tmp, _DOC_SCHEMA)
    aw = pq.ParquetWriter(asp_tmp, _ASPECT_SCHEMA) if clauses else None
    try:
        for result in engine_map(cfg, func, state, _doc_slices(corpus, tokens, cfg, sites=clauses)):
            docs = result.docs
            n, first = docs.num_rows, len(scores)
            doc_scores = docs.column("score").to_numpy().astype(np.float64, copy=True)
            if override:
                lo, hi = np.searchsorted(o_pos, [first, first + n])
                doc_scores[o_pos[lo:hi] - first] = o_val[lo:hi]
            base = doc_scores if bundled is None else bundled[first : first + n]
            dw.write_table(
                pa.table(
                    {
                        "doc_id": docs.column("doc_id"),
                        "score": doc_scores,
                        "score_bundled": np.asarray(base, dtype=np.float64),
                        "rating": docs.column("rating"),
                    },
                    schema=_DOC_SCHEMA,
                )
            )
            if aw is not None:
                assert result.clauses is not None
                aw.write_table(result.clauses)
            scores.frombytes(doc_scores.tobytes())
            ratings += docs.column("rating").to_pylist()
            if on_chunk:
                on_chunk(n)
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
    model = RatedModel(seed=cfg.seed)

    # each worker reads its slice's texts and counts the sampled ones among them: this
    # process never reads the texts
    picked = _picked_slices(corpus.path, rated, max_rows=cfg.chunk_docs)
    parts = engine_map(cfg, _counts_chunk, (model, seg), picked)
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


@dataclass(frozen=True)
class _Picked(DocSlice):
    """A slice of the corpus and the rows ``picked`` from it (positions within the slice).

    A :class:`~nlp.docslices.DocSlice`, so the engine sends it as one: the description only,
    or, for a cluster that cannot see the files, with its data read here (:meth:`inline`: the
    picked rows only)."""

    picked: tuple[int, ...] = ()

    def inline(self) -> _Picked:
        """The picked rows read now (for workers that cannot see the files)."""
        if self.data is not None:
            return self
        data = self.table().take(list(self.picked))
        return replace(self, data=data, picked=tuple(range(len(self.picked))))


def _picked_slices(
    corpus_dir: Path, positions: Sequence[int], *, max_rows: int
) -> Iterator[_Picked]:
    """The corpus's slices (text only) that hold documents at ``positions`` (ascending, in
    corpus order), each with the rows picked from it."""
    picked = np.asarray(positions, dtype=np.int64)
    for piece in plan_slices(corpus_dir, columns=("text",), max_rows=max_rows):
        lo, hi = np.searchsorted(picked, [piece.first, piece.first + piece.rows])
        if hi > lo:
            yield _Picked(
                **{f.name: getattr(piece, f.name) for f in fields(DocSlice)},
                picked=tuple((picked[lo:hi] - piece.first).tolist()),
            )


def _counts_chunk(state: tuple[Any, Segmenter], piece: _Picked) -> Any:
    """Hashed word counts of the picked documents of a slice (in a worker)."""
    model, seg = state
    texts = piece.table().column("text").take(list(piece.picked)).to_pylist()
    return model.counts([seg.cut(t) for t in texts])


def _rated_chunk(state: tuple[Any, Segmenter], piece: DocSlice) -> _Scored:
    """Scores of the model learnt from the ratings for a slice's documents (in a worker)."""
    model, seg = state
    table = piece.table()
    texts = table.column("text").to_pylist()
    return _Scored(_scored(table, model.score([seg.cut(t) for t in texts]).tolist()))


def _sentiment_chunk(state: tuple[Any, Segmenter, list[Any]], piece: DocSlice) -> _Scored:
    """Bundled-model scores of a slice's documents and of their aspect clauses, in a worker
    that reads the slice itself; each text is cut once (its clauses' words are taken from that
    cut, :func:`nlp.sentiment.clause_words`)."""
    from nlp.sentiment import aspect_clause_words

    scorer, seg, aspects = state
    own = scorer.words == "snownlp"  # snownlp's own segmenter: it cuts every piece itself
    table = piece.table()
    doc_scores: list[float] = []
    rows: list[tuple[str, list[str], str, str, float]] = []
    for doc_id, text, place, sites in zip(
        table.column("doc_id").to_pylist(),
        table.column("text").to_pylist(),
        table.column("place").to_pylist(),
        table.column("sites").to_pylist(),
        strict=True,
    ):
        words = seg.cut(text)
        pairs = aspect_clause_words(text, words, seg.cut, aspects)
        if own:
            doc_scores.append(scorer.score(text))
            clauses = [(a, c, scorer.score(c)) for a, c, _ in pairs]
        else:
            doc_scores.append(scorer.score_words(words) if text.strip() else 0.5)
            clauses = [(a, c, scorer.score_words(cw)) for a, c, cw in pairs]
        if clauses:
            groups = _doc_groups({"sites": sites, "place": place}, "site")
            rows += [(doc_id, groups, a, c, sc) for a, c, sc in clauses]
    return _Scored(
        _scored(table, doc_scores),
        pa.table(
            {n: [row[i] for row in rows] for i, n in enumerate(_ASPECT_SCHEMA.names)},
            schema=_ASPECT_SCHEMA,
        ),
    )


class _Clock:
    """Wall seconds of the parts of a stage (reported, not kept in its artifact)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


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
        clock = _Clock()
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
        clock.lap("bundled_pass")
        labels = labels_from_ratings(ratings, positive_min=positive_min)
        choice = _choose_sentiment_model(
            corpus, tokens, cfg, seg, bundled, labels, min_per_class=min_rated_per_class
        )
        clock.lap("learn_and_compare")
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
            clock.lap("rated_pass")
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
        _write_site_sentiment(corpus, tokens, cfg, tmp, cal.threshold)
        _write_aspect_sentiment(tmp, cal_bundled.threshold)
        results["destinations"] = _write_destination_sentiment(corpus, cfg, tmp, positive_min)
        clock.lap("tables")
        results["calibration"] = cal.to_dict()
        results["documents"] = len(scores)
        rep.message(  # where the time went (not kept in the artifact: it would differ per run)
            "sentiment: "
            + ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in clock.laps.items())
        )

    return _run(cfg, "sentiment", params, inputs, build, rep)


def _write_site_sentiment(
    corpus: StageOutput, tokens: StageOutput, cfg: NlpConfig, tmp: Path, threshold: float
) -> None:
    """``site_sentiment.csv``: per site, documents, mean score, positive share, mean rating."""
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


def _write_aspect_sentiment(tmp: Path, threshold: float) -> None:
    """``aspect_sentiment.csv``: per site (and ``*``) and aspect, clause scores and examples."""
    asp_acc: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
    for batch in pq.ParquetFile(tmp / "aspect_clauses.parquet").iter_batches():
        for r in batch.to_pylist():
            for g in [*r["sites"], "*"]:
                acc = asp_acc[(g, r["aspect"])]
                acc.n += 1
                acc.total += r["score"]
                positive = r["score"] >= threshold
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


def _write_destination_sentiment(
    corpus: StageOutput, cfg: NlpConfig, tmp: Path, positive_min: float
) -> dict[str, float | None]:
    """``destination_sentiment.csv``: per destination, documents, mean score, rated documents
    per class and the ROC AUC of the scores against the stars (``None`` without both classes).
    Returns destination → ROC AUC."""
    from sklearn.metrics import roc_auc_score

    scored = _rows(tmp / "doc_sentiment.parquet", ["doc_id", "score", "rating"])
    per: dict[str, tuple[list[float], list[int]]] = defaultdict(lambda: ([], []))
    n_docs: Counter[str] = Counter()
    total: defaultdict[str, float] = defaultdict(float)
    for batch in iter_corpus(corpus.path, columns=["doc_id", "destination"]):
        for d in batch.to_pylist():
            row = _aligned(scored, d["doc_id"])
            dest = d["destination"] or "(none)"
            n_docs[dest] += 1
            total[dest] += row["score"]
            if row["rating"] is not None:
                per[dest][0].append(row["score"])
                per[dest][1].append(int(row["rating"] >= positive_min))
    out: dict[str, float | None] = {}
    table = []
    for dest in sorted(n_docs):
        scores, labels = per[dest]
        n_pos = sum(labels)
        auc = float(roc_auc_score(labels, scores)) if 0 < n_pos < len(labels) else None
        out[dest] = auc
        table.append(
            {
                "destination": dest,
                "n_docs": n_docs[dest],
                "mean_score": total[dest] / n_docs[dest],
                "n_pos": n_pos,
                "n_neg": len(labels) - n_pos,
                "roc_auc": auc,
            }
        )
    pd.DataFrame(table).to_csv(tmp / "destination_sentiment.csv", index=False, float_format="%.4f")
    return out
