"""Document slices read in the workers (nlp.docslices) and the Dask engine's fallback for
workers that cannot see the files."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nlp.docslices import DocSlice, plan_slices
from nlp.engine import DaskEngine
from nlp.ingest import SCHEMA_VERSION


def _corpus(tmp_path: Path, parts: list[list[int]]) -> tuple[Path, list[str]]:
    """A corpus folder whose parts have row groups of the given sizes (plus an empty part,
    which the corpus order skips); returns it and every doc id in corpus order."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    meta: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "parts": []}
    ids: list[str] = []
    for p, groups in enumerate(parts):
        name = f"part-{p}.parquet"
        schema = pa.schema([("doc_id", pa.string()), ("text", pa.string())])
        with pq.ParquetWriter(folder / name, schema) as writer:
            for size in groups:
                new = [f"d{len(ids) + i:04d}" for i in range(size)]
                ids.extend(new)
                writer.write_table(pa.table({"doc_id": new, "text": [f"t{d}" for d in new]}))
        meta["parts"].append({"file": name, "kept": sum(groups)})
        if p == 0:
            meta["parts"].append({"file": "empty.parquet", "kept": 0})
    (folder / "corpus.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder, ids


def _tokens(path: Path, ids: list[str], row_group: int, *, shift: bool = False) -> Path:
    """A per-document file in corpus order (``shift`` puts it out of step)."""
    ids = ids[1:] + ids[:1] if shift else ids
    table = pa.table({"doc_id": ids, "n": list(range(len(ids)))})
    pq.write_table(table, path, row_group_size=row_group)
    return path


def test_slices_cover_the_corpus_in_order_within_row_groups(tmp_path: Path) -> None:
    corpus, ids = _corpus(tmp_path, [[5, 5, 2], [7]])
    slices = list(plan_slices(corpus, columns=("doc_id", "text"), max_rows=3))
    # row groups 5, 5, 2 | 7 cut at 3 rows: 3+2, 3+2, 2 | 3+3+1
    assert [s.rows for s in slices] == [3, 2, 3, 2, 2, 3, 3, 1]
    assert [s.number for s in slices] == list(range(8))
    assert [s.first for s in slices] == [0, 3, 5, 8, 10, 12, 15, 18]
    got = [d for s in slices for d in s.table().column("doc_id").to_pylist()]
    assert got == ids
    assert slices[0].table().column("text").to_pylist() == ["td0000", "td0001", "td0002"]


@pytest.mark.parametrize("row_group", [1, 4, 19, 100])
def test_per_document_files_join_whatever_their_row_groups(tmp_path: Path, row_group: int) -> None:
    corpus, ids = _corpus(tmp_path, [[5, 5, 2], [7]])
    tokens = _tokens(tmp_path / "tokens.parquet", ids, row_group)
    slices = plan_slices(corpus, extra={"tokens": (tokens, ("n",))}, max_rows=4)
    rows = [r for s in slices for r in s.to_pylist()]
    assert rows == [{"doc_id": d, "n": i} for i, d in enumerate(ids)]


def test_a_file_out_of_step_with_the_corpus_is_an_error(tmp_path: Path) -> None:
    corpus, ids = _corpus(tmp_path, [[4]])
    tokens = _tokens(tmp_path / "tokens.parquet", ids, 2, shift=True)
    [part] = plan_slices(corpus, extra={"tokens": (tokens, ("n",))})
    with pytest.raises(ValueError, match=r"tokens\.parquet is out of step with the corpus"):
        part.table()


def test_an_inlined_slice_needs_no_files_and_pickles(tmp_path: Path) -> None:
    corpus, ids = _corpus(tmp_path, [[3]])
    tokens = _tokens(tmp_path / "tokens.parquet", ids, 2)
    [part] = plan_slices(corpus, columns=("text",), extra={"tokens": (tokens, ("n",))})
    expected = part.table()
    small = len(pickle.dumps(part))
    inline = part.inline()
    for f in (*corpus.iterdir(), tokens):
        f.unlink()
    copy = pickle.loads(pickle.dumps(inline))
    assert copy.table().equals(expected)
    assert copy == part  # the same slice: the data is not part of its identity
    assert len(pickle.dumps(inline)) > small
    with pytest.raises(FileNotFoundError):
        part.table()


class _Client:
    """Stands in for a ``distributed.Client``: ``run`` answers for two workers."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def run(self, func: Any, path: str, on_error: str = "raise") -> dict[str, Any]:
        self.asked.append(path)
        return {"tcp://w1": self.answer(path), "tcp://w2": self.answer(path)}


def test_a_remote_cluster_gets_slices_inlined_when_its_workers_cannot_see_the_files(
    tmp_path: Path,
) -> None:
    corpus, _ = _corpus(tmp_path, [[3, 3]])
    parts = list(plan_slices(corpus, columns=("text",)))
    size = (corpus / "part-0.parquet").stat().st_size
    blind = DaskEngine(_Client(lambda p: None), scheduler="tcp://remote:8786")
    sent = [blind._reachable(p) for p in parts]
    assert all(s.data is not None for s in sent)
    assert blind.client.asked == [parts[0].corpus.path]  # asked once per file
    other = DaskEngine(_Client(lambda p: size + 1), scheduler="tcp://remote:8786")
    assert other._reachable(parts[0]).data is not None  # a different file there
    seeing = DaskEngine(_Client(lambda p: size), scheduler="tcp://remote:8786")
    assert all(seeing._reachable(p) is p for p in parts)


def test_slices_are_small_to_send(tmp_path: Path) -> None:
    corpus, _ = _corpus(tmp_path, [[2000]])
    [part] = plan_slices(corpus, columns=("doc_id", "text"))
    assert isinstance(part, DocSlice) and part.rows == 2000
    assert len(pickle.dumps(part)) < 1000
