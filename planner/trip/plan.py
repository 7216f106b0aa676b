"""Plan a multi-day themed trip: request → setup → orienteering → timed days → itinerary."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any

from planner.messages import Message, Name, msg
from planner.model import Day, Dropped, Itinerary
from planner.service import Context, PlanError, load_context
from planner.themes import load_planning
from planner.trip.days import Timing, best_day, day_from_timing, fit_day, time_order
from planner.trip.request import Solver, TripRequest
from planner.trip.setup import Setup, build_setup, site_name
from planner.trip.solve import lodging_towns, solve_trip
from routing.orienteering import OPTWSolution, RouteDiagnosis

__all__ = ["WARN_NOTES", "greedy_baseline", "plan_itinerary"]

#: hours notes that become plan warnings when the site is in the plan
WARN_NOTES = frozenset(
    {
        "hours.unknown",
        "hours.reported_closed",
        "hours.reported_note",
        "hours.closed_on_date",
        "hours.open_days_only",
    }
)


#: re-plans when a day's must-sees do not fit with lunch, each keeping this much more free
_REPLANS = 4
_REPLAN_STEP_MIN = 30.0
#: the exact must-see check tries at most this many assignments of must-sees to days
_ASSIGN_MAX = 50_000


#: a day that cannot take the must-see, whatever the hours: the message names only the day
_DAY_ONLY = {
    "closed": "error.day_closed",
    "too_late": "error.day_too_late",
    "max_stops": "error.day_max_stops",
}


def _day_reason(rd: RouteDiagnosis, when: dict[str, Any]) -> Message:
    """Why one day cannot take a must-see (``rd``: one day of a must-see's diagnosis);
    the hours a day needs and has are shown for the window, the travel limit and the time."""
    if rd.reason in _DAY_ONLY:
        return msg(_DAY_ONLY[rd.reason], **when)
    if rd.reason == "route_window":
        needed, available = rd.empty_route_needed, rd.empty_route_available
    elif rd.reason == "travel_limit":
        needed, available = rd.needed, rd.available
    else:
        return msg(
            "error.day_time_left",
            **when,
            available=max(rd.available, 0) / 60,
            needed=rd.needed / 60,
        )
    key = "error.day_window" if rd.reason == "route_window" else "error.day_travel_limit"
    return msg(key, **when, needed=needed / 60, available=available / 60)


def explain_mandatory(s: Setup, ctx: Context, sol: OPTWSolution) -> Message:
    """Why the must-sees cannot all fit: per site, what each day lacks."""
    msgs = []
    for diag in sol.diagnoses:
        site = ctx.catalog.sites[s.ids[diag.node]]
        parts = []
        for rd in diag.routes:
            when = {"day": rd.route + 1, "date": s.dates[rd.route].isoformat()}
            parts.append(_day_reason(rd, when))
        msgs.append(
            msg("error.must_site", site=site_name(site), hours=diag.service / 60, days=parts)
        )
    return msg("error.musts_infeasible", sites=msgs)


@dataclass
class _Days:
    """The timed days and what re-timing them changed."""

    days: list[Day] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # dropped for the lunch break
    theme_misses: list[int] = field(default_factory=list)  # day numbers without the theme


def _ordered_day(s: Setup, ctx: Context, r: int, start: int, end: int) -> Day:
    want = s.orders[r]
    timing = time_order(s, r, want, start, end)
    if timing is None:
        sites = [ctx.catalog.sites[s.ids[x]] for x in want]
        order = Name(
            " → ".join(x.name_zh for x in sites), " → ".join(x.name_en or x.id for x in sites)
        )
        raise PlanError(msg("error.order_does_not_fit", day=r + 1, order=order))
    return day_from_timing(s, ctx, r, timing, start, end, str(s.req.mode))


class _ReplanError(Exception):
    """Day ``day`` cannot hold its must-sees in the solver's order once lunch is placed."""

    def __init__(self, day: int) -> None:
        super().__init__(day)
        self.day = day


def _time_day(
    s: Setup, r: int, order: list[int], start: int, end: int, spare: list[int], out: _Days
) -> tuple[Timing, list[int], list[int]]:
    """One day timed with lunch: exact over its stops and the spare sites when small
    enough, else the solver's order trimmed and refilled. Returns (timing, removed, added)."""
    keep = [v for v in order if v in s.mandatory]
    pool = [*order, *spare]
    exact = best_day(s, r, start, end, pool, keep)
    themed_wins = False
    if s.req.theme_per_day and not s.theme_nodes.intersection(exact.order if exact else order):
        themed = best_day(s, r, start, end, pool, keep, s.theme_nodes)
        if themed is not None:
            exact, themed_wins = themed, True  # the theme rule wins over a higher score
        else:
            out.theme_misses.append(r + 1)
    fitted, removed, added = fit_day(s, r, order, start, end, spare)
    if exact is not None and (
        themed_wins or fitted is None or exact.value(s) >= fitted.value(s) - 1e-9
    ):
        return (
            exact,
            [v for v in order if v not in exact.order],
            [v for v in exact.order if v not in order],
        )
    if fitted is None:
        alone = best_day(s, r, start, end, keep, keep)  # the must-sees alone, every order
        if alone is None:
            raise _ReplanError(r)
        return alone, [v for v in order if v not in alone.order], []
    return fitted, removed, added


def _chain_travel(s: Setup, start: int, order: list[int], end: int) -> float:
    chain = [start, *order, end]
    return float(sum(s.travel[a, b] for a, b in itertools.pairwise(chain)))


def _fill_idle_days(s: Setup, orders: list[list[int]], nights: tuple[int, ...]) -> None:
    """Give a day without any visit a stop of another day (in place), when both days still
    fit (lunch placed, hours and driving limit kept) and the other day keeps a visit — or,
    for a day spent at one town, when the other day moves between towns (it becomes a pure
    transfer, which the trip needs anyway, instead of a day idling at a town).

    The objective is indifferent to which day visits a site, save for the price of travel,
    so the solver may leave a whole day idle to save a few minutes of driving (a day at the
    start town while a site nearby is visited on the way out the next morning). A traveller
    would rather see it that day: of the stops that can move, the one adding the least travel
    moves. Days with a fixed order are left alone.
    """
    starts = [s.start, *nights[:-1]]
    for r, order in enumerate(orders):
        if order or r in s.orders:
            continue
        best: tuple[float, int, int] | None = None
        stays = starts[r] == nights[r]
        for q, donor in enumerate(orders):
            if q == r or q in s.orders or not donor:
                continue
            if len(donor) < 2 and not (stays and starts[q] != nights[q]):
                continue
            for v in donor:
                rest = [x for x in donor if x != v]
                if time_order(s, r, [v], starts[r], nights[r]) is None:
                    continue
                if time_order(s, q, rest, starts[q], nights[q]) is None:
                    continue
                extra = (
                    _chain_travel(s, starts[r], [v], nights[r])
                    + _chain_travel(s, starts[q], rest, nights[q])
                    - _chain_travel(s, starts[q], donor, nights[q])
                    - _chain_travel(s, starts[r], [], nights[r])
                )
                if best is None or (extra, q, v) < best:
                    best = (extra, q, v)
        if best is not None:
            _, q, v = best
            orders[q].remove(v)
            order.append(v)


def _time_days(s: Setup, ctx: Context, sol: OPTWSolution, nights: tuple[int, ...]) -> _Days:
    """Each solved day timed with its lunch break (re-optimised exactly when small); a day
    the solver left idle first takes a stop of another day (:func:`_fill_idle_days`)."""
    day_starts = [s.start, *nights[:-1]]
    out = _Days()
    used = {v.node for route in sol.routes for v in route}
    spare = [k for k in s.candidates if k not in used]
    # the solver's stops per day, without the lodging ends
    orders = [[v.node for v in route if v.node >= len(s.towns)] for route in sol.routes]
    _fill_idle_days(s, orders, nights)
    for r, order in enumerate(orders):
        start, end = day_starts[r], nights[r]
        if r in s.orders:
            out.days.append(_ordered_day(s, ctx, r, start, end))
            continue
        timing, removed, added = _time_day(s, r, order, start, end, spare, out)
        spare = [k for k in spare if k not in added] + removed
        out.removed.extend(removed)
        out.days.append(day_from_timing(s, ctx, r, timing, start, end, str(s.req.mode)))
    out.removed = [k for k in out.removed if k in spare]
    return out


def _dropped(s: Setup, ctx: Context, timed: _Days, nights: tuple[int, ...]) -> list[Dropped]:
    """Every candidate left out, with its reason."""
    day_starts = [s.start, *nights[:-1]]
    visited = {st.site_id for d in timed.days for st in d.stops}
    dropped = list(s.dropped)
    days = range(s.req.days)
    for k in s.candidates:
        sid = s.ids[k]
        if sid in visited:
            continue
        site = ctx.catalog.sites[sid]
        if all(s.close[r, k] < s.open[r, k] for r in days):
            reason, detail = "closed", msg("dropped.closed_all")
        elif k in timed.removed:
            reason, detail = "no_time", msg("dropped.lunch")
        elif not any(
            s.travel[day_starts[r], k] + s.service[k] + s.travel[k, nights[r]]
            <= s.day_close - s.day_open - s.lunch
            for r in days
        ):
            reason, detail = "too_far", msg("dropped.too_far")
        elif not any(
            s.travel[day_starts[r], k] + s.travel[k, nights[r]] <= s.max_drive for r in days
        ):
            reason, detail = "drive_limit", msg("dropped.drive_limit")
        else:
            reason = "lower_score"
            detail = msg("dropped.lower_score", score=float(s.score[k]))
        dropped.append(Dropped(sid, site.name_zh, reason, detail))
    return dropped


def _morning_transfers(s: Setup, ctx: Context, timed: _Days) -> list[Message]:
    """A morning drive to the first site longer than the planning limit, and why no night
    nearer to it was chosen (no lodging town is closer, or a closer one plans worse)."""
    limit = float(load_planning()["day"].get("morning_transfer_warn_min", math.inf))
    out = []
    for k, day in enumerate(timed.days):
        minutes = day.morning_transfer_min
        if minutes <= limit + 1e-9:
            continue
        first = s.ids.index(day.stops[0].site_id)
        here = s.ids.index(day.start_id)
        closer = [t for t in lodging_towns(s) if s.travel[t, first] < minutes - 1e-9]
        why: Message
        if not closer or k == 0:  # the first morning leaves from the start the traveller chose
            why = msg("why.no_closer_town")
        else:
            t = min(closer, key=lambda x: s.travel[x, first])
            why = msg(
                "why.closer_town_worse",
                town=site_name(ctx.catalog.sites[s.ids[t]]),
                minutes=float(s.travel[t, first]),
            )
        out.append(
            msg(
                "warn.morning_transfer",
                day=k + 1,
                town=site_name(ctx.catalog.sites[s.ids[here]]),
                site=Name(day.stops[0].name_zh, day.stops[0].name_en),
                minutes=minutes,
                limit=limit,
                why=why,
            )
        )
    return out


def _warnings(s: Setup, timed: _Days) -> list[Message]:
    warnings: list[Message] = []
    for d in timed.days:
        for st in d.stops:
            for note in st.notes:
                if note.code in WARN_NOTES:
                    site = Name(st.name_zh, st.name_en)
                    warnings.append(msg("warn.site_note", site=site, note=note, id=st.site_id))
    if any(st.coord_confidence == "approx" for d in timed.days for st in d.stops):
        warnings.append(msg("warn.approx"))
    if s.dm.roads is None:
        warnings.append(msg("warn.no_roads"))
    for day_no in timed.theme_misses:
        warnings.append(msg("warn.theme_day_missing", day=day_no, theme=s.theme_day_name))
    return warnings


def _solve_and_time(s: Setup, ctx: Context) -> tuple[OPTWSolution, tuple[int, ...], _Days]:
    """Solve, then time the days with lunch. Must-sees are re-planned rather than given up:
    when the solver leaves one out, or a day's must-sees do not fit once lunch is placed
    (after re-plans keeping more time free that day), an exact check looks for an assignment
    of the must-sees to the days that fits (every day and order, lunch placed) and plans
    with it; only when there is none is the request refused, with the reasons."""
    reserve: dict[int, float] = {}
    sol, nights = solve_trip(s, reserve)
    for _attempt in range(_REPLANS):
        if sol.infeasible_mandatory:
            break
        try:
            return sol, nights, _time_days(s, ctx, sol, nights)
        except _ReplanError as exc:  # re-plan with more time kept free on that day
            reserve[exc.day] = reserve.get(exc.day, 0.0) + _REPLAN_STEP_MIN
            sol, nights = solve_trip(s, reserve)
    assign = _assign_musts(s, nights)
    musts = [site_name(ctx.catalog.sites[s.ids[m]]) for m in sorted(s.mandatory)]
    if assign is None:
        if sol.infeasible_mandatory:  # the per-day reasons of the sites that do not fit
            raise PlanError(explain_mandatory(s, ctx, sol))
        raise PlanError(msg("error.musts_no_day", sites=musts))
    locked = _lock(s, assign)
    sol, nights = solve_trip(locked, reserve)
    if sol.infeasible_mandatory:
        raise PlanError(explain_mandatory(locked, ctx, sol))
    try:
        return sol, nights, _time_days(locked, ctx, sol, nights)
    except _ReplanError:
        raise PlanError(msg("error.must_lost_to_lunch", sites=musts)) from None


def _assign_musts(s: Setup, nights: tuple[int, ...]) -> dict[int, int] | None:
    """An assignment must-see → day under which every day's must-sees fit together (lunch
    placed, every order tried), or ``None`` when none exists (an exact check; also ``None``
    beyond :data:`_ASSIGN_MAX` assignments)."""
    musts = sorted(s.mandatory)
    days = s.req.days
    starts = [s.start, *nights[:-1]]
    fits: dict[tuple[int, frozenset[int]], bool] = {}

    def fit(r: int, group: frozenset[int]) -> bool:
        if (r, group) not in fits:
            day = best_day(s, r, starts[r], nights[r], sorted(group), sorted(group))
            fits[r, group] = day is not None
        return fits[r, group]

    if days ** len(musts) > _ASSIGN_MAX:
        return None
    for choice in itertools.product(range(days), repeat=len(musts)):
        groups = {
            r: frozenset(m for m, c in zip(musts, choice, strict=True) if c == r)
            for r in set(choice)
        }
        if all(fit(r, g) for r, g in groups.items()):
            return dict(zip(musts, choice, strict=True))
    return None


def _lock(s: Setup, assign: dict[int, int]) -> Setup:
    """``s`` with each must-see only open on its assigned day."""
    opn, cls = s.open.copy(), s.close.copy()
    for node, day in assign.items():
        for r in range(s.req.days):
            if r != day:
                opn[r, node], cls[r, node] = 1.0, 0.0
    return replace(s, open=opn, close=cls)


def plan_itinerary(
    req: TripRequest, *, ctx: Context | None = None, kgraph: Any | None = None
) -> Itinerary:
    """Plan a multi-day themed trip; raises :class:`PlanError` with an explanation if the
    must-see sites cannot all fit."""
    ctx = ctx or load_context()
    s = build_setup(req, ctx, kgraph)
    sol, nights, timed = _solve_and_time(s, ctx)
    dropped = _dropped(s, ctx, timed, nights)
    title = msg(
        "plan.title",
        theme=s.theme_name,
        days=req.days,
        start=site_name(ctx.catalog.sites[s.ids[s.start]]),
    )
    return Itinerary(
        title=title,
        theme=req.theme,
        days=tuple(timed.days),
        dropped=tuple(sorted(dropped, key=lambda x: (x.reason, x.site_id))),
        total_score=sum(st.score for d in timed.days for st in d.stops),
        solver=sol.solver,
        mode=str(req.mode),
        pace=str(req.pace),
        params=s.params.to_dict([s.ids[n] for n in nights]),
        warnings=tuple(dict.fromkeys(_warnings(s, timed) + _morning_transfers(s, ctx, timed))),
    )


def greedy_baseline(req: TripRequest, *, ctx: Context | None = None) -> Itinerary:
    """The same trip planned with the greedy insertion baseline (for comparisons)."""
    return plan_itinerary(replace(req, solver=Solver.greedy), ctx=ctx)
