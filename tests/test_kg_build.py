"""Building the knowledge graph: shapes, broken rows, determinism, provenance, NLP inputs."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, PROV, RDF, RDFS

from kg import uris
from kg.build import (
    KGBuildError,
    NlpTables,
    build_graph,
    classify_designation,
    classify_item_level,
    load_nlp_tables,
    run_build,
    serialize_jsonld,
    serialize_turtle,
)
from kg.catalog import load_catalog
from kg.namespaces import GEO, HR, HRID, WGS, WIKIDATA
from kg.validate import ShaclViolationError, validate_graph

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "kg"
CATALOG = FIX / "catalog"
NLP = FIX / "nlp"


def _copy_catalog(tmp_path: Path) -> Path:
    dst = tmp_path / "catalog"
    shutil.copytree(CATALOG, dst)
    return dst


def _edit_site(catalog_dir: Path, site_id: str, **changes: str) -> None:
    path = catalog_dir / "sites.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["id"] == site_id for r in rows)
    for r in rows:
        if r["id"] == site_id:
            r.update(changes)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _append_link(catalog_dir: Path, row: str) -> None:
    with (catalog_dir / "heritage_links.csv").open("a", encoding="utf-8") as fh:
        fh.write(row + "\n")


@pytest.fixture(scope="module")
def fixture_graph() -> Graph:
    return build_graph(load_catalog(CATALOG))


@pytest.fixture(scope="module")
def nlp_graph() -> tuple[Graph, list[str]]:
    warnings: list[str] = []
    g = build_graph(load_catalog(CATALOG), nlp=load_nlp_tables([NLP]), warnings=warnings)
    return g, warnings


# ============================================================================ shapes


def test_fixture_graph_conforms_with_one_documented_gap(fixture_graph: Graph) -> None:
    report = validate_graph(fixture_graph)
    assert report.conforms, report.text
    warnings = [i for i in report.issues if i.severity == "Warning"]
    assert [w.focus for w in warnings] == ["site/baosen_ningmeng"]
    assert "宝森柠檬旅游区" in report.text


def test_real_catalog_builds_and_conforms() -> None:
    g = build_graph(load_catalog(ROOT / "data" / "catalog"))
    report = validate_graph(g)
    assert report.conforms, report.text
    sites = set(g.subjects(RDF.type, HR.Site))
    assert len(sites) >= 30
    # no Wikidata id is recorded in the catalog, so no sameAs may appear
    assert not list(g.triples((None, OWL.sameAs, None)))


def test_every_site_kind_has_an_ontology_class() -> None:
    """Each catalog kind maps to a class the ontology declares (no fallback warnings)."""
    from kg.build.builder.places import SITE_KIND_CLASSES
    from kg.catalog.model import SITE_KINDS

    assert set(SITE_KINDS) == set(SITE_KIND_CLASSES)
    onto = Graph().parse(ROOT / "data" / "ontology" / "heritage-routes.ttl")
    for kind, classes in SITE_KIND_CLASSES.items():
        assert (classes[0], RDF.type, OWL.Class) in onto, kind
        assert (classes[0], RDFS.label, None) in onto, kind


def test_site_without_coordinates_fails_naming_it(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _edit_site(
        cat,
        "beishan",
        lat="",
        lon="",
        coord_confidence="",
        coord_uncertainty_km="",
        coord_method="",
        coord_source="",
    )
    out = tmp_path / "out"
    with pytest.raises(ShaclViolationError) as exc:
        run_build(cat, out, nlp_paths=[])
    msg = str(exc.value)
    assert "site/beishan (北山摩崖造像)" in msg
    assert "no coordinates" in msg
    assert not (out / "graph.ttl").exists()
    assert "site/beishan" in (out / "shacl_report.txt").read_text(encoding="utf-8")


def test_site_without_coordinates_but_documented_reason_is_a_warning(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _edit_site(
        cat,
        "beishan",
        lat="",
        lon="",
        coord_confidence="",
        coord_uncertainty_km="",
        coord_method="no coordinate: test",
    )
    report = validate_graph(build_graph(load_catalog(cat)))
    assert report.conforms
    assert {i.focus for i in report.issues} == {"site/beishan", "site/baosen_ningmeng"}


def test_heritage_item_pointing_at_unknown_site_fails(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _append_link(cat, "chuanju,no_such_site,,,performed_at,test source")
    g = build_graph(load_catalog(cat))
    report = validate_graph(g)
    assert not report.conforms
    bad = [i for i in report.violations if i.focus == "heritage/chuanju"]
    assert bad and bad[0].value == "site/no_such_site"
    assert "not in the catalog" in bad[0].message
    assert "川剧" in report.text


def test_link_naming_unknown_item_fails(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _append_link(cat, "no_such_item,yongxi_guzhen,,,practised_at,test source")
    report = validate_graph(build_graph(load_catalog(cat)))
    assert not report.conforms
    assert any(
        i.focus.startswith("link/no_such_item") and "heritage_items.csv" in i.message
        for i in report.violations
    ), report.text


def test_unknown_county_fails_before_validation(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _edit_site(cat, "beishan", county="某某区")
    with pytest.raises(KGBuildError, match=r"site 'beishan': unknown county '某某区'"):
        build_graph(load_catalog(cat))


def test_county_in_wrong_province_fails(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _edit_site(cat, "beishan", province="四川省", city="资阳市")
    with pytest.raises(KGBuildError, match=r"county '大足区' is not in province '四川省'"):
        build_graph(load_catalog(cat))


def test_bad_link_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _append_link(cat, "chuanju,yongxi_guzhen,,,sung_at,test")
    _append_link(cat, "chuanju,,安岳县,,practised_at,test")
    with pytest.raises(KGBuildError) as exc:
        build_graph(load_catalog(cat))
    text = str(exc.value)
    assert "heritage_links.csv:" in text
    assert "unknown relation 'sung_at'" in text
    assert "needs exactly the site_id column filled (got: area)" in text


def test_wikidata_same_as_only_from_the_catalog(tmp_path: Path) -> None:
    cat = _copy_catalog(tmp_path)
    _edit_site(cat, "beishan", wikidata="Q123456 (source: test fixture)")
    g = build_graph(load_catalog(cat))
    assert (uris.site_uri("beishan"), OWL.sameAs, WIKIDATA["Q123456"]) in g
    assert len(list(g.triples((None, OWL.sameAs, None)))) == 1
    _edit_site(cat, "beishan", wikidata="see Wikipedia")
    with pytest.raises(KGBuildError, match="bad wikidata value"):
        build_graph(load_catalog(cat))


# ============================================================================ content


def test_iris_are_ascii_and_minted_from_ids(fixture_graph: Graph) -> None:
    for node in {n for t in fixture_graph for n in t if isinstance(n, URIRef)}:
        text = str(node)
        assert text.isascii(), text
        if text.startswith(str(HRID)):
            for seg in text[len(str(HRID)) :].split("/"):
                assert uris.ID_RE.match(seg), text


def test_labels_are_language_tagged(fixture_graph: Graph) -> None:
    for site in fixture_graph.subjects(RDF.type, HR.Site):
        labels = list(fixture_graph.objects(site, RDFS.label))
        assert [lab.language for lab in labels].count("zh") == 1, site
        assert all(isinstance(lab, Literal) and lab.language in {"zh", "en"} for lab in labels)
    yx = uris.site_uri("yongxi_guzhen")
    assert Literal("雍溪古镇", lang="zh") in set(fixture_graph.objects(yx, RDFS.label))


def test_coordinates_carry_confidence_and_approximation(fixture_graph: Graph) -> None:
    g = fixture_graph
    geom = uris.geometry_uri("baodingshan")
    assert (uris.site_uri("baodingshan"), GEO.hasGeometry, geom) in g
    assert str(g.value(geom, HR.coordinateConfidence)) == "medium"
    assert g.value(geom, HR.isApproximate).toPython() is False
    wkt = str(g.value(geom, GEO.asWKT))
    assert wkt.endswith("POINT(105.7855 29.7516)")
    approx = uris.geometry_uri("yongxi_guzhen")
    assert g.value(approx, HR.isApproximate).toPython() is True
    assert g.value(approx, HR.coordinateMethod) is not None
    assert float(g.value(uris.site_uri("baodingshan"), WGS.lat)) == pytest.approx(29.7516)


def test_derived_statements_have_provenance(nlp_graph: tuple[Graph, list[str]]) -> None:
    g, _ = nlp_graph
    for cls in (HR.Similarity, HR.PopularityEstimate, HR.KeywordWeight, HR.Topic):
        nodes = list(g.subjects(RDF.type, cls))
        assert nodes, cls
        for n in nodes:
            act = g.value(n, PROV.wasGeneratedBy)
            assert (act, RDF.type, PROV.Activity) in g, n
            json.loads(str(g.value(act, HR.parameters)))
            assert list(g.objects(act, PROV.used)), act
    gc = [
        d
        for d in g.subjects(RDF.type, HR.Distance)
        if str(g.value(d, HR.distanceKind)) == "great-circle"
    ]
    assert gc and all(g.value(d, PROV.wasGeneratedBy) is not None for d in gc)


def test_heritage_links_are_qualified_with_sources(fixture_graph: Graph) -> None:
    g = fixture_graph
    item, base = uris.heritage_uri("chuanju_ziyanghe"), uris.site_uri("zhensheng_chuanju_base")
    assert (item, HR.experiencedAt, base) in g
    links = [n for n in g.subjects(HR.item, item) if g.value(n, HR.target) == base]
    assert len(links) == 1
    assert "表 4" in str(g.value(links[0], URIRef("http://purl.org/dc/terms/source")))


@pytest.mark.parametrize(
    ("text", "level", "year", "batch"),
    [
        ("UNESCO World Heritage 1999 (Dazu Rock Carvings)", "WorldHeritage", 1999, None),
        ("全国重点文物保护单位 第三批 1988-01-13 (编号3-50)", "NationalLevel", 1988, 3),
        ("全国重点文物保护单位 1996 (第四批)", "NationalLevel", 1996, 4),
        ("四川省文保 1956, later 重庆市级", "ProvincialLevel", 1956, None),
        ("国家AAAA级旅游景区", "ScenicAreaRating", None, None),
        ("'重庆小十景' (巴岳游龙)", "OtherTitle", None, None),
    ],
)
def test_classify_designation(text: str, level: str, year: int | None, batch: int | None) -> None:
    got = classify_designation(text)
    assert (str(got[0]).rsplit("#", 1)[1], got[1], got[2]) == (level, year, batch)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("national", "NationalLevel"),
        ("provincial (Sichuan 6th batch); city-level 2018", "ProvincialLevel"),
        ("Chongqing municipal (described as '大足区市级非遗项目')", "ProvincialLevel"),
        ("安岳武台演战高狮: 资阳市级 2018; 双桥狮舞 level not verified", "PrefectureLevel"),
        ("NOT VERIFIED", "UnverifiedLevel"),
        ("none found", "UnverifiedLevel"),
        ("", "UnverifiedLevel"),
    ],
)
def test_classify_item_level(text: str, level: str) -> None:
    assert str(classify_item_level(text)).rsplit("#", 1)[1] == level


def test_hostile_ids_cannot_become_iris() -> None:
    for bad in ['x" } UNION { ?s ?p ?o }', "宝顶山", "a b", "../x", "X", ""]:
        with pytest.raises(ValueError):
            uris.site_uri(bad)
    assert uris.term_uri("石刻") == uris.term_uri("石刻 ")
    assert str(uris.term_uri("石刻")).isascii()


# ============================================================================ determinism


def test_build_twice_gives_identical_turtle_and_jsonld(fixture_graph: Graph) -> None:
    again = build_graph(load_catalog(CATALOG))
    assert serialize_turtle(again) == serialize_turtle(fixture_graph)
    assert serialize_jsonld(again) == serialize_jsonld(fixture_graph)


def test_turtle_round_trip_is_identical(nlp_graph: tuple[Graph, list[str]]) -> None:
    g, _ = nlp_graph
    ttl = serialize_turtle(g)
    reloaded = Graph().parse(data=ttl, format="turtle")
    assert serialize_turtle(reloaded) == ttl
    from_jsonld = Graph().parse(data=serialize_jsonld(g), format="json-ld")
    assert isomorphic(from_jsonld, g)


def test_run_build_is_byte_identical_across_processes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    run_build(CATALOG, a, nlp_paths=[NLP])
    code = (
        "import sys; from kg.build import run_build; "
        "run_build(sys.argv[1], sys.argv[2], nlp_paths=[sys.argv[3]])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", code, str(CATALOG), str(b), str(NLP)],
        check=True,
        cwd=ROOT,
        env=env,
    )
    for name in ("graph.ttl", "graph.jsonld", "shacl_report.txt"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_run_build_skips_unchanged_inputs_and_rebuilds_on_change(tmp_path: Path) -> None:
    cat, out = _copy_catalog(tmp_path), tmp_path / "out"
    first = run_build(cat, out, nlp_paths=[])
    assert first.rebuilt and (out / "graph.ttl").exists() and (out / "graph.jsonld").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["sites.csv"] and manifest["conforms"] is True
    assert run_build(cat, out, nlp_paths=[]).rebuilt is False
    _append_link(cat, "anyue_ningmeng,,乐至县,,originates_in,test source")
    third = run_build(cat, out, nlp_paths=[])
    assert third.rebuilt
    assert "乐至县" in (out / "graph.ttl").read_text(encoding="utf-8") or third.triples > 0
    (out / "graph.ttl").write_text("tampered", encoding="utf-8")
    assert run_build(cat, out, nlp_paths=[]).rebuilt  # outputs no longer match the manifest


# ============================================================================ NLP inputs


def test_nlp_pipeline_artifacts_are_read(nlp_graph: tuple[Graph, list[str]]) -> None:
    g, warnings = nlp_graph
    dazu = uris.area_uri("chongqing.dazu")
    weights = {
        str(g.value(g.value(kw, HR["term"]), RDFS.label)): float(g.value(kw, HR.weight))
        for kw in g.subjects(HR.subject, dazu)
        if (kw, RDF.type, HR.KeywordWeight) in g
    }
    assert weights["石刻"] == pytest.approx(16.651894)
    pop = g.value(uris.site_uri("baodingshan"), HR.popularity)
    assert str(g.value(pop, HR.method)) == "corpus-mentions"
    assert float(g.value(pop, HR.popularityScore)) == 120
    assert any("某无名景点" in w for w in warnings)
    assert not any("'*'" in w or " * " in w for w in warnings)  # corpus-wide rows are not sites
    acts = [a for a in g.subjects(RDF.type, PROV.Activity) if "nlp.keywords" in str(a)]
    params = json.loads(str(g.value(acts[0], HR.parameters)))
    assert params["artifact_key"] == "1111aaaa2222bbbb"
    assert params["corpus"] == {"artifact_key": "c0ffee00c0ffee00"}


def test_nlp_tables_as_plain_dataframes() -> None:
    tables = NlpTables(
        keywords=pd.DataFrame(
            {"site_or_destination": ["宝顶山", "安岳"], "term": ["石刻", "柠檬"], "weight": [2, 1]}
        ),
        similar=pd.DataFrame({"site_a": ["beishan"], "site_b": ["wofoyuan"], "score": [0.9]}),
    )
    g = build_graph(load_catalog(CATALOG), nlp=tables)
    assert validate_graph(g).conforms
    subjects = {g.value(kw, HR.subject) for kw in g.subjects(RDF.type, HR.KeywordWeight)}
    assert subjects == {uris.site_uri("baodingshan"), uris.area_uri("sichuan.ziyang.anyue")}
    methods = {str(g.value(s, HR.method)) for s in g.subjects(RDF.type, HR.Similarity)}
    assert "nlp: nlp text similarity" in methods
    pop = g.value(uris.site_uri("baodingshan"), HR.popularity)
    assert str(g.value(pop, HR.method)) == "designation-level"  # no document counts given


def test_nlp_table_missing_a_column_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "sentiment.csv"
    bad.write_text("site,score\nbeishan,0.5\n", encoding="utf-8")
    with pytest.raises(KGBuildError, match=r"'sentiment' lacks column\(s\) aspect"):
        load_nlp_tables([bad])


def test_build_key_covers_the_catalog_package() -> None:
    """The graph's code hash reads the kg modules the build relies on, packages included (it
    named ``catalog.py`` after the module became ``kg/catalog/`` and silently skipped it)."""
    from kg.build.inputs import _code_files

    names = {p.relative_to(ROOT).as_posix() for p in _code_files()}
    assert {"kg/catalog/model.py", "kg/catalog/loading.py", "kg/names.py"} <= names
    assert all((ROOT / n).is_file() for n in names)
