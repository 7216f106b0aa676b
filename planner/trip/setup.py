"""A validated :class:`~planner.trip.request.TripRequest` → the arrays the planner solves over.

:func:`build_setup` resolves the names (start, end, must-sees, avoided, locked and ordered
sites), picks the theme's candidates, builds the travel-minute matrix (distance matrix and
transport mode, or the traveller's own times), the visit lengths (catalog, reviews or a
documented default, scaled by the pace) and each day's opening windows for the trip's real
dates. What was used is recorded once in a typed :class:`TripParams` (stored in the plan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.geo import haversine_km
from kg.catalog import Catalog, Site
from planner import evidence, providers, region
from planner import hours as hours_mod
from planner.messages import Message, Name, msg
from planner.model import Dropped
from planner.roads import road_matrix
from planner.service import Context, PlanError
from planner.themes import (
    MIXED,
    Candidate,
    ThemeError,
    default_graph,
    load_planning,
    theme_candidates,
    theme_labels,
)
from planner.traveltimes import TravelTime
from planner.trip.request import RequestError, TripRequest
from routing.distances import RoutingError
from routing.optw_model import is_metric

__all__ = ["Setup", "TripParams", "build_setup", "clock_minutes", "site_name", "theme_name"]


def clock_minutes(text: str) -> float:
    """``"08:30"`` → 510.0 (minutes after midnight)."""
    t = dt.time.fromisoformat(text)
    return t.hour * 60 + t.minute


def site_name(site: Site) -> Name:
    """A site's bilingual name."""
    return Name(site.name_zh, site.name_en)


def theme_name(labels: dict[str, tuple[str, str]], themes: list[str]) -> Name:
    """Theme ids as one bilingual name (``石刻 + 川剧`` / ``stone carving + Sichuan opera``)."""
    pairs = [labels.get(t, (t, t)) for t in themes]
    return Name(" + ".join(p[0] for p in pairs), " + ".join(p[1] for p in pairs), keep_zh=False)


@dataclass(frozen=True)
class TripParams:
    """The settings a plan was made with (its ``params`` in the plan file)."""

    theme: str
    weights: dict[str, float]
    days: int
    start: str
    end: str | None
    date: str
    mode: str
    speed_kmh: float
    overhead_min: float
    pace: str
    pace_factor: float
    day: tuple[str, str]
    lunch_min: float
    lunch_window: tuple[str, str]
    max_per_day: int
    lodging: str
    must: tuple[str, ...]
    locks: dict[str, int]
    orders: dict[str, list[str]]
    avoid: tuple[str, ...]
    circuity_factor: float
    seed: int
    effort: str
    theme_per_day: str | None
    max_drive_hours: float
    end_slack_min: float
    drive_weight: float
    roads: dict[str, Any] | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    travel_times: dict[str, Any] | None = None
    long_leg_km: float | None = None  # beyond it, estimated legs run at long_leg_speed_kmh
    long_leg_speed_kmh: float | None = None

    def to_dict(self, nights: list[str]) -> dict[str, Any]:
        """JSON form (plan files), with the nights chosen."""
        out: dict[str, Any] = {
            "theme": self.theme,
            "weights": dict(self.weights),
            "days": self.days,
            "start": self.start,
            "end": self.end,
            "date": self.date,
            "mode": self.mode,
            "speed_kmh": self.speed_kmh,
            "long_leg_km": self.long_leg_km,
            "long_leg_speed_kmh": self.long_leg_speed_kmh,
            "overhead_min": self.overhead_min,
            "pace": self.pace,
            "pace_factor": self.pace_factor,
            "day": list(self.day),
            "lunch_min": self.lunch_min,
            "lunch_window": list(self.lunch_window),
            "max_per_day": self.max_per_day,
            "lodging": self.lodging,
            "must": list(self.must),
            "locks": dict(self.locks),
            "orders": {k: list(v) for k, v in self.orders.items()},
            "avoid": list(self.avoid),
            "circuity_factor": self.circuity_factor,
            "seed": self.seed,
            "effort": self.effort,
            "theme_per_day": self.theme_per_day,
            "max_drive_hours": self.max_drive_hours,
            "end_slack_min": self.end_slack_min,
            "drive_weight": self.drive_weight,
            "nights": nights,
            "roads": self.roads,
            "evidence": dict(self.evidence),
        }
        if self.travel_times is not None:
            out["travel_times"] = dict(self.travel_times)
        return out


@dataclass(frozen=True)
class Setup:
    """Nodes (lodging towns first, then candidates) and every array the planner solves over."""

    req: TripRequest
    params: TripParams
    ids: list[str]
    towns: list[str]
    cand: list[Candidate]
    km: np.ndarray
    travel: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    day_open: float
    day_close: float  # latest arrival at the night's lodging (the day's end minus its slack)
    lunch: float
    lunch_window: tuple[float, float]
    max_drive: float  # minutes of travel per day at most
    drive_weight: float  # score per travel minute given up (λ / 60)
    dates: list[dt.date]
    notes: dict[str, tuple[Message, ...]]
    dm: Any
    start: int
    end: int | None
    max_stops: int
    theme_nodes: frozenset[int]
    theme_name: Name  # the trip's theme(s), for its title
    theme_day_name: Name | None  # the theme every day should include
    mandatory: frozenset[int]
    dropped: list[Dropped]
    visit_source: dict[str, str]
    supplied: dict[tuple[int, int], TravelTime]  # (i, j) → the user's row for that leg
    orders: dict[int, list[int]] = field(default_factory=dict)  # day index → nodes in order
    metric: bool = True  # the travel matrix obeys the triangle inequality (computed once)

    @property
    def candidates(self) -> range:
        """Node indices of the candidate sites."""
        return range(len(self.towns), len(self.ids))


def _visit_minutes(
    site: Site, pace_factor: float, planning: dict, priors: dict
) -> tuple[float, str]:
    given = [h for h in (site.visit_hours_min, site.visit_hours_max) if h is not None]
    if given:  # the middle of the catalog's range (or its one bound)
        return (min(given) + max(given)) / 2 * 60 * pace_factor, "catalog"
    if site.id in priors:
        return priors[site.id] * 60 * pace_factor, "reviews"
    hours = planning["visit_hours_by_kind"].get(site.kind, 1.5)
    return hours * 60 * pace_factor, "default"


def _duration_priors() -> dict[str, float]:
    """Visit-hour priors mined from a real export's reviews (never the sample corpus)."""
    return evidence.duration_priors().values


@dataclass
class _Sites:
    """The request's names resolved against the catalog."""

    start: Site
    end: Site | None
    must: list[Site]
    avoid: set[str]
    locks: dict[str, int]  # site id → day index
    fixed: dict[int, list[str]]  # day index → site ids in order


def _nearest_towns(cat: Catalog, site: Site, n: int = 3) -> tuple[Name, ...]:
    """The ``n`` towns nearest ``site`` (great-circle), to start from instead."""
    assert site.lat is not None and site.lon is not None  # checked by the caller
    lat, lon = site.lat, site.lon
    towns = [t for t in cat.sites.values() if t.kind == "town" and t.has_coords]
    towns.sort(key=lambda t: (haversine_km(lat, lon, float(t.lat or 0), float(t.lon or 0)), t.id))
    return tuple(site_name(t) for t in towns[:n])


def _resolve(req: TripRequest, cat: Catalog) -> _Sites:
    for field_name, names in (("must", req.must), ("avoid", req.avoid)):
        if len(names) > len(cat.sites):
            raise RequestError(
                msg(
                    "error.too_many_names",
                    field=field_name,
                    count=len(names),
                    catalog=len(cat.sites),
                )
            )
    start = cat.resolve(req.start)
    end = cat.resolve(req.end) if req.end else None
    for s in (start, end):
        if s is not None and not s.has_coords:
            raise PlanError(msg("error.no_coordinates_anchor", site=site_name(s)))
        if s is not None and s.kind != "town":  # as the app: a trip sleeps in towns
            towns = _nearest_towns(cat, s)
            raise RequestError(msg("error.anchor_not_town", site=site_name(s), towns=towns))
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
                msg("error.lock_outside_trip", site=site_name(site), day=int(day_no), days=req.days)
            )
        locks[site.id] = int(day_no) - 1
    must = [cat.resolve(m) for m in req.must] + [cat.sites[k] for k in locks]
    must = list({m.id: m for m in must}.values())
    avoid = {cat.resolve(a).id for a in req.avoid}
    clash = [site_name(m) for m in must if m.id in avoid]
    if clash:
        raise PlanError(msg("error.must_and_avoid", sites=clash))
    for m in must:
        if not m.has_coords:
            raise PlanError(msg("error.must_no_coordinates", site=site_name(m)))
    return _Sites(start, end, must, avoid, locks, fixed)


def _candidates(
    req: TripRequest, cat: Catalog, sites: _Sites, kgraph: Any | None
) -> tuple[list[Candidate], list[Dropped]]:
    try:
        cands = theme_candidates(
            cat, req.theme, weights=dict(req.weights), hot_share=req.hot_share, kgraph=kgraph
        )
    except ThemeError as exc:
        raise PlanError(str(exc)) from exc
    by_id = {c.site_id: c for c in cands}
    for m in sites.must:  # a must-see outside the theme is still visited (score from interest)
        if m.id not in by_id:
            by_id[m.id] = Candidate(m.id, 0.0, 0.0, 0.0, ())
    dropped: list[Dropped] = []
    chosen: list[Candidate] = []
    for c in by_id.values():
        site = cat.sites[c.site_id]
        if c.site_id in sites.avoid:
            dropped.append(Dropped(c.site_id, site.name_zh, "avoided", msg("dropped.avoided")))
        elif not site.has_coords:
            dropped.append(
                Dropped(c.site_id, site.name_zh, "no_coordinates", msg("dropped.no_coordinates"))
            )
        else:
            chosen.append(c)
    return chosen, dropped


def _travel_minutes(
    req: TripRequest, ctx: Context, ids: list[str], transport: dict
) -> tuple[Any, np.ndarray, dict[tuple[int, int], TravelTime]]:
    try:  # km, minutes and sources of every leg: planner/providers.py decides
        dm = region.cached_leg_table(  # computed once per set of sites, mode and file
            ctx,
            ids,
            transport=transport,
            mode=str(req.mode),
            travel_times=req.travel_times,
            roads=road_matrix(),
        )
    except RoutingError as exc:
        raise PlanError(str(exc)) from exc
    return dm, dm.minutes, dm.supplied


@dataclass
class _Windows:
    open: np.ndarray
    close: np.ndarray
    notes: dict[str, tuple[Message, ...]]
    uncertain: set[str]


def _windows(
    req: TripRequest,
    cat: Catalog,
    ids: list[str],
    first: int,
    service: np.ndarray,
    day: tuple[float, float],
    sites: _Sites,
) -> _Windows:
    """Each day's window of every candidate: opening hours on the real dates, the visit
    ending by closing time; locked sites only on their day, ordered days only their sites."""
    day_open, day_close = day
    n = len(ids)
    dates = [req.date + dt.timedelta(days=d) for d in range(req.days)]
    rules = hours_mod.load_hours(known_sites=set(cat.sites))
    opn = np.full((req.days, n), day_open)
    cls = np.full((req.days, n), day_close)
    notes: dict[str, list[Message]] = {}
    uncertain: set[str] = set()
    for r, date in enumerate(dates):
        for k in range(first, n):
            sid = ids[k]
            h = hours_mod.hours_on(rules.get(sid), date)
            for note in h.notes:
                if note not in notes.setdefault(sid, []):
                    notes[sid].append(note)
            if any(x.code == "hours.reported_closed" for x in h.notes) or any(
                rule.status == "reported_closed" and rule.applies(date)
                for rule in rules.get(sid, [])
            ):
                uncertain.add(sid)
            if h.status == "closed":
                opn[r, k], cls[r, k] = 1.0, 0.0  # an empty window: not visitable that day
                continue
            o = day_open if h.open is None else max(day_open, h.open.hour * 60 + h.open.minute)
            c = day_close if h.close is None else min(day_close, h.close.hour * 60 + h.close.minute)
            opn[r, k] = o
            cls[r, k] = c - service[k]  # the visit must end by closing time
    for sid, r_lock in sites.locks.items():
        k = ids.index(sid)
        for r in range(req.days):
            if r != r_lock:
                opn[r, k], cls[r, k] = 1.0, 0.0
    for r_fixed, sids in sites.fixed.items():
        for k in range(first, n):
            if ids[k] not in sids:
                opn[r_fixed, k], cls[r_fixed, k] = 1.0, 0.0
    return _Windows(opn, cls, {k: tuple(v) for k, v in notes.items()}, uncertain)


@dataclass(frozen=True)
class _Day:
    """The daily settings of a request (the request's values, else ``planning.yaml``)."""

    day: tuple[str, str]  # earliest start, latest return (HH:MM)
    lunch: float
    lunch_window: tuple[str, str]
    max_per_day: int
    max_drive_hours: float
    end_slack_min: float
    drive_weight: float  # score per hour of travel


def _day_settings(req: TripRequest, planning: dict[str, Any]) -> _Day:
    """The daily window, lunch, driving limit, slack and drive weight (request or defaults)."""
    day_cfg = planning["day"]

    def pick(value: float | None, default: float) -> float:
        return float(default if value is None else value)

    out = _Day(
        day=(req.day_start or day_cfg["start"], req.day_end or day_cfg["end"]),
        lunch=pick(req.lunch_min, day_cfg["lunch_min"]),
        lunch_window=(day_cfg["lunch_earliest"], day_cfg["lunch_latest"]),
        max_per_day=req.max_per_day or int(day_cfg["max_sites"]),
        max_drive_hours=pick(
            req.max_drive_hours,
            planning["transport"][req.mode].get(
                "max_drive_hours", day_cfg.get("max_drive_hours", 24.0)
            ),
        ),
        end_slack_min=pick(req.end_slack_min, day_cfg.get("end_slack_min", 0.0)),
        drive_weight=pick(
            req.drive_weight, planning.get("objective", {}).get("drive_weight_per_hour", 0.0)
        ),
    )
    day_open, day_close = clock_minutes(out.day[0]), clock_minutes(out.day[1])
    if day_close - out.end_slack_min - day_open < 60 + out.lunch:
        raise PlanError(msg("error.window_too_short"))
    return out


def _params(
    req: TripRequest,
    ctx: Context,
    cfg: _Day,
    sites: _Sites,
    transport: dict[str, Any],
    pace_factor: float,
    dm: Any,
    pairs_used: int,
    kgraph: Any | None,
) -> TripParams:
    """What the plan was made with (stored in the plan file)."""
    must_ids = {m.id for m in sites.must}
    travel_times = None
    if req.travel_times is not None:
        travel_times = {
            "file": req.travel_times.name,
            "sha256": req.travel_times.sha256,
            "rows": len(req.travel_times.rows),
            "pairs_used": pairs_used,
        }
    return TripParams(
        theme=req.theme,
        weights=dict(req.weights),
        days=req.days,
        start=sites.start.id,
        end=sites.end.id if sites.end else None,
        date=req.date.isoformat(),
        mode=str(req.mode),
        speed_kmh=transport["speed_kmh"],
        long_leg_km=transport.get("long_leg_km"),
        long_leg_speed_kmh=transport.get("long_leg_speed_kmh"),
        overhead_min=transport["overhead_min"],
        pace=str(req.pace),
        pace_factor=pace_factor,
        day=cfg.day,
        lunch_min=cfg.lunch,
        lunch_window=cfg.lunch_window,
        max_per_day=cfg.max_per_day,
        lodging=str(req.lodging),
        must=tuple(sorted(must_ids)),
        locks={k: v + 1 for k, v in sorted(sites.locks.items())},
        orders={str(r + 1): v for r, v in sorted(sites.fixed.items())},
        avoid=tuple(sorted(sites.avoid)),
        circuity_factor=round(ctx.circuity.factor, 4),
        seed=req.seed,
        effort=str(req.effort),
        theme_per_day=req.theme_per_day,
        max_drive_hours=cfg.max_drive_hours,
        end_slack_min=cfg.end_slack_min,
        drive_weight=cfg.drive_weight,
        roads=providers.roads_params(dm),
        evidence={
            "visit_lengths": evidence.duration_priors().record(),
            "popularity": evidence.popularity_origin(kgraph or default_graph()).record(),
        },
        travel_times=travel_times,
    )


def build_setup(req: TripRequest, ctx: Context, kgraph: Any | None) -> Setup:
    """Everything the solver and the day timing need for ``req``."""
    cat = ctx.catalog
    planning = load_planning()
    cfg = _day_settings(req, planning)
    day_open = clock_minutes(cfg.day[0])
    day_close = clock_minutes(cfg.day[1]) - cfg.end_slack_min
    sites = _resolve(req, cat)
    chosen, dropped = _candidates(req, cat, sites, kgraph)
    labels = theme_labels(kgraph)
    if req.theme_per_day is not None and req.theme_per_day not in labels:
        raise PlanError(
            f"unknown theme {req.theme_per_day!r} for the daily rule; "
            f"choose from {', '.join(labels)}"
        )
    shown = [t for t, w in req.weights if float(w) > 0] if req.theme == MIXED else [req.theme]
    towns = [s.id for s in cat.sites.values() if s.kind == "town" and s.has_coords]
    if sites.start.id not in towns:
        towns.insert(0, sites.start.id)
    if sites.end is not None and sites.end.id not in towns:
        towns.append(sites.end.id)
    chosen = [c for c in chosen if c.site_id not in towns]
    transport = planning["transport"][req.mode]
    # region scale: only reachable, well-scored candidates and the towns near them
    chosen, towns, pruned = region.prune(
        cat,
        chosen,
        towns,
        start=sites.start,
        end=sites.end,
        days=req.days,
        max_per_day=cfg.max_per_day,
        keep={m.id for m in sites.must},
        # the fastest planning speed, so that the reach is never underestimated
        speed_kmh=max(
            float(transport["speed_kmh"]), float(transport.get("long_leg_speed_kmh") or 0.0)
        ),
        day_minutes=day_close - day_open - cfg.lunch,
        circuity=ctx.circuity.factor,
    )
    dropped += pruned
    ids = towns + [c.site_id for c in chosen]
    dm, travel, supplied = _travel_minutes(req, ctx, ids, transport)
    n = len(ids)
    pace_factor = float(planning["pace"][req.pace])
    priors = _duration_priors()
    service = np.zeros(n)
    visit_source: dict[str, str] = {}
    for k in range(len(towns), n):
        sid = ids[k]
        service[k], visit_source[sid] = _visit_minutes(
            cat.sites[sid], pace_factor, planning, priors
        )
    score = np.zeros(n)
    for k, c in enumerate(chosen, start=len(towns)):
        score[k] = max(c.score, 1e-3)
    win = _windows(req, cat, ids, len(towns), service, (day_open, day_close), sites)
    # A site a source reported closed (status now unknown) is a risk: its score is scaled down.
    penalty = float(planning["scoring"].get("uncertain_open_factor", 1.0))
    for sid in win.uncertain:
        score[ids.index(sid)] *= penalty
    must_ids = {m.id for m in sites.must}
    params = _params(req, ctx, cfg, sites, transport, pace_factor, dm, len(supplied), kgraph)
    return Setup(
        req=req,
        params=params,
        ids=ids,
        towns=towns,
        cand=chosen,
        km=dm.km,
        travel=travel,
        service=service,
        score=score,
        open=win.open,
        close=win.close,
        day_open=day_open,
        day_close=day_close,
        lunch=cfg.lunch,
        lunch_window=(
            clock_minutes(cfg.lunch_window[0]),
            clock_minutes(cfg.lunch_window[1]),
        ),
        max_drive=cfg.max_drive_hours * 60.0,
        drive_weight=cfg.drive_weight / 60.0,
        dates=[req.date + dt.timedelta(days=d) for d in range(req.days)],
        notes=win.notes,
        dm=dm,
        start=ids.index(sites.start.id),
        end=ids.index(sites.end.id) if sites.end else None,
        max_stops=cfg.max_per_day,
        theme_nodes=frozenset(
            ids.index(c.site_id) for c in chosen if req.theme_per_day in c.themes
        ),
        theme_name=theme_name(labels, shown),
        theme_day_name=theme_name(labels, [req.theme_per_day]) if req.theme_per_day else None,
        mandatory=frozenset(ids.index(m) for m in must_ids),
        dropped=dropped,
        visit_source=visit_source,
        supplied=supplied,
        orders={r: [ids.index(x) for x in v] for r, v in sites.fixed.items()},
        metric=is_metric(travel),
    )
