"""OSRM through ``osrm-bindings``: build MLD data from an OpenStreetMap extract, query it.

The build is the engine's own pipeline — ``osrm-extract`` with a Lua profile (the wheel ships
``car.lua`` and ``foot.lua``), then ``osrm-partition`` and ``osrm-customize`` (multi-level
Dijkstra; the much slower contraction-hierarchies ``contract`` step is not used). The programs
run as ``python -m osrm <step>`` so they come from the installed wheel, never from ``PATH``.
Queries load the data into the process (``use_shared_memory=False``): no server, no port.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from routing.distances import RoutingError

PROFILES = ("car", "foot")
ENGINE = "osrm"
#: name of the engine's data set inside a build folder (``network.osrm.*`` files)
DATA_NAME = "network.osrm"
#: the longest any build step may run (a whole-province extract takes minutes, not hours)
STEP_TIMEOUT_S = 3 * 3600

Point = tuple[float, float]  # (lat, lon), WGS-84


class RoadEngineError(RoutingError):
    """The road engine could not build or answer (one line for users)."""


def engine_version() -> str:
    """The installed ``osrm-bindings`` version (it is the osrm-backend version it wraps)."""
    try:
        return importlib.metadata.version("osrm-bindings")
    except importlib.metadata.PackageNotFoundError:
        raise RoadEngineError(
            "the road engine is not installed: pip install osrm-bindings (Python >= 3.12)"
        ) from None


def profile_path(profile: str) -> Path:
    """The Lua profile shipped with the wheel for ``profile`` (``car`` or ``foot``)."""
    if profile not in PROFILES:
        raise RoadEngineError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    import osrm

    path = Path(osrm.__file__).parent / "share" / "profiles" / f"{profile}.lua"
    if not path.is_file():
        raise RoadEngineError(f"the osrm-bindings wheel has no {profile}.lua profile at {path}")
    return path


def _run_step(step: str, args: Sequence[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "osrm", step, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RoadEngineError(f"osrm-{step} ran longer than {STEP_TIMEOUT_S} s") from None
    if res.returncode != 0:
        lines = [ln for ln in (res.stderr + res.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "[error]" in ln] or lines[-1:]
        detail = errors[-1].strip() if errors else f"exit code {res.returncode}"
        raise RoadEngineError(f"osrm-{step} failed: {detail}")
    return time.perf_counter() - t0


def build_mld(osm_pbf: Path, profile: str, folder: Path, *, threads: int = 1) -> dict[str, float]:
    """Build MLD routing data for ``osm_pbf`` with ``profile`` into ``folder``.

    The extract is linked (or copied) into ``folder`` as ``network.osm.pbf`` so the engine's
    files land there as ``network.osrm.*``. Returns the seconds each step took.
    """
    osm_pbf = Path(osm_pbf)
    if not osm_pbf.is_file():
        raise RoadEngineError(f"{osm_pbf}: no such OpenStreetMap extract")
    lua = profile_path(profile)
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "network.osm.pbf"
    link.unlink(missing_ok=True)
    try:
        link.symlink_to(osm_pbf.resolve())
    except OSError:
        import shutil

        shutil.copyfile(osm_pbf, link)
    t = str(max(1, threads))
    times = {
        "extract": _run_step("extract", ["-p", str(lua), "-t", t, link.name], folder),
        "partition": _run_step("partition", ["-t", t, DATA_NAME], folder),
        "customize": _run_step("customize", ["-t", t, DATA_NAME], folder),
    }
    link.unlink()
    return times


def _plain(obj: Any) -> Any:
    """The bindings' ``Object``/``Array`` as plain dicts and lists."""
    import osrm

    if isinstance(obj, osrm.Object):
        return {k: _plain(obj[k]) for k in obj}
    if isinstance(obj, osrm.Array):
        return [_plain(v) for v in obj]
    return obj


@dataclass(frozen=True)
class Snap:
    """Where the engine put a point on the network, and how far it moved it (metres)."""

    lat: float
    lon: float
    distance_m: float


@dataclass(frozen=True)
class Table:
    """km and minutes from every source to every destination (NaN where no road connects)."""

    km: np.ndarray
    minutes: np.ndarray
    snaps: tuple[Snap, ...]


@dataclass(frozen=True)
class Route:
    """One route: its length, drive time and geometry as ``(lat, lon)`` points."""

    km: float
    minutes: float
    geometry: tuple[Point, ...]
    snaps: tuple[Snap, ...]


def _snaps(waypoints: list[dict[str, Any]]) -> tuple[Snap, ...]:
    return tuple(
        Snap(float(w["location"][1]), float(w["location"][0]), float(w.get("distance") or 0.0))
        for w in waypoints
    )


class OsrmEngine:
    """Queries over one built data set (``<folder>/network.osrm``), loaded into this process."""

    def __init__(self, folder: Path) -> None:
        import osrm

        data = Path(folder) / DATA_NAME
        if not Path(f"{data}.mldgr").is_file():
            raise RoadEngineError(f"{folder}: no MLD road data (run `heritage roads build`)")
        self.folder = Path(folder)
        try:
            self._osrm = osrm.OSRM(
                storage_config=str(data), algorithm="MLD", use_shared_memory=False
            )
        except RuntimeError as exc:
            raise RoadEngineError(f"cannot load road data in {folder}: {exc}") from None

    def table(self, points: Sequence[Point], *, chunk: int = 1000) -> Table:
        """All-pairs km and minutes between ``points`` (asymmetric; the engine's snapping).

        Large requests are split into blocks of ``chunk`` sources so memory stays bounded.
        """
        import osrm

        n = len(points)
        if n == 0:
            return Table(np.zeros((0, 0)), np.zeros((0, 0)), ())
        coords = [(float(lon), float(lat)) for lat, lon in points]
        km = np.full((n, n), math.nan)
        minutes = np.full((n, n), math.nan)
        snaps: tuple[Snap, ...] = ()
        for lo in range(0, n, chunk):
            src = list(range(lo, min(n, lo + chunk)))
            params = osrm.TableParameters(
                coordinates=coords, sources=src, annotations=["duration", "distance"]
            )
            res = self._call("Table", params)
            if not snaps:
                snaps = _snaps(res["destinations"])
            for k, row in enumerate(res["distances"]):
                km[src[k]] = [math.nan if v is None else v / 1000.0 for v in row]
            for k, row in enumerate(res["durations"]):
                minutes[src[k]] = [math.nan if v is None else v / 60.0 for v in row]
        np.fill_diagonal(km, 0.0)
        np.fill_diagonal(minutes, 0.0)
        return Table(km, minutes, snaps)

    def route(self, points: Sequence[Point], *, overview: str = "simplified") -> Route:
        """The fastest route through ``points`` in order, with its (simplified) geometry."""
        import osrm

        coords = [(float(lon), float(lat)) for lat, lon in points]
        params = osrm.RouteParameters(coordinates=coords, geometries="geojson", overview=overview)
        res = self._call("Route", params)
        best = res["routes"][0]
        geometry = tuple((float(lat), float(lon)) for lon, lat in best["geometry"]["coordinates"])
        return Route(
            float(best["distance"]) / 1000.0,
            float(best["duration"]) / 60.0,
            geometry,
            _snaps(res["waypoints"]),
        )

    def _call(self, service: str, params: Any) -> dict[str, Any]:
        try:
            res = _plain(getattr(self._osrm, service)(params))
        except RuntimeError as exc:
            text = str(exc)
            if "NoRoute" in text:
                raise RoadEngineError("no road connects these points in the extract") from None
            raise RoadEngineError(f"road engine {service} query failed: {text}") from None
        if res.get("code") != "Ok":
            raise RoadEngineError(
                f"road engine {service} query failed: {res.get('code')} {res.get('message', '')}"
            )
        return res


def default_threads() -> int:
    """Threads for a build: the cores this process may use, at most 4."""
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(4, os.cpu_count() or 1))
