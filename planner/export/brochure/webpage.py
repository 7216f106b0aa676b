"""The brochure as one self-contained HTML page: inline SVG map and QR codes, an embedded
WOFF subset of the CJK font and print CSS for A4."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from planner.export import content as C  # noqa: N812
from planner.export.brand import DEFAULT_BRAND, Brand
from planner.export.brochure.pdfdoc import TEXT, _font_path
from planner.export.facts import ExportData
from planner.export.labels import label
from planner.export.mapdraw import draw_route_map
from planner.export.planlink import plan_url


@lru_cache(maxsize=4)
def _font_face(chars: str) -> str:
    """A WOFF subset of the CJK font covering ``chars``, as a CSS data URL."""
    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    # keep the font's own timestamp: the page must not change with the time it was made
    font = TTFont(_font_path(), recalcBBoxes=False, recalcTimestamp=False)
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


#: Appends one piece of HTML to the page being built.
_Add = Callable[[str], None]


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
    parts: list[str] = []
    _header(parts.append, brand, lang)
    _cover(parts.append, data, lang, brand, title, link)
    _schedule(parts.append, data, lang, brand)
    _cards(parts.append, data, lang, brand)
    _notes(parts.append, data, lang, brand, link, generated)
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


def _header(add: _Add, brand: Brand, lang: str) -> None:
    """The brand band: logo, organisation, tagline and the template mark."""
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


def _cover(add: _Add, data: ExportData, lang: str, brand: Brand, title: str, link: str) -> None:
    """Title, key figures, the map, the overview and the QR code that opens the plan."""
    svg = draw_route_map(data, lang=lang, brand=brand, fmt="svg", width_mm=180, height_mm=120)
    svg_text = svg.decode("utf-8")
    svg_text = svg_text[svg_text.index("<svg") :]
    other = ""
    if data.line is not None:
        other = data.line.name_zh if lang == "en" else data.line.name_en
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


def _schedule(add: _Add, data: ExportData, lang: str, brand: Brand) -> None:
    """The day-by-day schedule, each day with its Amap navigation links."""
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


def _cards(add: _Add, data: ExportData, lang: str, brand: Brand) -> None:
    """A card per stop: names, when, and its facts."""
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


def _notes(
    add: _Add, data: ExportData, lang: str, brand: Brand, link: str, generated: dt.datetime | None
) -> None:
    """The practical notes, the plan link, the brand's contacts and the generation date."""
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
