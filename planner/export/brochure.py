"""Print-ready brochures of a plan: PDF (A4 portrait, A4 landscape tri-fold) and HTML.

The PDF is made with fpdf2 (pure Python, installs from PyPI with no system library). Its only
font is the CJK font of :func:`nlp.fonts.find_cjk_font` (Noto Sans SC, SIL OFL, shipped by the
``pylopdf-fonts-zh-cn`` dependency), embedded as a subset with a ToUnicode map, so Chinese
renders on any machine and can be searched and copied. Headings are set in the same face with
a thin outline stroke (one font keeps the file small and the build fast: subsetting a CJK CFF
font costs about a second per face). The map is drawn offline by
:mod:`planner.export.mapdraw`; QR codes are drawn as vector modules with ``segno``.

Portrait: a cover (branding, title, key figures, map, overview, QR code that opens the plan),
the day-by-day schedule with per-day Amap navigation links (GCJ-02, with QR codes), a card
per stop (era, designation, heritage, food, experience bases, opening hours on the date,
tickets, distances, position) and the practical notes. Tri-fold: the same content condensed
into six 99 mm panels (outside: flap, back, front cover; inside: map, schedule, stops); type
shrinks until the inside fits. HTML: one self-contained file (inline SVG map and QR codes,
an embedded WOFF subset of the font, print CSS for A4).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from planner.export import content as C  # noqa: N812
from planner.export.brand import DEFAULT_BRAND, Brand
from planner.export.facts import ExportData
from planner.export.labels import label
from planner.export.mapdraw import MapStyle, draw_route_map, render_map_image
from planner.export.planlink import plan_url

__all__ = ["render_html", "render_pdf", "render_trifold", "wrap_lines"]

TEXT = "#2B2B2B"
MUTED = "#6B665C"
RULE = "#D8D2C4"
TINT = "#F6F1E7"
FONT = "cjk"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@lru_cache(maxsize=1)
def _font_path() -> str:
    from nlp.fonts import find_cjk_font

    return str(find_cjk_font())


# =========================================================================== line breaking

_CJK = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2014\u2026\u00b7"
# A number keeps its Chinese unit on the same line (92公里, 1小时, 30分钟).
_UNITS = "公里|小时|分钟|分|天|元|处|日|年|月|尊|窟|龛|号|个|米"
_TOKEN = re.compile(rf"\s+|[^\s{_CJK}]+(?:{_UNITS})?|[{_CJK}]")
_NO_START = set("，。、；：！？）】」』》〉”’…—%,.;:!?)]}·")
_NO_END = set("（【「『《〈“‘([{")


def wrap_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (as ``measure`` says).

    Break opportunities: between Chinese characters, at spaces, never inside a Latin or
    digit run unless it is wider than a line; closing punctuation never starts a line and
    opening brackets never end one. Explicit newlines are kept. An empty text is one line.
    """
    out: list[str] = []
    for para in text.split("\n"):
        line: list[str] = []
        line_w = 0.0
        for tok in _TOKEN.findall(para):
            tok_w = measure(tok)
            if tok.isspace():
                if line:
                    line.append(" ")
                    line_w += measure(" ")
                continue
            if line_w + tok_w <= width + 1e-6 or not line or tok[0] in _NO_START:
                if tok_w > width and not line:
                    pieces = _split_long(tok, width, measure)
                    out.extend(pieces[:-1])
                    line, line_w = [pieces[-1]], measure(pieces[-1])
                    continue
                line.append(tok)
                line_w += tok_w
                continue
            while line and line[-1] == " ":
                line.pop()
            carry: list[str] = []
            if len(line) > 1 and line[-1] and line[-1][-1] in _NO_END:
                carry = [line.pop()]
            out.append("".join(line).rstrip())
            line = [*carry, tok]
            line_w = sum(measure(t) for t in line)
            if line_w > width and len(line) == 1:
                pieces = _split_long(tok, width, measure)
                out.extend(pieces[:-1])
                line, line_w = [pieces[-1]], measure(pieces[-1])
        out.append("".join(line).rstrip())
    return out


def _split_long(tok: str, width: float, measure: Callable[[str], float]) -> list[str]:
    pieces: list[str] = []
    cur = ""
    for ch in tok:
        if cur and measure(cur + ch) > width:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    pieces.append(cur)
    return pieces


# =========================================================================== PDF base


@lru_cache(maxsize=64)
def _qr_matrix(data: str, error: str) -> tuple[bytes, ...]:
    """QR modules of ``data`` (rows of 0/1), cached: choosing the mask is segno's slow part."""
    import segno

    return tuple(bytes(row) for row in segno.make(data, error=error).matrix)


class _Pdf(FPDF):
    """FPDF with the CJK font, brand colours and a few typographic helpers."""

    def __init__(
        self,
        *,
        orientation: str,
        brand: Brand,
        lang: str,
        running_title: str,
        generated: dt.datetime | None,
    ) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.brand = brand
        self.ui_lang = lang
        self.running_title = running_title
        self._widths: dict[tuple[float, str], float] = {}
        self.add_font(FONT, fname=_font_path())
        # Keep the original font bounding box when saving the subset: recomputing it runs
        # every CFF charstring and is the slowest part of the export.
        self.fonts[FONT].ttfont.recalcBBoxes = False
        self.set_font(FONT, size=9.5)
        self.set_text_color(*_rgb(TEXT))
        self.set_lang("zh-CN" if lang == "zh" else "en")
        self.set_creator("heritage-routes")
        self.set_author(brand.title.get(lang))
        self.set_title(running_title)
        when = generated or dt.datetime.now(dt.UTC)
        self.set_creation_date(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
        self.footer_enabled = True

    # ----------------------------------------------------------------- primitives

    def colour(self, hex_colour: str) -> None:
        """Set the text colour."""
        self.set_text_color(*_rgb(hex_colour))

    def fill(self, hex_colour: str) -> None:
        """Set the fill colour."""
        self.set_fill_color(*_rgb(hex_colour))

    def draw(self, hex_colour: str) -> None:
        """Set the stroke colour."""
        self.set_draw_color(*_rgb(hex_colour))

    @contextmanager
    def bold(self, hex_colour: str | None = None, weight: float = 0.18) -> Iterator[None]:
        """Faux bold: fill + a thin stroke of the text colour."""
        colour = hex_colour or TEXT
        with self.local_context(
            text_mode="FILL_STROKE", line_width=weight, draw_color=_rgb(colour)
        ):
            self.colour(colour)
            yield

    def para(
        self,
        w: float,
        h: float,
        text: str,
        *,
        size: float | None = None,
        colour: str | None = None,
        align: str = "L",
        link: str | None = None,
        dry: bool = False,
    ) -> float:
        """A wrapped paragraph at the current position; returns its height (mm).

        Lines are broken by :func:`wrap_lines` (Chinese may break between any two
        characters, Latin runs only at spaces, with the usual punctuation rules), so a
        measurement needs no layout pass.
        """
        if size is not None:
            self.set_font_size(size)
        if colour is not None:
            self.colour(colour)
        lines = wrap_lines(text, w - 2 * self.c_margin, self._width)
        if dry:
            return h * len(lines)
        y0 = self.get_y()
        x0 = self.get_x()
        for line in lines:  # one cell per line: no second wrapping pass (punctuation may hang)
            self.set_x(x0)
            self.cell(w, h, line, align=align, link=link or "", new_x=XPos.LEFT, new_y=YPos.NEXT)
        return self.get_y() - y0

    def _width(self, text: str) -> float:
        key = (self.font_size_pt, text)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(text)
        return width

    def disc(self, cx: float, cy: float, r: float, fill: str, text: str, size: float) -> None:
        """A filled disc centred on (cx, cy) with centred text (a stop number)."""
        self.fill(fill)
        self.circle(cx, cy, r, style="F")  # fpdf2 >= 2.8.1: (x, y) is the centre
        with self.local_context():
            self.set_font_size(size)
            self.colour("#FFFFFF")
            self.set_xy(cx - r, cy - r)
            self.cell(2 * r, 2 * r, text, align="C")

    def qr(
        self, data: str, x: float, y: float, size: float, colour: str = TEXT, error: str = "m"
    ) -> None:
        """A QR code as vector squares (quiet zone of 2 modules included in ``size``)."""
        matrix = _qr_matrix(data, error)
        n = len(matrix)
        border = 2
        cell = size / (n + 2 * border)
        self.fill("#FFFFFF")
        self.rect(x, y, size, size, style="F")
        self.fill(colour)
        for r, row in enumerate(matrix):
            c = 0
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    self.rect(  # one rectangle per run of dark modules, slightly overlapping
                        x + (border + start) * cell,
                        y + (border + r) * cell,
                        (c - start) * cell + 0.01,
                        cell + 0.01,
                        style="F",
                    )
                else:
                    c += 1

    def rule(self, y: float, x0: float | None = None, x1: float | None = None) -> None:
        """A hairline across the text block."""
        self.draw(RULE)
        self.set_line_width(0.25)
        self.line(x0 if x0 is not None else self.l_margin, y, x1 or self.w - self.r_margin, y)

    def heading(self, text: str, *, size: float = 16) -> None:
        """A section heading in the brand colour with a rule under it."""
        self.set_x(self.l_margin)
        with self.bold(self.brand.primary, 0.22):
            self.set_font_size(size)
            self.cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.rule(self.get_y() + 1.2)
        self.ln(4)
        self.colour(TEXT)

    def footer(self) -> None:
        """Running footer from page 2: title on the left, page number on the right."""
        if self.page_no() == 1 or not self.footer_enabled:
            return
        with self.local_context():
            self.set_y(-11)
            self.set_font_size(7.5)
            self.colour(MUTED)
            left = f"{self.brand.title.get(self.ui_lang)} · {self.running_title}"
            self.cell(0, 5, left, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")

    def logo(self, x: float, y: float, h: float) -> float:
        """Draw the brand logo at height ``h``; returns its width (0 without a logo)."""
        if self.brand.logo is None:
            return 0.0
        from PIL import Image

        with Image.open(self.brand.logo) as im:
            w = h * im.width / im.height
        self.image(str(self.brand.logo), x=x, y=y, h=h, w=w)
        return w


# =========================================================================== portrait


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


def _figures(pdf: _Pdf, data: ExportData, lang: str, brand: Brand, x: float, w: float) -> None:
    figs = C.figures(data, lang)
    gap = 3.0
    bw = (w - gap * (len(figs) - 1)) / len(figs)
    y = pdf.get_y()
    for i, f in enumerate(figs):
        bx = x + i * (bw + gap)
        pdf.fill(TINT)
        pdf.rect(bx, y, bw, 15, style="F")
        pdf.fill(brand.accent)
        pdf.rect(bx, y, 1.2, 15, style="F")
        pdf.set_xy(bx + 4, y + 2)
        pdf.set_font_size(7.5)
        pdf.colour(MUTED)
        pdf.cell(bw - 5, 4, f.label)
        pdf.set_xy(bx + 4, y + 6.5)
        with pdf.bold(TEXT, 0.15):
            pdf.set_font_size(13)
            pdf.cell(bw - 5, 7, f.value)
    pdf.set_y(y + 15)
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


# =========================================================================== tri-fold

_PANEL = 297.0 / 3
_PAD = 7.0


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
        pdf.fill(TINT)
        pdf.rect(bx, by, bw, 12, style="F")
        pdf.fill(brand.accent)
        pdf.rect(bx, by, 1, 12, style="F")
        pdf.set_xy(bx + 3, by + 1.3)
        pdf.set_font_size(6.8)
        pdf.colour(MUTED)
        pdf.cell(bw - 4, 3.5, f.label)
        pdf.set_xy(bx + 3, by + 5)
        with pdf.bold(TEXT, 0.12):
            pdf.set_font_size(10.5)
            pdf.cell(bw - 4, 6, f.value)
    y += 2 * 14 + 2
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


# =========================================================================== HTML


@lru_cache(maxsize=4)
def _font_face(chars: str) -> str:
    """A WOFF subset of the CJK font covering ``chars``, as a CSS data URL."""
    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    font = TTFont(_font_path(), recalcBBoxes=False)
    opts = ftsubset.Options(flavor="woff", drop_tables=["GSUB", "GPOS", "GDEF", "BASE"])
    sub = ftsubset.Subsetter(opts)
    sub.populate(unicodes=sorted({ord(c) for c in chars} | set(range(0x20, 0x7F))))
    sub.subset(font)
    font.flavor = "woff"
    buf = io.BytesIO()
    font.save(buf)
    return "data:font/woff;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _qr_svg(data: str, scale: int = 3) -> str:
    import segno

    return segno.make(data, error="m").svg_inline(scale=scale, border=2, dark=TEXT)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(
    data: ExportData,
    *,
    lang: str = "zh",
    brand: Brand = DEFAULT_BRAND,
    generated: dt.datetime | None = None,
    embed_font: bool = True,
) -> bytes:
    """The brochure as one self-contained HTML file (UTF-8), printable on A4.

    The map and QR codes are inline SVG; with ``embed_font`` a WOFF subset of the CJK font
    is embedded so the page looks the same offline on a machine without Chinese fonts.
    """
    link = plan_url(data.itinerary, brand.plan_url)
    title = data.title(lang)
    svg = draw_route_map(data, lang=lang, brand=brand, fmt="svg", width_mm=180, height_mm=120)
    svg_text = svg.decode("utf-8")
    svg_text = svg_text[svg_text.index("<svg") :]
    parts: list[str] = []
    add = parts.append
    other = ""
    if data.line is not None:
        other = data.line.name_zh if lang == "en" else data.line.name_en
    logo = ""
    if brand.logo is not None:
        mime = "image/png" if brand.logo.suffix.lower() == ".png" else "image/jpeg"
        b64 = base64.b64encode(Path(brand.logo).read_bytes()).decode("ascii")
        logo = f'<img class="logo" src="data:{mime};base64,{b64}" alt="">'
    add('<header class="band">')
    add(logo)
    add(f'<div><div class="org">{_e(brand.title.get(lang))}</div>')
    if brand.subtitle:
        add(f'<div class="tagline">{_e(brand.subtitle.get(lang))}</div>')
    add("</div>")
    if brand.template:
        add(f'<span class="tag">{_e(label("template_mark", lang))}</span>')
    add("</header>")
    add('<section class="cover">')
    add(f"<h1>{_e(title)}</h1>")
    if other:
        add(f'<p class="other">{_e(other)}</p>')
    add(f'<p class="sub">{_e(C.subtitle(data, lang))}</p>')
    add('<div class="figures">')
    for f in C.figures(data, lang):
        add(f"<div><span>{_e(f.label)}</span><b>{_e(f.value)}</b></div>")
    add("</div>")
    add(f'<figure class="map" aria-label="{_e(label("map", lang))}">{svg_text}</figure>')
    add('<div class="overview"><div>')
    add(f"<h3>{_e(label('overview', lang))}</h3><ul>")
    for d, (head, route) in enumerate(C.overview_lines(data, lang)):
        add(f'<li><b style="color:{brand.day_colour(d)}">{_e(head)}</b> {_e(route)}</li>')
    add("</ul></div>")
    add(
        f'<a class="qr" href="{_e(link)}">{_qr_svg(link)}'
        f"<span>{_e(label('scan_plan', lang))}</span></a></div>"
    )
    add("</section>")
    add(f'<section class="schedule"><h2>{_e(label("schedule", lang))}</h2>')
    for block in C.day_blocks(data, lang, brand):
        colour = brand.day_colour(block.index)
        add(f'<article class="day"><h3 style="background:{colour}">{_e(block.title)}</h3>')
        add(f'<p class="muted">{_e(block.summary)}</p><table>')
        for row in block.rows:
            num = (
                f'<span class="num" style="background:{colour}">{row.number}</span>'
                if row.number is not None
                else ""
            )
            detail = f'<div class="muted small">{_e(row.detail)}</div>' if row.detail else ""
            add(
                f'<tr class="{row.kind}"><td class="time">{_e(row.time)}</td><td>{num}</td>'
                f"<td>{_e(row.text)}{detail}</td></tr>"
            )
        add("</table>")
        if block.links:
            add(
                f'<div class="links"><span class="muted small">{_e(label("amap_links", lang))}'
                "</span>"
            )
            for ln in block.links:
                text = label("amap_part", lang, n=ln.part, route=ln.route_text(lang))
                add(f'<a href="{_e(ln.url)}">{_qr_svg(ln.url, 2)}<span>{_e(text)}</span></a>')
            add("</div>")
        add("</article>")
    add("</section>")
    add(f'<section class="cards"><h2>{_e(label("stops", lang))}</h2>')
    for card in C.cards(data, lang):
        colour = brand.day_colour(card.day)
        main = card.name_en if lang == "en" and card.name_en else card.name_zh
        second = card.name_zh if lang == "en" else card.name_en
        add(f'<article class="card" style="border-left-color:{colour}">')
        add(
            f'<h3><span class="badge" style="background:{colour}">{card.day + 1}·{card.number}'
            f"</span>{_e(main)}</h3>"
        )
        if second:
            add(f'<p class="muted">{_e(second)}</p>')
        add(f'<p class="when" style="color:{colour}">{_e(card.when)}</p><dl>')
        for fact in card.rows:
            add(f"<dt>{_e(fact.label)}</dt><dd>{_e(fact.value)}</dd>")
        add("</dl></article>")
    add("</section>")
    add(f'<section class="notes"><h2>{_e(label("practical", lang))}</h2>')
    for head, items in C.notes(data, lang):
        add(f"<h3>{_e(head)}</h3><ul>")
        add("".join(f"<li>{_e(i)}</li>" for i in items))
        add("</ul>")
    add(f'<p>{_e(label("plan_link", lang))}: <a href="{_e(link)}">{_e(link)}</a></p>')
    for t in brand.contact:
        add(f'<p class="muted">{_e(t.get(lang))}</p>')
    stamp = (generated or dt.datetime.now(dt.UTC)).date().isoformat()
    add(f'<p class="muted small">{_e(label("generated", lang, date=stamp))}</p></section>')
    body = "\n".join(parts)
    face = ""
    if embed_font:
        chars = "".join(sorted(set(html.unescape(body)) | set(title)))
        face = (
            f"@font-face{{font-family:'HeritageCJK';src:url({_font_face(chars)}) format('woff');}}"
        )
    css = _CSS.replace("__PRIMARY__", brand.primary).replace("__ACCENT__", brand.accent)
    doc = (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n"
        '<meta name="generator" content="heritage-routes">\n'
        f"<style>{face}{css}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    return doc.encode("utf-8")


_CSS = """
:root{--primary:__PRIMARY__;--accent:__ACCENT__;--text:#2B2B2B;--muted:#6B665C;
--rule:#D8D2C4;--tint:#F6F1E7}
*{box-sizing:border-box}
body{margin:0 auto;max-width:210mm;color:var(--text);background:#fff;line-height:1.55;
font-family:'HeritageCJK','Noto Sans SC','Noto Sans CJK SC','Source Han Sans SC','PingFang SC',
'Microsoft YaHei',sans-serif;font-size:10pt}
a{color:inherit}
.band{display:flex;align-items:center;gap:4mm;background:var(--primary);color:#fff;
padding:5mm 8mm;position:relative}
.band .logo{height:14mm}
.band .org{font-size:13pt;font-weight:700}
.band .tagline{font-size:9pt;opacity:.9}
.band .tag{position:absolute;right:8mm;top:3mm;background:var(--accent);padding:.5mm 2mm;
font-size:8pt;border-radius:1mm}
section{padding:0 15mm}
h1{color:var(--primary);font-size:24pt;margin:8mm 0 0;line-height:1.25}
h2{color:var(--primary);font-size:16pt;border-bottom:1px solid var(--rule);padding-bottom:1mm;
margin:10mm 0 4mm}
h3{font-size:11pt;margin:4mm 0 1mm}
.other{color:var(--muted);margin:1mm 0}
.sub{font-size:11pt;margin:2mm 0 4mm}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:3mm}
.figures div{background:var(--tint);border-left:1.2mm solid var(--accent);padding:2mm 3mm}
.figures span{display:block;color:var(--muted);font-size:8pt}
.figures b{font-size:14pt}
.map{margin:5mm 0}
.map svg{width:100%;height:auto;display:block;border:1px solid var(--rule)}
.overview{display:flex;gap:6mm;align-items:flex-start}
.overview>div{flex:1}
.overview ul{list-style:none;padding:0;margin:0}
.overview li{margin:1mm 0}
.qr{display:flex;flex-direction:column;align-items:center;text-decoration:none;
font-size:8pt;color:var(--muted);width:36mm}
.qr svg{width:34mm;height:34mm}
.day{break-inside:avoid;margin-bottom:5mm}
.day h3{color:#fff;padding:1.5mm 3mm;margin:0}
.day table{border-collapse:collapse;width:100%;table-layout:fixed}
.day td:nth-child(2){width:7mm}
.day td{vertical-align:top;padding:1mm 1.5mm}
.day td.time{white-space:nowrap;width:25mm}
.day tr.stop td{font-weight:600}
.day tr.stop .muted{font-weight:400}
.num{display:inline-block;width:5mm;height:5mm;border-radius:50%;color:#fff;text-align:center;
line-height:5mm;font-size:8pt}
.links{display:flex;flex-wrap:wrap;gap:3mm;align-items:center;margin-top:2mm}
.links a{display:flex;align-items:center;gap:2mm;font-size:8pt;max-width:60mm;
text-decoration:none}
.links svg{width:17mm;height:17mm;flex:none}
.card{border-left:1.4mm solid;padding:1mm 0 2mm 5mm;margin-bottom:5mm;break-inside:avoid;
border-bottom:1px solid var(--rule)}
.card h3{font-size:13pt;margin:0}
.badge{display:inline-block;color:#fff;font-size:8.5pt;padding:0 2mm;border-radius:1mm;
margin-right:3mm;vertical-align:middle}
.card p{margin:.5mm 0}
.card dl{display:grid;grid-template-columns:36mm 1fr;gap:1mm 2mm;margin:2mm 0 0;
font-size:9pt}
.card dt{color:var(--muted);font-size:8pt}
.card dd{margin:0}
.muted{color:var(--muted)}
.small{font-size:8pt}
.when{font-size:9pt}
.notes li{margin:1mm 0}
@page{size:A4;margin:12mm 0}
@media print{.schedule,.cards{break-before:page}a{text-decoration:none}}
"""
