"""Opening hours as data: weekdays, closures, reported closures, unknowns, validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kg.catalog import CatalogError
from planner.hours import hours_on, load_hours

RULES = load_hours()


def test_known_hours_and_weekly_closing_day() -> None:
    sat = dt.date(2026, 12, 5)
    mon = dt.date(2026, 12, 7)
    h = hours_on(RULES.get("baodingshan"), sat)
    assert h.status == "open" and h.open == dt.time(8, 30) and h.close == dt.time(18, 0)
    assert h.sources and "aoyou" in h.sources[-1]
    assert hours_on(RULES.get("dazu_museum"), mon).status == "closed"
    tue = hours_on(RULES.get("dazu_museum"), dt.date(2026, 12, 8))
    assert tue.status == "open" and tue.open is None
    assert "opening time unknown" in map(str, tue.notes)


def test_dated_closure_and_reported_closure() -> None:
    assert hours_on(RULES.get("pilu_dong"), dt.date(2024, 1, 10)).status == "closed"
    assert hours_on(RULES.get("pilu_dong"), dt.date(2026, 12, 5)).status == "unknown"
    nanshan = hours_on(RULES.get("nanshan"), dt.date(2026, 12, 5))
    assert nanshan.status == "unknown"
    assert any("check before going" in str(n) for n in nanshan.notes)
    assert "出发前请核实" in " ".join(n.text("zh") for n in nanshan.notes)


def test_site_without_rules_is_unknown() -> None:
    assert hours_on(None, dt.date(2026, 12, 5)).status == "unknown"


def test_bad_rows_are_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "opening_hours.csv"
    bad.write_text(
        "site_id,days,open,close,valid_from,valid_to,status,confidence,source,note\n"
        "baodingshan,Mon-Sun,18:00,08:30,,,open,low,src,\n"
        "nowhere,Mon-Sun,08:00,17:00,,,open,low,src,\n"
        "beishan,Mon-Sun,08:00,17:00,,,maybe,low,src,\n"
        "beishan,Mon-Sun,08:00,17:00,,,open,low,,\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as exc:
        load_hours(bad, known_sites={"baodingshan", "beishan"})
    text = str(exc.value)
    for line, needle in ((2, "closes"), (3, "unknown site"), (4, "status"), (5, "no source")):
        assert f"opening_hours.csv:{line}: " in text and needle in text
