"""``heritage export``: plan a line (or load a saved plan) and write it as a brochure or file.

Registered by :mod:`planner.cli` as ``app.command("export")(export_cmd)``; its errors are shown
by the CLI's one boundary (:mod:`planner.cli_boundary`).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from common.errors import UserError
from planner.cli_boundary import error_boundary

if TYPE_CHECKING:
    from planner.model import Itinerary

__all__ = ["ExportFormat", "Lang", "export_cmd"]

_err = Console(stderr=True, soft_wrap=True)
_out = Console(soft_wrap=True)


class ExportFormat(StrEnum):
    pdf = "pdf"
    html = "html"
    gpx = "gpx"
    geojson = "geojson"
    kml = "kml"
    ics = "ics"
    json = "json"


class Lang(StrEnum):
    zh = "zh"
    en = "en"


def _parse_date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--date must be YYYY-MM-DD, got {text!r}") from None


@error_boundary()  # also when mounted on another Typer app than planner.cli's
def export_cmd(
    line: str | None = typer.Option(
        None, "--line", help="built-in line (stone-carving, sichuan-opera …) or a theme id"
    ),
    days: int | None = typer.Option(
        None, "--days", min=1, max=14, help="number of days to plan (default 3)"
    ),
    fmt: ExportFormat | None = typer.Option(
        None, "--format", help="pdf|html|gpx|geojson|kml|ics|json (default: from --out)"
    ),
    out: Path = typer.Option(..., "--out", help="file to write (atomically)"),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="zh or en labels"),
    brand: Path | None = typer.Option(None, "--brand", help="bureau branding YAML"),
    trifold: bool = typer.Option(False, "--trifold", help="A4 landscape tri-fold (PDF only)"),
    date: str | None = typer.Option(None, "--date", help="first day, YYYY-MM-DD (default today)"),
    start: str | None = typer.Option(
        None, "--start", help="start town/site (default: the town nearest the line's start)"
    ),
    plan: Path | None = typer.Option(
        None, "--plan", help="export this saved plan JSON instead of planning"
    ),
) -> None:
    """Export a plan as a print-ready brochure (PDF/HTML) or for GPS, maps and calendars."""
    from kg.catalog import load_catalog
    from planner.export import (
        collect,
        export_plan,
        format_from_path,
        load_brand,
        resolve_line,
    )

    fmt_name = fmt.value if fmt is not None else format_from_path(out)
    if trifold and fmt_name != "pdf":
        raise UserError("--trifold applies to --format pdf only")
    brand_cfg = load_brand(brand)
    catalog = load_catalog()
    if plan is not None:
        given = [n for n, v in (("--days", days), ("--date", date), ("--start", start)) if v]
        if given:
            raise UserError(f"{', '.join(given)}: only used when planning, not with --plan")
        itinerary = _load_plan(plan)
        info = resolve_line(catalog, line) if line else None
    else:
        if line is None:
            raise UserError("give --line NAME (see `heritage lines`) or --plan FILE")
        info = resolve_line(catalog, line)
        itinerary = _plan(info.theme, days or 3, start or info.start, _parse_date(date))
    needs_facts = fmt_name in ("pdf", "html", "ics")
    kgraph = None
    if fmt_name in ("pdf", "html"):
        from kg.store import open_graph

        kgraph = open_graph()
    data = collect(itinerary, catalog=catalog, kgraph=kgraph, line=info, with_facts=needs_facts)
    path = export_plan(data, fmt_name, out, lang=lang.value, brand=brand_cfg, trifold=trifold)
    size = path.stat().st_size
    _out.print(
        f"wrote {escape(str(path))} ({fmt_name}, {size / 1024:.0f} KB, "
        f"{len(itinerary.days)} day(s), {len(itinerary.stops)} stop(s))",
        highlight=False,
    )


def _load_plan(path: Path) -> Itinerary:
    from planner.model import itinerary_from_dict

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"plan file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    try:
        return itinerary_from_dict(raw)
    except (KeyError, TypeError) as exc:
        raise UserError(f"{path}: not an itinerary (missing {exc})") from None


def _plan(theme: str, days: int, start: str, date: dt.date) -> Itinerary:
    from planner.itinerary import TripRequest, plan_itinerary

    return plan_itinerary(TripRequest(theme=theme, days=days, start=start, date=date))
