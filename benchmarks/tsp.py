"""Benchmark the closed-tour solvers of ``routing.tsp`` on symmetric TSPLIB instances.

Run from the repository root::

    .venv/bin/python benchmarks/tsp.py --data ../shared/benchmarks/tsplib
    .venv/bin/python benchmarks/tsp.py --data ../shared/benchmarks/tsplib --check --exact-check \\
        --bench --out docs/benchmarks.md

Modes (any combination; with none of the three, ``--bench`` is implied):

``--check``
    Recompute the length of every ``opt_tours/*.opt.tour`` with our TSPLIB reader: each must
    equal the published optimum in ``optimal.csv`` exactly (validates the distance conventions).
``--exact-check``
    ``method="exact"`` on the instances with n ≤ 16 (must equal the optimum) and on random
    16-node Euclidean instances (cross-checked against LKH with 10 runs), timed.
``--bench``
    For every instance, build the integer distance matrix and run, in this process, closed tours
    from node 0 with ``greedy``, ``local`` (greedy + 2-opt + Or-opt), ``auto`` (library default:
    exact ≤ 16 nodes else LKH via elkai + polish), the OR-Tools peer baseline (routing solver,
    PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, 2 s) and networkx's Christofides. Every tour is
    checked to be a permutation starting at 0, and its length recomputed here.

``--out FILE`` rewrites only the block between ``<!-- tsp:begin -->`` and ``<!-- tsp:end -->``
(appending it when missing), atomically. No benchmark data is copied: only results.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(HERE), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import _report  # noqa: E402
import numpy as np  # noqa: E402
import tsplib  # noqa: E402

from routing import tsp as rtsp  # noqa: E402

BEGIN = "<!-- tsp:begin -->"
END = "<!-- tsp:end -->"
DEFAULT_SOLVERS = ("greedy", "local", "auto", "ortools", "christofides")
# Mean gap to optimum measured for peers on the same 49 files (shared/benchmarks/README.md).
PEER_REFERENCE = {
    "greedy": "nearest neighbour 24 %",
    "local": "nearest neighbour + 2-opt 4.4 %",
    "christofides": "networkx christofides 10.8 %",
    "ortools": "OR-Tools GLS 2 s 1.2 %",
    "auto": "LKH-3 (elkai) 0.00 % at 0.24 s median",
}
TARGET_GAP = 0.5  # % mean gap of `auto`
TARGET_TIME = 1.0  # s median time of `auto`
NON_METRIC = ("brg180",)  # strongly non-metric (Christofides returns ~55x optimum)

Solver = Callable[[np.ndarray], tuple[list[int], float | None, str]]


# --------------------------------------------------------------------------- solvers


def _routing(method: str, **kw) -> Solver:
    def run(D: np.ndarray) -> tuple[list[int], float | None, str]:
        t = rtsp.solve_tour(D, 0, loop=True, method=method, **kw)
        return list(t.order), t.length, t.solver + (" (proved)" if t.proved_optimal else "")

    return run


def ortools_gls(D: np.ndarray, seconds: float = 2.0) -> tuple[list[int], float | None, str]:
    """Peer baseline: OR-Tools routing, one vehicle, depot 0, GLS with a time limit."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(D)
    rows = [[int(v) for v in r] for r in D]
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    model = pywrapcp.RoutingModel(manager)

    if hasattr(model, "RegisterTransitMatrix"):
        # Evaluated in C++: a Python callback costs GLS about half its iterations in the
        # time limit (e.g. dantzig42 at 2 s: 4.72 % with a callback, 0.00 % with the matrix).
        transit = model.RegisterTransitMatrix(rows)
    else:  # pragma: no cover - OR-Tools < 9.8

        def cost(i: int, j: int) -> int:
            return rows[manager.IndexToNode(i)][manager.IndexToNode(j)]

        transit = model.RegisterTransitCallback(cost)
    model.SetArcCostEvaluatorOfAllVehicles(transit)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(round(seconds * 1000))
    sol = model.SolveWithParameters(params)
    if sol is None:
        raise RuntimeError("OR-Tools found no solution")
    order = []
    idx = model.Start(0)
    while not model.IsEnd(idx):
        order.append(manager.IndexToNode(idx))
        idx = sol.Value(model.NextVar(idx))
    return order, float(sol.ObjectiveValue()), f"ortools-gls {seconds:g}s"


def christofides(D: np.ndarray) -> tuple[list[int], float | None, str]:
    """Reference: networkx Christofides on the complete graph (graph build is timed too)."""
    import networkx as nx
    from networkx.algorithms.approximation import christofides as nx_christofides

    n = len(D)
    G = nx.Graph()
    # Every pair explicitly: zero-length edges (brg180) must stay in the complete graph.
    G.add_weighted_edges_from((i, j, int(D[i, j])) for i in range(n) for j in range(i + 1, n))
    cycle = nx_christofides(G, weight="weight")[:-1]
    k = cycle.index(0)
    return cycle[k:] + cycle[:k], None, "networkx christofides"


def make_solvers(
    names: list[str], lkh_runs: list[int], ortools_seconds: float
) -> dict[str, Solver]:
    solvers: dict[str, Solver] = {}
    for name in names:
        if name in ("greedy", "local", "auto", "lkh"):
            solvers[name] = _routing(name)
        elif name == "ortools":
            solvers[name] = lambda D, s=ortools_seconds: ortools_gls(D, s)
        elif name == "christofides":
            solvers[name] = christofides
        else:
            raise SystemExit(f"unknown solver {name!r}")
    for r in lkh_runs:
        solvers[f"auto r={r}"] = _routing("auto", lkh_runs=r)
    return solvers


# --------------------------------------------------------------------------- data


@dataclass
class Instance:
    name: str
    kind: str
    n: int
    optimum: int | None
    path: Path


def load_instances(data: Path, optima: dict[str, int], args: argparse.Namespace) -> list[Instance]:
    only = {s.strip() for s in args.only.split(",")} if args.only else None
    out = []
    for path in sorted(data.glob("*.tsp")):
        if only is not None and path.stem not in only:
            continue
        p = tsplib.read_problem(path)
        if p.dimension > args.max_n:
            continue
        out.append(Instance(p.name, p.kind, p.dimension, optima.get(p.name), path))
    if only is not None and (missing := only - {i.name for i in out}):
        raise SystemExit(f"not found (or n > --max-n): {', '.join(sorted(missing))}")
    out.sort(key=lambda i: (i.n, i.name))
    return out[: args.limit] if args.limit else out


def gap(length: float, optimum: int | None) -> float | None:
    return None if optimum is None else 100.0 * (length - optimum) / optimum


# --------------------------------------------------------------------------- --check


def run_check(data: Path, optima: dict[str, int], types: dict[str, str]) -> tuple[bool, list[str]]:
    """Opt-tour lengths must equal the published optimum; the file type must match the CSV."""
    lines = []
    ok = True
    tours = sorted((data / "opt_tours").glob("*.opt.tour"))
    for tp in tours:
        name = tp.name.removesuffix(".opt.tour")
        p = tsplib.read_problem(data / f"{name}.tsp")
        D = p.matrix()
        length = tsplib.tour_length(D, tsplib.read_tour(tp, p.dimension))
        good = length == optima.get(name) and types.get(name) == f"TSP/{p.kind}"
        ok &= good
        lines.append(
            f"{name:<10} {p.kind:<26} n={p.dimension:<4} opt.tour={length:<7} "
            f"published={optima.get(name)!s:<7} {'OK' if good else 'MISMATCH'}"
        )
    for tsp_path in sorted(data.glob("*.tsp")):
        p = tsplib.read_problem(tsp_path)
        D = p.matrix()
        sym = bool(np.array_equal(D, D.T)) and not np.any(np.diag(D))
        typ = types.get(p.name) == f"TSP/{p.kind}"
        if not (sym and typ):
            ok = False
            lines.append(f"{p.name}: symmetric={sym} type-matches-csv={typ}  MISMATCH")
    n_tsp = len(list(data.glob("*.tsp")))
    lines.append(
        f"{len(tours)} optimal tours recomputed, {n_tsp} instances parsed: "
        + ("all match" if ok else "MISMATCHES")
    )
    return ok, lines


# --------------------------------------------------------------------------- --exact-check


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_exact_check(
    instances: list[Instance], sizes: list[int], seeds: int
) -> tuple[bool, list[str], list[str]]:
    """Exact on TSPLIB n ≤ 16 (vs optimum) and on random Euclidean instances (vs LKH 10 runs)."""
    ok = True
    text: list[str] = []
    md: list[str] = []
    md.append("| instance | n | exact length | optimum | proved | time (s) |")
    md.append("|---|---:|---:|---:|---|---:|")
    for inst in instances:
        if inst.n > 16:
            continue
        D = tsplib.read_problem(inst.path).matrix()
        t, secs = _timed(lambda D=D: rtsp.solve_tour(D, 0, loop=True, method="exact"))
        good = (
            sorted(t.order) == list(range(inst.n))
            and tsplib.tour_length(D, t.order) == inst.optimum
            and t.proved_optimal
        )
        ok &= good
        text.append(
            f"{inst.name:<10} n={inst.n:<3} exact={t.length:<7g} optimum={inst.optimum} "
            f"{secs:.3f}s {'OK' if good else 'WRONG'}"
        )
        md.append(
            f"| {inst.name} | {inst.n} | {t.length:g} | {inst.optimum} | "
            f"{'yes' if t.proved_optimal else 'no'} | {secs:.3f} |"
        )
    md.append("")
    md.append(
        f"Random Euclidean instances (uniform in a 100 km square, float km, {seeds} seeds per "
        "size, closed tour from node 0), each cross-checked against LKH with 10 runs "
        "(`exact` must never be longer):"
    )
    md.append("")
    md.append("| n | median time (s) | max time (s) | exact = LKH-10 | exact longer than LKH-10 |")
    md.append("|---:|---:|---:|---:|---:|")
    for n in sizes:
        times = []
        same = worse = 0
        for seed in range(seeds):
            rng = np.random.default_rng(1000 * n + seed)
            xy = rng.uniform(0, 100, size=(n, 2))
            D = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
            t, secs = _timed(lambda D=D: rtsp.solve_tour(D, 0, loop=True, method="exact"))
            times.append(secs)
            ref = rtsp.tour_length(D, rtsp.lkh_tour(D, 0, loop=True, runs=10), loop=True)
            valid = sorted(t.order) == list(range(n)) and t.order[0] == 0 and t.proved_optimal
            if not valid or t.length > ref + 1e-6:
                worse += 1
            elif abs(t.length - ref) <= 1e-6:
                same += 1
        ok &= worse == 0
        med, mx = statistics.median(times), max(times)
        text.append(
            f"random n={n:<3} {seeds} seeds: exact median {med:.3f}s max {mx:.3f}s; "
            f"equal to LKH-10 on {same}, longer than LKH-10 on {worse}"
        )
        md.append(f"| {n} | {med:.3f} | {mx:.3f} | {same}/{seeds} | {worse} |")
    return ok, text, md


# --------------------------------------------------------------------------- --bench


@dataclass
class Result:
    length: int
    gap: float | None
    seconds: float
    valid: bool
    note: str = ""
    cpu: float = 0.0  # process CPU time of the call (all solvers here are single-threaded)


@dataclass
class Row:
    inst: Instance
    results: dict[str, Result] = field(default_factory=dict)


def run_one(D: np.ndarray, solver: Solver) -> Result:
    n = len(D)
    c0 = time.process_time()
    t0 = time.perf_counter()
    order, reported, label = solver(D)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    problems = []
    if sorted(order) != list(range(n)):
        problems.append("not a permutation")
    elif order[0] != 0:
        problems.append("does not start at 0")
    length = tsplib.tour_length(D, order) if not problems else -1
    if reported is not None and not problems and abs(reported - length) > 1e-6:
        problems.append(f"reported length {reported:g} != recomputed {length}")
    note = "; ".join([label, *problems])
    return Result(length, None, secs, not problems, note, cpu)


def warm_up(solvers: dict[str, Solver]) -> None:
    """One untimed call each on a small random instance (imports, first-call set-up)."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, size=(20, 2))
    D = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + 0.5).astype(np.int64)
    for name, s in solvers.items():
        if name == "ortools":
            ortools_gls(D, 0.1)
        else:
            s(D)


def fmt_time(s: float) -> str:
    return f"{s:.4f}" if s < 0.01 else f"{s:.3f}" if s < 10 else f"{s:.1f}"


def fmt_gap(g: float | None) -> str:
    return "—" if g is None else f"{g:.2f}"


def run_bench(instances: list[Instance], solvers: dict[str, Solver]) -> list[Row]:
    names = list(solvers)
    w = max(14, *(len(s) for s in names))
    print(f"{'instance':<10} {'n':>4} {'optimum':>8}  " + "  ".join(f"{s:>{w}}" for s in names))
    print(f"{'':<10} {'':>4} {'':>8}  " + "  ".join(f"{'gap% / s':>{w}}" for s in names))
    rows = []
    for inst in instances:
        D = tsplib.read_problem(inst.path).matrix()
        row = Row(inst)
        for name, solver in solvers.items():
            r = run_one(D, solver)
            r.gap = gap(r.length, inst.optimum) if r.valid else None
            row.results[name] = r
        rows.append(row)
        cells = []
        for name in names:
            r = row.results[name]
            cells.append(
                f"{(fmt_gap(r.gap) + ' / ' + fmt_time(r.seconds)) if r.valid else 'INVALID':>{w}}"
            )
        print(f"{inst.name:<10} {inst.n:>4} {inst.optimum!s:>8}  " + "  ".join(cells), flush=True)
        for name in names:
            if not row.results[name].valid:
                print(f"  !! {name}: {row.results[name].note}", flush=True)
    return rows


@dataclass
class Summary:
    solver: str
    count: int
    invalid: int
    mean_gap: float
    median_gap: float
    max_gap: float
    optimal: int
    median_time: float
    median_cpu: float
    mean_time: float
    max_time: float
    ratio: float | None
    mean_gap_metric: float | None


def summarise(rows: list[Row], names: list[str]) -> list[Summary]:
    out = []
    greedy_med = None
    if "greedy" in names:
        greedy_med = statistics.median(r.results["greedy"].seconds for r in rows)
    for name in names:
        res = [(row.inst, row.results[name]) for row in rows]
        gaps = [r.gap for _, r in res if r.gap is not None]
        metric = [r.gap for i, r in res if r.gap is not None and i.name not in NON_METRIC]
        times = [r.seconds for _, r in res]
        med_t = statistics.median(times)
        out.append(
            Summary(
                solver=name,
                count=len(res),
                invalid=sum(not r.valid for _, r in res),
                mean_gap=statistics.fmean(gaps) if gaps else float("nan"),
                median_gap=statistics.median(gaps) if gaps else float("nan"),
                max_gap=max(gaps) if gaps else float("nan"),
                optimal=sum(g <= 1e-9 for g in gaps),
                median_time=med_t,
                median_cpu=statistics.median(r.cpu for _, r in res),
                mean_time=statistics.fmean(times),
                max_time=max(times),
                ratio=(med_t / greedy_med) if greedy_med else None,
                mean_gap_metric=(
                    statistics.fmean(metric) if len(metric) < len(gaps) and metric else None
                ),
            )
        )
    return out


def summary_markdown(summ: list[Summary]) -> list[str]:
    has_metric = any(s.mean_gap_metric is not None for s in summ)
    head = "| solver | mean gap % | median gap % | max gap % | optimal | "
    if has_metric:
        head += "mean gap % excl. brg180 | "
    head += (
        "median time (s) | median CPU (s) | mean time (s) | max time (s) | median time / greedy's |"
    )
    lines = [head, "|---" + "|---:" * (head.count("|") - 2) + "|"]
    for s in summ:
        cells = [
            f"`{s.solver}`",
            f"{s.mean_gap:.2f}",
            f"{s.median_gap:.2f}",
            f"{s.max_gap:.2f}",
            f"{s.optimal}/{s.count}",
        ]
        if has_metric:
            cells.append("—" if s.mean_gap_metric is None else f"{s.mean_gap_metric:.2f}")
        cells += [
            f"{s.median_time:.4f}",
            f"{s.median_cpu:.4f}",
            f"{s.mean_time:.4f}",
            fmt_time(s.max_time),
            "—" if s.ratio is None else f"{s.ratio:,.0f}×" if s.ratio >= 100 else f"{s.ratio:.1f}×",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if any(s.invalid for s in summ):
        lines.append("")
        lines.append(
            "**Invalid tours:** " + ", ".join(f"{s.solver}: {s.invalid}" for s in summ if s.invalid)
        )
    return lines


def print_summary(summ: list[Summary]) -> None:
    print()
    hdr = (
        f"{'solver':<14} {'mean gap%':>9} {'median%':>8} {'max%':>9} {'optimal':>8} "
        f"{'med t(s)':>9} {'med cpu':>9} {'mean t(s)':>9} {'max t(s)':>9} {'t/greedy':>9}"
    )
    print(hdr)
    print("-" * len(hdr))
    for s in summ:
        ratio = "—" if s.ratio is None else f"{s.ratio:.1f}x"
        print(
            f"{s.solver:<14} {s.mean_gap:>9.2f} {s.median_gap:>8.2f} {s.max_gap:>9.2f} "
            f"{f'{s.optimal}/{s.count}':>8} {s.median_time:>9.4f} {s.median_cpu:>9.4f} "
            f"{s.mean_time:>9.4f} "
            f"{s.max_time:>9.3f} {ratio:>9}"
        )
        if s.mean_gap_metric is not None:
            print(f"{'':<14} mean gap excluding {', '.join(NON_METRIC)}: {s.mean_gap_metric:.2f}")
        if s.invalid:
            print(f"{'':<14} INVALID tours: {s.invalid}")


def targets(summ: list[Summary]) -> list[str]:
    by = {s.solver: s for s in summ}
    out = []
    if "auto" in by:
        a = by["auto"]
        met = a.mean_gap <= TARGET_GAP and a.median_time <= TARGET_TIME
        out.append(
            f"`auto` within {TARGET_GAP} % of optimum on average at ≤ {TARGET_TIME:g} s median: "
            f"mean gap {a.mean_gap:.2f} %, median time {a.median_time:.3f} s — "
            f"**{'met' if met else 'NOT met'}**"
            + (
                ""
                if a.mean_gap <= TARGET_GAP
                else f" (quality misses by {a.mean_gap - TARGET_GAP:.2f} points)"
            )
            + "."
        )
    for name, ref in PEER_REFERENCE.items():
        if name in by:
            s = by[name]
            extra = ""
            if s.mean_gap_metric is not None:
                extra = f" ({s.mean_gap_metric:.2f} % without brg180)"
            out.append(
                f"`{name}`: {s.mean_gap:.2f} %{extra}, median {s.median_time:.3f} s "
                f"— peer reference: {ref}."
            )
    return out


def per_instance_markdown(rows: list[Row], names: list[str]) -> list[str]:
    head = "| instance | type | n | optimum | " + " | ".join(f"`{s}`" for s in names) + " |"
    lines = [head, "|---|---|---:|---:|" + "---:|" * len(names)]
    for row in rows:
        i = row.inst
        cells = []
        for s in names:
            r = row.results[s]
            cells.append(f"{fmt_gap(r.gap)} / {fmt_time(r.seconds)}" if r.valid else "INVALID")
        lines.append(f"| {i.name} | {i.kind} | {i.n} | {i.optimum} | " + " | ".join(cells) + " |")
    return lines


# --------------------------------------------------------------------------- report


def environment() -> str:
    commit, digest = _report.code_state(["routing/tsp.py"], "routing/tsp.py")
    return (
        f"{_report.machine()}, "
        f"numpy {_report.version('numpy')}, elkai {_report.version('elkai')}, "
        f"ortools {_report.version('ortools')}, networkx {_report.version('networkx')}; "
        f"repo commit {commit}, routing/tsp.py sha256 {digest}"
    )


def build_section(
    env: str,
    when: str,
    cmd: str,
    check: list[str] | None,
    exact: list[str] | None,
    bench: tuple[list[Row], list[Summary], list[str]] | None,
    ortools_seconds: float,
) -> str:
    L = [BEGIN, "## TSP solvers (TSPLIB)", ""]
    L.append(f"Produced by `{cmd}` (run from the repository root) on {when}. Machine: {env}.")
    L.append("")
    L.append(
        "Data: the 49 symmetric TSPLIB instances with n ≤ 200 and their published optima "
        "(`shared/benchmarks/`, not copied into this repository), read by "
        "`benchmarks/tsplib.py` with the TSPLIB distance conventions (EUC_2D `nint`, ATT "
        "pseudo-Euclidean, GEO with `PI = 3.141592` and truncated degrees, EXPLICIT matrices). "
        "Every solver builds a **closed tour from node 0** over the integer matrix; gap % = "
        "100 · (length − optimum) / optimum; time = wall clock (`time.perf_counter`) of the "
        "call, one process, solvers run one after another, after one untimed warm-up call each; "
        "CPU = `time.process_time` of the same call (every solver here is single-threaded), "
        "shown because other work on the machine inflates wall times."
    )
    L.append("")
    L.append(
        "Solvers: `greedy` = nearest neighbour; `local` = greedy + 2-opt + Or-opt; `auto` = "
        "`solve_tour` default (Held–Karp for n ≤ 16, else LKH-3 via elkai with the library's "
        "default `lkh_runs`, then 2-opt/Or-opt polish); `auto r=K` = the same with "
        f"`lkh_runs=K`; `ortools` = peer baseline written in the benchmark (OR-Tools routing, "
        f"one vehicle, depot 0, PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH, "
        f"{ortools_seconds:g} s limit, integer matrix registered with `RegisterTransitMatrix`; "
        "its result varies a little from run to run because the limit is wall-clock); "
        "`christofides` = networkx reference (complete-graph build included in its time)."
    )
    if bench is not None:
        rows, summ, names = bench
        L += ["", f"### Summary ({len(rows)} instances)", ""]
        L += summary_markdown(summ)
        L += ["", "### Targets", ""]
        L += [f"- {t}" for t in targets(summ)]
        L += ["", "### Per instance (gap % / seconds)", ""]
        L += per_instance_markdown(rows, names)
    if check is not None:
        L += ["", "### Reader check (`--check`)", "", "```text", *check, "```"]
    if exact is not None:
        L += ["", "### Exact solver (`--exact-check`)", "", *exact]
    end_load = _report.load_average()
    L += [
        "",
        f"Load average at the end of the run: {end_load} (other work on the machine inflates "
        "wall times, not gaps).",
    ]
    L.append(END)
    return "\n".join(L) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the tsp block of ``path`` (or append it), atomically."""
    _report.write_section(path, section, BEGIN, END)


def _int_list(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=ROOT.parent / "shared" / "benchmarks" / "tsplib",
        help="folder with *.tsp and opt_tours/ (default ../shared/benchmarks/tsplib)",
    )
    ap.add_argument("--optima", type=Path, help="optimal.csv (default: DATA/../optimal.csv)")
    ap.add_argument("--max-n", type=int, default=200)
    ap.add_argument("--only", help="comma-separated instance names")
    ap.add_argument("--limit", type=int, help="first K instances (smallest n first)")
    ap.add_argument("--solvers", default=",".join(DEFAULT_SOLVERS))
    ap.add_argument(
        "--lkh-runs",
        default="",
        help="also run auto with these lkh_runs values, e.g. 1,3,5,10 (columns 'auto r=K')",
    )
    ap.add_argument("--ortools-seconds", type=float, default=2.0)
    ap.add_argument("--check", action="store_true", help="recompute opt.tour lengths")
    ap.add_argument("--exact-check", action="store_true", help="exact solver on n ≤ 16")
    ap.add_argument("--exact-sizes", default="16", help="random instance sizes for --exact-check")
    ap.add_argument("--exact-seeds", type=int, default=20)
    ap.add_argument("--bench", action="store_true", help="run the benchmark (default mode)")
    ap.add_argument("--out", type=Path, help="markdown file whose TSP section is rewritten")
    args = ap.parse_args(argv)
    if not (args.check or args.exact_check or args.bench):
        args.bench = True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data: Path = args.data
    if not data.is_dir():
        print(f"no benchmark data at {data}", file=sys.stderr)
        return 2
    optima_path = args.optima or data.parent / "optimal.csv"
    optima = tsplib.read_optima(optima_path)
    with open(optima_path, newline="", encoding="utf-8") as fh:
        types = {r["instance"]: r["type"] for r in csv.DictReader(fh)}
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    env = environment()
    cmd = _report.command_line()
    print(f"{when}\n{env}\n")
    ok = True
    instances = load_instances(data, optima, args)

    check_lines = exact_lines = None
    if args.check:
        good, check_lines = run_check(data, optima, types)
        ok &= good
        print("\n".join(check_lines), "\n", flush=True)
    if args.exact_check:
        good, text, exact_lines = run_exact_check(
            instances, _int_list(args.exact_sizes), args.exact_seeds
        )
        ok &= good
        print("\n".join(text), "\n", flush=True)

    bench = None
    if args.bench:
        names = [s.strip() for s in args.solvers.split(",") if s.strip()]
        solvers = make_solvers(names, _int_list(args.lkh_runs), args.ortools_seconds)
        warm_up(solvers)
        rows = run_bench(instances, solvers)
        summ = summarise(rows, list(solvers))
        print_summary(summ)
        print()
        for t in targets(summ):
            print(t.replace("**", "").replace("`", ""))
        ok &= not any(s.invalid for s in summ)
        bench = (rows, summ, list(solvers))

    if args.out:
        section = build_section(
            env, when, cmd, check_lines, exact_lines, bench, args.ortools_seconds
        )
        write_section(args.out, section)
        print(f"\nwrote the TSP section of {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
