"""Brochures: PDF (portrait, tri-fold) checked with poppler, HTML with an HTML parser, the map,
and the facts they print (from the catalog, opening hours and the knowledge graph)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from kg.build import build_graph
from kg.catalog import load_catalog
from kg.store import KnowledgeGraph
from planner.export import ExportData, collect, load_brand, render, resolve_line
from planner.export.mapdraw import draw_route_map, render_map_image
from planner.model import itinerary_from_dict

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "export"
BRAND = ROOT / "data" / "brand" / "example.yaml"
GEN = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdftoppm", "pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def data(catalog) -> ExportData:
    plan = itinerary_from_dict(json.loads((FIX / "sample_itinerary.json").read_text("utf-8")))
    kgraph = KnowledgeGraph(build_graph(catalog), backend="memory")
    return collect(
        plan, catalog=catalog, kgraph=kgraph, line=resolve_line(catalog, "stone-carving")
    )


@pytest.fixture(scope="module")
def pdfs(data: ExportData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    brand = load_brand(BRAND)
    out = {}
    for name, kw in {
        "zh": {"lang": "zh", "brand": brand},
        "en": {"lang": "en"},
        "tri": {"lang": "zh", "brand": brand, "trifold": True},
    }.items():
        path = folder / f"{name}.pdf"
        path.write_bytes(render(data, "pdf", generated=GEN, **kw))
        out[name] = path
    return out


def pdftext(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", "", text)


def pages(path: Path, folder: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(folder / "p")], check=True)
    return sorted(folder.glob("p-*.png"))


# =========================================================================== PDF


@needs_poppler
@pytest.mark.parametrize("name", ["zh", "en", "tri"])
def test_pdf_has_every_stop_name_extractable(pdfs, data: ExportData, name: str) -> None:
    text = pdftext(pdfs[name])
    for stop in data.itinerary.stops:
        assert stop.name_zh in text  # Chinese names, in every language
    if name == "en":
        for stop in data.itinerary.stops:
            assert re.sub(r"\s+", "", stop.name_en) in text
        assert "Day-by-dayschedule" in text and "行程安排" not in text
    else:
        assert "大足—安岳石刻线" in text and "行程安排" in text


@needs_poppler
@pytest.mark.parametrize("name", ["zh", "en", "tri"])
def test_pdf_pages_render_and_are_not_blank(pdfs, name: str, tmp_path: Path) -> None:
    rendered = pages(pdfs[name], tmp_path)
    assert len(rendered) == (2 if name == "tri" else len(rendered)) and rendered
    for png in rendered:
        with Image.open(png) as im:
            grey = im.convert("L")
            stddev = ImageStat.Stat(grey).stddev[0]
            ink = sum(grey.histogram()[:200]) / (grey.width * grey.height)
        assert stddev > 10, f"{png.name} looks blank (stddev {stddev:.1f})"
        assert ink > 0.005, f"{png.name} has almost no ink"
        if name == "tri":
            assert im.width > im.height  # landscape
        else:
            assert im.height > im.width


@needs_poppler
@pytest.mark.parametrize("name", ["zh", "tri"])
def test_pdf_embeds_a_cjk_font_subset(pdfs, name: str) -> None:
    out = subprocess.run(
        ["pdffonts", str(pdfs[name])], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert out, "no font listed"
    for line in out:
        emb, sub, uni = line.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line
    assert any("NotoSansSC" in line or "CJK" in line for line in out)


def test_pdf_carries_the_plan_and_navigation_links(pdfs, data: ExportData) -> None:
    raw = pdfs["zh"].read_bytes()
    assert raw.startswith(b"%PDF-")
    uris = set(re.findall(rb"/URI \((.*?)\)", raw))
    plan = [u for u in uris if u.startswith(b"http://localhost:8501/?theme=stone-carving")]
    assert plan and b"date=2025-05-10" in plan[0]
    assert any(u.startswith(b"https://uri.amap.com/navigation?from=") for u in uris)


@needs_poppler
def test_pdf_prints_the_facts_and_the_gaps(pdfs, data: ExportData, catalog) -> None:
    text = pdftext(pdfs["zh"])
    assert "08:30–17:00" in text  # 北山, opening_hours.csv
    assert "不详——出行前请核实" in text  # 毗卢洞: no hours rule
    assert re.sub(r"\s+", "", catalog.sites["baodingshan"].era)[:12] in text
    assert "宝顶架香庙会" in text  # heritage held at 宝顶山 (knowledge graph)
    assert "大足冬菜" in text  # food of 大足区 (knowledge graph)
    assert "样例模板" in text and "某某区文化和旅游发展委员会" in text  # template brand
    en = pdftext(pdfs["en"])
    assert "unknown—checkbeforegoing" in en


@needs_poppler
def test_trifold_fits_in_two_pages(pdfs) -> None:
    info = subprocess.run(["pdfinfo", str(pdfs["tri"])], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+2\b", info)
    assert re.search(r"Page size:\s+841\.89 x 595\.28", info)


@needs_poppler
def test_without_the_graph_the_brochure_says_so(catalog, data: ExportData, tmp_path) -> None:
    bare = collect(data.itinerary, catalog=catalog)  # no knowledge graph
    path = tmp_path / "bare.pdf"
    path.write_bytes(render(bare, "pdf", lang="en", generated=GEN))
    text = pdftext(path)
    assert "(knowledgegraphnotloaded)" in text
    assert "宝顶架香庙会" not in text  # no graph, no heritage rows


# =========================================================================== HTML


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "html":
            self.lang = a.get("lang") or ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_complete(data: ExportData) -> None:
    raw = render(data, "html", lang="zh", brand=load_brand(BRAND), generated=GEN)
    doc = raw.decode("utf-8")
    p = _Collect()
    p.feed(doc)
    text = "".join(p.text)
    assert p.lang == "zh-CN"
    for stop in data.itinerary.stops:
        assert stop.name_zh in text
    assert p.tags.count("svg") >= 2  # the map and at least one QR code
    assert any(u.startswith("http://localhost:8501/?theme=") for u in p.links)
    assert any(u.startswith("https://uri.amap.com/navigation?") for u in p.links)
    assert "data:font/woff;base64," in doc  # the CJK font travels with the page
    assert "data:image/png;base64," in doc  # the template logo
    assert (
        "http://"
        not in doc.replace("http://localhost:8501/", "")
        .replace("http://www.w3.org/", "")
        .split("<body>")[0]
    )  # nothing fetched from the network in <head>


def test_html_is_reproducible(data: ExportData) -> None:
    from planner.export.brochure import webpage

    first = render(data, "html", lang="en", generated=GEN)
    webpage._font_face.cache_clear()  # subset the font again, as a new process would
    assert render(data, "html", lang="en", generated=GEN) == first


# =========================================================================== map


def test_map_is_drawn_offline_in_both_formats(data: ExportData) -> None:
    png = draw_route_map(data, fmt="png", width_mm=120, height_mm=90, dpi=100)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (round(120 / 25.4 * 100), round(90 / 25.4 * 100))
        assert ImageStat.Stat(im.convert("L")).stddev[0] > 10
    svg = draw_route_map(data, fmt="svg", lang="en", width_mm=120, height_mm=90)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    with pytest.raises(ValueError, match="png or svg"):
        draw_route_map(data, fmt="jpg")


def test_map_uses_day_colours(data: ExportData) -> None:
    brand = load_brand(BRAND)
    im = render_map_image(data, brand=brand, width_mm=120, height_mm=90, dpi=100)
    colours = {c for _, c in im.getcolors(maxcolors=1 << 20)}
    for d in range(len(data.itinerary.days)):
        h = brand.day_colour(d).lstrip("#")
        rgb = tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))
        assert rgb in colours, f"day {d + 1} colour {brand.day_colour(d)} not drawn"


def test_map_needs_coordinates(catalog, data: ExportData) -> None:
    import dataclasses

    it = data.itinerary
    days = tuple(
        dataclasses.replace(d, stops=(), legs=(), start_id="x", end_id="y") for d in it.days
    )
    empty = collect(dataclasses.replace(it, days=days), catalog=catalog, with_facts=False)
    with pytest.raises(ValueError, match="no place of the plan has coordinates"):
        draw_route_map(empty)


# =========================================================================== line breaking


def test_wrap_lines_breaks_chinese_and_keeps_latin_words() -> None:
    from planner.export.brochure import wrap_lines

    def measure(t: str) -> float:
        return float(len(t))

    text = "大足城区 → 北山摩崖造像（Beishan），门票 90 元；founder 韦君靖。"
    lines = wrap_lines(text, 8, measure)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    for line in lines:
        assert len(line) <= 8 or line[-1] in "，。；）"  # only closing punctuation may hang
        assert line[0] not in "，。；：）"  # never at a line start
        assert line[-1] != "（"  # an opening bracket never ends a line
    assert any("founder" in ln for ln in lines)  # a Latin word is never split
    long_url = "http://localhost:8501/?theme=stone-carving"
    assert all(len(x) <= 10 for x in wrap_lines(long_url, 10, measure))
    assert wrap_lines("", 10, measure) == [""]
    assert wrap_lines("甲\n乙", 10, measure) == ["甲", "乙"]
