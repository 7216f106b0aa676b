"""Keeping region-scale trips fast: candidate and lodging pruning, bounds for the day search,
and leg tables computed once.

With the whole corridor in the catalog (~330 heritage units, ~200 lodging towns) the planner
cannot give every site and every town to the orienteering solver. :mod:`planner.trip` calls
these hooks:

:func:`prune_candidates`
    keeps the must-sees, then the best-scoring candidates a round trip can reach: straight-line
    km from the start within what ``days`` of driving at the mode's planning speed allow
    (there and back), at most :data:`CANDIDATES_PER_SLOT` × the trip's visit slots (never
    fewer than :data:`MIN_CANDIDATES`). Every site left out is listed with the reason
    ``too_far`` or ``lower_score``.
:func:`prune_towns`
    keeps the start, the end and, for each kept candidate, its nearest lodging towns
    (:data:`TOWNS_PER_CANDIDATE`), ranked by the candidate score they can reach; at most
    :data:`MAX_TOWNS`.
:func:`day_reachable`
    the candidates one day from town ``a`` to town ``b`` could visit at all (shortest-path
    bounds), so the exact search of a day (:func:`planner.trip.days.best_day`) stays exact
    while it shrinks.
:func:`cached_leg_table`
    the km/minutes table of a set of sites, memoised per context, sites, mode and travel-time
    file, so a re-plan with the same candidates does not recompute it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from common.geo import haversine_km

if TYPE_CHECKING:
    from kg.catalog import Catalog, Site
    from planner.model import Dropped
    from planner.providers import LegTable
    from planner.themes import Candidate

__all__ = [
    "CANDIDATES_PER_SLOT",
    "MAX_TOWNS",
    "MIN_CANDIDATES",
    "TOWNS_PER_CANDIDATE",
    "Pruned",
    "cached_leg_table",
    "day_reachable",
    "prune",
    "prune_candidates",
    "prune_towns",
    "shortest_times",
]

#: candidates kept per visit slot of the trip (days × sites per day) …
CANDIDATES_PER_SLOT = 4
#: … but never fewer than this many (below it the solver sees every candidate)
MIN_CANDIDATES = 60
#: nearest lodging towns kept per candidate
TOWNS_PER_CANDIDATE = 2
#: lodging towns given to the planner at most (start and end included)
MAX_TOWNS = 16
_LEG_CACHE_SIZE = 16


@dataclass(frozen=True)
class Pruned:
    """A site the pruning left out, and why (``too_far`` or ``lower_score``)."""

    site_id: str
    reason: str


def _km(a: Site, b: Site) -> float:
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def reach_km(days: int, speed_kmh: float, day_minutes: float, circuity: float) -> float:
    """Straight-line km a round trip of ``days`` can reach: half its driving time at most."""
    return days * day_minutes / 60.0 * speed_kmh / circuity / 2.0


def prune_candidates(
    catalog: Catalog,
    candidates: Sequence[Candidate],
    *,
    start: Site,
    end: Site | None,
    days: int,
    max_per_day: int,
    keep: set[str],
    speed_kmh: float,
    day_minutes: float,
    circuity: float,
) -> tuple[list[Candidate], list[Pruned]]:
    """The candidates worth giving the solver, and those left out with the reason.

    ``keep`` (must-sees, locked sites) is never pruned. Candidates must have coordinates.
    """
    if len(candidates) <= MIN_CANDIDATES:
        return list(candidates), []
    limit = reach_km(days, speed_kmh, day_minutes, circuity)
    slots = max(MIN_CANDIDATES, days * max_per_day * CANDIDATES_PER_SLOT)
    kept: list[Candidate] = []
    pruned: list[Pruned] = []
    ranked = sorted(candidates, key=lambda c: (c.site_id not in keep, -c.score, c.site_id))
    for c in ranked:
        site = catalog.sites[c.site_id]
        far = min(_km(start, site), _km(end, site) if end is not None else math.inf)
        if c.site_id in keep:
            kept.append(c)
        elif far > limit:
            pruned.append(Pruned(c.site_id, "too_far"))
        elif len(kept) >= slots:
            pruned.append(Pruned(c.site_id, "lower_score"))
        else:
            kept.append(c)
    return kept, pruned


def prune(
    catalog: Catalog,
    candidates: Sequence[Candidate],
    towns: Sequence[str],
    *,
    start: Site,
    end: Site | None,
    days: int,
    max_per_day: int,
    keep: set[str],
    speed_kmh: float,
    day_minutes: float,
    circuity: float,
) -> tuple[list[Candidate], list[str], list[Dropped]]:
    """:func:`prune_candidates` then :func:`prune_towns`; the sites left out as plan entries
    (``too_far`` / ``lower_score``, with the planner's messages)."""
    from planner.messages import msg
    from planner.model import Dropped

    kept, pruned = prune_candidates(
        catalog,
        candidates,
        start=start,
        end=end,
        days=days,
        max_per_day=max_per_day,
        keep=keep,
        speed_kmh=speed_kmh,
        day_minutes=day_minutes,
        circuity=circuity,
    )
    score = {c.site_id: c.score for c in candidates}
    dropped = [
        Dropped(
            p.site_id,
            catalog.sites[p.site_id].name_zh,
            p.reason,
            msg("dropped.too_far")
            if p.reason == "too_far"
            else msg("dropped.lower_score", score=score[p.site_id]),
        )
        for p in pruned
    ]
    anchors = [start.id, *([end.id] if end is not None else [])]
    return kept, prune_towns(catalog, towns, kept, anchors=anchors), dropped


def prune_towns(
    catalog: Catalog,
    towns: Sequence[str],
    candidates: Sequence[Candidate],
    *,
    anchors: Sequence[str],
) -> list[str]:
    """Lodging towns near the kept candidates (plus the anchors: start, end), best first.

    A town's rank is the candidate score for which it is one of the
    :data:`TOWNS_PER_CANDIDATE` nearest towns; at most :data:`MAX_TOWNS` are kept, anchors
    first and in their order.
    """
    located = [t for t in towns if catalog.sites[t].has_coords]
    if not located or len(located) <= MAX_TOWNS:
        out = list(dict.fromkeys([*anchors, *located]))
        return out
    lat = np.array([catalog.sites[t].lat for t in located], dtype=float)
    lon = np.array([catalog.sites[t].lon for t in located], dtype=float)
    mass = np.zeros(len(located))
    for c in candidates:
        s = catalog.sites[c.site_id]
        d = _haversine_vec(float(s.lat), float(s.lon), lat, lon)  # type: ignore[arg-type]
        for k in np.argsort(d)[:TOWNS_PER_CANDIDATE]:
            mass[k] += max(c.score, 1e-3)
    order = [located[k] for k in np.argsort(-mass, kind="stable") if mass[k] > 0]
    out = list(dict.fromkeys([*anchors, *order]))
    return out[: max(MAX_TOWNS, len(anchors))]


def _haversine_vec(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(lat), np.radians(lats)
    dphi = p2 - p1
    dl = np.radians(lons) - math.radians(lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


_closure_cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()


def shortest_times(travel: np.ndarray) -> np.ndarray:
    """All-pairs shortest travel times (Floyd–Warshall), memoised per matrix.

    A lower bound on the time between two nodes by any route, valid even where the travel
    matrix breaks the triangle inequality (table figures, supplied times).
    """
    hit = _closure_cache.get(id(travel))
    if hit is not None and hit[0] is travel:
        return hit[1]
    d = np.array(travel, dtype=float, copy=True)
    for k in range(d.shape[0]):
        np.minimum(d, d[:, k : k + 1] + d[k : k + 1, :], out=d)
    _closure_cache[id(travel)] = (travel, d)
    while len(_closure_cache) > 4:
        _closure_cache.popitem(last=False)
    return d


def day_reachable(
    nodes: Sequence[int],
    *,
    travel: np.ndarray,
    service: np.ndarray,
    open_: np.ndarray,
    close: np.ndarray,
    start: int,
    end: int,
    day_open: float,
    day_close: float,
    lunch: float,
) -> list[int]:
    """The nodes a day ``start → end`` could visit at all (each alone, lunch included).

    Uses :func:`shortest_times`, so no node that some route could visit is dropped: a filter
    that keeps the day's exact search exact while shrinking it at region scale.
    """
    d = shortest_times(travel)
    out = []
    for v in nodes:
        arrive = day_open + d[start, v]
        begin = max(arrive, open_[v])
        if begin <= close[v] + 1e-6 and begin + service[v] + d[v, end] + lunch <= day_close + 1e-6:
            out.append(v)
    return out


_leg_cache: OrderedDict[tuple[Any, ...], tuple[Any, LegTable]] = OrderedDict()


def cached_leg_table(
    ctx: Any,
    ids: Sequence[str],
    *,
    transport: dict[str, Any],
    mode: str,
    travel_times: Any,
    roads: Any,
) -> LegTable:
    """:func:`planner.providers.leg_table`, memoised (the table is read-only once built)."""
    from planner import providers

    key = (
        id(ctx),
        tuple(ids),
        mode,
        tuple(sorted((str(k), str(v)) for k, v in transport.items())),
        getattr(travel_times, "sha256", None) if travel_times is not None else None,
        id(roads),
    )
    hit = _leg_cache.get(key)
    if hit is not None and hit[0] is ctx:  # the context itself, not a new one at its address
        _leg_cache.move_to_end(key)
        return hit[1]
    table = providers.leg_table(
        ctx, list(ids), transport=transport, mode=mode, travel_times=travel_times, roads=roads
    )
    _leg_cache[key] = (ctx, table)
    while len(_leg_cache) > _LEG_CACHE_SIZE:
        _leg_cache.popitem(last=False)
    return table
