"""The query API against known facts of the catalog, on both stores (memory and Oxigraph)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg import queries as Q  # noqa: N812
from kg import uris
from kg.build import build_graph, load_nlp_tables, serialize_turtle
from kg.catalog import load_catalog
from kg.store import KnowledgeGraph, QueryError, close_stores, open_graph

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "kg"
HOSTILE = [
    'stone-carving" } UNION { ?s ?p ?o } #',
    "安岳县' } UNION { ?site ?p ?o }",
    "} ; DROP ALL ; SELECT * WHERE {",
    '"""',
]


@pytest.fixture(scope="module")
def real_ttl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kg") / "graph.ttl"
    path.write_text(serialize_turtle(build_graph(load_catalog(ROOT / "data" / "catalog"))))
    return path


@pytest.fixture(scope="module")
def nlp_ttl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kgnlp") / "graph.ttl"
    g = build_graph(load_catalog(FIX / "catalog"), nlp=load_nlp_tables([FIX / "nlp"]))
    path.write_text(serialize_turtle(g))
    return path


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def kg(request: pytest.FixtureRequest, real_ttl: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp(f"ox-{request.param}")
    graph = open_graph(real_ttl, store=request.param, oxigraph_dir=folder)
    yield graph
    close_stores([folder])


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def kg_nlp(request: pytest.FixtureRequest, nlp_ttl: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp(f"oxn-{request.param}")
    graph = open_graph(nlp_ttl, store=request.param, oxigraph_dir=folder)
    yield graph
    close_stores([folder])


def ids(sites) -> set[str]:
    return {s.id for s in sites}


# ============================================================================ sites by theme/area


def test_stone_carving_sites_in_anyue(kg: KnowledgeGraph) -> None:
    got = ids(Q.sites_by(kg, theme="stone-carving", area="安岳县"))
    assert {"yuanjuedong", "wofoyuan", "xuanmiao_guan", "pilu_dong", "huayan_dong"} <= got
    assert "baodingshan" not in got and "kunfo_si" not in got  # 大足区 / 乐至县
    assert got == ids(Q.sites_by(kg, theme="石刻", area="安岳"))  # names resolve the same


def test_area_hierarchy(kg: KnowledgeGraph) -> None:
    anyue = ids(Q.sites_by(kg, area="安岳县"))
    ziyang = ids(Q.sites_by(kg, area="资阳市"))
    sichuan = ids(Q.sites_by(kg, area="四川省"))
    chongqing = ids(Q.sites_by(kg, area="重庆市"))
    assert anyue < ziyang <= sichuan
    assert {"kunfo_si", "zhensheng_chuanju_base"} <= ziyang - anyue
    assert "baodingshan" in chongqing and not chongqing & sichuan
    assert "bayueshan" in ids(Q.sites_by(kg, area="铜梁区"))  # straddles four districts


def test_sites_by_theme_only_and_kind(kg: KnowledgeGraph) -> None:
    opera = ids(Q.sites_by(kg, theme="sichuan-opera"))
    assert {"yongxi_guzhen", "zhensheng_chuanju_base", "lezhi_chuanjutuan"} <= opera
    carvings = Q.sites_by(kg, theme="stone-carving", kind="rock_carving")
    assert carvings and all(s.kind == "rock_carving" for s in carvings)


# ============================================================================ near / within


def test_heritage_at_the_zhensheng_base(kg: KnowledgeGraph) -> None:
    res = Q.heritage_near(kg, "振声川剧", radius_km=5)
    at_site = {(h.item_id, h.relation) for h in res.items if h.via == "site"}
    assert ("chuanju_ziyanghe", "experiencedAt") in at_site
    by_area = {h.item_id for h in res.items if h.via == "area"}
    assert {"dongfeng_jianzhi", "linjiangsi_douban"} <= by_area  # 雁江区 items
    assert all(h.source for h in res.items)


def test_food_and_opera_near_sites(kg: KnowledgeGraph) -> None:
    yx = Q.heritage_near(kg, "雍溪古镇", radius_km=1)
    assert ("chuanju", "site") in {(h.item_id, h.via) for h in yx.items}
    lemon = Q.heritage_near(kg, "宝森柠檬旅游区", radius_km=1)
    foods = {h.item_id for h in lemon.foods()}
    assert {"anyue_ningmeng", "shangxin_liangfen"} <= foods
    assert "chuanju" not in {h.item_id for h in lemon.items}  # province-level only by default
    wide = Q.heritage_near(kg, "宝森柠檬旅游区", radius_km=1, include_province=True)
    assert "chuanju" in {h.item_id for h in wide.items}


def test_experience_bases_near_yuanjuedong(kg: KnowledgeGraph) -> None:
    res = Q.heritage_near(kg, "圆觉洞", radius_km=5)
    assert "anyue_wenhuaguan_ich_base" in {b.site.id for b in res.bases}
    near = {h.item_id for h in res.items if h.via == "nearby"}
    assert "anyue_shike_gongyi" in near  # experienced at the 文化馆 base nearby


def test_sites_within(kg: KnowledgeGraph) -> None:
    res = Q.sites_within(kg, "圆觉洞", 1.0)
    by_id = {n.site.id: n for n in res}
    assert by_id["zizhu_gongyuan"].documented_km == pytest.approx(0.36)
    assert by_id["zizhu_gongyuan"].documented_kind == "seed-table"
    assert "yuanjuedong" not in by_id and "baodingshan" not in by_id
    assert [n.km for n in res] == sorted(n.km for n in res)
    assert all(n.straight_km is None or n.straight_km <= 1.0 or n.documented_km for n in res)
    wider = {n.site.id for n in Q.sites_within(kg, "圆觉洞", 30.0)}
    assert set(by_id) <= wider and "xuanmiao_guan" in wider  # 16.2 km away
    point = {n.site.id for n in Q.sites_within(kg, (29.7516, 105.7855), 2.0)}
    assert "baodingshan" in point and "dazu_museum" in point
    with pytest.raises(ValueError):
        Q.sites_within(kg, "圆觉洞", -1)


def test_unlocated_site_uses_documented_distances_only(kg: KnowledgeGraph) -> None:
    assert Q.sites_within(kg, "宝森柠檬旅游区", 50) == []


# ============================================================================ profile, similar


def test_site_profile(kg: KnowledgeGraph) -> None:
    p = Q.site_profile(kg, "宝顶山")
    assert p.site.id == "baodingshan"
    assert [a[0] for a in p.areas] == ["chongqing.dazu", "chongqing"]
    assert any("UNESCO" in d for d in p.facts["designation"])
    assert "stone-carving" in p.facts["theme"]
    assert ("baoding_xianghui", "heldAt") in {(h.item_id, h.relation) for h in p.heritage}
    assert p.keywords == [] and p.topics == []  # the real build has no NLP artifacts here


def test_similar_sites_and_hidden_gems(kg: KnowledgeGraph) -> None:
    sim = Q.similar_sites(kg, "宝顶山", top_k=5)
    assert sim and sim[0].score >= sim[-1].score
    assert "beishan" in {s.site.id for s in sim}
    gems = Q.hidden_gems(kg, "宝顶山", top_k=10, min_score=0.3)
    assert gems
    for g in gems:
        assert g.popularity < g.reference_popularity
        assert g.popularity_method == "designation-level"
        assert g.score >= 0.3 and g.site.kind != "town"
    assert "beishan" not in {g.site.id for g in gems}  # also World Heritage: not less visited


def test_profile_with_nlp_artifacts(kg_nlp: KnowledgeGraph) -> None:
    p = Q.site_profile(kg_nlp, "baodingshan")
    assert p.keywords[0] == ("千手观音", 5.5)
    assert p.area_keywords["chongqing.dazu"][1] == ("石刻", pytest.approx(16.651894))
    assert {t["topic"] for t in p.topics} == {"0"}
    assert {s["aspect"] for s in p.sentiment} == {"crowding", "scenery", "overall"}
    assert p.site.popularity == 120 and p.site.popularity_method == "corpus-mentions"


def test_hidden_gems_by_corpus_mentions(kg_nlp: KnowledgeGraph) -> None:
    gems = Q.hidden_gems(kg_nlp, "baodingshan", min_score=0.3)
    assert [g.site.id for g in gems][:2] == ["beishan", "yuanjuedong"]
    assert all(g.popularity_method == "corpus-mentions" for g in gems)
    assert all(g.popularity < 120 for g in gems)
    methods = {s.method for s in Q.similar_sites(kg_nlp, "baodingshan", top_k=10)}
    assert "nlp: tfidf+topic cosine (combined)" in methods


# ============================================================================ explanations


def test_chuanju_connects_yongxi_and_the_zhensheng_base(kg: KnowledgeGraph) -> None:
    conns = Q.explain_connection(kg, "雍溪古镇", "振声川剧非遗体验基地", max_paths=8)
    assert conns and conns[0].nodes[0] == "yongxi_guzhen"
    assert all(c.nodes[-1] == "zhensheng_chuanju_base" for c in conns)
    assert [c.cost for c in conns] == sorted(c.cost for c in conns)
    via_item = [c for c in conns if "chuanju" in c.nodes]
    assert via_item, [c.text() for c in conns]
    path = via_item[0]
    assert "chuanju_ziyanghe" in path.nodes
    assert "传承于" in path.text() and "体验于" in path.text()
    assert "川剧" in conns[0].labels  # the cheapest path goes through 川剧 (theme or item)


def test_anyue_and_dazu_meet_at_stone_carving_keyword(kg_nlp: KnowledgeGraph) -> None:
    plain = Q.explain_connection(kg_nlp, "安岳县", "大足区", max_paths=5)
    with_kw = Q.explain_connection(kg_nlp, "安岳县", "大足区", max_paths=5, include_keywords=True)
    assert all("石刻" not in c.labels for c in plain)
    assert any("石刻" in c.labels for c in with_kw)


def test_unknown_and_ambiguous_names(kg: KnowledgeGraph) -> None:
    with pytest.raises(Q.UnknownEntityError, match="did you mean"):
        Q.sites_by(kg, area="安悦县城区")
    with pytest.raises(Q.UnknownEntityError):
        Q.site_profile(kg, "四川省")  # an area, not a site
    assert Q.resolve(kg, "安岳县").kind == "area"  # the area's own label beats a town's alias
    assert Q.resolve(kg, "安岳县", kinds=("site",)).id == "anyue_town"
    assert Q.resolve(kg, "宝頂山").id == "baodingshan"  # traditional characters


# ============================================================================ hostile parameters


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_are_only_names(kg: KnowledgeGraph, hostile: str) -> None:
    with pytest.raises(Q.UnknownEntityError):
        Q.sites_by(kg, theme=hostile)
    with pytest.raises(Q.UnknownEntityError):
        Q.sites_by(kg, area=hostile)
    with pytest.raises(Q.UnknownEntityError):
        Q.heritage_near(kg, hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_bound_literal_cannot_change_a_query(kg: KnowledgeGraph, hostile: str) -> None:
    legit = kg.select("sites_by_theme", {"theme": uris.theme_uri("stone-carving")})
    assert len(legit) > 5
    assert kg.select("sites_by_theme", {"theme": Literal(hostile)}) == []
    text = "SELECT ?site ?kind WHERE { ?site hr:siteKind ?kind }"
    assert kg.select(text, {"kind": Literal(hostile)}) == []
    assert len(kg.select(text, {"kind": Literal("rock_carving")})) > 10
    rows = kg.select(
        "hidden_gems", {"site": uris.site_uri("baodingshan"), "min_score": Literal(hostile)}
    )
    assert rows == []  # a string compared with numbers matches nothing


def test_hostile_iri_cannot_change_a_query(kg: KnowledgeGraph) -> None:
    bad = URIRef("https://w3id.org/heritage-routes/id/site/x> } UNION { ?s ?p ?o } #")
    try:
        rows = kg.select("heritage_at_site", {"site": bad})
    except QueryError:
        return  # Oxigraph refuses an invalid IRI outright
    assert rows == []


def test_bindings_must_be_rdf_terms(kg: KnowledgeGraph) -> None:
    with pytest.raises(TypeError):
        kg.select("sites_by_theme", {"theme": "stone-carving"})  # type: ignore[dict-item]


# ============================================================================ researchers' files


def test_run_query_file_with_bindings(kg: KnowledgeGraph) -> None:
    variables, rows = Q.run_query_file(kg, FIX / "queries" / "sites_of_kind.rq", {"kind": "temple"})
    assert variables == ["site", "label", "kind"]
    assert {r["site"].rsplit("/", 1)[1] for r in rows} >= {"mumen_si", "chaoyangdong"}
    _, none = Q.run_query_file(kg, FIX / "queries" / "sites_of_kind.rq", {"kind": HOSTILE[0]})
    assert none == []
    with pytest.raises(QueryError, match="SELECT clause"):
        Q.run_query_file(kg, FIX / "queries" / "unprojected.rq", {"kind": "temple"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("site:baodingshan", uris.site_uri("baodingshan")),
        ("<https://example.org/x>", URIRef("https://example.org/x")),
        ("hr:Site", URIRef("https://w3id.org/heritage-routes/ontology#Site")),
        ("42", Literal("42", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))),
        ('"石刻"@zh', Literal("石刻", lang="zh")),
        ('x" } UNION {', Literal('x" } UNION {')),
    ],
)
def test_parse_binding(text: str, expected: object) -> None:
    assert Q.parse_binding(text) == expected


# ============================================================================ both stores agree


def test_both_stores_give_the_same_answers(real_ttl: Path, tmp_path: Path) -> None:
    mem = open_graph(real_ttl, store="memory")
    ox = open_graph(real_ttl, store="oxigraph", oxigraph_dir=tmp_path / "ox")
    try:
        for fn in (
            lambda g: [s.id for s in Q.sites_by(g, theme="stone-carving", area="资阳市")],
            lambda g: [(n.site.id, n.documented_km) for n in Q.sites_within(g, "圆觉洞", 20)],
            lambda g: [(h.item_id, h.via, h.via_id) for h in Q.heritage_near(g, "宝顶山").items],
            lambda g: [(s.site.id, s.score) for s in Q.hidden_gems(g, "卧佛院")],
            lambda g: [c.nodes for c in Q.explain_connection(g, "川剧", "雍溪古镇")],
        ):
            assert fn(mem) == fn(ox)
    finally:
        close_stores([tmp_path / "ox"])


def test_oxigraph_store_is_persistent_and_reloads_on_change(real_ttl: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ox"
    first = open_graph(real_ttl, store="oxigraph", oxigraph_dir=folder)
    n = len(first)
    marker = (folder / "loaded_from.sha256").read_text().strip()
    del first
    close_stores([folder])
    gc.collect()  # releases the RocksDB lock, as a new process would
    again = open_graph(real_ttl, store="oxigraph", oxigraph_dir=folder)
    assert len(again) == n and (folder / "loaded_from.sha256").read_text().strip() == marker
    smaller = tmp_path / "small.ttl"
    smaller.write_text(serialize_turtle(build_graph(load_catalog(FIX / "catalog"))))
    third = open_graph(smaller, store="oxigraph", oxigraph_dir=folder)
    assert len(third) < n
    close_stores([folder])


def test_store_selected_by_environment(
    real_ttl: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HERITAGE_KG_STORE", "oxigraph")
    monkeypatch.setenv("HERITAGE_KG_OXIGRAPH_DIR", str(tmp_path / "envox"))
    g = open_graph(real_ttl)
    assert g.backend == "oxigraph"
    close_stores([tmp_path / "envox"])
    monkeypatch.setenv("HERITAGE_KG_STORE", "neo4j")
    with pytest.raises(ValueError, match="HERITAGE_KG_STORE"):
        open_graph(real_ttl)
