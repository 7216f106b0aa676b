"""Travelling-salesman tours over a symmetric distance matrix.

Problems
--------
Every solver answers the same three shapes of question over ``D`` (an ``n × n`` symmetric
matrix of non-negative km):

* an **open path** from a fixed ``start`` that visits every node once and ends anywhere;
* an open path from ``start`` to a fixed ``end``;
* a **closed loop** from ``start`` back to ``start``.

Solvers
-------
``greedy``
    Nearest neighbour from ``start`` — the report's method, exactly: always move to the
    closest unvisited node (ties: lowest index, i.e. the order the sites were given);
    a fixed ``end`` is kept for last.
``exact``
    Held–Karp dynamic programming over subsets, vectorised with NumPy layer by layer.
    Proves optimality; O(2^n n^2) time, practical to about 20 nodes.
``local``
    Greedy start, then 2-opt and Or-opt (segments of 1–3, both orientations) until no
    improving move is left. Improves any tour given to :func:`improve`.
``lkh``
    LKH-3 (Helsgaun) through the ``elkai`` package, then polished by :func:`improve`.
``auto``
    ``exact`` up to ``exact_limit`` nodes (proved optimal), else ``lkh``.

Open paths and fixed ends are reduced to closed tours for LKH with one dummy node
(the classic transformation), so every solver answers the same question.

References
----------
Held & Karp (1962), *A dynamic programming approach to sequencing problems*.
Or (1976), *Traveling salesman-type combinatorial problems…* (Or-opt).
Helsgaun (2017), *An Extension of the Lin-Kernighan-Helsgaun TSP Solver* (LKH-3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.distances import RoutingError

__all__ = [
    "SOLVERS",
    "Tour",
    "exact_tour",
    "greedy_tour",
    "improve",
    "lkh_tour",
    "solve_tour",
    "tour_length",
]

SOLVERS = ("auto", "exact", "greedy", "local", "lkh")
EXACT_MAX_NODES = 21
_EPS = 1e-9


@dataclass(frozen=True)
class Tour:
    """A solved tour: node indices in visiting order (a loop does not repeat the start)."""

    order: tuple[int, ...]
    length: float
    solver: str
    proved_optimal: bool
    loop: bool


def tour_length(D: np.ndarray, order: Sequence[int], *, loop: bool = False) -> float:
    """Length of visiting ``order`` (and returning to ``order[0]`` when ``loop``)."""
    if len(order) < 2:
        return 0.0
    idx = np.asarray(order)
    total = float(D[idx[:-1], idx[1:]].sum())
    if loop:
        total += float(D[idx[-1], idx[0]])
    return total


def _check(D: np.ndarray, start: int, end: int | None, loop: bool) -> int:
    D = np.asarray(D)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise RoutingError("distance matrix must be square")
    n = D.shape[0]
    if n == 0:
        raise RoutingError("no sites to visit")
    if not 0 <= start < n:
        raise RoutingError(f"start index {start} outside 0..{n - 1}")
    if end is not None:
        if loop:
            raise RoutingError("a loop returns to its start; do not also give an end")
        if not 0 <= end < n:
            raise RoutingError(f"end index {end} outside 0..{n - 1}")
        if end == start and n > 1:
            raise RoutingError("end equals start: use a loop instead")
    return n


def greedy_tour(
    D: np.ndarray, start: int = 0, *, end: int | None = None, loop: bool = False
) -> list[int]:
    """Nearest-neighbour order from ``start`` (ties → lowest index), ``end`` kept last."""
    n = _check(D, start, end, loop)
    left = [v for v in range(n) if v != start and v != end]
    order = [start]
    cur = start
    while left:
        row = D[cur]
        nxt = min(left, key=lambda v: (round(float(row[v]), 9), v))
        left.remove(nxt)
        order.append(nxt)
        cur = nxt
    if end is not None and end != start:
        order.append(end)
    return order


def _popcounts(m: int) -> np.ndarray:
    masks = np.arange(1 << m, dtype=np.int64)
    counts = np.zeros(1 << m, dtype=np.int8)
    for b in range(m):
        counts += ((masks >> b) & 1).astype(np.int8)
    return counts


def exact_tour(
    D: np.ndarray, start: int = 0, *, end: int | None = None, loop: bool = False
) -> list[int]:
    """Optimal order by Held–Karp dynamic programming (proves optimality).

    Raises
    ------
    RoutingError
        If there are more than ``EXACT_MAX_NODES`` nodes.
    """
    n = _check(D, start, end, loop)
    if n > EXACT_MAX_NODES:
        raise RoutingError(
            f"the exact solver handles at most {EXACT_MAX_NODES} stops (got {n}); use auto"
        )
    if n <= 2:
        return [start] + [v for v in range(n) if v != start]
    D = np.asarray(D, dtype=float)
    others = np.array([v for v in range(n) if v != start])
    m = len(others)
    from_start = D[start, others]
    inner = D[np.ix_(others, others)]
    full = 1 << m
    dp = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int8)
    single = 1 << np.arange(m)
    dp[single, np.arange(m)] = from_start
    # A fixed end may only be the last node: it is forbidden inside the path.
    e = int(np.nonzero(others == end)[0][0]) if end is not None else -1
    counts = _popcounts(m)
    for k in range(2, m + 1):
        layer = np.nonzero(counts == k)[0]
        for j in range(m):
            if e >= 0 and j == e and k < m:
                continue
            mj = layer[(layer >> j) & 1 == 1]
            if mj.size == 0:
                continue
            prev = mj ^ (1 << j)
            cand = dp[prev] + inner[:, j]
            if e >= 0:
                cand[:, e] = np.inf
            best = np.argmin(cand, axis=1)
            dp[mj, j] = cand[np.arange(mj.size), best]
            parent[mj, j] = best
    last_row = dp[full - 1]
    if end is not None:
        j = e
    elif loop:
        j = int(np.argmin(last_row + D[others, start]))
    else:
        j = int(np.argmin(last_row))
    mask = full - 1
    rev = []
    while j >= 0:
        rev.append(int(others[j]))
        pj = int(parent[mask, j])
        mask ^= 1 << j
        j = pj
    return [start, *reversed(rev)]


def _path_form(
    D: np.ndarray, order: Sequence[int], end: int | None, loop: bool
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return (matrix, path) where the path's first and last entries are fixed.

    A loop becomes ``start … start``; a free end gets a zero-cost dummy node appended.
    """
    if loop:
        return D, np.array([*order, order[0]]), False
    if end is not None:
        return D, np.array(order), False
    n = D.shape[0]
    Dx = np.zeros((n + 1, n + 1))
    Dx[:n, :n] = D
    return Dx, np.array([*order, n]), True


def _two_opt_pass(D: np.ndarray, P: np.ndarray) -> bool:
    improved = False
    L = len(P)
    for i in range(1, L - 2):
        a, b = P[i - 1], P[i]
        js = np.arange(i + 1, L - 1)
        c, d = P[js], P[js + 1]
        delta = D[a, c] + D[b, d] - D[a, b] - D[c, d]
        k = int(np.argmin(delta))
        if delta[k] < -_EPS:
            j = int(js[k])
            P[i : j + 1] = P[i : j + 1][::-1].copy()
            improved = True
    return improved


def _or_opt_pass(D: np.ndarray, P: np.ndarray) -> tuple[bool, np.ndarray]:
    improved = False
    for seg in (1, 2, 3):
        i = 1
        while i + seg <= len(P) - 1:
            L = len(P)
            s0, s1 = P[i], P[i + seg - 1]
            prev, nxt = P[i - 1], P[i + seg]
            gain = D[prev, s0] + D[s1, nxt] - D[prev, nxt]
            rest = np.concatenate([P[:i], P[i + seg :]])
            ks = np.arange(0, len(rest) - 1)
            u, v = rest[ks], rest[ks + 1]
            base = D[u, v]
            fwd = D[u, s0] + D[s1, v] - base
            bwd = D[u, s1] + D[s0, v] - base
            best_f, best_b = int(np.argmin(fwd)), int(np.argmin(bwd))
            use_b = bwd[best_b] < fwd[best_f]
            k = best_b if use_b else best_f
            cost = bwd[k] if use_b else fwd[k]
            if cost - gain < -_EPS:  # k == i - 1 with reversal flips the segment in place
                segment = P[i : i + seg][::-1] if use_b else P[i : i + seg]
                P = np.concatenate([rest[: k + 1], segment, rest[k + 1 :]])
                improved = True
                assert len(P) == L
            i += 1
    return improved, P


def improve(
    D: np.ndarray,
    order: Sequence[int],
    *,
    end: int | None = None,
    loop: bool = False,
    max_rounds: int = 1000,
) -> list[int]:
    """Improve ``order`` with 2-opt and Or-opt moves until none helps (start/end stay fixed)."""
    D = np.asarray(D, dtype=float)
    if len(order) <= 3:
        return list(order)
    Dx, P, dummy = _path_form(D, order, end, loop)
    P = P.copy()
    for _ in range(max_rounds):
        a = _two_opt_pass(Dx, P)
        b, P = _or_opt_pass(Dx, P)
        if not (a or b):
            break
    out = [int(v) for v in P[:-1]] if (loop or dummy) else [int(v) for v in P]
    return out


def _lkh_scale(D: np.ndarray) -> float:
    if np.array_equal(D, np.round(D)) and D.max() <= 1e6:
        return 1.0
    return 1e5 / max(float(D.max()), 1e-9)


def lkh_tour(
    D: np.ndarray,
    start: int = 0,
    *,
    end: int | None = None,
    loop: bool = False,
    runs: int = 1,
) -> list[int]:
    """Solve with LKH-3 (``elkai``); open paths use one dummy node. Needs ≥ 3 nodes."""
    import elkai

    n = _check(D, start, end, loop)
    if n <= 3:
        return exact_tour(D, start, end=end, loop=loop)
    D = np.asarray(D, dtype=float)
    scale = _lkh_scale(D)
    W = np.rint(D * scale).astype(np.int64)
    if loop:
        M = W
    else:
        big = int(W.max()) * (n + 1) + 1
        M = np.zeros((n + 1, n + 1), dtype=np.int64)
        M[:n, :n] = W
        M[n, :n] = M[:n, n] = big
        M[n, start] = M[start, n] = 0
        if end is not None:
            M[n, end] = M[end, n] = 0
    tour = elkai.DistanceMatrix(M.tolist()).solve_tsp(runs=runs)[:-1]
    k = tour.index(start)
    tour = tour[k:] + tour[:k]
    if not loop:
        if tour[-1] != n:  # the dummy must sit next to start; walk the other way round
            tour = [tour[0], *reversed(tour[1:])]
        tour = [v for v in tour if v != n]
        if end is not None and tour[-1] != end:
            raise RoutingError("LKH returned a path that does not end at the fixed end")
    return tour


def solve_tour(
    D: np.ndarray,
    start: int = 0,
    *,
    end: int | None = None,
    loop: bool = False,
    method: str = "auto",
    exact_limit: int = 16,
    lkh_runs: int = 1,
) -> Tour:
    """Solve a tour with ``method`` in :data:`SOLVERS` (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0, 1, 5], [1, 0, 1], [5, 1, 0]], dtype=float)
    >>> solve_tour(D, 0, method="exact").order
    (0, 1, 2)
    """
    D = np.asarray(D, dtype=float)
    n = _check(D, start, end, loop)
    if method not in SOLVERS:
        raise RoutingError(f"unknown solver {method!r}; choose one of {', '.join(SOLVERS)}")
    proved = False
    used = method
    if method == "greedy":
        order = greedy_tour(D, start, end=end, loop=loop)
    elif method == "exact":
        order = exact_tour(D, start, end=end, loop=loop)
        proved = True
    elif method == "local":
        order = improve(D, greedy_tour(D, start, end=end, loop=loop), end=end, loop=loop)
    elif method == "lkh" or n > min(exact_limit, EXACT_MAX_NODES):
        raw = lkh_tour(D, start, end=end, loop=loop, runs=lkh_runs)
        order = improve(D, raw, end=end, loop=loop)
        used = "auto:lkh" if method == "auto" else "lkh"
    else:
        order = exact_tour(D, start, end=end, loop=loop)
        proved = True
        used = "auto:exact"
    return Tour(tuple(order), tour_length(D, order, loop=loop), used, proved, loop)
