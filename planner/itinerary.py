"""Multi-day themed itineraries: theme → candidates → time-windowed orienteering → days.

The trip is a team orienteering problem with time windows (one route per day) solved by
:func:`routing.orienteering.solve_optw`. This module turns a :class:`TripRequest` into that
problem — visit lengths from the catalog, the review corpus or a documented default, scaled
by the pace; opening hours and closures for the trip's real dates; travel minutes from the
distance matrix and the transport mode; a daily window with a lunch break; lodging towns —
and turns the solution back into an :class:`~planner.model.Itinerary` whose every time adds up,
with the sites left out and why.

Lodging: ``fixed`` returns to the start town every night; ``choose`` lets the planner pick
each night's base among the lodging towns (the orienteering problem with hotel selection):
every sequence of towns is screened with the greedy solver and the best few are solved in
full.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kg.catalog import Site
from planner import evidence, providers
from planner import hours as hours_mod
from planner.messages import Message, Name, msg
from planner.model import Day, Dropped, Itinerary, Stop, TravelLeg
from planner.roads import road_matrix
from planner.service import Context, PlanError, load_context
from planner.themes import (
    MIXED,
    Candidate,
    ThemeError,
    default_graph,
    load_planning,
    theme_candidates,
    theme_labels,
)
from planner.traveltimes import TravelTime, TravelTimes
from routing.distances import RoutingError
from routing.orienteering import OPTWProblem, OPTWSolution, solve_optw

MODES = ("car", "bus")
PACES = ("relaxed", "normal", "intense")
LODGING = ("choose", "fixed")
_SCREEN_KEEP = 3
# (stall, run_stall) of the ILS per effort level; None = the solver's own budget.
#: leg source of a travel time the user supplied (``TripRequest.travel_times``)
USER_SOURCE = "user"
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
EFFORT = {"quick": (20, 10), "normal": (40, 20), "thorough": (None, None)}


@dataclass(frozen=True)
class TripRequest:
    """What the traveller asks for (all names may be ids, Chinese names, aliases, pinyin)."""

    theme: str = "stone-carving"
    days: int = 3
    start: str = "dazu_town"
    date: dt.date = field(default_factory=dt.date.today)
    mode: str = "car"
    pace: str = "normal"
    must: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    end: str | None = None
    lodging: str = "choose"
    max_per_day: int | None = None
    day_start: str | None = None
    day_end: str | None = None
    lunch_min: int | None = None
    weights: tuple[tuple[str, float], ...] = ()
    hot_share: float | None = None
    # a theme every day must include (e.g. "stone-carving" in a mixed trip), if it can
    theme_per_day: str | None = None
    locks: tuple[tuple[str, int], ...] = ()  # (site, day number from 1): visit it that day
    # (day number from 1, sites in the order the traveller wants): that day is exactly this
    orders: tuple[tuple[int, tuple[str, ...]], ...] = ()
    solver: str = "auto"
    seed: int = 0
    # How hard the search works: "quick", "normal" or "thorough". The search stops after a
    # number of non-improving iterations (deterministic: same request, same plan);
    # time_limit_s is only a safety net per solve.
    effort: str = "normal"
    time_limit_s: float = 10.0
    # travel times the user supplies (planner.traveltimes): they replace the estimated minutes
    # for the pairs they list
    travel_times: TravelTimes | None = None


def _minutes(text: str) -> float:
    t = dt.time.fromisoformat(text)
    return t.hour * 60 + t.minute


def _clock(day: dt.date, minutes: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=round(minutes))


@dataclass(frozen=True)
class _Setup:
    ids: list[str]  # node order: lodging towns first, then candidates
    towns: list[str]
    cand: list[Candidate]
    km: np.ndarray
    travel: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    day_open: float
    day_close: float
    lunch: float
    dates: list[dt.date]
    notes: dict[str, tuple[Message, ...]]
    dm: Any
    theme_nodes: frozenset[int]
    theme_name: Name  # the trip's theme(s), for its title
    theme_day_name: Name | None  # the theme every day should include
    mandatory: frozenset[int]
    dropped: list[Dropped]
    params: dict[str, Any]
    visit_source: dict[str, str]
    supplied: dict[tuple[int, int], TravelTime]  # (i, j) → the user's row for that leg


def _visit_minutes(
    site: Site, pace_factor: float, planning: dict, priors: dict
) -> tuple[float, str]:
    if site.visit_hours_min is not None or site.visit_hours_max is not None:
        lo = site.visit_hours_min if site.visit_hours_min is not None else site.visit_hours_max
        hi = site.visit_hours_max if site.visit_hours_max is not None else site.visit_hours_min
        return (lo + hi) / 2 * 60 * pace_factor, "catalog"
    if site.id in priors:
        return priors[site.id] * 60 * pace_factor, "reviews"
    hours = planning["visit_hours_by_kind"].get(site.kind, 1.5)
    return hours * 60 * pace_factor, "default"


def _duration_priors() -> dict[str, float]:
    """Visit-hour priors mined from a real export's reviews (never the sample corpus)."""
    return evidence.duration_priors().values


def _setup(req: TripRequest, ctx: Context, kgraph: Any | None) -> _Setup:
    cat = ctx.catalog
    planning = load_planning()
    if req.days < 1 or req.days > 14:
        raise PlanError("days must be between 1 and 14")
    if req.mode not in MODES:
        raise PlanError(f"unknown transport mode {req.mode!r}; choose one of {', '.join(MODES)}")
    if req.pace not in PACES:
        raise PlanError(f"unknown pace {req.pace!r}; choose one of {', '.join(PACES)}")
    if req.lodging not in LODGING:
        raise PlanError(f"unknown lodging rule {req.lodging!r}; choose one of {', '.join(LODGING)}")
    day_cfg = planning["day"]
    day_open = _minutes(req.day_start or day_cfg["start"])
    day_close = _minutes(req.day_end or day_cfg["end"])
    lunch = float(day_cfg["lunch_min"] if req.lunch_min is None else req.lunch_min)
    if day_close - day_open < 60 + lunch:
        raise PlanError(msg("error.window_too_short"))
    max_per_day = req.max_per_day or int(day_cfg["max_sites"])
    start = cat.resolve(req.start)
    end = cat.resolve(req.end) if req.end else None
    for s in (start, end):
        if s is not None and not s.has_coords:
            raise PlanError(msg("error.no_coordinates_anchor", site=_name(s)))
    try:
        cands = theme_candidates(
            cat, req.theme, weights=dict(req.weights), hot_share=req.hot_share, kgraph=kgraph
        )
    except ThemeError as exc:
        raise PlanError(str(exc)) from exc
    labels = theme_labels(kgraph)
    if req.theme_per_day is not None and req.theme_per_day not in labels:
        raise PlanError(
            f"unknown theme {req.theme_per_day!r} for the daily rule; "
            f"choose from {', '.join(labels)}"
        )
    shown = [t for t, w in req.weights if float(w) > 0] if req.theme == MIXED else [req.theme]
    locks: dict[str, int] = {}
    fixed: dict[int, list[str]] = {}
    for day_no, names in req.orders:
        if not 1 <= int(day_no) <= req.days:
            raise PlanError(msg("error.day_outside_trip", day=int(day_no), days=req.days))
        fixed[int(day_no) - 1] = [cat.resolve(x).id for x in names]
        for sid in fixed[int(day_no) - 1]:
            locks[sid] = int(day_no) - 1
    for name, day_no in req.locks:
        site = cat.resolve(name)
        if not 1 <= int(day_no) <= req.days:
            raise PlanError(
                msg("error.lock_outside_trip", site=_name(site), day=int(day_no), days=req.days)
            )
        locks[site.id] = int(day_no) - 1
    must = [cat.resolve(m) for m in req.must] + [cat.sites[k] for k in locks]
    must = list({m.id: m for m in must}.values())
    avoid = {cat.resolve(a).id for a in req.avoid}
    clash = [_name(m) for m in must if m.id in avoid]
    if clash:
        raise PlanError(msg("error.must_and_avoid", sites=clash))
    by_id = {c.site_id: c for c in cands}
    for m in must:  # a must-see outside the theme is still visited (score from its interest)
        if m.id not in by_id:
            by_id[m.id] = Candidate(m.id, 0.0, 0.0, 0.0, ())
    dropped: list[Dropped] = []
    chosen: list[Candidate] = []
    for c in by_id.values():
        site = cat.sites[c.site_id]
        if c.site_id in avoid:
            dropped.append(Dropped(c.site_id, site.name_zh, "avoided", msg("dropped.avoided")))
        elif not site.has_coords:
            dropped.append(
                Dropped(c.site_id, site.name_zh, "no_coordinates", msg("dropped.no_coordinates"))
            )
        else:
            chosen.append(c)
    must_ids = {m.id for m in must}
    for m in must:
        if not m.has_coords:
            raise PlanError(msg("error.must_no_coordinates", site=_name(m)))
    towns = [s.id for s in cat.sites.values() if s.kind == "town" and s.has_coords]
    if start.id not in towns:
        towns.insert(0, start.id)
    if end is not None and end.id not in towns:
        towns.append(end.id)
    chosen = [c for c in chosen if c.site_id not in towns]
    ids = towns + [c.site_id for c in chosen]
    transport = planning["transport"][req.mode]
    try:  # km, minutes and sources of every leg: planner/providers.py decides
        dm = providers.leg_table(
            ctx,
            ids,
            transport=transport,
            mode=req.mode,
            travel_times=req.travel_times,
            roads=road_matrix(),
        )
    except RoutingError as exc:
        raise PlanError(str(exc)) from exc
    travel, supplied = dm.minutes, dm.supplied
    n = len(ids)
    pace_factor = float(planning["pace"][req.pace])
    priors = _duration_priors()
    service = np.zeros(n)
    visit_source: dict[str, str] = {}
    for k, sid in enumerate(ids):
        if k >= len(towns):
            service[k], visit_source[sid] = _visit_minutes(
                cat.sites[sid], pace_factor, planning, priors
            )
    score = np.zeros(n)
    for k, c in enumerate(chosen, start=len(towns)):
        score[k] = max(c.score, 1e-3)
    dates = [req.date + dt.timedelta(days=d) for d in range(req.days)]
    rules = hours_mod.load_hours(known_sites=set(cat.sites))
    opn = np.full((req.days, n), day_open)
    cls = np.full((req.days, n), day_close)
    notes: dict[str, list[Message]] = {}
    closed_all: dict[str, list[str]] = {}
    uncertain: set[str] = set()
    for r, day in enumerate(dates):
        for k in range(len(towns), n):
            sid = ids[k]
            h = hours_mod.hours_on(rules.get(sid), day)
            for note in h.notes:
                if note not in notes.setdefault(sid, []):
                    notes[sid].append(note)
            if any(x.code == "hours.reported_closed" for x in h.notes) or any(
                r_.status == "reported_closed" and r_.applies(day) for r_ in rules.get(sid, [])
            ):
                uncertain.add(sid)
            if h.status == "closed":
                opn[r, k], cls[r, k] = 1.0, 0.0  # an empty window: not visitable that day
                closed_all.setdefault(sid, []).append(day.isoformat())
                continue
            o = day_open if h.open is None else max(day_open, h.open.hour * 60 + h.open.minute)
            c = day_close if h.close is None else min(day_close, h.close.hour * 60 + h.close.minute)
            opn[r, k] = o
            cls[r, k] = c - service[k]  # the visit must end by closing time
    # A locked site can only be visited on its day; a day with a fixed order gets only its sites.
    for sid, r_lock in locks.items():
        k = ids.index(sid)
        for r in range(req.days):
            if r != r_lock:
                opn[r, k], cls[r, k] = 1.0, 0.0
    for r_fixed, sids in fixed.items():
        for k in range(len(towns), n):
            if ids[k] not in sids:
                opn[r_fixed, k], cls[r_fixed, k] = 1.0, 0.0
    # A site a source reported closed (status now unknown) is a risk: its score is scaled down.
    penalty = float(planning["scoring"].get("uncertain_open_factor", 1.0))
    for sid in uncertain:
        score[ids.index(sid)] *= penalty
    mandatory = frozenset(ids.index(m) for m in must_ids)
    params = {
        "theme": req.theme,
        "weights": dict(req.weights),
        "days": req.days,
        "start": start.id,
        "end": end.id if end else None,
        "date": req.date.isoformat(),
        "mode": req.mode,
        "speed_kmh": transport["speed_kmh"],
        "overhead_min": transport["overhead_min"],
        "pace": req.pace,
        "pace_factor": pace_factor,
        "day": [req.day_start or day_cfg["start"], req.day_end or day_cfg["end"]],
        "lunch_min": lunch,
        "max_per_day": max_per_day,
        "lodging": req.lodging,
        "must": sorted(must_ids),
        "locks": {k: v + 1 for k, v in sorted(locks.items())},
        "orders": {str(r + 1): v for r, v in sorted(fixed.items())},
        "avoid": sorted(avoid),
        "circuity_factor": round(ctx.circuity.factor, 4),
        "seed": req.seed,
        "effort": req.effort,
        "theme_per_day": req.theme_per_day,
    }
    params["roads"] = providers.roads_params(dm)
    params["evidence"] = {
        "visit_lengths": evidence.duration_priors().record(),
        "popularity": evidence.popularity_origin(kgraph or default_graph()).record(),
    }
    if req.travel_times is not None:
        params["travel_times"] = {
            "file": req.travel_times.name,
            "sha256": req.travel_times.sha256,
            "rows": len(req.travel_times.rows),
            "pairs_used": len(supplied),
        }
    return _Setup(
        ids=ids,
        towns=towns,
        cand=chosen,
        km=dm.km,
        travel=travel,
        service=service,
        score=score,
        open=opn,
        close=cls,
        day_open=day_open,
        day_close=day_close,
        lunch=lunch,
        dates=dates,
        notes={k: tuple(v) for k, v in notes.items()},
        dm=dm,
        theme_nodes=frozenset(
            ids.index(c.site_id) for c in chosen if req.theme_per_day in c.themes
        ),
        theme_name=_theme_name(labels, shown),
        theme_day_name=_theme_name(labels, [req.theme_per_day]) if req.theme_per_day else None,
        mandatory=mandatory,
        dropped=dropped,
        params=params,
        visit_source=visit_source,
        supplied=supplied,
    )


def _problem(s: _Setup, nights: Sequence[int], start: int, max_stops: int) -> OPTWProblem:
    route_start = [start, *nights[:-1]]
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
        max_stops=max_stops,
        candidates=list(range(len(s.towns), len(s.ids))),
    )


def _night_sequences(s: _Setup, req: TripRequest, start: int, end: int | None) -> list[tuple]:
    days = req.days
    last = end if end is not None else start  # a trip returns to its start unless told
    if req.lodging == "fixed" or days == 1:
        return [tuple([start] * (days - 1) + [last])]
    # Towns worth sleeping in: within reach of at least one candidate (≤ 2 h of travel).
    near = [
        t
        for t in range(len(s.towns))
        if t in (start, end) or (s.travel[t, len(s.towns) :] <= 120).any()
    ]
    seqs = []
    for combo in itertools.product(near, repeat=days - 1):
        seqs.append((*combo, last))
    return seqs


def _solve(s: _Setup, req: TripRequest) -> tuple[OPTWSolution, tuple[int, ...]]:
    start = s.ids.index(s.params["start"])
    end = s.ids.index(s.params["end"]) if s.params["end"] else None
    max_stops = int(s.params["max_per_day"])
    if req.effort not in EFFORT:
        raise PlanError(f"unknown effort {req.effort!r}; choose one of {', '.join(EFFORT)}")
    stall, run_stall = EFFORT[req.effort]
    seqs = _night_sequences(s, req, start, end)

    def solve(nights: tuple[int, ...]) -> OPTWSolution:
        return solve_optw(
            _problem(s, nights, start, max_stops),
            method=req.solver,
            seed=req.seed,
            time_limit_s=req.time_limit_s,
            stall=stall,
            run_stall=run_stall,
        )

    if len(seqs) == 1:
        return solve(seqs[0]), seqs[0]
    screened = []
    for nights in seqs:
        sol = solve_optw(_problem(s, nights, start, max_stops), method="greedy", seed=req.seed)
        # Fewer unplaced must-sees first, then score, then less travel.
        screened.append(((len(sol.infeasible_mandatory), -sol.score, sol.travel), nights))
    screened.sort(key=lambda x: x[0])
    best: tuple[tuple, OPTWSolution, tuple] | None = None
    for _, nights in screened[:_SCREEN_KEEP]:
        sol = solve(nights)
        key = (len(sol.infeasible_mandatory), -round(sol.score, 9), sol.travel)
        if best is None or key < best[0]:
            best = (key, sol, nights)
    assert best is not None
    return best[1], best[2]


def _legs(s: _Setup, chain: list[int], mode: str, speed_travel: np.ndarray) -> list[TravelLeg]:
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
class _Timing:
    """A day's order timed with its lunch break: per-stop (arrive, begin), back, lunch."""

    order: tuple[int, ...]
    arrive: tuple[float, ...]
    begin: tuple[float, ...]
    lunch_at: float | None
    back: float


def _time_order(
    s: _Setup, r: int, order: Sequence[int], start: int, end: int, lunch_window: tuple[float, float]
) -> _Timing | None:
    """Best timing of ``order`` with one lunch break, or ``None`` if no placement fits.

    Lunch is taken at a stop boundary (after leaving one stop, before driving on), starting
    no earlier than ``lunch_window[0]`` and no later than ``lunch_window[1]``; every boundary
    is tried and the placement that gets back earliest wins.
    """
    lo, hi = lunch_window
    best: _Timing | None = None
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
        cand = _Timing(tuple(order), tuple(arrive), tuple(begin), lunch_at, t)
        if best is None or cand.back < best.back:
            best = cand
    return best


_EXACT_DAY_COMBOS = 20000


def _best_day(
    s: _Setup,
    r: int,
    start: int,
    end: int,
    pool: Sequence[int],
    keep: Sequence[int],
    cap: int,
    lunch_window: tuple[float, float],
    require: frozenset[int] = frozenset(),
) -> _Timing | None:
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
    if sum(math.comb(len(free), k) for k in range(room + 1)) > _EXACT_DAY_COMBOS:
        return None
    combos = [
        (tuple(keep) + c) for k in range(room + 1) for c in itertools.combinations(sorted(free), k)
    ]
    if require:
        combos = [c for c in combos if require.intersection(c)]
    combos.sort(key=lambda c: (-sum(s.score[v] for v in c), len(c), c))
    for combo in combos:
        best: _Timing | None = None
        for order in itertools.permutations(combo):
            t = _time_order(s, r, list(order), start, end, lunch_window)
            if t is not None and (best is None or t.back < best.back):
                best = t
        if best is not None:
            return best
    return None


def _fit_day(
    s: _Setup,
    r: int,
    order: list[int],
    start: int,
    end: int,
    lunch_window: tuple[float, float],
    spare: list[int],
    max_stops: int,
) -> tuple[_Timing, list[int], list[int]]:
    """Time a day with lunch; drop the lowest-scoring optional stops until it fits, then try
    to add spare candidates back (best score first). Returns (timing, removed, added)."""
    order = list(order)
    removed: list[int] = []
    timing = _time_order(s, r, order, start, end, lunch_window)
    while timing is None:
        optional = [i for i in range(len(order)) if order[i] not in s.mandatory]
        if not optional:
            raise PlanError("the must-see sites of a day do not fit once a lunch break is added")
        drop = min(optional, key=lambda i: (s.score[order[i]], i))
        removed.append(order.pop(drop))
        timing = _time_order(s, r, order, start, end, lunch_window)
    added: list[int] = []
    for node in sorted(spare, key=lambda v: (-s.score[v], v)):
        if len(order) >= max_stops:
            break
        if node in removed:
            continue
        trials = [
            t
            for p in range(len(order) + 1)
            if (t := _time_order(s, r, [*order[:p], node, *order[p:]], start, end, lunch_window))
        ]
        if trials:
            timing = min(trials, key=lambda t: t.back)
            order = list(timing.order)
            added.append(node)
    return timing, removed, added


def _day_from_timing(
    s: _Setup, ctx: Context, r: int, timing: _Timing, start: int, end: int, mode: str
) -> Day:
    cat = ctx.catalog
    day = s.dates[r]
    stops = []
    for node, a, b in zip(timing.order, timing.arrive, timing.begin, strict=True):
        site = cat.sites[s.ids[node]]
        notes = list(s.notes.get(site.id, ()))
        source = s.visit_source.get(site.id, "default")
        label = msg(f"source.{source}")
        if source == "reviews":  # only ever a real export's reviews (planner.evidence)
            export = s.params["evidence"]["visit_lengths"].get("files", "")
            label = msg("source.reviews_in", export=export)
        notes.append(msg("stop.visit_source", source=label))
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


def _name(site: Site) -> Name:
    return Name(site.name_zh, site.name_en)


def _theme_name(labels: dict[str, tuple[str, str]], themes: Sequence[str]) -> Name:
    """Theme ids as one bilingual name (``石刻 + 川剧`` / ``stone carving + Sichuan opera``)."""
    pairs = [labels.get(t, (t, t)) for t in themes]
    return Name(" + ".join(p[0] for p in pairs), " + ".join(p[1] for p in pairs), keep_zh=False)


def _explain_mandatory(s: _Setup, ctx: Context, sol: OPTWSolution) -> Message:
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
        msgs.append(msg("error.must_site", site=_name(site), hours=diag.service / 60, days=parts))
    return msg("error.musts_infeasible", sites=msgs)


def plan_itinerary(
    req: TripRequest, *, ctx: Context | None = None, kgraph: Any | None = None
) -> Itinerary:
    """Plan a multi-day themed trip; raises :class:`PlanError` with an explanation if the
    must-see sites cannot all fit."""
    ctx = ctx or load_context()
    s = _setup(req, ctx, kgraph)
    planning = load_planning()
    sol, nights = _solve(s, req)
    if sol.infeasible_mandatory:
        raise PlanError(_explain_mandatory(s, ctx, sol))
    start = s.ids.index(s.params["start"])
    day_starts = [start, *nights[:-1]]
    lunch_earliest = _minutes(planning["day"]["lunch_earliest"])
    lunch_latest = _minutes(planning["day"]["lunch_latest"])
    window = (lunch_earliest, lunch_latest)
    theme_misses: list[int] = []
    days = []
    removed_all: list[int] = []
    used = {v.node for route in sol.routes for v in route}
    spare = [k for k in range(len(s.towns), len(s.ids)) if k not in used]
    max_stops = int(s.params["max_per_day"])
    for r, route in enumerate(sol.routes):
        order = [v.node for v in route if v.node >= len(s.towns)]  # drop the lodging ends
        wanted = s.params["orders"].get(str(r + 1))
        if wanted is not None:
            want = [s.ids.index(x) for x in wanted]
            timing = _time_order(s, r, want, day_starts[r], nights[r], window)
            if timing is None:
                order = Name(
                    " → ".join(ctx.catalog.sites[x].name_zh for x in wanted),
                    " → ".join(ctx.catalog.sites[x].name_en or x for x in wanted),
                )
                raise PlanError(msg("error.order_does_not_fit", day=r + 1, order=order))
            days.append(_day_from_timing(s, ctx, r, timing, day_starts[r], nights[r], req.mode))
            continue
        keep = [v for v in order if v in s.mandatory]
        pool = [*order, *spare]
        exact = _best_day(s, r, day_starts[r], nights[r], pool, keep, max_stops, window)
        themed_wins = False
        if req.theme_per_day and not s.theme_nodes.intersection(exact.order if exact else order):
            themed = _best_day(
                s, r, day_starts[r], nights[r], pool, keep, max_stops, window, s.theme_nodes
            )
            if themed is not None:
                exact, themed_wins = themed, True  # the theme rule wins over a higher score
            else:
                theme_misses.append(r + 1)
        if exact is not None and (
            themed_wins
            or sum(s.score[v] for v in exact.order) >= sum(s.score[v] for v in order) - 1e-9
        ):
            timing = exact
            added = [v for v in exact.order if v not in order]
            removed = [v for v in order if v not in exact.order]
        else:
            timing, removed, added = _fit_day(
                s, r, order, day_starts[r], nights[r], window, spare, max_stops
            )
        spare = [k for k in spare if k not in added] + removed
        removed_all.extend(removed)
        days.append(_day_from_timing(s, ctx, r, timing, day_starts[r], nights[r], req.mode))
    removed_all = [k for k in removed_all if k in spare]
    visited = {st.site_id for d in days for st in d.stops}
    missing_must = [s.ids[m] for m in s.mandatory if s.ids[m] not in visited]
    if missing_must:
        lost = [_name(ctx.catalog.sites[m]) for m in missing_must]
        raise PlanError(msg("error.must_lost_to_lunch", sites=lost))
    dropped = list(s.dropped)
    closed_every_day = {
        s.ids[k]
        for k in range(len(s.towns), len(s.ids))
        if all(s.close[r, k] < s.open[r, k] for r in range(req.days))
    }
    for k in range(len(s.towns), len(s.ids)):
        sid = s.ids[k]
        if sid in visited:
            continue
        site = ctx.catalog.sites[sid]
        if sid in closed_every_day:
            reason, detail = "closed", msg("dropped.closed_all")
        elif k in removed_all:
            reason, detail = "no_time", msg("dropped.lunch")
        elif not any(
            s.travel[day_starts[r], k] + s.service[k] + s.travel[k, nights[r]]
            <= s.day_close - s.day_open - s.lunch
            for r in range(req.days)
        ):
            reason, detail = "too_far", msg("dropped.too_far")
        else:
            reason = "lower_score"
            detail = msg("dropped.lower_score", score=float(s.score[k]))
        dropped.append(Dropped(sid, site.name_zh, reason, detail))
    total_score = sum(st.score for d in days for st in d.stops)
    theme_label = req.theme
    warnings: list[Message] = []
    for d in days:
        for st in d.stops:
            for note in st.notes:
                if note.code in WARN_NOTES:
                    site = Name(st.name_zh, st.name_en)
                    warnings.append(msg("warn.site_note", site=site, note=note, id=st.site_id))
    if any(st.coord_confidence == "approx" for d in days for st in d.stops):
        warnings.append(msg("warn.approx"))
    if s.dm.roads is None:
        warnings.append(msg("warn.no_roads"))
    for day_no in theme_misses:
        warnings.append(msg("warn.theme_day_missing", day=day_no, theme=s.theme_day_name))
    params = dict(s.params)
    params["nights"] = [s.ids[n] for n in nights]
    title = msg(
        "plan.title",
        theme=s.theme_name,
        days=req.days,
        start=_name(ctx.catalog.sites[s.ids[start]]),
    )
    return Itinerary(
        title=title,
        theme=theme_label,
        days=tuple(days),
        dropped=tuple(sorted(dropped, key=lambda x: (x.reason, x.site_id))),
        total_score=total_score,
        solver=sol.solver,
        mode=req.mode,
        pace=req.pace,
        params=params,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def greedy_baseline(req: TripRequest, *, ctx: Context | None = None) -> Itinerary:
    """The same trip planned with the greedy insertion baseline (for comparisons)."""
    return plan_itinerary(replace(req, solver="greedy"), ctx=ctx)


__all__ = ["LODGING", "MODES", "PACES", "TripRequest", "greedy_baseline", "plan_itinerary"]
