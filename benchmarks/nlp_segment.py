"""Segmentation stage against the bare segmenter, in the same run, on the same corpus.

Run from the repository root, for example::

    .venv/bin/python benchmarks/nlp_segment.py --docs 200000 --repeat 3 --out docs/benchmarks.md

A resampled corpus of ``--docs`` documents (the scale benchmark's, ``benchmarks/nlp.py``) is
ingested once; its user dictionary is built once. Then, ``--repeat`` times and interleaved so
that every variant sees the same machine load:

- **bare, 1 process**: the segmenter's own ``cut`` over every kept text already in memory
  (``rjieba.cut`` with its default dictionary, or ``jieba.lcut``), nothing else;
- **bare, 2 processes**: the same, the texts split in two halves cut by two forked processes
  at once (wall time of the slower one): what 2 cores can do with nothing around the cut;
- **stage, local / dask**: ``stage_segment`` rebuilt from scratch (``force``) with 2 workers:
  reading the corpus Parquet, the cut, the content-word filter, word counts, place matching,
  writing ``tokens.parquet`` atomically, the resumable partitions; the local process pool, or a
  2-worker Dask ``LocalCluster`` started before each of its timings and closed after (so that
  no cluster runs beside the other variants).

Reported: the median of each variant and the stage's throughput against the bare segmenter
in 1 process, against 2 bare processes, and per core (against 2 × the 1-process bare rate).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ (this script's folder, first on sys.path) has nlp.py and kg.py: put it last, so
# the project's packages win and `_report` / `scale_corpus` still import
_HERE = ROOT / "benchmarks"
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))

import _report  # noqa: E402

BEGIN, END = "<!-- nlp-segment:begin -->", "<!-- nlp-segment:end -->"

_TEXTS: list[str] = []


class CpuMeter:
    """CPU seconds of this process and of its descendants (pool or Dask workers) while
    running, polled every 0.05 s: a worker's CPU is its last reading, so a pool's workers count
    even after they exit (up to one polling interval of each is lost)."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _children(self) -> dict[int, float]:
        """CPU seconds of each live descendant now."""
        import psutil

        out: dict[int, float] = {}
        for child in self.me.children(recursive=True):
            try:
                t = child.cpu_times()
            except psutil.Error:
                continue
            out[child.pid] = t.user + t.system
        return out

    def _poll(self) -> None:
        while not self.stop.is_set():
            self.seen.update(self._children())
            self.stop.wait(0.05)

    def __enter__(self) -> CpuMeter:
        t = self.me.cpu_times()
        self.own0 = t.user + t.system
        self.base = self._children()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        t = self.me.cpu_times()
        own = t.user + t.system - self.own0
        kids = sum(v - self.base.get(pid, 0.0) for pid, v in self.seen.items())
        self.seconds = own + kids


def _bare_cut(backend: str) -> Any:
    if backend == "rjieba":
        import rjieba

        rjieba.cut("预热")
        return rjieba.cut
    import jieba

    jieba.lcut("预热")
    return jieba.lcut


def _cut_half(args: tuple[str, int]) -> float:
    backend, half = args
    cut = _bare_cut(backend)
    texts = _TEXTS[half::2]
    t0 = time.perf_counter()
    for t in texts:
        cut(t)
    return time.perf_counter() - t0


def bare_one(texts: list[str], backend: str) -> float:
    """Seconds for the bare segmenter over ``texts`` in this process."""
    cut = _bare_cut(backend)
    t0 = time.perf_counter()
    for t in texts:
        cut(t)
    return time.perf_counter() - t0


def bare_two(backend: str) -> float:
    """Seconds for two forked processes cutting half of the texts each, at the same time (the
    slower one's loop; texts inherited, dictionaries loaded before each clock starts)."""
    with mp.get_context("fork").Pool(2) as pool:
        return max(pool.map(_cut_half, [(backend, 0), (backend, 1)], chunksize=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--engines", default="local,dask")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--note", action="append", default=[], help="a line for the section")
    ap.add_argument("--render", action="store_true", help="only re-render the section from --json")
    ap.add_argument("--out", type=Path, help="docs/benchmarks.md to update between markers")
    args = ap.parse_args()
    if args.render:
        saved = json.loads(args.json.read_text(encoding="utf-8"))
        saved["notes"] = args.note or saved.get("notes", [])
        args.json.write_text(json.dumps(saved, indent=1), encoding="utf-8")
        section = render(saved)
        print(section)
        if args.out:
            _report.write_section(args.out, section, BEGIN, END)
        return

    from scale_corpus import make_corpus

    from nlp import pipeline as p
    from nlp.config import config_from_env
    from nlp.engine import DaskEngine, using
    from nlp.ingest import iter_corpus

    load_start = _report.load_average()
    engines = [e for e in args.engines.split(",") if e]
    times: dict[str, list[float]] = {"bare1": [], "bare2": [], **{e: [] for e in engines}}
    cpu: dict[str, list[float]] = {e: [] for e in engines}
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = Path(tmp) / "resampled.jsonl"
        make_corpus(args.docs, corpus_file, args.seed)
        cfg = config_from_env(artifacts_dir=Path(tmp) / "art", workers=2)
        corpus = p.stage_corpus([corpus_file], cfg)
        userdict = p.stage_userdict(cfg)
        texts = [
            t
            for b in iter_corpus(corpus.path, columns=["text"])
            for t in b.column("text").to_pylist()
        ]
        _TEXTS[:] = texts
        backend = cfg.segmenter
        for _ in range(args.repeat):
            times["bare1"].append(bare_one(texts, backend))
            times["bare2"].append(bare_two(backend))
            for engine in engines:
                # a cluster only while its own variant runs: its processes are this one's
                # children (the CPU meter would count them) and share the 2 cores
                dask = DaskEngine.start(workers=2) if engine == "dask" else None
                try:
                    with CpuMeter() as meter:
                        with using(dask) if dask is not None else contextlib.nullcontext():
                            t0 = time.perf_counter()
                            p.stage_segment(corpus, userdict, cfg, force=True)
                        times[engine].append(time.perf_counter() - t0)
                    cpu[engine].append(meter.seconds)
                finally:
                    if dask is not None:
                        dask.close()
    n = len(texts)
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "docs": n,
        "input_docs": args.docs,
        "segmenter": backend,
        "repeat": args.repeat,
        "times": times,
        "median": med,
        "cpu": cpu,
        "load": f"{load_start} → {_report.load_average()}",
        "commit": _report.head_commit(),
        "command": "python benchmarks/nlp_segment.py " + " ".join(sys.argv[1:]),
        "notes": args.note,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    section = render(result)
    print(section)
    if args.out:
        _report.write_section(args.out, section, BEGIN, END)


def render(r: dict[str, Any]) -> str:
    """The Markdown section."""
    n, med = r["docs"], r["median"]
    bare1, bare2 = n / med["bare1"], n / med["bare2"]
    lines = [
        BEGIN,
        f"### Segmentation stage against the bare segmenter ({n:,} documents, "
        f"`{r['segmenter']}`, 2 workers)",
        "",
        f"Command: `{r['command']}` (commit {r['commit']}; load average {r['load']}). "
        f"Median of {r['repeat']} interleaved runs; the resampled corpus of the scale "
        "benchmark after ingest (duplicates removed).",
        "",
        "| variant | seconds (median) | docs/s | vs bare, 1 process | vs bare, 2 processes "
        "| per core (vs 2 × bare 1 process) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "bare1": "bare segmenter, 1 process (cut only, texts in memory)",
        "bare2": "bare segmenter, 2 processes at once",
        "local": "segmentation stage, local engine (2 processes)",
        "dask": "segmentation stage, Dask LocalCluster (2 workers)",
    }
    for key, secs in med.items():
        rate = n / secs
        lines.append(
            f"| {names.get(key, key)} | {secs:.2f} | {rate:,.0f} | {rate / bare1:.2f} | "
            f"{rate / bare2:.2f} | {rate / (2 * bare1):.2f} |"
        )
    lines.append("")
    lines.append(
        "CPU seconds of the stage (this process, its pool or Dask workers; a load-independent "
        "view of the work around the cut), against the bare segmenter's 1-process seconds:"
    )
    lines.append("")
    for key, values in r.get("cpu", {}).items():
        c = statistics.median(values)
        lines.append(
            f"- {names.get(key, key)}: {c:.2f} CPU s, {med['bare1'] / c:.0%} of it is the bare cut "
            f"({med['bare1']:.2f} s)"
        )
    lines.append("")
    for key in ("local", "dask"):
        if key in med:
            rate = n / med[key]
            one = "met" if rate >= 0.9 * bare1 else "NOT met"
            two = "met" if rate >= 0.9 * bare2 else "NOT met"
            lines.append(
                f"- {names[key]}: **{rate / bare1:.0%} of the bare segmenter** (one process, "
                f"≥ 90 %: {one}); {rate / bare2:.0%} of two bare processes at once "
                f"(≥ 90 %: {two})."
            )
    notes = r.get("notes") or []
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    return "\n".join([*lines, END]) + "\n"


if __name__ == "__main__":
    main()
