"""Region-scale planning time: the corridor's trips from 成都市区 against today's 38-site plan.

In one run, on this machine, the planner makes

* ``stone-carving 5 d 成都市区`` and ``three-kingdoms 3 d 成都市区`` on the full catalog (every
  national unit of Sichuan and Chongqing, the Dazu–Anyue sites and the lodging towns of
  ``towns.csv``) with the full graph; and
* the default plan (``stone-carving 3 d 大足城区``) on the 38-site catalog: a copy of
  ``data/catalog`` without the region tables, ``towns.csv`` and the rows the national-unit
  import added (their only source is the compiled list), with a graph built from that copy.

Per request: ``plan`` — the median of ``--repeat`` plans with the leg-table caches emptied
first (a new request: pruning, the leg table, nights, solver, timing); ``re-plan`` — the median
of as many plans of the same request with the caches kept (what the app does when a visitor
changes an option that keeps the candidates). The graph is opened once before timing (its
loading is the app's start-up, measured by ``benchmarks/app.py``). Ratios are against the
38-site plan in the same run. Each plan's score, sites, drive hours and nights are shown, and
every plan is checked: it sleeps in towns and visits the theme on every day that is not a pure
transfer between two towns.

Run: ``.venv/bin/python benchmarks/region.py [--repeat 3] [--write]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _report  # noqa: E402

from kg.catalog.subset import copy_report_area_catalog  # noqa: E402
from planner import region  # noqa: E402
from planner.itinerary import TripRequest, plan_itinerary  # noqa: E402
from planner.model import Itinerary  # noqa: E402
from planner.service import Context, load_context  # noqa: E402
from planner.themes import default_graph, theme_candidates  # noqa: E402

BEGIN = "<!-- region:begin -->"
END = "<!-- region:end -->"
DATE = dt.date(2026, 12, 5)  # a Saturday
TARGET_S = 2.0  # issue 17: a 5-day regional plan in at most 2 s
FILES = [
    "planner/region.py",
    "planner/providers.py",
    "planner/trip/setup.py",
    "planner/trip/solve.py",
    "planner/trip/days.py",
    "planner/trip/plan.py",
    "data/catalog/towns.csv",
    "data/catalog/planning.yaml",
]
#: (label, theme, days, start, catalog): "region" = the full catalog, "38" = the 38 sites
REQUESTS = [
    ("stone-carving 5 d 成都市区 (region)", "stone-carving", 5, "成都市区", "region"),
    ("three-kingdoms 3 d 成都市区 (region)", "three-kingdoms", 3, "成都市区", "region"),
    ("stone-carving 3 d 大足城区 (38 sites, baseline)", "stone-carving", 3, "大足城区", "38"),
]
BASELINE = REQUESTS[-1][0]


@dataclass
class Result:
    """One request's timings and its plan."""

    label: str
    candidates: int
    plan_s: list[float]
    replan_s: list[float]
    it: Itinerary
    ctx: Context
    problems: list[str]


def _clear_caches() -> None:
    region._leg_cache.clear()
    region._closure_cache.clear()


def _timed(fn: Callable[[], Itinerary]) -> tuple[float, Itinerary]:
    t0 = time.perf_counter()
    it = fn()
    return time.perf_counter() - t0, it


def check(it: Itinerary, ctx: Context, theme: str, kgraph: Any) -> list[str]:
    """What is wrong with a plan (empty: it sleeps in towns, every non-transfer day visits
    the theme, no site twice)."""
    cat = ctx.catalog
    problems = []
    members = {c.site_id for c in theme_candidates(cat, theme, kgraph=kgraph)}
    nights = it.params["nights"]
    if any(cat.sites[n].kind != "town" for n in nights):
        problems.append("a night outside a town")
    for k, day in enumerate(it.days, 1):
        if not day.stops and day.start_id == day.end_id:
            problems.append(f"day {k} idles at {day.start_id}")
        if any(st.site_id not in members for st in day.stops):
            problems.append(f"day {k} visits a site outside the theme")
    stops = [st.site_id for d in it.days for st in d.stops]
    if len(stops) != len(set(stops)):
        problems.append("a site visited twice")
    return problems


def run(repeat: int) -> list[Result]:
    """Every request: ``repeat`` plans with empty caches, then ``repeat`` re-plans."""
    from kg.build import run_build
    from kg.store import open_graph

    out = []
    with tempfile.TemporaryDirectory(prefix="region-bench-") as tmp:
        small = copy_report_area_catalog(Path(tmp) / "data")
        run_build(data_dir=small, out_dir=Path(tmp) / "kg")
        graphs = {
            "38": open_graph(
                Path(tmp) / "kg" / "graph.ttl", store="memory", build_if_missing=False
            ),
            "region": default_graph(),
        }
        contexts = {"38": load_context(str(small)), "region": load_context()}
        for label, theme, days, start, which in REQUESTS:
            ctx, kgraph = contexts[which], graphs[which]
            req = TripRequest(theme=theme, days=days, start=start, date=DATE)

            def plan(req: TripRequest = req, ctx: Context = ctx, kgraph: Any = kgraph) -> Itinerary:
                return plan_itinerary(req, ctx=ctx, kgraph=kgraph)

            cold = []
            for _ in range(repeat):
                _clear_caches()
                seconds, it = _timed(plan)
                cold.append(seconds)
            warm = [_timed(plan)[0] for _ in range(repeat)]
            n = len(theme_candidates(ctx.catalog, theme, kgraph=kgraph))
            out.append(Result(label, n, cold, warm, it, ctx, check(it, ctx, theme, kgraph)))
            print(
                f"{label}: plan {statistics.median(cold):.2f} s, "
                f"re-plan {statistics.median(warm):.2f} s, score {it.total_score:.3f}",
                flush=True,
            )
    return out


def _nights(r: Result) -> str:
    return " → ".join(r.ctx.catalog.sites[n].name_zh for n in r.it.params["nights"])


def _days(r: Result) -> str:
    parts = []
    for k, d in enumerate(r.it.days, 1):
        sites = "、".join(st.name_zh for st in d.stops) or "transfer"
        parts.append(f"D{k} {sites}")
    return "; ".join(parts)


def section(results: list[Result], repeat: int) -> str:
    """The markdown block of ``docs/benchmarks.md``."""
    commit, digest = _report.code_state(FILES, "planner files")
    base = next(r for r in results if r.label == BASELINE)
    base_plan = statistics.median(base.plan_s)
    base_replan = statistics.median(base.replan_s)
    lines = [
        BEGIN,
        "## Region-scale trips: planning time against the 38-site plan (issue 17)",
        "",
        f"Produced by `{_report.command_line()}` on {dt.date.today().isoformat()} "
        f"({_report.machine()}; code {commit}, {digest}). Trips start on {DATE.isoformat()}, "
        "by car at the normal pace with the defaults of `planning.yaml`. `plan` = median of "
        f"{repeat} plans with the leg-table caches emptied first (a new request); `re-plan` = "
        f"median of {repeat} plans of the same request with the caches kept; the graph is "
        "opened before timing. Ratios against the 38-site default plan of the same run. "
        f"Target (issue 17): a 5-day regional plan in ≤ {TARGET_S:g} s.",
        "",
        "| request | theme candidates | plan s | × 38-site | re-plan s | × 38-site | score | "
        "sites | drive h | nights | checks |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        p, w = statistics.median(r.plan_s), statistics.median(r.replan_s)
        sites = sum(len(d.stops) for d in r.it.days)
        lines.append(
            f"| {r.label} | {r.candidates} | {p:.2f} | {p / base_plan:.2f} | {w:.2f} | "
            f"{w / base_replan:.2f} | {r.it.total_score:.3f} | {sites} | "
            f"{r.it.total_drive_min / 60:.1f} | {_nights(r)} | "
            f"{'ok' if not r.problems else '; '.join(r.problems)} |"
        )
    lines += ["", "Days of each plan:", ""]
    lines += [f"* {r.label}: {_days(r)}" for r in results]
    five = results[0]
    verdict = "met" if statistics.median(five.plan_s) <= TARGET_S else "NOT met"
    lines += ["", f"Target ≤ {TARGET_S:g} s for the 5-day regional plan: {verdict}.", END]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="write into docs/benchmarks.md")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args()
    results = run(max(1, args.repeat))
    text = section(results, max(1, args.repeat))
    print(text)
    if args.write:
        _report.write_section(args.out, text, BEGIN, END)


if __name__ == "__main__":
    main()
