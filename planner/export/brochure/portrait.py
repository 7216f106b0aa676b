"""The A4 portrait brochure: cover (branding, title, key figures, map, overview, QR code),
day-by-day schedule with Amap links, a card per stop, and the practical notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from planner.export import content as C  # noqa: N812
from planner.export.brand import DEFAULT_BRAND, Brand
from planner.export.brochure.pdfdoc import MUTED, TEXT, TINT, _Pdf
from planner.export.facts import ExportData
from planner.export.labels import label
from planner.export.mapdraw import MapStyle, render_map_image
from planner.export.planlink import plan_url


def render_pdf(
    data: ExportData,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    generated: dt.datetime | None = None,
) -> bytes:
    """The A4 portrait brochure (cover, schedule, stop cards, notes) as PDF bytes."""
    title = data.title(lang)
    pdf = _Pdf(orientation="P", brand=brand, lang=lang, running_title=title, generated=generated)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    link = plan_url(data.itinerary, brand.plan_url)
    _cover(pdf, data, lang, brand, link, generated)
    _schedule(pdf, data, lang, brand)
    _cards(pdf, data, lang, brand)
    _notes_page(pdf, data, lang, brand, link, generated)
    return bytes(pdf.output())


def _band(pdf: _Pdf, brand: Brand, lang: str, h: float, w: float, x: float = 0.0) -> None:
    pdf.fill(brand.primary)
    pdf.rect(x, 0, w, h, style="F")
    pad = 7.0 if w > 150 else 5.0
    lw = pdf.logo(x + pad, (h - 14) / 2, 14)
    tx = x + pad + (lw + 4 if lw else 0)
    pdf.set_xy(tx, h / 2 - 6.2)
    with pdf.bold("#FFFFFF", 0.12):
        pdf.set_font_size(12 if w > 150 else 10)
        pdf.cell(w - (tx - x) - pad, 6.5, brand.title.get(lang))
    if brand.subtitle:
        pdf.set_xy(tx, h / 2 + 0.8)
        pdf.set_font_size(8.5 if w > 150 else 7.5)
        pdf.colour("#FFFFFF")
        pdf.cell(w - (tx - x) - pad, 5, brand.subtitle.get(lang))
    if brand.template:
        tag = label("template_mark", lang)
        pdf.set_font_size(7.5)
        tw = pdf.get_string_width(tag) + 5
        pdf.fill(brand.accent)
        pdf.rect(x + w - pad - tw, 3, tw, 5.5, style="F", round_corners=True, corner_radius=1)
        pdf.set_xy(x + w - pad - tw, 3)
        pdf.colour("#FFFFFF")
        pdf.cell(tw, 5.5, tag, align="C")
    pdf.colour(TEXT)


def _title_block(
    pdf: _Pdf, data: ExportData, lang: str, brand: Brand, w: float, big: float
) -> None:
    x = pdf.get_x()
    main = data.title(lang)
    other = ""
    if data.line is not None:
        other = data.line.name_zh if lang == "en" else data.line.name_en
    with pdf.bold(brand.primary, 0.3):
        pdf.set_font_size(big)
        pdf.para(w, big * 0.45, main)
    if other:
        pdf.set_x(x)
        pdf.para(w, 5, other, size=big * 0.42, colour=MUTED)
    pdf.ln(1.5)
    pdf.set_x(x)
    pdf.para(w, 5.5, C.subtitle(data, lang), size=big * 0.44, colour=TEXT)


@dataclass(frozen=True)
class TileStyle:
    """Sizes (mm, pt) of one key-figure tile: an accent bar, a small label, a bold value."""

    height: float
    bar: float
    pad_x: float
    label_y: float
    label_size: float
    label_h: float
    value_y: float
    value_size: float
    value_h: float
    stroke: float


PORTRAIT_TILE = TileStyle(15, 1.2, 4, 2, 7.5, 4, 6.5, 13, 7, 0.15)


def figure_tile(
    pdf: _Pdf, fig: C.Figure, brand: Brand, x: float, y: float, w: float, style: TileStyle
) -> None:
    """Draw one key figure (label over value) in a tinted tile with the brand's accent bar."""
    pdf.fill(TINT)
    pdf.rect(x, y, w, style.height, style="F")
    pdf.fill(brand.accent)
    pdf.rect(x, y, style.bar, style.height, style="F")
    pdf.set_xy(x + style.pad_x, y + style.label_y)
    pdf.set_font_size(style.label_size)
    pdf.colour(MUTED)
    pdf.cell(w - style.pad_x - 1, style.label_h, fig.label)
    pdf.set_xy(x + style.pad_x, y + style.value_y)
    with pdf.bold(TEXT, style.stroke):
        pdf.set_font_size(style.value_size)
        pdf.cell(w - style.pad_x - 1, style.value_h, fig.value)


def _figures(pdf: _Pdf, data: ExportData, lang: str, brand: Brand, x: float, w: float) -> None:
    figs = C.figures(data, lang)
    gap = 3.0
    bw = (w - gap * (len(figs) - 1)) / len(figs)
    y = pdf.get_y()
    for i, f in enumerate(figs):
        figure_tile(pdf, f, brand, x + i * (bw + gap), y, bw, PORTRAIT_TILE)
    pdf.set_y(y + PORTRAIT_TILE.height)
    pdf.colour(TEXT)


def _map(
    pdf: _Pdf,
    data: ExportData,
    lang: str,
    brand: Brand,
    x: float,
    y: float,
    w: float,
    h: float,
    style: MapStyle | None = None,
) -> None:
    image = render_map_image(
        data, lang=lang, brand=brand, width_mm=w, height_mm=h, dpi=220, style=style
    )
    pdf.image(image, x=x, y=y, w=w, h=h, alt_text=label("map", lang))


def _cover(
    pdf: _Pdf, data: ExportData, lang: str, brand: Brand, link: str, generated: dt.datetime | None
) -> None:
    pdf.add_page()
    _band(pdf, brand, lang, 26, pdf.w)
    pdf.set_xy(15, 34)
    _title_block(pdf, data, lang, brand, 180, 24)
    pdf.ln(4)
    _figures(pdf, data, lang, brand, 15, 180)
    y_map = pdf.get_y() + 5
    qr_size = 32.0
    left_w = 180 - qr_size - 8
    lines = C.overview_lines(data, lang)
    pdf.set_font_size(8.8)
    over_h = 8.0 + sum(pdf.para(left_w - 30, 5.6, route, dry=True) + 0.6 for _, route in lines)
    foot_h = 9.5 + 4.2 * (len(brand.contact) + 1)
    map_h = max(80.0, min(150.0, 297 - foot_h - 8 - max(over_h, qr_size + 8) - y_map - 6))
    _map(pdf, data, lang, brand, 15, y_map, 180, map_h)
    y = y_map + map_h + 6
    pdf.set_xy(15, y)
    with pdf.bold(brand.primary, 0.18):
        pdf.set_font_size(11.5)
        pdf.cell(left_w, 6, label("overview", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    for d, (head, route) in enumerate(lines):
        pdf.set_x(15)
        yy = pdf.get_y()
        pdf.fill(brand.day_colour(d))
        pdf.rect(15, yy + 1, 1.4, 3.6, style="F")
        pdf.set_xy(18, yy)
        with pdf.bold(brand.day_colour(d), 0.12):
            pdf.set_font_size(9)
            hw = pdf.get_string_width(head) + 3
            pdf.cell(hw, 5.6, head)
        pdf.set_xy(18 + hw, yy)
        pdf.para(left_w - 3 - hw, 5.6, route, size=8.8, colour=TEXT)
        pdf.ln(0.6)
    qx = 15 + 180 - qr_size
    pdf.qr(link, qx, y, qr_size)
    pdf.link(qx, y, qr_size, qr_size, link)
    pdf.set_xy(qx - 6, y + qr_size + 0.5)
    pdf.para(qr_size + 6, 4, label("scan_plan", lang), size=7.5, colour=MUTED, align="C")
    # Contact and provenance at the foot of the cover.
    foot = [t.get(lang) for t in brand.contact]
    stamp = (generated or dt.datetime.now(dt.UTC)).date().isoformat()
    foot.append(label("generated", lang, date=stamp))
    pdf.set_auto_page_break(False)
    pdf.rule(297 - 9.5 - 4.2 * len(foot))
    pdf.set_xy(15, 297 - 8.5 - 4.2 * len(foot))
    pdf.set_font_size(7.5)
    pdf.colour(MUTED)
    for line in foot:
        pdf.set_x(15)
        pdf.cell(180, 4.2, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.colour(TEXT)
    pdf.set_auto_page_break(True, margin=16)


def _ensure(pdf: _Pdf, height: float) -> None:
    if pdf.get_y() + height > pdf.h - pdf.b_margin:
        pdf.add_page()


def _day_block(pdf: _Pdf, block: C.DayBlock, lang: str, brand: Brand, *, dry: bool) -> float:
    """Draw (or only measure, with ``dry``) one day of the schedule; returns its height."""
    x, w = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    y0 = pdf.get_y()
    colour = brand.day_colour(block.index)
    time_w, num_w = 23.0, 8.0
    text_w = w - time_w - num_w
    if not dry:
        pdf.fill(colour)
        pdf.rect(x, y0, w, 8, style="F")
        pdf.set_xy(x + 3, y0 + 0.8)
        with pdf.bold("#FFFFFF", 0.12):
            pdf.set_font_size(10.5)
            pdf.cell(w - 6, 6.4, block.title)
        pdf.set_xy(x, y0 + 9)
        pdf.para(w, 4.6, block.summary, size=8, colour=MUTED)
    y = y0 + 9 + 4.6 + 1.5
    for row in block.rows:
        if dry:
            y += pdf.para(text_w, 4.8, row.text, size=9.3, dry=True) + 1.6
            if row.detail:
                y += pdf.para(text_w, 4.0, row.detail, size=7.8, dry=True)
            continue
        pdf.set_xy(x, y)
        pdf.set_font_size(9.3)
        stop = row.kind == "stop"
        if stop:
            with pdf.bold(TEXT, 0.1):
                pdf.cell(time_w, 4.8, row.time)
        else:
            pdf.colour(MUTED)
            pdf.cell(time_w, 4.8, row.time)
        if row.number is not None:
            pdf.disc(x + time_w + 3, y + 2.4, 2.5, colour, str(row.number), 7.5)
        pdf.set_xy(x + time_w + num_w, y)
        if stop:
            with pdf.bold(TEXT, 0.1):
                pdf.para(text_w, 4.8, row.text, size=9.3)
        else:
            pdf.para(text_w, 4.8, row.text, size=9.3, colour=MUTED if row.kind == "lunch" else TEXT)
        if row.detail:
            pdf.set_x(x + time_w + num_w)
            pdf.para(text_w, 4.0, row.detail, size=7.8, colour=MUTED)
        y = pdf.get_y() + 1.6
    if block.links:
        qs = 20.0
        per_row = 3
        col_w = w / per_row
        rows_n = (len(block.links) + per_row - 1) // per_row
        if not dry:
            yy = y + 1
            pdf.set_xy(x, yy)
            pdf.set_font_size(8)
            pdf.colour(MUTED)
            pdf.cell(w, 5, f"{label('amap_links', lang)} · {label('scan_nav', lang)}")
            for i, ln in enumerate(block.links):
                cx = x + (i % per_row) * col_w
                cy = yy + 6 + (i // per_row) * (qs + 2)
                pdf.qr(ln.url, cx, cy, qs, error="l")
                pdf.link(cx, cy, qs, qs, ln.url)
                pdf.set_xy(cx + qs + 1.5, cy + 0.5)
                text = label("amap_part", lang, n=ln.part, route=ln.route_text(lang))
                pdf.para(col_w - qs - 3, 3.8, text, size=7.3, colour=TEXT, link=ln.url)
        y += 1 + 6 + rows_n * (qs + 2)
    y += 5
    if not dry:
        pdf.set_y(y)
    pdf.colour(TEXT)
    return y - y0


def _schedule(pdf: _Pdf, data: ExportData, lang: str, brand: Brand) -> None:
    pdf.add_page()
    pdf.heading(label("schedule", lang))
    for block in C.day_blocks(data, lang, brand):
        h = _day_block(pdf, block, lang, brand, dry=True)
        _ensure(pdf, h)
        _day_block(pdf, block, lang, brand, dry=False)


def _card(pdf: _Pdf, card: C.Card, lang: str, brand: Brand, *, dry: bool) -> float:
    """Draw (or only measure, with ``dry``) one stop card; returns its height."""
    x, w = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    y0 = pdf.get_y()
    colour = brand.day_colour(card.day)
    label_w = 36.0
    inner = x + 5
    value_w = w - 5 - label_w
    head_w = w - 22
    main = card.name_en if lang == "en" and card.name_en else card.name_zh
    other = card.name_zh if lang == "en" else card.name_en
    if dry:
        y = y0 + pdf.para(head_w, 6.2, main, size=13, dry=True)
        if other:
            y += pdf.para(head_w, 4.4, other, size=8.5, dry=True)
        y += pdf.para(head_w, 4.6, card.when, size=8.5, dry=True) + 2
        for fact in card.rows:
            vh = pdf.para(value_w, 4.3, fact.value, size=8.6, dry=True)
            kh = pdf.para(label_w - 2, 4.3, fact.label, size=7.8, dry=True)
            y += max(vh, kh) + 1.0
        return y + 2 - y0 + 4
    pdf.fill(colour)
    pdf.rect(inner, y0 + 0.6, 12, 6, style="F", round_corners=True, corner_radius=1.2)
    pdf.set_xy(inner, y0 + 0.6)
    pdf.set_font_size(8.5)
    pdf.colour("#FFFFFF")
    pdf.cell(12, 6, f"{card.day + 1}·{card.number}", align="C")
    pdf.set_xy(inner + 15, y0)
    with pdf.bold(TEXT, 0.2):
        pdf.para(head_w, 6.2, main, size=13)
    if other:
        pdf.set_x(inner + 15)
        pdf.para(head_w, 4.4, other, size=8.5, colour=MUTED)
    pdf.set_x(inner + 15)
    pdf.para(head_w, 4.6, card.when, size=8.5, colour=colour)
    y = pdf.get_y() + 2
    for fact in card.rows:
        pdf.set_xy(inner, y)
        pdf.para(label_w - 2, 4.3, fact.label, size=7.8, colour=MUTED)
        key_end = pdf.get_y()
        pdf.set_xy(inner + label_w, y)
        pdf.para(value_w, 4.3, fact.value, size=8.6, colour=TEXT)
        y = max(key_end, pdf.get_y()) + 1.0
    y += 2
    pdf.fill(colour)
    pdf.rect(x, y0, 1.4, y - y0 - 2, style="F")
    pdf.rule(y)
    pdf.set_y(y + 4)
    return y + 4 - y0


def _cards(pdf: _Pdf, data: ExportData, lang: str, brand: Brand) -> None:
    pdf.add_page()
    pdf.heading(label("stops", lang))
    for card in C.cards(data, lang):
        h = _card(pdf, card, lang, brand, dry=True)
        _ensure(pdf, h)
        _card(pdf, card, lang, brand, dry=False)


def _notes_page(
    pdf: _Pdf, data: ExportData, lang: str, brand: Brand, link: str, generated: dt.datetime | None
) -> None:
    _ensure(pdf, 60)
    if pdf.get_y() > 40:
        pdf.ln(4)
    pdf.heading(label("practical", lang))
    w = pdf.w - pdf.l_margin - pdf.r_margin
    for title, items in C.notes(data, lang):
        _ensure(pdf, 14)
        with pdf.bold(brand.primary, 0.12):
            pdf.set_font_size(10)
            pdf.cell(w, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for item in items:
            pdf.set_font_size(8.5)
            _ensure(pdf, pdf.para(w - 5, 4.3, item, dry=True) + 1)
            y = pdf.get_y()
            pdf.fill(brand.accent)
            pdf.rect(pdf.l_margin + 1, y + 1.6, 1.2, 1.2, style="F")
            pdf.set_xy(pdf.l_margin + 5, y)
            pdf.para(w - 5, 4.3, item, size=8.5, colour=TEXT)
            pdf.ln(0.8)
        pdf.ln(2)
    _ensure(pdf, 40)
    y = pdf.get_y() + 2
    pdf.qr(link, pdf.l_margin, y, 30)
    pdf.link(pdf.l_margin, y, 30, 30, link)
    pdf.set_xy(pdf.l_margin + 34, y + 2)
    with pdf.bold(brand.primary, 0.12):
        pdf.set_font_size(10)
        pdf.cell(w - 34, 6, label("plan_link", lang), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.para(w - 34, 4.2, link, size=8, colour=TEXT, link=link)
    for t in brand.contact:
        pdf.set_x(pdf.l_margin + 34)
        pdf.para(w - 34, 4.2, t.get(lang), size=8, colour=MUTED)
    stamp = (generated or dt.datetime.now(dt.UTC)).date().isoformat()
    pdf.set_x(pdf.l_margin + 34)
    pdf.para(w - 34, 4.2, label("generated", lang, date=stamp), size=8, colour=MUTED)
    pdf.set_y(max(pdf.get_y(), y + 32))
