"""The foundation package: settings read the environment at call time, every project error
has one root, hashes and atomic writers behave, the CLI boundary separates user errors from
bugs."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from common import artifacts, settings
from common.errors import HeritageError, UserError
from planner.cli_boundary import BoundaryGroup


def test_settings_follow_the_environment_at_call_time(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HERITAGE_DATA_DIR", raising=False)
    assert settings.catalog_dir() == settings.PROJECT_ROOT / "data" / "catalog"
    monkeypatch.setenv("HERITAGE_DATA_DIR", str(tmp_path))
    assert settings.catalog_dir() == tmp_path / "catalog"
    monkeypatch.setenv("HERITAGE_KG_OXIGRAPH_DIR", str(tmp_path / "ox"))
    assert settings.kg_oxigraph_dir() == tmp_path / "ox"
    monkeypatch.setenv("HERITAGE_NLP_ARTIFACTS_DIR", str(tmp_path / "nlp"))
    assert settings.nlp_artifacts_dir() == tmp_path / "nlp"
    monkeypatch.setenv("HERITAGE_KG_STORE", " Oxigraph ")
    assert settings.kg_store() == "oxigraph"
    monkeypatch.setenv("HERITAGE_KG_STORE", "neo4j")
    with pytest.raises(UserError, match="HERITAGE_KG_STORE"):
        settings.kg_store()


def test_every_heritage_variable_the_code_reads_is_documented_in_settings() -> None:
    doc = settings.__doc__ or ""
    seen: set[str] = set()
    for pkg in ("common", "kg", "nlp", "routing", "planner"):
        for f in (settings.PROJECT_ROOT / pkg).rglob("*.py"):
            seen.update(re.findall(r"HERITAGE_[A-Z0-9_]*[A-Z0-9]", f.read_text(encoding="utf-8")))
    assert "HERITAGE_DATA_DIR" in seen
    missing = sorted(n for n in seen if n not in doc)
    assert not missing, f"not documented in common/settings.py: {missing}"


def test_project_errors_share_one_root() -> None:
    from kg.build import KGBuildError
    from kg.catalog import CatalogError, UnknownLineError, UnknownSiteError
    from kg.geocode import GeocodeError
    from kg.queries import UnknownEntityError
    from kg.store import QueryError
    from kg.validate import ShaclViolationError
    from nlp.errors import ConfigError, IngestError, LexiconError, NlpError
    from nlp.survey import SurveyError
    from planner.export import BrandError, ExportError
    from planner.service import PlanError
    from planner.themes import ThemeError
    from planner.traveltimes import TravelTimesError
    from routing.distances import DisconnectedError, MissingCoordinatesError, RoutingError

    for cls in (
        KGBuildError,
        CatalogError,
        UnknownLineError,
        UnknownSiteError,
        GeocodeError,
        UnknownEntityError,
        QueryError,
        ShaclViolationError,
        ConfigError,
        IngestError,
        LexiconError,
        NlpError,
        BrandError,
        ExportError,
        PlanError,
        SurveyError,
        ThemeError,
        TravelTimesError,
        DisconnectedError,
        MissingCoordinatesError,
        RoutingError,
    ):
        assert issubclass(cls, UserError), cls
        assert issubclass(cls, HeritageError), cls
    from planner.i18n import CatalogueError

    assert issubclass(CatalogueError, HeritageError)  # a packaging mistake, not user input
    # the built-in bases callers relied on are kept
    assert issubclass(CatalogError, ValueError)
    assert issubclass(UnknownSiteError, LookupError)


def test_hashes(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"x" * 3_000_000)
    assert artifacts.sha256_file(f) == hashlib.sha256(f.read_bytes()).hexdigest()
    assert artifacts.sha256_bytes(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert artifacts.hash_params({"b": 1, "a": Path("x")}) == artifacts.hash_params(
        {"a": "x", "b": 1}
    )
    g = tmp_path / "m.py"
    g.write_text("x = 1\n")
    h1 = artifacts.code_hash([g])
    g.write_text("x = 2\n")
    assert artifacts.code_hash([g]) != h1


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    artifacts.atomic_write_json(target, {"a": "宝顶山"})
    artifacts.atomic_write_json(target, {"a": 2})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": 2}
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_atomic_path_removes_the_temporary_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), artifacts.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_stale_temporaries_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    dead = tmp_path / ".out.txt.999999999-abc.tmp"  # no such process id
    dead.write_text("left by a killed run")
    alive = tmp_path / f".out.txt.{os.getpid()}-abc.tmp"
    alive.write_text("being written right now")
    other = tmp_path / ".hidden.txt"
    other.write_text("not ours")
    artifacts.atomic_write_text(tmp_path / "out.txt", "new")
    assert not dead.exists()
    assert alive.exists() and other.exists()


def test_atomic_files_write_the_manifest_last(tmp_path: Path) -> None:
    with artifacts.atomic_files(tmp_path) as files:
        files["manifest.json"] = "{}"
        files["graph.ttl"] = "data"
    assert (tmp_path / "graph.ttl").read_text() == "data"
    before = (tmp_path / "manifest.json").stat().st_mtime_ns
    assert before >= (tmp_path / "graph.ttl").stat().st_mtime_ns


def test_build_artifact_and_latest(tmp_path: Path) -> None:
    with artifacts.build_artifact(tmp_path, "stage", "k1", params={"p": 1}, inputs={}) as (
        folder,
        results,
    ):
        (folder / "t.csv").write_text("a\n")
        results["rows"] = 1
    found = artifacts.find_artifact(tmp_path, "stage", "k1")
    assert found is not None and (found / "t.csv").exists()
    assert artifacts.load_manifest(found)["results"] == {"rows": 1}
    assert artifacts.latest_artifact("stage", tmp_path) == found
    with (
        pytest.raises(RuntimeError),
        artifacts.build_artifact(tmp_path, "stage", "k2", params={}, inputs={}),
    ):
        raise RuntimeError("crash")
    assert artifacts.find_artifact(tmp_path, "stage", "k2") is None
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == ["k1"]


# ---------------------------------------------------------------------------- CLI boundary

_app = typer.Typer(cls=BoundaryGroup, add_completion=False, pretty_exceptions_enable=False)


@_app.command("user")
def _user() -> None:
    raise UserError("the name 'x' is unknown")


@_app.command("bug")
def _bug() -> None:
    raise ValueError("a bug in the code")


@_app.command("missing")
def _missing() -> None:
    open("/nonexistent/heritage-file.csv")  # noqa: SIM115


def test_the_boundary_shows_user_errors_and_lets_bugs_through() -> None:
    runner = CliRunner()
    res = runner.invoke(_app, ["user"])
    assert res.exit_code == 2
    assert "error: the name 'x' is unknown" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(_app, ["missing"])
    assert res.exit_code == 2
    assert "/nonexistent/heritage-file.csv" in res.output
    res = runner.invoke(_app, ["bug"])
    assert res.exit_code == 1
    assert isinstance(res.exception, ValueError)
