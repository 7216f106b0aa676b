"""A day of the trip timed with its lunch break, and turned into a :class:`~planner.model.Day`.

The solver orders each day's stops with the lunch break reserved; here the break is placed
(the boundary between stops that gets back earliest), a day is re-optimised exactly when its
candidates are few enough (:func:`best_day`), else trimmed and refilled (:func:`fit_day`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.messages import msg
from planner.model import Day, Stop, TravelLeg
from planner.service import Context, PlanError
from planner.trip.setup import Setup

__all__ = ["USER_SOURCE", "Timing", "best_day", "day_from_timing", "fit_day", "time_order"]

#: leg source of a travel time the user supplied (``TripRequest.travel_times``)
USER_SOURCE = "user"


def _clock(day: dt.date, minutes: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=round(minutes))


def _legs(s: Setup, chain: list[int], mode: str, speed_travel: np.ndarray) -> list[TravelLeg]:
    out = []
    for a, b in itertools.pairwise(chain):
        if a == b:
            continue
        leg = s.dm.leg(a, b)
        user = s.supplied.get((a, b))
        if user is not None:  # the user's figure: no via chain, their km if they gave one
            km, via, source = (leg.km if user.km is None else user.km), (), USER_SOURCE
        else:
            km, via, source = leg.km, leg.via, leg.source
        out.append(
            TravelLeg(
                from_id=s.ids[a],
                to_id=s.ids[b],
                km=km,
                minutes=float(speed_travel[a, b]),
                via=via,
                source=source,
                mode=mode,
            )
        )
    return out


@dataclass(frozen=True)
class Timing:
    """A day's order timed with its lunch break: per-stop (arrive, begin), back, lunch."""

    order: tuple[int, ...]
    arrive: tuple[float, ...]
    begin: tuple[float, ...]
    lunch_at: float | None
    back: float


def time_order(
    s: Setup, r: int, order: Sequence[int], start: int, end: int, lunch_window: tuple[float, float]
) -> Timing | None:
    """Best timing of ``order`` with one lunch break, or ``None`` if no placement fits.

    Lunch is taken at a stop boundary (after leaving one stop, before driving on), starting
    no earlier than ``lunch_window[0]`` and no later than ``lunch_window[1]``; every boundary
    is tried and the placement that gets back earliest wins.
    """
    lo, hi = lunch_window
    best: Timing | None = None
    positions = range(len(order) + 1) if s.lunch > 0 else [None]
    for pos in positions:
        t, prev = s.day_open, start
        arrive: list[float] = []
        begin: list[float] = []
        lunch_at = None
        ok = True
        for k, node in enumerate([*order, end]):
            if pos == k:
                lunch_at = max(t, lo)
                if lunch_at > hi:
                    ok = False
                    break
                t = lunch_at + s.lunch
            a = t + s.travel[prev, node]
            if node == end and k == len(order):
                t = a
                break
            b = max(a, s.open[r, node])
            if b > s.close[r, node] + 1e-6:
                ok = False
                break
            arrive.append(a)
            begin.append(b)
            t = b + s.service[node]
            prev = node
        if not ok or t > s.day_close + 1e-6:
            continue
        cand = Timing(tuple(order), tuple(arrive), tuple(begin), lunch_at, t)
        if best is None or cand.back < best.back:
            best = cand
    return best


EXACT_DAY_COMBOS = 20000


def best_day(
    s: Setup,
    r: int,
    start: int,
    end: int,
    pool: Sequence[int],
    keep: Sequence[int],
    cap: int,
    lunch_window: tuple[float, float],
    require: frozenset[int] = frozenset(),
) -> Timing | None:
    """The best-scoring feasible day over ``pool`` (must contain ``keep``), by enumeration.

    Subsets of at most ``cap`` stops are tried in decreasing total score; the first one
    with a feasible order (lunch included) is optimal. With ``require``, only subsets holding
    at least one of those nodes count. ``None`` when there are too many subsets to enumerate
    or none fits.
    """
    free = [v for v in pool if v not in keep and s.open[r, v] <= s.close[r, v]]
    room = cap - len(keep)
    if room < 0:
        return None
    if sum(math.comb(len(free), k) for k in range(room + 1)) > EXACT_DAY_COMBOS:
        return None
    combos = [
        (tuple(keep) + c) for k in range(room + 1) for c in itertools.combinations(sorted(free), k)
    ]
    if require:
        combos = [c for c in combos if require.intersection(c)]
    combos.sort(key=lambda c: (-sum(s.score[v] for v in c), len(c), c))
    for combo in combos:
        best: Timing | None = None
        for order in itertools.permutations(combo):
            t = time_order(s, r, list(order), start, end, lunch_window)
            if t is not None and (best is None or t.back < best.back):
                best = t
        if best is not None:
            return best
    return None


def fit_day(
    s: Setup,
    r: int,
    order: list[int],
    start: int,
    end: int,
    lunch_window: tuple[float, float],
    spare: list[int],
    max_stops: int,
) -> tuple[Timing, list[int], list[int]]:
    """Time a day with lunch; drop the lowest-scoring optional stops until it fits, then try
    to add spare candidates back (best score first). Returns (timing, removed, added)."""
    order = list(order)
    removed: list[int] = []
    timing = time_order(s, r, order, start, end, lunch_window)
    while timing is None:
        optional = [i for i in range(len(order)) if order[i] not in s.mandatory]
        if not optional:
            raise PlanError("the must-see sites of a day do not fit once a lunch break is added")
        drop = min(optional, key=lambda i: (s.score[order[i]], i))
        removed.append(order.pop(drop))
        timing = time_order(s, r, order, start, end, lunch_window)
    added: list[int] = []
    for node in sorted(spare, key=lambda v: (-s.score[v], v)):
        if len(order) >= max_stops:
            break
        if node in removed:
            continue
        trials = [
            t
            for p in range(len(order) + 1)
            if (t := time_order(s, r, [*order[:p], node, *order[p:]], start, end, lunch_window))
        ]
        if trials:
            timing = min(trials, key=lambda t: t.back)
            order = list(timing.order)
            added.append(node)
    return timing, removed, added


def day_from_timing(
    s: Setup, ctx: Context, r: int, timing: Timing, start: int, end: int, mode: str
) -> Day:
    cat = ctx.catalog
    day = s.dates[r]
    stops = []
    for node, a, b in zip(timing.order, timing.arrive, timing.begin, strict=True):
        site = cat.sites[s.ids[node]]
        notes = list(s.notes.get(site.id, ()))
        source = s.visit_source.get(site.id, "default")
        notes.append(msg("stop.visit_source", source=msg(f"source.{source}")))
        stops.append(
            Stop(
                site_id=site.id,
                name_zh=site.name_zh,
                name_en=site.name_en,
                lat=site.lat,
                lon=site.lon,
                arrive=_clock(day, a),
                start=_clock(day, b),
                depart=_clock(day, b + s.service[node]),
                visit_min=float(s.service[node]),
                wait_min=float(b - a),
                score=float(s.score[node]),
                coord_confidence=site.coord_confidence,
                kind=site.kind,
                notes=tuple(notes),
            )
        )
    # Nobody waits at a closed gate: leave later by the first stop's wait (if no lunch first).
    first_wait = timing.begin[0] - timing.arrive[0] if timing.order else 0.0
    if timing.lunch_at is not None and timing.order and timing.lunch_at <= timing.arrive[0]:
        first_wait = 0.0
    chain = [start, *timing.order, end]
    return Day(
        date=day,
        start_id=s.ids[start],
        end_id=s.ids[end],
        leave=_clock(day, s.day_open + first_wait),
        back=_clock(day, timing.back),
        stops=tuple(stops),
        legs=tuple(_legs(s, chain, mode, s.travel)),
        slack_min=float(s.day_close - timing.back),
        lunch=_clock(day, timing.lunch_at) if timing.lunch_at is not None else None,
    )
