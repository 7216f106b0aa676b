"""The report's two lines recomputed from its own table, derived independently here.

The expected figures are not only asserted as literals: a plain-Python Floyd–Warshall,
nearest-neighbour tour and subset DP (written separately from ``routing``) derive them from
``data/catalog/seed_distances.csv`` and must agree with the planner.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import pytest

from kg.catalog import load_catalog
from planner.service import plan_route


@lru_cache(maxsize=1)
def _catalog():
    return load_catalog()


def _closure(line: str, ids: tuple[str, ...]) -> dict[tuple[str, str], float]:
    """Floyd–Warshall over the table edges of ``line`` (names resolved by the catalog)."""
    nodes = set(ids)
    inf = float("inf")
    d = {(a, b): (0.0 if a == b else inf) for a in nodes for b in nodes}
    for e in _catalog().seed_edges:
        if e.line == line and e.a in nodes and e.b in nodes:
            d[e.a, e.b] = d[e.b, e.a] = min(d[e.a, e.b], e.km)
    for k in nodes:
        for i in nodes:
            for j in nodes:
                if d[i, k] + d[k, j] < d[i, j]:
                    d[i, j] = d[i, k] + d[k, j]
    return d


def _nearest_neighbour(d: dict, ids: tuple[str, ...], start: str, loop: bool) -> float:
    order, left = [start], [s for s in ids if s != start]
    while left:
        nxt = min(left, key=lambda s: (round(d[order[-1], s], 9), ids.index(s)))
        left.remove(nxt)
        order.append(nxt)
    total = sum(d[a, b] for a, b in itertools.pairwise(order))
    return total + (d[order[-1], start] if loop else 0.0)


def _optimum(d: dict, ids: tuple[str, ...], start: str, loop: bool) -> float:
    rest = [s for s in ids if s != start]
    if len(rest) <= 7:
        best = float("inf")
        for perm in itertools.permutations(rest):
            order = [start, *perm]
            total = sum(d[a, b] for a, b in itertools.pairwise(order))
            best = min(best, total + (d[order[-1], start] if loop else 0.0))
        return best
    # Plain dictionary DP over subsets (open path, free end) — independent of routing.tsp.
    n = len(rest)
    best_to: dict[tuple[int, int], float] = {(1 << j, j): d[start, rest[j]] for j in range(n)}
    for size in range(2, n + 1):
        for combo in itertools.combinations(range(n), size):
            mask = sum(1 << j for j in combo)
            for j in combo:
                prev = mask ^ (1 << j)
                best_to[mask, j] = min(
                    best_to[prev, i] + d[rest[i], rest[j]] for i in combo if i != j
                )
    full = (1 << n) - 1
    return min(best_to[full, j] + (d[rest[j], start] if loop else 0.0) for j in range(n))


def test_stone_carving_report_line() -> None:
    line = _catalog().line("stone-carving-report")
    assert len(line.sites) == 15
    d = _closure("stone-carving", line.sites)
    greedy = plan_route(line=line.id, start="宝顶山", distances="seed", solver="greedy")
    exact = plan_route(line=line.id, start="宝顶山", distances="seed", solver="exact")
    assert greedy.total_km == pytest.approx(_nearest_neighbour(d, line.sites, "baodingshan", False))
    assert exact.total_km == pytest.approx(_optimum(d, line.sites, "baodingshan", False))
    assert round(greedy.total_km, 2) == 204.42
    assert round(exact.total_km, 2) == 201.42
    assert exact.proved_optimal and not greedy.proved_optimal
    assert exact.stops[0].id == greedy.stops[0].id == "baodingshan"
    # The greedy order is the report's printed order except 紫竹公园 ↔ 圆觉洞 ...
    report = list(line.report_route)
    got = [s.id for s in greedy.stops]
    swapped = report.copy()
    a, b = swapped.index("zizhu_gongyuan"), swapped.index("yuanjuedong")
    swapped[a], swapped[b] = swapped[b], swapped[a]
    assert got == swapped
    # ... which its own table makes 0.72 km longer.
    printed = sum(d[x, y] for x, y in itertools.pairwise(report))
    assert round(printed - greedy.total_km, 2) == 0.72


def test_sichuan_opera_loop() -> None:
    line = _catalog().line("sichuan-opera")
    assert len(line.sites) == 6 and line.loop
    d = _closure("sichuan-opera", line.sites)
    start = "zhensheng_chuanju_base"
    greedy = plan_route(line=line.id, distances="seed", solver="greedy")
    exact = plan_route(line=line.id, distances="seed", solver="exact")
    assert greedy.loop and greedy.stops[0].id == start
    assert greedy.total_km == pytest.approx(_nearest_neighbour(d, line.sites, start, True))
    assert exact.total_km == pytest.approx(_optimum(d, line.sites, start, True))
    assert greedy.total_km == pytest.approx(401)
    assert exact.total_km == pytest.approx(400)
    assert exact.proved_optimal


def test_full_stone_line_plans_with_auto_distances() -> None:
    line = _catalog().line("stone-carving")
    assert len(line.sites) == 19
    plan = plan_route(line=line.id, distances="auto", solver="auto")
    assert sorted(s.id for s in plan.stops) == sorted(line.sites)
    assert plan.total_km == pytest.approx(sum(leg.km for leg in plan.legs))
    sources = {leg.source for leg in plan.legs}
    assert "seed" in sources and sources <= {"seed", "estimate", "seed+estimate"}
    # Never worse than the report's greedy method on the same matrix.
    greedy = plan_route(line=line.id, distances="auto", solver="greedy")
    assert plan.total_km <= greedy.total_km + 1e-9
