"""Multi-day trip selection: the team orienteering problem with time windows (TOPTW).

Problem
-------
A tourist has ``R`` days (routes). Day ``r`` leaves its start node (the night's lodging) no
earlier than ``route_open[r]`` and must reach its end node by ``route_close[r]``. Each
candidate site ``i`` has a score (interest for the theme), a visit duration and, per day, a
window for the *start* of the visit (opening hours of that date; a site closed that day has
``close < open``). Arriving early means waiting. Choose which sites to visit on which day
and in which order to maximise the total score, each site at most once, optionally with at
most ``max_stops`` per day and a set of must-visit (``mandatory``) sites. This is the tourist
trip design problem of Vansteenwegen & Van Oudheusden (2007); with one route it is the
orienteering problem with time windows (OPTW), NP-hard.

Everything here works on plain matrices (``travel`` minutes between nodes, need not be
symmetric): the planner turns sites, dates, pace and transport mode into an
:class:`OPTWProblem` and reads the :class:`OPTWSolution` back.

Solvers (``method``)
--------------------
``greedy``
    Best-ratio insertion (``score² / Shift``), mandatory nodes first — the baseline.
``ils``
    Iterated local search after Vansteenwegen et al. (2009) (shake + ratio insertion with
    Wait/MaxShift bookkeeping), extended with replace/exchange moves, 2-opt/or-opt that
    free time, randomised removals and noisy insertion, and best-of restarts (see
    :mod:`routing.optw_search`); started from ``greedy`` and never worse than it.
    Deterministic for a seed: it stops after ``max_iter`` iterations or ``stall``
    iterations without improvement (:func:`ils_budget`); ``time_limit_s`` is only a
    safety net.
``exact``
    Subset dynamic programming (floating point, proves optimality) for up to
    :data:`~routing.optw_exact.DP_MAX_CANDIDATES` usable candidates on one route, or
    :data:`~routing.optw_exact.DP_MAX_MULTI` on several.
``cpsat``
    CP-SAT circuit model with integer times scaled by 100, for a few dozen candidates; proves
    optimality when it finishes within ``time_limit_s`` (and the scaling is exact).
``ortools``
    OR-Tools routing with disjunctions and a time dimension, guided local search for
    ``time_limit_s`` — the peer baseline.
``auto``
    ``exact`` when there are at most :data:`AUTO_EXACT_MAX` usable candidates (and the DP
    takes them: 16 on one route, 12 on several — well under a second), else ``ils``.

"Usable" candidates are those with a positive score (or mandatory) that fit at least one
day on their own (start → site → end within both windows); the others can never be part of
a solution and are reported in ``unvisited``.

Must-visit sites
----------------
Mandatory nodes are placed before anything else (the most constrained first; if that fails
and there are few of them, the subset DP finds the largest set that fits), and every
comparison counts them first, so no solution with fewer of them is ever preferred (the ILS
may still move a must-visit to another day or position). One that cannot be placed is
listed in ``infeasible_mandatory``, with a :class:`MandatoryDiagnosis` per node: for every
day, whether the site is closed, reachable too late, too long for the day even alone, or —
the usual case — how many minutes its best insertion needs versus the minutes left there
("needs 150 min, 90 min left"). A solution never drops a must-visit silently, and
:func:`check_solution` verifies that.

Results
-------
Every route lists its visits from the start node to the end node with ``arrive``,
``start``, ``end``, ``depart`` and ``wait`` (earliest starts; the departure from the lodging
is delayed so the first stop has no wait). :func:`check_solution` re-checks any solution
independently of the solvers (windows, times adding up, each node at most once, mandatory
handling, totals).

References
----------
Vansteenwegen, Souffriau, Vanden Berghe & Van Oudheusden (2009), *Iterated local search for
the team orienteering problem with time windows*, Computers & OR 36(12), 3281–3290.
Vansteenwegen & Van Oudheusden (2007), *The mobile tourist guide: an OR opportunity*,
OR Insight 20(3).
Righini & Salani (2009), *Decremental state space relaxation strategies … for the
orienteering problem with time windows*, Computers & OR 36(4).
"""

from __future__ import annotations

import math
import time

from routing.distances import RoutingError
from routing.optw_exact import dp_limit, solve_cpsat, solve_dp
from routing.optw_model import (
    TIME_EPS,
    MandatoryDiagnosis,
    OPTWProblem,
    OPTWSolution,
    Prepared,
    RouteDiagnosis,
    Visit,
    build_routes,
    check_solution,
    prepare,
    schedule,
)
from routing.optw_ortools import solve_ortools
from routing.optw_search import Search

__all__ = [
    "AUTO_EXACT_MAX",
    "ILS_MAX_ITER",
    "ILS_RUN_STALL",
    "ILS_STALL",
    "METHODS",
    "MandatoryDiagnosis",
    "OPTWProblem",
    "OPTWSolution",
    "RouteDiagnosis",
    "Visit",
    "check_solution",
    "diagnose_mandatory",
    "ils_budget",
    "schedule_stops",
    "solve_optw",
]

METHODS = ("auto", "ils", "greedy", "exact", "cpsat", "ortools")
AUTO_EXACT_MAX = 16
ILS_MAX_ITER = 1000
ILS_STALL = 500
ILS_RUN_STALL = 300


def ils_budget(n_usable: int) -> tuple[int, int]:
    """Default ``(stall, run_stall)`` of the ILS for ``n_usable`` usable candidates.

    ``stall = clamp(25 k, 300, ILS_STALL)`` and ``run_stall = clamp(10 k, 100,
    ILS_RUN_STALL)``: small trips converge in a few hundred cheap iterations, the 100–300
    node benchmark instances get the full budget.
    """
    stall = min(ILS_STALL, max(300, 25 * n_usable))
    run_stall = min(ILS_RUN_STALL, max(100, 10 * n_usable))
    return stall, run_stall


def schedule_stops(problem: OPTWProblem, stops: list[list[int]]) -> list[list[Visit]] | None:
    """Earliest-start schedules of the given stops per route, or ``None`` if infeasible."""
    P = prepare(problem)
    out = []
    for r, seq in enumerate(stops):
        sch = schedule(P, r, seq)
        if sch is None:
            return None
        out.append(sch)
    return out


def _diagnose(P: Prepared, stops: list[list[int]], v: int) -> MandatoryDiagnosis:
    T = P.travel
    out = []
    for r in range(P.n_routes):
        s0, e0 = P.route_start[r], P.route_end[r]
        o, c = float(P.open[r, v]), float(P.close[r, v])
        ro, rc = float(P.route_open[r]), float(P.route_close[r])
        d = float(P.service[v])
        ea = ro + float(T[s0, v])
        empty_needed = max(ea, o) - ro + d + float(T[v, e0])

        def rd(
            reason: str, needed: float, available: float, shortfall: float, pos: int = -1
        ) -> RouteDiagnosis:
            return RouteDiagnosis(
                route=r,  # noqa: B023 (called at once)
                window_open=o,  # noqa: B023
                window_close=c,  # noqa: B023
                service=d,  # noqa: B023
                earliest_arrival=ea,  # noqa: B023
                empty_route_needed=empty_needed,  # noqa: B023
                empty_route_available=rc - ro,  # noqa: B023
                reason=reason,
                needed=needed,
                available=available,
                shortfall=shortfall,
                position=pos,
            )

        nan = math.nan
        if c < o:
            out.append(rd("closed", nan, nan, math.inf))
            continue
        if ea > c + TIME_EPS:
            out.append(rd("too_late", nan, nan, ea - c))
            continue
        if empty_needed > rc - ro + TIME_EPS:
            out.append(rd("route_window", empty_needed, rc - ro, empty_needed - (rc - ro)))
            continue
        via = float(T[s0, v] + T[v, e0])
        if via > P.max_travel[r] + TIME_EPS:
            cap = float(P.max_travel[r])
            out.append(rd("travel_limit", via, cap, via - cap))
            continue
        seq = stops[r]
        if len(seq) >= P.route_cap():
            out.append(rd("max_stops", nan, nan, math.inf))
            continue
        # earliest-start times and the slack (wait + MaxShift) after each position
        nodes = [s0, *seq, e0]
        dep = [ro]
        starts = [ro]
        waits = [0.0]
        for k in range(1, len(nodes)):
            a = dep[-1] + float(T[nodes[k - 1], nodes[k]])
            b = max(a, float(P.open[r, nodes[k]])) if k < len(nodes) - 1 else a
            starts.append(b)
            waits.append(b - a)
            dep.append(b + (float(P.service[nodes[k]]) if k < len(nodes) - 1 else 0.0))
        ms = rc - starts[-1]
        slack = [0.0] * (len(nodes) - 1)
        slack[-1] = ms
        for k in range(len(nodes) - 2, 0, -1):
            ms = min(float(P.close[r, nodes[k]]) - starts[k], slack[k])
            slack[k - 1] = waits[k] + ms
        best = (math.inf, nan, nan, -1)
        for p in range(len(nodes) - 1):
            i, j = nodes[p], nodes[p + 1]
            a = dep[p] + float(T[i, v])
            b = max(a, o)
            shift = b - dep[p] + d + float(T[v, j]) - float(T[i, j])
            short = max(b - c, shift - slack[p])
            if short < best[0] - 1e-12:
                best = (short, shift, slack[p], p)
        short, shift, avail, p = best
        out.append(rd("no_time", shift, avail, short, p))
    return MandatoryDiagnosis(node=int(v), service=float(P.service[v]), routes=tuple(out))


def diagnose_mandatory(
    problem: OPTWProblem, solution: OPTWSolution
) -> tuple[MandatoryDiagnosis, ...]:
    """Diagnoses of the solution's infeasible mandatory nodes against its routes."""
    P = prepare(problem)
    stops = [list(solution.stops(r)) for r in range(P.n_routes)]
    return tuple(_diagnose(P, stops, v) for v in solution.infeasible_mandatory)


def _finish(P: Prepared, stops: list[list[int]], solver: str, proved: bool) -> OPTWSolution:
    routes, score, travel = build_routes(P, stops)
    visited = {v for seq in stops for v in seq}
    missing = tuple(sorted(P.mandatory - visited))
    return OPTWSolution(
        routes=routes,
        score=score,
        travel=travel,
        solver=solver,
        proved_optimal=proved and not missing,
        unvisited=tuple(v for v in P.candidates if v not in visited),
        infeasible_mandatory=missing,
        diagnoses=tuple(_diagnose(P, stops, v) for v in missing),
    )


def _mandatory_seed(P: Prepared, S: Search) -> list[list[int]]:
    """Routes holding as many mandatory nodes as possible (greedy, else DP on them alone)."""
    routes = S.make([[] for _ in range(P.n_routes)])
    S.place_mandatory(routes)
    stops = [rt.stops for rt in routes]
    placed = sum(len(s) for s in stops)
    usable_m = tuple(v for v in P.usable if v in P.mandatory)
    if placed < len(usable_m) and len(usable_m) <= dp_limit(P.n_routes):
        alt = solve_dp(P, usable_m)
        if sum(len(s) for s in alt) > placed:
            stops = alt
    return stops


def solve_optw(
    problem: OPTWProblem,
    *,
    method: str = "auto",
    time_limit_s: float = 10.0,
    seed: int = 0,
    max_iter: int = ILS_MAX_ITER,
    stall: int | None = None,
    run_stall: int | None = None,
) -> OPTWSolution:
    """Solve a (team) orienteering problem with time windows.

    Parameters
    ----------
    problem
        The instance (see :class:`OPTWProblem`).
    method : {"auto", "ils", "greedy", "exact", "cpsat", "ortools"}, default "auto"
        Solver, see the module docstring.
    time_limit_s : default 10.0
        Wall-clock limit in seconds: a safety net for ``ils`` (its iteration caps normally
        stop it first), the search time of ``ortools`` (GLS always uses all of it) and the
        limit of ``cpsat``.
    seed : default 0
        Seed of the ILS's random choices (same seed and inputs → same solution, unless the
        time limit cuts the search).
    max_iter : default :data:`ILS_MAX_ITER`
        ILS iteration cap.
    stall, run_stall : default None
        ILS stops after ``stall`` iterations without improving its best solution; each of
        its runs after ``run_stall`` iterations without improving the run's best (then a new
        run starts from a fresh randomised construction). ``None``: :func:`ils_budget` of
        the number of usable candidates.

    Returns
    -------
    OPTWSolution
        Routes with times, totals, ``unvisited``, ``infeasible_mandatory`` and diagnoses.

    Raises
    ------
    RoutingError
        On invalid input, an unknown method, or ``exact`` on too many candidates.

    Examples
    --------
    >>> import numpy as np
    >>> T = np.array([[0, 10, 10], [10, 0, 15], [10, 15, 0]], dtype=float)
    >>> p = OPTWProblem(
    ...     travel=T, service=np.array([0, 30, 30.0]), score=np.array([0, 5, 3.0]),
    ...     open=np.zeros((1, 3)), close=np.full((1, 3), 100.0), route_start=[0],
    ...     route_end=[0], route_open=np.array([0.0]), route_close=np.array([60.0]))
    >>> sol = solve_optw(p)
    >>> sol.stops(0), sol.score, sol.solver
    ((1,), 5.0, 'auto:exact')
    """
    if method not in METHODS:
        raise RoutingError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    P = prepare(problem)
    deadline = time.perf_counter() + float(time_limit_s)
    if method == "auto":
        small = len(P.usable) <= min(AUTO_EXACT_MAX, dp_limit(P.n_routes))
        method_used = "exact" if small else "ils"
        label = f"auto:{method_used}"
    else:
        method_used = label = method
    if method_used == "exact":
        return _finish(P, solve_dp(P), label, True)
    if method_used == "ortools":
        return _finish(P, solve_ortools(P, time_limit_s=time_limit_s), label, False)
    S = Search(P)
    seed_stops = _mandatory_seed(P, S)
    if method_used == "cpsat":
        greedy = S.greedy(seed_stops)
        stops, proved = solve_cpsat(
            P, time_limit_s=time_limit_s, seed=seed, hint=[rt.stops for rt in greedy]
        )
        if S.key(S.make(stops)) < S.key(greedy):
            stops, proved = [rt.stops for rt in greedy], False
        return _finish(P, stops, label, proved)
    routes = S.greedy(seed_stops)
    if method_used == "ils":
        auto_stall, auto_run = ils_budget(len(P.usable))
        routes, _ = S.ils(
            routes,
            max_iter=max_iter,
            stall=auto_stall if stall is None else stall,
            run_stall=auto_run if run_stall is None else run_stall,
            deadline=deadline,
            seed=seed,
        )
    return _finish(P, [rt.stops for rt in routes], label, False)
