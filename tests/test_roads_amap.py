"""AMap driving matrix on recorded-format responses: GCJ-02 at the edge, batching, rate limit,
cache, and one-line errors (invalid key, quota, non-JSON)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from common.geo import wgs84_to_gcj02
from planner.cli import app
from planner.roads import build_amap_roads
from routing.roads import amap as amap_mod
from routing.roads.amap import MAX_ORIGINS, AmapDistance, AmapError, AmapQuotaError, amap_matrix

BODIES = json.loads(
    (Path(__file__).parent / "fixtures" / "amap" / "distance.json").read_text(encoding="utf-8")
)
KEY = "test-key-123"
POINTS = [(29.7516, 105.7855), (29.70111, 105.705), (30.0896, 105.3432)]
IDS = ["baodingshan", "beishan", "yuanjuedong"]


class Recorder:
    """A fake AMap: answers from the recorded bodies, remembers every request."""

    def __init__(self, *, fail_on: int | None = None, failure: str = "quota") -> None:
        self.calls: list[dict[str, str]] = []
        self.fail_on, self.failure = fail_on, failure
        self.dests = [amap_mod.gcj_text(p) for p in POINTS]

    def __call__(self, url: str, params: dict[str, str]) -> str:
        assert url == "https://restapi.amap.com/v3/distance"
        assert params["key"] == KEY and params["type"] == "1"
        self.calls.append(params)
        if self.fail_on is not None and len(self.calls) > self.fail_on:
            body = BODIES[self.failure]
            return body if isinstance(body, str) else json.dumps(body)
        return json.dumps(BODIES[f"dest{self.dests.index(params['destination'])}"])


def test_a_matrix_from_recorded_answers_with_gcj02_at_the_edge() -> None:
    fake = Recorder()
    rm = amap_matrix(AmapDistance(KEY, fetch=fake, min_interval_s=0), IDS, POINTS)
    assert rm.source == "road:amap" and len(fake.calls) == 3
    # origins and destination are sent as GCJ-02 "lon,lat" with 6 decimals
    glat, glon = wgs84_to_gcj02(*POINTS[0])
    assert fake.calls[0]["destination"] == f"{glon:.6f},{glat:.6f}"
    assert fake.calls[0]["origins"].split("|") == [amap_mod.gcj_text(p) for p in POINTS[1:]]
    assert rm.km[1, 0] == pytest.approx(15.234) and rm.minutes[1, 0] == pytest.approx(21.0)
    assert rm.km[0, 1] == pytest.approx(15.102)
    assert rm.pair("yuanjuedong", "beishan") is None  # AMap had no route for that origin
    assert math.isnan(rm.km[2, 1])
    assert rm.usable("baodingshan", POINTS[0]) and not rm.flagged


def test_requests_are_batched_within_the_api_limit() -> None:
    calls: list[int] = []

    def fetch(url: str, params: dict[str, str]) -> str:
        n = len(params["origins"].split("|"))
        calls.append(n)
        rows = [
            {"origin_id": str(k + 1), "dest_id": "1", "distance": "1000", "duration": "60"}
            for k in range(n)
        ]
        return json.dumps({"status": "1", "info": "OK", "infocode": "10000", "results": rows})

    origins = [(29.0 + k * 0.001, 105.0) for k in range(150)]
    got = AmapDistance(KEY, fetch=fetch, min_interval_s=0).column(origins, (30.0, 105.0))
    assert calls == [MAX_ORIGINS, 50] and all(v == (1.0, 1.0) for v in got)


def test_requests_are_rate_limited() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    client = AmapDistance(
        KEY, fetch=Recorder(), min_interval_s=0.5, sleep=sleep, clock=lambda: now[0]
    )
    amap_matrix(client, IDS, POINTS)
    assert slept == [pytest.approx(0.5), pytest.approx(0.5)]


def test_answers_are_cached_and_the_key_is_never_written(tmp_path: Path) -> None:
    catalog: Any = SimpleNamespace(
        sites={
            s: SimpleNamespace(id=s, has_coords=True, lat=p[0], lon=p[1])
            for s, p in zip(IDS, POINTS, strict=True)
        }
    )
    fake = Recorder()
    first = build_amap_roads(catalog, KEY, root=tmp_path, fetch=fake, min_interval_s=0)
    assert len(fake.calls) == 3 and not first.reused_matrix
    again = build_amap_roads(catalog, KEY, root=tmp_path, fetch=fake, min_interval_s=0)
    assert again.reused_matrix and len(fake.calls) == 3
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8"), path
    cache = json.loads((tmp_path / "amap-cache.json").read_text(encoding="utf-8"))
    assert len(cache) == 6


def test_invalid_key_is_one_clear_line() -> None:
    client = AmapDistance(KEY, fetch=Recorder(fail_on=0, failure="invalid_key"))
    with pytest.raises(AmapError) as info:
        amap_matrix(client, IDS, POINTS)
    text = str(info.value)
    assert "rejected the key" in text and "INVALID_USER_KEY" in text
    assert "\n" not in text and KEY not in text


@pytest.mark.parametrize("failure", ["quota", "too_frequent"])
def test_quota_keeps_what_was_answered(failure: str) -> None:
    cache: dict = {}
    client = AmapDistance(
        KEY, fetch=Recorder(fail_on=1, failure=failure), cache=cache, min_interval_s=0
    )
    with pytest.raises(AmapQuotaError, match="quota or rate limit") as info:
        amap_matrix(client, IDS, POINTS)
    assert "\n" not in str(info.value) and KEY not in str(info.value)
    assert len(cache) == 2  # the first destination's answers survive
    resumed = AmapDistance(KEY, fetch=Recorder(), cache=cache, min_interval_s=0)
    amap_matrix(resumed, IDS, POINTS)
    assert resumed.requests == 2


def test_non_json_answer_is_one_clear_line() -> None:
    client = AmapDistance(KEY, fetch=Recorder(fail_on=0, failure="malformed"))
    with pytest.raises(AmapError, match="not JSON: '<html><head><title>502 Bad Gateway") as info:
        amap_matrix(client, IDS, POINTS)
    assert "\n" not in str(info.value)


def test_network_errors_are_one_line() -> None:
    def down(url: str, params: dict[str, str]) -> str:
        raise OSError("Network is unreachable")

    with pytest.raises(AmapError, match="could not reach AMap: Network is unreachable"):
        AmapDistance(KEY, fetch=down).column([POINTS[0]], POINTS[1])


def test_cli_needs_a_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMAP_KEY", raising=False)
    res = CliRunner().invoke(app, ["roads", "amap"])
    assert res.exit_code == 2 and "set AMAP_KEY" in res.output


def test_cli_reports_quota_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AMAP_KEY", KEY)

    def quota(url: str, params: dict[str, str]) -> str:
        return json.dumps(BODIES["quota"])

    monkeypatch.setattr(amap_mod, "http_get", quota)
    res = CliRunner().invoke(app, ["roads", "amap", "--out", str(tmp_path), "--qps", "100"])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "quota or rate limit" in lines[0] and KEY not in res.output
