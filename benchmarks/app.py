"""Benchmark the web app with Streamlit's AppTest: first render and re-plan after a change,
against a bare page (a trivial Streamlit script) measured the same way in the same run.

Run from the repository root::

    .venv/bin/python benchmarks/app.py                     # print the table
    .venv/bin/python benchmarks/app.py --out docs/benchmarks.md

Measures (wall clock, ``time.perf_counter``):

``cold first render``
    A fresh Python process builds ``AppTest.from_file("app.py")`` and runs it once: imports,
    catalog, the theme table and the default plan, and the page. Each repetition is a new
    process (median of ``--cold`` runs), so nothing is cached in memory. Measured twice: with
    the on-disk first-page snapshot present (``planner.ui.snapshot``: written by one untimed
    new process beforehand, as the first visitor of a server, or ``make artifacts``, writes
    it) and with an empty snapshot folder per run (the graph is parsed and the default trip
    planned). The bare page is measured the same way.
``where a cold process spends its time``
    In new processes without the snapshot: importing the app's modules, loading the catalog,
    opening the knowledge graph, the theme table and the default plan, each timed alone.
``new visitor on a warm server``
    A new AppTest session in a process whose caches are warm (what a second visitor waits);
    timed after the background load of the graph has finished.
``re-plan after a change``
    In one warm session: change one input (days, theme, must-see, lodging, pace) and rerun,
    with the plan caches cleared and the snapshot switched off before every run so each run
    really plans (``--reps`` runs per change). The planner call alone (``plan_itinerary`` on
    the same request, same process) is timed next to it, so the table separates planning
    from the page's own cost.
``rerun, plan cached``
    Switching the language: the plan comes from the cache and only the page is rebuilt.

Every process of the run uses a temporary snapshot folder (``HERITAGE_APP_CACHE_DIR``), so
``artifacts/app`` is neither read nor written.

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
import tempfile
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


PHASES = ("imports", "catalog", "graph", "themes", "default plan")


def _phases_child() -> None:
    """In a fresh process: time each step of a first page without the snapshot; print JSON."""
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    import streamlit  # noqa: F401

    import planner.ui.page  # noqa: F401
    from kg import queries
    from kg.store import open_graph
    from planner import service
    from planner.itinerary import plan_itinerary
    from planner.ui import state

    out["imports"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctx = service.load_context()
    out["catalog"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kg = open_graph()
    out["graph"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    queries.themes(kg)
    out["themes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    inputs = state.PlanInputs(date=state.default_date(dt.date.today()))
    plan_itinerary(inputs.to_request(), ctx=ctx, kgraph=kg)
    out["default plan"] = time.perf_counter() - t0
    print(json.dumps({**out, "sites": len(ctx.catalog.sites), "triples": len(kg)}))


def _child(args: list[str], cache_dir: str) -> dict[str, float]:
    env = {**os.environ, "HERITAGE_APP_CACHE_DIR": cache_dir}
    proc = subprocess.run(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _cold(which: str, reps: int, cache_dir: str | None = None) -> list[float]:
    """``reps`` new-process first renders; with ``cache_dir`` None each gets an empty
    snapshot folder, else all share ``cache_dir``."""
    out = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="app-bench-") as empty:
            result = _child(["--child", which], cache_dir or empty)
        if not result["ok"]:
            raise SystemExit(f"the {which} page failed to render")
        out.append(float(result["seconds"]))
    return out


def _phases(reps: int) -> dict[str, list[float]]:
    runs = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="app-bench-") as empty:
            runs.append(_child(["--child", "phases"], empty))
    return {k: [float(r[k]) for r in runs] for k in (*PHASES, "sites", "triples")}


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
    from planner.ui import cache, snapshot

    def fresh() -> AppTest:
        return AppTest.from_file(APP, default_timeout=TIMEOUT)

    first = fresh().run()  # fills the resource caches (catalog, graph) and the default plan
    assert not first.exception and not first.error
    if not cache.wait_for_graph(TIMEOUT):  # the background load after the first page
        raise SystemExit("the knowledge graph did not load in the background")
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
    snapshot.enabled(False)  # days 3 → 2 → 3 comes back to the default inputs: plan them too
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
    snapshot.enabled(True)
    bare = AppTest.from_string(BARE, default_timeout=TIMEOUT).run()
    rows.append(Row("bare page: rerun", [_timed(bare.run) for _ in range(2 * reps)]))
    return rows


def _fmt(xs: list[float] | None) -> str:
    return f"{statistics.median(xs):.3f}" if xs else "–"


COLD_SNAPSHOT = "cold first render: app (new process, on-disk snapshot present)"
COLD_NONE = "cold first render: app (new process, no snapshot)"
COLD_BARE = "cold first render: bare page (new process)"
WARM = "new visitor, warm server (default plan cached)"


def _table(rows: list[Row]) -> list[str]:
    lines = [
        "| measure | median (s) | min (s) | max (s) | runs | planner alone, median (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.what} | {statistics.median(r.times):.3f} | {min(r.times):.3f} | "
            f"{max(r.times):.3f} | {len(r.times)} | {_fmt(r.planner)} |"
        )
    return lines


def _phase_table(phases: dict[str, list[float]]) -> list[str]:
    lines = ["| step (new process, no snapshot) | median (s) |", "|---|---:|"]
    for k in PHASES:
        lines.append(f"| {k} | {statistics.median(phases[k]):.3f} |")
    total = sum(statistics.median(phases[k]) for k in PHASES)
    lines.append(f"| sum | {total:.3f} |")
    return lines


def _verdict(value: float, target: float) -> str:
    return f"{value:.2f} s (target ≤ {target:g} s: {'met' if value <= target else 'NOT met'})"


def _versions() -> str:
    names = ("streamlit", "folium", "streamlit-folium", "rdflib", "numpy")
    parts = []
    for n in names:
        try:
            parts.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(parts)


def _bytecode() -> bool:
    """Whether the app's modules have cached bytecode (``__pycache__``) for this Python."""
    tag = sys.implementation.cache_tag
    return all(
        any((ROOT / pkg / "__pycache__").glob(f"*.{tag}.pyc"))
        for pkg in ("planner", "planner/ui", "kg")
    )


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


def _block(rows: list[Row], phases: dict[str, list[float]], argv: str) -> str:
    load = _report.load_average()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    by = {r.what: r for r in rows}
    med = {r.what: statistics.median(r.times) for r in rows}
    replans = [t for r in rows if r.what.startswith("re-plan") for t in r.times]
    planner = [t for r in rows if r.planner for t in r.planner]
    bare = by["bare page: rerun"]
    cached = next(r for r in rows if r.what.startswith("rerun, plan cached"))
    sites = int(statistics.median(phases["sites"]))
    triples = int(statistics.median(phases["triples"]))
    head = [
        BEGIN,
        "## Web app (AppTest)",
        "",
        f"Produced by `{argv}` (from the repository root) on {now}. Machine: "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, load average at "
        f"the end {load}; Python {platform.python_version()}, {_versions()}; repo commit "
        f"{_commit()}. Catalog: {sites} sites and towns; knowledge graph: {triples:,} triples. "
        f"The project's bytecode was {'' if _bytecode() else 'not '}compiled beforehand "
        "(`make artifacts` compiles it; `PYTHONDONTWRITEBYTECODE` "
        f"{'is' if os.environ.get('PYTHONDONTWRITEBYTECODE') else 'is not'} set).",
        "",
        "Wall clock of `AppTest.run()` (script run plus element tree; no browser). *Cold* = a "
        "new Python process per run, nothing cached in memory (imports, catalog, theme table, "
        "default plan, page). *With the snapshot*: the theme table and the default plan are "
        "read from the on-disk first-page snapshot (`planner.ui.snapshot`, keyed by the "
        "graph's SHA-256, the data files, the artifacts' manifests, the settings and the "
        "code; written beforehand by one untimed new process, as a server's first visitor "
        "or `make artifacts` writes it), so the first page neither parses the graph nor "
        "plans; the graph is loaded in the background once the page is out. *No snapshot*: "
        "an empty snapshot folder per run, so the graph is parsed and the default trip "
        "planned before the page shows. *Warm server* = a new session in a process whose "
        "caches are filled, timed after the background graph load. *Re-plan* = one input "
        "changed in a warm session with the plan cache cleared and the snapshot off before "
        "each run, so every run plans; `planner alone` is `plan_itinerary` on the same "
        "request in the same process (the app's default *normal* search effort, "
        "iteration-bounded; lodging as set). The bare page is a two-line Streamlit script "
        "measured the same way.",
        "",
        *_table(rows),
        "",
        "Where a cold process without the snapshot spends its time (each step alone, new "
        "processes, medians):",
        "",
        *_phase_table(phases),
        "",
        f"New visitor's first page, cold process with the snapshot: "
        f"{_verdict(med[COLD_SNAPSHOT], 5)}, {med[COLD_SNAPSHOT] / med[COLD_BARE]:.1f}× the "
        f"bare page's cold render ({med[COLD_BARE]:.2f} s); without the snapshot "
        f"{med[COLD_NONE]:.2f} s ({med[COLD_NONE] / med[COLD_BARE]:.1f}× the bare page). "
        f"Warm server: {_verdict(med[WARM], 3)}. "
        f"Re-plan overall: median {_verdict(statistics.median(replans), 1)} over "
        f"{len(replans)} runs, of which the planner alone takes a median "
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
    ap.add_argument("--child", choices=("app", "bare", "phases"), help=argparse.SUPPRESS)
    ap.add_argument("--cold", type=int, default=3, help="new-process first renders per page")
    ap.add_argument("--reps", type=int, default=3, help="runs per change (each way)")
    ap.add_argument("--out", type=Path, help="markdown file whose app block is replaced")
    args = ap.parse_args(argv)
    if args.child == "phases":
        _phases_child()
        return
    if args.child:
        _cold_child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="app-bench-") as cache_dir:
        os.environ["HERITAGE_APP_CACHE_DIR"] = cache_dir  # this process and its children
        _cold("app", 1, cache_dir)  # untimed: writes the snapshot, as a first visitor does
        if not any(Path(cache_dir).glob("first-page-*.json")):
            raise SystemExit("the first render wrote no snapshot")
        rows = [
            Row(COLD_SNAPSHOT, _cold("app", args.cold, cache_dir)),
            Row(COLD_NONE, _cold("app", args.cold)),
            Row(COLD_BARE, _cold("bare", args.cold)),
        ]
        phases = _phases(args.cold)
        rows += _warm(args.reps)
    cmd = "  ".join([".venv/bin/python benchmarks/app.py", *(argv or sys.argv[1:])]).strip()
    cmd = " ".join(cmd.split())
    block = _block(rows, phases, cmd)
    print(block)
    if args.out:
        _write(args.out, block)  # re-reads the file right before replacing the block


if __name__ == "__main__":
    main()
