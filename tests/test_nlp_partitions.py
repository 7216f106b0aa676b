"""The partition log of a stage build: append-only, trusted up to a line cut short by a kill,
and rewritten only when partitions are dropped."""

from __future__ import annotations

import json
from pathlib import Path

from nlp.partitions import PARTIAL_MANIFEST, PartialStore, read_log


def _square(_state: object, x: int) -> int:
    return x * x


def _run(store: PartialStore, chunks: list[int], calls: list[int]) -> list[int]:
    def run(todo):  # the engine's map: counts what was computed
        for x in todo:
            calls.append(x)
            yield _square(None, x)

    return list(store.map(run, _square, chunks))


def test_a_rerun_reuses_completed_partitions_and_appends_one_line_each(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    calls: list[int] = []
    assert _run(PartialStore(folder), [1, 2, 3], calls) == [1, 4, 9]
    lines = (folder / PARTIAL_MANIFEST).read_text(encoding="utf-8").splitlines()
    assert [json.loads(ln)["map"] for ln in lines] == [f"{__name__}._square"] * 3
    calls.clear()
    store = PartialStore(folder)
    assert _run(store, [1, 2, 3, 4], calls) == [1, 4, 9, 16]
    assert calls == [4]  # only the new chunk was computed
    assert store.reused == {f"{__name__}._square": 3}
    store.close()
    assert len(read_log(folder / PARTIAL_MANIFEST)[0][f"{__name__}._square"]) == 4


def test_a_line_cut_short_by_a_kill_is_dropped_and_the_log_stays_readable(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    _run(PartialStore(folder), [1, 2, 3], [])
    log = folder / PARTIAL_MANIFEST
    text = log.read_text(encoding="utf-8")
    log.write_text(text[: len(text) - 9], encoding="utf-8")  # the third line is unfinished
    maps, whole = read_log(log)
    assert not whole and len(maps[f"{__name__}._square"]) == 2
    calls: list[int] = []
    store = PartialStore(folder)
    assert _run(store, [1, 2, 3, 4], calls) == [1, 4, 9, 16]
    assert calls == [3, 4]
    store.close()
    maps, whole = read_log(log)  # lines appended after the cut one are read again
    assert whole and len(maps[f"{__name__}._square"]) == 4


def test_changed_input_drops_the_partitions_from_there_on(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    _run(PartialStore(folder), [1, 2, 3], [])
    calls: list[int] = []
    store = PartialStore(folder)
    assert _run(store, [1, 5, 3], calls) == [1, 25, 9]
    assert calls == [5, 3]
    store.close()
    maps, whole = read_log(folder / PARTIAL_MANIFEST)
    assert whole and len(maps[f"{__name__}._square"]) == 3
    calls.clear()
    assert _run(PartialStore(folder), [1, 5, 3], calls) == [1, 25, 9]
    assert calls == []


def test_a_missing_or_unreadable_log_means_no_partitions(tmp_path: Path) -> None:
    assert read_log(tmp_path / "none.jsonl") == ({}, True)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe not utf-8\n")
    assert read_log(bad) == ({}, False)
