"""Plan a multi-day themed trip: request → setup → orienteering → timed days → itinerary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from planner.messages import Message, Name, msg
from planner.model import Day, Dropped, Itinerary
from planner.service import Context, PlanError, load_context
from planner.trip.days import Timing, best_day, day_from_timing, fit_day, time_order
from planner.trip.request import Solver, TripRequest
from planner.trip.setup import Setup, build_setup, site_name
from planner.trip.solve import solve_trip
from routing.orienteering import OPTWSolution

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


def explain_mandatory(s: Setup, ctx: Context, sol: OPTWSolution) -> Message:
    """Why the must-sees cannot all fit: per site, what each day lacks."""
    msgs = []
    for diag in sol.diagnoses:
        site = ctx.catalog.sites[s.ids[diag.node]]
        parts = []
        for rd in diag.routes:
            when = {"day": rd.route + 1, "date": s.dates[rd.route].isoformat()}
            if rd.reason == "closed":
                parts.append(msg("error.day_closed", **when))
            elif rd.reason == "too_late":
                parts.append(msg("error.day_too_late", **when))
            elif rd.reason == "route_window":
                parts.append(
                    msg(
                        "error.day_window",
                        **when,
                        needed=rd.empty_route_needed / 60,
                        available=rd.empty_route_available / 60,
                    )
                )
            elif rd.reason == "max_stops":
                parts.append(msg("error.day_max_stops", **when))
            else:
                parts.append(
                    msg(
                        "error.day_time_left",
                        **when,
                        available=max(rd.available, 0) / 60,
                        needed=rd.needed / 60,
                    )
                )
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


def _time_days(s: Setup, ctx: Context, sol: OPTWSolution, nights: tuple[int, ...]) -> _Days:
    """Each solved day timed with its lunch break (re-optimised exactly when small)."""
    day_starts = [s.start, *nights[:-1]]
    out = _Days()
    used = {v.node for route in sol.routes for v in route}
    spare = [k for k in s.candidates if k not in used]
    for r, route in enumerate(sol.routes):
        start, end = day_starts[r], nights[r]
        if r in s.orders:
            out.days.append(_ordered_day(s, ctx, r, start, end))
            continue
        order = [v.node for v in route if v.node >= len(s.towns)]  # drop the lodging ends
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
        else:
            reason = "lower_score"
            detail = msg("dropped.lower_score", score=float(s.score[k]))
        dropped.append(Dropped(sid, site.name_zh, reason, detail))
    return dropped


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


def plan_itinerary(
    req: TripRequest, *, ctx: Context | None = None, kgraph: Any | None = None
) -> Itinerary:
    """Plan a multi-day themed trip; raises :class:`PlanError` with an explanation if the
    must-see sites cannot all fit."""
    ctx = ctx or load_context()
    s = build_setup(req, ctx, kgraph)
    reserve: dict[int, float] = {}
    for _attempt in range(_REPLANS + 1):
        sol, nights = solve_trip(s, reserve)
        if sol.infeasible_mandatory:
            raise PlanError(explain_mandatory(s, ctx, sol))
        try:
            timed = _time_days(s, ctx, sol, nights)
            break
        except _ReplanError as exc:  # re-plan with more time kept free on that day
            reserve[exc.day] = reserve.get(exc.day, 0.0) + _REPLAN_STEP_MIN
    else:
        lost = [site_name(ctx.catalog.sites[s.ids[m]]) for m in sorted(s.mandatory)]
        raise PlanError(msg("error.must_lost_to_lunch", sites=lost))
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
        warnings=tuple(dict.fromkeys(_warnings(s, timed))),
    )


def greedy_baseline(req: TripRequest, *, ctx: Context | None = None) -> Itinerary:
    """The same trip planned with the greedy insertion baseline (for comparisons)."""
    return plan_itinerary(replace(req, solver=Solver.greedy), ctx=ctx)
