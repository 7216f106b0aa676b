"""Plan service: catalog + distance table → distance matrix → tour, with every number explained.

The CLI, the app, the notebooks and the tests all call :func:`plan_route`; nothing else
wires the catalog to the routing core.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from common.errors import UserError
from common.geo import haversine_km
from kg.catalog import Catalog, Site, load_catalog
from planner.messages import Message, Name, msg
from routing.distances import (
    CircuityFit,
    DistanceMatrix,
    Leg,
    RoutingError,
    auto_matrix,
    estimate_matrix,
    fit_circuity,
    seed_graph,
    seed_matrix,
)
from routing.tsp import SOLVERS, Tour, solve_tour, tour_length

# ``best``: the road matrix where there is one, then the table, then estimates (providers.py)
DISTANCE_PROVIDERS = ("seed", "estimate", "auto", "best")
# ``given`` keeps the order as listed (to measure a route someone else proposed).
PLAN_SOLVERS = (*SOLVERS, "given")
# Points whose position was itself derived from road distances cannot calibrate the road/
# straight-line ratio (that would be circular); nor can points far less precise than the pair.
_MAX_RELATIVE_UNCERTAINTY = 0.25


class PlanError(UserError, ValueError):
    """A plan request that cannot be answered (the message is one line, for users).

    Raised with a :class:`~planner.messages.Message`, it keeps it as ``message`` so the app can
    show it in the user's language; ``str(exc)`` is always the English text.
    """

    def __init__(self, message: Message | str) -> None:
        super().__init__(str(message))
        self.message: Message = (
            message if isinstance(message, Message) else msg("text", text=message)
        )

    def text(self, lang: str) -> str:
        """The reason in ``lang`` (``zh`` or ``en``)."""
        return self.message.text(lang)


@dataclass(frozen=True)
class Context:
    """Everything a plan needs, loaded once: catalog, table graph and fitted circuity."""

    catalog: Catalog
    graph: nx.Graph
    coords: dict[str, tuple[float, float] | None]
    circuity: CircuityFit


@dataclass(frozen=True)
class RoutePlan:
    """A solved route: stops in order, legs with provenance, and how it was solved."""

    stops: tuple[Site, ...]
    legs: tuple[Leg, ...]
    total_km: float
    solver: str
    proved_optimal: bool
    loop: bool
    distances: str
    circuity_factor: float | None = None
    line: str | None = None
    notes: tuple[str, ...] = field(default=())


def _uncertainty_km(site: Site) -> float:
    value = getattr(site, "coord_uncertainty_km", None)
    try:
        return float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _calibrates(site: Site) -> bool:
    """A point can calibrate road/straight ratios unless a circuity was assumed to place it.

    Sourced points (high/medium/low) qualify; of the approximate ones only pure co-locations
    (e.g. a park in a town centre) do — trilaterated or bearing-placed points had road km
    divided by an assumed factor, so fitting the factor on them would be circular.
    """
    if not site.has_coords:
        return False
    if site.coord_confidence != "approx":
        return True
    method = site.coord_method.lower()
    return "co-location:" in method and "trilateration" not in method and "bearing" not in method


def calibration_pairs(catalog: Catalog) -> list[tuple[str, str, float, float]]:
    """Known road km between located sites: ``(a, b, road_km, great_circle_km)``.

    Uses the report's direct table edges and the published road distances, only where both
    ends have a position not itself derived from road distances and the combined position
    uncertainty is under 25 % of the straight-line distance.
    """
    pairs: dict[tuple[str, str, float], tuple[str, str, float, float]] = {}
    candidates = [(e.a, e.b, e.km) for e in catalog.seed_edges]
    candidates += [(p.a, p.b, p.km) for p in catalog.published_distances if p.kind == "road"]
    for a, b, km in candidates:
        sa, sb = catalog.sites[a], catalog.sites[b]
        pa, pb = sa.latlon, sb.latlon
        if pa is None or pb is None or not (_calibrates(sa) and _calibrates(sb)):
            continue
        gc = haversine_km(*pa, *pb)
        if gc <= 0 or (_uncertainty_km(sa) + _uncertainty_km(sb)) > _MAX_RELATIVE_UNCERTAINTY * gc:
            continue
        lo, hi = sorted((a, b))
        pairs.setdefault((lo, hi, km), (a, b, km, gc))  # the same pair published twice counts twice
    return list(pairs.values())


def build_context(catalog: Catalog) -> Context:
    """Build the table graph and fit the circuity factor for ``catalog``."""
    graph = seed_graph((e.a, e.b, e.km) for e in catalog.seed_edges)
    coords = {s.id: s.latlon for s in catalog.sites.values()}
    return Context(catalog, graph, coords, fit_circuity(calibration_pairs(catalog)))


@lru_cache(maxsize=4)
def load_context(data_dir: str | None = None) -> Context:
    """Load (and cache) the catalog and everything derived from it."""
    return build_context(load_catalog(Path(data_dir) if data_dir else None))


def distance_matrix(ctx: Context, ids: Sequence[str], provider: str) -> DistanceMatrix:
    """Distances between ``ids`` from ``provider`` (``seed``, ``estimate``, ``auto``, ``best``)."""
    if provider == "seed":
        return seed_matrix(ctx.graph, ids)
    if provider == "estimate":
        return estimate_matrix(ids, ctx.coords, ctx.circuity.factor)
    if provider == "auto":
        return auto_matrix(ctx.graph, ids, ctx.coords, ctx.circuity.factor)
    if provider == "best":
        from planner.providers import best_distance_matrix
        from planner.roads import road_matrix

        return best_distance_matrix(ctx, ids, road_matrix())
    raise PlanError(
        f"unknown distance provider {provider!r}; choose one of {', '.join(DISTANCE_PROVIDERS)}"
    )


def _refuse_duplicates(chosen: Sequence[Site]) -> None:
    """A site given twice (``A,A`` or ``北山,beishan``) is an error, not silently merged."""
    seen: dict[str, Site] = {}
    twice: dict[str, Site] = {}
    for site in chosen:
        if site.id in seen:
            twice[site.id] = site
        seen[site.id] = site
    if twice:
        sites = [Name(s.name_zh, s.id) for s in twice.values()]
        raise PlanError(msg("error.sites_twice", sites=sites))


def plan_route(
    *,
    line: str | None = None,
    sites: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    loop: bool | None = None,
    solver: str = "auto",
    distances: str = "seed",
    ctx: Context | None = None,
) -> RoutePlan:
    """Plan a tour over a built-in ``line`` or an explicit list of ``sites``.

    Names may be ids, Chinese names, aliases, traditional characters or pinyin. ``start``
    defaults to the line's start (or the first site); ``loop`` defaults to the line's.
    """
    ctx = ctx or load_context()
    cat = ctx.catalog
    if solver not in PLAN_SOLVERS:
        raise PlanError(f"unknown solver {solver!r}; choose one of {', '.join(PLAN_SOLVERS)}")
    if distances not in DISTANCE_PROVIDERS:
        raise PlanError(
            f"unknown distance provider {distances!r}; "
            f"choose one of {', '.join(DISTANCE_PROVIDERS)}"
        )
    if (line is None) == (sites is None):
        raise PlanError("give either a line or a list of sites")
    line_obj = cat.line(line) if line is not None else None
    names = list(line_obj.sites) if line_obj else [s for s in sites or [] if s.strip()]
    if not names:
        raise PlanError("no sites to plan: the site list is empty")
    chosen = cat.resolve_many(names)
    if line_obj is None:
        _refuse_duplicates(chosen)
    ids = list(dict.fromkeys(s.id for s in chosen))
    if start is None:
        start_id = (line_obj.start if line_obj and line_obj.start else None) or ids[0]
    else:
        start_id = cat.resolve(start).id
    if start_id not in ids:
        raise PlanError(
            f"start {cat.sites[start_id].name_zh} ({start_id}) is not one of the sites to visit"
        )
    end_id = cat.resolve(end).id if end is not None else None
    if end_id is not None and end_id not in ids:
        raise PlanError(
            f"end {cat.sites[end_id].name_zh} ({end_id}) is not one of the sites to visit"
        )
    is_loop = bool(loop) if loop is not None else bool(line_obj and line_obj.loop and not end_id)
    if is_loop and end_id is not None:
        raise PlanError("a loop returns to its start; do not also give an end")
    if end_id == start_id and len(ids) > 1:
        raise PlanError("end equals start: use --loop instead")
    try:
        dm = distance_matrix(ctx, ids, distances)
        if solver == "given":
            tour = _given_order(dm.km, ids, start_id, end_id, is_loop)
        else:
            tour = solve_tour(
                dm.km,
                ids.index(start_id),
                end=ids.index(end_id) if end_id else None,
                loop=is_loop,
                method=solver,
            )
    except RoutingError as exc:
        raise PlanError(str(exc)) from exc
    order = list(tour.order)
    hops = list(itertools.pairwise(order))
    if is_loop and len(order) > 1:
        hops.append((order[-1], order[0]))
    legs = tuple(dm.leg(i, j) for i, j in hops)
    total = sum(leg.km for leg in legs)
    return RoutePlan(
        stops=tuple(cat.sites[ids[i]] for i in order),
        legs=legs,
        total_km=total,
        solver=tour.solver,
        proved_optimal=tour.proved_optimal,
        loop=is_loop,
        distances=distances,
        circuity_factor=ctx.circuity.factor if distances != "seed" else None,
        line=line_obj.id if line_obj else None,
    )


def _given_order(
    D: np.ndarray, ids: list[str], start_id: str, end_id: str | None, loop: bool
) -> Tour:
    """The sites in the order listed; it must begin at the start (and finish at the end)."""
    if ids[0] != start_id:
        raise PlanError("with --solver given the first site listed must be the start")
    if end_id is not None and ids[-1] != end_id:
        raise PlanError("with --solver given the last site listed must be the end")
    order = tuple(range(len(ids)))
    return Tour(order, tour_length(D, order, loop=loop), "given", False, loop)


def plan_to_dict(plan: RoutePlan) -> dict[str, Any]:
    """JSON-ready form: ``stops``, ``total_km`` (2 dp), ``solver``, ``proved_optimal``, ``legs``."""
    return {
        "line": plan.line,
        "stops": [{"id": s.id, "name_zh": s.name_zh} for s in plan.stops],
        "loop": plan.loop,
        "total_km": round(plan.total_km, 2),
        "solver": plan.solver,
        "proved_optimal": plan.proved_optimal,
        "distances": plan.distances,
        "circuity_factor": round(plan.circuity_factor, 4) if plan.circuity_factor else None,
        "legs": [
            {
                "from": leg.from_id,
                "to": leg.to_id,
                "km": round(leg.km, 2),
                "via": list(leg.via),
                "source": leg.source,
            }
            for leg in plan.legs
        ],
    }
