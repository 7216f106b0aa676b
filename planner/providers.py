"""Where a leg's km and minutes come from — the one place that decides, in this order:

1. ``user``        a row of the user's travel-time file (``--times``) for the pair and mode;
2. ``road:osrm`` / ``road:amap``
                   the newest road matrix (``heritage roads build`` / ``heritage roads amap``),
                   for points it has at their current position and did not flag;
3. ``seed``        the report's table: a figure it prints for the pair; a chain through other
                   sites only when no road figure exists, the two sites are not co-located and
                   the chain is no longer than :data:`DETOUR_LIMIT` × the estimate;
4. ``estimate``    great-circle km × the fitted circuity factor.

Minutes: the user's figure; else for a road figure by car the engine's drive time plus the
per-leg overhead of ``planning.yaml`` (parking, the walk to the gate); for every other case and
mode the km at the mode's planning speed (:func:`drive_minutes`: a mode may set a faster speed
for the km of a leg beyond its first ``long_leg_km`` — intercity expressways) + the overhead.
Every leg keeps its source.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.geo import haversine_km
from planner.service import Context, distance_matrix
from planner.traveltimes import TravelTime, TravelTimes
from routing.distances import ESTIMATE, SEED, DistanceMatrix, Hop, Leg, estimate_km
from routing.roads.matrix import RoadMatrix

USER = "user"
ROAD_OSRM = "road:osrm"
ROAD_AMAP = "road:amap"
#: a table chain longer than this × the straight-line estimate is a detour, not a road figure
DETOUR_LIMIT = 1.5
#: sites closer than this (or than their combined position uncertainty) are co-located
COLOCATED_KM = 1.0


@dataclass
class LegTable:
    """km, minutes and provenance for every ordered pair of ``ids``."""

    ids: list[str]
    km: np.ndarray
    minutes: np.ndarray
    sources: list[list[str]]
    via: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)
    roads: RoadMatrix | None = None
    supplied: dict[tuple[int, int], TravelTime] = field(default_factory=dict)

    def leg(self, i: int, j: int) -> Leg:
        """The leg ``ids[i] → ids[j]`` (km, via chain, source)."""
        via = self.via.get((i, j), ())
        src = self.sources[i][j]
        hop = Hop(self.ids[i], self.ids[j], float(self.km[i, j]), src)
        return Leg(self.ids[i], self.ids[j], float(self.km[i, j]), via, src, (hop,))

    def source_counts(self) -> dict[str, int]:
        """How many ordered pairs each source answered."""
        counts: dict[str, int] = {}
        n = len(self.ids)
        for i in range(n):
            for j in range(n):
                if i != j:
                    counts[self.sources[i][j]] = counts.get(self.sources[i][j], 0) + 1
        return counts


def drive_minutes(km: float, transport: Mapping[str, Any]) -> float:
    """Planning minutes of ``km`` by a mode (``planning.yaml``'s entry; no per-leg overhead):
    ``speed_kmh`` for the first ``long_leg_km`` of a leg, ``long_leg_speed_kmh`` beyond
    (intercity drives on expressways), or ``speed_kmh`` throughout when the mode sets no
    long-leg speed."""
    speed = float(transport["speed_kmh"])
    long_km, long_speed = transport.get("long_leg_km"), transport.get("long_leg_speed_kmh")
    if long_km is None or long_speed is None or km <= float(long_km):
        return km / speed * 60.0
    return float(long_km) / speed * 60.0 + (km - float(long_km)) / float(long_speed) * 60.0


def _colocated(ctx: Context, a: str, b: str) -> bool:
    pa, pb = ctx.coords.get(a), ctx.coords.get(b)
    if pa is None or pb is None:
        return False
    gc = haversine_km(pa[0], pa[1], pb[0], pb[1])
    unc = sum(_uncertainty(ctx, s) for s in (a, b))
    return gc <= max(COLOCATED_KM, unc)


def _uncertainty(ctx: Context, site_id: str) -> float:
    value = getattr(ctx.catalog.sites[site_id], "coord_uncertainty_km", None)
    try:
        return float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _direct_table(ctx: Context) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for e in ctx.catalog.seed_edges:
        for key in ((e.a, e.b), (e.b, e.a)):
            out[key] = min(out.get(key, math.inf), float(e.km))
    return out


def leg_table(
    ctx: Context,
    ids: Sequence[str],
    *,
    transport: Mapping[str, Any],
    mode: str = "car",
    travel_times: TravelTimes | None = None,
    roads: RoadMatrix | None = None,
) -> LegTable:
    """km, minutes and source for every ordered pair of ``ids`` (see the module docstring).

    ``transport`` is the mode's ``planning.yaml`` entry (``speed_kmh``, ``overhead_min``, and
    optionally ``long_leg_km`` + ``long_leg_speed_kmh``).
    """
    ids = list(ids)
    n = len(ids)
    overhead = float(transport["overhead_min"])
    table_leg = _table_legs(ctx, ids)  # the table's chains where they can matter
    direct = _direct_table(ctx)
    factor = ctx.circuity.factor
    km = np.zeros((n, n))
    minutes = np.zeros((n, n))
    sources = [[""] * n for _ in range(n)]
    via: dict[tuple[int, int], tuple[str, ...]] = {}
    user_rows = travel_times.for_mode(mode) if travel_times is not None else {}
    supplied: dict[tuple[int, int], TravelTime] = {}
    road_ok = [roads is not None and roads.usable(s, ctx.coords.get(s)) for s in ids]
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if i == j:
                continue
            k, m, src, chain = _best(ctx, a, b, table_leg(i, j), direct, factor)
            if roads is not None and road_ok[i] and road_ok[j]:
                got = roads.pair(a, b)
                if got is not None:
                    k, src, chain = got[0], roads.source, ()
                    m = got[1] + overhead if mode == "car" else math.nan
            if math.isnan(m):
                m = drive_minutes(k, transport) + overhead
            user = user_rows.get((a, b))
            if user is not None:
                m, src, chain = user.minutes, USER, ()
                k = k if user.km is None else user.km
                supplied[(i, j)] = user
            km[i, j], minutes[i, j], sources[i][j] = k, m, src
            if chain:
                via[(i, j)] = chain
    return LegTable(ids, km, minutes, sources, via, roads, supplied)


def _table_legs(ctx: Context, ids: Sequence[str]) -> Callable[[int, int], Leg | None]:
    """The ``auto`` matrix's leg ``ids[i] → ids[j]`` where it can matter (``None`` elsewhere).

    :func:`_best` uses that leg only for a pair of sites of the table graph (a chain of table
    figures) or for a site without coordinates (only the table can place it). So when every
    site has coordinates, the matrix is computed over the table's sites alone — their legs do
    not depend on the other sites (a chain within the table's component is the table's own
    shortest path; anything else holds an estimated edge and is not a table chain) — which
    keeps region-scale requests (a few table sites among hundreds) from a closure over every
    estimated pair.
    """
    if any(ctx.coords.get(s) is None for s in ids):
        return distance_matrix(ctx, ids, "auto").leg
    sub = [s for s in dict.fromkeys(ids) if s in ctx.graph]
    if len(sub) < 2:
        return lambda i, j: None
    dm = distance_matrix(ctx, sub, "auto")
    pos = {s: k for k, s in enumerate(sub)}

    def leg(i: int, j: int) -> Leg | None:
        a, b = pos.get(ids[i]), pos.get(ids[j])
        return dm.leg(a, b) if a is not None and b is not None and a != b else None

    return leg


def _best(
    ctx: Context,
    a: str,
    b: str,
    leg: Leg | None,
    direct: Mapping[tuple[str, str], float],
    factor: float,
) -> tuple[float, float, str, tuple[str, ...]]:
    """The table's figure or the estimate for ``a → b`` (no user row, no road figure);
    ``leg``: the ``auto`` matrix's leg (see :func:`_table_legs`)."""
    if (a, b) in direct:
        return direct[(a, b)], math.nan, SEED, ()
    pa, pb = ctx.coords.get(a), ctx.coords.get(b)
    if pa is None or pb is None:  # only the table can place this pair: keep its chain
        assert leg is not None  # computed for every pair when a site has no coordinates
        return leg.km, math.nan, leg.source, leg.via
    est = estimate_km(pa, pb, factor)
    if (
        leg is not None
        and leg.source == SEED
        and bool(leg.via)
        and not _colocated(ctx, a, b)
        and leg.km <= DETOUR_LIMIT * est
    ):
        return leg.km, math.nan, SEED, leg.via
    return est, math.nan, ESTIMATE, ()


def roads_params(table: LegTable) -> dict[str, Any] | None:
    """What a plan records about the road matrix it used (``None``: no road data)."""
    rm = table.roads
    if rm is None:
        return None
    prov = rm.provenance
    extract = prov.get("extract") or {}
    return {
        "source": rm.source,
        "engine": prov.get("engine"),
        "engine_version": prov.get("engine_version"),
        "profile": prov.get("profile"),
        "extract": extract.get("name") if isinstance(extract, dict) else extract,
        "extract_date": extract.get("date") if isinstance(extract, dict) else None,
        "extract_sha256": extract.get("sha256") if isinstance(extract, dict) else None,
        "flagged": rm.flagged,
        "legs_by_source": table.source_counts(),
    }


def best_distance_matrix(
    ctx: Context, ids: Sequence[str], roads: RoadMatrix | None
) -> DistanceMatrix:
    """``heritage plan --distances best``: the same order of sources as itineraries (no user
    times), as a :class:`~routing.distances.DistanceMatrix` for the tour solvers.

    The tour solvers take symmetric distances: a pair's km is the mean of both directions
    (road figures differ slightly each way; the table and estimates do not).
    """
    table = leg_table(ctx, ids, transport={"speed_kmh": 1.0, "overhead_min": 0.0}, roads=roads)
    direct = _direct_table(ctx)
    km = (table.km + table.km.T) / 2.0
    paths: dict[tuple[int, int], tuple[Hop, ...]] = {}
    n = len(ids)
    for i in range(n):
        for j in range(i + 1, n):
            src = table.sources[i][j]
            chain = [ids[i], *table.via.get((i, j), ()), ids[j]]
            if len(chain) == 2:
                paths[(i, j)] = (Hop(ids[i], ids[j], float(km[i, j]), src),)
            else:
                paths[(i, j)] = tuple(
                    Hop(a, b, direct.get((a, b), math.nan), src)
                    for a, b in itertools.pairwise(chain)
                )
    return DistanceMatrix(list(ids), km, paths, "best")
