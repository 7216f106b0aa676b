"""Slices of the pipeline's documents that a worker reads itself.

The map-style stages run over the Parquet files the pipeline already wrote: the corpus parts
(:mod:`nlp.ingest`) and the per-document artifacts that follow the corpus row for row
(``tokens.parquet`` …). :func:`plan_slices` cuts the documents into :class:`DocSlice` s — a
row range of one corpus part and the same rows of the other files, found from the files'
row-group metadata — and each engine task reads its slice in the worker
(:meth:`DocSlice.table`). Only the slice's description travels to the worker and only the
stage's small result comes back, so the main process neither reads nor pickles documents, and
a Dask cluster moves no more data than the local pool.

Slices follow the corpus parts' row groups (the ingest writes one per ``chunk_docs`` rows), and
the segment stage writes one tokens row group per slice, so a slice reads whole row groups.

Workers that cannot see the files (a remote Dask cluster without a shared file system) get the
slice with its columns read here instead (:meth:`DocSlice.inline`; :mod:`nlp.engine` decides).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DocSlice", "RowSpan", "plan_slices"]


@functools.lru_cache(maxsize=64)
def _parquet_file(path: str, mtime_ns: int, size: int) -> tuple[pq.ParquetFile, list[int]]:
    """An open Parquet file and the first row of each of its row groups, then the row count
    (cached per process, so a task does not walk the metadata again; keyed on the file's stat,
    so a rewritten file is opened again)."""
    pf = pq.ParquetFile(path)
    starts = [0]
    for i in range(pf.metadata.num_row_groups):
        starts.append(starts[-1] + pf.metadata.row_group(i).num_rows)
    return pf, starts


def _open(path: str) -> tuple[pq.ParquetFile, list[int]]:
    st = os.stat(path)
    return _parquet_file(path, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class RowSpan:
    """Rows ``[start, stop)`` of one Parquet file."""

    path: str
    start: int
    stop: int

    def read(self, columns: Sequence[str]) -> pa.Table:
        """The span's ``columns``, reading only the row groups it overlaps."""
        pf, starts = _open(self.path)
        # the row groups with a row in [start, stop): from the one holding ``start`` to the
        # last one starting before ``stop``
        lo = bisect.bisect_right(starts, self.start) - 1
        hi = min(bisect.bisect_left(starts, self.stop), len(starts) - 1)
        groups = list(range(lo, hi))
        if not groups:
            return pf.schema_arrow.empty_table().select(list(columns))
        table = pf.read_row_groups(groups, columns=list(columns), use_threads=False)
        return table.slice(self.start - starts[groups[0]], self.stop - self.start)


@dataclass(frozen=True)
class DocSlice:
    """Documents ``[first, first + rows)`` of the pipeline: a span of one corpus part and the
    same rows of the per-document files in ``extra`` (name → span).

    ``columns`` (name → columns) says what :meth:`table` reads from each: ``"corpus"`` and the
    names of ``extra``. ``data`` holds those columns when the slice was read in the main process
    (:meth:`inline`).
    """

    number: int
    first: int
    rows: int
    corpus: RowSpan
    extra: tuple[tuple[str, RowSpan], ...] = ()
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    data: pa.Table | None = field(default=None, compare=False)

    def paths(self) -> list[str]:
        """The files this slice reads."""
        return [self.corpus.path, *(span.path for _, span in self.extra)]

    def table(self) -> pa.Table:
        """``doc_id`` and the asked columns of every file, side by side (one name per column;
        a name asked from several files is read from the first).

        Raises
        ------
        ValueError
            If a file's ``doc_id`` s differ from the corpus's (it is from another corpus).
        """
        if self.data is not None:
            return self.data
        cols = dict(self.columns)
        spans = [("corpus", self.corpus), *self.extra]
        out: dict[str, pa.ChunkedArray] = {}
        doc_ids: pa.ChunkedArray | None = None
        for name, span in spans:
            wanted = [c for c in cols.get(name, ()) if c not in out and c != "doc_id"]
            if name != "corpus" and not wanted:
                continue
            table = span.read(["doc_id", *wanted])
            if doc_ids is None:
                doc_ids = table.column("doc_id")
                out["doc_id"] = doc_ids
            elif not table.column("doc_id").equals(doc_ids):
                raise ValueError(
                    f"{Path(span.path).name} is out of step with the corpus in documents "
                    f"{self.first}-{self.first + self.rows - 1}"
                )
            for c in wanted:
                out[c] = table.column(c)
        return pa.table(out)

    def to_pylist(self) -> list[dict[str, Any]]:
        """The rows of :meth:`table` as dicts."""
        return self.table().to_pylist()

    def inline(self) -> DocSlice:
        """This slice with its columns read now (for workers that cannot see the files)."""
        return self if self.data is not None else replace(self, data=self.table())


def plan_slices(
    corpus_dir: str | Path,
    *,
    columns: Sequence[str] = ("doc_id",),
    extra: dict[str, tuple[str | Path, Sequence[str]]] | None = None,
    max_rows: int = 2000,
) -> Iterator[DocSlice]:
    """Cut a corpus's documents into slices of at most ``max_rows`` rows, in corpus order.

    Parameters
    ----------
    corpus_dir
        Corpus folder (:func:`nlp.ingest.iter_corpus` order: parts in ingest order).
    columns
        Corpus columns each slice reads.
    extra
        Per-document Parquet files with the corpus's rows in the same order: name →
        (path, columns).
    max_rows
        Largest slice; slices end at corpus row-group boundaries too.

    Yields
    ------
    DocSlice
    """
    from nlp.ingest import corpus_parts

    corpus_dir = Path(corpus_dir)
    asked = [("corpus", tuple(columns))]
    paths: dict[str, str] = {}
    for name, (path, cols) in (extra or {}).items():
        paths[name] = str(Path(path).resolve())
        asked.append((name, tuple(cols)))
    first = number = 0
    step = max(1, int(max_rows))
    for part in corpus_parts(corpus_dir):
        path = str(part.resolve())
        _, starts = _open(path)
        for lo, hi in itertools.pairwise(starts):
            for a in range(lo, hi, step):
                b = min(a + step, hi)
                yield DocSlice(
                    number=number,
                    first=first,
                    rows=b - a,
                    corpus=RowSpan(path, a, b),
                    extra=tuple(
                        (name, RowSpan(p, first, first + b - a)) for name, p in paths.items()
                    ),
                    columns=tuple(asked),
                )
                number += 1
                first += b - a
