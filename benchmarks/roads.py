"""Benchmark the road engine: OSRM (MLD) build and table times on a synthetic network.

Usage::

    .venv/bin/python benchmarks/roads.py                  # print the table
    .venv/bin/python benchmarks/roads.py --write          # also update docs/benchmarks.md
    .venv/bin/python benchmarks/roads.py --side 317 --points 400 --repeat 3

What is measured
----------------
A grid of ``side × side`` nodes (``highway=primary`` ways every 0.005°, ~500 m) with ``--points``
random points (seeded) each served by a short spur is written with pyosmium (~10⁵ nodes at the
default side 317). Then, per step, the wall time of ``osrm-extract`` (car profile),
``osrm-partition`` and ``osrm-customize`` (the MLD pipeline ``heritage roads build`` runs; one
thread), loading the data, the ``points × points`` table (median of ``--repeat``) and single
routes. Baseline in the same run: the same network read back from the file into a SciPy sparse
graph and ``scipy.sparse.csgraph.dijkstra`` from every point (C Dijkstra, exact shortest km), the
ratio of the two table times, and the largest difference between OSRM's km and the exact
shortest km (OSRM minimises drive time, so on this equal-speed grid its km should match).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _report  # noqa: E402
import numpy as np  # noqa: E402

from common.geo import haversine_km  # noqa: E402
from routing.roads import engine as osrm_engine  # noqa: E402
from routing.roads.synthetic import write_grid_network  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- roads:begin -->", "<!-- roads:end -->"
SPACING = 0.005
LAT0, LON0 = 29.5, 104.8


def _points(n: int, side: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    span = (side - 3) * SPACING
    return [
        (LAT0 + SPACING + rng.random() * span, LON0 + SPACING + rng.random() * span)
        for _ in range(n)
    ]


def _scipy_graph(path: Path) -> tuple[Any, dict[int, int], dict[int, tuple[float, float]]]:
    """The network in ``path`` as a symmetric sparse km graph, plus node id → index."""
    import osmium
    from scipy.sparse import coo_matrix

    locs: dict[int, tuple[float, float]] = {}
    ways: list[list[int]] = []
    for obj in osmium.FileProcessor(str(path)):
        if isinstance(obj, osmium.osm.Node):
            locs[obj.id] = (obj.location.lat, obj.location.lon)
        elif isinstance(obj, osmium.osm.Way):
            ways.append([n.ref for n in obj.nodes])
    index = {nid: k for k, nid in enumerate(locs)}
    rows, cols, vals = [], [], []
    for nodes in ways:
        for a, b in itertools.pairwise(nodes):
            d = haversine_km(*locs[a], *locs[b])
            rows += [index[a], index[b]]
            cols += [index[b], index[a]]
            vals += [d, d]
    n = len(locs)
    return coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr(), index, locs


def run(args: argparse.Namespace) -> dict:
    """Every measurement, as a dict."""
    with tempfile.TemporaryDirectory(prefix="roadsbench-") as folder:
        return _run(args, Path(folder))


def _run(args: argparse.Namespace, tmp: Path) -> dict:
    pts = _points(args.points, args.side, args.seed)
    t0 = time.perf_counter()
    net = write_grid_network(
        tmp / "grid.osm.pbf",
        pts,
        spacing_deg=SPACING,
        margin_deg=0.0,
        min_size=(args.side - 1, args.side - 1),
        clear_of_points=False,
    )
    write_s = time.perf_counter() - t0
    print(f"network: {net.nodes} nodes, {net.ways} ways ({write_s:.1f} s)", file=sys.stderr)
    steps = osrm_engine.build_mld(net.path, "car", tmp / "osrm", threads=args.threads)
    print(f"build: {steps}", file=sys.stderr)
    t0 = time.perf_counter()
    eng = osrm_engine.OsrmEngine(tmp / "osrm")
    load_s = time.perf_counter() - t0
    table_times = []
    table = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        table = eng.table(pts)
        table_times.append(time.perf_counter() - t0)
    assert table is not None
    rng = random.Random(args.seed + 1)
    route_times = []
    for _ in range(50):
        a, b = rng.sample(range(len(pts)), 2)
        t0 = time.perf_counter()
        eng.route([pts[a], pts[b]])
        route_times.append(time.perf_counter() - t0)
    print(f"table: {table_times}", file=sys.stderr)
    # baseline: exact shortest km with SciPy's Dijkstra from every point's spur end
    from scipy.sparse.csgraph import dijkstra

    t0 = time.perf_counter()
    graph, index, _locs = _scipy_graph(net.path)
    read_s = time.perf_counter() - t0
    srcs = [index[nid] for nid in net.point_nodes if nid is not None]
    t0 = time.perf_counter()
    dist = dijkstra(graph, directed=False, indices=srcs)[:, srcs]
    scipy_s = time.perf_counter() - t0
    # compare only points the engine snapped onto their own spur end (a point near a grid line
    # may snap onto that line instead; the exact baseline starts at the spur end)
    on_spur = np.array(
        [
            nid is not None
            and haversine_km(s.lat, s.lon, *_locs[nid]) < 0.002  # within 2 m of the spur end
            for nid, s in zip(net.point_nodes, table.snaps, strict=True)
        ]
    )
    finite = np.isfinite(table.km) & (dist > 1.0) & np.outer(on_spur, on_spur)
    rel = np.abs(table.km[finite] - dist[finite]) / dist[finite]
    snap_m = max(s.distance_m for s in table.snaps)
    return {
        "nodes": net.nodes,
        "ways": net.ways,
        "points": len(pts),
        "write_s": write_s,
        "steps": steps,
        "load_s": load_s,
        "table_s": statistics.median(table_times),
        "table_runs": table_times,
        "route_ms": statistics.median(route_times) * 1000,
        "route_p95_ms": sorted(route_times)[int(0.95 * len(route_times))] * 1000,
        "read_s": read_s,
        "scipy_s": scipy_s,
        "max_rel_km_diff": float(rel.max()) if rel.size else math.nan,
        "pairs": int(finite.sum()),
        "on_spur": int(on_spur.sum()),
        "max_snap_m": snap_m,
        "threads": args.threads,
    }


def render(r: dict, args: argparse.Namespace) -> str:
    """The docs block."""
    build = sum(r["steps"].values())
    osrm_v = _report.version("osrm-bindings")
    lines = [
        f"Command: `{_report.command_line()}` — {_report.machine()}; osrm-bindings {osrm_v}, "
        f"osmium {_report.version('osmium')}, scipy {_report.version('scipy')}; load average at "
        f"the end {_report.load_average()} (shared machine: orders of magnitude).",
        "",
        f"Synthetic network (pyosmium): {r['nodes']:,} nodes, {r['ways']:,} ways — a "
        f"{args.side} × {args.side} grid of primary roads 0.005° (~500 m) apart plus "
        f"{r['points']} random points (seed {args.seed}) on short spurs (written in "
        f"{r['write_s']:.1f} s).",
        "",
        "| step | time |",
        "|---|---:|",
        f"| osrm-extract (car.lua, {r['threads']} thread) | {r['steps']['extract']:.2f} s |",
        f"| osrm-partition | {r['steps']['partition']:.2f} s |",
        f"| osrm-customize | {r['steps']['customize']:.2f} s |",
        f"| **build total (MLD)** | **{build:.2f} s** |",
        f"| load the data (`osrm.OSRM`, no shared memory) | {r['load_s'] * 1000:.0f} ms |",
        f"| **{r['points']} × {r['points']} table** (median of {len(r['table_runs'])}) | "
        f"**{r['table_s'] * 1000:.0f} ms** |",
        f"| one route with geometry (median / p95 of 50) | {r['route_ms']:.1f} / "
        f"{r['route_p95_ms']:.1f} ms |",
        f"| baseline: SciPy Dijkstra from all {r['points']} points (exact km) | "
        f"{r['scipy_s']:.2f} s |",
        "",
        f"Table time ratio, SciPy Dijkstra ÷ OSRM: **{r['scipy_s'] / r['table_s']:.1f}** "
        f"(the baseline also needed {r['read_s']:.1f} s to read the file into a SciPy graph). "
        f"Largest difference between OSRM's km and the exact shortest km "
        f"over the {r['pairs']:,} pairs of the {r['on_spur']} points snapped onto their own spur "
        f"(the others snapped onto a grid line that passes closer): "
        f"{r['max_rel_km_diff'] * 100:.3f} % (largest snapping distance {r['max_snap_m']:.0f} m).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--side", type=int, default=317, help="grid side (317² ≈ 10⁵ nodes)")
    ap.add_argument("--points", type=int, default=400, help="matrix size")
    ap.add_argument("--repeat", type=int, default=3, help="table runs")
    ap.add_argument("--threads", type=int, default=1, help="engine threads for the build")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()
    r = run(args)
    block = render(r, args)
    print(block)
    if args.write:
        section = f"{BEGIN}\n## Road engine (`benchmarks/roads.py`)\n\n{block}{END}"
        _report.write_section(DOC, section, BEGIN, END)


if __name__ == "__main__":
    main()
