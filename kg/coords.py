"""Approximate coordinates derived from documented facts (bearings, distances, co-location).

Only a few sites have a published coordinate. For the others, every documented relation
("宝顶山 15 km NE of 大足城区", "孔雀洞–茗山寺 3.9 km" in the report's table, "the troupe
performs in the county seat") is a :class:`Constraint` between a site and an anchor. A site
is located by weighted least squares (``scipy.optimize.least_squares``) over its constraints
to already-located anchors, in rounds: round 0 holds the sourced points only, a site located
in round *n* may anchor sites in round *n + 1*. Every derived point is ``approx``; sourced
points are never moved (their constraints are reported as consistency checks instead).

Model (see data/catalog/README.md for the calibration behind the numbers):

* road km → straight km: divide by the circuity (default :data:`CIRCUITY` = 1.5);
* a distance has a 1-sigma error of ``REL_SIGMA * straight + MIN_SIGMA_KM``;
* a compass bearing is good to ±22.5° (8-point compass), i.e. a cross-track 1-sigma of
  ``straight * tan(22.5°) + MIN_SIGMA_KM``;
* ``colocated`` needs an explicit ``sigma_km`` (the size of the documented place);
* an anchor's own uncertainty is added in quadrature to every constraint using it.

When two mirror-image solutions fit equally well and no pending constraint can separate
them, the midpoint is taken and half their separation is added to the uncertainty.

Which figure of the report's table 6 is used: points are placed from the km **as printed**
(:func:`seed_constraints`), because each printed figure is a statement about that pair. The
routing layer (``routing.distances.seed_matrix``) instead takes the shortest chain through
the table (Dijkstra closure), which replaces 11 of the 42 printed figures by shorter chains
(:func:`closure_replacements` lists them); those chains are route lengths, not facts about
the pair, so they never place a point. Both uses are tested in ``tests/test_coords.py``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from common.geo import EARTH_RADIUS_KM, destination_point, haversine_km
from kg.catalog import (
    SITE_COLUMNS,
    Catalog,
    CatalogError,
    SeedEdge,
    Site,
    default_data_dir,
    load_catalog,
)
from kg.catalog.loading import parse_float

__all__ = [
    "CIRCUITY",
    "CONSTRAINTS_FILE",
    "Constraint",
    "Derivation",
    "DerivedPoint",
    "Point",
    "calibrate_circuity",
    "closure_replacements",
    "constraint_residual_km",
    "derive_points",
    "load_constraints",
    "located_points",
    "regenerate_sites_csv",
    "seed_constraints",
]

CONSTRAINTS_FILE = "coord_constraints.csv"
CONSTRAINT_KINDS = ("bearing", "road_km", "straight_km", "colocated")

CIRCUITY = 1.5
"""Road km per straight-line km: median (1.55) over the 6 distinct pairs of sourced points
with a published or report distance (ratios 1.04–1.87; see :func:`calibrate_circuity`)."""
REL_SIGMA = 0.25
"""Relative 1-sigma of a road → straight conversion (the calibration ratios spread ±25 %)."""
MIN_SIGMA_KM = 0.3
"""Floor of every constraint's sigma: sites are areas, not points."""
BEARING_HALF_SECTOR_DEG = 22.5
"""A published direction (N, NE, …) is taken as an 8-point compass sector."""
CONFIDENCE_UNCERTAINTY_KM = {"high": 0.2, "medium": 1.0, "low": 2.0}
"""Default uncertainty of sourced points (facts_notes.md §1) when the row gives none."""
WEAK_PRIOR_KM = 10.0
"""A ``colocated`` relation this loose (a county) only breaks ties; it never decides a round."""
MAX_UNCERTAINTY_KM = 60.0
"""A fit looser than this is treated as undetermined (e.g. a single distance circle)."""
SEED_SOURCE = "report table 6 (表 6 景点距离统计表)"


@dataclass(frozen=True)
class Constraint:
    """A documented relation: ``site`` lies ``km`` from ``anchor`` (at ``bearing_deg``).

    Relations are symmetric: when ``site`` is located and ``anchor`` is not, the same row
    locates the anchor (a bearing is then reversed).
    """

    site: str
    anchor: str
    kind: str
    km: float | None = None
    bearing_deg: float | None = None
    circuity: float | None = None
    sigma_km: float | None = None
    source: str = ""
    note: str = ""
    file: str = ""
    lineno: int = 0

    @property
    def straight_km(self) -> float:
        """Straight-line distance implied by ``km`` (road/bearing km ÷ circuity)."""
        if self.km is None:
            return 0.0
        if self.kind == "straight_km":
            return self.km
        return self.km / (self.circuity or CIRCUITY)

    def other(self, site: str) -> str:
        """The end of the relation that is not ``site``."""
        return self.anchor if site == self.site else self.site

    def bearing_from(self, origin: str) -> float | None:
        """Bearing (deg) from ``origin`` to the other end, or None for non-bearing kinds."""
        if self.bearing_deg is None:
            return None
        return self.bearing_deg if origin == self.anchor else (self.bearing_deg + 180.0) % 360.0

    def sigmas(self) -> tuple[float, float]:
        """(along-track, cross-track) 1-sigma in km, before adding the anchor's uncertainty."""
        if self.sigma_km is not None:
            return self.sigma_km, self.sigma_km
        s = self.straight_km
        along = REL_SIGMA * s + MIN_SIGMA_KM
        if self.kind == "straight_km":
            along = 0.1 * s + MIN_SIGMA_KM
        cross = s * math.tan(math.radians(BEARING_HALF_SECTOR_DEG)) + MIN_SIGMA_KM
        return along, cross

    def describe(self, site: str) -> str:
        """Short human-readable statement of the relation as seen from ``site``."""
        other = self.other(site)
        if self.kind == "colocated":
            return f"co-located with {other} (±{self.sigma_km:g} km)"
        conv = "" if self.kind == "straight_km" else f" ÷ {self.circuity or CIRCUITY:g}"
        dist = f"{self.km:g} km{conv} = {self.straight_km:.1f} km straight"
        if self.kind == "bearing":
            b = self.bearing_from(other)
            return f"{dist} at {b:g}° from {other}"
        return f"{'road ' if self.kind == 'road_km' else ''}{dist} to {other}"


@dataclass(frozen=True)
class Point:
    """A located point (WGS-84) with its 1-sigma uncertainty in km."""

    lat: float
    lon: float
    uncertainty_km: float
    confidence: str = "approx"


@dataclass(frozen=True)
class DerivedPoint:
    """An approximate point and how it was obtained."""

    site: str
    lat: float
    lon: float
    uncertainty_km: float
    round: int
    constraints: tuple[Constraint, ...]
    residuals_km: tuple[float, ...]
    rms_normalised: float
    ambiguous_km: float | None = None
    anchors: Mapping[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str:
        """The derivation, with every fact used and its residual (for ``coord_method``)."""
        parts = []
        for c, r in zip(self.constraints, self.residuals_km, strict=True):
            other = c.other(self.site)
            parts.append(f"{c.describe(self.site)} [{self.anchors.get(other, '?')}; fit {r:+.1f}]")
        kinds = {c.kind for c in self.constraints}
        if kinds & {"road_km", "straight_km"}:
            technique = "trilateration from distances"
        elif "bearing" in kinds:
            technique = "bearing and distance from an anchor"
        else:
            technique = "co-location"
        if kinds & {"road_km", "bearing"}:
            technique += " (road/stated km ÷ circuity)"
        text = (
            f"approx, round {self.round}, {technique}: weighted least squares over "
            f"{len(parts)} fact(s): "
            + "; ".join(parts)
            + f"; RMS normalised residual {self.rms_normalised:.2f}"
        )
        if self.ambiguous_km is not None:
            text += (
                f"; two mirror-image solutions {self.ambiguous_km:.1f} km apart fit equally "
                "well: midpoint taken, half the gap added to the uncertainty"
            )
        return text

    @property
    def source(self) -> str:
        """Sources of the facts used, de-duplicated (for ``coord_source``)."""
        seen: list[str] = []
        for c in self.constraints:
            if c.source and c.source not in seen:
                seen.append(c.source)
        return "; ".join(seen)


@dataclass
class Derivation:
    """Result of :func:`derive_points`."""

    points: dict[str, DerivedPoint]
    unresolved: dict[str, str]
    checks: list[tuple[Constraint, float]]
    located: dict[str, Point]


# --------------------------------------------------------------------------- inputs


def _num(value: str, where: str, col: str, problems: list[str]) -> float | None:
    # a blank cell (spaces only) counts as empty here
    return parse_float(value if value.strip() else "", where, col, problems)


def load_constraints(
    path: str | Path, known_sites: Iterable[str] | None = None
) -> list[Constraint]:
    """Read ``coord_constraints.csv``; raise :class:`CatalogError` (``file:line:``) on defects."""
    path = Path(path)
    known = set(known_sites) if known_sites is not None else None
    problems: list[str] = []
    out: list[Constraint] = []
    if not path.exists():
        raise CatalogError([f"{path}:0: file not found"])
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [
            c
            for c in ("site", "anchor", "kind", "km", "source")
            if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise CatalogError([f"{path}:1: missing required column(s): {', '.join(missing)}"])
        for row in reader:
            r = {k: (v or "").strip() for k, v in row.items() if k}
            where = f"{path}:{reader.line_num}"
            kind = r.get("kind", "")
            if kind not in CONSTRAINT_KINDS:
                problems.append(
                    f"{where}: bad kind {kind!r} (expected {', '.join(CONSTRAINT_KINDS)})"
                )
                continue
            for col in ("site", "anchor"):
                if known is not None and r.get(col) not in known:
                    problems.append(f"{where}: unknown site id {r.get(col)!r} in column {col}")
            if r.get("site") == r.get("anchor"):
                problems.append(f"{where}: site and anchor are the same ({r.get('site')!r})")
            km = _num(r.get("km", ""), where, "km", problems)
            bearing = _num(r.get("bearing_deg", ""), where, "bearing_deg", problems)
            circuity = _num(r.get("circuity", ""), where, "circuity", problems)
            sigma = _num(r.get("sigma_km", ""), where, "sigma_km", problems)
            if kind != "colocated" and (km is None or km <= 0):
                problems.append(f"{where}: kind {kind!r} needs a positive km")
            if kind == "bearing" and (bearing is None or not 0 <= bearing < 360):
                problems.append(f"{where}: kind 'bearing' needs bearing_deg in [0, 360)")
            if kind == "colocated" and (sigma is None or sigma <= 0):
                problems.append(f"{where}: kind 'colocated' needs a positive sigma_km")
            if circuity is not None and circuity <= 0:
                problems.append(f"{where}: circuity must be positive")
            out.append(
                Constraint(
                    site=r.get("site", ""),
                    anchor=r.get("anchor", ""),
                    kind=kind,
                    km=km,
                    bearing_deg=bearing if kind == "bearing" else None,
                    circuity=circuity,
                    sigma_km=sigma,
                    source=r.get("source", ""),
                    note=r.get("note", ""),
                    file=str(path),
                    lineno=reader.line_num,
                )
            )
    if problems:
        raise CatalogError(problems)
    return out


def seed_constraints(edges: Iterable[SeedEdge]) -> list[Constraint]:
    """The report's table-6 distances as ``road_km`` constraints (circuity :data:`CIRCUITY`)."""
    return [
        Constraint(
            site=e.a,
            anchor=e.b,
            kind="road_km",
            km=e.km,
            circuity=CIRCUITY,
            source=SEED_SOURCE,
            note=f"{e.name_a}–{e.name_b}",
            file=e.file,
            lineno=e.lineno,
        )
        for e in edges
    ]


def closure_replacements(edges: Iterable[SeedEdge]) -> list[tuple[SeedEdge, float]]:
    """Printed table-6 edges that the routing closure replaces by a shorter chain.

    Returns ``(edge, chain_km)`` pairs: routing uses ``chain_km`` between the two sites,
    the derivation keeps ``edge.km`` (see the module docstring).
    """
    import networkx as nx

    from routing.distances import seed_graph

    edges = list(edges)
    g = seed_graph((e.a, e.b, e.km) for e in edges)
    out = []
    for e in edges:
        chain = float(nx.dijkstra_path_length(g, e.a, e.b, weight="weight"))
        if chain < e.km - 1e-9:
            out.append((e, chain))
    return out


def located_points(sites: Iterable[Site]) -> dict[str, Point]:
    """Sourced (non-approx) points of the catalog: the fixed anchors of round 0."""
    out = {}
    for s in sites:
        if s.has_coords and s.coord_confidence in CONFIDENCE_UNCERTAINTY_KM:
            unc = s.coord_uncertainty_km or CONFIDENCE_UNCERTAINTY_KM[s.coord_confidence]
            out[s.id] = Point(s.lat, s.lon, unc, s.coord_confidence)  # type: ignore[arg-type]
    return out


# --------------------------------------------------------------------------- geometry


class _Plane:
    """Local equirectangular projection (km) around a reference point."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.k = math.pi / 180.0 * EARTH_RADIUS_KM
        self.c = math.cos(math.radians(lat0))

    def xy(self, lat: float, lon: float) -> np.ndarray:
        return np.array([(lon - self.lon0) * self.k * self.c, (lat - self.lat0) * self.k])

    def latlon(self, xy: np.ndarray) -> tuple[float, float]:
        return self.lat0 + xy[1] / self.k, self.lon0 + xy[0] / (self.k * self.c)


def constraint_residual_km(c: Constraint, site: str, at: Point | tuple, anchor: Point) -> float:
    """Signed misfit (km) of ``c`` with ``site`` at ``at`` and its partner at ``anchor``.

    Distances: fitted minus implied straight-line distance. Bearings and co-location: the
    distance from ``at`` to the point the relation predicts.
    """
    lat, lon = (at.lat, at.lon) if isinstance(at, Point) else at
    other = c.other(site)
    if c.kind == "colocated":
        return haversine_km(lat, lon, anchor.lat, anchor.lon)
    if c.kind == "bearing":
        tlat, tlon = destination_point(
            anchor.lat, anchor.lon, c.bearing_from(other) or 0.0, c.straight_km
        )
        return haversine_km(lat, lon, tlat, tlon)
    return haversine_km(lat, lon, anchor.lat, anchor.lon) - c.straight_km


@dataclass
class _Fit:
    status: str  # ok | ambiguous | undetermined
    lat: float = 0.0
    lon: float = 0.0
    uncertainty: float = 0.0
    rms: float = 0.0
    gap: float | None = None


def _solve(site: str, rels: list[tuple[Constraint, Point]]) -> _Fit:  # noqa: C901
    """Least-squares position of ``site`` from relations to located points (multi-start)."""
    lat0 = sum(p.lat for _, p in rels) / len(rels)
    lon0 = sum(p.lon for _, p in rels) / len(rels)
    plane = _Plane(lat0, lon0)
    lin_rows: list[np.ndarray] = []  # linear residuals: row · x - offset (bearing, co-location)
    lin_off: list[float] = []
    dist_xy: list[np.ndarray] = []  # distance residuals: (|x - anchor| - d) / sigma
    dist_d: list[float] = []
    dist_s: list[float] = []
    seeds: list[np.ndarray] = []
    for c, p in rels:
        a = plane.xy(p.lat, p.lon)
        seeds.append(a)
        along, cross = c.sigmas()
        if c.kind == "colocated":  # sigma_km is a radius: split it over the two axes
            along = cross = along / math.sqrt(2)
        anchor_axis = p.uncertainty_km / math.sqrt(2)  # the anchor's radial uncertainty, per axis
        along = math.hypot(along, anchor_axis)
        cross = math.hypot(cross, anchor_axis)
        if c.kind == "bearing":
            b = c.bearing_from(c.other(site)) or 0.0
            t = plane.xy(*destination_point(p.lat, p.lon, b, c.straight_km))
            u = np.array([math.sin(math.radians(b)), math.cos(math.radians(b))])
            v = np.array([u[1], -u[0]])
            for row in (u / along, v / cross):
                lin_rows.append(row)
                lin_off.append(float(row @ t))
            seeds.append(t)
        elif c.kind == "colocated":
            for row in (np.array([1.0, 0.0]) / along, np.array([0.0, 1.0]) / along):
                lin_rows.append(row)
                lin_off.append(float(row @ a))
        else:
            dist_xy.append(a)
            dist_d.append(c.straight_km)
            dist_s.append(along)
    A = np.array(lin_rows).reshape(-1, 2)
    off = np.array(lin_off)
    D = np.array(dist_xy).reshape(-1, 2)
    dd = np.array(dist_d)
    ds = np.array(dist_s)

    def residuals(x: np.ndarray) -> np.ndarray:
        norms = np.hypot(*(x - D).T) if len(D) else np.zeros(0)
        return np.concatenate([A @ x - off, (norms - dd) / ds])

    def jacobian(x: np.ndarray) -> np.ndarray:
        if not len(D):
            return A
        diff = x - D
        norms = np.maximum(np.hypot(*diff.T), 1e-9)
        return np.vstack([A, diff / (norms * ds)[:, None]])

    radius = float(np.median([max(c.straight_km, 1.0) for c, _ in rels]))
    starts = [np.zeros(2), *seeds]
    for k in range(12):
        ang = 2 * math.pi * k / 12
        for scale in (1.0, 2.0):
            starts.append(scale * radius * np.array([math.cos(ang), math.sin(ang)]))
    method = "lm" if len(off) + len(dd) >= 2 else "trf"
    sols = []
    for x0 in starts:
        res = least_squares(
            residuals, x0 + 1e-3, jac=jacobian, method=method, xtol=1e-10, ftol=1e-10
        )
        sols.append((float(res.cost), res.x, res))
    sols.sort(key=lambda s: s[0])
    best_cost = sols[0][0]
    good = [s for s in sols if s[0] <= best_cost + 2.0]  # within Δχ² = 4 of the best
    tol = max(MIN_SIGMA_KM, 0.05 * radius)
    clusters: list[tuple[float, np.ndarray, object]] = []
    for cost, x, res in good:
        if all(math.hypot(*(x - cx)) > tol for _, cx, _ in clusters):
            clusters.append((cost, x, res))
    if len(clusters) > 2:
        return _Fit("undetermined")
    cost, x, res = clusters[0]
    jac = res.jac  # type: ignore[attr-defined]
    m = len(res.fun)  # type: ignore[attr-defined]
    cov = np.linalg.pinv(jac.T @ jac)
    dof = m - 2
    scale = max(1.0, 2 * cost / dof) if dof > 0 else 1.0
    sigma = math.sqrt(max(float(np.trace(cov)), 0.0) * scale)
    rms = math.sqrt(2 * cost / m) if m else 0.0
    gap = None
    if len(clusters) == 2:
        x2 = clusters[1][1]
        gap = math.hypot(*(x - x2))
        x = (x + x2) / 2
        sigma = math.hypot(sigma, gap / 2)
    if not math.isfinite(sigma) or sigma > MAX_UNCERTAINTY_KM:
        return _Fit("undetermined")
    lat, lon = plane.latlon(x)
    return _Fit("ambiguous" if gap is not None else "ok", lat, lon, sigma, rms, gap)


# --------------------------------------------------------------------------- rounds


def _is_weak_prior(c: Constraint) -> bool:
    return c.kind == "colocated" and (c.sigma_km or 0.0) >= WEAK_PRIOR_KM


def derive_points(
    constraints: Iterable[Constraint], located: Mapping[str, Point], max_rounds: int = 20
) -> Derivation:
    """Locate every site that the constraints tie to ``located`` points, in rounds.

    ``located`` points are never moved; relations between two of them are returned as
    ``checks`` with their misfit in km. Sites that cannot be pinned down (a single distance
    circle, no relation at all) are listed in ``unresolved`` with the reason.
    """
    cons = list(constraints)
    fixed = dict(located)
    known: dict[str, Point] = dict(fixed)
    conf = {sid: p.confidence for sid, p in fixed.items()}
    by_site: dict[str, list[Constraint]] = {}
    for c in cons:
        by_site.setdefault(c.site, []).append(c)
        by_site.setdefault(c.anchor, []).append(c)
    pending = [s for s in by_site if s not in fixed]
    points: dict[str, DerivedPoint] = {}
    reasons: dict[str, str] = {}
    for rnd in range(1, max_rounds + 1):
        accepted: dict[str, tuple[_Fit, list[tuple[Constraint, Point]]]] = {}
        deferred: dict[str, tuple[_Fit, list[tuple[Constraint, Point]]]] = {}
        for sid in pending:
            rels = [(c, known[c.other(sid)]) for c in by_site[sid] if c.other(sid) in known]
            if not rels:
                reasons[sid] = "no relation to a located site"
                continue
            waiting = any(c.other(sid) in pending for c in by_site[sid])
            strong = [(c, p) for c, p in rels if not _is_weak_prior(c)]
            decisive = _solve(sid, strong).status if strong else "undetermined"
            fit = _solve(sid, rels) if strong != rels or decisive == "undetermined" else None
            fit = fit or _solve(sid, rels)
            if fit.status == "undetermined":
                reasons[sid] = f"under-determined by {len(rels)} relation(s) to located sites"
                continue
            if waiting and (decisive != "ok" or fit.status != "ok"):
                # more anchors are coming: do not settle on a prior or a mirror midpoint yet
                deferred[sid] = (fit, rels)
                reasons[sid] = "ambiguous or prior-only; waiting for more anchors"
                continue
            accepted[sid] = (fit, rels)
        if not accepted:
            accepted = deferred  # no progress otherwise: accept mirror midpoints
        if not accepted:
            break
        for sid, (fit, rels) in accepted.items():
            p = Point(fit.lat, fit.lon, fit.uncertainty)
            used = tuple(c for c, _ in rels)
            resid = tuple(constraint_residual_km(c, sid, p, a) for c, a in rels)
            points[sid] = DerivedPoint(
                site=sid,
                lat=fit.lat,
                lon=fit.lon,
                uncertainty_km=fit.uncertainty,
                round=rnd,
                constraints=used,
                residuals_km=resid,
                rms_normalised=fit.rms,
                ambiguous_km=fit.gap,
                anchors={c.other(sid): conf.get(c.other(sid), "approx") for c in used},
            )
            known[sid] = p
            reasons.pop(sid, None)
        pending = [s for s in pending if s not in accepted]
    checks = [
        (c, constraint_residual_km(c, c.site, fixed[c.site], fixed[c.anchor]))
        for c in cons
        if c.site in fixed and c.anchor in fixed
    ]
    return Derivation(points, {s: reasons.get(s, "not reached") for s in pending}, checks, fixed)


# --------------------------------------------------------------------------- calibration


def calibrate_circuity(catalog: Catalog) -> list[tuple[str, str, float, float, float, str]]:
    """Road-or-stated km ÷ straight km for published and seed distances between sourced points.

    Returns ``(a, b, stated_km, straight_km, ratio, source)`` rows; their median motivates
    :data:`CIRCUITY`. Figures of 2 km or less are skipped (rounding dominates).
    """
    pts = located_points(catalog.sites.values())
    rows = []
    pairs = [(p.a, p.b, p.km, p.source) for p in catalog.published_distances]
    pairs += [(e.a, e.b, e.km, SEED_SOURCE) for e in catalog.seed_edges]
    for a, b, km, src in pairs:
        if a in pts and b in pts and km > 2:
            d = haversine_km(pts[a].lat, pts[a].lon, pts[b].lat, pts[b].lon)
            rows.append((a, b, km, d, km / d, src))
    return rows


# --------------------------------------------------------------------------- sites.csv


def regenerate_sites_csv(data_dir: str | Path | None = None, *, write: bool = True) -> Derivation:
    """Recompute every ``approx`` coordinate of ``sites.csv`` from the constraints.

    Sourced rows (high/medium/low) and division-centre rows (``coord_precision`` county,
    township or city) are left untouched; every other row has its lat, lon and coord_* columns
    cleared and, when derivable, refilled. Other columns are preserved.
    """
    catalog = load_catalog(data_dir)
    d = catalog.data_dir or default_data_dir()
    cons = load_constraints(d / CONSTRAINTS_FILE, catalog.sites) + seed_constraints(
        catalog.seed_edges
    )
    result = derive_points(cons, located_points(catalog.sites.values()))
    if write:
        path = d / "sites.csv"
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or SITE_COLUMNS)
            rows = list(reader)
        for row in rows:
            if row.get("coord_confidence") in CONFIDENCE_UNCERTAINTY_KM:
                continue
            if row.get("coord_precision", "") not in ("", "derived"):
                continue  # a county/township/city centre from the division table
            for col in ("lat", "lon", "coord_confidence", "coord_uncertainty_km"):
                row[col] = ""
            row["coord_method"] = row["coord_source"] = ""
            p = result.points.get(row["id"])
            if p is not None:
                row["lat"] = f"{p.lat:.5f}"
                row["lon"] = f"{p.lon:.5f}"
                row["coord_confidence"] = "approx"
                row["coord_uncertainty_km"] = f"{max(p.uncertainty_km, MIN_SIGMA_KM):.1f}"
                row["coord_method"] = p.method
                row["coord_source"] = p.source
            else:
                why = result.unresolved.get(row["id"], "no documented relation to a located place")
                row["coord_method"] = f"no coordinate: {why}"
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return result
