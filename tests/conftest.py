"""Shared test set-up."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _empty_roads_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("no-roads")


@pytest.fixture(autouse=True)
def _no_road_data_unless_a_test_builds_it(
    _empty_roads_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plans in tests never pick up a road matrix a developer built in artifacts/roads."""
    monkeypatch.setenv("HERITAGE_ROADS_DIR", str(_empty_roads_dir))
