"""Planner messages (``planner/messages.py``): both languages, JSON round trip, old plan files."""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from dataclasses import replace
from pathlib import Path

import pytest

from planner import messages as m
from planner.itinerary import TripRequest, plan_itinerary
from planner.model import itinerary_from_dict, itinerary_to_dict
from planner.service import PlanError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "stone-carving-3day.plan.json"


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("code", sorted(m.TEMPLATES))
def test_every_code_has_both_languages_with_the_same_fields(code: str) -> None:
    zh, en = m.TEMPLATES[code]
    assert zh and en
    assert {f.split(":")[0] for f in _fields(zh)} == {f.split(":")[0] for f in _fields(en)}
    literal = "".join(lit for lit, _, _, _ in string.Formatter().parse(zh))
    assert not re.search(r"[A-Za-z]", literal), f"{code}: English in the Chinese template"


def test_unknown_code_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown message code"):
        m.msg("no.such.code")


def test_names_nested_messages_and_lists_render_per_language() -> None:
    site = m.Name("卧佛院", "Wofo Temple")
    day = m.msg("error.day_closed", day=2, date="2026-12-06")
    one = m.msg("error.must_site", site=site, hours=2.5, days=[day, day])
    both = m.msg("error.musts_infeasible", sites=[one, one])
    closed = "第 2 天（2026-12-06）不开放"
    assert one.text("zh") == f"卧佛院需要 2.5 小时：{closed}；{closed}"
    assert str(one) == (
        "卧佛院 · Wofo Temple needs 2.5 h: day 2 (2026-12-06): closed; day 2 (2026-12-06): closed"
    )
    assert both.text("zh").count("。") == 3  # two sites and the advice: sentences
    assert str(both).endswith("Try more days, a faster pace or fewer must-sees.")
    theme = m.Name("石刻", "Stone carving", keep_zh=False)
    assert m.msg("warn.theme_day_missing", day=1, theme=theme).text("en") == (
        "day 1 has no Stone carving site: none fits that day"
    )
    assert m.msg("hours.open_days_only", days=m.weekdays({5, 6})).text("zh") == "仅周六/周日开放"
    assert (
        m.msg("error.must_and_avoid", sites=[site, m.Name("北山")])
        .text("zh")
        .startswith("卧佛院、北山")
    )


def test_json_round_trip_and_plain_strings() -> None:
    original = m.msg(
        "warn.site_note",
        site=m.Name("南山", "Nanshan"),
        note=m.msg("hours.reported_closed"),
        id="nanshan",
    )
    raw = json.loads(json.dumps(original.to_json(), ensure_ascii=False))
    assert raw["text"] == "南山 · Nanshan: reported closed — check before going"
    assert m.from_json(raw) == original
    legacy = m.from_json("closed on every day of the trip")
    assert legacy.code == "text" and legacy.text("zh") == "closed on every day of the trip"
    future = m.from_json({"code": "from.a.newer.version", "text": "kept as English"})
    assert str(future) == "kept as English"


def test_plan_error_keeps_its_message_and_english_str() -> None:
    exc = PlanError(m.msg("error.window_too_short"))
    assert str(exc) == "the daily window is too short to visit anything"
    assert exc.text("zh") == "每天的时间窗口太短，什么都参观不了"
    assert PlanError("plain").text("zh") == "plain"


def test_a_plan_speaks_the_language_asked_for() -> None:
    it = plan_itinerary(
        TripRequest(theme="stone-carving", days=2, start="dazu", date=dt.date(2026, 12, 5))
    )
    assert it.dropped and all(x.detail is not None for x in it.dropped)
    zh_lines = [it.title.text("zh"), *(x.detail.text("zh") for x in it.dropped)]
    zh_lines += [w.text("zh") for w in it.warnings if w.get("note") is None]
    for line in zh_lines:  # generated text only: no English words left in Chinese mode
        assert not re.search(r"[A-Za-z]{3,}", line), line
    assert it.title.text("zh").startswith("石刻") and "天" in it.title.text("zh")
    assert "day(s) from" in it.title.text("en")
    restored = itinerary_from_dict(json.loads(json.dumps(itinerary_to_dict(it))))
    assert restored == it


def test_schema_1_plan_files_still_load() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    old = replace(itinerary_from_dict(data))  # whatever version the example is, it loads
    v1 = itinerary_to_dict(old)
    v1["schema_version"] = 1
    v1["title"] = "stone-carving · 3 day(s) from 大足"
    v1["warnings"] = [str(w) for w in old.warnings]
    for d in v1["days"]:
        for s in d["stops"]:
            s["notes"] = [n["text"] for n in s["notes"]]
    for x in v1["dropped"]:
        x["detail"] = x["detail"]["text"] if x["detail"] else ""
    back = itinerary_from_dict(v1)
    assert str(back.title) == "stone-carving · 3 day(s) from 大足"
    assert [str(w) for w in back.warnings] == [str(w) for w in old.warnings]
    assert [str(x.detail) for x in back.dropped if x.detail] == [
        str(x.detail) for x in old.dropped if x.detail
    ]
