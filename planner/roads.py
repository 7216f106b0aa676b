"""Road matrices for the catalog: build them (OSRM over an OpenStreetMap extract, or AMap) as
artifacts, find the one to use, answer a single route.

Artifacts live under ``artifacts/roads`` (or ``$HERITAGE_ROADS_DIR``, or ``--out``)::

    osrm-<profile>/<key>/   the engine's MLD data; key = engine + version + profile + extract hash
    matrix/<key>/           matrix.json (+ geometry.json); key = the engine data's key (or the
                            AMap settings) + every catalog point, so a moved point means a new
                            matrix and an unchanged catalog reuses the old one

Each folder is complete only when its ``manifest.json`` exists (written last, folder renamed
into place), so an interrupted build is never reused.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import settings
from common.artifacts import (
    build_artifact,
    find_artifact,
    hash_params,
    load_manifest,
    sha256_file,
)
from kg.catalog import Catalog
from routing.roads import engine as osrm_engine
from routing.roads.matrix import RoadMatrix, osrm_matrix

MATRIX_STAGE = "matrix"
Point = tuple[float, float]


def roads_root(root: str | Path | None = None) -> Path:
    """Where road artifacts live: ``root``, else ``$HERITAGE_ROADS_DIR``, else artifacts/roads."""
    if root:
        return Path(root)
    return settings.roads_dir()


def catalog_points(catalog: Catalog) -> tuple[list[str], list[Point]]:
    """Every located catalog point — the sites and the lodging towns — in catalog order."""
    ids, pts = [], []
    for s in catalog.sites.values():
        if s.has_coords:
            ids.append(s.id)
            pts.append((float(s.lat), float(s.lon)))  # type: ignore[arg-type]
    return ids, pts


def _extract_info(osm: Path) -> dict[str, Any]:
    """Name, date (the extract's replication timestamp, else the file's mtime), size, hash."""
    import osmium

    stamp = ""
    try:
        header = osmium.io.Reader(str(osm), osmium.osm.osm_entity_bits.NOTHING).header()
        stamp = header.get("osmosis_replication_timestamp") or header.get("timestamp") or ""
    except RuntimeError:
        stamp = ""
    mtime = dt.datetime.fromtimestamp(osm.stat().st_mtime, dt.UTC).isoformat(timespec="seconds")
    return {
        "name": osm.name,
        "date": stamp or mtime,
        "date_from": "replication timestamp in the file header" if stamp else "file modified time",
        "bytes": osm.stat().st_size,
        "sha256": sha256_file(osm),
    }


@dataclass(frozen=True)
class RoadsBuild:
    """What ``heritage roads build`` produced or reused."""

    engine_dir: Path
    matrix_dir: Path
    matrix: RoadMatrix
    reused_engine: bool
    reused_matrix: bool
    seconds: dict[str, float]


def build_osrm_roads(
    osm: str | Path,
    catalog: Catalog,
    *,
    profile: str = "car",
    root: str | Path | None = None,
    threads: int | None = None,
) -> RoadsBuild:
    """Build (or reuse) the engine data for ``osm`` and the catalog's road matrix."""
    osm = Path(osm)
    if not osm.is_file():
        raise osrm_engine.RoadEngineError(f"{osm}: no such OpenStreetMap extract")
    base = roads_root(root)
    version = osrm_engine.engine_version()
    lua = osrm_engine.profile_path(profile)
    t0 = time.perf_counter()
    extract = _extract_info(osm)
    seconds = {"hash": time.perf_counter() - t0}
    engine_params = {
        "engine": osrm_engine.ENGINE,
        "engine_version": version,
        "algorithm": "MLD",
        "profile": profile,
        "profile_sha256": sha256_file(lua),
    }
    stage = f"osrm-{profile}"
    engine_key = hash_params({**engine_params, "extract": extract["sha256"]})
    engine_dir = find_artifact(base, stage, engine_key)
    reused_engine = engine_dir is not None
    if engine_dir is None:
        with build_artifact(
            base,
            stage,
            engine_key,
            params={**engine_params, "extract": extract},
            inputs={"extract": extract["sha256"]},
        ) as (tmp, results):
            steps = osrm_engine.build_mld(
                osm, profile, tmp, threads=threads or osrm_engine.default_threads()
            )
            results["seconds"] = steps
            seconds.update(steps)
        engine_dir = base / stage / engine_key
    ids, pts = catalog_points(catalog)
    points = [[s, round(a, 7), round(b, 7)] for s, (a, b) in zip(ids, pts, strict=True)]
    matrix_key = hash_params({"engine": engine_key, "points": points})
    matrix_dir = find_artifact(base, MATRIX_STAGE, matrix_key)
    reused_matrix = matrix_dir is not None
    if matrix_dir is None:
        provenance = {
            **engine_params,
            "extract": extract,
            "engine_data": engine_key,
            "built_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        t1 = time.perf_counter()
        eng = osrm_engine.OsrmEngine(engine_dir)
        rm = osrm_matrix(eng, ids, pts, provenance=provenance)
        seconds["matrix"] = time.perf_counter() - t1
        with build_artifact(
            base,
            MATRIX_STAGE,
            matrix_key,
            params={"source": rm.source, "profile": profile, "engine_data": engine_key},
            inputs={"extract": extract["sha256"], "points": hash_params(points)},
        ) as (tmp, results):
            results["files"] = rm.write(tmp)
            results["points"] = len(ids)
            results["flagged"] = rm.flagged
        matrix_dir = base / MATRIX_STAGE / matrix_key
    matrix = RoadMatrix.load(matrix_dir)
    return RoadsBuild(engine_dir, matrix_dir, matrix, reused_engine, reused_matrix, seconds)


def build_amap_roads(
    catalog: Catalog,
    key: str,
    *,
    root: str | Path | None = None,
    fetch: Any = None,
    min_interval_s: float = 1 / 3,
) -> RoadsBuild:
    """Build (or reuse) the catalog's driving matrix from AMap with the user's ``key``.

    Answers are cached in ``<root>/amap-cache.json`` (written atomically after every request)
    so a run stopped by the quota resumes where it stopped; the key is never written.
    """
    from common.artifacts import atomic_write_json
    from routing.roads.amap import SOURCE, AmapDistance, amap_matrix

    base = roads_root(root)
    ids, pts = catalog_points(catalog)
    points = [[s, round(a, 7), round(b, 7)] for s, (a, b) in zip(ids, pts, strict=True)]
    matrix_key = hash_params({"source": SOURCE, "points": points})
    matrix_dir = find_artifact(base, MATRIX_STAGE, matrix_key)
    if matrix_dir is not None:
        return RoadsBuild(matrix_dir, matrix_dir, RoadMatrix.load(matrix_dir), True, True, {})
    cache_file = base / "amap-cache.json"
    cache: dict[str, Any] = {}
    if cache_file.is_file():
        cache = json.loads(cache_file.read_text(encoding="utf-8"))

    def save() -> None:
        atomic_write_json(cache_file, cache)

    client = AmapDistance(
        key, fetch=fetch, cache=cache, min_interval_s=min_interval_s, on_answer=save
    )
    t0 = time.perf_counter()
    rm = amap_matrix(
        client,
        ids,
        pts,
        provenance={
            "profile": "car",
            "built_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "requests": client.requests,
        },
    )
    rm.provenance["requests"] = client.requests
    seconds = {"matrix": time.perf_counter() - t0}
    with build_artifact(
        base,
        MATRIX_STAGE,
        matrix_key,
        params={"source": SOURCE, "profile": "car"},
        inputs={"points": hash_params(points)},
    ) as (tmp, results):
        results["files"] = rm.write(tmp)
        results["points"] = len(ids)
        results["requests"] = client.requests
    matrix_dir = base / MATRIX_STAGE / matrix_key
    return RoadsBuild(matrix_dir, matrix_dir, RoadMatrix.load(matrix_dir), False, False, seconds)


def _matrix_dirs(base: Path) -> list[Path]:
    d = base / MATRIX_STAGE
    if not d.is_dir():
        return []
    return [k for k in d.iterdir() if k.is_dir() and (k / "manifest.json").is_file()]


def latest_matrix_dir(
    *, profile: str = "car", source: str | None = None, root: str | Path | None = None
) -> Path | None:
    """The newest complete matrix for ``profile`` (of ``source`` if given), or ``None``."""
    best: tuple[str, Path] | None = None
    for k in _matrix_dirs(roads_root(root)):
        man = load_manifest(k)
        params = man.get("params", {})
        if params.get("profile") != profile or (source and params.get("source") != source):
            continue
        stamp = str(man.get("created_utc", ""))
        if best is None or stamp > best[0]:
            best = (stamp, k)
    return best[1] if best else None


_CACHE: dict[tuple[str, float], RoadMatrix] = {}


def load_matrix(
    *, profile: str = "car", source: str | None = None, root: str | Path | None = None
) -> RoadMatrix | None:
    """The newest road matrix (read once per folder), or ``None`` when none was built."""
    folder = latest_matrix_dir(profile=profile, source=source, root=root)
    if folder is None:
        return None
    key = (str(folder), (folder / "manifest.json").stat().st_mtime)
    if key not in _CACHE:
        _CACHE[key] = RoadMatrix.load(folder)
    return _CACHE[key]


def engine_for(matrix_or_dir: RoadMatrix | Path, root: str | Path | None = None) -> Path:
    """The engine data folder a matrix was computed from (OSRM matrices only)."""
    rm = matrix_or_dir if isinstance(matrix_or_dir, RoadMatrix) else RoadMatrix.load(matrix_or_dir)
    key = rm.provenance.get("engine_data")
    profile = rm.provenance.get("profile", "car")
    folder = find_artifact(roads_root(root), f"osrm-{profile}", str(key)) if key else None
    if folder is None:
        raise osrm_engine.RoadEngineError(
            "no OSRM road data built for this matrix: run `heritage roads build --osm FILE`"
        )
    return folder


def route_between(
    catalog: Catalog,
    names: Sequence[str],
    *,
    profile: str = "car",
    root: str | Path | None = None,
) -> tuple[list[str], osrm_engine.Route]:
    """The road route through catalog sites ``names`` (in order) on the newest OSRM data."""
    sites = catalog.resolve_many(list(names))
    missing = [s.id for s in sites if not s.has_coords]
    if missing:
        raise osrm_engine.RoadEngineError(f"no coordinates for {', '.join(missing)}")
    folder = latest_matrix_dir(profile=profile, source="road:osrm", root=root)
    if folder is None:
        raise osrm_engine.RoadEngineError(
            f"no {profile} road data: run `heritage roads build --osm FILE.osm.pbf` first "
            "(docs/roads.md)"
        )
    eng = osrm_engine.OsrmEngine(engine_for(folder, root))
    pts = [(float(s.lat), float(s.lon)) for s in sites]  # type: ignore[arg-type]
    return [s.id for s in sites], eng.route(pts)


def road_matrix(profile: str = "car") -> RoadMatrix | None:
    """The road matrix plans use (the newest of any source), or ``None`` without road data.

    ``$HERITAGE_ROADS=off`` turns road data off (plans then use the table and estimates).
    """
    if not settings.roads_enabled():
        return None
    return load_matrix(profile=profile)


@dataclass(frozen=True)
class RoadFit:
    """Circuity and drive speed fitted on a road matrix, with the current values' errors."""

    circuity: Any  # routing.distances.CircuityFit on the road pairs
    current_factor: float
    current_mean_abs_pct_error: float
    speed_kmh: float  # drive km ÷ drive hours, least squares through the origin
    speed_mean_abs_pct_error: float
    current_speed_kmh: float
    current_speed_mean_abs_pct_error: float
    source: str
    pairs: int


def fit_from_roads(
    catalog: Catalog,
    rm: RoadMatrix,
    *,
    current_factor: float,
    current_speed_kmh: float,
    min_km: float = 1.0,
) -> RoadFit:
    """Re-fit the circuity factor and the car planning speed from road figures.

    Uses every unordered pair of catalog points the matrix has (unmoved, not flagged) whose
    straight-line distance is at least ``min_km``; the road km is the mean of both directions.
    """
    from common.geo import haversine_km
    from routing.distances import fit_circuity

    ids, pts = catalog_points(catalog)
    where = dict(zip(ids, pts, strict=True))
    ok = [s for s in ids if rm.usable(s, where[s])]
    rows: list[tuple[str, str, float, float]] = []
    drive: list[tuple[float, float]] = []
    for x, a in enumerate(ok):
        for b in ok[x + 1 :]:
            ab, ba = rm.pair(a, b), rm.pair(b, a)
            if ab is None or ba is None:
                continue
            gc = haversine_km(*where[a], *where[b])
            if gc < min_km:
                continue
            km = (ab[0] + ba[0]) / 2
            rows.append((a, b, km, gc))
            drive.append((km, (ab[1] + ba[1]) / 2))
    if not rows:
        raise osrm_engine.RoadEngineError(
            "the road matrix has no usable pairs of catalog points to fit on"
        )
    fit = fit_circuity(rows)
    cur = [abs(current_factor * g - r) / r * 100 for _, _, r, g in rows if r > 0]
    c = sum(k * m for k, m in drive) / sum(k * k for k, _ in drive)  # minutes per km
    speed = 60.0 / c

    def speed_err(v: float) -> float:
        errs = [abs(k / v * 60.0 - m) / m * 100 for k, m in drive if m > 0]
        return sum(errs) / len(errs)

    return RoadFit(
        circuity=fit,
        current_factor=current_factor,
        current_mean_abs_pct_error=sum(cur) / len(cur),
        speed_kmh=speed,
        speed_mean_abs_pct_error=speed_err(speed),
        current_speed_kmh=current_speed_kmh,
        current_speed_mean_abs_pct_error=speed_err(current_speed_kmh),
        source=rm.source,
        pairs=len(rows),
    )


def plan_geometries(it: Any) -> dict[tuple[str, str], list[Point]]:
    """Road geometry (simplified, WGS-84 ``(lat, lon)``) of each road leg of plan ``it``.

    Only when the road matrix in use is the one the plan was made with (same source and
    extract hash as the plan's ``params["roads"]``) and it holds geometries (OSRM); otherwise
    empty, and maps draw straight segments as before.
    """
    used = (getattr(it, "params", None) or {}).get("roads")
    if not used:
        return {}
    rm = road_matrix()
    if rm is None or not rm.geometry or rm.source != used.get("source"):
        return {}
    extract = rm.provenance.get("extract") or {}
    if extract.get("sha256") != used.get("extract_sha256"):
        return {}
    out: dict[tuple[str, str], list[Point]] = {}
    for day in it.days:
        for leg in day.legs:
            if leg.source != rm.source:
                continue
            line = rm.line(leg.from_id, leg.to_id)
            if line is not None:
                out[(leg.from_id, leg.to_id)] = line
    return out
