"""Exports of a plan for tourism bureaus and travellers.

Brochures (PDF A4 portrait, PDF A4 landscape tri-fold, HTML) with an offline route map, and
machine formats (GPX, GeoJSON, KML, iCalendar, JSON). :func:`render` builds the bytes of one
format; :func:`export_plan` also writes them atomically.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from planner.export._io import ExportError, write_atomic
from planner.export.brand import DEFAULT_BRAND, Brand, BrandError, load_brand
from planner.export.facts import ExportData, LineInfo, collect, resolve_line
from planner.i18n import LANGS

__all__ = [
    "FORMATS",
    "Brand",
    "BrandError",
    "ExportData",
    "ExportError",
    "LineInfo",
    "collect",
    "export_plan",
    "format_from_path",
    "load_brand",
    "render",
    "resolve_line",
]

FORMATS = ("pdf", "html", "gpx", "geojson", "kml", "ics", "json")
_SUFFIXES = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".gpx": "gpx",
    ".geojson": "geojson",
    ".kml": "kml",
    ".ics": "ics",
    ".json": "json",
}


def format_from_path(path: str | Path) -> str:
    """The format implied by a file suffix (``.pdf`` → ``pdf`` …).

    Raises
    ------
    ValueError
        If the suffix is not one of the export formats.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ExportError(
            f"cannot tell the format from {Path(path).name!r}; give --format ({', '.join(FORMATS)})"
        )
    return _SUFFIXES[suffix]


def render(
    data: ExportData,
    fmt: str,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    trifold: bool = False,
    generated: dt.datetime | None = None,
) -> bytes:
    """The bytes of ``data`` in ``fmt`` (one of :data:`FORMATS`).

    Raises
    ------
    ValueError
        On an unknown format or language, or ``trifold`` with a format other than PDF.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise ExportError(f"unknown language {lang!r}; choose zh or en")
    if trifold and fmt != "pdf":
        raise ExportError("--trifold applies to the PDF brochure only")
    if fmt in ("pdf", "html"):
        from planner.export import brochure

        if fmt == "html":
            return brochure.render_html(data, lang=lang, brand=brand, generated=generated)
        if trifold:
            return brochure.render_trifold(data, lang=lang, brand=brand, generated=generated)
        return brochure.render_pdf(data, lang=lang, brand=brand, generated=generated)
    from planner.export import formats
    from planner.export.planlink import plan_url

    if fmt == "json":
        return formats.to_json(data)
    if fmt == "geojson":
        return formats.to_geojson(data, lang=lang)
    if fmt == "gpx":
        return formats.to_gpx(data, lang=lang, generated=generated)
    if fmt == "kml":
        return formats.to_kml(data, lang=lang, day_colours=brand.day_colours)
    return formats.to_ics(
        data,
        lang=lang,
        plan_link=plan_url(data.itinerary, brand.plan_url),
        amap_src=brand.amap_src,
        generated=generated,
    )


def export_plan(
    data: ExportData,
    fmt: str,
    out: str | Path,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    trifold: bool = False,
    generated: dt.datetime | None = None,
) -> Path:
    """Render ``data`` as ``fmt`` and write it atomically to ``out``; returns the path."""
    payload = render(data, fmt, lang=lang, brand=brand, trifold=trifold, generated=generated)
    return write_atomic(out, payload)
