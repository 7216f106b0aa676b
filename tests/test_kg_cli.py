"""``heritage kg …`` commands, run through typer's CliRunner on the fixture catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli_kg import app

FIX = Path(__file__).parent / "fixtures" / "kg"
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kgcli")
    res = runner.invoke(
        app,
        ["build", "--data-dir", str(FIX / "catalog"), "--out", str(out), "--nlp", str(FIX / "nlp")],
    )
    assert res.exit_code == 0, res.output
    assert "SHACL conforms" in res.output and "keywords" in res.output
    return out / "graph.ttl"


def _json(args: list[str]) -> object:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_build_writes_all_outputs_and_skips_when_unchanged(built: Path) -> None:
    out = built.parent
    for name in ("graph.ttl", "graph.jsonld", "shacl_report.txt", "manifest.json"):
        assert (out / name).exists(), name
    res = runner.invoke(
        app,
        ["build", "--data-dir", str(FIX / "catalog"), "--out", str(out), "--nlp", str(FIX / "nlp")],
    )
    assert res.exit_code == 0 and "up to date" in res.output


def test_build_failure_is_reported_with_exit_code_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["build", "--data-dir", str(tmp_path), "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "sites.csv" in res.output


def test_validate(built: Path) -> None:
    res = runner.invoke(app, ["validate", "--graph", str(built)])
    assert res.exit_code == 0 and "conforms: yes" in res.stdout


def test_sites_json(built: Path) -> None:
    rows = _json(
        ["sites", "--theme", "石刻", "--area", "安岳", "--graph", str(built), "--format", "json"]
    )
    assert {r["id"] for r in rows} == {"yuanjuedong", "wofoyuan"}


def test_query_file_with_bound_parameter(built: Path) -> None:
    rq = str(FIX / "queries" / "sites_of_kind.rq")
    rows = _json(
        ["query", rq, "--bind", "kind=old_town", "--graph", str(built), "--format", "json"]
    )
    assert [r["label"] for r in rows] == ["雍溪古镇"]
    hostile = _json(
        [
            "query",
            rq,
            "--bind",
            'kind=x" } UNION { ?s ?p ?o } #',
            "--graph",
            str(built),
            "--format",
            "json",
        ]
    )
    assert hostile == []
    res = runner.invoke(app, ["query", rq, "--bind", "kind", "--graph", str(built)])
    assert res.exit_code == 2 and "NAME=VALUE" in res.output


def test_query_on_oxigraph(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERITAGE_KG_OXIGRAPH_DIR", str(tmp_path / "ox"))
    rq = str(FIX / "queries" / "sites_of_kind.rq")
    args = ["query", rq, "--bind", "kind=old_town", "--graph", str(built), "--format", "csv"]
    res = runner.invoke(app, [*args, "--store", "oxigraph"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "site,label,kind" and "雍溪古镇" in res.stdout


def test_explain_near_within_profile_similar_gems(built: Path) -> None:
    g = ["--graph", str(built)]
    conns = _json(["explain", "雍溪古镇", "振声基地", *g, "--format", "json"])
    assert any("chuanju" in c["nodes"] for c in conns)
    near = _json(["near", "振声基地", "--radius", "5", *g, "--format", "json"])
    assert ("chuanju_ziyanghe", "site") in {(r["item_id"], r["via"]) for r in near}
    within = _json(["within", "圆觉洞", "--radius", "2", *g, "--format", "json"])
    assert "zizhu_gongyuan" in {r["id"] for r in within}
    point = _json(["within", "29.7516,105.7855", "--radius", "1", *g, "--format", "json"])
    assert [r["id"] for r in point] == ["baodingshan"]
    prof = _json(["profile", "宝顶山", *g, "--format", "json"])
    assert prof["keywords"][0][0] == "千手观音"
    gems = _json(["gems", "宝顶山", *g, "--format", "json"])
    assert gems and all(r["popularity"] < r["popularity_of_reference"] for r in gems)
    res = runner.invoke(app, ["similar", "宝顶山", *g])
    assert res.exit_code == 0 and "beishan" in res.stdout
    res = runner.invoke(app, ["profile", "不存在的地方", *g])
    assert res.exit_code == 2 and "unknown name" in res.output
