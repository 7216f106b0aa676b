"""The trip as a team orienteering problem with time windows, and the choice of nights.

One route per day from the night before's lodging to the night's lodging; the lunch break is
reserved inside each day and placed when the day is timed (:mod:`planner.trip.days`).
Lodging: ``fixed`` returns to the start town every night; ``choose`` lets the planner pick
each night's base among the lodging towns (the orienteering problem with hotel selection):
the towns are chosen to cover the candidates' clusters, every feasible sequence of them is
screened (greedy, then a short local search) and the best few are solved in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from planner.messages import msg
from planner.service import PlanError
from planner.trip.request import Effort, Lodging
from planner.trip.setup import Setup
from routing.orienteering import OPTWProblem, OPTWSolution, solve_optw

__all__ = [
    "EFFORT",
    "SCREEN_KEEP",
    "SCREEN_QUICK",
    "day_route_close",
    "night_sequences",
    "optw_problem",
    "solve_trip",
]

#: night sequences solved in full, after the greedy screen and the short ILS screen of
#: :data:`SCREEN_QUICK` sequences
SCREEN_KEEP = 3
SCREEN_QUICK = 16
#: at most this many lodging towns besides the start and end, and at most
#: :data:`MAX_SEQUENCES` night sequences (they grow as towns ** (days - 1))
MAX_TOWNS = 8
MAX_SEQUENCES = 200
#: a town covers a candidate it reaches within this many minutes, there and back …
COVER_MIN = 60.0
#: … and is a lodging town only if it reaches some candidate within this many
REACH_MIN = 120.0
#: (stall, run_stall) of the ILS per effort level; None = the solver's own budget
EFFORT: dict[Effort, tuple[int | None, int | None]] = {
    Effort.quick: (20, 10),
    Effort.normal: (40, 20),
    Effort.thorough: (None, None),
}


def day_route_close(s: Setup) -> float:
    """The latest arrival at the night's lodging the solver allows: the day's end less the
    lunch break it reserves in every day (a day that is only a transfer holds lunch too)."""
    return float(s.day_close - s.lunch)


def optw_problem(
    s: Setup, nights: Sequence[int], reserve: dict[int, float] | None = None
) -> OPTWProblem:
    """The OPTW instance of the trip for one sequence of nights (``reserve``: extra minutes
    kept free on some days, when a re-plan needs them)."""
    route_start = [s.start, *nights[:-1]]
    opn, cls = s.open, s.close
    if s.lunch > 0:
        # The solver's clock runs a lunch behind the real one after the lunch window: a stop
        # that closes after the window opens, or opens after it ends, is likely visited after
        # lunch, so its window moves earlier by the lunch (keeps the timed day feasible).
        lo, hi = s.lunch_window
        is_open = s.close >= s.open
        cls = np.where(is_open & (s.close > lo), s.close - s.lunch, s.close)
        opn = np.where(is_open & (s.open >= hi), s.open - s.lunch, s.open)
    close = np.full(len(nights), day_route_close(s))
    for r, extra in (reserve or {}).items():
        close[r] = max(close[r] - extra, s.day_open + s.travel[route_start[r], nights[r]])
    return OPTWProblem(
        travel=s.travel,
        service=s.service,
        score=s.score,
        open=opn,
        close=cls,
        route_start=route_start,
        route_end=list(nights),
        route_open=np.full(len(nights), s.day_open),
        # the lunch break is reserved inside each day and placed when the day is timed
        route_close=close,
        mandatory=s.mandatory,
        max_stops=s.max_stops,
        candidates=list(s.candidates),
        max_travel=np.full(len(nights), s.max_drive),
        travel_cost=s.drive_weight,
        metric=s.metric,
    )


def _transfers(s: Setup) -> np.ndarray:
    """``ok[a, b]``: a day may go from town ``a`` to town ``b`` (its direct transfer fits the
    driving limit and the day with its lunch break — the route window the solver gets)."""
    n = len(s.towns)
    hop = s.travel[:n, :n]
    return (hop <= s.max_drive) & (s.day_open + hop <= day_route_close(s))


def _days_from(ok: np.ndarray, origin: int) -> np.ndarray:
    """Fewest days from town ``origin`` to every town over the transfers ``ok`` (inf: never)."""
    out = np.full(ok.shape[0], np.inf)
    out[origin] = 0
    frontier = {origin}
    day = 0
    while frontier:
        day += 1
        nxt = {int(b) for a in frontier for b in np.flatnonzero(ok[a]) if out[b] == np.inf}
        out[list(nxt)] = day
        frontier = nxt
    return out


def _last_night(s: Setup) -> int:
    return s.end if s.end is not None else s.start  # a trip returns to its start unless told


def night_sequences(s: Setup) -> list[tuple[int, ...]]:
    """Every sequence of lodging towns worth trying (the last night is the trip's end).

    Only sequences whose every day's direct transfer fits the driving limit and the day with
    its lunch break (the same route window the solver gets) are kept: the others would fail
    in the solver. Built town by town, dropping a prefix that cannot reach the end in time.
    """
    days = s.req.days
    last = _last_night(s)
    if s.req.lodging == Lodging.fixed or days == 1:
        combos: list[tuple[int, ...]] = [tuple([s.start] * (days - 1))]
        pool = [s.start]
    else:
        pool = lodging_towns(s)
        combos = []
    ok = _transfers(s)
    to_end = _days_from(ok.T, last)
    if s.req.lodging != Lodging.fixed and days > 1:

        def extend(prefix: tuple[int, ...], here: int) -> None:
            left = days - 1 - len(prefix)  # nights still to choose before the last
            if left == 0:
                combos.append(prefix)
                return
            for t in pool:
                if ok[here, t] and to_end[t] <= left:
                    extend((*prefix, t), t)

        extend((), s.start)
    seqs = []
    for combo in combos:
        seq = (*combo, last)
        starts = (s.start, *combo)
        if all(ok[a, b] for a, b in zip(starts, seq, strict=True)):
            seqs.append(seq)
    return seqs


def _count_sequences(ok: np.ndarray, pool: Sequence[int], start: int, last: int, days: int) -> int:
    """How many night sequences :func:`night_sequences` yields over ``pool`` (a path count)."""
    idx = list(pool)
    a = ok[np.ix_(idx, idx)].astype(float)
    ways = np.array([1.0 if t == start else 0.0 for t in idx]) @ a if days > 1 else None
    if ways is None:
        return int(ok[start, last])
    for _ in range(days - 2):
        ways = ways @ a
    return round(float(ways @ ok[idx, last].astype(float)))


def lodging_towns(s: Setup) -> list[int]:
    """Towns worth sleeping in: the start and end, then bases chosen for the trip.

    A town is eligible when the trip can get there from the start and back to its end in
    its days (direct transfers within the driving limit) and it reaches some candidate within
    :data:`REACH_MIN`. Towns are chosen by coverage: each next one adds the most candidate
    score within :data:`COVER_MIN` of travel (there and back) that no chosen town covers yet,
    so bases spread over the region's clusters of sites instead of piling up around one;
    then the towns with the most candidate score within :data:`COVER_MIN`. At most
    :data:`MAX_TOWNS` are added, and only while the night sequences stay at most
    :data:`MAX_SEQUENCES`.
    """
    anchors = list(dict.fromkeys([s.start, _last_night(s)]))
    cands = np.array(list(s.candidates), dtype=np.int64)
    if cands.size == 0 or s.req.days == 1:
        return sorted(anchors)
    ok = _transfers(s)
    days = s.req.days
    slack = _days_from(ok, s.start) + _days_from(ok.T, _last_night(s))
    there, back = s.travel[: len(s.towns)][:, cands], s.travel[cands][:, : len(s.towns)].T
    near = (there <= COVER_MIN) & (back <= COVER_MIN)
    reach = there.min(axis=1)
    score = s.score[cands]
    eligible = [
        t
        for t in range(len(s.towns))
        if t not in anchors and slack[t] <= days and reach[t] <= REACH_MIN
    ]
    covered = near[anchors].any(axis=0)
    order: list[int] = []
    rest = list(eligible)
    while rest:
        gains = [(float(score[near[t] & ~covered].sum()), -float(reach[t]), -t) for t in rest]
        gain, _, neg_t = max(gains)
        if gain <= 0:
            break
        order.append(-neg_t)
        rest.remove(-neg_t)
        covered |= near[-neg_t]
    rest.sort(key=lambda t: (-float(score[near[t]].sum()), float(reach[t]), t))
    order += rest
    keep: list[int] = []
    for t in order:
        if len(keep) >= MAX_TOWNS:
            break
        if _count_sequences(ok, [*anchors, *keep, t], s.start, _last_night(s), days) > (
            MAX_SEQUENCES
        ):
            continue
        keep.append(t)
    return sorted({*anchors, *keep})


def solve_trip(
    s: Setup, reserve: dict[int, float] | None = None
) -> tuple[OPTWSolution, tuple[int, ...]]:
    """The best solution over the night sequences, and its nights.

    Nights and days are chosen together, in three rounds on the trip's objective (must-sees
    placed, then score less the price of travel — the morning transfer from a night's town
    is part of the next day's travel): every sequence is screened with the greedy solver,
    the best :data:`SCREEN_QUICK` again with a short iterated local search (the greedy
    construction misjudges sequences whose days need re-ordering), and the best
    :data:`SCREEN_KEEP` of those are solved in full. The best solution seen wins.
    """
    req = s.req
    stall, run_stall = EFFORT[Effort(req.effort)]
    seqs = night_sequences(s)

    def solve(nights: tuple[int, ...], method: str, **kw: Any) -> OPTWSolution:
        return solve_optw(optw_problem(s, nights, reserve), method=method, seed=req.seed, **kw)

    def key(sol: OPTWSolution) -> tuple[int, float, float]:
        # Fewer unplaced must-sees first, then the objective, then less travel.
        return (len(sol.infeasible_mandatory), -round(_value(s, sol), 9), sol.travel)

    def full(nights: tuple[int, ...]) -> OPTWSolution:
        return solve(
            nights,
            str(req.solver),
            time_limit_s=req.time_limit_s,
            stall=stall,
            run_stall=run_stall,
        )

    if not seqs:
        raise PlanError(msg("error.no_night_sequence", hours=s.max_drive / 60))
    if len(seqs) == 1:
        return full(seqs[0]), seqs[0]
    seen: list[tuple[tuple[int, float, float], OPTWSolution, tuple[int, ...]]] = []
    if len(seqs) > SCREEN_QUICK:
        greedy = sorted((key(solve(n, "greedy")), n) for n in seqs)
        seqs = [n for _, n in greedy[:SCREEN_QUICK]]
    if len(seqs) > SCREEN_KEEP:
        for nights in seqs:
            sol = solve(nights, "ils", stall=1, run_stall=1)
            seen.append((key(sol), sol, nights))
        seen.sort(key=lambda x: x[0])
        seqs = [n for _, _, n in seen[:SCREEN_KEEP]]
    for nights in seqs:
        sol = full(nights)
        seen.append((key(sol), sol, nights))
    best = min(seen, key=lambda x: x[0])
    return best[1], best[2]


def _value(s: Setup, sol: OPTWSolution) -> float:
    return sol.score - s.drive_weight * sol.travel
