"""Themes across the region: documented rules over sourced attributes, each member with its
reason in the graph (data/ontology/theme_rules.yaml, kg/themes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from common.settings import ONTOLOGY_DIR
from kg.build import build_graph
from kg.catalog import Catalog, Site, load_catalog
from kg.store import graph_from_memory
from kg.themes import RULES_FILE, ThemeRuleError, evaluate, load_rules
from planner.cli_kg import app

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "kg"
REGION_THEMES = {
    "stone-carving",
    "ancient-architecture",
    "three-kingdoms",
    "shu-civilisation",
    "revolutionary-history",
    "ancient-towns",
    "intangible-heritage",
}


def _theme_ids() -> set[str]:
    g = Graph().parse(ONTOLOGY_DIR / "themes.ttl")
    return {str(s).rsplit("/", 1)[-1] for s in g.subjects() if "/theme/" in str(s)}


def test_rules_file_is_valid_and_covers_the_region_themes() -> None:
    rules = load_rules(ONTOLOGY_DIR / RULES_FILE, known_themes=_theme_ids())
    assert {r.theme for r in rules} >= REGION_THEMES
    for r in rules:
        assert r.sites or r.when, r.key
        for e in r.sites:
            assert e.source and e.reason_zh and e.reason_en, (r.key, e.site)


def _site(
    sid: str, name: str, kind: str, era: str = "", city: str = "成都市", **kw: object
) -> Site:
    return Site(
        id=sid, name_zh=name, kind=kind, era=era, city=city, province="四川省", source="src", **kw
    )  # type: ignore[arg-type]


def test_rules_decide_membership_from_attributes() -> None:
    cat = Catalog(
        {
            s.id: s
            for s in [
                _site("wuhouci", "武侯祠", "ancient_building", "清"),
                _site(
                    "jiangweicheng",
                    "营盘山和姜维城遗址",
                    "archaeological_site",
                    "新石器时代",
                    city="阿坝藏族羌族自治州",
                ),
                _site("sanxingdui", "三星堆遗址", "archaeological_site", "商周", city="德阳市"),
                _site("luocheng", "雒城遗址", "archaeological_site", "汉", city="德阳市"),
                _site("chuanguan", "成都古蜀船棺合葬墓", "tomb", "东周"),
                _site("huangze", "皇泽寺摩崖造像", "rock_carving", "唐", city="广元市"),
                _site("luding", "泸定桥", "historic_site", "1935年", city="甘孜藏族自治州"),
                _site("town", "安岳县城", "town"),
            ]
        }
    )
    rules = load_rules(ONTOLOGY_DIR / RULES_FILE)
    warnings: list[str] = []
    got = {(m.theme, m.site_id): m for m in evaluate(cat, rules, warnings=warnings)}
    by_theme: dict[str, set[str]] = {}
    for theme, sid in got:
        by_theme.setdefault(theme, set()).add(sid)
    assert by_theme["three-kingdoms"] == {"wuhouci"}  # not the Neolithic 姜维城 site
    assert by_theme["shu-civilisation"] == {"sanxingdui", "chuanguan"}  # not the Han 雒城
    assert by_theme["stone-carving"] == {"huangze"}
    assert by_theme["revolutionary-history"] == {"luding"}
    assert by_theme["ancient-architecture"] == {"wuhouci"}
    assert not any(sid == "town" for _, sid in got)
    why = got[("three-kingdoms", "wuhouci")]
    assert why.rule == "three-kingdoms/named-for-a-figure" and "武侯" in why.reason_zh
    assert "“武侯”" in why.reason_en and why.source == "src"
    assert "商周" in got[("shu-civilisation", "sanxingdui")].reason_en
    # curated names this small catalog lacks are warnings that suggest nothing wrong silently
    assert any("白帝城" in w for w in warnings)


def test_curated_entry_gets_its_own_source() -> None:
    cat = Catalog({"baidicheng": _site("baidicheng", "白帝城", "ancient_building", "明至清")})
    got = {(m.theme, m.site_id): m for m in evaluate(cat, load_rules(ONTOLOGY_DIR / RULES_FILE))}
    m = got[("three-kingdoms", "baidicheng")]
    assert m.rule == "three-kingdoms/curated" and "刘备" in m.reason_zh
    assert m.source.startswith("http") and m.source != "src"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "themes:\n  nope:\n    - id: a\n      when: {kind: [x]}\n"
            "      reason: {zh: 甲, en: a}\n",
            "not a concept of themes.ttl",
        ),
        (
            "themes:\n  three-kingdoms:\n    - id: a\n      when: {colour: [red]}\n"
            "      reason: {zh: 甲, en: a}\n",
            r"unknown condition\(s\) colour",
        ),
        (
            "themes:\n  three-kingdoms:\n    - id: a\n      sites:\n        - site: 武侯祠\n"
            "          reason: {zh: 甲, en: a}\n",
            "a curated entry needs a source",
        ),
        (
            "themes:\n  three-kingdoms:\n    - id: a\n      when: {kind: [x]}\n"
            "      reason: {zh: 甲}\n",
            "reason needs zh and en",
        ),
    ],
)
def test_bad_rules_are_reported_with_file_and_rule(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "theme_rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ThemeRuleError, match=message) as info:
        load_rules(path, known_themes=_theme_ids())
    assert info.value.problems[0].startswith("theme_rules.yaml")


@pytest.fixture(scope="module")
def real_graph() -> Graph:
    return build_graph(load_catalog(ROOT / "data" / "catalog"))


def test_every_theme_member_in_the_graph_carries_its_reason(real_graph: Graph) -> None:
    kg = graph_from_memory(real_graph)
    missing = kg.select(
        """SELECT ?site ?theme WHERE {
             ?site hr:theme ?theme .
             FILTER NOT EXISTS {
               ?m hr:member ?site ; hr:ofTheme ?theme ; hr:rule ?rule ;
                  hr:reason ?zh , ?en .
               FILTER (lang(?zh) = "zh" && lang(?en) = "en")
             }
           }"""
    )
    assert missing == []
    n = kg.select("SELECT (COUNT(?m) AS ?n) WHERE { ?m a hr:ThemeMembership }")[0].n
    assert n > 0


def test_catalog_lines_are_kept(real_graph: Graph) -> None:
    """The report's themed lines (sites.csv themes column) stay members, now with a reason."""
    kg = graph_from_memory(real_graph)
    from kg.queries import sites_by

    cat = load_catalog(ROOT / "data" / "catalog")
    for theme in ("stone-carving", "sichuan-opera", "folk-crafts", "food-eco", "classic"):
        listed = {s.id for s in cat.sites.values() if theme in s.themes}
        assert listed <= {s.id for s in sites_by(kg, theme=theme)}, theme


def test_cli_sites_by_theme_shows_the_reason(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "kg"
    res = runner.invoke(app, ["build", "--data-dir", str(FIX / "catalog"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    args = ["sites", "--theme", "川剧与非遗", "--graph", str(out / "graph.ttl"), "--format", "json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and all(r["rule"].startswith("intangible-heritage/") for r in rows)
    assert all(r["reason"] and r["reason_zh"] for r in rows)
