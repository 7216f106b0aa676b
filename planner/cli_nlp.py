"""``heritage nlp ...``: the review-text pipeline from the command line.

Thin layer over :mod:`nlp.pipeline`: parse options, call the stages, render with rich. Domain
errors (unreadable exports, missing text column, bad lexicon) become a one-line message and
exit code 2.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from common import settings
from common.artifacts import atomic_dir, atomic_path
from nlp.config import NlpConfig, config_from_env
from nlp.pipeline import Reporter, StageOutput
from planner.cli_common import err, new_app, out

app = new_app("Review-text pipeline: ingest, keywords, topics, sentiment …")

SAMPLE = settings.SAMPLE_CORPUS

InputOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--input",
        "-i",
        help="Export files or folders (searched recursively): CSV/TSV (any encoding), JSONL, "
        "XLSX, XLS, ODS — the format is read from the content. Several may follow one -i. "
        "Default: the embedded sample corpus.",
    ),
]
MoreInputs = Annotated[
    list[Path] | None,
    typer.Argument(help="More export files or folders (as after -i).", show_default=False),
]
PlaceFromOpt = Annotated[
    str,
    typer.Option(
        "--place-from",
        help="Where each review's destination comes from: column, filename, sheet, folder, or "
        "auto (a place column if one maps, else a sheet/file/folder name that is a catalog "
        "site or county).",
    ),
]
PlaceMapOpt = Annotated[
    Path | None,
    typer.Option(
        "--place-map",
        help="CSV (name,site) or YAML (name: site) mapping spot names the catalog does not know "
        "to catalog ids or names.",
    ),
]
SourceOpt = Annotated[
    str | None, typer.Option("--source", help="Column mapping from sources.yaml (default: detect).")
]
ArtifactsOpt = Annotated[
    Path | None, typer.Option("--artifacts", help="Artifacts root (default: artifacts/nlp).")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed for LDA and sampling.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers", help="Processes (default: 2); with --engine dask, LocalCluster workers."
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Where the per-document work runs (ingest cleaning, segmentation, keyword counts, "
        "topic inference, sentiment, practicalities): local (a process pool, default) or dask "
        "(a Dask LocalCluster, or the cluster of --scheduler).",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address (tcp://host:8786); implies --engine dask. "
        "Workers need the same heritage-routes wheel (docs/researchers.md).",
    ),
]


class DocsRateColumn(ProgressColumn):
    """Documents per second of a stage (rich's speed estimate over the last 30 s)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None and task.finished and task.finished_time:
            speed = task.completed / task.finished_time  # too short for rich's estimate
        if speed is None or not task.total or task.total <= 1:  # no document count
            return Text("")
        return Text(f"{speed:,.0f} docs/s", style="progress.data.speed")


class RichReporter(Reporter):
    """Progress bars per stage and one line per finished stage."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def start(self, stage: str, total: int | None) -> None:
        self.tasks[stage] = self.progress.add_task(stage, total=total)

    def advance(self, stage: str, n: int) -> None:
        if stage in self.tasks:
            self.progress.advance(self.tasks[stage], n)

    def done(self, stage: str, out_: StageOutput) -> None:
        for name, task in self.tasks.items():
            if name == stage or name.startswith(f"{stage}:"):
                self.progress.update(
                    task,
                    completed=self.progress.tasks[task].total or 1,
                    total=self.progress.tasks[task].total or 1,
                )
        state = "[dim]reused[/]" if out_.reused else "[green]built[/]"
        self.progress.console.print(f"{state} {stage:<15} {escape(str(out_.path))}")

    def message(self, text: str) -> None:
        self.progress.console.print(escape(text), highlight=False)


@contextmanager
def _session() -> Iterator[RichReporter]:
    progress = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        DocsRateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
    )
    with progress:  # errors: planner.cli_boundary (this app's group class)
        yield RichReporter(progress)


def _cfg(
    artifacts: Path | None,
    seed: int | None,
    workers: int | None,
    sentiment_model: str | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
) -> NlpConfig:
    if scheduler and engine is None:
        engine = "dask"
    return config_from_env(
        artifacts_dir=artifacts,
        seed=seed,
        workers=workers,
        sentiment_model=sentiment_model,
        engine=engine,
        scheduler=scheduler,
    )


SentimentModelOpt = Annotated[
    str | None,
    typer.Option(
        "--sentiment-model",
        help="auto: learn from the export's star ratings when there are enough and it scores "
        "better out of fold; bundled: snownlp's model only; rated: always learn.",
    ),
]


def _print_sentiment(results: dict) -> None:
    cal, model = results.get("calibration", {}), results.get("model", {})
    if model.get("used") == "rated":
        out.print(
            f"sentiment: learnt from {model['n_train']:,} rated documents — ROC AUC "
            f"{model['rated_cv_auc']:.3f} out of fold (bundled model {model['bundled_auc']:.3f})"
            f", threshold {cal['threshold']:.3f}"
        )
    else:
        against = (
            f", ROC AUC {cal['roc_auc']:.3f} against ratings, threshold {cal['threshold']:.3f}"
            if cal.get("roc_auc") is not None
            else ""
        )
        why = f" ({escape(model['reason'])})" if model.get("reason") else ""
        out.print(f"sentiment: bundled model{against}{why}")


def _inputs(inputs: list[Path] | None, more: list[Path] | None = None) -> list[Path]:
    given = [*(inputs or []), *(more or [])]
    return given or [SAMPLE]


def _segmented(
    inputs: list[Path],
    cfg: Any,
    *,
    source: str | None,
    place_from: str,
    place_map: Path | None,
    rep: Any,
) -> tuple[Any, Any, Any]:
    """The corpus, user-dictionary and segmentation stages that every table command needs."""
    from nlp import pipeline as p

    c = p.stage_corpus(
        inputs, cfg, source=source, place_from=place_from, place_map=place_map, rep=rep
    )
    u = p.stage_userdict(cfg, rep=rep)
    return c, u, p.stage_segment(c, u, cfg, rep=rep)


def _print_corpus_notes(results: dict) -> None:
    """Notices, unresolved place names and stripped/masked counts of an ingest."""
    for f in results.get("files", []):
        for note in f.get("notices", []):
            err.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
        for label, sugg in f.get("unresolved_places", {}).items():
            err.print(
                f"[yellow]warning:[/] place {escape(label)!r} is not in the catalog (kept as "
                f"written); closest: {escape(', '.join(sugg))} — map it with --place-map",
                highlight=False,
            )
    stripped: dict[str, int] = {}
    masked: dict[str, int] = {}
    for f in results.get("files", []):
        for k, v in f.get("stripped", {}).items():
            stripped[k] = stripped.get(k, 0) + v
        for k, v in f.get("masked", {}).items():
            masked[k] = masked.get(k, 0) + v
    if stripped:
        out.print("stripped: " + ", ".join(f"{k} {v}" for k, v in sorted(stripped.items())))
    if masked:
        out.print("masked: " + ", ".join(f"{k} {v}" for k, v in sorted(masked.items())))
    dests = results.get("destinations", {})
    if dests:
        out.print(
            "destinations: " + ", ".join(f"{escape(k)} {v}" for k, v in sorted(dests.items()))
        )


def _copy_out(stage_dir: Path, dest: Path) -> None:
    """Copy an artifact folder to ``dest`` atomically (temp copy, then rename)."""
    with atomic_dir(dest.resolve()) as tmp:
        shutil.copytree(stage_dir, tmp, dirs_exist_ok=True)


def _ks(spec: str) -> list[int]:
    from nlp.topics import parse_k_range

    try:
        return parse_k_range(spec)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def run(
    more: MoreInputs = None,
    inputs: InputOpt = None,
    source: SourceOpt = None,
    place_from: PlaceFromOpt = "auto",
    place_map: PlaceMapOpt = None,
    artifacts: ArtifactsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    sweep: Annotated[str, typer.Option(help="Topic counts to try: 2:8, 2:12:2 or 3,4,6.")] = "2:8",
    passes: Annotated[int, typer.Option(help="LDA passes.")] = 10,
    backend: Annotated[
        str | None, typer.Option(help="Segmenter: rjieba (default) or jieba.")
    ] = None,
    sentiment_model: SentimentModelOpt = None,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Run every stage (reusing artifacts whose inputs are unchanged)."""
    from nlp.pipeline import run_all

    cfg = _cfg(artifacts, seed, workers, sentiment_model, engine, scheduler)
    ks = _ks(sweep)
    with _session() as rep:
        outs = run_all(
            _inputs(inputs, more),
            cfg,
            source=source,
            place_from=place_from,
            place_map=place_map,
            ks=ks,
            passes=passes,
            backend=backend,
            rep=rep,
        )
    files = outs["corpus"].results.get("files", [])
    table = Table("file", "encoding", "source", "rows", "kept", "rejected", title="ingest")
    for f in files:
        table.add_row(
            escape(f["file"]),
            f["encoding"],
            f["source"],
            str(f["rows"]),
            str(f["kept"]),
            str(f["rejected"]),
        )
    out.print(table)
    _print_corpus_notes(outs["corpus"].results)
    if "sentiment" in outs:
        _print_sentiment(outs["sentiment"].results)
    for stage, reason in outs.skipped.items():
        err.print(f"[yellow]warning:[/] {stage} skipped: {escape(reason)}", highlight=False)
    ran = outs.engine
    if ran.get("engine") == "dask":
        out.print(f"engine: dask on {escape(str(ran['scheduler']))}, {ran['workers']} worker(s)")
    out.print(f"artifacts: {escape(str(cfg.artifacts_dir))}")
    if outs.report_path is not None:
        out.print(f"run report: {escape(str(outs.report_path))}")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Export files to add.")],
    corpus: Annotated[Path, typer.Option(help="Corpus folder (created if missing).")] = Path(
        "artifacts/nlp/corpus-manual"
    ),
    source: SourceOpt = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force an encoding.")] = None,
    authors: Annotated[str, typer.Option(help="hash or drop author handles.")] = "hash",
    place_from: PlaceFromOpt = "auto",
    place_map: PlaceMapOpt = None,
) -> None:
    """Add export files and folders to a corpus folder (re-ingesting a file adds nothing;
    concurrent ingests into one corpus wait for each other)."""
    from nlp.engine import engine_for
    from nlp.ingest import expand_inputs, ingest_file
    from nlp.placefrom import PlaceResolver

    with _session():
        cfg = config_from_env()
        resolver = PlaceResolver(cfg.catalog_dir, place_map)
        with engine_for(cfg):  # one engine (one Dask cluster) for every file
            for f in expand_inputs(files):
                r = ingest_file(
                    f,
                    corpus,
                    source=source,
                    sheet=sheet,
                    encoding=encoding,
                    authors=authors,
                    place_from=place_from,
                    place_map=place_map,
                    cfg=cfg,
                    resolver=resolver,
                )
                if r.already_ingested:
                    out.print(f"{escape(str(f))}: already ingested, nothing added")
                    continue
                reasons = ", ".join(f"{k} {v}" for k, v in sorted(r.reasons.items())) or "none"
                noted = ", ".join(f"{k} {v}" for k, v in sorted(r.kept_with_issues.items()))
                out.print(
                    f"{escape(str(f))}: encoding {r.encoding}, source {r.source}, rows {r.rows}, "
                    f"kept {r.kept}, rejected {r.rejected} ({escape(reasons)})"
                    + (f"; kept with notes: {escape(noted)}" if noted else "")
                )
                out.print(f"  rejects: {escape(str(corpus / (r.rejects_file or '')))}")
                _print_corpus_notes(
                    {
                        "files": [
                            {
                                "notices": r.notices,
                                "unresolved_places": r.unresolved,
                                "stripped": dict(r.stripped),
                                "masked": dict(r.masked),
                            }
                        ],
                        "destinations": dict(r.destinations),
                    }
                )


@app.command()
def keywords(
    more: MoreInputs = None,
    inputs: InputOpt = None,
    source: SourceOpt = None,
    place_from: PlaceFromOpt = "auto",
    place_map: PlaceMapOpt = None,
    artifacts: ArtifactsOpt = None,
    group_by: Annotated[str, typer.Option(help="destination, site or place.")] = "destination",
    top: Annotated[int, typer.Option(help="Terms shown per group.")] = 10,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Copy the tables here.")] = None,
) -> None:
    """TF-IDF keyword tables per group (report style)."""
    import pandas as pd

    from nlp import pipeline as p

    cfg = _cfg(artifacts, None, None)
    with _session() as rep:
        c, u, t = _segmented(
            _inputs(inputs, more),
            cfg,
            source=source,
            place_from=place_from,
            place_map=place_map,
            rep=rep,
        )
        k = p.stage_keywords(c, t, u, cfg, group_by=(group_by,), rep=rep)
    kw = pd.read_csv(k.path / f"keywords_{group_by}.csv", dtype={"group": str})
    for g, rows in kw.groupby("group", sort=True):
        table = Table("rank", "term", "TF-IDF", "doc share", title=str(g))
        for _, r in rows.sort_values("rank").head(top).iterrows():
            table.add_row(
                str(r["rank"]), escape(r["term"]), f"{r['tfidf_sum']:.2f}", f"{r['doc_share']:.0%}"
            )
        out.print(table)
    if out_dir:
        _copy_out(k.path, out_dir)
        out.print(f"tables copied to {escape(str(out_dir))}")


@app.command()
def topics(
    more: MoreInputs = None,
    inputs: InputOpt = None,
    source: SourceOpt = None,
    place_from: PlaceFromOpt = "auto",
    place_map: PlaceMapOpt = None,
    artifacts: ArtifactsOpt = None,
    seed: SeedOpt = None,
    sweep: Annotated[str, typer.Option(help="Topic counts to try: 2:12, 2:12:2 or 3,4,6.")] = "2:8",
    passes: Annotated[int, typer.Option(help="LDA passes.")] = 10,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Copy models and tables here.")
    ] = None,
) -> None:
    """LDA per destination and overall; prints coherence (c_v, u_mass, c_npmi) for each k."""
    import pandas as pd

    from nlp import pipeline as p

    cfg = _cfg(artifacts, seed, None)
    ks = _ks(sweep)
    with _session() as rep:
        c, u, t = _segmented(
            _inputs(inputs, more),
            cfg,
            source=source,
            place_from=place_from,
            place_map=place_map,
            rep=rep,
        )
        tp = p.stage_topics(c, t, u, cfg, ks=ks, passes=passes, rep=rep)
    coh = pd.read_csv(tp.path / "coherence.csv")
    table = Table("group", "k", "c_v", "u_mass", "c_npmi", "chosen", title="coherence")
    for _, r in coh.iterrows():
        table.add_row(
            escape(str(r["group"])),
            str(r["k"]),
            f"{r['c_v']:.4f}",
            f"{r['u_mass']:.4f}",
            f"{r['c_npmi']:.4f}",
            "*" if r["chosen"] else "",
        )
    out.print(table)
    terms = pd.read_csv(tp.path / "topic_terms.csv")
    for (g, k, topic), rows in terms.groupby(["group", "k", "topic"], sort=True):
        out.print(
            f"[bold]{escape(str(g))}[/] k={k} topic {topic}: "
            + " ".join(escape(x) for x in rows.sort_values("rank")["term"])
        )
    if out_dir:
        from nlp.report import write_topics_report

        _copy_out(tp.path, out_dir)
        cmd = ["heritage", "nlp", "topics"]
        for f in [*(inputs or []), *(more or [])]:
            cmd += ["-i", str(f)]
        cmd += ["--sweep", sweep, "--passes", str(passes), "--seed", str(cfg.seed)]
        write_topics_report(out_dir, corpus_dir=c.path, command=[*cmd, "--out", str(out_dir)])
        out.print(
            f"models, tables (CSV), plots (PNG/SVG), run.json and README.md in "
            f"{escape(str(out_dir))}"
        )


@app.command()
def sentiment(
    more: MoreInputs = None,
    inputs: InputOpt = None,
    source: SourceOpt = None,
    place_from: PlaceFromOpt = "auto",
    place_map: PlaceMapOpt = None,
    artifacts: ArtifactsOpt = None,
    workers: WorkersOpt = None,
    sentiment_model: SentimentModelOpt = None,
) -> None:
    """Sentiment per site and aspect; learnt from star ratings when an export has enough,
    threshold calibrated on them (ROC AUC)."""
    import pandas as pd

    from nlp import pipeline as p

    cfg = _cfg(artifacts, None, workers, sentiment_model)
    with _session() as rep:
        c, u, t = _segmented(
            _inputs(inputs, more),
            cfg,
            source=source,
            place_from=place_from,
            place_map=place_map,
            rep=rep,
        )
        s = p.stage_sentiment(c, t, u, cfg, rep=rep)
    out.print_json(json.dumps(s.results.get("calibration", {})))
    _print_sentiment(s.results)
    sites = pd.read_csv(s.path / "site_sentiment.csv", dtype={"site": str})
    table = Table("site", "docs", "mean score", "positive", "mean rating", title="per site")
    for _, r in sites.sort_values("n_docs", ascending=False).head(20).iterrows():
        rating = "" if pd.isna(r["mean_rating"]) else f"{r['mean_rating']:.2f}"
        table.add_row(
            escape(r["site"]),
            str(r["n_docs"]),
            f"{r['mean_score']:.3f}",
            f"{r['share_positive']:.0%}",
            rating,
        )
    out.print(table)


@app.command()
def userdict(
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the user dictionary.")],
) -> None:
    """Generate the jieba user dictionary from the catalog and lexicons."""
    from nlp.pipeline import stage_userdict

    with _session() as rep:
        u = stage_userdict(config_from_env(), rep=rep)
    with atomic_path(out_file) as tmp:
        shutil.copyfile(u.path / "userdict.txt", tmp)
    out.print(f"{u.results.get('words')} words → {escape(str(out_file))}")
