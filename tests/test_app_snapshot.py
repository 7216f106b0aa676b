"""A new server's first page from the on-disk snapshot: the same page, without the graph.

The snapshot (``planner.ui.snapshot``) holds the theme table and the default inputs' plan,
keyed by the graph, the data, the artifacts' manifests, the settings and the code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from planner.itinerary import plan_itinerary
from planner.ui import cache, snapshot, state
from planner.ui.state import PlanInputs

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 180


def _stop_titles(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _default() -> PlanInputs:
    return PlanInputs(date=state.default_date(dt.date.today()))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty snapshot folder and empty page caches (the graph itself stays loaded)."""
    monkeypatch.setenv("HERITAGE_APP_CACHE_DIR", str(tmp_path))
    cache.context.clear()  # loaded anew, so the first page writes its snapshot too
    cache.plan.clear()
    cache.theme_table.clear()
    yield tmp_path
    cache.context.clear()
    cache.plan.clear()
    cache.theme_table.clear()


def test_first_page_from_the_snapshot_needs_no_graph(cache_dir: Path) -> None:
    first = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(first)
    (saved,) = cache_dir.glob("first-page-*.json")
    content = json.loads(saved.read_text(encoding="utf-8"))
    assert content["themes"] and list(content["plans"]) == [_default().date.isoformat()]
    assert [p.stem.split("-")[1] for p in cache_dir.glob("context-*.pickle")] == [
        saved.stem.split("-")[2]
    ]

    # a new process: empty page caches, and any use of the graph fails the test
    assert cache.wait_for_graph(timeout=TIMEOUT)  # the first run's background load is done
    cache.plan.clear()
    cache.theme_table.clear()
    asked: list[str] = []

    def no_graph() -> Any:
        asked.append("graph")
        raise AssertionError("the first page asked for the knowledge graph")

    def no_catalog(*_: Any) -> Any:
        asked.append("catalog")
        raise AssertionError("the first page read the catalog files")

    cache.context.clear()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(cache, "knowledge_graph", no_graph)
            mp.setattr(cache, "prefetch_graph", lambda: None)
            mp.setattr(cache.service, "load_context", no_catalog)
            again = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    finally:
        cache.context.clear()
    _ok(again)
    assert not asked
    assert _stop_titles(again) == _stop_titles(first) and _stop_titles(first)
    assert [s.value for s in again.selectbox] == [s.value for s in first.selectbox]


def test_snapshot_plan_equals_the_planned_one_and_only_for_default_inputs(cache_dir: Path) -> None:
    inputs = _default()
    planned = plan_itinerary(
        inputs.to_request(), ctx=cache.context(), kgraph=cache.knowledge_graph()
    )
    assert snapshot.load_plan(inputs) is None
    snapshot.save_plan(inputs, planned)
    assert snapshot.load_plan(inputs) == planned

    other = dataclasses.replace(inputs, days=2)
    assert not snapshot.is_default(other)
    snapshot.save_plan(other, planned)
    assert snapshot.load_plan(other) is None
    assert list(json.loads(next(cache_dir.glob("*.json")).read_text())["plans"]) == [
        inputs.date.isoformat()
    ]

    snapshot.enabled(False)  # what the benchmark does to time real re-plans
    try:
        assert snapshot.load_plan(inputs) is None
    finally:
        snapshot.enabled(True)


def test_snapshot_context_is_the_loaded_catalog(cache_dir: Path) -> None:
    from planner import service

    assert snapshot.load_context() is None
    ctx = service.load_context()
    snapshot.save_context(ctx)
    saved = snapshot.load_context()
    assert saved is not None and saved is not ctx
    assert saved.catalog.sites == ctx.catalog.sites
    assert saved.coords == ctx.coords and saved.circuity == ctx.circuity
    assert sorted(saved.graph.edges(data=True)) == sorted(ctx.graph.edges(data=True))
    assert saved.catalog.resolve("bao ding shan").id == "baodingshan"
    (cache_dir / next(cache_dir.glob("context-*")).name).write_bytes(b"cut short")
    assert snapshot.load_context() is None  # then the app reads the catalog files


def test_a_change_of_settings_data_or_graph_is_a_new_key(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot.save_themes([("t", "主题", "theme")])
    assert snapshot.load_themes() == [("t", "主题", "theme")]
    old = set(cache_dir.glob("*.json"))

    monkeypatch.setenv("HERITAGE_ROADS", "off")  # plans ignore road data: another answer
    assert snapshot.load_themes() is None
    snapshot.save_themes([("u", "主题", "theme")])
    assert set(cache_dir.glob("*.json")).isdisjoint(old)  # the other key's file is gone
    assert len(list(cache_dir.glob("*.json"))) == 1

    monkeypatch.setattr(snapshot, "current_graph_digest", lambda: None)  # graph not current
    assert snapshot.key() is None and snapshot.load_themes() is None
    snapshot.save_themes([("v", "主题", "theme")])
    assert snapshot.load_themes() is None
