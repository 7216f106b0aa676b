"""LDA training-sample size: topic coherence against the number of documents trained on.

Run from the repository root, for example::

    .venv/bin/python benchmarks/nlp_topics.py \\
        --corpus ../shared/corpora/scenic_masked_alice23333_teddycup.csv --resampled 100000 \\
        --sizes 5000,10000,20000,50000,100000 --ks 4,6 --out docs/benchmarks.md

For each corpus (the real one given by path, read in place, and/or one of N documents
resampled from the embedded sample as in ``benchmarks/nlp.py``) the pipeline's own stages
ingest and segment it; then, for every sample size m (sizes above the corpus are replaced by
the whole corpus) and every k, an LDA model (the pipeline's :class:`~nlp.topics.TopicModel`,
dictionary and model built from a seeded sample of m documents, 5 passes) is scored with c_v
and u_mass on one fixed reference set: a seeded sample of ``--coherence-docs`` documents of the
whole corpus, the same for every m. The (m, k) fits run in parallel (2 processes). Fit seconds
are one process's wall time.

The corpora under ``../shared`` are read by path and never copied into the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _report  # noqa: E402

from nlp.config import NlpConfig  # noqa: E402

BEGIN, END = "<!-- nlptopics:begin -->", "<!-- nlptopics:end -->"

_DOCS: list[list[str]] = []  # the corpus's token lists, inherited by forked workers
_REF: list[list[str]] = []


def _bench_nlp() -> Any:
    """``benchmarks/nlp.py`` as a module (its resampled-corpus generator)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_nlp", ROOT / "benchmarks" / "nlp.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_tokens(corpus: Path, art: Path, workers: int) -> list[list[str]]:
    """Ingest and segment ``corpus`` with the pipeline; return each document's analysis tokens
    (content words with user-dictionary parts, as the topics stage sees them)."""
    from nlp import pipeline as p

    cfg = NlpConfig(artifacts_dir=art, workers=workers)
    c = p.stage_corpus([corpus], cfg)
    u = p.stage_userdict(cfg)
    t = p.stage_segment(c, u, cfg)
    seg = p.load_segmenter(u.path, cfg)
    return [
        seg.expand(d["tokens"])
        for chunk in p.iter_docs(c.path, t.path / "tokens.parquet")
        for d in chunk
    ]


def _fit(_: Any, job: tuple[int, int, int, int]) -> dict[str, Any]:
    """One (sample size, k) fit on the forked corpus, scored on the fixed reference set."""
    from gensim.models import CoherenceModel

    from nlp.topics import TopicModel, build_dictionary

    m, k, seed, passes = job
    rng = random.Random(seed)
    idx = sorted(rng.sample(range(len(_DOCS)), m)) if m < len(_DOCS) else range(len(_DOCS))
    sample = [_DOCS[i] for i in idx]
    t0 = time.perf_counter()
    tm = TopicModel(k, passes=passes, random_state=seed)
    dictionary = build_dictionary(lambda: iter(sample), tm)
    tm.fit(lambda: iter(sample), dictionary=dictionary)
    fit_s = time.perf_counter() - t0
    topics = [[w for w, _ in t] for t in tm.topics(10)]
    ref = [[w for w in d if w in dictionary.token2id] for d in _REF]
    ref = [d for d in ref if d]
    row: dict[str, Any] = {"m": len(sample), "k": k, "fit_s": fit_s, "vocab": len(dictionary)}
    for measure in ("c_v", "u_mass"):
        cm = CoherenceModel(
            topics=topics,
            texts=ref,
            corpus=[dictionary.doc2bow(d) for d in ref],
            dictionary=dictionary,
            coherence=measure,
            topn=10,
            processes=1,
        )
        row[measure] = float(cm.get_coherence())
    return row


def sweep(
    docs: list[list[str]],
    sizes: list[int],
    ks: list[int],
    seeds: list[int],
    passes: int,
    coherence_docs: int,
    workers: int,
) -> list[dict[str, Any]]:
    """Every (size, k, seed) fit, in parallel."""
    from nlp.parallel import ordered_map

    _DOCS[:] = [d for d in docs if d]
    rng = random.Random(12345)
    _REF[:] = rng.sample(_DOCS, min(coherence_docs, len(_DOCS)))
    ms = sorted({min(m, len(_DOCS)) for m in sizes})
    jobs = [(m, k, s, passes) for m in ms for k in ks for s in seeds]
    rows = []
    for row, (_, _, s, _) in zip(
        ordered_map(_fit, None, iter(jobs), workers=workers), jobs, strict=True
    ):
        row["seed"] = s
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def compare_multicore(docs: list[list[str]], m: int, k: int, passes: int, seed: int) -> dict:
    """gensim ``LdaModel`` against ``LdaMulticore`` (1 and 2 workers) on one seeded sample:
    seconds of two runs each, and whether the two runs give the same topics."""
    import numpy as np
    from gensim.models import LdaModel, LdaMulticore

    from nlp.topics import TopicModel, build_dictionary

    sample = random.Random(seed).sample(docs, min(m, len(docs)))
    dic = build_dictionary(lambda: iter(sample), TopicModel(k))
    bow = [dic.doc2bow(d) for d in sample]
    kw = {
        "corpus": bow,
        "id2word": dic,
        "num_topics": k,
        "passes": passes,
        "iterations": 100,
        "random_state": seed,
        "chunksize": 2000,
        "eval_every": None,
        "alpha": "symmetric",
    }
    makers = {
        "LdaModel": lambda: LdaModel(**kw),
        "LdaMulticore workers=1": lambda: LdaMulticore(workers=1, **kw),
        "LdaMulticore workers=2": lambda: LdaMulticore(workers=2, **kw),
    }
    out: dict[str, Any] = {}
    for name, make in makers.items():
        runs = []
        for _ in range(2):
            t0 = time.perf_counter()
            topics = make().get_topics()
            runs.append((time.perf_counter() - t0, topics))
        out[name] = {
            "seconds": [r[0] for r in runs],
            "identical": bool(np.array_equal(runs[0][1], runs[1][1])),
            "max_diff": float(np.abs(runs[0][1] - runs[1][1]).max()),
        }
        print(name, json.dumps(out[name]), flush=True)
    return out


def render(results: dict[str, Any]) -> str:
    """The Markdown block."""
    lines = [
        BEGIN,
        "### LDA training sample: coherence against sample size (`benchmarks/nlp_topics.py`)",
        "",
        f"Produced on {results['date']} at commit {results['commit']} by "
        f"`{results['command']}` (load average at the start {results['load']}; several runs "
        "are listed in the same order). Each model: "
        f"dictionary and LDA (`TopicModel`, {results['passes']} passes) from a seeded sample "
        "of m documents; c_v and u_mass on one fixed reference set "
        f"({results['coherence_docs']:,} documents of the whole corpus, the same for every m); "
        "mean over the seeds listed (their range in brackets); fit seconds = one process, "
        "while another fit ran in parallel, on a machine shared with other work (load "
        "average 8–13 during these runs), so they compare sizes, not machines.",
    ]
    for corpus in results["corpora"]:
        rows = corpus["rows"]
        ks = sorted({r["k"] for r in rows})
        lines += [
            "",
            f"**{corpus['name']}** ({corpus['docs']:,} documents after ingest)",
            "",
            "| m | seeds | " + " | ".join(f"k={k} c_v | u_mass | fit s" for k in ks) + " |",
            "|---:|---|" + "---:|---:|---:|" * len(ks),
        ]
        for m in sorted({r["m"] for r in rows}):
            cells = []
            for k in ks:
                sel = [r for r in rows if r["m"] == m and r["k"] == k]
                if not sel:
                    cells.append("— | — | —")
                    continue
                cells.append(
                    f"{_spread([r['c_v'] for r in sel], 4)} | "
                    f"{_spread([r['u_mass'] for r in sel], 3)} | "
                    f"{sum(r['fit_s'] for r in sel) / len(sel):.1f}"
                )
            seeds = sorted({r["seed"] for r in rows if r["m"] == m})
            lines.append(f"| {m:,} | {', '.join(map(str, seeds))} | " + " | ".join(cells) + " |")
    for note in results.get("notes", []):
        lines += ["", note]
    lines += ["", END]
    return "\n".join(lines) + "\n"


def _spread(values: list[float], digits: int) -> str:
    """Mean, and the range over seeds when there are several."""
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, action="append", default=[])
    ap.add_argument("--resampled", type=int, default=0, help="also a resampled corpus of N")
    ap.add_argument("--sizes", default="5000,10000,20000,50000,100000")
    ap.add_argument("--ks", default="4,6")
    ap.add_argument("--seeds", default="42")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--coherence-docs", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--multicore",
        action="store_true",
        help="only compare LdaModel and LdaMulticore on a seeded sample (--sizes' first, "
        "--ks' last) of each corpus, two runs each",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--out", type=Path)
    ap.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="earlier --json results whose rows join this run's (same corpus name); "
        "with no --corpus/--resampled only those are rendered",
    )
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    ks = [int(x) for x in args.ks.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _report.head_commit(),
        "command": "python benchmarks/nlp_topics.py " + " ".join(sys.argv[1:]),
        "load": _report.load_average(),
        "passes": args.passes,
        "seeds": seeds,
        "coherence_docs": args.coherence_docs,
        "corpora": [],
        "notes": args.note,
    }
    inputs: list[tuple[str, Path]] = [(p.name, p) for p in args.corpus]
    with tempfile.TemporaryDirectory() as tmp:
        if args.resampled:
            path = Path(tmp) / f"resampled_{args.resampled}.jsonl"
            _bench_nlp().make_corpus(args.resampled, path, 42)
            inputs.append((f"resampled {args.resampled:,} (seed 42)", path))
        for i, (name, path) in enumerate(inputs):
            docs = load_tokens(path, Path(tmp) / f"art{i}", args.workers)
            if args.multicore:
                print(
                    name,
                    json.dumps(compare_multicore(docs, sizes[0], ks[-1], args.passes, seeds[0])),
                )
                continue
            rows = sweep(docs, sizes, ks, seeds, args.passes, args.coherence_docs, args.workers)
            results["corpora"].append({"name": name, "docs": len(docs), "rows": rows})
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    if args.multicore:
        return
    commands = [results["command"]] if inputs else []
    for path in args.merge:
        earlier = json.loads(path.read_text(encoding="utf-8"))
        commands += earlier.get("commands", [earlier["command"]])
        for field in ("date", "commit", "load"):  # when and where those rows were measured
            runs = earlier.get(f"{field}s", [earlier[field]])
            results[f"{field}s"] = [*results.get(f"{field}s", []), *runs]
        for corpus in earlier["corpora"]:
            same = next((c for c in results["corpora"] if c["name"] == corpus["name"]), None)
            if same is None:
                results["corpora"].append(corpus)
            else:
                same["rows"] += corpus["rows"]
    results["commands"] = commands
    for field in ("date", "commit", "load"):
        if args.merge:
            runs = [results[field]] if inputs else []
            results[f"{field}s"] = [*results[f"{field}s"], *runs]
            results[field] = " / ".join(results[f"{field}s"])
    results["command"] = "` and `".join(commands)
    section = render(results)
    print(section)
    if args.out:
        _report.write_section(args.out, section, BEGIN, END)


if __name__ == "__main__":
    main()
