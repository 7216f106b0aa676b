"""The A4 landscape tri-fold: six 99 mm panels (outside: flap, back, front cover; inside: map,
schedule, stops); type shrinks until the inside fits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from planner.export import content as C  # noqa: N812
from planner.export.brand import DEFAULT_BRAND, Brand
from planner.export.brochure.pdfdoc import MUTED, TEXT, _Pdf
from planner.export.brochure.portrait import TileStyle, _band, _title_block, figure_tile
from planner.export.facts import ExportData
from planner.export.labels import label
from planner.export.mapdraw import MapStyle, render_map_image
from planner.export.planlink import plan_url

_PANEL = 297.0 / 3
_PAD = 7.0


_TILE = TileStyle(12, 1, 3, 1.3, 6.8, 3.5, 5, 10.5, 6, 0.12)


def render_trifold(
    data: ExportData,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    generated: dt.datetime | None = None,
) -> bytes:
    """An A4 landscape tri-fold (two pages, three 99 mm panels each) as PDF bytes.

    Outside (page 1): inside flap (practical notes), back (plan QR code, contact, data
    notes), front cover (branding, title, key figures, small map). Inside (page 2): the map
    and overview, then the schedule with a compact line per stop flowing over two panels;
    type shrinks (down to 65 %) until everything fits.
    """
    title = data.title(lang)
    pdf = _Pdf(orientation="L", brand=brand, lang=lang, running_title=title, generated=generated)
    pdf.footer_enabled = False
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    link = plan_url(data.itinerary, brand.plan_url)
    pdf.add_page()
    _fold_marks(pdf)
    _flap_panel(pdf, data, lang, brand, 0)
    _back_panel(pdf, data, lang, brand, link, generated, _PANEL)
    _front_panel(pdf, data, lang, brand, 2 * _PANEL)
    pdf.add_page()
    _fold_marks(pdf)
    _inside(pdf, data, lang, brand)
    return bytes(pdf.output())


def _fold_marks(pdf: _Pdf) -> None:
    pdf.draw("#B9B09E")
    pdf.set_line_width(0.2)
    for k in (1, 2):
        x = k * _PANEL
        pdf.line(x, 0, x, 4)
        pdf.line(x, pdf.h - 4, x, pdf.h)


def _panel_text(
    pdf: _Pdf,
    x: float,
    y: float,
    w: float,
    text: str,
    size: float,
    colour: str = TEXT,
    lh: float | None = None,
) -> float:
    pdf.set_xy(x, y)
    return pdf.para(w, lh or size * 0.47, text, size=size, colour=colour)


def _panel_heading(
    pdf: _Pdf, x: float, y: float, w: float, text: str, brand: Brand, size: float = 11
) -> float:
    pdf.set_xy(x, y)
    with pdf.bold(brand.primary, 0.15):
        pdf.set_font_size(size)
        pdf.cell(w, size * 0.5, text)
    pdf.rule(y + size * 0.5 + 1, x, x + w)
    return size * 0.5 + 3


def _front_panel(pdf: _Pdf, data: ExportData, lang: str, brand: Brand, x0: float) -> None:
    w = _PANEL - 2 * _PAD
    _band(pdf, brand, lang, 24, _PANEL, x=x0)
    pdf.set_xy(x0 + _PAD, 32)
    _title_block(pdf, data, lang, brand, w, 19)
    pdf.ln(3)
    figs = C.figures(data, lang)
    y = pdf.get_y()
    bw = (w - 3) / 2
    for i, f in enumerate(figs):
        bx = x0 + _PAD + (i % 2) * (bw + 3)
        by = y + (i // 2) * 14
        figure_tile(pdf, f, brand, bx, by, bw, _TILE)
    y += -(-len(figs) // 2) * 14 + 2  # rows of two figures
    map_h = pdf.h - y - 8
    if map_h > 40:
        style = MapStyle(marker_radius_pt=5.0, label_size=5.8, line_width=1.6)
        small = _map_no_legend(data, lang, brand, w, map_h, style)
        pdf.image(small, x=x0 + _PAD, y=y, w=w, h=map_h, alt_text=label("map", lang))


def _map_no_legend(
    data: ExportData, lang: str, brand: Brand, w: float, h: float, style: MapStyle
) -> Any:
    return render_map_image(
        data,
        lang=lang,
        brand=brand,
        width_mm=w,
        height_mm=h,
        dpi=220,
        legend=False,
        style=style,
    )


def _back_panel(
    pdf: _Pdf,
    data: ExportData,
    lang: str,
    brand: Brand,
    link: str,
    generated: dt.datetime | None,
    x0: float,
) -> None:
    w = _PANEL - 2 * _PAD
    x = x0 + _PAD
    y = 16.0
    lw = pdf.logo(x + (w - 18) / 2, y, 18) if brand.logo else 0.0
    if lw:
        y += 22
    pdf.set_xy(x, y)
    with pdf.bold(brand.primary, 0.15):
        pdf.para(w, 6, brand.title.get(lang), size=12, align="C")
    y = pdf.get_y() + 2
    for t in brand.contact:
        y += _panel_text(pdf, x, y, w, t.get(lang), 8.5, MUTED)
    y += 6
    qs = 42.0
    pdf.qr(link, x + (w - qs) / 2, y, qs)
    pdf.link(x + (w - qs) / 2, y, qs, qs, link)
    y += qs + 1
    pdf.set_xy(x, y)
    pdf.para(w, 4.4, label("scan_plan", lang), size=8.5, colour=TEXT, align="C")
    y = pdf.get_y() + 1
    pdf.set_xy(x, y)
    pdf.para(w, 3.2, link, size=6, colour=MUTED, align="C", link=link)
    y = pdf.get_y() + 8
    y += _panel_heading(pdf, x, y, w, label("sources", lang), brand, 9.5)
    note = "sources_note_roads" if data.road_lines else "sources_note"
    for text in (label(note, lang), label("amap_note", lang)):
        y += _panel_text(pdf, x, y, w, text, 7.2, TEXT, 3.6) + 1.5
    stamp = (generated or dt.datetime.now(dt.UTC)).date().isoformat()
    _panel_text(pdf, x, pdf.h - 14, w, label("generated", lang, date=stamp), 6.8, MUTED)


def _flap_panel(pdf: _Pdf, data: ExportData, lang: str, brand: Brand, x0: float) -> None:
    w = _PANEL - 2 * _PAD
    x = x0 + _PAD
    blocks = C.day_blocks(data, lang, brand)

    def body(scale: float, dry: bool) -> float:
        y = 14.0
        y += _panel_heading(pdf, x, y, w, label("practical", lang), brand, 11 * scale)
        for title, items in C.notes(data, lang)[:-1]:
            pdf.set_xy(x, y)
            with pdf.bold(brand.primary, 0.1):
                y += pdf.para(w, 4.6 * scale, title, size=9 * scale, dry=dry) + 0.5
            for item in items:
                pdf.set_xy(x + 3, y)
                hh = pdf.para(w - 3, 3.6 * scale, item, size=7.2 * scale, colour=TEXT, dry=dry)
                if not dry:
                    pdf.fill(brand.accent)
                    pdf.rect(x, y + 1.3 * scale, 1, 1, style="F")
                y += hh + 0.6
            y += 2
        y += 2
        y += (
            _panel_heading(pdf, x, y, w, label("amap_links", lang), brand, 9.5 * scale)
            if (not dry)
            else 9.5 * scale * 0.5 + 3
        )
        for b in blocks:
            if not b.links:
                continue
            qs = 15.0 * scale
            for ln in b.links:
                if not dry:
                    pdf.qr(ln.url, x, y, qs, error="l")
                    pdf.link(x, y, qs, qs, ln.url)
                pdf.set_xy(x + qs + 2, y + 0.5)
                text = f"{label('day_n', lang, n=b.index + 1)} · " + label(
                    "amap_part", lang, n=ln.part, route=ln.route_text(lang)
                )
                th = pdf.para(
                    w - qs - 2,
                    3.4 * scale,
                    text,
                    size=6.8 * scale,
                    colour=TEXT,
                    link=ln.url,
                    dry=dry,
                )
                y += max(qs, th) + 1.5
        return y

    scale = 1.0
    while scale > 0.6 and body(scale, True) > pdf.h - 10:
        scale -= 0.05
    body(scale, False)


def _inside(pdf: _Pdf, data: ExportData, lang: str, brand: Brand) -> None:
    w = _PANEL - 2 * _PAD
    # Panel 1: map + overview.
    x = _PAD
    y = 12.0
    y += _panel_heading(pdf, x, y, w, label("map", lang), brand)
    map_h = 118.0
    style = MapStyle(marker_radius_pt=5.5, label_size=6.0, line_width=1.7)
    image = render_map_image(
        data, lang=lang, brand=brand, width_mm=w, height_mm=map_h, dpi=220, style=style
    )
    pdf.image(image, x=x, y=y, w=w, h=map_h, alt_text=label("map", lang))
    y += map_h + 4
    y += _panel_heading(pdf, x, y, w, label("overview", lang), brand, 9.5)
    for d, (head, route) in enumerate(C.overview_lines(data, lang)):
        pdf.set_xy(x, y)
        with pdf.bold(brand.day_colour(d), 0.1):
            pdf.set_font_size(7.8)
            pdf.cell(w, 4, head)
        y += 4
        y += _panel_text(pdf, x, y, w, route, 7.2, TEXT, 3.5) + 1.2
    # Panels 2–3: the schedule with a compact stop line each, flowing across two columns.
    items = _inside_items(data, lang, brand)
    scale = 1.0
    while scale > 0.65 and not _flow(pdf, items, scale, dry=True):
        scale -= 0.025
    _flow(pdf, items, scale, dry=False)


def _inside_items(data: ExportData, lang: str, brand: Brand) -> list[tuple[str, Any]]:
    """Flow items: ("h", text) heading, ("day", DayBlock), ("card", Card)."""
    items: list[tuple[str, Any]] = [("h", label("schedule", lang))]
    cards = C.cards(data, lang)
    for block in C.day_blocks(data, lang, brand):
        items.append(("day", block))
        for card in cards:
            if card.day == block.index:
                items.append(("card", card))
    return items


_COMPACT = ("hours", "tickets", "era", "designation", "heritage_here", "foods", "bases")


def _compact_rows(card: C.Card, lang: str) -> list[C.Fact]:
    """The rows a tri-fold entry keeps, most practical first, with short labels."""
    short = {"hours": label("hours_short", lang), "tickets": label("tickets_short", lang)}
    rows = [f for key in _COMPACT if (f := card.row(key)) is not None]
    return [C.Fact(f.key, short.get(f.key, f.label), f.value) for f in rows]


def _flow(pdf: _Pdf, items: list[tuple[str, Any]], scale: float, *, dry: bool) -> bool:
    """Lay the items into panels 2 and 3; ``False`` if they do not fit at ``scale``."""
    lang, brand = pdf.ui_lang, pdf.brand
    w = _PANEL - 2 * _PAD
    columns = [_PANEL + _PAD, 2 * _PANEL + _PAD]
    top, bottom = 12.0, pdf.h - 9
    col = 0
    y = top

    def room(h: float) -> bool:
        nonlocal col, y
        if y + h <= bottom:
            return True
        if col + 1 >= len(columns):
            return False
        col += 1
        y = top
        return y + h <= bottom

    s = scale
    for kind, item in items:
        x = columns[col]
        if kind == "h":
            h = 11 * s * 0.5 + 3
            if not room(h):
                return False
            if not dry:
                _panel_heading(pdf, columns[col], y, w, item, brand, 11 * s)
            y += h
        elif kind == "day":
            block: C.DayBlock = item
            pdf.set_font_size(8.2 * s)
            title_h = pdf.para(w - 3, 4.2 * s, block.title, dry=True) + 1.2
            times = [r for r in block.rows if r.kind != "stop"]
            lines = [f"{r.time} {r.text}" for r in times]
            extra = " · ".join(lines) + f" · {block.summary}"
            extra_h = pdf.para(w, 3.3 * s, extra, size=6.6 * s, dry=True)
            h = title_h + extra_h + 2
            if not room(h):
                return False
            x = columns[col]
            if not dry:
                colour = brand.day_colour(block.index)
                pdf.fill(colour)
                pdf.rect(x, y, w, title_h, style="F")
                pdf.set_xy(x + 1.5, y + 0.6)
                with pdf.bold("#FFFFFF", 0.08):
                    pdf.para(w - 3, 4.2 * s, block.title, size=8.2 * s)
                pdf.set_xy(x, y + title_h + 0.6)
                pdf.para(w, 3.3 * s, extra, size=6.6 * s, colour=MUTED)
            y += h
        else:
            card: C.Card = item
            main = card.name_en if lang == "en" and card.name_en else card.name_zh
            head = f"{card.when.split(' · ')[-1]}  {main}"
            pdf.set_font_size(8.4 * s)
            head_h = pdf.para(w - 6, 4.0 * s, head, dry=True)
            rows = _compact_rows(card, lang)
            if lang == "zh":
                body = "；".join(f"{r.label}：{r.value}" for r in rows)
            else:
                body = "; ".join(f"{r.label}: {r.value}" for r in rows)
            body_h = pdf.para(w - 6, 3.1 * s, body, size=6.3 * s, dry=True)
            h = head_h + body_h + 2.2
            if not room(h):
                return False
            x = columns[col]
            if not dry:
                colour = brand.day_colour(card.day)
                pdf.disc(x + 2, y + 2.0 * s, 1.9 * s, colour, str(card.number), 6 * s)
                pdf.set_xy(x + 6, y)
                with pdf.bold(TEXT, 0.08):
                    pdf.para(w - 6, 4.0 * s, head, size=8.4 * s)
                pdf.set_xy(x + 6, y + head_h)
                pdf.para(w - 6, 3.1 * s, body, size=6.3 * s, colour=TEXT)
            y += h
    return True
