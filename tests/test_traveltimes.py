"""User-supplied travel times (``planner/traveltimes.py``) and their effect on itineraries."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from planner.itinerary import USER_SOURCE, TripRequest, plan_itinerary
from planner.model import itinerary_from_dict, itinerary_to_dict
from planner.service import load_context
from planner.traveltimes import TravelTimesError, load_travel_times

DAY0 = dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def catalog():
    return load_context().catalog


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "times.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_resolve_names_and_apply_per_mode_and_direction(tmp_path: Path, catalog) -> None:
    path = _csv(
        tmp_path,
        "from,to,minutes,km,mode,directed,source\n"
        "大足城区,毗卢洞,40,38,,,bureau survey (written for this test)\n"
        "dazu_town,pilu_dong,70,,bus,,coach timetable\n"
        "北山,baodingshan,12,,car,yes,\n"
        "\n",
        encoding="utf-8-sig",
    )
    tt = load_travel_times(path, catalog)
    assert tt.name == "times.csv" and len(tt.sha256) == 64 and len(tt.rows) == 3
    car, bus = tt.for_mode("car"), tt.for_mode("bus")
    assert car[("dazu_town", "pilu_dong")].minutes == 40
    assert car[("pilu_dong", "dazu_town")].km == 38  # undirected: both ways
    assert bus[("pilu_dong", "dazu_town")].minutes == 70  # the bus row wins for buses
    assert car[("beishan", "baodingshan")].minutes == 12
    assert ("baodingshan", "beishan") not in car  # directed
    assert ("beishan", "baodingshan") not in bus  # car only


def test_gb18030_files_load(tmp_path: Path, catalog) -> None:
    path = _csv(tmp_path, "from,to,minutes\n宝顶山,北山,15\n", encoding="gb18030")
    assert load_travel_times(path, catalog).rows[0].to_id == "beishan"


def test_every_problem_is_reported_with_its_line(tmp_path: Path, catalog) -> None:
    path = _csv(
        tmp_path,
        "from,to,minutes,mode\n"
        "大足城区,毗卢洞,40,\n"
        "baodingshan,北山,abc,\n"  # line 3: not a number
        "宝顶山,北山,0,\n"  # line 4: zero minutes
        "宝顶山,北山,10,boat\n"  # line 5: unknown mode
        "宝顶善,北山,10,\n"  # line 6: unknown site, with suggestions
        "毗卢洞,大足城区,45,\n"  # line 7: the pair of line 2 again (undirected)
        "北山,北山,5,\n",  # line 8: same site
    )
    with pytest.raises(TravelTimesError) as info:
        load_travel_times(path, catalog)
    text = str(info.value)
    assert "nothing was applied" in text
    for line, what in [
        (3, "not a number"),
        (4, "must be > 0"),
        (5, "mode 'boat'"),
        (6, "宝顶山"),
        (7, "already on line 2"),
        (8, "the same site"),
    ]:
        assert f"{path}:{line}: " in text and what in text, (line, what, text)


def test_missing_columns_name_the_file_and_the_header(tmp_path: Path, catalog) -> None:
    path = _csv(tmp_path, "start,end,time\nA,B,3\n")
    with pytest.raises(TravelTimesError, match=r"times.csv:1: missing column\(s\) from, to, "):
        load_travel_times(path, catalog)


def test_a_plan_uses_the_supplied_times(tmp_path: Path, catalog) -> None:
    base = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0))
    legs = [leg for d in base.days for leg in d.legs]
    faster = [(leg.from_id, leg.to_id, max(1, round(leg.minutes * 0.7))) for leg in legs]
    rows = "\n".join(f"{a},{b},{m},,,yes," for a, b, m in faster)
    tt = load_travel_times(
        _csv(tmp_path, f"from,to,minutes,km,mode,directed,source\n{rows}\n"), catalog
    )
    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0, travel_times=tt))
    supplied = tt.for_mode("car")
    used = [leg for d in it.days for leg in d.legs if (leg.from_id, leg.to_id) in supplied]
    assert used, "the plan should still use some of the supplied legs"
    for leg in used:
        assert leg.minutes == supplied[(leg.from_id, leg.to_id)].minutes
        assert leg.source == USER_SOURCE and leg.via == ()
    assert it.params["travel_times"]["pairs_used"] == len(legs)
    assert it.params["travel_times"]["sha256"] == tt.sha256
    assert itinerary_from_dict(itinerary_to_dict(it)) == it


def test_a_site_out_of_reach_by_the_supplied_times_is_left_out(tmp_path: Path, catalog) -> None:
    others = [s.id for s in catalog.sites.values() if s.has_coords and s.id != "baodingshan"]
    rows = "\n".join(f"baodingshan,{sid},900" for sid in others)
    tt = load_travel_times(_csv(tmp_path, f"from,to,minutes\n{rows}\n"), catalog)
    it = plan_itinerary(TripRequest(theme="stone-carving", days=2, date=DAY0, travel_times=tt))
    assert "baodingshan" not in {s.site_id for s in it.stops}
    reason = {x.site_id: x.reason for x in it.dropped}["baodingshan"]
    assert reason == "too_far"


def test_cli_takes_a_times_file_and_reports_its_bad_lines(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    good = _csv(tmp_path, "from,to,minutes,source\n大足城区,北山,9,measured by us\n")
    args = ["itinerary", "--days", "1", "--date", "2026-12-05", "--format", "json"]
    res = CliRunner().invoke(app, [*args, "--times", str(good)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["params"]["travel_times"]["file"] == "times.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to,minutes\n大足城区,北山,nine\n", encoding="utf-8")
    res = CliRunner().invoke(app, [*args, "--times", str(bad)])
    assert res.exit_code == 2
    assert "bad.csv:2" in res.output and "not a number" in res.output
