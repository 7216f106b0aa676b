"""AMap (高德) driving distances for a road matrix, with a user's Web Service key.

The distance-measurement API (``/v3/distance``, ``type=1`` = driving) takes up to
:data:`MAX_ORIGINS` origins and one destination per request, so an ``n``-point matrix is ``n``
requests of up to 100 origins each (more for more than 100 points). Points are WGS-84 inside
the project and converted to GCJ-02 here, at the edge. Requests are spaced by a minimum
interval (rate limit); answers go into a cache keyed by the GCJ-02 pair (never by the key), so
an interrupted run (quota used up) loses nothing and a rerun asks only for what is missing.
The key comes from the caller (the CLI reads ``AMAP_KEY``); it is never written anywhere.

The HTTP call is injectable (``fetch``) so tests run on recorded responses, offline.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

import numpy as np

from common.geo import wgs84_to_gcj02
from routing.distances import RoutingError
from routing.roads.matrix import RoadMatrix

AMAP_DISTANCE_URL = "https://restapi.amap.com/v3/distance"
MAX_ORIGINS = 100
SOURCE = "road:amap"
#: AMap info codes that mean "the key's quota or rate is used up"
QUOTA_CODES = {"10003", "10004", "10014", "10019", "10020", "10021", "10044", "10045"}
KEY_CODES = {"10001", "10002", "10005", "10006", "10007", "10008", "10009", "10010", "10012"}
Fetch = Callable[[str, dict[str, str]], str]
Point = tuple[float, float]


class AmapError(RoutingError):
    """AMap refused or answered something unusable (one line, never showing the key)."""


class AmapQuotaError(AmapError):
    """The key's daily quota or request rate is used up (what was answered is cached)."""


def http_get(url: str, params: dict[str, str], *, timeout: float = 15.0) -> str:
    """GET ``url`` with ``params``; the body as text."""
    full = f"{url}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(full, timeout=timeout) as resp:
        return resp.read().decode("utf-8", errors="replace")


def gcj_text(point: Point) -> str:
    """``"lon,lat"`` in GCJ-02 (6 decimals, AMap's limit) for a WGS-84 ``(lat, lon)``."""
    lat, lon = wgs84_to_gcj02(point[0], point[1])
    return f"{lon:.6f},{lat:.6f}"


class AmapDistance:
    """Driving km and minutes from many origins to one destination, cached and rate-limited."""

    def __init__(
        self,
        key: str,
        *,
        fetch: Fetch | None = None,
        cache: MutableMapping[str, Any] | None = None,
        min_interval_s: float = 1 / 3,
        on_answer: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not key.strip():
            raise AmapError("an AMap Web Service key is needed: set AMAP_KEY")
        self._key = key.strip()
        self._fetch = fetch or http_get
        self.cache: MutableMapping[str, Any] = cache if cache is not None else {}
        self._interval = max(0.0, min_interval_s)
        self._on_answer = on_answer
        self._sleep, self._clock = sleep, clock
        self._last: float | None = None
        self.requests = 0

    def _get(self, params: dict[str, str]) -> dict[str, Any]:
        if self._last is not None:
            wait = self._interval - (self._clock() - self._last)
            if wait > 0:
                self._sleep(wait)
        self._last = self._clock()
        self.requests += 1
        try:
            body = self._fetch(AMAP_DISTANCE_URL, {**params, "key": self._key, "output": "json"})
        except (OSError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise AmapError(f"could not reach AMap: {reason}") from None
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            head = " ".join(str(body)[:60].split())
            raise AmapError(f"AMap answered something that is not JSON: {head!r}") from None
        if not isinstance(data, dict):
            raise AmapError("AMap answered JSON that is not an object")
        if str(data.get("status")) != "1":
            info, code = str(data.get("info") or "no info"), str(data.get("infocode") or "")
            if code in QUOTA_CODES or "LIMIT" in info or "TOO_FREQUENT" in info:
                raise AmapQuotaError(
                    f"AMap quota or rate limit reached ({info}, {code}); answers so far are "
                    "cached — run again later"
                )
            if code in KEY_CODES or "KEY" in info:
                raise AmapError(f"AMap rejected the key ({info}, {code}): check AMAP_KEY")
            raise AmapError(f"AMap refused the request ({info}, {code})")
        return data

    def column(self, origins: Sequence[Point], dest: Point) -> list[tuple[float, float] | None]:
        """``(km, minutes)`` from each origin to ``dest`` (``None`` where AMap has no answer)."""
        d = gcj_text(dest)
        keys = [f"{gcj_text(o)}>{d}" for o in origins]
        todo = [k for k, key in enumerate(keys) if key not in self.cache]
        for lo in range(0, len(todo), MAX_ORIGINS):
            batch = todo[lo : lo + MAX_ORIGINS]
            data = self._get(
                {
                    "origins": "|".join(keys[k].split(">")[0] for k in batch),
                    "destination": d,
                    "type": "1",
                }
            )
            got: dict[int, Any] = {}
            for row in data.get("results") or []:
                try:
                    pos = int(row.get("origin_id")) - 1
                    got[pos] = [float(row["distance"]), float(row["duration"])]
                except (TypeError, ValueError, KeyError, AttributeError):
                    continue  # a row without figures: AMap found no route for that origin
            for pos, k in enumerate(batch):
                self.cache[keys[k]] = got.get(pos)
            if self._on_answer is not None:
                self._on_answer()
        out: list[tuple[float, float] | None] = []
        for key in keys:
            v = self.cache.get(key)
            out.append(None if v is None else (v[0] / 1000.0, v[1] / 60.0))
        return out


def amap_matrix(
    client: AmapDistance,
    ids: Sequence[str],
    points: Sequence[Point],
    *,
    provenance: dict[str, Any] | None = None,
) -> RoadMatrix:
    """The driving matrix between ``points`` from AMap (one column per destination)."""
    n = len(ids)
    km = np.full((n, n), math.nan)
    minutes = np.full((n, n), math.nan)
    for j in range(n):
        others = [i for i in range(n) if i != j]
        col = client.column([points[i] for i in others], points[j])
        for i, v in zip(others, col, strict=True):
            if v is not None:
                km[i, j], minutes[i, j] = v
    np.fill_diagonal(km, 0.0)
    np.fill_diagonal(minutes, 0.0)
    return RoadMatrix(
        ids=list(ids),
        points=[(float(a), float(b)) for a, b in points],
        km=km,
        minutes=minutes,
        source=SOURCE,
        snapped=[None] * n,
        snap_km=[math.nan] * n,
        provenance={"engine": "amap", "api": AMAP_DISTANCE_URL, "type": "driving"}
        | (provenance or {}),
    )
