"""``heritage export`` (planner.cli_export.export_cmd) and the brand file."""

from __future__ import annotations

import json
from pathlib import Path

import gpxpy
import pytest
import typer
from typer.testing import CliRunner

from planner.cli_export import export_cmd
from planner.export import BrandError, load_brand, resolve_line
from planner.model import itinerary_from_dict

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "export"
PLAN = FIX / "sample_itinerary.json"

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("export")(export_cmd)


@app.command("version")
def _version() -> None:  # a second command keeps "export" a sub-command, as in planner.cli
    """Unused."""


runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["export", *args])


def test_export_a_saved_plan_to_gpx(tmp_path: Path) -> None:
    out = tmp_path / "plan.gpx"
    res = run("--plan", str(PLAN), "--out", str(out), "--line", "stone-carving")
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "gpx" in res.output
    plan = itinerary_from_dict(json.loads(PLAN.read_text("utf-8")))
    gpx = gpxpy.parse(out.read_text("utf-8"))
    assert gpx.name == "大足—安岳石刻线"
    assert len(gpx.routes) == len(plan.days)


def test_export_format_flag_wins_over_suffix(tmp_path: Path) -> None:
    out = tmp_path / "plan.txt"
    res = run("--plan", str(PLAN), "--out", str(out), "--format", "json")
    assert res.exit_code == 0, res.output
    assert itinerary_from_dict(json.loads(out.read_text("utf-8"))).days


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "nope", "--out", "x.gpx"], "unknown line 'nope'"),
        (["--plan", str(PLAN), "--out", "x.txt"], "cannot tell the format"),
        (["--plan", str(PLAN), "--out", "x.gpx", "--trifold"], "--trifold"),
        (["--plan", str(PLAN), "--out", "x.gpx", "--date", "2025-05-10"], "not with --plan"),
        (["--plan", "missing.json", "--out", "x.gpx"], "does not exist"),
        (["--out", "x.gpx"], "give --line"),
        (["--plan", str(PLAN), "--out", "no/such/dir/x.gpx"], "does not exist"),
        (["--plan", str(PLAN), "--out", "x.pdf", "--brand", "missing.yaml"], "missing.yaml"),
    ],
)
def test_bad_input_is_one_clear_line(
    args: list[str], message: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    res = run(*args)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    assert message in lines[0]
    assert not list(tmp_path.glob("x.*"))


def test_bad_plan_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    res = run("--plan", str(bad), "--out", str(tmp_path / "x.gpx"))
    assert res.exit_code == 2 and "not valid JSON" in res.output
    bad.write_text('{"schema_version": 99}', encoding="utf-8")
    res = run("--plan", str(bad), "--out", str(tmp_path / "x.gpx"))
    assert res.exit_code == 2 and "unsupported itinerary schema" in res.output


# =========================================================================== lines and brand


def test_lines_map_to_themes_and_start_towns() -> None:
    from kg.catalog import load_catalog

    cat = load_catalog()
    sc = resolve_line(cat, "stone-carving")
    assert (sc.theme, sc.start, sc.name_zh) == ("stone-carving", "dazu_town", "大足—安岳石刻线")
    assert resolve_line(cat, "stone-carving-report").theme == "stone-carving"
    assert resolve_line(cat, "sichuan-opera").theme == "sichuan-opera"
    assert resolve_line(cat, "folk-crafts").theme == "folk-crafts"  # a theme without a line
    with pytest.raises(LookupError, match="unknown line"):
        resolve_line(cat, "nope")


def test_example_brand_is_a_template() -> None:
    brand = load_brand(ROOT / "data" / "brand" / "example.yaml")
    assert brand.template is True
    assert "样例" in brand.title.zh and "Template" in brand.title.en
    assert brand.logo is not None and brand.logo.is_file()
    assert brand.plan_url == "http://localhost:8501/"
    assert brand.day_colour(0) == "#B0413E" and brand.day_colour(5) == brand.day_colour(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: {}\n", "unknown key(s) colour"),
        ("colours: {primary: red}\n", "colours.primary"),
        ("logo: nowhere.png\n", "does not exist"),
        ("title: [1, 2]\n", "title"),
        ("plan_url: ftp://x\n", "plan_url"),
        ("title: {zh: 甲, fr: b}\n", "unknown language"),
        ("title: 'a\n", "not valid YAML"),
        ("template: yes-please\n", "template"),
    ],
)
def test_bad_brand_files_name_the_problem(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BrandError, match=None) as info:
        load_brand(path)
    msg = str(info.value)
    assert message in msg and str(path) in msg and "\n" not in msg


@pytest.mark.slow
def test_export_plans_the_line_when_no_plan_is_given(tmp_path: Path) -> None:
    pytest.importorskip("planner.itinerary")
    out = tmp_path / "trip.ics"
    res = run(
        "--line",
        "stone-carving",
        "--days",
        "1",
        "--date",
        "2025-05-10",
        "--start",
        "大足城区",
        "--out",
        str(out),
    )
    assert res.exit_code == 0, res.output
    import icalendar

    events = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert events and all(e.decoded("DTSTART").date().isoformat() == "2025-05-10" for e in events)
