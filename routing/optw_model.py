"""Data model of the (team) orienteering problem with time windows, and its checker.

This module holds what every OPTW solver shares: the problem and solution dataclasses, input
validation (:func:`prepare`), the earliest-start schedule of a visiting order
(:func:`schedule`) and the independent feasibility checker (:func:`check_solution`). The
solvers live in :mod:`routing.optw_search` (greedy, ILS), :mod:`routing.optw_exact` (DP,
CP-SAT) and :mod:`routing.optw_ortools`; :mod:`routing.orienteering` is the public entry
point and explains the problem.

Time conventions
----------------
All times are minutes (floats). A route leaves its start node no earlier than
``route_open[r]`` and reaches its end node no later than ``route_close[r]``; the start and
end nodes have no service time and no window of their own inside a route (their rows of
``open``/``close`` are ignored). A stop's *service* must start within
``[open[r, i], close[r, i]]``; arriving early means waiting. So along a route::

    arrive(k) = depart(k-1) + travel[k-1, k]
    start(k)  = max(arrive(k), open[r, k])      # must be <= close[r, k]
    wait(k)   = start(k) - arrive(k)
    end(k)    = depart(k) = start(k) + service[k]

The solvers compute *earliest-start* schedules; the departure from the route's start node is
then delayed by the first stop's wait, so nobody stands at a closed gate (this changes no
other time). Comparisons use a tolerance of :data:`TIME_EPS` minutes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.distances import RoutingError

__all__ = [
    "TIME_EPS",
    "MandatoryDiagnosis",
    "OPTWProblem",
    "OPTWSolution",
    "Prepared",
    "RouteDiagnosis",
    "Visit",
    "build_routes",
    "check_solution",
    "prepare",
    "schedule",
]

TIME_EPS = 1e-6


@dataclass(frozen=True)
class OPTWProblem:
    """A team orienteering problem with time windows over plain matrices.

    Parameters
    ----------
    travel
        ``(n, n)`` travel minutes from row node to column node (need not be symmetric, need
        not obey the triangle inequality).
    service
        ``(n,)`` visit duration of each node, minutes.
    score
        ``(n,)`` profit of visiting each node (``>= 0``).
    open, close
        ``(R, n)`` earliest and latest *start of service* of node ``i`` on route (day) ``r``.
        A node is closed on a day when ``close < open`` (e.g. ``-inf`` / ``nan`` are not
        allowed; use ``close = -1``).
    route_start, route_end
        ``(R,)`` start and end node of each route (e.g. the night's lodging); may be shared
        by several routes and may be equal.
    route_open, route_close
        ``(R,)`` earliest departure from ``route_start`` and latest arrival at ``route_end``.
    mandatory
        Nodes that must be visited on some route. If that is impossible the solution says
        so (``infeasible_mandatory`` and ``diagnoses``); they are never dropped silently.
    max_stops
        At most this many stops per route (``None``: no limit).
    candidates
        The nodes that may be visited (default: every node that is not a route start or
        end). Mandatory nodes are always candidates.
    max_travel
        ``(R,)`` most travel minutes per route (e.g. a daily driving limit); ``None`` or
        ``inf``: no limit. Every solver honours it.
    travel_cost
        Score given up per travel minute (``>= 0``): the solvers maximise
        ``score - travel_cost * travel`` (after the number of mandatory nodes placed), so a
        node whose score does not pay for its detour stays out. ``0``: score only.
    metric
        Whether ``travel`` obeys the triangle inequality, if the caller knows
        (:func:`is_metric` is ``O(n³)``; a planner solving many problems over one matrix
        computes it once). ``None``: checked here.
    """

    travel: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    route_start: Sequence[int]
    route_end: Sequence[int]
    route_open: np.ndarray
    route_close: np.ndarray
    mandatory: frozenset[int] = frozenset()
    max_stops: int | None = None
    candidates: Sequence[int] | None = None
    max_travel: np.ndarray | Sequence[float] | None = None
    travel_cost: float = 0.0
    metric: bool | None = None

    @property
    def n_routes(self) -> int:
        """Number of routes (days)."""
        return len(self.route_start)


@dataclass(frozen=True)
class Visit:
    """One node on a route with its times (minutes); route ends have ``start == arrive``."""

    node: int
    arrive: float
    start: float
    end: float
    depart: float
    wait: float


@dataclass(frozen=True)
class RouteDiagnosis:
    """Why a mandatory node does not fit into one route of the returned solution.

    Attributes
    ----------
    route
        Route (day) index.
    reason
        ``"closed"`` (not open that day), ``"too_late"`` (even straight from the route's
        start the earliest arrival is after the latest start), ``"route_window"`` (even on an
        otherwise empty route, start → node → end does not fit the route's window),
        ``"travel_limit"`` (start → node → end alone travels more than ``max_travel``;
        ``needed``/``available`` are those travel minutes), ``"max_stops"`` (the route is
        full) or ``"no_time"`` (it would fit an empty route,
        but not between the stops already planned).
    window_open, window_close
        The node's window on that route (latest *start* of service).
    service
        Visit duration, minutes.
    earliest_arrival
        Arrival when driving straight from the route start at ``route_open``.
    empty_route_needed, empty_route_available
        Minutes the trip start → node → end needs on an empty route (travel + unavoidable
        waiting + service) and the minutes the route window offers.
    needed, available
        At the best insertion position of the returned route: minutes the insertion adds
        (extra travel + waiting + service) and the slack there (waits and window slack of the
        later stops). ``nan`` when no position can even meet the window.
    shortfall
        ``needed - available`` (minutes missing), or the lateness past ``window_close`` for
        ``too_late``; ``inf`` when closed.
    position
        Stop index (0 = before the first stop) of the best insertion, ``-1`` if none.
    """

    route: int
    reason: str
    window_open: float
    window_close: float
    service: float
    earliest_arrival: float
    empty_route_needed: float
    empty_route_available: float
    needed: float
    available: float
    shortfall: float
    position: int


@dataclass(frozen=True)
class MandatoryDiagnosis:
    """A mandatory node that could not be placed, with one :class:`RouteDiagnosis` per route."""

    node: int
    service: float
    routes: tuple[RouteDiagnosis, ...]

    @property
    def fits_alone(self) -> bool:
        """Whether some route could host the node if it had no other stops."""
        return any(r.reason in ("no_time", "max_stops") for r in self.routes)

    def summary(self) -> str:
        """One English line per route, minutes rounded (the itinerary layer localises)."""
        parts = []
        for d in self.routes:
            if d.reason == "closed":
                parts.append(f"route {d.route}: closed")
            elif d.reason == "too_late":
                parts.append(
                    f"route {d.route}: earliest arrival {d.earliest_arrival:.0f} is after the "
                    f"latest start {d.window_close:.0f}"
                )
            elif d.reason == "route_window":
                parts.append(
                    f"route {d.route}: needs {d.empty_route_needed:.0f} min even alone, the "
                    f"day has {d.empty_route_available:.0f} min"
                )
            elif d.reason == "max_stops":
                parts.append(f"route {d.route}: already at the maximum number of stops")
            elif d.reason == "travel_limit":
                parts.append(
                    f"route {d.route}: travels {d.needed:.0f} min even alone, the limit is "
                    f"{d.available:.0f} min"
                )
            else:
                parts.append(
                    f"route {d.route}: needs {d.needed:.0f} min (visit {d.service:.0f}), "
                    f"{d.available:.0f} min left"
                )
        return f"node {self.node}: " + "; ".join(parts)


@dataclass(frozen=True)
class OPTWSolution:
    """Routes (each from its start node to its end node, depots included as visits) and totals.

    Attributes
    ----------
    routes
        One tuple of :class:`Visit` per route; the first is the route's start node, the last
        its end node (both with zero service), the others the stops.
    score
        Sum of the scores of the stops.
    travel
        Total travel minutes over all legs of all routes.
    solver
        Which method produced it (e.g. ``"ils"``, ``"auto:exact"``).
    proved_optimal
        Whether optimality was proved (exact DP, or CP-SAT status ``OPTIMAL``).
    unvisited
        Candidate nodes not on any route (ascending).
    infeasible_mandatory
        Mandatory nodes that could not be placed (ascending); see ``diagnoses``.
    diagnoses
        One :class:`MandatoryDiagnosis` per node of ``infeasible_mandatory``.
    """

    routes: tuple[tuple[Visit, ...], ...]
    score: float
    travel: float
    solver: str
    proved_optimal: bool
    unvisited: tuple[int, ...]
    infeasible_mandatory: tuple[int, ...]
    diagnoses: tuple[MandatoryDiagnosis, ...] = ()

    def stops(self, route: int) -> tuple[int, ...]:
        """Nodes of the stops of ``route`` in order (start and end nodes excluded)."""
        return tuple(v.node for v in self.routes[route][1:-1])

    @property
    def visited(self) -> frozenset[int]:
        """Every node visited as a stop on some route."""
        return frozenset(v.node for r in self.routes for v in r[1:-1])


@dataclass(frozen=True)
class Prepared:
    """Validated arrays (float64, C-contiguous) used by all solvers."""

    travel: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    route_start: tuple[int, ...]
    route_end: tuple[int, ...]
    route_open: np.ndarray
    route_close: np.ndarray
    mandatory: frozenset[int]
    max_stops: int | None
    candidates: tuple[int, ...]
    static_ok: np.ndarray  # (R, n) bool: node alone fits route r
    usable: tuple[int, ...]  # candidates that fit some route alone and are worth visiting
    max_travel: np.ndarray  # (R,) most travel minutes per route (inf: no limit)
    travel_cost: float  # score per travel minute given up

    @property
    def travel_limited(self) -> bool:
        """Whether some route has a finite travel limit."""
        return bool(np.isfinite(self.max_travel).any())

    def objective(self, score: float, travel: float) -> float:
        """``score - travel_cost * travel`` (the value the solvers maximise)."""
        return score - self.travel_cost * travel if self.travel_cost else score

    @property
    def n(self) -> int:
        return self.travel.shape[0]

    @property
    def n_routes(self) -> int:
        return len(self.route_start)

    def route_cap(self) -> int:
        return self.max_stops if self.max_stops is not None else self.n


def _array(x: object, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        a = np.array(x, dtype=float)
    except (TypeError, ValueError) as e:
        raise RoutingError(f"{name} must be numeric") from e
    if a.shape != shape:
        raise RoutingError(f"{name} must have shape {shape}, got {a.shape}")
    if np.isnan(a).any():
        raise RoutingError(f"{name} contains NaN")
    return np.ascontiguousarray(a)


def prepare(problem: OPTWProblem) -> Prepared:  # noqa: C901
    """Validate ``problem`` and return float arrays plus static per-node feasibility.

    Raises
    ------
    RoutingError
        On wrong shapes, negative times or scores, bad indices, or a route whose start →
        end trip alone does not fit its window.
    """
    T = np.array(problem.travel, dtype=float)
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] == 0:
        raise RoutingError("travel must be a non-empty square matrix")
    n = T.shape[0]
    T = _array(T, (n, n), "travel")
    if not np.isfinite(T).all() or (T < 0).any():
        raise RoutingError("travel times must be finite and >= 0")
    d = _array(problem.service, (n,), "service")
    s = _array(problem.score, (n,), "score")
    if not np.isfinite(d).all() or (d < 0).any():
        raise RoutingError("service times must be finite and >= 0")
    if not np.isfinite(s).all() or (s < 0).any():
        raise RoutingError("scores must be finite and >= 0")
    R = len(problem.route_start)
    if R == 0 or len(problem.route_end) != R:
        raise RoutingError("need at least one route and as many route ends as starts")
    opn = _array(problem.open, (R, n), "open")
    cls = _array(problem.close, (R, n), "close")
    ro = _array(problem.route_open, (R,), "route_open")
    rc = _array(problem.route_close, (R,), "route_close")
    starts = tuple(int(v) for v in problem.route_start)
    ends = tuple(int(v) for v in problem.route_end)
    for v in (*starts, *ends):
        if not 0 <= v < n:
            raise RoutingError(f"route start/end {v} outside 0..{n - 1}")
    if not (np.isfinite(ro).all() and np.isfinite(rc).all()):
        raise RoutingError("route windows must be finite")
    if problem.max_travel is None:
        cap = np.full(R, np.inf)
    else:
        cap = np.array(problem.max_travel, dtype=float)
        if cap.shape != (R,) or np.isnan(cap).any() or (cap < 0).any():
            raise RoutingError(f"max_travel must have shape ({R},), values >= 0 (inf: no limit)")
    cost = float(problem.travel_cost)
    if not math.isfinite(cost) or cost < 0:
        raise RoutingError("travel_cost must be finite and >= 0")
    for r in range(R):
        if ro[r] + T[starts[r], ends[r]] > rc[r] + TIME_EPS:
            raise RoutingError(
                f"route {r}: even going straight from node {starts[r]} to node {ends[r]} "
                f"misses its window [{ro[r]:g}, {rc[r]:g}]"
            )
        if T[starts[r], ends[r]] > cap[r] + TIME_EPS:
            raise RoutingError(
                f"route {r}: going straight from node {starts[r]} to node {ends[r]} takes "
                f"{T[starts[r], ends[r]]:g} min, more than its max_travel {cap[r]:g}"
            )
    depots = set(starts) | set(ends)
    mand = frozenset(int(v) for v in problem.mandatory)
    for v in mand:
        if not 0 <= v < n:
            raise RoutingError(f"mandatory node {v} outside 0..{n - 1}")
        if v in depots:
            raise RoutingError(f"mandatory node {v} is a route start/end")
    if problem.candidates is None:
        cands = [v for v in range(n) if v not in depots]
    else:
        cands = sorted({int(v) for v in problem.candidates})
        for v in cands:
            if not 0 <= v < n:
                raise RoutingError(f"candidate {v} outside 0..{n - 1}")
            if v in depots:
                raise RoutingError(
                    f"candidate {v} is a route start/end; give the site its own node "
                    "(a duplicate row/column) to visit it"
                )
    cand_t = tuple(sorted(set(cands) | mand))
    if problem.max_stops is not None and problem.max_stops < 0:
        raise RoutingError("max_stops must be >= 0")
    # A node fits route r alone iff start -> node -> end meets both windows.
    st = np.array(starts)
    en = np.array(ends)
    arrive = ro[:, None] + T[st, :]
    begin = np.maximum(arrive, opn)
    alone = (begin <= cls + TIME_EPS) & (begin + d[None, :] + T[:, en].T <= rc[:, None] + TIME_EPS)
    alone &= cls >= opn
    alone &= T[st, :] + T[:, en].T <= cap[:, None] + TIME_EPS
    metric = is_metric(T) if problem.metric is None else bool(problem.metric)
    if not metric:
        # Without the triangle inequality a detour through other nodes can be shorter than
        # the direct leg: a node that does not fit alone may still fit between others, and a
        # zero-score node may be the bridge that makes a route feasible. Prune nothing then.
        alone = np.broadcast_to(cls >= opn, (R, n)).copy()
    if problem.max_stops == 0:
        alone[:] = False
    ok = np.zeros((R, n), dtype=bool)
    idx = np.array(cand_t, dtype=int)
    if idx.size:
        ok[:, idx] = alone[:, idx]
    usable = tuple(int(v) for v in idx if ok[:, v].any() and (s[v] > 0 or v in mand or not metric))
    return Prepared(
        travel=T,
        service=d,
        score=s,
        open=opn,
        close=cls,
        route_start=starts,
        route_end=ends,
        route_open=ro,
        route_close=rc,
        mandatory=mand,
        max_stops=problem.max_stops,
        candidates=cand_t,
        static_ok=ok,
        usable=usable,
        max_travel=cap,
        travel_cost=cost,
    )


def is_metric(T: np.ndarray, tol: float = TIME_EPS) -> bool:
    """True if ``T`` obeys the triangle inequality (``T[i, j] <= T[i, k] + T[k, j]``).

    The solvers prune nodes that cannot fit a route on their own and skip zero-score nodes;
    both are safe only on such matrices (e.g. shortest-path times, Euclidean distances).
    """
    T = np.asarray(T, dtype=float)
    return all(not (T[:, k, None] + T[None, k, :] < T - tol).any() for k in range(len(T)))


def schedule(P: Prepared, r: int, stops: Sequence[int]) -> list[Visit] | None:
    """Earliest-start schedule of ``stops`` on route ``r``, or ``None`` if infeasible.

    The departure from the start node is delayed by the first stop's wait (see the module
    docstring), so the first stop never waits.
    """
    T = P.travel
    opn = P.open[r]
    cls = P.close[r]
    s0 = P.route_start[r]
    t = float(P.route_open[r])
    prev = s0
    out: list[Visit] = []
    for v in stops:
        a = t + T[prev, v]
        b = max(a, opn[v])
        if b > cls[v] + TIME_EPS:
            return None
        e = b + P.service[v]
        out.append(Visit(int(v), float(a), float(b), float(e), float(e), float(b - a)))
        t = e
        prev = v
    a = t + T[prev, P.route_end[r]]
    if a > P.route_close[r] + TIME_EPS:
        return None
    if P.max_travel[r] < math.inf:
        nodes = [s0, *stops, P.route_end[r]]
        if sum(T[x, y] for x, y in itertools.pairwise(nodes)) > P.max_travel[r] + TIME_EPS:
            return None
    end = Visit(P.route_end[r], float(a), float(a), float(a), float(a), 0.0)
    dep = float(P.route_open[r])
    if out and out[0].wait > 0:
        first = out[0]
        dep += first.wait
        out[0] = Visit(first.node, first.start, first.start, first.end, first.depart, 0.0)
    start = Visit(s0, dep, dep, dep, dep, 0.0)
    return [start, *out, end]


def build_routes(
    P: Prepared, stops: Sequence[Sequence[int]]
) -> tuple[tuple[tuple[Visit, ...], ...], float, float]:
    """Schedules for all routes, total score and total travel.

    Raises
    ------
    RoutingError
        If a route is infeasible (a solver bug: solvers only return feasible orders).
    """
    routes = []
    score = 0.0
    travel = 0.0
    for r, seq in enumerate(stops):
        sch = schedule(P, r, seq)
        if sch is None:
            raise RoutingError(f"internal error: route {r} {list(seq)} is infeasible")
        routes.append(tuple(sch))
        score += float(sum(P.score[v] for v in seq))
        nodes = [P.route_start[r], *seq, P.route_end[r]]
        travel += float(sum(P.travel[a, b] for a, b in itertools.pairwise(nodes)))
    return tuple(routes), score, travel


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=tol)


def check_solution(problem: OPTWProblem, sol: OPTWSolution, *, tol: float = 1e-5) -> list[str]:  # noqa: C901
    """Independently check ``sol`` against ``problem``; return the violations found.

    Checks: one route per day, each from its start node to its end node; stops are
    candidates, open on that day, at most once overall and at most ``max_stops`` per route;
    times add up (``start = arrive + wait``, ``wait >= 0``, ``end = start + service``,
    ``depart = end``, next ``arrive = depart + travel``); every service starts within its
    window; the route leaves no earlier than ``route_open``, arrives no later than
    ``route_close`` and travels at most ``max_travel``; every mandatory node is either
    visited or reported in ``infeasible_mandatory`` (with a diagnosis); ``score``,
    ``travel`` and ``unvisited`` match.

    Returns
    -------
    list of str
        Human-readable violations; empty when the solution is feasible and consistent.
    """
    errs: list[str] = []
    T = np.asarray(problem.travel, dtype=float)
    d = np.asarray(problem.service, dtype=float)
    sc = np.asarray(problem.score, dtype=float)
    opn = np.asarray(problem.open, dtype=float)
    cls = np.asarray(problem.close, dtype=float)
    n = T.shape[0]
    R = len(problem.route_start)
    depots = set(problem.route_start) | set(problem.route_end)
    mand = set(problem.mandatory)
    if problem.candidates is None:
        cands = {v for v in range(n) if v not in depots}
    else:
        cands = set(problem.candidates)
    cands |= mand
    if len(sol.routes) != R:
        return [f"{len(sol.routes)} routes for {R} days"]
    seen: dict[int, int] = {}
    score = 0.0
    travel = 0.0
    for r, route in enumerate(sol.routes):
        if len(route) < 2:
            errs.append(f"route {r}: fewer than two visits (start and end)")
            continue
        first, last = route[0], route[-1]
        if first.node != problem.route_start[r]:
            errs.append(f"route {r}: starts at {first.node}, not {problem.route_start[r]}")
        if last.node != problem.route_end[r]:
            errs.append(f"route {r}: ends at {last.node}, not {problem.route_end[r]}")
        if first.depart < problem.route_open[r] - tol:
            errs.append(f"route {r}: departs {first.depart} before {problem.route_open[r]}")
        if last.arrive > problem.route_close[r] + tol:
            errs.append(f"route {r}: arrives {last.arrive} after {problem.route_close[r]}")
        stops = route[1:-1]
        if problem.max_travel is not None:
            legs = sum(float(T[a.node, b.node]) for a, b in itertools.pairwise(route))
            if legs > float(np.asarray(problem.max_travel, dtype=float)[r]) + tol:
                errs.append(f"route {r}: travels {legs} min > max_travel")
        if problem.max_stops is not None and len(stops) > problem.max_stops:
            errs.append(f"route {r}: {len(stops)} stops > max_stops {problem.max_stops}")
        for k in range(1, len(route)):
            a, b = route[k - 1], route[k]
            leg = float(T[a.node, b.node])
            travel += leg
            if not _close(b.arrive, a.depart + leg, tol):
                errs.append(
                    f"route {r}: arrive {b.arrive} at {b.node} != depart {a.depart} + travel {leg}"
                )
        for v in stops:
            i = v.node
            if i not in cands:
                errs.append(f"route {r}: node {i} is not a candidate")
                continue
            if i in seen:
                errs.append(f"node {i} visited on routes {seen[i]} and {r}")
            seen[i] = r
            score += float(sc[i])
            if cls[r, i] < opn[r, i]:
                errs.append(f"route {r}: node {i} is closed that day")
            if v.start < opn[r, i] - tol or v.start > cls[r, i] + tol:
                errs.append(
                    f"route {r}: node {i} starts {v.start} outside [{opn[r, i]}, {cls[r, i]}]"
                )
            if v.wait < -tol or not _close(v.start, v.arrive + v.wait, tol):
                errs.append(f"route {r}: node {i} start != arrive + wait (wait >= 0)")
            if not _close(v.end, v.start + float(d[i]), tol):
                errs.append(f"route {r}: node {i} end != start + service")
            if not _close(v.depart, v.end, tol):
                errs.append(f"route {r}: node {i} depart != end")
        for v in (first, last):
            if not (_close(v.start, v.arrive, tol) and _close(v.end, v.start, tol)):
                errs.append(f"route {r}: start/end node {v.node} has inconsistent times")
            if not _close(v.depart, v.end, tol) or abs(v.wait) > tol:
                errs.append(f"route {r}: start/end node {v.node} has inconsistent times")
    visited = set(seen)
    inf_m = set(sol.infeasible_mandatory)
    for node in sorted(mand - visited):
        if node not in inf_m:
            errs.append(f"mandatory node {node} dropped silently")
    for node in sorted(inf_m & visited):
        errs.append(f"mandatory node {node} reported infeasible but visited")
    for node in sorted(inf_m - mand):
        errs.append(f"node {node} reported as infeasible mandatory but is not mandatory")
    diag = {g.node for g in sol.diagnoses}
    if diag != inf_m:
        errs.append("diagnoses do not match infeasible_mandatory")
    if not _close(sol.score, score, 1e-6 * max(1.0, abs(score))):
        errs.append(f"score {sol.score} != sum of visited scores {score}")
    if not _close(sol.travel, travel, tol * (1 + len(seen))):
        errs.append(f"travel {sol.travel} != sum of legs {travel}")
    if tuple(sorted(cands - visited)) != tuple(sol.unvisited):
        errs.append("unvisited does not list exactly the candidates left out")
    return errs
