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

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from common.artifacts import sweep_stale_temps
from nlp.artifacts import atomic_write_json
from nlp.config import NlpConfig
from nlp.engine import engine_for
from nlp.errors import ThinDataError
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
    "RunResult",
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


class RunResult(dict[str, StageOutput]):
    """Stage outputs of :func:`run_all` by stage name, plus the stages it skipped.

    Attributes
    ----------
    skipped
        Stage name → one-line reason (too little data, or a stage it needs was skipped).
    report_path
        ``<artifacts_dir>/run_report.json``: stages built, reused and skipped, with reasons.
    engine
        What ran the map-style stages (:meth:`nlp.engine.Engine.describe`: engine, scheduler,
        workers).
    """

    def __init__(self) -> None:
        super().__init__()
        self.skipped: dict[str, str] = {}
        self.report_path: Path | None = None
        self.engine: dict[str, Any] = {}


#: stages each stage needs (a skipped stage skips those that need it)
_NEEDS: dict[str, tuple[str, ...]] = {
    "keywords": ("segment",),
    "topics": ("segment",),
    "sentiment": ("segment",),
    "practicalities": ("segment",),
    "similarity": ("keywords", "topics"),
    "network": ("segment",),
    "wordclouds": ("keywords",),
}


def run_all(
    inputs: Sequence[str | Path],
    cfg: NlpConfig,
    *,
    source: str | None = None,
    place_from: str = "auto",
    place_map: str | Path | None = None,
    ks: Sequence[int] = (2, 3, 4, 5, 6, 8),
    passes: int = 10,
    no_below: int = 3,
    backend: str | None = None,
    rep: Reporter | None = None,
) -> RunResult:
    """Run every stage; stages whose inputs are unchanged are reused.

    A stage with too little input (:class:`~nlp.errors.ThinDataError`: no shared terms, fewer
    than two sites, a corpus too small for topics …) is skipped with a one-line reason, and so
    are the stages that need it; the others go on. The reasons are reported through ``rep`` and
    written to ``run_report.json``.

    Parameters
    ----------
    inputs
        Export files or folders to ingest (CSV/TSV/JSONL/XLSX/XLS/ODS).
    cfg
        Settings (artifacts root, seed, workers, engine, limits).
    source
        Column mapping; detected per file when ``None``.
    place_from, place_map
        Where each review's destination comes from (see :mod:`nlp.placefrom`).
    ks
        Topic counts swept.
    passes
        LDA passes.
    no_below
        Dictionary pruning for LDA.
    backend
        Segmenter backend of the segment stage (default ``cfg.segmenter``).
    rep
        Progress reporter.

    Returns
    -------
    RunResult

    Raises
    ------
    ThinDataError
        When no document is left after ingest (nothing useful can be produced).
    """
    rep = rep or NullReporter()
    if backend:  # every stage cuts with the segment stage's backend
        cfg = dataclasses.replace(cfg, segmenter=backend)
    sweep_stale_temps(cfg.artifacts_dir)  # what a killed run left behind
    with engine_for(cfg) as engine:  # one engine (one Dask cluster) for the whole run
        out = _run_stages(
            inputs, cfg, source, place_from, place_map, ks, passes, no_below, backend, rep
        )
        out.engine = engine.describe()
    out.report_path = _write_run_report(cfg, out)
    return out


def _run_stages(
    inputs: Sequence[str | Path],
    cfg: NlpConfig,
    source: str | None,
    place_from: str,
    place_map: str | Path | None,
    ks: Sequence[int],
    passes: int,
    no_below: int,
    backend: str | None,
    rep: Reporter,
) -> RunResult:
    """The stages of :func:`run_all`, in order, on the engine it opened."""
    out = RunResult()
    out["corpus"] = stage_corpus(
        inputs, cfg, source=source, place_from=place_from, place_map=place_map, rep=rep
    )
    n_docs = int(out["corpus"].results.get("documents", 0))
    if n_docs == 0:
        raise ThinDataError(_no_documents(out["corpus"].results))
    out["userdict"] = stage_userdict(cfg, rep=rep)
    out["segment"] = stage_segment(out["corpus"], out["userdict"], cfg, backend=backend, rep=rep)
    c, t, u = out["corpus"], out["segment"], out["userdict"]

    def attempt(stage: str, build: Callable[[], StageOutput]) -> None:
        missing = [n for n in _NEEDS.get(stage, ()) if n not in out]
        try:
            if missing:
                raise ThinDataError(f"needs {', '.join(missing)} (skipped)")
            out[stage] = build()
        except ThinDataError as exc:
            out.skipped[stage] = str(exc)
            rep.message(f"skipped {stage}: {exc}")

    attempt("keywords", lambda: stage_keywords(c, t, u, cfg, rep=rep))
    attempt(
        "topics",
        lambda: stage_topics(c, t, u, cfg, ks=ks, passes=passes, no_below=no_below, rep=rep),
    )
    attempt("sentiment", lambda: stage_sentiment(c, t, u, cfg, rep=rep))
    attempt("practicalities", lambda: stage_practicalities(c, t, u, cfg, rep=rep))
    attempt(
        "similarity",
        lambda: stage_similarity(c, t, out["keywords"], out["topics"], cfg, rep=rep),
    )
    attempt("network", lambda: stage_network(t, u, cfg, rep=rep))
    attempt("wordclouds", lambda: stage_wordclouds(out["keywords"], cfg, rep=rep))
    return out


def _no_documents(corpus_results: dict[str, Any]) -> str:
    """The one line said when ingest kept nothing."""
    files = corpus_results.get("files", [])
    rows = sum(int(f["rows"]) for f in files)
    reasons: Counter[str] = Counter()
    for f in files:
        reasons.update(f["reasons"])
    why = ", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "the files have no data rows"
    return f"no documents to analyse: {len(files)} file(s), {rows} row(s) read, none kept ({why})"


def _write_run_report(cfg: NlpConfig, out: RunResult) -> Path:
    """``run_report.json``: per stage, built/reused/skipped with its folder or reason."""
    stages: dict[str, Any] = {}
    for name, so in out.items():
        stages[name] = {"state": "reused" if so.reused else "built", "path": str(so.path)}
    for name, reason in out.skipped.items():
        stages[name] = {"state": "skipped", "reason": reason}
    corpus = out["corpus"].results
    report = {
        "documents": corpus.get("documents"),
        "engine": out.engine,
        "destinations": corpus.get("destinations", {}),
        "stages": stages,
        "notices": [n for f in corpus.get("files", []) for n in f.get("notices", [])],
        "unresolved_places": {
            k: v for f in corpus.get("files", []) for k, v in f.get("unresolved_places", {}).items()
        },
    }
    path = Path(cfg.artifacts_dir) / "run_report.json"
    atomic_write_json(path, report)
    return path
