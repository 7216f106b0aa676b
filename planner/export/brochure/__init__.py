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

Modules: :mod:`.pdfdoc` (the PDF class), :mod:`.portrait`, :mod:`.trifold`, :mod:`.webpage`
(HTML) and :mod:`.linebreak` (CJK-aware line breaking).
"""

from __future__ import annotations

from planner.export.brochure.linebreak import wrap_lines
from planner.export.brochure.portrait import render_pdf
from planner.export.brochure.trifold import render_trifold
from planner.export.brochure.webpage import render_html

__all__ = ["render_html", "render_pdf", "render_trifold", "wrap_lines"]
