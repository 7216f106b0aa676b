"""Sites by theme and area, and sites within a distance of a site or a point."""

from __future__ import annotations

import math
from typing import Any

from rdflib import URIRef

from common.geo import haversine_km
from kg.queries.lookup import _dec, _id, _site, resolve, site_summaries
from kg.queries.results import NearbySite, SiteRef
from kg.store import KnowledgeGraph, QueryError, Row

_KM_PER_DEG_LAT = 111.2


def sites_by(
    kg: KnowledgeGraph,
    *,
    theme: str | None = None,
    area: str | None = None,
    kind: str | None = None,
) -> list[SiteRef]:
    """Sites with ``theme`` and/or inside ``area`` (at any depth), optionally of one ``kind``.

    Parameters
    ----------
    kg
        The graph.
    theme
        Theme id or label (``stone-carving``, ``石刻``).
    area
        Area id, name or alias (``安岳县``, ``安岳``, ``sichuan.ziyang.anyue``, ``四川省``).
    kind
        Catalog kind (``rock_carving`` …), filtered after the query.

    Returns
    -------
    list[SiteRef]
        Sorted by id. With neither theme nor area: all sites.
    """
    bindings: dict[str, URIRef] = {}
    if theme is not None:
        bindings["theme"] = resolve(kg, theme, kinds=("theme",)).iri
    if area is not None:
        bindings["area"] = resolve(kg, area, kinds=("area",)).iri
    summaries = site_summaries(kg)
    if theme is not None and area is not None:
        rows = kg.select("sites_by_theme_in_area", bindings)
    elif theme is not None:
        rows = kg.select("sites_by_theme", bindings)
    elif area is not None:
        rows = kg.select("sites_in_area", bindings)
    else:
        rows = [Row({"site": s.iri}) for s in summaries.values()]
    out = [summaries[_id(r.site)] for r in rows]
    if kind is not None:
        out = [s for s in out if s.kind == kind]
    return sorted(out, key=lambda s: s.id)


# ============================================================================ distances


def sites_within(
    kg: KnowledgeGraph,
    center: str | SiteRef | tuple[float, float],
    radius_km: float,
    *,
    include_documented: bool = True,
    include_towns: bool = False,
) -> list[NearbySite]:
    """Sites within ``radius_km`` of a site or a WGS-84 ``(lat, lon)`` point.

    A site is included when its great-circle distance from the centre (both points known) or
    a documented distance (the report's table, a published figure) is at most ``radius_km``.
    Approximate coordinates are flagged on each result.

    Returns
    -------
    list[NearbySite]
        Nearest first (documented distance when known, else straight-line).
    """
    if radius_km < 0 or not math.isfinite(radius_km):
        raise QueryError(f"radius_km must be a non-negative number, got {radius_km!r}")
    summaries = site_summaries(kg)
    lat: float | None
    lon: float | None
    if isinstance(center, tuple):
        lat, lon = float(center[0]), float(center[1])
        me: SiteRef | None = None
        my_approx = False
    else:
        me = _site(kg, center)
        lat, lon = (me.lat, me.lon) if me.has_coords else (None, None)
        my_approx = bool(me.approximate)
    found: dict[str, dict[str, Any]] = {}
    if lat is not None and lon is not None:
        dlat = radius_km / _KM_PER_DEG_LAT
        dlon = radius_km / (_KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
        rows = kg.select(
            "sites_in_box",
            {
                "lat_min": _dec(lat - dlat),
                "lat_max": _dec(lat + dlat),
                "lon_min": _dec(lon - dlon),
                "lon_max": _dec(lon + dlon),
            },
        )
        for r in rows:
            sid = _id(r.site)
            if me is not None and sid == me.id:
                continue
            km = haversine_km(lat, lon, float(r.lat), float(r.lon))
            if km <= radius_km:
                found[sid] = {"straight": km}
    if me is not None and include_documented:
        bindings = {"site": me.iri, "radius": _dec(radius_km)}
        for r in kg.select("documented_distances_from", bindings):
            sid = _id(r.other)
            d = found.setdefault(sid, {})
            km = float(r.km)
            if d.get("doc") is None or km < d["doc"]:
                d.update(doc=km, kind=str(r.kind), source=str(r.source or ""))
    out = []
    for sid, d in found.items():
        s = summaries[sid]
        if s.kind == "town" and not include_towns:
            continue
        straight = d.get("straight")
        if (
            straight is None
            and lat is not None
            and lon is not None
            and s.lat is not None
            and s.lon is not None
        ):
            straight = haversine_km(lat, lon, s.lat, s.lon)
        out.append(
            NearbySite(
                site=s,
                straight_km=round(straight, 3) if straight is not None else None,
                approximate=my_approx or bool(s.approximate),
                documented_km=d.get("doc"),
                documented_kind=d.get("kind"),
                source=d.get("source"),
            )
        )
    out.sort(key=lambda n: (n.km, n.site.id))
    return out
