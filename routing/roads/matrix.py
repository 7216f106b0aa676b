"""A road matrix: km, minutes and snapped points between named points, with provenance.

A matrix is what a road source (OSRM or AMap) answered for a list of ``(id, lat, lon)`` points.
It is stored as one JSON file (``matrix.json``) plus, for OSRM, the legs' simplified geometries
(``geometry.json``), and it is only ever used for a point that has not moved since it was
computed (:meth:`RoadMatrix.usable`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.geo import haversine_km

#: a point snapped farther than this from its position is flagged and its road figures unused
SNAP_LIMIT_KM = 1.0
#: points within this distance of the position a matrix was computed for count as unmoved
SAME_POINT_KM = 0.001

Point = tuple[float, float]


@dataclass
class RoadMatrix:
    """km and minutes from ``ids[i]`` to ``ids[j]`` by road (NaN where there is no answer).

    ``source`` is the leg provenance it gives (``road:osrm`` or ``road:amap``); ``snap_km`` is
    how far each point was moved onto the network (``NaN`` when the source does not say);
    ``flagged`` lists the ids snapped farther than :data:`SNAP_LIMIT_KM`, whose figures are not
    used. ``geometry`` maps ``"a|b"`` to the leg's simplified ``(lat, lon)`` line.
    """

    ids: list[str]
    points: list[Point]
    km: np.ndarray
    minutes: np.ndarray
    source: str
    snapped: list[Point | None]
    snap_km: list[float]
    provenance: dict[str, Any] = field(default_factory=dict)
    geometry: dict[str, list[Point]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._pos = {s: k for k, s in enumerate(self.ids)}

    @property
    def flagged(self) -> list[str]:
        """Ids whose point lies more than :data:`SNAP_LIMIT_KM` from the road it snapped to."""
        return [s for s, d in zip(self.ids, self.snap_km, strict=True) if d > SNAP_LIMIT_KM]

    def usable(self, site_id: str, point: Point | None) -> bool:
        """True if the matrix has ``site_id`` at ``point`` (unmoved) and it is not flagged."""
        k = self._pos.get(site_id)
        if k is None or point is None:
            return False
        if self.snap_km[k] > SNAP_LIMIT_KM:
            return False
        lat, lon = self.points[k]
        return haversine_km(lat, lon, point[0], point[1]) <= SAME_POINT_KM

    def pair(self, a: str, b: str) -> tuple[float, float] | None:
        """``(km, minutes)`` from ``a`` to ``b``, or ``None`` if the source has no answer."""
        i, j = self._pos.get(a), self._pos.get(b)
        if i is None or j is None:
            return None
        km, minutes = float(self.km[i, j]), float(self.minutes[i, j])
        if math.isnan(km) or math.isnan(minutes):
            return None
        return km, minutes

    def line(self, a: str, b: str) -> list[Point] | None:
        """The road geometry from ``a`` to ``b`` (reversed from ``b → a`` if only that exists)."""
        got = self.geometry.get(f"{a}|{b}")
        if got is not None:
            return got
        back = self.geometry.get(f"{b}|{a}")
        return list(reversed(back)) if back is not None else None

    # -- files -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The matrix as JSON-ready data (``null`` for missing figures)."""

        def cells(m: np.ndarray, nd: int) -> list[list[float | None]]:
            return [[None if math.isnan(v) else round(float(v), nd) for v in row] for row in m]

        return {
            "source": self.source,
            "provenance": self.provenance,
            "ids": self.ids,
            "points": [[round(a, 7), round(b, 7)] for a, b in self.points],
            "snapped": [
                None if p is None else [round(p[0], 7), round(p[1], 7)] for p in self.snapped
            ],
            "snap_km": [None if math.isnan(d) else round(d, 4) for d in self.snap_km],
            "flagged": self.flagged,
            "km": cells(self.km, 4),
            "minutes": cells(self.minutes, 3),
        }

    @classmethod
    def from_json(
        cls,
        data: Mapping[str, Any],
        geometry: Mapping[str, Sequence[Sequence[float]]] | None = None,
    ) -> RoadMatrix:
        """Inverse of :meth:`to_json` (plus the optional geometry file's content)."""

        def arr(rows: Sequence[Sequence[float | None]]) -> np.ndarray:
            return np.array(
                [[math.nan if v is None else float(v) for v in row] for row in rows], dtype=float
            ).reshape(len(rows), len(rows))

        return cls(
            ids=list(data["ids"]),
            points=[(float(a), float(b)) for a, b in data["points"]],
            km=arr(data["km"]),
            minutes=arr(data["minutes"]),
            source=str(data["source"]),
            snapped=[None if p is None else (float(p[0]), float(p[1])) for p in data["snapped"]],
            snap_km=[math.nan if d is None else float(d) for d in data["snap_km"]],
            provenance=dict(data.get("provenance") or {}),
            geometry={k: [(float(a), float(b)) for a, b in v] for k, v in (geometry or {}).items()},
        )

    @classmethod
    def load(cls, folder: Path) -> RoadMatrix:
        """Read ``matrix.json`` (and ``geometry.json`` if present) from ``folder``."""
        data = json.loads((folder / "matrix.json").read_text(encoding="utf-8"))
        geo_file = folder / "geometry.json"
        geometry = json.loads(geo_file.read_text(encoding="utf-8")) if geo_file.is_file() else None
        return cls.from_json(data, geometry)

    def write(self, folder: Path) -> list[str]:
        """Write the matrix (and geometries) into ``folder``; returns the file names."""
        (folder / "matrix.json").write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        names = ["matrix.json"]
        if self.geometry:
            geo = {k: [[round(a, 5), round(b, 5)] for a, b in v] for k, v in self.geometry.items()}
            (folder / "geometry.json").write_text(
                json.dumps(geo, separators=(",", ":")) + "\n", encoding="utf-8"
            )
            names.append("geometry.json")
        return names


def osrm_matrix(
    engine: Any,
    ids: Sequence[str],
    points: Sequence[Point],
    *,
    provenance: Mapping[str, Any],
    geometries: bool = True,
) -> RoadMatrix:
    """The road matrix of ``points`` from an :class:`~routing.roads.engine.OsrmEngine`.

    Each figure runs from the point to its snapped road position, along the road and on to the
    other point: the two straight access pieces are added to the km (never to the minutes; the
    planning overhead per leg covers parking and the walk to the gate), so a road km is never
    shorter than the straight line. Geometries (simplified) are computed for every pair whose
    ends are not flagged.
    """
    table = engine.table(points)
    snap_km = [s.distance_m / 1000.0 for s in table.snaps]
    access = np.add.outer(np.array(snap_km), np.array(snap_km))
    km = table.km + access
    np.fill_diagonal(km, 0.0)
    rm = RoadMatrix(
        ids=list(ids),
        points=[(float(a), float(b)) for a, b in points],
        km=km,
        minutes=table.minutes,
        source="road:osrm",
        snapped=[(s.lat, s.lon) for s in table.snaps],
        snap_km=snap_km,
        provenance=dict(provenance),
    )
    if geometries:
        ok = [k for k, d in enumerate(snap_km) if d <= SNAP_LIMIT_KM]
        for x, i in enumerate(ok):
            for j in ok[x + 1 :]:
                if math.isnan(table.km[i, j]):
                    continue
                route = engine.route([points[i], points[j]])
                line = [points[i], *route.geometry, points[j]]
                rm.geometry[f"{ids[i]}|{ids[j]}"] = line
    return rm
