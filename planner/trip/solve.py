"""The trip as a team orienteering problem with time windows, and the choice of nights.

One route per day from the night before's lodging to the night's lodging; the lunch break is
reserved inside each day and placed when the day is timed (:mod:`planner.trip.days`).
Lodging: ``fixed`` returns to the start town every night; ``choose`` lets the planner pick
each night's base among the lodging towns (the orienteering problem with hotel selection):
every sequence of towns is screened with the greedy solver and the best few are solved in
full.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

from planner.messages import msg
from planner.service import PlanError
from planner.trip.request import Effort, Lodging
from planner.trip.setup import Setup
from routing.orienteering import OPTWProblem, OPTWSolution, solve_optw

__all__ = [
    "EFFORT",
    "SCREEN_KEEP",
    "day_route_close",
    "night_sequences",
    "optw_problem",
    "solve_trip",
]

SCREEN_KEEP = 3
#: at most this many lodging towns besides the start and end, and at most
#: :data:`MAX_SEQUENCES` night sequences (they grow as towns ** (days - 1))
MAX_TOWNS = 8
MAX_SEQUENCES = 700
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


def night_sequences(s: Setup) -> list[tuple[int, ...]]:
    """Every sequence of lodging towns worth trying (the last night is the trip's end)."""
    days = s.req.days
    last = s.end if s.end is not None else s.start  # a trip returns to its start unless told
    if s.req.lodging == Lodging.fixed or days == 1:
        combos: Iterable[tuple[int, ...]] = [tuple([s.start] * (days - 1))]
    else:
        combos = itertools.product(lodging_towns(s), repeat=days - 1)
    route_close = day_route_close(s)
    seqs = []
    for combo in combos:
        seq = (*combo, last)
        starts = (s.start, *combo)
        # a day's direct transfer must fit the driving limit and the day with its lunch
        # break (the same route window the solver gets): otherwise the sequence is rejected
        # here rather than failing in the solver
        if all(
            s.travel[a, b] <= s.max_drive and s.day_open + s.travel[a, b] <= route_close
            for a, b in zip(starts, seq, strict=True)
        ):
            seqs.append(seq)
    return seqs


def lodging_towns(s: Setup) -> list[int]:
    """Towns worth sleeping in: the start and end, and the :data:`MAX_TOWNS` towns with the
    most candidate score within an hour's travel (a town must reach some candidate within
    two hours)."""
    cands = np.array(list(s.candidates), dtype=np.int64)
    value = []
    for t in range(len(s.towns)):
        if t in (s.start, s.end) or cands.size == 0:
            continue
        reach = s.travel[t, cands]
        if (reach <= 120).any():
            value.append((-float(s.score[cands][reach <= 60].sum()), float(reach.min()), t))
    fixed = 1 + (s.end is not None and s.end != s.start)
    room = MAX_TOWNS
    while room > 1 and (room + fixed) ** max(s.req.days - 1, 1) > MAX_SEQUENCES:
        room -= 1
    keep = {t for _, _, t in sorted(value)[:room]}
    return [t for t in range(len(s.towns)) if t in (s.start, s.end) or t in keep]


def solve_trip(
    s: Setup, reserve: dict[int, float] | None = None
) -> tuple[OPTWSolution, tuple[int, ...]]:
    """The best solution over the night sequences, and its nights.

    Nights and days are chosen together: every sequence is screened with the greedy solver
    on the trip's objective (must-sees placed, then score less the price of travel — the
    morning transfer from a night's town is part of the next day's travel), and the best
    few are solved in full.
    """
    req = s.req
    stall, run_stall = EFFORT[Effort(req.effort)]
    seqs = night_sequences(s)

    def solve(nights: tuple[int, ...]) -> OPTWSolution:
        return solve_optw(
            optw_problem(s, nights, reserve),
            method=str(req.solver),
            seed=req.seed,
            time_limit_s=req.time_limit_s,
            stall=stall,
            run_stall=run_stall,
        )

    if not seqs:
        raise PlanError(msg("error.no_night_sequence", hours=s.max_drive / 60))
    if len(seqs) == 1:
        return solve(seqs[0]), seqs[0]
    screened = []
    for nights in seqs:
        sol = solve_optw(optw_problem(s, nights, reserve), method="greedy", seed=req.seed)
        # Fewer unplaced must-sees first, then the objective, then less travel.
        screened.append(((len(sol.infeasible_mandatory), -_value(s, sol), sol.travel), nights))
    screened.sort(key=lambda x: x[0])
    best: tuple[tuple, OPTWSolution, tuple[int, ...]] | None = None
    for _, nights in screened[:SCREEN_KEEP]:
        sol = solve(nights)
        key = (len(sol.infeasible_mandatory), -round(_value(s, sol), 9), sol.travel)
        if best is None or key < best[0]:
            best = (key, sol, nights)
    assert best is not None
    return best[1], best[2]


def _value(s: Setup, sol: OPTWSolution) -> float:
    return sol.score - s.drive_weight * sol.travel
