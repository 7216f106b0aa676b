"""NLP benchmarks: segmentation throughput, rjieba agreement, sentiment AUC, pipeline scaling.

Run from the repository root, for example::

    .venv/bin/python benchmarks/nlp.py \\
        --seg-corpus ../shared/corpora/scenic_masked_alice23333_teddycup.csv --seg-docs 20000 \\
        --sentiment-corpus ../shared/corpora/chnsenticorp_htl_label01_sophonplus.csv \\
        --scale 20000,100000 --out docs/benchmarks.md

What is measured (all in one run, on the same texts):

- **segmentation**: bare ``jieba.lcut`` (global default dictionary, no filtering) vs the
  pipeline's :class:`~nlp.segment.Segmenter` (own tokenizer, user dictionary, stopword and
  length filtering) in one process, and the pipeline's parallel ``segment_texts`` with 2
  workers; texts are normalised with ``normalize_zh`` first, as in the pipeline; tokenizers are
  built before timing; throughput in characters per second.
- **rjieba** (if installed): throughput of the Rust backend with the same user dictionary and
  the share of documents whose word lists equal jieba's exactly.
- **sentiment**: ROC AUC of snownlp's bundled model on a labelled corpus (``rating`` column
  1 = positive, 0 = negative), scored in parallel.
- **scale**: the full pipeline (``nlp.pipeline.run_all``) on corpora of N documents made by
  resampling the embedded sample corpus's sentences (seeded), each in a fresh subprocess with
  its own artifacts folder: wall time and peak resident memory of the main process and of the
  largest worker.

The corpora under ``../shared`` are read by path and never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _report  # noqa: E402
from scale_corpus import make_corpus  # noqa: E402

from nlp.config import NlpConfig  # noqa: E402
from nlp.textnorm import normalize_zh  # noqa: E402

SAMPLE = ROOT / "data" / "corpus" / "sample_reviews.jsonl"
BEGIN, END = "<!-- nlp:begin -->", "<!-- nlp:end -->"


def read_texts(path: Path, limit: int | None, seed: int) -> list[str]:
    """Normalised, non-empty texts of a CSV (``text`` column) or JSONL corpus."""
    if path.suffix == ".jsonl":
        raw = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            raw = [r["text"] for r in csv.DictReader(fh)]
    texts = [t for t in (normalize_zh(x) for x in raw) if t]
    if limit and len(texts) > limit:
        texts = random.Random(seed).sample(texts, limit)
    return texts


def pipeline_segmenter(art: Path, cfg: NlpConfig, backend: str = "jieba"):
    from nlp.pipeline import load_segmenter, stage_userdict

    u = stage_userdict(NlpConfig(artifacts_dir=art, lexicon_dir=cfg.lexicon_dir))
    return load_segmenter(u.path, cfg, backend=backend)


def bench_segmentation(texts: list[str], art: Path) -> dict:
    import jieba

    from nlp.segment import segment_texts

    chars = sum(map(len, texts))
    cfg = NlpConfig(artifacts_dir=art)
    seg = pipeline_segmenter(art, cfg, backend="jieba")
    seg.cut("预热")
    jieba.initialize()
    jieba.lcut("预热")
    res: dict = {"docs": len(texts), "chars": chars}

    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    res["bare_jieba_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for t in texts:
        seg.filter(seg.cut(t))
    res["pipeline_1core_s"] = time.perf_counter() - t0

    chunk = 500
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    t0 = time.perf_counter()
    n = sum(len(r) for r in segment_texts(iter(chunks), seg, workers=2))
    res["pipeline_2workers_s"] = time.perf_counter() - t0
    assert n == len(texts)
    for k in ("bare_jieba", "pipeline_1core", "pipeline_2workers"):
        res[f"{k}_chars_per_s"] = chars / res[f"{k}_s"]
    res["per_core_ratio"] = res["pipeline_1core_chars_per_s"] / res["bare_jieba_chars_per_s"]
    res["scaling_2workers"] = (
        res["pipeline_2workers_chars_per_s"] / res["pipeline_1core_chars_per_s"]
    )
    try:
        import rjieba
    except ImportError:
        res["rjieba"] = None
        return res
    fast = pipeline_segmenter(art, cfg, backend="rjieba")
    fast.cut("预热")
    t0 = time.perf_counter()
    cuts = [fast.cut(t) for t in texts]
    res["rjieba_1core_s"] = time.perf_counter() - t0
    res["rjieba_chars_per_s"] = res["rjieba_1core_chars_per_s"] = chars / res["rjieba_1core_s"]
    same = sum(1 for t, c in zip(texts, cuts, strict=True) if seg.cut(t) == c)
    res["rjieba_agreement_docs"] = same / len(texts)
    rjieba.cut("预热")
    t0 = time.perf_counter()
    for t in texts:
        rjieba.cut(t)
    res["bare_rjieba_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in texts:
        fast.filter(fast.cut(t))
    res["rjieba_pipeline_1core_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = sum(len(r) for r in segment_texts(iter(chunks), fast, workers=2))
    res["rjieba_2workers_s"] = time.perf_counter() - t0
    for k in ("bare_rjieba", "rjieba_pipeline_1core", "rjieba_2workers"):
        res[f"{k}_chars_per_s"] = chars / res[f"{k}_s"]
    res["rjieba"] = True
    return res


def _score_chunk(scorer, texts):
    return [scorer.score(t) for t in texts]


def bench_sentiment(path: Path, art: Path, models: list[str]) -> dict:
    """ROC AUC on a labelled corpus: snownlp's bundled model (its own words or the pipeline's
    jieba words) and ``rated`` — :class:`~nlp.sentiment.RatedModel` learnt from the labels
    themselves, scored out of fold (5 folds), as the pipeline does on a rated export."""
    from sklearn.metrics import roc_auc_score

    from nlp.parallel import ordered_map
    from nlp.sentiment import RatedModel, SentimentScorer, calibrate

    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [(normalize_zh(r["text"]), r["rating"]) for r in csv.DictReader(fh)]
    rows = [(t, int(float(y))) for t, y in rows if t and y not in ("", None)]
    texts = [t for t, _ in rows]
    labels = [y for _, y in rows]
    chunks = [texts[i : i + 200] for i in range(0, len(texts), 200)]
    cfg = NlpConfig(artifacts_dir=art)
    segs = {b: pipeline_segmenter(art, cfg, backend=b) for b in ("jieba", "rjieba")}
    out: dict = {"corpus": path.name, "docs": len(rows), "positives": sum(labels)}
    for name in models:
        load = _report.load_average()
        t0 = time.perf_counter()
        if name == "rated":
            model = RatedModel(seed=42)
            cut = segs[cfg.segmenter].cut
            scores = model.cross_val_scores([cut(t) for t in texts], labels).tolist()
            extra = {"params": model.params(), "folds": 5}
        else:
            scorer = SentimentScorer(words="snownlp" if name == "snownlp" else segs[name].cut)
            parts = ordered_map(_score_chunk, scorer, chunks, workers=2)
            scores = [s for part in parts for s in part]
            extra = {}
        elapsed = time.perf_counter() - t0
        out[name] = {
            "roc_auc": float(roc_auc_score(labels, scores)),
            "seconds": elapsed,
            "calibration": calibrate(scores, labels).to_dict(),
            "load": load,
            **extra,
        }
    return out


_CHILD = """
import json, os, resource, sys, threading, time
from pathlib import Path
sys.path.insert(0, {root!r})
import psutil
from nlp.config import config_from_env
from nlp import pipeline as p
cfg = config_from_env(artifacts_dir=Path({art!r}), **{extra!r})  # HERITAGE_NLP_* apply


class Sampler(threading.Thread):
    # peak RSS of this process and of its largest descendant (pool or Dask workers), polled
    def __init__(self):
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.main = self.worker = 0.0
        self.lock = threading.Lock()

    def run(self):
        while True:
            self.poll()
            time.sleep(0.25)

    def poll(self):
        main = self.me.memory_info().rss / 2**20
        worker = 0.0
        for c in self.me.children(recursive=True):
            try:
                worker = max(worker, c.memory_info().rss / 2**20)
            except psutil.Error:
                pass
        with self.lock:
            self.main, self.worker = max(self.main, main), max(self.worker, worker)

    def take(self):
        # the peaks since the last take, then reset
        self.poll()
        with self.lock:
            out = (self.main, self.worker)
            self.main = self.worker = 0.0
        return out


sampler = Sampler()
sampler.start()


class StageClock(p.Reporter):
    # per stage: wall seconds since the previous stage ended and the peak RSS meanwhile
    def __init__(self):
        self.last = time.perf_counter()
        self.rows = []
        self.parts = None

    def message(self, text):
        if text.startswith("sentiment: ") and text.endswith(" s"):  # the stage's timings
            self.parts = text.removeprefix("sentiment: ")

    def done(self, stage, out):
        now = time.perf_counter()
        main_mb, worker_mb = sampler.take()
        self.rows.append({{"stage": stage, "seconds": now - self.last, "peak_main_mb": main_mb,
                           "peak_worker_mb": worker_mb, "reused": out.reused,
                           "parts": self.parts if stage == "sentiment" else None}})
        self.last = now


clock = StageClock()
t0 = time.perf_counter()
if {stages!r} == "all":
    outs = p.run_all([{corpus!r}], cfg, ks={ks!r}, passes={passes}, rep=clock)
else:  # the streaming core: no LDA, no sentiment
    outs = {{"corpus": p.stage_corpus([{corpus!r}], cfg, rep=clock)}}
    outs["userdict"] = p.stage_userdict(cfg, rep=clock)
    c, u = outs["corpus"], outs["userdict"]
    t = outs["segment"] = p.stage_segment(c, u, cfg, rep=clock)
    outs["keywords"] = p.stage_keywords(c, t, u, cfg, rep=clock)
    outs["practicalities"] = p.stage_practicalities(c, t, u, cfg, rep=clock)
    outs["network"] = p.stage_network(t, u, cfg, rep=clock)
wall = time.perf_counter() - t0
peak_main = max(r["peak_main_mb"] for r in clock.rows)
peak_worker = max(r["peak_worker_mb"] for r in clock.rows)
# the bare segmenter on the same kept texts (one process, default dictionary, no filtering):
# the segmentation stage's baseline
from nlp.ingest import iter_corpus
texts = [t for b in iter_corpus(outs["corpus"].path, columns=["text"])
         for t in b.column("text").to_pylist()][:{bare_docs}]
if cfg.segmenter == "rjieba":
    import rjieba
    rjieba.cut("预热")
    b0 = time.perf_counter()
    for t in texts:
        rjieba.cut(t)
else:
    import jieba
    jieba.lcut("预热")
    b0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
bare_s = time.perf_counter() - b0
print(json.dumps({{"wall_s": wall, "peak_main_mb": peak_main,
                  "peak_worker_mb": peak_worker, "stages": {stages!r},
                  "engine": getattr(cfg, "engine", "local"), "segmenter": cfg.segmenter,
                  "workers": cfg.workers,
                  "sentiment_words": cfg.sentiment_words,
                  "per_stage": clock.rows,
                  "bare_segmenter": {{"docs": len(texts), "seconds": bare_s}},
                  "load_end": ", ".join(f"{{x:.2f}}" for x in os.getloadavg()),
                  "documents": outs["corpus"].results["documents"],
                  "rejected": sum(f["rejected"] for f in outs["corpus"].results["files"])}}))
"""


def _nlp_commit() -> str:
    """Short HEAD, marked when ``nlp/`` has local changes (the code a scaling row measured)."""
    changed = _report.git("status", "--porcelain", "nlp")
    return _report.head_commit() + (" + local nlp/ changes" if changed else "")


def bench_scale(
    sizes: list[int],
    ks: tuple[int, ...],
    passes: int,
    seed: int,
    stages: str = "all",
    engines: tuple[str, ...] = ("local",),
    log: Path | None = None,
) -> list[dict]:
    """Each size (one resampled corpus) run by each engine, in a fresh process each with its
    own empty artifacts; the child's stderr goes to ``log`` (progress), its last stdout line
    is the row."""
    out = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / f"resampled_{n}.jsonl"
            make_corpus(n, corpus, seed)
            for engine in engines:
                art = Path(tmp) / f"art-{engine}"
                code = _CHILD.format(
                    root=str(ROOT),
                    corpus=str(corpus),
                    art=str(art),
                    ks=ks,
                    passes=passes,
                    stages=stages,
                    extra={} if engine == "local" else {"engine": engine},
                    bare_docs=200_000,
                )
                load = _report.load_average()
                with open(log or os.devnull, "a", encoding="utf-8") as err:
                    res = subprocess.run(
                        [sys.executable, "-c", code],
                        stdout=subprocess.PIPE,
                        stderr=err,
                        text=True,
                        check=True,
                    )
                row = json.loads(res.stdout.strip().splitlines()[-1])
                row["n"] = n
                row["commit"] = _nlp_commit()
                row["input_mb"] = corpus.stat().st_size / 2**20
                row["load"] = load
                if stages == "all":
                    model = os.environ.get("HERITAGE_NLP_SENTIMENT_MODEL", "auto")
                    row["settings"] = (
                        f"k={','.join(map(str, ks))}, passes={passes}, segmenter "
                        f"{row['segmenter']}, sentiment words {row['sentiment_words']}, "
                        f"model {model}"
                    )
                else:
                    row["settings"] = f"no LDA, no sentiment; segmenter {row['segmenter']}"
                out.append(row)
                print(f"scale {n} {engine}: {json.dumps(row)}", flush=True)
                shutil.rmtree(art, ignore_errors=True)
    return out


def render(results: dict) -> str:
    lines = [BEGIN, "## NLP pipeline", ""]
    m = results["machine"]
    cmds = results.get("commands", {})
    lines.append(
        f"Produced by `benchmarks/nlp.py` (from the repository root; commands below) on "
        f"{results['date']}. Machine: {m['cores']} cores, Python {m['python']}, jieba "
        f"{m['jieba']}, snownlp {m['snownlp']}, gensim {m['gensim']}; commit {m['commit']}. "
        "Other work shared the machine during these runs: the load average at the start of "
        "each part is given with it."
    )
    for part, cmd in cmds.items():
        lines.append(f"- {part}: `{cmd}`")
    seg = results.get("segmentation")
    if seg:
        lines += [
            "",
            f"### Segmentation ({seg['docs']:,} documents, {seg['chars']:,} characters of "
            f"`{results['seg_corpus']}`, normalised; load average {seg.get('load', '?')})",
            "",
            "| segmenter | seconds | chars/s | vs bare jieba |",
            "|---|---:|---:|---:|",
            f"| bare `jieba.lcut` (1 process, no user dict, no filtering) | "
            f"{seg['bare_jieba_s']:.2f} | {seg['bare_jieba_chars_per_s']:,.0f} | 1.00 |",
            f"| pipeline `Segmenter` (1 process, user dict + stopwords) | "
            f"{seg['pipeline_1core_s']:.2f} | {seg['pipeline_1core_chars_per_s']:,.0f} | "
            f"{seg['per_core_ratio']:.2f} |",
            f"| pipeline `segment_texts`, 2 workers | {seg['pipeline_2workers_s']:.2f} | "
            f"{seg['pipeline_2workers_chars_per_s']:,.0f} | "
            f"{seg['pipeline_2workers_chars_per_s'] / seg['bare_jieba_chars_per_s']:.2f} |",
        ]
        if seg.get("rjieba"):
            base = seg["bare_jieba_chars_per_s"]
            for key, what in (
                ("rjieba_1core", "`rjieba` backend `cut` (1 process, same user dict)"),
                ("bare_rjieba", "bare `rjieba.cut` (1 process, no user dict, no filtering)"),
                ("rjieba_pipeline_1core", "pipeline `Segmenter`, rjieba (1 process, cut+filter)"),
                ("rjieba_2workers", "pipeline `segment_texts`, rjieba, 2 workers"),
            ):
                if f"{key}_s" in seg:
                    lines.append(
                        f"| {what} | {seg[f'{key}_s']:.2f} | {seg[f'{key}_chars_per_s']:,.0f} | "
                        f"{seg[f'{key}_chars_per_s'] / base:.2f} |"
                    )
        lines += [
            "",
            f"- Per-core speed kept by the pipeline: **{seg['per_core_ratio']:.0%}** of bare "
            f"jieba (target ≥ 80 %) — {'met' if seg['per_core_ratio'] >= 0.8 else 'NOT met'}.",
            f"- Scaling with 2 workers: **{seg['scaling_2workers']:.2f}×** the 1-process pipeline.",
        ]
        if seg.get("rjieba"):
            lines.append(
                f"- rjieba agrees with jieba (identical word lists) on "
                f"**{seg['rjieba_agreement_docs']:.2%}** of documents (target ≥ 99 %)."
            )
    sen = results.get("sentiment")
    if sen:
        lines += [
            "",
            f"### Sentiment on `{sen['corpus']}` ({sen['docs']:,} labelled documents, "
            f"{sen['positives']:,} positive)",
            "",
            "snownlp's bundled model, text normalised, no stopword removal by us; 2 workers. "
            "`words=snownlp` is the model's own segmenter, as trained "
            "(`HERITAGE_NLP_SENTIMENT_WORDS=snownlp`); the pipeline's words (the default, "
            "`HERITAGE_NLP_SENTIMENT_WORDS=jieba`) come from its segmenter, rjieba by default "
            "or jieba. `rated` is what the pipeline does when an "
            "export carries ratings: `RatedModel` (hashed word 1–2-gram TF-IDF + logistic "
            "regression) "
            "learnt from the labels, every document scored by a model trained on the other four "
            "fifths (5-fold out-of-fold scores; the seconds include segmenting and the 5 fits, "
            "1 process).",
            "",
            "| model | ROC AUC | seconds | Youden threshold | accuracy at it | at 0.5 | "
            "balanced acc. at it | at 0.5 | load at start |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        label = {
            "snownlp": "bundled, words=snownlp",
            "jieba": "bundled, pipeline words (jieba backend)",
            "rjieba": "bundled, pipeline words (rjieba backend, the default)",
            "rated": "rated (rjieba words)",
        }
        for name in ("snownlp", "jieba", "rjieba", "rated"):
            r = sen.get(name)
            if r is None:
                continue
            c = r["calibration"]
            when = f" — measured at commit {r['commit']}" if r.get("commit") else ""
            lines.append(
                f"| {label.get(name, name)}{when} | **{r['roc_auc']:.4f}** | {r['seconds']:.0f} | "
                f"{c['threshold']:.3f} | {c['accuracy_at_threshold']:.3f} | "
                f"{c['accuracy_at_05']:.3f} | {c['balanced_accuracy_at_threshold']:.3f} | "
                f"{c['balanced_accuracy_at_05']:.3f} | {r.get('load', sen.get('load', '?'))} |"
            )
        default = sen.get("rjieba") or sen.get("snownlp")
        if default:
            ok = default["roc_auc"] >= 0.90
            lines += [
                "",
                f"- Target ROC AUC ≥ 0.90 (default words, now the pipeline's): "
                f"{'met' if ok else 'NOT met'} ({default['roc_auc']:.3f}).",
            ]
        if "rated" in sen and default:
            gain = sen["rated"]["roc_auc"] - default["roc_auc"]
            lines.append(
                f"- Learning from the ratings: ROC AUC {sen['rated']['roc_auc']:.3f} out of fold, "
                f"{gain:+.3f} over the bundled model, in {sen['rated']['seconds']:.0f} s against "
                f"the bundled model's {default['seconds']:.0f} s."
            )
    scale = results.get("scale")
    sp_ = results.get("scale_params", {"seed": "?", "ks": "?", "passes": "?"})
    if scale:
        lines += [
            "",
            "### Full pipeline on resampled corpora (`run_all`: ingest → … → word clouds)",
            "",
            f"Documents assembled from 1–4 random sentences of the embedded sample (seed "
            f"{sp_['seed']}; single-sentence documents repeat, hence the duplicates rejected); "
            "2 workers; each size and engine in a fresh process with empty artifacts. `all` = "
            "`run_all` (every stage); `core` = the streaming stages without LDA and sentiment "
            "(ingest with dedupe, user dictionary, segmentation, keywords, practicalities, "
            "network). Engine `local` = the process pool, `dask` = a Dask `LocalCluster` of 2 "
            "worker processes started by the run. Peak RSS is polled (every 0.25 s) for the "
            "main process and for its largest descendant (a pool or Dask worker; forked pool "
            "workers count pages shared with the main process).",
            "",
            "| stages | engine | settings | documents | input MB | kept | rejected (duplicates) "
            "| wall s | kept docs/s | peak RSS main MB | peak RSS worker MB | load average | "
            "code |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in scale:
            lines.append(
                f"| {r.get('stages', 'all')} | {r.get('engine', 'local')} | "
                f"{r.get('settings', '')} | {r['n']:,} | {r['input_mb']:.1f} | "
                f"{r['documents']:,} | {r['rejected']:,} | {r['wall_s']:.0f} | "
                f"{r['documents'] / r['wall_s']:,.0f} | "
                f"{r['peak_main_mb']:.0f} | {r['peak_worker_mb']:.0f} | {r.get('load', '?')}"
                + (f" → {r['load_end']} at the end" if r.get("load_end") else "")
                + f" | {r.get('commit', '?')} |"
            )
        lines += _engine_ratios(scale)
        lines += _per_stage_table(scale)
    lines += ["", *results.get("notes", []), END]
    return "\n".join(lines) + "\n"


def _engine_ratios(scale: list[dict]) -> list[str]:
    """dask/local wall-time ratio per size and stage set, and the segmentation stage against
    the bare segmenter."""
    out: list[str] = []
    for r in scale:
        if r.get("engine", "local") != "dask":
            continue
        local = next(
            (
                x
                for x in scale
                if x["n"] == r["n"]
                and x.get("stages") == r.get("stages")
                and x.get("engine", "local") == "local"
            ),
            None,
        )
        if local:
            ratio = r["wall_s"] / local["wall_s"]
            out.append(
                f"- dask/local wall time, {r.get('stages')} {r['n']:,}: **{ratio:.2f}** "
                f"({r['wall_s']:.0f} s / {local['wall_s']:.0f} s; target ≤ 1.15 — "
                f"{'met' if ratio <= 1.15 else 'NOT met'})."
            )
    for r in scale:
        bare = r.get("bare_segmenter")
        seg = next((x for x in r.get("per_stage", []) if x["stage"] == "segment"), None)
        if not bare or not seg or not bare["seconds"]:
            continue
        one = bare["docs"] / bare["seconds"]  # the bare segmenter in one process
        bare_rate = one * r.get("workers", 2)
        rate = r["documents"] / seg["seconds"]
        out.append(
            f"- segmentation stage, {r.get('stages')} {r['n']:,} {r.get('engine', 'local')}: "
            f"{rate:,.0f} docs/s against the bare `{r.get('segmenter')}` segmenter's "
            f"{one:,.0f} docs/s (one process, the segmenter by itself): **{rate / one:.0%}** "
            f"(≥ 90 % — {'met' if rate >= 0.9 * one else 'NOT met'}); per core, against "
            f"{r.get('workers', 2)} bare processes' {bare_rate:,.0f}: {rate / bare_rate:.0%} "
            f"(≥ 90 % — {'met' if rate >= 0.9 * bare_rate else 'NOT met'}) "
            f"(code {r.get('commit', '?')})."
        )
    return ["", *out] if out else []


def _per_stage_table(scale: list[dict]) -> list[str]:
    """Seconds, documents/s and peak RSS of each stage, one column group per measured run."""
    runs = [r for r in scale if r.get("per_stage")]
    if not runs:
        return []
    head = " | ".join(
        f"{r.get('stages', 'all')} {r['n']:,} {r.get('engine', 'local')}: s | docs/s | "
        "MB main / worker"
        for r in runs
    )
    out = [
        "",
        "Per stage (seconds since the previous stage ended; kept documents per second; peak RSS "
        "during the stage):",
        "",
        f"| stage | {head} |",
        "|---|" + "---:|---:|---:|" * len(runs),
    ]
    stages: list[str] = []
    for r in runs:
        stages += [x["stage"] for x in r["per_stage"] if x["stage"] not in stages]
    for st in stages:
        cells = []
        for r in runs:
            x = next((x for x in r["per_stage"] if x["stage"] == st), None)
            cells.append(
                "— | — | —"
                if x is None
                else f"{x['seconds']:.1f} | {r['documents'] / max(x['seconds'], 1e-9):,.0f} | "
                f"{x['peak_main_mb']:.0f} / {x['peak_worker_mb']:.0f}"
            )
        out.append(f"| {st} | " + " | ".join(cells) + " |")
    parts = [
        (r, x) for r in runs for x in r["per_stage"] if x["stage"] == "sentiment" and x.get("parts")
    ]
    for r, x in parts:
        detail = x["parts"]
        out.append(
            f"\nSentiment stage, {r.get('stages')} {r['n']:,} {r.get('engine', 'local')}: {detail}."
        )
    return out


def write_section(doc: Path, section: str) -> None:
    """Replace the text between our markers (or append it) atomically; re-read just before."""
    _report.write_section(doc, section, BEGIN, END)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seg-corpus", type=Path, default=SAMPLE)
    ap.add_argument("--seg-docs", type=int, default=20000)
    ap.add_argument("--sentiment-corpus", type=Path)
    ap.add_argument(
        "--sentiment-models",
        default="snownlp,jieba,rjieba,rated",
        help="which sentiment scorers to measure (others are kept from --json)",
    )
    ap.add_argument("--scale", default="", help="comma-separated corpus sizes, e.g. 20000,100000")
    ap.add_argument("--ks", default="4,6")
    ap.add_argument(
        "--scale-stages",
        choices=["all", "core"],
        default="all",
        help="all = run_all; core = streaming stages only (ingest, userdict, segment, "
        "keywords, practicalities, network)",
    )
    ap.add_argument(
        "--engine",
        default="local",
        help="comma-separated engines for --scale, each size run by each (local, dask)",
    )
    ap.add_argument("--log", type=Path, help="the scale runs' progress output (stderr)")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--json",
        type=Path,
        help="raw results file: parts not measured in this run are kept from it, then it is "
        "rewritten (so segmentation and scaling can be measured in separate runs)",
    )
    ap.add_argument("--out", type=Path, help="docs/benchmarks.md to update between markers")
    ap.add_argument(
        "--note",
        action="append",
        default=[],
        help="extra line for the section (repeatable; without it the --json file's notes stay)",
    )
    args = ap.parse_args()

    import gensim
    import jieba

    commit = _report.head_commit()
    from importlib.metadata import version

    results: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "jieba": jieba.__version__,
            "snownlp": version("snownlp"),
            "gensim": gensim.__version__,
            "load": _report.load_average(),
            "commit": commit,
        },
        "notes": args.note,
    }
    if args.json and args.json.is_file():
        previous = json.loads(args.json.read_text(encoding="utf-8"))
        for part in (
            "segmentation",
            "seg_corpus",
            "sentiment",
            "scale",
            "scale_params",
            "commands",
        ):
            if part in previous:
                results[part] = previous[part]
        if not args.note:
            results["notes"] = previous.get("notes", [])
    commands = dict(results.get("commands", {}))
    command = "python benchmarks/nlp.py " + " ".join(sys.argv[1:])
    if args.seg_docs > 0:
        with tempfile.TemporaryDirectory() as tmp:
            texts = read_texts(args.seg_corpus, args.seg_docs, args.seed)
            results["segmentation"] = bench_segmentation(texts, Path(tmp))
            results["seg_corpus"] = args.seg_corpus.name
            results["segmentation"]["load"] = results["machine"]["load"]
        commands["segmentation"] = command
        print(json.dumps(results["segmentation"], indent=1), flush=True)
    if args.sentiment_corpus:
        models = [m.strip() for m in args.sentiment_models.split(",") if m.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            fresh = bench_sentiment(args.sentiment_corpus, Path(tmp), models)
        old = results.get("sentiment") or {}
        if old.get("corpus") == fresh["corpus"]:  # keep models not rerun this time
            for name in ("snownlp", "jieba", "rjieba", "rated"):
                if name in old and name not in fresh:
                    fresh[name] = {"load": old.get("load", "?"), **old[name]}
        results["sentiment"] = fresh
        commands[f"sentiment ({', '.join(models)})"] = command
        print(json.dumps(results["sentiment"], indent=1), flush=True)
    if args.scale:
        sizes = [int(x) for x in args.scale.split(",")]
        ks = tuple(int(x) for x in args.ks.split(","))
        engines = tuple(e.strip() for e in args.engine.split(",") if e.strip())
        rows = bench_scale(sizes, ks, args.passes, args.seed, args.scale_stages, engines, args.log)
        new = {(r["stages"], r["n"], r["engine"]) for r in rows}
        kept = [
            r
            for r in results.get("scale", [])
            if (r.get("stages", "all"), r["n"], r.get("engine", "local")) not in new
        ]
        results["scale"] = kept + rows
        commands[f"scale ({args.scale_stages}, {args.scale}, {args.engine})"] = command
        results["scale_params"] = {"ks": args.ks, "passes": args.passes, "seed": args.seed}
    results["commands"] = commands
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    section = render(results)
    print(section)
    if args.out:
        write_section(args.out, section)


if __name__ == "__main__":
    main()
