"""The PDF document class shared by the portrait brochure and the tri-fold: the embedded CJK
font, colours, wrapped paragraphs, numbered discs, vector QR codes, rules, headings, footer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from planner.export.brand import Brand
from planner.export.brochure.linebreak import wrap_lines

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
        font = self.fonts[FONT]
        if isinstance(font, TTFFont):
            font.ttfont.recalcBBoxes = False
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
