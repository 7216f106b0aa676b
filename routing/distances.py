"""Distance providers: the report's road table with Dijkstra closure, coordinate estimates, auto.

Every leg keeps where its number came from:

* ``seed``      – the report's distance table (表 6), possibly chained through intermediate
                  sites by Dijkstra (the chain is in ``via``);
* ``estimate``  – great-circle km between WGS-84 coordinates × a circuity factor fitted to
                  known road distances;
* ``seed+estimate`` – a shortest chain that mixes both kinds of hop (``auto`` only).

The ``auto`` provider uses the table wherever it connects two sites, adds estimated edges
only between sites the table does not connect, and closes the result with Dijkstra so the
matrix obeys the triangle inequality.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from common.errors import UserError
from common.geo import haversine_km

SEED = "seed"
ESTIMATE = "estimate"
MIXED = "seed+estimate"


class RoutingError(UserError, ValueError):
    """A routing request that cannot be answered (one-line message for users)."""


class DisconnectedError(RoutingError):
    """Some requested sites are not connected by the distance table."""


class MissingCoordinatesError(RoutingError):
    """An estimate was needed for a site that has no coordinates."""


@dataclass(frozen=True)
class Hop:
    """One edge of a leg: a single table entry or a single estimate."""

    a: str
    b: str
    km: float
    source: str


@dataclass(frozen=True)
class Leg:
    """Travel between two consecutive stops, with its provenance."""

    from_id: str
    to_id: str
    km: float
    via: tuple[str, ...] = ()
    source: str = SEED
    hops: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class CircuityFit:
    """Road km ≈ factor × great-circle km, fitted by least squares through the origin."""

    factor: float
    n: int
    mean_abs_error_km: float
    mean_abs_pct_error: float
    max_abs_pct_error: float
    residuals: tuple[tuple[str, str, float, float, float], ...] = ()  # a, b, road, gc, est


@dataclass
class DistanceMatrix:
    """Shortest distances between ``ids`` plus, per pair, the hops that realise them."""

    ids: list[str]
    km: np.ndarray
    paths: dict[tuple[int, int], tuple[Hop, ...]] = field(default_factory=dict)
    provider: str = SEED

    def index(self, site_id: str) -> int:
        """Position of ``site_id`` in the matrix."""
        return self.ids.index(site_id)

    def leg(self, i: int, j: int) -> Leg:
        """The leg from ``ids[i]`` to ``ids[j]`` with its via chain and provenance."""
        hops = self.paths.get((i, j))
        if hops is None:
            back = self.paths.get((j, i), ())
            hops = tuple(Hop(h.b, h.a, h.km, h.source) for h in reversed(back))
        via = tuple(h.b for h in hops[:-1])
        kinds = {h.source for h in hops}
        source = kinds.pop() if len(kinds) == 1 else MIXED
        return Leg(self.ids[i], self.ids[j], float(self.km[i, j]), via, source, hops)


def seed_graph(edges: Iterable[tuple[str, str, float]]) -> nx.Graph:
    """Undirected weighted graph of the report's table; duplicate pairs keep the shorter km."""
    G = nx.Graph()
    for a, b, km in edges:
        if km < 0 or math.isnan(km):
            raise RoutingError(f"negative or missing distance {a}–{b}: {km}")
        if G.has_edge(a, b) and G[a][b]["weight"] <= km:
            continue
        G.add_edge(a, b, weight=float(km), source=SEED)
    return G


def _closure(G: nx.Graph, ids: Sequence[str], provider: str) -> DistanceMatrix:
    n = len(ids)
    km = np.zeros((n, n))
    paths: dict[tuple[int, int], tuple[Hop, ...]] = {}
    missing = [s for s in ids if s not in G]
    if missing:
        raise DisconnectedError(
            f"the {provider} distance table does not cover {', '.join(missing)}"
            + (" (try --distances auto)" if provider == SEED else "")
        )
    for i, a in enumerate(ids):
        dist, path = nx.single_source_dijkstra(G, a, weight="weight")
        for j in range(i + 1, n):
            b = ids[j]
            if b not in dist:
                continue
            km[i, j] = km[j, i] = dist[b]
            p = path[b]
            paths[(i, j)] = tuple(
                Hop(u, v, G[u][v]["weight"], G[u][v]["source"]) for u, v in itertools.pairwise(p)
            )
    unreachable = [
        (ids[i], ids[j]) for i in range(n) for j in range(i + 1, n) if (i, j) not in paths
    ]
    if unreachable:
        a, b = unreachable[0]
        more = f" and {len(unreachable) - 1} more pairs" if len(unreachable) > 1 else ""
        raise DisconnectedError(
            f"the {provider} distance table does not connect {a} and {b}{more}"
            + (" (try --distances auto)" if provider == SEED else "")
        )
    return DistanceMatrix(list(ids), km, paths, provider)


def seed_matrix(G: nx.Graph, ids: Sequence[str]) -> DistanceMatrix:
    """All-pairs shortest road km between ``ids`` over the table graph (Dijkstra closure)."""
    return _closure(G, ids, SEED)


def fit_circuity(pairs: Iterable[tuple[str, str, float, float]]) -> CircuityFit:
    """Fit road = f × great-circle over ``(a, b, road_km, great_circle_km)`` pairs.

    The least-squares slope through the origin, ``f = Σ road·gc / Σ gc²``; errors are
    reported per pair so the docs can show how good the estimate is.
    """
    rows = [(a, b, float(r), float(g)) for a, b, r, g in pairs if g > 0]
    if not rows:
        raise RoutingError("no road/great-circle pairs to fit a circuity factor")
    num = sum(r * g for _, _, r, g in rows)
    den = sum(g * g for _, _, _, g in rows)
    f = num / den
    res = tuple((a, b, r, g, f * g) for a, b, r, g in rows)
    abs_err = [abs(e - r) for _, _, r, _, e in res]
    pct = [abs(e - r) / r * 100 for _, _, r, _, e in res if r > 0]
    return CircuityFit(
        factor=f,
        n=len(rows),
        mean_abs_error_km=sum(abs_err) / len(abs_err),
        mean_abs_pct_error=sum(pct) / len(pct) if pct else 0.0,
        max_abs_pct_error=max(pct) if pct else 0.0,
        residuals=res,
    )


def _require_coords(
    ids: Iterable[str], coords: Mapping[str, tuple[float, float] | None]
) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    missing = []
    for s in ids:
        c = coords.get(s)
        if c is None:
            missing.append(s)
        else:
            out[s] = c
    if missing:
        raise MissingCoordinatesError(
            f"no coordinates to estimate distances for: {', '.join(missing)}"
        )
    return out


def estimate_km(a: tuple[float, float], b: tuple[float, float], factor: float) -> float:
    """Estimated road km between two (lat, lon) points."""
    return haversine_km(a[0], a[1], b[0], b[1]) * factor


def estimate_matrix(
    ids: Sequence[str], coords: Mapping[str, tuple[float, float] | None], factor: float
) -> DistanceMatrix:
    """Road-km estimates from coordinates for every pair of ``ids`` (direct, no chaining)."""
    pts = _require_coords(ids, coords)
    n = len(ids)
    km = np.zeros((n, n))
    paths: dict[tuple[int, int], tuple[Hop, ...]] = {}
    for i in range(n):
        for j in range(i + 1, n):
            d = estimate_km(pts[ids[i]], pts[ids[j]], factor)
            km[i, j] = km[j, i] = d
            paths[(i, j)] = (Hop(ids[i], ids[j], d, ESTIMATE),)
    return DistanceMatrix(list(ids), km, paths, ESTIMATE)


def auto_matrix(
    G: nx.Graph,
    ids: Sequence[str],
    coords: Mapping[str, tuple[float, float] | None],
    factor: float,
) -> DistanceMatrix:
    """Table distances where the table connects two sites, estimates elsewhere, then closure.

    Estimated edges are added only between sites in different connected components of the
    table graph (or outside it), so a pair the table connects is never given an estimate.
    """
    H = nx.Graph()
    H.add_edges_from(G.edges(data=True))
    H.add_nodes_from(ids)
    comp: dict[str, int] = {}
    for k, c in enumerate(nx.connected_components(G)):
        for v in c:
            comp[v] = k
    # Sites of the request plus every table site that has coordinates can carry estimates.
    candidates = list(dict.fromkeys([*ids, *(v for v in G.nodes if coords.get(v) is not None)]))
    _require_coords([s for s in ids if s not in G], coords)
    located = [s for s in candidates if coords.get(s) is not None]
    # Every component of the request must contain at least one located site.
    for s in ids:
        if s in G and not any(comp.get(t) == comp[s] for t in located):
            raise MissingCoordinatesError(
                f"{s} is linked only to sites without coordinates; cannot connect it by estimate"
            )
    for x in range(len(located)):
        for y in range(x + 1, len(located)):
            a, b = located[x], located[y]
            if a in comp and b in comp and comp[a] == comp[b]:
                continue
            ca, cb = coords[a], coords[b]
            assert ca is not None and cb is not None  # ``located`` holds sites with coordinates
            H.add_edge(a, b, weight=estimate_km(ca, cb, factor), source=ESTIMATE)
    dm = _closure(H, ids, "auto")
    dm.provider = "auto"
    # Where the table itself connects two requested sites, its chain wins over any shortcut
    # through estimated edges: the table is measured road distance, the estimate is not.
    in_table = [i for i, s in enumerate(ids) if s in comp]
    if in_table:
        for x, i in enumerate(in_table):
            dist, path = nx.single_source_dijkstra(G, ids[i], weight="weight")
            for j in in_table[x + 1 :]:
                if ids[j] in dist:
                    dm.km[i, j] = dm.km[j, i] = dist[ids[j]]
                    p = path[ids[j]]
                    dm.paths[(i, j)] = tuple(
                        Hop(u, v, G[u][v]["weight"], SEED) for u, v in itertools.pairwise(p)
                    )
    return dm
