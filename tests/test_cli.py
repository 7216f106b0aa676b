"""The `heritage` command: JSON shape and one-line errors with non-zero exits."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_plan_json_shape() -> None:
    res = run(
        "plan",
        "--line",
        "stone-carving-report",
        "--start",
        "宝顶山",
        "--distances",
        "seed",
        "--solver",
        "exact",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["total_km"] == 201.42
    assert data["proved_optimal"] is True
    assert data["solver"] == "exact"
    assert data["stops"][0] == {"id": "baodingshan", "name_zh": data["stops"][0]["name_zh"]}
    assert len(data["stops"]) == 15 and len(data["legs"]) == 14
    for leg in data["legs"]:
        assert set(leg) == {"from", "to", "km", "via", "source"}
        assert leg["source"] == "seed"
    assert round(sum(leg["km"] for leg in data["legs"]), 2) == data["total_km"]


def test_plan_table_and_lines() -> None:
    res = run("plan", "--line", "sichuan-opera", "--solver", "greedy")
    assert res.exit_code == 0, res.output
    assert "401.00" in res.stdout
    res = run("lines")
    assert res.exit_code == 0
    for name in ("stone-carving", "stone-carving-report", "sichuan-opera"):
        assert name in res.stdout
    data = json.loads(run("lines", "--format", "json").stdout)
    assert [len(data[k]["sites"]) for k in ("stone-carving", "stone-carving-report")] == [19, 15]
    assert len(data["sichuan-opera"]["sites"]) == 6


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("plan", "--sites", "宝顶山,北山,宝定山"), "did you mean"),
        (("plan", "--sites", "宝顶山,华严洞", "--distances", "seed"), "does not cover"),
        (("plan", "--sites", "宝顶山,巴岳山", "--distances", "seed"), "does not connect"),
        (("plan", "--sites", "宝顶山,北山", "--start", "卧佛院"), "not one of the sites"),
        (("plan", "--sites", " , "), "empty"),
        (("plan", "--line", "no-such-line"), "stone-carving"),
        (("plan",), "--line"),
    ],
)
def test_errors_are_one_line_without_traceback(args: tuple[str, ...], needle: str) -> None:
    res = run(*args)
    assert res.exit_code == 2
    text = res.stderr.strip()
    assert needle in text
    assert "Traceback" not in res.output
    assert len(text.splitlines()) == 1, text
    assert text.startswith("error:")


def test_catalog_check_passes_and_flags_approximate_points() -> None:
    res = run("catalog", "check", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["approximate"], "approximate points must be listed"
    assert data["summary"]["circuity"]["factor"] > 1


def test_given_order_measures_the_reports_printed_route() -> None:
    data = json.loads(run("lines", "--format", "json").stdout)
    assert data["stone-carving-report"]["sites"]
    from kg.catalog import load_catalog

    route = load_catalog().line("stone-carving-report").report_route
    res = run("plan", "--sites", ",".join(route), "--solver", "given", "--format", "json")
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert [s["id"] for s in got["stops"]] == list(route)
    assert got["total_km"] == 205.14  # 0.72 km more than the greedy 204.42
    shuffled = [route[1], route[0], *route[2:]]
    bad = run("plan", "--sites", ",".join(shuffled), "--start", route[0], "--solver", "given")
    assert bad.exit_code == 2 and "first site" in bad.stderr
