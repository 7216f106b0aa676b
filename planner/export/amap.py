"""Amap (高德) navigation links for each day, with coordinates converted to GCJ-02.

Amap's URI API (https://lbs.amap.com/api/uri-api/guide/travel/route) opens a route between
``from`` and ``to`` given as ``lon,lat,name`` and accepts **at most one** ``via`` point, only in
car mode. A day of several stops is therefore split into consecutive links that share their
ends: lodging → stop 1 → stop 2, then stop 2 → stop 3 → lodging, and so on (two points per
link by bus). Everything inside the project is WGS-84; the shift to GCJ-02 (≈ 0.4–0.6 km in
Sichuan/Chongqing) is applied here, at the edge, with :func:`common.geo.wgs84_to_gcj02`.
``coordinate=gaode`` states the datum explicitly (it is also Amap's default).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from common.geo import wgs84_to_gcj02
from planner.export._io import ExportError
from planner.export.facts import ExportData, Place

__all__ = [
    "AMAP_MARKER",
    "AMAP_NAVIGATION",
    "AmapLink",
    "day_links",
    "marker_url",
    "navigation_url",
]

AMAP_NAVIGATION = "https://uri.amap.com/navigation"
AMAP_MARKER = "https://uri.amap.com/marker"
_MODES = {"car": "car", "bus": "bus", "walk": "walk", "ride": "ride"}


@dataclass(frozen=True)
class AmapLink:
    """One navigation link of a day: its points (WGS-84 places) and the URL (GCJ-02)."""

    day: int
    part: int
    points: tuple[Place, ...]
    url: str

    def route_text(self, lang: str) -> str:
        """``大足城区 → 北山摩崖造像 → 宝顶山摩崖造像`` (names in ``lang``)."""
        return " → ".join(p.name(lang) for p in self.points)


def _point(p: Place) -> str:
    if not p.has_coords:
        raise ExportError(f"{p.name_zh} ({p.id}) has no coordinates")
    lat, lon = wgs84_to_gcj02(float(p.lat), float(p.lon))  # type: ignore[arg-type]
    name = p.name_zh.replace(",", "，").replace("&", "＆")
    return f"{lon:.6f},{lat:.6f},{quote(name, safe='')}"


def navigation_url(
    points: list[Place] | tuple[Place, ...],
    *,
    mode: str = "car",
    src: str = "heritage-routes",
    callnative: bool = False,
) -> str:
    """Amap route URL from the first to the last point (one middle point allowed, car only).

    Raises
    ------
    ValueError
        On fewer than 2 or more than 3 points, a via point outside car mode, an unknown
        mode, or a point without coordinates.
    """
    if mode not in _MODES:
        raise ValueError(f"unknown Amap mode {mode!r}; choose one of {', '.join(_MODES)}")
    if not 2 <= len(points) <= 3:
        raise ValueError("an Amap route link takes a start, an end and at most one via point")
    if len(points) == 3 and mode != "car":
        raise ValueError("Amap accepts a via point only in car mode")
    parts = [f"from={_point(points[0])}"]
    if len(points) == 3:
        parts.append(f"via={_point(points[1])}")
    parts += [
        f"to={_point(points[-1])}",
        f"mode={_MODES[mode]}",
        f"src={quote(src, safe='')}",
        "coordinate=gaode",
        f"callnative={int(callnative)}",
    ]
    return AMAP_NAVIGATION + "?" + "&".join(parts)


def marker_url(place: Place, *, src: str = "heritage-routes") -> str:
    """Amap marker URL for one place (GCJ-02)."""
    lon_lat_name = _point(place)
    lon, lat, name = lon_lat_name.split(",", 2)
    return (
        f"{AMAP_MARKER}?position={lon},{lat}&name={name}"
        f"&src={quote(src, safe='')}&coordinate=gaode&callnative=0"
    )


def day_links(
    data: ExportData, *, src: str = "heritage-routes", callnative: bool = False
) -> list[list[AmapLink]]:
    """Per day, the Amap links that together cover lodging → stops → lodging.

    Places without coordinates are skipped (they cannot be navigated to); a day whose
    points reduce to fewer than two (no stop, same town) gets no link.
    """
    mode = data.itinerary.mode if data.itinerary.mode in _MODES else "car"
    step = 2 if mode == "car" else 1
    out: list[list[AmapLink]] = []
    for d in range(len(data.itinerary.days)):
        chain = [p for p in data.day_chain(d) if p.has_coords]
        dedup: list[Place] = []
        for p in chain:
            if not dedup or p.id != dedup[-1].id:
                dedup.append(p)
        links: list[AmapLink] = []
        i = 0
        while i < len(dedup) - 1:
            pts = tuple(dedup[i : i + step + 1])
            links.append(
                AmapLink(
                    day=d,
                    part=len(links) + 1,
                    points=pts,
                    url=navigation_url(pts, mode=mode, src=src, callnative=callnative),
                )
            )
            i += step
        out.append(links)
    return out
