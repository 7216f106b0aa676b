"""Tests for kg.catalog: the real catalog, name resolution and validation of broken catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.catalog import (
    Catalog,
    CatalogError,
    Line,
    Site,
    UnknownLineError,
    UnknownSiteError,
    default_data_dir,
    load_catalog,
)
from kg.units import PRECISION_CLASSES, count_units

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


# --------------------------------------------------------------------------- real catalog


def test_real_catalog_loads(cat: Catalog) -> None:
    assert len(cat.sites) >= 37
    assert all(isinstance(s, Site) for s in cat.sites.values())
    assert next(iter(cat.sites)) == "baodingshan"  # file order kept
    assert cat.data_dir == REPO / "data" / "catalog"


def test_required_sites_present(cat: Catalog) -> None:
    for sid in (
        "baodingshan",
        "beishan",
        "nanshan",
        "shimenshan",
        "shizhuanshan",
        "dazu_museum",
        "qianfozhai",
        "anyue_ich_exhibition_hall",
        "lezhi_jianzhi_base",
        "baosen_ningmeng",
        "dazu_town",
        "anyue_town",
        "lezhi_town",
        "ziyang_town",
    ):
        assert sid in cat.sites, sid
    assert cat.sites["dazu_town"].name_zh == "大足城区"
    assert cat.sites["anyue_town"].kind == "town"


def test_line_sizes_and_order(cat: Catalog) -> None:
    stone = cat.line("stone-carving")
    assert isinstance(stone, Line)
    assert len(stone.sites) == 19
    assert stone.sites[:4] == ("baodingshan", "beishan", "yuanjuedong", "wofoyuan")
    assert stone.start == "baodingshan"
    assert not stone.loop
    report = cat.line("stone-carving-report")
    assert len(report.sites) == 15
    assert report.report_route[0] == "baodingshan"
    assert report.report_route[-1] == "wofoyuan"
    assert report.report_km == 179
    opera = cat.line("sichuan-opera")
    assert len(opera.sites) == 6
    assert opera.start == "zhensheng_chuanju_base"
    assert opera.loop
    assert opera.report_km == 217
    assert opera.sites == (
        "bayueshan",
        "yongxi_guzhen",
        "zhensheng_chuanju_base",
        "xiangguo_gongyuan",
        "changzhou_gucheng",
        "lezhi_chuanjutuan",
    )


def test_every_line_site_resolves(cat: Catalog) -> None:
    for line in cat.lines.values():
        for sid in line.sites:
            site = cat.resolve(sid)
            assert site.id == sid
            assert cat.resolve(site.name_zh).id == sid


def test_stone_line_names_as_printed_by_the_report(cat: Catalog) -> None:
    sep = "、"
    printed = sep.join(
        [
            "宝顶山、北山、圆觉洞、卧佛院、塔坡、茗山寺、孔雀洞、华严洞、毗卢洞、木门寺、紫竹公园",
            "玄妙观、黄桷大佛旅游景区、安岳朝阳洞道观、石匣寺摩崖造像、睏佛寺摩崖造像、半月山大佛",
            "资阳市安岳县文化馆非遗体验基地、资阳市安岳县卧佛书院非遗体验基地",
        ]
    ).split(sep)
    assert [s.id for s in cat.resolve_many(printed)] == list(cat.line("stone-carving").sites)
    opera = "巴岳山、雍溪古镇、资阳市雁江区振声川剧非遗体验基地、香国公园、昌州古城、乐至县川剧团"
    ids = [s.id for s in cat.resolve_many(opera.split("、"))]
    assert ids == list(cat.line("sichuan-opera").sites)


def test_seed_edges_resolve(cat: Catalog) -> None:
    assert len(cat.seed_edges) == 42
    assert {e.line for e in cat.seed_edges} == {"stone-carving", "sichuan-opera"}
    by_name = {(e.name_a, e.name_b): e for e in cat.seed_edges}
    assert by_name[("圆觉洞", "紫竹公园")].a == "yuanjuedong"
    assert by_name[("塔坡", "圆觉洞摩崖造像")].b == "yuanjuedong"
    e = by_name[("孔雀洞", "茗山寺")]
    assert (e.a, e.b, e.km) == ("kongque_dong", "mingshan_si", 3.9)
    assert e.file.endswith("seed_distances.csv")
    assert e.lineno > 1
    assert all(e.a != e.b and e.km > 0 for e in cat.seed_edges)
    report_sites = set(cat.line("stone-carving-report").sites)
    stone_ids = {x for e in cat.seed_edges if e.line == "stone-carving" for x in (e.a, e.b)}
    assert stone_ids == report_sites


def test_published_distances(cat: Catalog) -> None:
    pubs = cat.published_distances
    assert any(p.a == "dazu_town" and p.b == "baodingshan" and p.km == 15 for p in pubs)
    assert all(p.kind in {"road", "straight", "bearing"} for p in pubs)
    assert all(p.bearing_deg is not None for p in pubs if p.kind == "bearing")
    assert all(p.source for p in pubs)


def test_site_fields(cat: Catalog) -> None:
    bd = cat.sites["baodingshan"]
    assert "宝顶山" in bd.aliases
    assert bd.visit_hours_min == 2 and bd.visit_hours_max == 3
    assert any("UNESCO" in d for d in bd.designations)
    assert "stone-carving" in bd.themes
    assert bd.has_coords
    assert cat.sites["kunfo_si"].county == "乐至县"
    assert "NOT VERIFIED" in cat.sites["tapo"].notes
    assert all(s.wikidata == "" for s in cat.sites.values())
    # visit hours only where the facts give them
    assert cat.sites["yuanjuedong"].visit_hours_min is None


def test_sites_in_county(cat: Catalog) -> None:
    anyue = {s.id for s in cat.sites_in_county("安岳县")}
    assert {"yuanjuedong", "wofoyuan", "anyue_town"} <= anyue
    assert "kunfo_si" not in anyue
    assert {s.id for s in cat.sites_in_county("安岳")} == anyue
    assert {s.id for s in cat.sites_in_county("安嶽縣")} == anyue
    assert "bayueshan" in {s.id for s in cat.sites_in_county("铜梁区")}
    assert "bayueshan" in {s.id for s in cat.sites_in_county("大足区")}
    assert cat.sites_in_county("nowhere") == []


# --------------------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("name", "sid"),
    [
        ("baodingshan", "baodingshan"),  # id
        ("宝顶山摩崖造像", "baodingshan"),  # name_zh
        ("宝顶山", "baodingshan"),  # alias
        ("寶頂山", "baodingshan"),  # traditional
        ("baodingshan ", "baodingshan"),
        ("Bao Ding Shan", "baodingshan"),  # pinyin with spaces
        ("Bǎodǐngshān", "baodingshan"),  # pinyin with tones
        ("ＢＡＯＤＩＮＧＳＨＡＮ", "baodingshan"),  # full-width
        ("ｗｏｆｏｙｕａｎ", "wofoyuan"),
        ("wofoyuan", "wofoyuan"),
        ("北山", "beishan"),
        ("圆觉洞", "yuanjuedong"),
        ("圆觉洞摩崖造像", "yuanjuedong"),
        ("圓覺洞", "yuanjuedong"),
        ("困佛寺", "kunfo_si"),
        ("睏佛寺", "kunfo_si"),
        ("kunfo si", "kunfo_si"),
        ("安岳县文化馆", "anyue_wenhuaguan_ich_base"),
        ("qianfozhai", "qianfozhai"),
        ("Beishan Rock Carvings", "beishan"),
        ("大足城区", "dazu_town"),
        ("乐至县川剧团", "lezhi_chuanjutuan"),
    ],
)
def test_resolve(cat: Catalog, name: str, sid: str) -> None:
    assert cat.resolve(name).id == sid


def test_unknown_name_suggests_closest_first(cat: Catalog) -> None:
    with pytest.raises(UnknownSiteError) as ei:
        cat.resolve("宝定山")
    e = ei.value
    assert e.name == "宝定山"
    assert e.suggestions[0][0] == "baodingshan"
    assert 1 <= len(e.suggestions) <= 5
    msg = str(e)
    assert "\n" not in msg
    assert msg.startswith("unknown site '宝定山'; did you mean:")
    assert "(baodingshan)" in msg
    with pytest.raises(LookupError):
        cat.resolve("no such place at all")


def test_unknown_pinyin_typo_suggests(cat: Catalog) -> None:
    with pytest.raises(UnknownSiteError) as ei:
        cat.resolve("baodinshan")
    assert ei.value.suggestions[0][0] == "baodingshan"


def test_resolve_many_and_contains(cat: Catalog) -> None:
    assert [s.id for s in cat.resolve_many(["北山", "wofoyuan"])] == ["beishan", "wofoyuan"]
    assert "寶頂山" in cat
    assert "宝定山" not in cat


def test_unknown_line(cat: Catalog) -> None:
    assert cat.line("川剧体验线").id == "sichuan-opera"
    with pytest.raises(UnknownLineError) as ei:
        cat.line("opera")
    assert "stone-carving" in str(ei.value)
    assert ei.value.known == list(cat.lines)


def test_homophones_are_ambiguous_not_guessed() -> None:
    sites = {
        "a1": Site(id="a1", name_zh="北山", kind="mountain"),
        "a2": Site(id="a2", name_zh="贝山", kind="mountain"),
    }
    cat = Catalog(sites)
    assert cat.resolve("贝山").id == "a2"
    with pytest.raises(UnknownSiteError) as ei:
        cat.resolve("beishan")
    assert ei.value.ambiguous
    assert {i for i, _ in ei.value.suggestions} == {"a1", "a2"}
    assert str(ei.value).startswith("ambiguous site name 'beishan'")


def test_default_data_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HERITAGE_DATA_DIR", raising=False)
    assert default_data_dir() == REPO / "data" / "catalog"
    monkeypatch.setenv("HERITAGE_DATA_DIR", str(FIXTURES))
    assert default_data_dir() == FIXTURES / "catalog"
    # a data/ folder whose catalog/ holds the files
    data = tmp_path / "data"
    (data / "catalog").mkdir(parents=True)
    for f in (FIXTURES / "catalog_ok").iterdir():
        (data / "catalog" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("HERITAGE_DATA_DIR", str(data))
    assert len(load_catalog()) == 4
    assert len(load_catalog(data)) == 4  # the data/ folder is accepted too


# --------------------------------------------------------------------------- broken catalogs


def test_fixture_ok_loads() -> None:
    cat = load_catalog(FIXTURES / "catalog_ok")
    assert cat.resolve("宝顶山").id == "baodingshan"
    assert cat.line("mini").sites == ("baodingshan", "beishan", "yuanjuedong")


BROKEN = [
    ("duplicate_id", "sites.csv:6:", ["duplicate id", "'beishan'"]),
    ("bad_id", "sites.csv:3:", ["invalid id", "'北山'"]),
    ("missing_column", "sites.csv:1:", ["missing required column", "lat", "lon", "kind"]),
    ("alias_clash", "sites.csv:4:", ["'北山'", "'yuanjuedong'", "'beishan'"]),
    ("outside_china", "sites.csv:4:", ["outside China", "'yuanjuedong'"]),
    ("lat_without_lon", "sites.csv:4:", ["lat without lon", "'yuanjuedong'"]),
    ("bad_confidence", "sites.csv:3:", ["coord_confidence", "'sure'", "'beishan'"]),
    ("approx_no_method", "sites.csv:5:", ["coord_method", "'anyue_town'"]),
    ("unknown_kind", "sites.csv:3:", ["unknown kind", "'grotto'"]),
    ("visit_hours", "sites.csv:2:", ["visit_hours_min", "'baodingshan'"]),
    ("unknown_seed_site", "seed_distances.csv:2:", ["'宝定山'", "did you mean", "(baodingshan)"]),
    ("negative_distance", "seed_distances.csv:3:", ["'-60'"]),
    ("nonnumeric_distance", "seed_distances.csv:3:", ["not a number", "'sixty'"]),
    ("self_loop", "seed_distances.csv:4:", ["self-loop", "'圆觉洞'", "'yuanjuedong'"]),
    ("line_unknown_site", "lines.yaml:5:", ["unknown site id", "'wofoyuan'"]),
    ("line_bad_start", "lines.yaml:6:", ["start", "'anyue_town'", "'mini'"]),
    ("published_unknown_site", "published_distances.csv:2:", ["'圆觉寺'", "(yuanjuedong)"]),
    ("traditional_clash", "sites.csv:3:", ["'寶頂山'", "'beishan'", "'baodingshan'"]),
]


@pytest.mark.parametrize(("name", "where", "needles"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_fixture(name: str, where: str, needles: list[str]) -> None:
    with pytest.raises(CatalogError) as ei:
        load_catalog(FIXTURES / f"catalog_{name}")
    err = ei.value
    hits = [p for p in err.problems if where in p]
    assert hits, f"no problem located at {where}: {err.problems}"
    for needle in needles:
        assert any(needle in p for p in hits), (needle, hits)
    assert all(p.split(":")[1].isdigit() for p in err.problems)  # every problem has path:line:
    assert where in str(err)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(CatalogError) as ei:
        load_catalog(FIXTURES / "catalog_multi")
    probs = ei.value.problems
    assert len(probs) == 3
    assert any("sites.csv:3:" in p for p in probs)
    assert any("lines.yaml:6:" in p for p in probs)
    assert any("seed_distances.csv:2:" in p for p in probs)
    assert str(ei.value).count("\n") == 3


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as ei:
        load_catalog(tmp_path)
    assert any("sites.csv:0: file not found" in p for p in ei.value.problems)


# --------------------------------------------------------------------------- region scale


def test_national_units_per_province_match_the_sourced_counts(cat: Catalog) -> None:
    """The catalog's units per province (and batch, where a count is sourced) match the data."""
    per = count_units(cat.units)
    assert cat.unit_counts, "unit_counts.csv is missing"
    for c in cat.unit_counts:
        have = sum(n for (p, b), n in per.items() if p == c.province and c.batch in (None, b))
        assert have + c.known_missing == c.count, (c.province, c.batch, have, c.source)


def test_national_units_at_region_scale(cat: Catalog) -> None:
    units = [u for u in cat.units if not u.is_merged]
    assert len(units) >= 320
    assert len({u.unit_no for u in units}) == len(units)
    for u in units:
        assert u.unit_no.startswith(f"{u.batch}-") and u.category and u.province, u
        site = cat.sites[u.site_id]
        if site.has_coords:
            assert site.precision in PRECISION_CLASSES and site.coord_source, u.site_id
    with_point = [u for u in units if cat.sites[u.site_id].has_coords]
    assert len(with_point) >= 320
    with_county = [u for u in units if u.county]
    assert len(with_county) >= 300
    # the report's own units are linked to the curated rows, not duplicated
    by_name = {u.name_zh: u.site_id for u in cat.units}
    assert by_name["北山摩崖造像"] == "beishan" and by_name["毗卢洞石刻造像"] == "pilu_dong"
    assert by_name["华严洞摩崖造像"] == "huayan_dong"  # a merged item of 安岳石窟


def test_old_county_names_map_to_todays_divisions(cat: Catalog) -> None:
    by_name = {u.name_zh: u for u in cat.units}
    assert (by_name["都江堰"].listed_county, by_name["都江堰"].county) == ("灌县", "都江堰市")
    dazu = by_name["宝顶山摩崖造像"]
    assert (dazu.listed_county, dazu.province, dazu.county) == ("大足县", "重庆市", "大足区")
    assert by_name["钓鱼城遗址"].province == "重庆市"


def test_no_point_without_a_source(cat: Catalog) -> None:
    assert [s.id for s in cat.sites.values() if s.has_coords and not s.coord_source] == []
    for s in cat.sites.values():
        if s.has_coords and s.is_approx:
            assert s.coord_uncertainty_km and s.coord_uncertainty_km > 0, s.id


def test_county_centre_is_flagged_as_such(cat: Catalog) -> None:
    s = cat.resolve("三星堆遗址")
    assert s.is_approx and s.precision == "county" and s.county == "广汉市"
    assert s.coord_uncertainty_km is not None and s.coord_uncertainty_km >= 3


def _copy_catalog(tmp_path: Path) -> Path:
    import shutil

    d = tmp_path / "catalog"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "catalog", d)
    return d


def test_bad_unit_rows_are_reported_with_file_and_line(tmp_path: Path) -> None:
    d = _copy_catalog(tmp_path)
    path = d / "national_units.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[0], "9-9999-9-999", 1)
    lines[2] = lines[2].replace(",ancient-", ",antique-", 1).replace(",stone-", ",antique-", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError) as e:
        load_catalog(d)
    text = str(e.value)
    assert "national_units.csv:2: unit_no '9-9999-9-999'" in text
    assert "national_units.csv:3: unknown category" in text


def test_sourced_counts_need_a_source(tmp_path: Path) -> None:
    d = _copy_catalog(tmp_path)
    with (d / "unit_counts.csv").open("a", encoding="utf-8") as f:
        f.write("四川省,7,101,0,,\n")
    with pytest.raises(CatalogError, match=r"unit_counts.csv:\d+: a count needs a source"):
        load_catalog(d)


def test_precision_must_fit_confidence(tmp_path: Path) -> None:
    d = _copy_catalog(tmp_path)
    path = d / "sites.csv"
    text = path.read_text(encoding="utf-8")
    row = next(ln for ln in text.splitlines() if ln.startswith("sanxingduiyizhi,"))
    path.write_text(text.replace(row, row.replace(",approx,", ",high,", 1)), encoding="utf-8")
    with pytest.raises(CatalogError, match="coord_precision 'county' does not fit"):
        load_catalog(d)


def test_every_approx_precision_class_is_drawn_with_its_circle(cat: Catalog) -> None:
    """The app and the brochures draw a circle for every ``approx`` point (Place.approx, with
    ``uncertainty_km`` as its radius): county and city centres must arrive there as such."""
    from planner.export.facts import _place_from_site

    seen = set()
    for s in cat.sites.values():
        if not s.has_coords:
            continue
        place = _place_from_site(s)
        assert place.approx == (s.precision != "site"), s.id
        if place.approx:
            assert place.uncertainty_km == s.coord_uncertainty_km and place.uncertainty_km > 0
        seen.add(s.precision)
    assert {"site", "derived", "county", "city"} <= seen
