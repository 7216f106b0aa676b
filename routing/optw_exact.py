"""Exact solvers for small orienteering problems with time windows.

``dp`` (the ``exact`` method)
    Dynamic programming over subsets, in floating point (no scaling). For each route ``r``
    and each pair (set ``S`` of candidates, last node ``j``) it keeps the earliest start of
    service at ``j`` after visiting exactly ``S``; with waiting allowed and no other
    resource, the earliest start dominates every later one, so the set ``S`` fits route
    ``r`` iff some ``j`` ends it in time (Righini & Salani 2009 use the same labels, with
    decremental state-space relaxation, for much larger instances). Then the routes are
    combined by a max-plus convolution over disjoint sets. The objective is
    lexicographic: first the number of mandatory nodes placed, then the score. Practical to
    about 15 usable candidates for one route and 12 for three (``O(2^k k^2)`` per route plus
    ``O(F_1 · F_2)`` over the feasible sets of the routes).
``cpsat``
    CP-SAT (OR-Tools) model for medium instances (a few dozen candidates): one circuit per
    route over its start copy, end copy and candidates (``add_circuit`` with self-loops for
    skipped nodes), an integer start time per route and node with
    ``start_j >= start_i + service_i + travel_ij`` on used arcs, and each candidate on at
    most one route. Times are **integers after scaling by 100** (0.01 min): travel and service
    are rounded up, openings up, closings down, so every model solution is feasible for the
    float data; optimality is claimed (``OPTIMAL`` status) only when the scaling is exact
    (all data multiples of 0.01 min). One worker and a fixed seed keep it deterministic
    until the time limit cuts it.

References
----------
Righini & Salani (2009), *Decremental state space relaxation strategies and initialization
heuristics for solving the orienteering problem with time windows with dynamic programming*,
Computers & OR 36(4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from routing.distances import RoutingError
from routing.optw_model import TIME_EPS, Prepared

__all__ = ["DP_MAX_CANDIDATES", "DP_MAX_MULTI", "dp_limit", "solve_cpsat", "solve_dp"]

DP_MAX_CANDIDATES = 16  # one route
DP_MAX_MULTI = 12  # two or more routes (the convolution over disjoint sets is O(4^k) worst)
_SCALE = 100
_COST_SCALE = 10_000


def dp_limit(n_routes: int) -> int:
    """Largest number of usable candidates :func:`solve_dp` accepts for ``n_routes``."""
    return DP_MAX_CANDIDATES if n_routes == 1 else DP_MAX_MULTI


def _popcount(masks: np.ndarray) -> np.ndarray:
    c = np.zeros(masks.shape, dtype=np.int64)
    m = masks.copy()
    while m.any():
        c += m & 1
        m >>= 1
    return c


def _route_dp(
    P: Prepared, r: int, K: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earliest-start labels for route ``r`` over candidates ``K``.

    Returns ``(f, parent, feasible)``: ``f[S, j]`` earliest service start at ``K[j]`` having
    visited exactly ``S`` (``inf`` if impossible), ``parent[S, j]`` the previous index
    (``-1`` from the start node) and ``feasible[S]`` whether ``S`` fits the route.
    """
    k = len(K)
    full = 1 << k
    T = P.travel
    opn = P.open[r, K]
    cls = P.close[r, K]
    d = P.service[K]
    s0, e0 = P.route_start[r], P.route_end[r]
    f = np.full((full, k), np.inf)
    parent = np.full((full, k), -1, dtype=np.int8)
    first = np.maximum(P.route_open[r] + T[s0, K], opn)
    first[(first > cls + TIME_EPS) | ~P.static_ok[r, K]] = np.inf
    single = 1 << np.arange(k)
    f[single, np.arange(k)] = first
    step = T[np.ix_(K, K)] + d[:, None]  # depart i -> arrive j, relative to start at i
    cap = P.route_cap()
    for size in range(2, min(k, cap) + 1):
        layer = np.nonzero(counts == size)[0]
        for j in range(k):
            # (no shortcut for nodes unreachable directly: without the triangle inequality a
            # path through other nodes may still reach them in time)
            mj = layer[(layer >> j) & 1 == 1]
            if mj.size == 0:
                continue
            prev = mj ^ (1 << j)
            arr = f[prev] + step[:, j]
            best = np.argmin(arr, axis=1)
            a = arr[np.arange(mj.size), best]
            start = np.maximum(a, opn[j])
            bad = start > cls[j] + TIME_EPS
            start[bad] = np.inf
            f[mj, j] = start
            parent[mj, j] = np.where(bad, -1, best)
    back = f + d[None, :] + T[K, e0][None, :]
    feasible = (back <= P.route_close[r] + TIME_EPS).any(axis=1)
    feasible[0] = True  # the empty route (checked when the problem was prepared)
    feasible &= counts <= cap
    return f, parent, feasible


def _order(
    P: Prepared, r: int, K: np.ndarray, f: np.ndarray, parent: np.ndarray, S: int
) -> list[int]:
    if S == 0:
        return []
    back = f[S] + P.service[K] + P.travel[K, P.route_end[r]]
    j = int(np.argmin(back))
    rev = []
    mask = S
    while j >= 0:
        rev.append(int(K[j]))
        pj = int(parent[mask, j])
        mask ^= 1 << j
        j = pj if mask else -1
    return rev[::-1]


def _route_sets_priced(P: Prepared, r: int, K: np.ndarray) -> dict[int, tuple[float, list[int]]]:
    """Every subset of ``K`` (bit mask) that fits route ``r`` → (least travel, its order).

    With a travel limit or a travel cost the earliest start no longer dominates (a later
    start may have travelled less), so each (set, last node) keeps its Pareto labels of
    (earliest start, travel) — the resource-constrained labelling of Righini & Salani.
    """
    T = P.travel
    d = P.service
    opn, cls = P.open[r], P.close[r]
    s0, e0 = P.route_start[r], P.route_end[r]
    ro, rc, cap = float(P.route_open[r]), float(P.route_close[r]), float(P.max_travel[r])
    eps = TIME_EPS
    # label: (start of service at the last node, travel so far, last node index, previous)
    Label = tuple[float, float, int, Any]
    level: dict[tuple[int, int], list[Label]] = {}
    for j, v in enumerate(K):
        b = max(ro + T[s0, v], opn[v])
        if b <= cls[v] + eps and T[s0, v] <= cap + eps and cls[v] >= opn[v]:
            level[(1 << j, j)] = [(b, float(T[s0, v]), j, None)]
    best: dict[int, tuple[float, list[int]]] = {0: (float(T[s0, e0]), [])}
    size = 1
    while level:
        for (mask, j), labs in level.items():
            v = K[j]
            for lab in labs:
                back = lab[0] + d[v] + T[v, e0]
                trv = lab[1] + T[v, e0]
                if back <= rc + eps and trv <= cap + eps and trv < best.get(mask, (np.inf,))[0]:
                    order = []
                    x: Any = lab
                    while x is not None:
                        order.append(int(K[x[2]]))
                        x = x[3]
                    best[mask] = (float(trv), order[::-1])
        if size >= P.route_cap():
            break
        nxt: dict[tuple[int, int], list[Label]] = {}
        for (mask, j), labs in level.items():
            v = K[j]
            for i, w in enumerate(K):
                if mask >> i & 1:
                    continue
                key = (mask | 1 << i, i)
                for lab in labs:
                    b = max(lab[0] + d[v] + T[v, w], opn[w])
                    trv = lab[1] + T[v, w]
                    if b > cls[w] + eps or trv > cap + eps:
                        continue
                    front = nxt.setdefault(key, [])
                    if any(o[0] <= b + 1e-12 and o[1] <= trv + 1e-12 for o in front):
                        continue
                    front[:] = [o for o in front if not (b <= o[0] and trv <= o[1])]
                    front.append((b, trv, i, lab))
        level = nxt
        size += 1
    return best


def _combine(
    g: np.ndarray, own: np.ndarray, blocks: Iterable[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """One max-plus step over disjoint sets: for every union ``S | B`` of a set ``S`` reachable
    in ``g`` and a block ``B`` (a bitmask) of one more route, the best ``g[S] + own[B]``, and
    the block that reached it."""
    new = np.full(len(g), -np.inf)
    choice = np.zeros(len(g), dtype=np.int64)
    have = np.nonzero(np.isfinite(g))[0]
    for B in blocks:
        sel = have[(have & B) == 0]
        cand = g[sel] + own[B]
        u = sel | B
        better = cand > new[u] + 1e-9
        new[u[better]] = cand[better]
        choice[u[better]] = B
    return new, choice


def _unwind(
    g: np.ndarray, choices: list[np.ndarray], stops_of: Callable[[int, int], list[int]]
) -> list[list[int]]:
    """The stops of every route of the best union in ``g``, last route first: each route's
    block comes from its ``choices`` and ``stops_of(route, block)`` orders it."""
    S = int(np.argmax(g))
    stops: list[list[int]] = [[] for _ in choices]
    for r in range(len(choices) - 1, -1, -1):
        B = int(choices[r][S])
        stops[r] = stops_of(r, B)
        S ^= B
    return stops


def _solve_dp_priced(P: Prepared, K: np.ndarray) -> list[list[int]]:
    """:func:`solve_dp` with a travel limit or cost: per-route label sets, then the same
    max-plus combination over disjoint sets of ``score - travel_cost * travel``."""
    k = len(K)
    R = P.n_routes
    full = 1 << k
    masks = np.arange(full, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(k)) & 1).astype(float)
    mand = np.array([v in P.mandatory for v in K], dtype=float)
    span = float((P.route_close - P.route_open).sum()) + float(P.travel.max()) * (k + R)
    big = float(P.score[K].sum()) + P.travel_cost * span + 1.0
    value = bits @ P.score[K] + big * (bits @ mand)
    g: np.ndarray | None = None
    choices = []
    orders = []
    for r in range(R):
        sets = _route_sets_priced(P, r, K)
        orders.append(sets)
        own = np.full(full, -np.inf)
        for mask, (trv, _) in sets.items():
            own[mask] = value[mask] - P.travel_cost * trv
        if g is None:
            g = own
            choices.append(masks.copy())
            continue
        g, choice = _combine(g, own, sets)
        choices.append(choice)
    assert g is not None
    return _unwind(g, choices, lambda r, B: list(orders[r][B][1]))


def solve_dp(P: Prepared, candidates: tuple[int, ...] | None = None) -> list[list[int]]:
    """Optimal stops per route by subset DP (lexicographic: mandatory count, then score).

    Raises
    ------
    RoutingError
        With more than :data:`DP_MAX_CANDIDATES` usable candidates.
    """
    K = np.array(candidates if candidates is not None else P.usable, dtype=np.int64)
    k = len(K)
    R = P.n_routes
    limit = dp_limit(R)
    if k > limit:
        raise RoutingError(
            f"the exact solver handles at most {limit} usable candidates for {R} route(s) "
            f"(got {k}); use ils or cpsat"
        )
    if k == 0:
        return [[] for _ in range(R)]
    if P.travel_limited or P.travel_cost:
        return _solve_dp_priced(P, K)
    full = 1 << k
    masks = np.arange(full, dtype=np.int64)
    counts = _popcount(masks)
    bits = ((masks[:, None] >> np.arange(k)) & 1).astype(float)
    mand = np.array([v in P.mandatory for v in K], dtype=float)
    big = float(P.score[K].sum()) + 1.0
    value = bits @ P.score[K] + big * (bits @ mand)
    labels = []
    g = None
    choices = []
    for r in range(R):
        f, parent, feas = _route_dp(P, r, K, counts)
        labels.append((f, parent))
        own = np.where(feas, value, -np.inf)
        if g is None:
            g = own
            choices.append(masks.copy())
            continue
        g, choice = _combine(g, own, np.nonzero(feas)[0])
        choices.append(choice)
    assert g is not None
    return _unwind(g, choices, lambda r, B: _order(P, r, K, *labels[r], B))


def _exact_scaling(P: Prepared, K: list[int]) -> bool:
    idx = np.array(K, dtype=np.int64)
    arrays = [
        P.travel,
        P.service,
        P.open[:, idx],
        P.close[:, idx],
        P.route_open,
        P.route_close,
        P.score[idx],
    ]
    for a in arrays:
        x = np.asarray(a, dtype=float) * _SCALE
        finite = x[np.isfinite(x)]
        if finite.size and np.abs(finite - np.round(finite)).max() > 1e-6:
            return False
    return True


def solve_cpsat(  # noqa: C901
    P: Prepared, *, time_limit_s: float = 10.0, seed: int = 0, hint: list[list[int]] | None = None
) -> tuple[list[list[int]], bool]:
    """CP-SAT model (see the module docstring); returns (stops per route, proved optimal)."""
    from ortools.sat.python import cp_model

    K = list(P.usable)
    R = P.n_routes
    if not K:
        return [[] for _ in range(R)], True
    S = _SCALE

    def up(x: float) -> int:
        return math.ceil(x * S - 1e-6)

    def down(x: float) -> int:
        return math.floor(x * S + 1e-6)

    horizon = max(up(float(P.route_close.max())), 1)
    model = cp_model.CpModel()
    visit = {}
    arcs_by_route = []
    travel_terms: list[tuple[float, Any]] = []  # (travel minutes, arc literal) when priced
    for r in range(R):
        s0, e0 = P.route_start[r], P.route_end[r]
        local = [v for v in K if P.static_ok[r, v]]
        # local node ids: 0 = start copy, 1 = end copy, 2.. = candidates
        ids = {v: i + 2 for i, v in enumerate(local)}
        t = {
            0: model.new_int_var(up(P.route_open[r]), horizon, f"t{r}s"),
            1: model.new_int_var(0, down(P.route_close[r]), f"t{r}e"),
        }
        arcs: list[tuple[int, int, Any]] = [(1, 0, model.new_constant(1))]
        used = {}

        def node_of(i: int, local_=local, s0=s0, e0=e0) -> int:
            return s0 if i == 0 else e0 if i == 1 else local_[i - 2]

        for v in local:
            i = ids[v]
            lo, hi = up(P.open[r, v]), down(P.close[r, v])
            t[i] = model.new_int_var(min(lo, hi), max(lo, hi), f"t{r}_{v}")
            x = model.new_bool_var(f"y{r}_{v}")
            visit[r, v] = x
            arcs.append((i, i, x.negated()))
        nodes = [0, 1, *ids.values()]
        for i in nodes:
            for j in nodes:
                if i == j or j == 0 or i == 1:
                    continue
                if i == 0 and j == 1:
                    lit = model.new_bool_var(f"x{r}_empty")
                else:
                    lit = model.new_bool_var(f"x{r}_{i}_{j}")
                arcs.append((i, j, lit))
                used[i, j] = lit
                a, b = node_of(i), node_of(j)
                dur = up(P.travel[a, b] + (P.service[a] if i >= 2 else 0.0))
                model.add(t[j] >= t[i] + dur).only_enforce_if(lit)
        if P.max_stops is not None:
            model.add(sum(visit[r, v] for v in local) <= P.max_stops)
        legs = {(i, j): P.travel[node_of(i), node_of(j)] for (i, j) in used}
        if math.isfinite(P.max_travel[r]):  # travel rounded up: never over the float limit
            model.add(sum(up(legs[a]) * lit for a, lit in used.items()) <= down(P.max_travel[r]))
        if P.travel_cost:
            travel_terms.extend((legs[a], lit) for a, lit in used.items())
        model.add_circuit(arcs)
        arcs_by_route.append((local, used, ids))
    for v in K:
        lits = [visit[r, v] for r in range(R) if (r, v) in visit]
        if lits:
            model.add_at_most_one(lits)
    # objective units: score × S, or × _COST_SCALE with a travel cost (finer, as the
    # cost of one arc is a small fraction of a score)
    unit = _COST_SCALE if P.travel_cost else S
    cost = [round(P.travel_cost * tr * unit) * lit for tr, lit in travel_terms]
    span = sum(P.travel_cost * tr for tr, _ in travel_terms)
    big = round((float(P.score[K].sum()) + span) * unit) + 1
    obj = []
    for (_r, v), x in visit.items():
        w = round(float(P.score[v]) * unit)
        if v in P.mandatory:
            w += big
        obj.append(w * x)
    model.maximize(sum(obj) - sum(cost))
    if hint:
        on = {(r, v) for r, seq in enumerate(hint) for v in seq}
        for (r, v), x in visit.items():
            model.add_hint(x, (r, v) in on)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(seed)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [[] for _ in range(R)], False
    stops: list[list[int]] = []
    for r in range(R):
        local, used, ids = arcs_by_route[r]
        succ = {i: j for (i, j), lit in used.items() if solver.value(lit)}
        seq = []
        i = succ.get(0, 1)
        while i != 1:
            seq.append(local[i - 2])
            i = succ[i]
        stops.append(seq)
    proved = status == cp_model.OPTIMAL and _exact_scaling(P, K) and not P.travel_cost
    return stops, proved
