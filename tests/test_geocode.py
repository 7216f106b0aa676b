"""Geocoding against recorded AMap responses: GCJ-02 → WGS-84, plausibility, atomic apply."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from kg.geocode import GeocodeError, amap_search, apply_candidates, geocode_sites

FIXTURES = Path(__file__).parent / "fixtures" / "amap" / "responses.json"
RESPONSES = json.loads(FIXTURES.read_text(encoding="utf-8"))


def recorded(url: str, params: dict[str, str]) -> dict:
    assert url.startswith("https://restapi.amap.com/")
    assert params["key"] == "test-key"
    return RESPONSES[params["keywords"]]


def site(**kw: object) -> SimpleNamespace:
    base = {"lat": None, "lon": None, "county": "", "city": ""}
    base.update(kw)
    base["has_coords"] = base["lat"] is not None
    return SimpleNamespace(**base)


def test_gcj_results_are_converted_to_wgs84() -> None:
    baoding = site(
        id="baodingshan",
        name_zh="宝顶山摩崖造像",
        county="大足区",
        city="重庆市",
        lat=29.7516,
        lon=105.7855,
    )
    yuanjue = site(id="yuanjuedong", name_zh="圆觉洞摩崖造像", county="安岳县", city="资阳市")
    got = {c.site_id: c for c in geocode_sites([baoding, yuanjue], "test-key", fetch=recorded)}
    # facts notes §2: these GCJ-02 points convert to (29.751611, 105.785483) and
    # (30.089576, 105.343211)
    assert got["baodingshan"].lat == pytest.approx(29.751611, abs=2e-6)
    assert got["baodingshan"].lon == pytest.approx(105.785483, abs=2e-6)
    assert got["yuanjuedong"].lat == pytest.approx(30.089576, abs=2e-6)
    assert got["baodingshan"].accepted and got["yuanjuedong"].accepted
    assert got["baodingshan"].km_from_current < 0.1


def test_implausible_hits_are_kept_for_review_but_not_accepted() -> None:
    beishan = site(
        id="beishan",
        name_zh="北山摩崖造像",
        county="大足区",
        city="重庆市",
        lat=29.70111,
        lon=105.705,
    )
    (cand,) = geocode_sites([beishan], "test-key", fetch=recorded)
    assert not cand.accepted
    assert "东城区" in cand.reason


def test_service_errors_are_reported() -> None:
    with pytest.raises(GeocodeError, match="INVALID_USER_KEY"):
        amap_search("__invalid_key__", "test-key", fetch=recorded)


def test_apply_updates_only_accepted_rows_atomically(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    fields = ["id", "name_zh", "lat", "lon", "coord_confidence", "coord_method", "coord_source"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerow({"id": "yuanjuedong", "name_zh": "圆觉洞摩崖造像", "lat": "", "lon": ""})
        w.writerow({"id": "beishan", "name_zh": "北山摩崖造像", "lat": "29.70111", "lon": "105.7"})
    cands = geocode_sites(
        [
            site(id="yuanjuedong", name_zh="圆觉洞摩崖造像", county="安岳县"),
            site(id="beishan", name_zh="北山摩崖造像", county="大足区", lat=29.70111, lon=105.705),
        ],
        "test-key",
        fetch=recorded,
    )
    assert apply_candidates(path, cands, today=dt.date(2026, 11, 29)) == 1
    rows = {r["id"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert rows["yuanjuedong"]["coord_confidence"] == "medium"
    assert "GCJ-02" in rows["yuanjuedong"]["coord_method"]
    assert "2026-11-29" in rows["yuanjuedong"]["coord_source"]
    assert (rows["beishan"]["lat"], rows["beishan"]["lon"]) == ("29.70111", "105.7")
    assert not list(tmp_path.glob(".*.tmp")), "no temp file left behind"


def test_cli_geocode_writes_a_review_file_and_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from typer.testing import CliRunner

    import kg.geocode
    from kg.catalog import default_data_dir
    from planner.cli import app

    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data / "catalog")
    monkeypatch.setenv("HERITAGE_DATA_DIR", str(data))
    monkeypatch.setattr(kg.geocode, "http_fetch", recorded)
    review = tmp_path / "candidates.csv"
    before = {r["id"]: r for r in csv.DictReader((data / "catalog" / "sites.csv").open())}
    res = CliRunner().invoke(
        app,
        [
            "catalog",
            "geocode",
            "--key",
            "test-key",
            "--sites",
            "宝顶山,圆觉洞,北山",
            "--out",
            str(review),
            "--apply",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(review.open(encoding="utf-8")))
    assert {r["site_id"] for r in rows} == {"baodingshan", "yuanjuedong", "beishan"}
    assert {r["site_id"] for r in rows if r["accepted"] == "True"} == {"baodingshan", "yuanjuedong"}
    sites = {r["id"]: r for r in csv.DictReader((data / "catalog" / "sites.csv").open())}
    assert sites["yuanjuedong"]["coord_confidence"] == "medium"
    assert "AMap" in sites["baodingshan"]["coord_source"]
    # the implausible hit is not applied: 北山 keeps its sourced point
    assert sites["beishan"] == before["beishan"]


def test_cli_geocode_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    monkeypatch.delenv("AMAP_KEY", raising=False)
    res = CliRunner().invoke(app, ["catalog", "geocode"])
    assert res.exit_code == 2 and "key" in res.stderr
