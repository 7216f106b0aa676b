"""A day of the trip timed with its lunch break, and turned into a :class:`~planner.model.Day`.

The solver orders each day's stops with the lunch break reserved; here the break is placed
where the traveller is around midday (:func:`time_order`), a day is re-optimised exactly when
its candidates are few enough (:func:`best_day`), else trimmed and refilled (:func:`fit_day`).
Every comparison uses the trip's objective: score less the price of travel.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner import region
from planner.messages import msg
from planner.model import Day, Stop, TravelLeg
from planner.service import Context
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
    """A day's order timed with its lunch break.

    ``arrive``/``begin``/``depart`` per stop (minutes; ``depart`` includes a lunch taken at
    the site), ``lunch_at`` when lunch starts and ``lunch_node`` where (a stop or lodging
    node; ``-1`` as a break on the drive), ``back`` the arrival at the night's lodging,
    ``travel`` the day's travel minutes.
    """

    order: tuple[int, ...]
    arrive: tuple[float, ...]
    begin: tuple[float, ...]
    depart: tuple[float, ...]
    lunch_at: float | None
    lunch_node: int
    back: float
    travel: float

    def value(self, s: Setup) -> float:
        """Score of the stops less the price of the day's travel (the objective)."""
        return float(sum(s.score[v] for v in self.order)) - s.drive_weight * self.travel


_EPS = 1e-6
#: where lunch may go: ("gap", k) — on the way to stop k (or to the lodging when k is the
#: number of stops): when leaving, on the drive, or at the next stop while it is not open
#: yet; ("visit", k) — at stop k during its visit; ("after", -1) — at the lodging on arrival
Slot = tuple[str, int]


def _simulate(
    s: Setup, r: int, order: Sequence[int], start: int, end: int, slot: Slot | None
) -> Timing | None:
    """Earliest-start timing of ``order`` with lunch at ``slot`` (``None``: no lunch)."""
    lo, hi = s.lunch_window
    m = s.lunch
    t, prev = s.day_open, start
    arrive: list[float] = []
    begin: list[float] = []
    depart: list[float] = []
    lunch_at: float | None = None
    lunch_node = -1
    for k, node in enumerate([*order, end]):
        a = t + s.travel[prev, node]
        last = k == len(order)
        b = a if last else max(a, s.open[r, node])
        if slot == ("gap", k):
            lunch_at = max(t, lo)
            if lunch_at > hi + _EPS or lunch_at > b + _EPS:
                return None  # no idle waiting for the lunch window
            if lunch_at < a - _EPS or lunch_at <= t + _EPS:  # when leaving or on the drive
                lunch_node = prev if lunch_at <= t + _EPS else -1
                a += m
                b = a if last else max(a, s.open[r, node])
            else:  # at the next stop, before it opens
                lunch_node = node
                b = max(b, lunch_at + m)
        if last:
            t = a
            break
        if b > s.close[r, node] + _EPS:
            return None
        e = b + s.service[node]
        if slot == ("visit", k):
            lunch_at = max(b, lo)
            if lunch_at > min(e, hi) + _EPS or b > s.close[r, node] - m + _EPS:
                return None
            lunch_node = node
            e += m
        arrive.append(a)
        begin.append(b)
        depart.append(e)
        t = e
        prev = node
    if slot == ("after", -1):
        lunch_at = max(t, lo)
        if lunch_at > hi + _EPS:
            return None
        lunch_node = end
    if t > s.day_close + _EPS:
        return None
    chain = [start, *order, end]
    travel = float(sum(s.travel[x, y] for x, y in itertools.pairwise(chain)))
    if travel > s.max_drive + _EPS:
        return None
    return Timing(
        tuple(order), tuple(arrive), tuple(begin), tuple(depart), lunch_at, lunch_node, t, travel
    )


def time_order(s: Setup, r: int, order: Sequence[int], start: int, end: int) -> Timing | None:
    """Best timing of ``order`` with one lunch break, or ``None`` if no placement fits.

    Lunch starts inside the lunch window where the traveller is anyway — when leaving a
    stop or the lodging, as a break on a drive, at a stop that is not open yet, at a stop
    during its visit, or at the night's lodging on arrival — never by waiting for the window
    to open. Every placement is tried; the one that gets back earliest wins (ties: lunch
    nearest the middle of the window). Days that end before the window or start after it
    need no lunch. The day's travel must stay within the daily limit.
    """
    if s.lunch <= 0 or not order:  # (a free day: lunch is the traveller's own business)
        return _simulate(s, r, order, start, end, None)
    lo, hi = s.lunch_window
    slots: list[Slot] = [("gap", k) for k in range(len(order) + 1)]
    slots += [("visit", k) for k in range(len(order))] + [("after", -1)]
    mid = (lo + hi) / 2
    best: Timing | None = None
    for slot in slots:
        t = _simulate(s, r, order, start, end, slot)
        if t is None or t.lunch_at is None:
            continue
        if best is None or (t.back, abs(t.lunch_at - mid)) < (
            best.back,
            abs((best.lunch_at or mid) - mid),
        ):
            best = t
    if best is None and s.day_open > hi:  # the day starts after the lunch window
        return _simulate(s, r, order, start, end, None)
    return best


EXACT_DAY_COMBOS = 20000


def best_day(
    s: Setup,
    r: int,
    start: int,
    end: int,
    pool: Sequence[int],
    keep: Sequence[int],
    require: frozenset[int] = frozenset(),
) -> Timing | None:
    """The best feasible day over ``pool`` (must contain ``keep``), by enumeration.

    Best = highest score less the price of travel (:meth:`Timing.value`), lunch placed and
    the driving limit kept. Subsets of at most ``max_stops`` stops are tried in decreasing
    score (a subset whose score cannot beat the best value so far is skipped). With
    ``require``, only subsets holding at least one of those nodes count. ``None`` when there
    are too many subsets to enumerate or none fits.
    """
    free = [v for v in pool if v not in keep and s.open[r, v] <= s.close[r, v]]
    free = region.day_reachable(  # drops only nodes no route of this day can visit
        free,
        travel=s.travel,
        service=s.service,
        open_=s.open[r],
        close=s.close[r],
        start=start,
        end=end,
        day_open=s.day_open,
        day_close=s.day_close,
        lunch=s.lunch,
    )
    room = s.max_stops - len(keep)
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
    best: Timing | None = None
    best_key = (-math.inf, 0.0)
    busy = s.day_close - s.day_open  # minutes for travel and visits, at most
    for combo in combos:
        score = float(sum(s.score[v] for v in combo))
        if score < best_key[0] - 1e-12:
            break  # sorted by score: nothing later can beat the best value
        visits = float(sum(s.service[v] for v in combo))
        # cheapest chains first; a chain whose travel alone rules it out is never timed
        chains = sorted(
            (_chain_minutes(s, start, order, end), order) for order in itertools.permutations(combo)
        )
        for travel, order in chains:
            if score - s.drive_weight * travel < best_key[0] - 1e-12:
                break  # more travel than the best day so far: cannot beat its value
            if travel > s.max_drive + _EPS or travel + visits > busy + _EPS:
                continue  # over the driving limit, or no room for the visits
            t = time_order(s, r, list(order), start, end)
            if t is not None and (t.value(s), -t.back) > best_key:
                best, best_key = t, (t.value(s), -t.back)
    return best


def _chain_minutes(s: Setup, start: int, order: Sequence[int], end: int) -> float:
    chain = [start, *order, end]
    return float(sum(s.travel[a, b] for a, b in itertools.pairwise(chain)))


def fit_day(
    s: Setup, r: int, order: list[int], start: int, end: int, spare: list[int]
) -> tuple[Timing | None, list[int], list[int]]:
    """Time a day with lunch; drop the lowest-scoring optional stops until it fits, then try
    to add spare candidates back (best score first, only if they pay for their travel).
    Returns (timing, removed, added); the timing is ``None`` when even the must-sees of the
    day do not fit in this order (the caller re-plans)."""
    order = list(order)
    removed: list[int] = []
    timing = time_order(s, r, order, start, end)
    while timing is None:
        optional = [i for i in range(len(order)) if order[i] not in s.mandatory]
        if not optional:
            return None, removed, []
        drop = min(optional, key=lambda i: (s.score[order[i]], i))
        removed.append(order.pop(drop))
        timing = time_order(s, r, order, start, end)
    added: list[int] = []
    for node in sorted(spare, key=lambda v: (-s.score[v], v)):
        if len(order) >= s.max_stops:
            break
        if node in removed:
            continue
        trials = [
            t
            for p in range(len(order) + 1)
            if (t := time_order(s, r, [*order[:p], node, *order[p:]], start, end))
        ]
        if trials:
            better = max(trials, key=lambda t: (t.value(s), -t.back))
            if better.value(s) > timing.value(s) + 1e-12:
                timing = better
                order = list(timing.order)
                added.append(node)
    return timing, removed, added


def day_from_timing(
    s: Setup, ctx: Context, r: int, timing: Timing, start: int, end: int, mode: str
) -> Day:
    """The timed day as a :class:`~planner.model.Day` (stops, legs, lunch, slack)."""
    cat = ctx.catalog
    day = s.dates[r]
    # Nobody waits at a closed gate: leave later by the first stop's wait (unless lunch
    # comes first).
    shift = timing.begin[0] - timing.arrive[0] if timing.order else 0.0
    if timing.lunch_at is not None and timing.order and timing.lunch_at <= timing.begin[0]:
        shift = 0.0
    stops = []
    for k, node in enumerate(timing.order):
        site = cat.sites[s.ids[node]]
        notes = list(s.notes.get(site.id, ()))
        source = s.visit_source.get(site.id, "default")
        label = msg(f"source.{source}")
        if source == "reviews":  # only ever a real export's reviews (planner.evidence)
            export = s.params.evidence.get("visit_lengths", {}).get("files", "")
            label = msg("source.reviews_in", export=export)
        notes.append(msg("stop.visit_source", source=label))
        a = timing.arrive[k] + (shift if k == 0 else 0.0)
        b = timing.begin[k]
        lunch_here = (
            timing.lunch_at is not None and timing.lunch_node == node and a <= timing.lunch_at < b
        )
        stops.append(
            Stop(
                site_id=site.id,
                name_zh=site.name_zh,
                name_en=site.name_en,
                lat=site.lat,
                lon=site.lon,
                arrive=_clock(day, a),
                start=_clock(day, b),
                depart=_clock(day, timing.depart[k]),
                visit_min=float(s.service[node]),
                wait_min=float(b - a - (s.lunch if lunch_here else 0.0)),
                score=float(s.score[node]),
                coord_confidence=site.coord_confidence,
                kind=site.kind,
                notes=tuple(notes),
            )
        )
    chain = [start, *timing.order, end]
    lunch = timing.lunch_at
    return Day(
        date=day,
        start_id=s.ids[start],
        end_id=s.ids[end],
        leave=_clock(day, s.day_open + shift),
        back=_clock(day, timing.back),
        stops=tuple(stops),
        legs=tuple(_legs(s, chain, mode, s.travel)),
        slack_min=float(s.day_close + s.params.end_slack_min - timing.back),
        lunch=_clock(day, lunch) if lunch is not None else None,
        lunch_at=s.ids[timing.lunch_node] if timing.lunch_node >= 0 else "",
        lunch_min=s.lunch if lunch is not None else 0.0,
    )
