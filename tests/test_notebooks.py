"""The researchers' notebooks: they run end to end with small parameters, keep their parameters
in one tagged cell, hold no logic of their own, and are committed without outputs.

Parameters are injected papermill-style: a cell tagged ``injected-parameters`` is inserted after
the cell tagged ``parameters``, and the notebook is executed with nbclient.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = [
    "01_keywords_and_topics.ipynb",
    "02_routes.ipynb",
    "03_knowledge_graph.ipynb",
    "04_survey_segments.ipynb",
]
CELL_TIMEOUT_S = 600
#: small helpers a notebook may define (path handling, display); anything else belongs in a package
GLUE_FUNCTIONS = {"in_repo", "short", "request", "read_mapping"}


def _parameters_cell(nb: Any) -> tuple[int, Any]:
    tagged = [(i, c) for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    return tagged[0]


def _assigned_names(source: str) -> set[str]:
    return {
        t.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


def execute_notebook(path: Path, params: Mapping[str, Any]) -> Any:
    """Run a notebook with ``params`` injected after its parameters cell; return it executed."""
    nb = nbformat.read(path, as_version=4)
    i, cell = _parameters_cell(nb)
    unknown = set(params) - _assigned_names(cell.source)
    assert not unknown, f"{path.name}: no such parameters {sorted(unknown)}"
    injected = nbformat.v4.new_code_cell(
        "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
    )
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(i + 1, injected)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def _errors(nb: Any) -> list[str]:
    return [
        f"{o.ename}: {o.evalue}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 reviews of the sample corpus, from 大足 and 安岳 only (two destination models)."""
    lines = []
    sample = ROOT / "data" / "corpus" / "sample_reviews.jsonl"
    for line in sample.read_text(encoding="utf-8").splitlines():
        if json.loads(line).get("destination") in ("大足", "安岳"):
            lines.append(line)
        if len(lines) == 200:
            break
    path = tmp_path_factory.mktemp("corpus") / "reviews.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _small_params(name: str, tmp: Path, corpus: Path) -> dict[str, Any]:
    out = str(tmp / "out")
    if name.startswith("01"):
        return {
            "CORPUS_FILES": [str(corpus)],
            "SWEEP": "2:3",
            "PASSES": 2,
            "NETWORK_TERMS": 20,
            "ARTIFACTS_DIR": str(tmp / "artifacts"),
            "WORKERS": 1,
            "OUT_DIR": out,
        }
    if name.startswith("02"):
        return {
            "DAYS": 2,
            "DAYS_GRID": [1, 2],
            "PACES": ["normal", "intense"],
            "MODES": ["car"],
            "TIME_LIMIT_S": 0.5,
            "OUT_DIR": out,
        }
    if name.startswith("03"):
        return {"TOP": 8, "MAX_PATHS": 2, "OUT_DIR": out}
    # planning the presets' trips is left to notebook 02's test (plan_itinerary) and
    # tests/test_survey.py (presets are TripRequest arguments): it is the slowest cell
    return {"KS": [2, 3, 4], "N_BOOT": 5, "PLAN_PRESETS": False, "OUT_DIR": out}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_with_small_parameters(name: str, tmp_path: Path, small_corpus: Path) -> None:
    params = _small_params(name, tmp_path, small_corpus)
    nb = execute_notebook(NOTEBOOKS / name, params)  # raises CellExecutionError on any error
    assert not _errors(nb)
    out = Path(params["OUT_DIR"])
    written = {p.name for p in out.rglob("*") if p.is_file()}
    expected = {
        "01": {"coherence.png", "report_topic_comparison.csv", "run.json", "SHA256SUMS"},
        "02": {"lines.csv", "sensitivity.csv", "sensitivity.svg", "itinerary_map.html"},
        "03": {"class_counts.csv", "connections.csv", "entity_graph_core.png"},
        "04": {"associations.csv", "segment_profiles.csv", "silhouette.svg", "presets.json"},
    }[name[:2]]
    assert expected <= written, f"{name}: missing outputs {sorted(expected - written)}"


def test_outputs_are_stripped() -> None:
    """Committed notebooks carry no outputs, execution counts or run timings."""
    dirty = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for n, c in enumerate(nb.cells):
            if c.cell_type != "code":
                continue
            if c.get("outputs") or c.get("execution_count") is not None:
                dirty.append(f"{path.name} cell {n}")
            elif "execution" in c.metadata:
                dirty.append(f"{path.name} cell {n} (timing metadata)")
    assert not dirty, (
        "notebooks must be committed without outputs (see docs/researchers.md): " + ", ".join(dirty)
    )


@pytest.mark.parametrize("name", NAMES)
def test_parameters_live_in_one_tagged_cell(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    _, cell = _parameters_cell(nb)
    tree = ast.parse(cell.source)
    assert tree.body and all(isinstance(node, ast.Assign) for node in tree.body), (
        "the parameters cell holds plain assignments only"
    )
    params = _assigned_names(cell.source)
    assert "OUT_DIR" in params
    # no other cell assigns a parameter (it would silently override an injected value)
    for other in nb.cells:
        if other.cell_type == "code" and other is not cell:
            reassigned = params & _assigned_names(other.source)
            assert not reassigned, f"{name}: parameters reassigned later: {sorted(reassigned)}"


@pytest.mark.parametrize("name", NAMES)
def test_no_logic_lives_only_in_a_notebook(name: str) -> None:
    """Notebooks call the packages: no classes, only a few named glue helpers."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(c.source)):
            assert not isinstance(node, ast.ClassDef), f"{name}: class {node.name} in a notebook"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.name in GLUE_FUNCTIONS, (
                    f"{name}: function {node.name} belongs in a package, not a notebook"
                )
