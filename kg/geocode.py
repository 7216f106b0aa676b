"""Refine site coordinates from a map-search API (AMap/高德 Web Service, user-supplied key).

AMap returns GCJ-02 ``"lon,lat"`` strings; they are converted to WGS-84 here, at the edge,
before anything else sees them. Candidates are checked for plausibility (same county, near
the current point) and written to a review file; ``apply_candidates`` then updates
``sites.csv`` atomically for the accepted ones, recording the method and source.

The HTTP call is injectable (``fetch``) so tests run against recorded responses, offline.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common.artifacts import atomic_path
from common.errors import UserError
from common.geo import gcj02_to_wgs84, haversine_km

AMAP_PLACE_URL = "https://restapi.amap.com/v3/place/text"
Fetch = Callable[[str, dict[str, str]], dict[str, Any]]


class GeocodeError(UserError, RuntimeError):
    """The map service refused the request or answered something unusable."""


@dataclass(frozen=True)
class Candidate:
    """One map-search hit for a catalog site, already in WGS-84."""

    site_id: str
    query: str
    poi_name: str
    address: str
    district: str
    lat: float
    lon: float
    gcj_lat: float
    gcj_lon: float
    km_from_current: float | None
    accepted: bool
    reason: str


def http_fetch(url: str, params: dict[str, str], *, timeout: float = 10.0) -> dict[str, Any]:
    """GET ``url`` with ``params`` and decode the JSON answer."""
    full = f"{url}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(full, timeout=timeout) as resp:
        body = resp.read()
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        head = body[:60].decode("utf-8", "replace")
        raise GeocodeError(f"{url} answered something that is not JSON: {head!r}") from None
    if not isinstance(data, dict):
        raise GeocodeError(f"{url} answered JSON that is not an object")
    return data


def amap_search(query: str, key: str, *, city: str = "", fetch: Fetch | None = None) -> list[dict]:
    """Raw POIs for ``query`` from AMap place search (``status`` checked)."""
    fetch = fetch or http_fetch
    params = {"keywords": query, "key": key, "output": "json", "offset": "5"}
    if city:
        params.update(city=city, citylimit="true")
    data = fetch(AMAP_PLACE_URL, params)
    if str(data.get("status")) != "1":
        raise GeocodeError(f"AMap refused the query {query!r}: {data.get('info', 'no info')}")
    return list(data.get("pois") or [])


def _parse_location(loc: str) -> tuple[float, float]:
    lon_s, lat_s = loc.split(",")
    return float(lat_s), float(lon_s)


def choose_candidate(
    site: Any, pois: list[dict], *, query: str, max_km: float = 30.0
) -> Candidate | None:
    """Pick the first POI in the site's county and near its current point, if any."""
    for poi in pois:
        loc = poi.get("location")
        if not loc or not isinstance(loc, str) or "," not in loc:
            continue
        glat, glon = _parse_location(loc)
        lat, lon = gcj02_to_wgs84(glat, glon)
        district = str(poi.get("adname") or "")
        km = haversine_km(site.lat, site.lon, lat, lon) if site.has_coords else None
        county_ok = not site.county or not district or district in site.county
        near_ok = km is None or km <= max_km
        reason = "ok"
        if not county_ok:
            reason = f"district {district} is not {site.county}"
        elif not near_ok:
            reason = f"{km:.1f} km from the current point (limit {max_km:g} km)"
        return Candidate(
            site_id=site.id,
            query=query,
            poi_name=str(poi.get("name") or ""),
            address=str(poi.get("address") or ""),
            district=district,
            lat=round(lat, 6),
            lon=round(lon, 6),
            gcj_lat=glat,
            gcj_lon=glon,
            km_from_current=None if km is None else round(km, 3),
            accepted=county_ok and near_ok,
            reason=reason,
        )
    return None


def geocode_sites(
    sites: Iterable[Any], key: str, *, fetch: Fetch | None = None, max_km: float = 30.0
) -> list[Candidate]:
    """Search every site by its Chinese name within its city; one candidate per site found."""
    found = []
    for site in sites:
        query = site.name_zh
        pois = amap_search(query, key, city=getattr(site, "city", "") or "", fetch=fetch)
        cand = choose_candidate(site, pois, query=query, max_km=max_km)
        if cand is not None:
            found.append(cand)
    return found


def _atomic_write_rows(path: Path, fieldnames: list[str], rows: Iterable[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_candidates(path: Path, candidates: list[Candidate]) -> None:
    """Write the review file (CSV) atomically."""
    fields = list(Candidate.__dataclass_fields__)
    _atomic_write_rows(path, fields, (asdict(c) for c in candidates))


def apply_candidates(
    sites_csv: Path, candidates: list[Candidate], *, today: dt.date | None = None
) -> int:
    """Update accepted candidates' coordinates in ``sites_csv`` (atomically); return count."""
    today = today or dt.date.today()
    accepted = {c.site_id: c for c in candidates if c.accepted}
    with sites_csv.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    changed = 0
    for row in rows:
        cand = accepted.get(row.get("id", ""))
        if cand is None:
            continue
        row["lat"], row["lon"] = f"{cand.lat:.6f}", f"{cand.lon:.6f}"
        row["coord_confidence"] = "medium"
        row["coord_method"] = (
            f"AMap place search POI '{cand.poi_name}' ({cand.district}), "
            f"GCJ-02 ({cand.gcj_lon},{cand.gcj_lat}) converted to WGS-84"
        )
        row["coord_source"] = f"AMap Web Service place/text, retrieved {today.isoformat()}"
        if "coord_uncertainty_km" in row:
            row["coord_uncertainty_km"] = "1"
        if "coord_precision" in row:
            row["coord_precision"] = "site"  # a POI of the site itself, no longer a centre
        changed += 1
    if changed:
        _atomic_write_rows(sites_csv, fields, rows)
    return changed
