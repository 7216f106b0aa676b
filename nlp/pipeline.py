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

from collections.abc import Sequence
from pathlib import Path

from nlp.config import NlpConfig
from nlp.stagebase import NullReporter, Reporter, StageOutput, group_slug, iter_docs, load_segmenter
from nlp.stages_sentiment import stage_sentiment
from nlp.stages_site import stage_network, stage_practicalities, stage_similarity, stage_wordclouds
from nlp.stages_text import (
    stage_corpus,
    stage_keywords,
    stage_segment,
    stage_topics,
    stage_userdict,
)

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
