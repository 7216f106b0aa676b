"""Opening the default graph: a graph built from other catalog files is rebuilt or refused,
never served (a stale graph answered with sites the planner did not know: KeyError)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from kg import store
from kg.build import run_build
from kg.catalog.subset import copy_report_area_catalog


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _rename(cat: Path, site: str, name_en: str) -> None:
    path = cat / "sites.csv"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    (row,) = [r for r in rows if r["id"] == site]
    row["name_en"] = name_en
    _write(path, header, rows)


def _english_label(kg: store.KnowledgeGraph, site: str) -> str | None:
    rows = kg.select(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?label WHERE { ?s rdfs:label ?label . FILTER(lang(?label) = 'en') "
        f'FILTER(STRENDS(STR(?s), "/{site}")) }}'
    )
    return str(rows[0].label) if rows else None


@pytest.fixture
def graph_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A catalog of its own and a default graph folder of its own (artifacts/kg untouched)."""
    cat = copy_report_area_catalog(tmp_path / "data")
    out = tmp_path / "kg"
    monkeypatch.setenv("HERITAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HERITAGE_NLP_ARTIFACTS_DIR", str(tmp_path / "no-nlp"))
    monkeypatch.setattr("common.settings.KG_ARTIFACTS_DIR", out)
    monkeypatch.setattr(store, "DEFAULT_TTL", out / "graph.ttl")
    run_build(out_dir=out)
    return cat, out


def test_a_graph_built_from_other_catalog_files_is_refused_or_rebuilt(
    graph_env: tuple[Path, Path],
) -> None:
    cat, out = graph_env
    kg = store.open_graph(build_if_missing=False)
    assert _english_label(kg, "baodingshan") is not None
    assert store.catalog_changes() == []
    assert store.current_graph_digest() is not None

    _rename(cat, "baodingshan", "Baodingshan renamed")
    assert store.catalog_changes() == ["sites.csv"]
    assert store.current_graph_digest() is None
    with pytest.raises(store.StaleGraphError) as err:
        store.open_graph(build_if_missing=False)
    line = str(err.value)
    assert "\n" not in line and "sites.csv" in line and "heritage kg build" in line

    kg = store.open_graph()  # rebuilds from the files as they are now
    assert _english_label(kg, "baodingshan") == "Baodingshan renamed"
    assert store.catalog_changes() == []
    assert store.current_graph_digest() == store.sha256_file(out / "graph.ttl")


def test_only_files_the_build_reads_count(graph_env: tuple[Path, Path]) -> None:
    cat, _ = graph_env
    (cat / "notes.txt").write_text("not read by the build\n", encoding="utf-8")
    assert store.catalog_changes() == []
    (cat / "heritage_links.csv").unlink()
    assert store.catalog_changes() == ["heritage_links.csv"]
    with pytest.raises(store.StaleGraphError):
        store.open_graph(build_if_missing=False)


def test_an_explicit_path_is_opened_as_given(graph_env: tuple[Path, Path]) -> None:
    cat, out = graph_env
    _rename(cat, "baodingshan", "Baodingshan renamed")
    kg = store.open_graph(out / "graph.ttl", build_if_missing=False)
    assert _english_label(kg, "baodingshan") != "Baodingshan renamed"


SAMPLE = """@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:name "宝顶山"@zh, "Baodingshan"@en, "plain" ;
    ex:n 42 ; ex:x 1.50 ; ex:d 1e3 ; ex:ok true ;
    ex:when "2026-12-05"^^xsd:date ; ex:str "typed"^^xsd:string ;
    ex:part [ ex:label "blank" ; ex:next [ ex:label "nested" ] ] .
"""


def _rdflib_parse(path: Path) -> Any:
    from rdflib import Graph

    return Graph().parse(path, format="turtle")


def test_parse_turtle_gives_the_triples_rdflibs_parser_gives(
    tmp_path: Path, graph_env: tuple[Path, Path]
) -> None:
    from rdflib.compare import isomorphic

    for i, text in enumerate((SAMPLE, SAMPLE.replace(' ex:str "typed"^^xsd:string ;', ""))):
        sample = tmp_path / f"sample{i}.ttl"
        sample.write_text(text, encoding="utf-8")
        assert isomorphic(store.parse_turtle(sample), _rdflib_parse(sample))
    _, out = graph_env
    built = out / "graph.ttl"
    assert set(store.parse_turtle(built)) == set(_rdflib_parse(built))  # no blank nodes there


def test_parse_turtle_reports_a_bad_file_as_rdflib_does(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;; .\nex:d ex:e\n")
    with pytest.raises(Exception) as ours:
        store.parse_turtle(bad)
    with pytest.raises(Exception) as theirs:
        _rdflib_parse(bad)
    assert type(ours.value) is type(theirs.value)
