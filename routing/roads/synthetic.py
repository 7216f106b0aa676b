"""Synthetic OpenStreetMap road networks (written with pyosmium) for tests and benchmarks.

A grid of ``highway=<grid_tag>`` ways covers the bounding box of the points given (plus a
margin), and each point gets a short ``highway=<spur_tag>`` spur from the nearest grid crossing
that ends :data:`SPUR_GAP_DEG` before the point, so the point's nearest road is unambiguous
(the grid is shifted until no point lies near a grid line — no ties between two roads).
Points listed in ``far`` get no spur and lie outside the grid's box: the engine has to snap
them a long way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SPUR_GAP_DEG = 0.0001  # ~10 m
_MIN_LINE_GAP_DEG = 0.0005  # no point within ~50 m of a grid line
Point = tuple[float, float]


@dataclass(frozen=True)
class SyntheticNetwork:
    """What was written: node and way counts, the grid's box and spacing."""

    path: Path
    nodes: int
    ways: int
    box: tuple[float, float, float, float]  # min lat, min lon, max lat, max lon
    spacing_deg: float
    #: per point: the node its spur ends at (the grid node itself for a point on it); None: far
    point_nodes: tuple[int | None, ...] = ()


def _grid_origin(lo: float, points: Sequence[float], spacing: float, clear: bool) -> float:
    if not clear:
        return lo - spacing * 0.5
    for k in range(64):  # bounded: shift by spacing/67 until every point is clear of the lines
        origin = lo - spacing * (0.5 + k / 67.0)
        if all(
            min((p - origin) % spacing, spacing - (p - origin) % spacing) > _MIN_LINE_GAP_DEG
            for p in points
        ):
            return origin
    raise ValueError("cannot place a grid clear of every point; use another spacing")


def write_grid_network(
    path: Path,
    points: Sequence[Point],
    *,
    spacing_deg: float = 0.02,
    margin_deg: float = 0.03,
    far: Sequence[int] = (),
    grid_tag: str = "primary",
    spur_tag: str = "primary",
    min_size: tuple[int, int] = (0, 0),
    clear_of_points: bool = True,
) -> SyntheticNetwork:
    """Write an ``.osm.pbf`` grid network serving ``points`` (indices in ``far`` left out).

    ``min_size`` = (rows, cols) enlarges the grid (for benchmarks of a given node count);
    ``clear_of_points=False`` skips the tie-avoiding shift (many random points, benchmarks).
    """
    import osmium

    far_set = set(far)
    near = [p for k, p in enumerate(points) if k not in far_set]
    if not near:
        raise ValueError("no points to serve")
    lat0 = _grid_origin(
        min(p[0] for p in near) - margin_deg, [p[0] for p in near], spacing_deg, clear_of_points
    )
    lon0 = _grid_origin(
        min(p[1] for p in near) - margin_deg, [p[1] for p in near], spacing_deg, clear_of_points
    )
    rows = max(min_size[0], math.ceil((max(p[0] for p in near) + margin_deg - lat0) / spacing_deg))
    cols = max(min_size[1], math.ceil((max(p[1] for p in near) + margin_deg - lon0) / spacing_deg))
    rows, cols = rows + 1, cols + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    n_nodes = n_ways = 0
    try:

        def node_id(r: int, c: int) -> int:
            return 1 + r * cols + c

        for r in range(rows):
            for c in range(cols):
                loc = osmium.osm.Location(lon0 + c * spacing_deg, lat0 + r * spacing_deg)
                writer.add_node(osmium.osm.mutable.Node(id=node_id(r, c), location=loc, version=1))
                n_nodes += 1
        nid = rows * cols + 1
        spur_ways: list[list[int]] = []
        point_nodes: list[int | None] = []
        for k, (lat, lon) in enumerate(points):
            if k in far_set:
                point_nodes.append(None)
                continue
            r = min(rows - 1, max(0, round((lat - lat0) / spacing_deg)))
            c = min(cols - 1, max(0, round((lon - lon0) / spacing_deg)))
            glat, glon = lat0 + r * spacing_deg, lon0 + c * spacing_deg
            d = math.hypot(lat - glat, lon - glon)
            if d <= SPUR_GAP_DEG:
                point_nodes.append(node_id(r, c))
                continue
            f = (d - SPUR_GAP_DEG) / d
            loc = osmium.osm.Location(glon + (lon - glon) * f, glat + (lat - glat) * f)
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=loc, version=1))
            spur_ways.append([node_id(r, c), nid])
            point_nodes.append(nid)
            nid += 1
            n_nodes += 1
        wid = 1
        for r in range(rows):
            nodes = [node_id(r, c) for c in range(cols)]
            writer.add_way(
                osmium.osm.mutable.Way(id=wid, nodes=nodes, version=1, tags={"highway": grid_tag})
            )
            wid += 1
        for c in range(cols):
            nodes = [node_id(r, c) for r in range(rows)]
            writer.add_way(
                osmium.osm.mutable.Way(id=wid, nodes=nodes, version=1, tags={"highway": grid_tag})
            )
            wid += 1
        for nodes in spur_ways:
            writer.add_way(
                osmium.osm.mutable.Way(id=wid, nodes=nodes, version=1, tags={"highway": spur_tag})
            )
            wid += 1
        n_ways = wid - 1
    finally:
        writer.close()
    box = (lat0, lon0, lat0 + (rows - 1) * spacing_deg, lon0 + (cols - 1) * spacing_deg)
    return SyntheticNetwork(path, n_nodes, n_ways, box, spacing_deg, tuple(point_nodes))


def write_town_network(
    path: Path,
    *,
    towns_side: int = 11,
    town_side: int = 28,
    town_spacing_deg: float = 0.15,
    street_deg: float = 0.002,
    highway_node_deg: float = 0.005,
    points: int = 400,
    origin: Point = (29.5, 104.8),
    seed: int = 7,
) -> tuple[SyntheticNetwork, list[Point]]:
    """A road-like network: ``towns_side²`` towns, each a ``town_side²`` grid of
    ``highway=residential`` streets ``street_deg`` apart, joined to their lattice neighbours by
    ``highway=primary`` roads (a node every ``highway_node_deg``). ``points`` random points
    (seeded) inside the towns are returned with the network; each gets a spur like
    :func:`write_grid_network`'s. Unlike a uniform grid, the network has small cuts between
    towns, as real regional road networks do.
    """
    import random

    import osmium

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    node_ids: dict[tuple[int, int, int, int], int] = {}
    locs: dict[int, Point] = {}
    ways: list[tuple[list[int], str]] = []
    nid = 1

    def add(lat: float, lon: float) -> int:
        nonlocal nid
        locs[nid] = (lat, lon)
        nid += 1
        return nid - 1

    half = (town_side - 1) * street_deg / 2
    centres: dict[tuple[int, int], Point] = {}
    for ti in range(towns_side):
        for tj in range(towns_side):
            clat = origin[0] + ti * town_spacing_deg + rng.uniform(-0.02, 0.02)
            clon = origin[1] + tj * town_spacing_deg + rng.uniform(-0.02, 0.02)
            centres[(ti, tj)] = (clat, clon)
            for r in range(town_side):
                for c in range(town_side):
                    node_ids[(ti, tj, r, c)] = add(
                        clat - half + r * street_deg, clon - half + c * street_deg
                    )
            for r in range(town_side):
                ways.append(([node_ids[(ti, tj, r, c)] for c in range(town_side)], "residential"))
            for c in range(town_side):
                ways.append(([node_ids[(ti, tj, r, c)] for r in range(town_side)], "residential"))
    mid = town_side // 2
    for (ti, tj), _ in centres.items():
        for di, dj, a_rc, b_rc in (
            (1, 0, (town_side - 1, mid), (0, mid)),
            (0, 1, (mid, town_side - 1), (mid, 0)),
        ):
            if (ti + di, tj + dj) not in centres:
                continue
            a = node_ids[(ti, tj, *a_rc)]
            b = node_ids[(ti + di, tj + dj, *b_rc)]
            (alat, alon), (blat, blon) = locs[a], locs[b]
            steps = max(1, round(max(abs(blat - alat), abs(blon - alon)) / highway_node_deg))
            chain = [a]
            for s in range(1, steps):
                f = s / steps
                chain.append(add(alat + (blat - alat) * f, alon + (blon - alon) * f))
            chain.append(b)
            ways.append((chain, "primary"))
    pts: list[Point] = []
    point_nodes: list[int | None] = []
    for _ in range(points):
        ti, tj = rng.randrange(towns_side), rng.randrange(towns_side)
        r, c = rng.randrange(town_side - 1), rng.randrange(town_side - 1)
        glat, glon = locs[node_ids[(ti, tj, r, c)]]
        # inside the block, clear of its streets: the spur from the block's corner is nearest
        lat = glat + street_deg * rng.uniform(0.3, 0.45)
        lon = glon + street_deg * rng.uniform(0.3, 0.45)
        d = math.hypot(lat - glat, lon - glon)
        f = (d - SPUR_GAP_DEG) / d
        end = add(glat + (lat - glat) * f, glon + (lon - glon) * f)
        ways.append(([node_ids[(ti, tj, r, c)], end], "residential"))
        pts.append((lat, lon))
        point_nodes.append(end)
    writer = osmium.SimpleWriter(str(path))
    try:
        for k, (lat, lon) in locs.items():
            loc = osmium.osm.Location(lon, lat)
            writer.add_node(osmium.osm.mutable.Node(id=k, location=loc, version=1))
        for w, (nodes, tag) in enumerate(ways, start=1):
            writer.add_way(
                osmium.osm.mutable.Way(id=w, nodes=nodes, version=1, tags={"highway": tag})
            )
    finally:
        writer.close()
    lats = [p[0] for p in locs.values()]
    lons = [p[1] for p in locs.values()]
    box = (min(lats), min(lons), max(lats), max(lons))
    net = SyntheticNetwork(path, len(locs), len(ways), box, street_deg, tuple(point_nodes))
    return net, pts
