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
from collections.abc import Sequence

import numpy as np

from planner.trip.request import Effort, Lodging
from planner.trip.setup import Setup
from routing.orienteering import OPTWProblem, OPTWSolution, solve_optw

__all__ = ["EFFORT", "SCREEN_KEEP", "night_sequences", "optw_problem", "solve_trip"]

SCREEN_KEEP = 3
#: (stall, run_stall) of the ILS per effort level; None = the solver's own budget
EFFORT: dict[Effort, tuple[int | None, int | None]] = {
    Effort.quick: (20, 10),
    Effort.normal: (40, 20),
    Effort.thorough: (None, None),
}


def optw_problem(s: Setup, nights: Sequence[int]) -> OPTWProblem:
    """The OPTW instance of the trip for one sequence of nights."""
    route_start = [s.start, *nights[:-1]]
    return OPTWProblem(
        travel=s.travel,
        service=s.service,
        score=s.score,
        open=s.open,
        close=s.close,
        route_start=route_start,
        route_end=list(nights),
        route_open=np.full(len(nights), s.day_open),
        # the lunch break is reserved inside each day and placed when the day is timed
        route_close=np.full(len(nights), s.day_close - s.lunch),
        mandatory=s.mandatory,
        max_stops=s.max_stops,
        candidates=list(s.candidates),
    )


def night_sequences(s: Setup) -> list[tuple[int, ...]]:
    """Every sequence of lodging towns worth trying (the last night is the trip's end)."""
    days = s.req.days
    last = s.end if s.end is not None else s.start  # a trip returns to its start unless told
    if s.req.lodging == Lodging.fixed or days == 1:
        return [tuple([s.start] * (days - 1) + [last])]
    # Towns worth sleeping in: within reach of at least one candidate (≤ 2 h of travel).
    near = [
        t
        for t in range(len(s.towns))
        if t in (s.start, s.end) or (s.travel[t, len(s.towns) :] <= 120).any()
    ]
    return [(*combo, last) for combo in itertools.product(near, repeat=days - 1)]


def solve_trip(s: Setup) -> tuple[OPTWSolution, tuple[int, ...]]:
    """The best solution over the night sequences, and its nights."""
    req = s.req
    stall, run_stall = EFFORT[req.effort]
    seqs = night_sequences(s)

    def solve(nights: tuple[int, ...]) -> OPTWSolution:
        return solve_optw(
            optw_problem(s, nights),
            method=str(req.solver),
            seed=req.seed,
            time_limit_s=req.time_limit_s,
            stall=stall,
            run_stall=run_stall,
        )

    if len(seqs) == 1:
        return solve(seqs[0]), seqs[0]
    screened = []
    for nights in seqs:
        sol = solve_optw(optw_problem(s, nights), method="greedy", seed=req.seed)
        # Fewer unplaced must-sees first, then score, then less travel.
        screened.append(((len(sol.infeasible_mandatory), -sol.score, sol.travel), nights))
    screened.sort(key=lambda x: x[0])
    best: tuple[tuple, OPTWSolution, tuple[int, ...]] | None = None
    for _, nights in screened[:SCREEN_KEEP]:
        sol = solve(nights)
        key = (len(sol.infeasible_mandatory), -round(sol.score, 9), sol.travel)
        if best is None or key < best[0]:
            best = (key, sol, nights)
    assert best is not None
    return best[1], best[2]
