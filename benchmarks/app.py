"""Benchmark the web app with Streamlit's AppTest: first render and re-plan after a change,
against a bare page (a trivial Streamlit script) measured the same way in the same run.

Run from the repository root::

    .venv/bin/python benchmarks/app.py                     # print the table
    .venv/bin/python benchmarks/app.py --out docs/benchmarks.md

Measures (wall clock, ``time.perf_counter``):

``cold first render``
    A fresh Python process builds ``AppTest.from_file("app.py")`` and runs it once: imports,
    catalog and knowledge-graph loading, the default plan and the page. Each repetition is a
    new process (median of ``--cold`` runs). The bare page is measured the same way.
``new visitor on a warm server``
    A new AppTest session in a process whose caches are warm (what a second visitor waits).
``re-plan after a change``
    In one warm session: change one input (days, theme, must-see, lodging, pace) and rerun,
    with the plan caches cleared before every run so each run really plans (``--reps`` runs
    per change). The planner call alone (``plan_itinerary`` on the same request, same process)
    is timed next to it, so the table separates planning from the page's own cost.
``rerun, plan cached``
    Switching the language: the plan comes from the cache and only the page is rebuilt.

``--out FILE`` rewrites only the block between ``<!-- app:begin -->`` and ``<!-- app:end -->``
of FILE (appending it when missing), re-reading the file right before writing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import _report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BEGIN = "<!-- app:begin -->"
END = "<!-- app:end -->"
APP = str(ROOT / "app.py")
BARE = 'import streamlit as st\n\nst.title("bare page")\nst.write("hello")\n'
TIMEOUT = 300


def _cold_child(which: str) -> None:
    """In a fresh process: time one first run of the app (or the bare page); print JSON."""
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    at = (
        AppTest.from_file(APP, default_timeout=TIMEOUT)
        if which == "app"
        else AppTest.from_string(BARE, default_timeout=TIMEOUT)
    )
    at.run()
    seconds = time.perf_counter() - t0
    ok = not at.exception and not at.error
    print(json.dumps({"seconds": seconds, "ok": ok}))


def _cold(which: str, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", which],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if not result["ok"]:
            raise SystemExit(f"the {which} page failed to render")
        out.append(float(result["seconds"]))
    return out


@dataclass
class Row:
    what: str
    times: list[float]
    planner: list[float] | None = None
    note: str = ""


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _request_of(at: object) -> object:
    """The planner request the session's URL describes (the page's own URL state)."""
    from planner.ui import cache, state

    ctx = cache.context()
    params = {k: at.query_params[k] for k in at.query_params}  # type: ignore[attr-defined]
    inputs, _, notices = state.from_query(
        params,
        resolve=lambda n: ctx.catalog.resolve(n).id,
        themes=[t[0] for t in cache.theme_table()],
        towns=[s.id for s in ctx.catalog.sites.values() if s.kind == "town" and s.has_coords],
        today=dt.date.today(),
    )
    assert not notices, notices
    return inputs.to_request()


CHANGES: list[tuple[str, str, str, object, object]] = [
    # (label, widget kind, key, value on odd runs, value on even runs)
    ("days 3 → 2 → 3", "number_input", "days", 2, 3),
    ("theme 石刻 ↔ 经典线路 (classic)", "selectbox", "theme", "classic", "stone-carving"),
    ("must-see 卧佛院 on ↔ off", "multiselect", "must", ["wofoyuan"], []),
    ("lodging fixed ↔ choose", "segmented_control", "lodging", "fixed", "choose"),
    ("pace intense ↔ normal", "segmented_control", "pace", "intense", "normal"),
    ("theme 川剧 (sichuan-opera) ↔ 石刻", "selectbox", "theme", "sichuan-opera", "stone-carving"),
]


def _warm(reps: int) -> list[Row]:
    from streamlit.testing.v1 import AppTest

    from planner.itinerary import plan_itinerary
    from planner.ui import cache

    def fresh() -> AppTest:
        return AppTest.from_file(APP, default_timeout=TIMEOUT)

    first = fresh().run()  # fills the resource caches (catalog, graph) and the default plan
    assert not first.exception and not first.error
    rows = [Row("new visitor, warm server (default plan cached)", [])]
    for _ in range(reps):
        rows[0].times.append(_timed(lambda: fresh().run()))
    at = fresh().run()
    lang = Row("rerun, plan cached: language zh ↔ en", [])
    for k in range(2 * reps):
        at.segmented_control(key="lang").set_value("en" if k % 2 == 0 else "zh")
        lang.times.append(_timed(at.run))
    rows.append(lang)
    ctx, kg = cache.context(), cache.knowledge_graph()
    for name, kind, key, odd, even in CHANGES:
        row = Row(f"re-plan: {name}", [], [])
        for k in range(1, 2 * reps + 1):
            getattr(at, kind)(key=key).set_value(odd if k % 2 else even)
            cache.plan.clear()  # every run plans for real
            row.times.append(_timed(at.run))
            if at.exception or at.error:
                raise SystemExit(f"{name}: the page failed")
            req = _request_of(at)
            row.planner.append(_timed(lambda req=req: plan_itinerary(req, ctx=ctx, kgraph=kg)))
        rows.append(row)
    bare = AppTest.from_string(BARE, default_timeout=TIMEOUT).run()
    rows.append(Row("bare page: rerun", [_timed(bare.run) for _ in range(2 * reps)]))
    return rows


def _fmt(xs: list[float] | None) -> str:
    return f"{statistics.median(xs):.3f}" if xs else "–"


def _table(cold_app: list[float], cold_bare: list[float], rows: list[Row]) -> list[str]:
    lines = [
        "| measure | median (s) | min (s) | max (s) | runs | planner alone, median (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    all_rows = [
        Row("cold first render: app (new process)", cold_app),
        Row("cold first render: bare page (new process)", cold_bare),
        *rows,
    ]
    for r in all_rows:
        lines.append(
            f"| {r.what} | {statistics.median(r.times):.3f} | {min(r.times):.3f} | "
            f"{max(r.times):.3f} | {len(r.times)} | {_fmt(r.planner)} |"
        )
    return lines


def _versions() -> str:
    names = ("streamlit", "folium", "streamlit-folium", "rdflib", "numpy")
    parts = []
    for n in names:
        try:
            parts.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(parts)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


def _block(cold_app: list[float], cold_bare: list[float], rows: list[Row], argv: str) -> str:
    load = _report.load_average()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    replans = [t for r in rows if r.what.startswith("re-plan") for t in r.times]
    planner = [t for r in rows if r.planner for t in r.planner]
    bare = next(r for r in rows if r.what.startswith("bare"))
    cached = next(r for r in rows if r.what.startswith("rerun, plan cached"))
    head = [
        BEGIN,
        "## Web app (AppTest)",
        "",
        f"Produced by `{argv}` (from the repository root) on {now}. Machine: "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, load average at "
        f"the end {load}; Python {platform.python_version()}, {_versions()}; repo commit "
        f"{_commit()}.",
        "",
        "Wall clock of `AppTest.run()` (script run plus element tree; no browser). *Cold* = a "
        "new Python process per run (imports, catalog, knowledge graph, default plan). "
        "*Re-plan* = one input changed in a warm session with the plan cache cleared before "
        "each run, so every run plans; `planner alone` is `plan_itinerary` on the same request "
        "in the same process (the app's default *normal* search effort, iteration-bounded; "
        "lodging as set). "
        "The bare page is a two-line Streamlit script measured the same way.",
        "",
        *_table(cold_app, cold_bare, rows),
        "",
        f"Re-plan overall: median {statistics.median(replans):.3f} s over {len(replans)} runs "
        f"(target 0.5 s), of which the planner alone takes a median "
        f"{statistics.median(planner):.3f} s; the page's own work (a rerun with the plan "
        f"cached) is {statistics.median(cached.times):.3f} s, a bare-page rerun "
        f"{statistics.median(bare.times):.3f} s.",
        END,
    ]
    return "\n".join(head)


def _write(path: Path, block: str) -> None:
    _report.write_section(path, block, BEGIN, END)


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", choices=("app", "bare"), help=argparse.SUPPRESS)
    ap.add_argument("--cold", type=int, default=3, help="new-process first renders per page")
    ap.add_argument("--reps", type=int, default=3, help="runs per change (each way)")
    ap.add_argument("--out", type=Path, help="markdown file whose app block is replaced")
    args = ap.parse_args(argv)
    if args.child:
        _cold_child(args.child)
        return
    cold_app = _cold("app", args.cold)
    cold_bare = _cold("bare", args.cold)
    rows = _warm(args.reps)
    cmd = "  ".join([".venv/bin/python benchmarks/app.py", *(argv or sys.argv[1:])]).strip()
    cmd = " ".join(cmd.split())
    block = _block(cold_app, cold_bare, rows, cmd)
    print(block)
    if args.out:
        _write(args.out, block)  # re-reads the file right before replacing the block


if __name__ == "__main__":
    main()
