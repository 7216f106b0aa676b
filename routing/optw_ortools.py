"""OR-Tools routing baseline for the team orienteering problem with time windows.

The peer engine the issue names, kept as a baseline: the model of the OR-Tools
"penalties and dropping visits" and VRPTW samples, adapted.

* One vehicle per route with its own start and end node (``RoutingIndexManager`` with
  ``starts``/``ends``); only the route ends and the usable candidates are in the model.
* Each optional candidate is a disjunction whose drop penalty is its score times a factor
  larger than any route's travel, so score comes first and travel only breaks ties; a
  mandatory node gets a penalty larger than all scores together (soft, so an impossible
  must-visit is reported instead of failing the whole model).
* A ``Time`` dimension (transit = service at the origin + travel; slack = waiting). Times
  are integers after scaling by 100 and rounding travel and service up, openings up and
  closings down, so every OR-Tools route is feasible for the float data. Different windows
  per day are expressed on one absolute time axis: route ``r`` lives in
  ``[r·H, r·H + H)``, and a node's cumul domain is the union of its daily windows shifted
  there (``RemoveInterval`` between them).
* ``max_stops``: a ``Stops`` counting dimension with capacity ``max_stops``; ``max_travel``:
  a ``Travel`` dimension with one capacity per vehicle; a ``travel_cost`` becomes the arc
  cost (in score units), so the search minimises the price of travel plus the scores left
  out, i.e. maximises ``score - travel_cost * travel``.
* Search: ``PATH_CHEAPEST_ARC`` then ``GUIDED_LOCAL_SEARCH`` until the time limit (GLS
  never stops by itself; the result depends on the machine's speed).

The stops are then re-timed by :func:`routing.optw_model.schedule` (earliest starts).
"""

from __future__ import annotations

import itertools
import math

from routing.optw_model import Prepared

__all__ = ["solve_ortools"]

_SCALE = 100
_COST_SCALE = 10_000


def solve_ortools(P: Prepared, *, time_limit_s: float = 2.0) -> list[list[int]]:  # noqa: C901
    """Stops per route found by OR-Tools routing with GLS in ``time_limit_s`` seconds."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    R = P.n_routes
    K = list(P.usable)
    if not K:
        return [[] for _ in range(R)]

    def up(x: float) -> int:
        return math.ceil(x * _SCALE - 1e-6)

    def down(x: float) -> int:
        return math.floor(x * _SCALE + 1e-6)

    depots = sorted(set(P.route_start) | set(P.route_end))
    nodes = depots + K  # local index -> problem node
    local = {v: i for i, v in enumerate(nodes)}
    is_depot = [True] * len(depots) + [False] * len(K)
    t0 = float(P.route_open.min())
    H = up(float(P.route_close.max()) - t0) + 1
    manager = pywrapcp.RoutingIndexManager(
        len(nodes), R, [local[v] for v in P.route_start], [local[v] for v in P.route_end]
    )
    model = pywrapcp.RoutingModel(manager)
    transit = [
        [up(P.travel[a, b] + (0.0 if is_depot[i] else P.service[a])) for b in nodes]
        for i, a in enumerate(nodes)
    ]
    travel = [[up(P.travel[a, b]) for b in nodes] for a in nodes]
    # arc cost: travel (ties only), or its price in score units × _COST_SCALE when priced
    priced = [[round(P.travel_cost * P.travel[a, b] * _COST_SCALE) for b in nodes] for a in nodes]
    arc_cost = priced if P.travel_cost else travel

    def time_cb(i: int, j: int) -> int:
        return transit[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def cost_cb(i: int, j: int) -> int:
        return arc_cost[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def travel_cb(i: int, j: int) -> int:
        return travel[manager.IndexToNode(i)][manager.IndexToNode(j)]

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(cost_cb))
    if P.travel_limited:  # travel rounded up: never over the float limit
        most = sum(max(row) for row in travel) + 1
        caps = [min(down(float(c)), most) if math.isfinite(c) else most for c in P.max_travel]
        model.AddDimensionWithVehicleCapacity(
            model.RegisterTransitCallback(travel_cb), 0, caps, True, "Travel"
        )
    time_idx = model.RegisterTransitCallback(time_cb)
    model.AddDimension(
        time_idx,
        R * H,  # slack: waiting allowed
        R * H,  # horizon of the absolute time axis
        False,  # do not force the start cumul to zero
        "Time",
    )
    tdim = model.GetDimensionOrDie("Time")
    for r in range(R):
        lo = r * H + up(float(P.route_open[r]) - t0)
        hi = r * H + down(float(P.route_close[r]) - t0)
        tdim.CumulVar(model.Start(r)).SetRange(lo, hi)
        tdim.CumulVar(model.End(r)).SetRange(lo, hi)
    for v in K:
        idx = manager.NodeToIndex(local[v])
        spans = []
        for r in range(R):
            if not P.static_ok[r, v]:
                continue
            lo = max(up(float(P.open[r, v]) - t0), up(float(P.route_open[r]) - t0))
            hi = min(down(float(P.close[r, v]) - t0), down(float(P.route_close[r]) - t0))
            if lo <= hi:
                spans.append((r * H + lo, r * H + hi))
        if not spans:
            model.VehicleVar(idx).SetValues([-1])
            continue
        var = tdim.CumulVar(idx)
        var.SetRange(spans[0][0], spans[-1][1])
        for (_, a), (b, _) in itertools.pairwise(spans):
            if b > a + 1:
                var.RemoveInterval(a + 1, b - 1)
    if P.max_stops is not None:
        unit = model.RegisterUnaryTransitCallback(
            lambda i: 0 if is_depot[manager.IndexToNode(i)] else 1
        )
        model.AddDimension(unit, 0, int(P.max_stops), True, "Stops")
    if P.travel_cost:  # minimise price of travel + scores left out = -(score - cost·travel)
        most = sum(max(row) for row in priced) * R + 1
        total = sum(round(float(P.score[v]) * _COST_SCALE) for v in K) + most
        for v in K:
            pen = round(float(P.score[v]) * _COST_SCALE) + (total if v in P.mandatory else 0)
            model.AddDisjunction([manager.NodeToIndex(local[v])], pen)
    else:
        per_score = up(float((P.route_close - P.route_open).sum())) + 1
        total = sum(round(float(P.score[v]) * _SCALE) for v in K) + 1
        for v in K:
            pen = round(float(P.score[v]) * _SCALE) * per_score
            if v in P.mandatory:
                pen += total * per_score
            model.AddDisjunction([manager.NodeToIndex(local[v])], pen)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    sol = model.SolveWithParameters(params)
    stops: list[list[int]] = [[] for _ in range(R)]
    if sol is None:
        return stops
    for r in range(R):
        idx = sol.Value(model.NextVar(model.Start(r)))
        while not model.IsEnd(idx):
            stops[r].append(nodes[manager.IndexToNode(idx)])
            idx = sol.Value(model.NextVar(idx))
    return stops
