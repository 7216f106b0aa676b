"""Practicalities you can trust: precision and recall of :class:`nlp.practicalities.
PracticalityMiner` per kind on labelled sets of review clauses; sentiment ROC AUC per
destination where a corpus has star ratings (the embedded sample; the real corpus by path).

The labelled sets, ``benchmarks/data/practicalities_*.csv``, hold no review text: each row
names a corpus file, a row (CSV data row, 0-based, or the JSONL ``doc_id``), the clause's
character offsets in that row's raw text, the sampling stratum and the labels given by reading
the clause. This script reads the corpora by path (``--shared``: the folder holding
``corpora/``; never copied into the project), cuts the clauses, normalises them with
``nlp.textnorm.normalize_zh`` and runs the miner on each clause alone.

Sampling (``--resample SET`` regenerates a set's rows without labels): clauses are the runs of a
row's raw text between ``。！？!?；;，,、`` and newlines, at least 4 characters. Development
sets A (seed 14, 505 clauses), B (seed 15, 220) and C (seed 16, 260; the held-out set of the
second round) have three strata per corpus: *cue* (a time, crowd, queue or ticket word),
*random* (any clause) and *reservation* (a booking word). Development D (seed 17, 318; the
held-out set of the third round), development E (seed 18, same sizes; the held-out set of the
fourth round) and the held-out set (seed 19, 312; more *booking_need* clauses, see
``HELD_OUT_SIZES_5``) have six, drawn
in this order so that every target kind has positives: *duration* (a length of
time), *crowd* (people, queues, quiet), *booking_need* (a booking word after a word of need,
advice or advance, or 预约), *reservation*, *cue* and *random* (``STRATA``; sizes in
``SETS``). A set never draws a clause of a set listed before it.

Labels (space-separated, empty = nothing practical): ``D=<hours>`` how long a visit to the spot
(or a part of it) took or takes; ``C+`` / ``C-`` crowded / quiet (people, queues at the site);
``R+`` reservation or advance booking needed or advised for the visit, ``R-`` not needed;
``B:<when>`` a recommended time (morning, afternoon, evening, weekday …); ``A:<when>`` a time to
avoid (weekend, holiday). Information-only labels mark what must *not* count as a visit length:
``W`` queueing/waiting time, ``T`` transport time, ``S`` a show or ride, ``TRIP`` a stay of
days. A duration is correct when within max(0.25 h, 25 %) of the label. ``R+`` needs a marker
of need, advice or rule, or a bare imperative verb phrase ("提前一天订票"); an account of a
booking (了, 已经, 我们…订的), free admission (不用买票) and advice about a channel (不要在网上
买票) get no R label; ``R-`` is a negated booking (不用预约, 不用提前买票).

Usage::

    python benchmarks/practicalities.py --shared ../shared --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the nlp package, not this folder's nlp.py

import _report  # noqa: E402

from common.settings import PROJECT_ROOT  # noqa: E402
from nlp.practicalities import PracticalityMiner  # noqa: E402
from nlp.textnorm import normalize_zh  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
TEDDY = "shared:corpora/scenic_masked_alice23333_teddycup.csv"
SAMPLE = "repo:data/corpus/sample_reviews.jsonl"
CLAUSE = re.compile(r"[^。！？!?；;，,、\n]+")
CUES = re.compile(
    r"小时|钟头|分钟|半天|一天|整天|上午|下午|早上|晚上|傍晚|排队|人多|人少|人山人海|拥挤|挤|清静|"
    r"安静|预约|订票|买票|购票|门票|周末|节假日|假期|工作日|避开|时间|游客"
)
BOOKING = re.compile(
    r"预约|预订|预定|订票|订了|订的|提前买|提前购|实名|网上买|网上购|在线购|小程序|公众号"
)
#: clauses that state a length of time (the held-out set's *duration* stratum)
LENGTHS = re.compile(r"小时|钟头|分钟|半天|一天|整天|一上午|一下午|一个上午|一个下午")
#: clauses about people, queues or quiet (*crowd* stratum)
CROWDS = re.compile(r"人多|人少|人很多|人不多|排队|拥挤|挤|清静|安静|游客|人山人海|冷清")
#: a booking word with a word of need, advice, advance or rule before it, or 预约 anywhere
#: (*booking_need* stratum: where "reservation required" statements are, since the plain
#: booking stratum holds mostly "booking online was convenient")
NEEDS = re.compile(
    r"(?:需|要|必须|须|务必|建议|最好|记得|一定|提前|事先|实名|只能|才能|限)"
    r"[^。！？!?；;，,、\n]{0,12}(?:预约|预订|预定|订票|买票|购票|订好|买好)|预约"
)
STRATA: dict[str, re.Pattern[str] | None] = {
    "cue": CUES,
    "random": None,
    "duration": LENGTHS,
    "crowd": CROWDS,
    "reservation": BOOKING,
    "booking_need": NEEDS,
}
#: held-out results of the earlier rounds, as scored when each set was still unseen
HISTORY = (
    "round 1 on B (seed 15): duration P 0.90 / R 0.56, crowding 0.92 / 0.71, reservation "
    "0.80 / 0.50; round 2 on C (seed 16): duration P 0.81 / R 0.57, crowding 0.88 / 0.79, "
    "reservation 0.50 / 1.00 (4 positives); round 3 on D (seed 17): duration 0.83 / 0.68, crowding "
    "0.91 / 0.77, reservation 0.65 / 0.85; round 4 on E (seed 18): duration 0.91 / 0.72, "
    "crowding 0.87 / 0.75, reservation 0.57 / 0.65 (20 positives)"
)
#: what the errors of the fourth round's held-out set (now development E) were (read after it
#: was scored once; the rules were not changed after that)
HELD_OUT_NOTES = (
    "Development E's errors (the fourth round's held-out set), read after its single scoring "
    "(the rules were not changed after it; the examples are written here, not quoted): "
    "*reservation* (20 labelled, so each clause moves recall by 0.05) — a price stated after "
    "an advance booking with no price word the rules know (like 提前两天订才九十元) or a "
    "discount condition (只有…才能享受优惠), accounts that the narrative marks miss (a "
    "result such as …预约成功, or a bare clause whose context shows an account), a "
    "conditional 要是, advice whose object (lodging) is named only in the previous clause; "
    "missed: rules told as a complaint or in reported speech (…还得微信预约, "
    "工作人员叫我先电话预约), sufficiency (网上预约了就行), 'it can be seen without booking' "
    "(没预约也能看) and a bracketed booking note with a discount. *crowding* — reduplicated "
    "or resultative queues (排队排队, 排队排怕了, 造成排队) missed, quiet said through short "
    "waits (等待时间不长, 不用怎么排队) or hedged negation (游客不算多, 没什么游客) missed, "
    "a negated 人挤人 read as crowded, and queue-free clauses whose context is ticketing. "
    "*duration* meets the targets."
)

BEGIN, END = "<!-- practicalities:begin -->", "<!-- practicalities:end -->"
KINDS = ("duration", "crowding", "reservation", "best_time", "avoid_time")
TARGETS = {"duration": 0.90, "crowding": 0.90, "reservation": 0.90}
RECALL_TARGET = 0.70


# --------------------------------------------------------------------------- corpora


def _path(ref: str, shared: Path) -> Path:
    where, _, rel = ref.partition(":")
    return (shared if where == "shared" else PROJECT_ROOT) / rel


def load_rows(ref: str, shared: Path) -> dict[str, str]:
    """Row id → raw text of one corpus (CSV data row index, or JSONL doc_id)."""
    path = _path(ref, shared)
    if path.suffix == ".jsonl":
        out = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out[str(d["doc_id"])] = d["text"]
        return out
    with open(path, encoding="utf-8", newline="") as fh:
        return {str(i): r["text"] or "" for i, r in enumerate(csv.DictReader(fh))}


def clauses(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the clauses of a raw text, trimmed, at least 4 characters."""
    for m in CLAUSE.finditer(text):
        c = m.group()
        s, e = len(c) - len(c.lstrip()), len(c.rstrip())
        if e - s >= 4:
            yield m.start() + s, m.start() + e


#: the stratified sets' sizes (development D, seed 17, and the held-out set, seed 18)
HELD_OUT_SIZES: dict[str, dict[str, int]] = {
    TEDDY: {
        "duration": 50,
        "crowd": 40,
        "booking_need": 55,
        "reservation": 25,
        "cue": 60,
        "random": 30,
    },
    SAMPLE: {"duration": 20, "crowd": 12, "booking_need": 8, "cue": 15, "random": 10},
}

#: the fifth round's held-out set (seed 19): the same strata, more *booking_need* clauses so
#: that reservation has enough positives to be measured
HELD_OUT_SIZES_5: dict[str, dict[str, int]] = {
    TEDDY: {
        "duration": 50,
        "crowd": 40,
        "booking_need": 85,
        "reservation": 30,
        "cue": 40,
        "random": 25,
    },
    SAMPLE: {"duration": 15, "crowd": 10, "booking_need": 8, "cue": 10, "random": 7},
}

#: labelled sets: file, seed, clauses per corpus — (cue, random, booking) for the development
#: sets, stratum → size for the held-out set (drawn by :func:`resample_strata`)
SETS: dict[str, tuple[str, int, dict[str, Any]]] = {
    "development A": (
        "practicalities_labels.csv",
        14,
        {TEDDY: (230, 80, 70), SAMPLE: (90, 30, 20)},
    ),
    "development B": (
        "practicalities_dev2.csv",
        15,
        {TEDDY: (100, 30, 40), SAMPLE: (40, 10, 10)},
    ),
    "development C": (
        "practicalities_dev3.csv",
        16,
        {TEDDY: (120, 40, 50), SAMPLE: (40, 10, 10)},
    ),
    "development D": ("practicalities_dev4.csv", 17, HELD_OUT_SIZES),
    "development E": ("practicalities_dev5.csv", 18, HELD_OUT_SIZES),
    "held-out": ("practicalities_heldout.csv", 19, HELD_OUT_SIZES_5),
}


def resample(
    shared: Path,
    seed: int,
    sizes: dict[str, tuple[int, int, int]],
    exclude: set[tuple[str, str, int]] = frozenset(),  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    """A set's rows (without labels), drawn as the module docstring says; clauses in
    ``exclude`` ((corpus, row id, start) of another set) are never drawn."""
    rng = random.Random(seed)
    out: list[tuple[str, str, int, int, str]] = []
    booking: dict[str, list[tuple[str, str, int, int]]] = {}
    for ref, (n_cue, n_rand, _) in sizes.items():
        cue, every = [], []
        for rid, text in load_rows(ref, shared).items():
            for s, e in clauses(text):
                if (ref, rid, s) in exclude:
                    continue
                item = (ref, rid, s, e)
                every.append(item)
                if CUES.search(text[s:e]):
                    cue.append(item)
                if BOOKING.search(text[s:e]):
                    booking.setdefault(ref, []).append(item)
        picked = rng.sample(cue, n_cue)
        seen = {(p[1], p[2]) for p in picked}
        rand: list[tuple[str, str, int, int]] = []
        while len(rand) < n_rand:
            c = rng.choice(every)
            if (c[1], c[2]) not in seen:
                seen.add((c[1], c[2]))
                rand.append(c)
        out += [(*p, "cue") for p in picked] + [(*p, "random") for p in rand]
        taken = {(o[0], o[1], o[2]) for o in out}
        booking[ref] = [c for c in booking.get(ref, []) if (c[0], c[1], c[2]) not in taken]
    for ref, (_, _, n) in sizes.items():
        pool = booking.get(ref, [])
        out += [(*p, "reservation") for p in rng.sample(pool, min(n, len(pool)))]
    return [
        {
            "clause": i,
            "corpus": o[0],
            "row_id": o[1],
            "start": o[2],
            "end": o[3],
            "stratum": o[4],
        }
        for i, o in enumerate(out)
    ]


def resample_strata(
    shared: Path,
    seed: int,
    sizes: dict[str, dict[str, int]],
    exclude: set[tuple[str, str, int]],
) -> list[dict[str, Any]]:
    """A stratified set's rows (without labels): per corpus, the strata of :data:`STRATA` in
    the order of ``sizes`` (stratum → clauses), each drawn from the clauses its pattern matches
    (``random``: any clause) that no earlier stratum or set (``exclude``) holds; a stratum
    whose pool is smaller than asked gives its whole pool."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    taken = set(exclude)
    for ref, strata in sizes.items():
        every = [
            (ref, rid, s, e, text[s:e])
            for rid, text in load_rows(ref, shared).items()
            for s, e in clauses(text)
        ]
        for stratum, n in strata.items():
            rx = STRATA[stratum]
            pool = [c for c in every if (c[0], c[1], c[2]) not in taken]
            if rx is not None:
                pool = [c for c in pool if rx.search(c[4])]
            for c in rng.sample(pool, min(n, len(pool))):
                taken.add((c[0], c[1], c[2]))
                out.append(
                    {
                        "clause": len(out),
                        "corpus": c[0],
                        "row_id": c[1],
                        "start": c[2],
                        "end": c[3],
                        "stratum": stratum,
                    }
                )
    return out


# --------------------------------------------------------------------------- scoring


def gold_of(labels: str) -> dict[str, set[Any]]:
    """Parse a label cell into kind → values (durations in hours)."""
    gold: dict[str, set[Any]] = defaultdict(set)
    for lab in labels.split():
        if lab.startswith("D="):
            gold["duration"].add(float(lab[2:]))
        elif lab in {"C+", "C-"}:
            gold["crowding"].add("crowded" if lab == "C+" else "quiet")
        elif lab in {"R+", "R-"}:
            gold["reservation"].add("required" if lab == "R+" else "not_required")
        elif lab.startswith("B:"):
            gold["best_time"].add(lab[2:])
        elif lab.startswith("A:"):
            gold["avoid_time"].add(lab[2:])
        else:
            gold["info"].add(lab)
    return gold


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.25, 0.25 * b)


def score(
    rows: list[dict[str, Any]],
    texts: dict[str, dict[str, str]],
    miner: PracticalityMiner,
):
    """Per kind: gold, predicted and correct counts; and the clauses of each error."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    errors: list[dict[str, Any]] = []
    duration_on_info: Counter[str] = Counter()
    for r in rows:
        raw = texts[r["corpus"]][r["row_id"]][int(r["start"]) : int(r["end"])]
        found = miner.mine(normalize_zh(raw))
        pred: dict[str, set[Any]] = defaultdict(set)
        for f in found:
            pred[f.kind].add(f.value)
        gold = gold_of(r["labels"])
        if pred["duration"] and not gold["duration"]:
            for info in gold["info"]:
                duration_on_info[info] += 1
        for kind in KINDS:
            g, p = gold[kind], pred[kind]
            if kind == "duration":
                tp = sum(1 for x in p if any(_close(x, y) for y in g))
                hit_gold = sum(1 for y in g if any(_close(x, y) for x in p))
            else:
                tp = hit_gold = len(g & p)
            counts[kind].update(gold=len(g), pred=len(p), tp=tp, found=hit_gold)
            if tp < len(p) or hit_gold < len(g):
                errors.append(
                    {
                        "clause": r["clause"],
                        "kind": kind,
                        "gold": sorted(g),
                        "pred": sorted(p),
                    }
                )
    return counts, errors, duration_on_info


def _pr(c: Counter[str]) -> tuple[float | None, float | None]:
    precision = c["tp"] / c["pred"] if c["pred"] else None
    recall = c["found"] / c["gold"] if c["gold"] else None
    return precision, recall


# --------------------------------------------------------------------------- baseline


def baseline_miner(rev: str, tmp: Path, name: str = "baseline_practicalities") -> Any:
    """The miner and its YAML as they were at git revision ``rev`` (the comparison baseline)."""
    import importlib.util

    code = _report.git("show", f"{rev}:nlp/practicalities.py")
    lexicon = _report.git("show", f"{rev}:data/lexicon/practicalities.yaml")
    if not code or not lexicon:
        raise SystemExit(f"cannot read the miner at revision {rev!r}")
    (tmp / f"{name}.py").write_text(code, encoding="utf-8")
    (tmp / "baseline.yaml").write_text(lexicon, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, tmp / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.PracticalityMiner(tmp / "baseline.yaml")


# --------------------------------------------------------------------------- sentiment


def destination_auc(artifacts: Path) -> list[tuple[str, int, int, float | None]]:
    """Sentiment ROC AUC per destination of the embedded sample (stars 4–5 vs 1–3)."""
    from nlp.config import NlpConfig
    from nlp.pipeline import (
        stage_corpus,
        stage_segment,
        stage_sentiment,
        stage_userdict,
    )

    cfg = NlpConfig(artifacts_dir=artifacts, workers=1)
    c = stage_corpus([PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"], cfg)
    u = stage_userdict(cfg)
    t = stage_segment(c, u, cfg)
    s = stage_sentiment(c, t, u, cfg)
    import pandas as pd

    table = pd.read_csv(s.path / "destination_sentiment.csv", dtype={"destination": str})
    return [
        (
            r.destination,
            int(r.n_pos),
            int(r.n_neg),
            None if pd.isna(r.roc_auc) else r.roc_auc,
        )
        for r in table.itertuples()
    ]


def rating_census(
    path: Path, positive_min: float = 4.0
) -> tuple[int, int, dict[str, Counter[str]]]:
    """Rows, rated rows and, per spot, rows and positive / negative counts of a CSV corpus with
    ``spot`` and ``rating`` columns (stars ≥ ``positive_min`` positive, the rest negative)."""
    per: dict[str, Counter[str]] = defaultdict(Counter)
    n = rated = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            n += 1
            per[r.get("spot") or ""]["rows"] += 1
            stars = (r.get("rating") or "").strip()
            if not stars:
                continue
            rated += 1
            per[r.get("spot") or ""]["pos" if float(stars) >= positive_min else "neg"] += 1
    return n, rated, dict(per)


def spot_auc(
    path: Path, artifacts: Path, positive_min: float = 4.0
) -> list[tuple[str, int, int, float | None]]:
    """Sentiment ROC AUC per spot of a corpus read by path: the corpus, segmentation and
    sentiment stages run on it (the ``spot`` column is the place), and each document's score
    is compared with its stars; ``None`` for a spot without both classes."""
    import pyarrow.parquet as pq
    from sklearn.metrics import roc_auc_score

    from nlp.config import NlpConfig
    from nlp.ingest import iter_corpus
    from nlp.pipeline import stage_corpus, stage_segment, stage_sentiment, stage_userdict

    cfg = NlpConfig(artifacts_dir=artifacts, workers=1)
    c = stage_corpus([path], cfg, place_from="column")
    u = stage_userdict(cfg)
    t = stage_segment(c, u, cfg)
    s = stage_sentiment(c, t, u, cfg, positive_min=positive_min)
    scored = pq.read_table(s.path / "doc_sentiment.parquet", columns=["doc_id", "score", "rating"])
    by_doc = {
        d["doc_id"]: (d["score"], d["rating"])
        for d in scored.to_pylist()
        if d["rating"] is not None
    }
    per: dict[str, tuple[list[float], list[int]]] = defaultdict(lambda: ([], []))
    for batch in iter_corpus(c.path, columns=["doc_id", "place"]):
        for d in batch.to_pylist():
            if d["doc_id"] in by_doc:
                score_, stars = by_doc[d["doc_id"]]
                per[d["place"] or "(none)"][0].append(score_)
                per[d["place"] or "(none)"][1].append(int(stars >= positive_min))
    spelled = {normalize_zh(sp): sp for sp in rating_census(path, positive_min)[2]}
    out = []
    for place in sorted(per):
        scores, labels = per[place]
        n_pos = sum(labels)
        auc = float(roc_auc_score(labels, scores)) if 0 < n_pos < len(labels) else None
        out.append((spelled.get(place, place), n_pos, len(labels) - n_pos, auc))
    return out


def real_corpus_auc(shared: Path, artifacts: Path) -> dict[str, Any]:
    """The real corpus's census and, when any spot has both classes, its per-spot AUC."""
    path = _path(TEDDY, shared)
    n, rated, per = rating_census(path)
    both = [sp for sp, c in per.items() if c["pos"] and c["neg"]]
    table = spot_auc(path, artifacts) if both else []
    return {
        "file": TEDDY.partition(":")[2],
        "rows": n,
        "rated": rated,
        "spots": per,
        "both": len(both),
        "table": table,
    }


# --------------------------------------------------------------------------- report


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _table(
    title: str,
    rows: list[dict[str, Any]],
    counts: dict[str, Counter[str]],
    base: dict[str, Counter[str]],
    rev: str,
    previous: dict[str, Counter[str]],
    prev: str,
) -> list[str]:
    strata = Counter(r["stratum"] for r in rows)
    corpora = Counter(r["corpus"].partition(":")[2] for r in rows)
    lines = [
        f"**{title}: {len(rows)} clauses** — "
        + ", ".join(f"{n} from `{c}`" for c, n in sorted(corpora.items()))
        + "; strata "
        + ", ".join(f"{k} {v}" for k, v in sorted(strata.items()))
        + ".",
        "",
        f"| kind | labelled | predicted | precision | recall | round-4 rules P / R ({prev}) "
        f"| first rules P / R ({rev}) | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind in KINDS:
        p, r = _pr(counts[kind])
        bp, br = _pr(base[kind])
        pp, pr = _pr(previous[kind])
        target = f"P ≥ {TARGETS[kind]:.2f}, R ≥ {RECALL_TARGET:.2f}" if kind in TARGETS else "—"
        lines.append(
            f"| {kind} | {counts[kind]['gold']} | {counts[kind]['pred']} | {_fmt(p)} | "
            f"{_fmt(r)} | {_fmt(pp)} / {_fmt(pr)} | {_fmt(bp)} / {_fmt(br)} | {target} |"
        )
    return [*lines, ""]


def render(
    results: dict[str, Any],
    auc: list[Any],
    real: dict[str, Any] | None,
    seconds: float,
    command: str,
    revs: tuple[str, str],
) -> str:
    """The markdown section."""
    lines = [
        BEGIN,
        "## Practicalities: precision and recall on labelled clauses",
        "",
        f"Command: `{command}` — {_report.machine()}; commit {_report.head_commit()}; "
        f"{seconds:.1f} s.",
        "",
        "Labelled sets in `benchmarks/data/` (corpus, row, clause offsets, labels — no "
        "review text), each clause labelled by reading it; sampling and label rules in "
        "`benchmarks/practicalities.py`. The miner's rules (`nlp/practicalities.py`, "
        "`data/lexicon/practicalities.yaml`) were developed on the errors of *development A* "
        "(seed 14), then *development B* (seed 15; labelled blind, then used for a second "
        "round of rules), then *development C* (seed 16: labelled blind as the held-out set "
        "of the second round; once seen it became a development set for a third round of "
        "rules), then *development D* (seed 17: labelled blind as the held-out set of the third "
        "round; once seen it became a development set for a fourth round of rules in general "
        "linguistic terms: markers of need, advice and rule vs narrative accounts for "
        "reservations, the subject or completion of a length and the way there for visit "
        "lengths), then *development E* (seed 18: the held-out set of the fourth round). In the "
        "fifth round the method was chosen by grouped cross-validation over A–E (next section): "
        "the learned filter did not beat the rules, so the miner is the fourth round's rules. "
        "*Held-out* (seed 19, no clause in common with A–E, the strata of D with more "
        "*booking_need* clauses) was drawn and labelled only after the fifth round was "
        "committed, and is scored once: it is the honest measure. Two baselines are scored in "
        "the same run: the miner (code and YAML) of the fourth round and the first rules.",
        "",
        "Held-out results over the rounds (each set scored once, when it was held out): "
        + HISTORY
        + ".",
        "",
    ]
    rev, prev = revs
    for title, (rows, counts, errors, on_info, base, previous) in results.items():
        lines += _table(title, rows, counts, base, rev, previous, prev)
        info = ", ".join(f"{k} {v}" for k, v in sorted(on_info.items())) or "none"
        lines += [
            f"Visit lengths predicted on clauses labelled queueing/waiting, transport, show or a "
            f"stay of days: {info}; misjudged clause-kinds: {len(errors)}.",
            "",
        ]
    if "held-out" in results:
        counts = results["held-out"][1]
        verdicts = []
        for kind, target in TARGETS.items():
            p, r = _pr(counts[kind])
            met = p is not None and r is not None and p >= target and r >= RECALL_TARGET
            verdicts.append(
                f"{kind} P {_fmt(p)} / R {_fmt(r)} ({'met' if met else 'not met'}, "
                f"{counts[kind]['gold']} labelled)"
            )
        lines += ["Targets on the held-out set: " + "; ".join(verdicts) + ".", ""]
        lines += [HELD_OUT_NOTES, ""]
    else:
        lines += [
            "No held-out set in this run (its file is not there yet): every figure above is a "
            "development figure, not an honest measure.",
            "",
        ]
    if auc:
        lines += [
            "Sentiment ROC AUC per destination, embedded sample (stars 4–5 positive, 1–3 "
            "negative; the sentiment stage's `destination_sentiment.csv`):",
            "",
            "| destination | positive | negative | ROC AUC |",
            "|---|---:|---:|---:|",
        ]
        lines += [f"| {d} | {p} | {n} | {_fmt(a)} |" for d, p, n, a in auc]
        lines.append("")
    if real is not None:
        lines += [
            f"Sentiment ROC AUC per spot, real corpus `{real['file']}` (read by path; the "
            "corpus, segmentation and sentiment stages run on it with `spot` as the place; "
            "stars 4–5 positive, 1–3 negative; spots with both classes): "
            f"{real['rows']:,} rows, {len(real['spots'])} spots, {real['rated']:,} rows with a "
            "rating.",
            "",
        ]
        if real["table"]:
            lines += ["| spot | positive | negative | ROC AUC |", "|---|---:|---:|---:|"]
            lines += [f"| {d} | {p} | {n} | {_fmt(a)} |" for d, p, n, a in real["table"]]
            lines.append("")
        else:
            lines += [
                "No spot has both classes: the corpus's `rating` column is empty in every row "
                "(its README: rating *none*), so no per-spot ROC AUC can be computed on it and "
                "the stages are not run. Per-destination sentiment AUC is therefore measured "
                "only on the embedded sample above (our own text), not on real reviews.",
                "",
            ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def _load_set(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=PROJECT_ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, help="write the section into this markdown file")
    ap.add_argument("--errors", action="store_true", help="print each misjudged clause")
    ap.add_argument(
        "--resample",
        choices=sorted(SETS),
        help="write that set's rows without labels to stdout",
    )
    ap.add_argument("--no-sentiment", action="store_true", help="skip the per-destination AUC")
    ap.add_argument("--baseline", default="2b57ae2", help="git revision of the first rules")
    ap.add_argument("--previous", default="4c23dbc", help="git revision of the rules of round 4")
    args = ap.parse_args(argv)
    if not (args.shared / "corpora").is_dir():
        print(f"no corpora under {args.shared} (pass --shared)", file=sys.stderr)
        return 2
    if args.resample:
        exclude: set[tuple[str, str, int]] = set()  # clauses of the sets drawn before it
        for name, (fname, _, _) in SETS.items():
            if name == args.resample:
                break
            if (DATA / fname).is_file():
                exclude |= {
                    (r["corpus"], r["row_id"], int(r["start"])) for r in _load_set(DATA / fname)
                }
        _, seed, sizes = SETS[args.resample]
        if all(isinstance(v, dict) for v in sizes.values()):
            rows = resample_strata(args.shared, seed, sizes, exclude)
        else:
            rows = resample(args.shared, seed, sizes, exclude)
        w = csv.DictWriter(sys.stdout, [*rows[0], "labels"])
        w.writeheader()
        w.writerows({**r, "labels": ""} for r in rows)
        return 0
    t0 = time.perf_counter()
    miner = PracticalityMiner(PROJECT_ROOT / "data" / "lexicon" / "practicalities.yaml")
    import tempfile

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base_miner = baseline_miner(args.baseline, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        prev_miner = baseline_miner(args.previous, Path(tmp), name="previous_practicalities")
    for name, (fname, _, _) in SETS.items():
        if not (DATA / fname).is_file():
            continue
        rows = _load_set(DATA / fname)
        texts = {ref: load_rows(ref, args.shared) for ref in {r["corpus"] for r in rows}}
        counts, errors, on_info = score(rows, texts, miner)
        base = score(rows, texts, base_miner)[0]
        previous = score(rows, texts, prev_miner)[0]
        results[name] = (rows, counts, errors, on_info, base, previous)
        if args.errors:
            for e in errors:
                r = rows[int(e["clause"])]
                raw = texts[r["corpus"]][r["row_id"]][int(r["start"]) : int(r["end"])]
                print(
                    f"{name} {e['clause']:>4} {e['kind']:<12} gold={e['gold']} "
                    f"pred={e['pred']}  {raw}"
                )
    auc: list[Any] = []
    real: dict[str, Any] | None = None
    if not args.no_sentiment:
        with tempfile.TemporaryDirectory() as tmp:
            auc = destination_auc(Path(tmp))
        with tempfile.TemporaryDirectory() as tmp:
            real = real_corpus_auc(args.shared, Path(tmp))
    text = render(
        results,
        auc,
        real,
        time.perf_counter() - t0,
        _report.command_line(),
        (args.baseline, args.previous),
    )
    print(text)
    if args.out:
        _report.write_section(args.out, text, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
