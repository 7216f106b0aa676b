"""Ingest review exports (CSV in any common encoding, XLSX, XLS, ODS, JSONL) into a Parquet corpus.

A *corpus* is a folder::

    corpus.json              schema version, author-hash policy, one entry per ingested file
    parts/<sha12>.parquet    kept documents of one input file (schema version in metadata)
    rejects/<sha12>.csv      every row not kept as-is: reason, action, source line, excerpt

Each input file is identified by its SHA-256; ingesting a file already in the corpus adds
nothing, and documents that duplicate (exactly or nearly) a document already in the corpus are
rejected with the id of the kept one. Columns are mapped by a named *source* from
``data/lexicon/sources.yaml`` (``--source``) or detected from the headers; every sheet of a
workbook is read (:mod:`nlp.readers`). Each document's destination comes from a column or from
the file, sheet or folder name (:mod:`nlp.placefrom`). Platform boilerplate is stripped
(:mod:`nlp.boilerplate`) and personal data masked (:mod:`nlp.privacy`) before anything is
stored. A file lock on the corpus folder serialises concurrent ingests.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from common import settings
from nlp.artifacts import SCHEMA_VERSION, atomic_path, atomic_write_json, sha256_file
from nlp.boilerplate import PlatformRules, load_platform_rules
from nlp.config import NlpConfig
from nlp.dedupe import MinHashIndex
from nlp.engine import engine_for, engine_map
from nlp.errors import ConfigError, IngestError
from nlp.ingest_rows import RejectLine, RowResult, RowWork, TablePlace, TableRows, ingest_chunk
from nlp.mapping import (
    FIELDS,
    SourceMapping,
    _cell,
    choose_source,
    load_sources,
    parse_rating,
)
from nlp.placefrom import PLACE_FROM, PlaceResolver
from nlp.privacy import AuthorHasher
from nlp.readers import RawRow, Table, detect_encoding, expand_inputs, iter_tables, read_records

__all__ = [
    "CORPUS_SCHEMA",
    "FIELDS",
    "IngestOptions",
    "IngestReport",
    "SourceMapping",
    "TablePlace",
    "choose_source",
    "corpus_fingerprint",
    "corpus_parts",
    "corpus_size",
    "detect_encoding",
    "expand_inputs",
    "ingest_file",
    "ingest_files",
    "iter_corpus",
    "load_sources",
    "parse_rating",
    "read_records",
    "table_place",
]

#: files with fewer rows are cleaned in the ingesting process, not on the engine (measured:
#: docs/benchmarks.md, "Ingest on the engine")
ENGINE_MIN_ROWS = 4000
REJECT_COLUMNS = ("source_file", "source_line", "end_line", "reason", "action", "detail", "text")

CORPUS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("source", pa.string()),
        ("platform", pa.string()),
        ("destination", pa.string()),
        ("place", pa.string()),
        ("rating", pa.float64()),
        ("date", pa.string()),
        ("url", pa.string()),
        ("author_hash", pa.string()),
        ("text", pa.string()),
        ("content_key", pa.string()),
        ("minhash", pa.binary()),
    ],
    metadata={b"heritage.schema_version": str(SCHEMA_VERSION).encode()},
)


# --------------------------------------------------------------------------- corpus folder


def _corpus_meta(corpus_dir: Path) -> dict[str, Any]:
    meta_path = corpus_dir / "corpus.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise IngestError(
                meta_path,
                f"corpus schema version {meta.get('schema_version')} != {SCHEMA_VERSION}; "
                "re-ingest into a new folder",
            )
        return meta
    return {"schema_version": SCHEMA_VERSION, "parts": []}


def corpus_size(corpus_dir: str | Path) -> int:
    """Number of documents in a corpus folder."""
    meta = _corpus_meta(Path(corpus_dir))
    return sum(int(p["kept"]) for p in meta["parts"])


def corpus_fingerprint(corpus_dir: str | Path) -> str:
    """Hash identifying a corpus's content (the SHA-256s of its Parquet parts)."""
    meta = _corpus_meta(Path(corpus_dir))
    joined = "\n".join(p["part_sha256"] for p in meta["parts"])
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def corpus_parts(corpus_dir: str | Path) -> list[Path]:
    """The corpus's Parquet parts that hold documents, in ingest order (the corpus order)."""
    corpus_dir = Path(corpus_dir)
    return [corpus_dir / p["file"] for p in _corpus_meta(corpus_dir)["parts"] if p["kept"]]


def iter_corpus(
    corpus_dir: str | Path, *, columns: Sequence[str] | None = None, batch_docs: int = 2000
) -> Iterator[pa.RecordBatch]:
    """Stream a corpus's documents in record batches, parts in ingest order.

    Parameters
    ----------
    corpus_dir
        Corpus folder.
    columns
        Columns to read (default: all but ``minhash``).
    batch_docs
        Rows per batch.

    Yields
    ------
    pyarrow.RecordBatch
    """
    corpus_dir = Path(corpus_dir)
    cols = list(columns) if columns else [n for n in CORPUS_SCHEMA.names if n != "minhash"]
    for part in corpus_parts(corpus_dir):
        yield from pq.ParquetFile(part).iter_batches(batch_size=batch_docs, columns=cols)


@dataclass
class IngestReport:
    """What :func:`ingest_file` did with one file."""

    path: str
    sha256: str
    source: str
    encoding: str
    rows: int = 0
    kept: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    kept_with_issues: Counter[str] = field(default_factory=Counter)
    rejects_file: str | None = None
    part_file: str | None = None
    already_ingested: bool = False
    #: what was stripped or masked: template tags, default reviews, phone numbers …
    stripped: Counter[str] = field(default_factory=Counter)
    masked: Counter[str] = field(default_factory=Counter)
    #: documents per destination, and how each destination was found
    destinations: Counter[str] = field(default_factory=Counter)
    place_origin: dict[str, str] = field(default_factory=dict)
    #: labels that resolved to no catalog site or county → closest catalog names
    unresolved: dict[str, list[str]] = field(default_factory=dict)
    #: one line per skipped sheet or missing destination
    notices: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rows not kept."""
        return sum(self.reasons.values())


def _existing_index(corpus_dir: Path, meta: dict[str, Any], index: MinHashIndex) -> dict[str, str]:
    keys: dict[str, str] = {}
    for part in meta["parts"]:
        if not part["kept"]:
            continue
        pf = pq.ParquetFile(corpus_dir / part["file"])
        for batch in pf.iter_batches(columns=["doc_id", "content_key", "minhash"]):
            d = batch.to_pydict()
            for doc_id, key, mh in zip(d["doc_id"], d["content_key"], d["minhash"], strict=True):
                keys[key] = doc_id
                if mh is not None:
                    index.add(doc_id, np.frombuffer(mh, dtype=np.uint32))
    return keys


# --------------------------------------------------------------------------- places


def table_place(
    path: Path,
    sheet: str | None,
    columns: dict[str, int],
    place_from: str,
    resolver: PlaceResolver,
) -> TablePlace:
    """Decide where one table's destination comes from (see :mod:`nlp.placefrom`)."""
    has_column = "destination" in columns or "place" in columns
    labels = {
        "sheet": None if resolver.is_default_sheet(sheet) else sheet,
        "filename": path.stem,
        "folder": path.parent.name or None,
    }
    if place_from == "column" or (place_from == "auto" and has_column):
        return TablePlace("column" if has_column else "none")
    if place_from in labels:
        label = labels[place_from]
        if not label:
            return TablePlace("none")
        return TablePlace(place_from, resolver.resolve(label))
    for origin in ("sheet", "filename", "folder"):  # auto without a place column
        label = labels[origin]
        hit = resolver.lookup(label) if label else None
        if hit is not None:
            return TablePlace(origin, hit)
    return TablePlace("none")


# --------------------------------------------------------------------------- one table


@dataclass
class _Context:
    """State shared by the tables of one ingested file (all of it in this process)."""

    path: Path
    report: IngestReport
    cfg: NlpConfig
    rules: PlatformRules
    hasher: AuthorHasher | None
    index: MinHashIndex
    seen_keys: dict[str, str]
    seen_ids: set[str]
    rejects: Any  # csv writer
    progress: Callable[[int], None] | None = None  # rows read, called every chunk

    def reject(self, line: RejectLine) -> None:
        self.rejects.writerow(line)
        counts = self.report.reasons if line[4] == "dropped" else self.report.kept_with_issues
        counts[line[3]] += 1

    def _duplicate(self, res: RowResult, reason: str, detail: str) -> None:
        """Reject a candidate document that repeats an earlier one."""
        assert res.doc is not None
        where = (res.doc["source_file"], res.doc["source_line"], res.end_line)
        self.reject((*where, reason, "dropped", detail, res.excerpt))

    def keep(self, res: RowResult, author: Any) -> dict[str, Any] | None:
        """Count one row's :class:`~nlp.ingest_rows.RowResult` and check its document against
        the documents before it: the document to write, or ``None`` (rejected)."""
        report = self.report
        if res.stripped:
            report.stripped.update(dict(res.stripped))
        if res.masked:
            report.masked.update(dict(res.masked))
        for line in res.rejects:
            self.reject(line)
        doc = res.doc
        if doc is None:
            return None
        ckey = doc["content_key"]
        if ckey in self.seen_keys:
            self._duplicate(res, "duplicate_exact", f"same as {self.seen_keys[ckey]}")
            return None
        sig = keys = found = None
        if doc["minhash"] is not None and res.bands is not None:
            sig = np.frombuffer(doc["minhash"], dtype=np.uint32)
            keys = np.frombuffer(res.bands, dtype=np.uint64)
            found = self.index.lookup(keys) if self.index.ids_ else None
        near = self.index.query(sig, keys=keys, found=found)
        if near is not None:
            self._duplicate(res, "duplicate_near", f"~{near[1]:.2f} Jaccard with {near[0]}")
            return None
        doc_id = doc["doc_id"]
        if doc_id in self.seen_ids:
            self._duplicate(res, "duplicate_doc_id", f"doc_id {doc_id} already used")
            return None
        self.seen_ids.add(doc_id)
        self.seen_keys[ckey] = doc_id
        self.index.add(doc_id, sig, keys=keys, found=found)
        if doc["destination"]:
            report.destinations[doc["destination"]] += 1
        if res.url_masked:
            report.masked.update(dict(res.url_masked))
        doc["author_hash"] = None if self.hasher is None else self.hasher(author)
        return doc


# --------------------------------------------------------------------------- one file


@dataclass(frozen=True)
class IngestOptions:
    """How files are read and mapped (shared by every file of a run).

    Parameters
    ----------
    source
        Column mapping name from ``sources.yaml``; detected per table when ``None``.
    sheet
        Only this workbook sheet (default: every sheet with data).
    encoding
        Force a text encoding instead of detecting it.
    authors
        ``"hash"`` (keyed pseudonym, see :mod:`nlp.privacy`) or ``"drop"``.
    place_from
        ``auto``, ``column``, ``filename``, ``sheet`` or ``folder`` (see :mod:`nlp.placefrom`).
    place_map
        Optional mapping file, place name → catalog id or name.
    """

    source: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    authors: str = "hash"
    place_from: str = "auto"
    place_map: Path | None = None

    def __post_init__(self) -> None:
        if self.authors not in {"hash", "drop"}:
            raise ConfigError(f"authors must be 'hash' or 'drop', got {self.authors!r}")
        if self.place_from not in PLACE_FROM:
            raise ConfigError(
                f"--place-from must be one of {', '.join(PLACE_FROM)}, got {self.place_from!r}"
            )


def _corpus_lock(corpus_dir: Path) -> FileLock:
    corpus_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(corpus_dir / ".ingest.lock"))


def _hasher(
    meta: dict[str, Any], opts: IngestOptions, cfg: NlpConfig, given: AuthorHasher | None
) -> AuthorHasher | None:
    if opts.authors == "drop":
        return None
    meta.setdefault("corpus_id", uuid.uuid4().hex)
    if given is not None:
        return given
    user_key = settings.author_key()
    return AuthorHasher.for_corpus(meta["corpus_id"], cfg.key_dir, user_key)


def _table_chunks(
    ctx: _Context,
    tables: Iterator[Table],
    opts: IngestOptions,
    sources: dict[str, SourceMapping],
    resolver: PlaceResolver,
    found: dict[str, Any],
) -> Iterator[tuple[TableRows, list[RawRow]]]:
    """Chunks of ``cfg.chunk_docs`` rows of every usable table, noting each table's mapping
    and place in the report and its column map in ``found["columns"]``."""
    path, report = ctx.path, ctx.report
    for table in tables:
        found["tables"] += 1
        try:
            mapping, columns = choose_source(table.headers, sources, source=opts.source, path=path)
        except IngestError as exc:
            found["error"] = found["error"] or exc
            report.notices.append(f"sheet {table.sheet!r} skipped: {exc}")
            continue
        report.source, report.encoding = mapping.name, table.encoding
        where = table_place(path, table.sheet, columns, opts.place_from, resolver)
        label = path.name if table.sheet is None else f"{path.name}[{table.sheet}]"
        _note_place(report, label, where)
        found["columns"][table.sheet or ""] = {f: table.headers[i] for f, i in columns.items()}
        info = TableRows(label, mapping, columns, where)
        for rows in itertools.batched(table.rows, ctx.cfg.chunk_docs):
            yield info, list(rows)


def _row_results(
    ctx: _Context, chunks: Iterator[tuple[TableRows, list[RawRow]]]
) -> Iterator[tuple[RowResult, Any]]:
    """Each row's :class:`~nlp.ingest_rows.RowResult` with its author cell, in row order.

    The rows' work runs on the run's engine (:mod:`nlp.engine`), unless the file has fewer
    than two chunks or :data:`ENGINE_MIN_ROWS` rows: then here, as starting a pool costs more
    than it saves. Author cells stay in this process (the keyed pseudonym is made here), a
    window of chunks' worth of them.
    """
    work = RowWork(ctx.cfg.min_chars, ctx.cfg.max_chars, ctx.rules, ctx.index.hasher)
    authors: collections.deque[list[Any]] = collections.deque()

    def sent() -> Iterator[tuple[TableRows, list[RawRow]]]:
        for table, rows in chunks:
            authors.append(
                [
                    None if r.values is None else _cell(r.values, table.columns, "author")
                    for r in rows
                ]
            )
            yield table, rows

    todo = sent()
    head: list[tuple[TableRows, list[RawRow]]] = []
    n_rows, small = 0, True
    for chunk in todo:
        head.append(chunk)
        n_rows += len(chunk[1])
        if len(head) >= 2 and n_rows >= ENGINE_MIN_ROWS:
            small = False
            break
    results: Iterator[list[RowResult]]
    if small:
        results = (ingest_chunk(work, c) for c in head)
    else:
        results = engine_map(ctx.cfg, ingest_chunk, work, itertools.chain(head, todo))
    for chunk_results in results:
        yield from zip(chunk_results, authors.popleft(), strict=True)


def _ingest_tables(
    ctx: _Context,
    tables: Iterator[Table],
    opts: IngestOptions,
    sources: dict[str, SourceMapping],
    resolver: PlaceResolver,
    writer: pq.ParquetWriter,
) -> dict[str, Any]:
    """Stream every table's documents into ``writer``; returns the part's column map."""
    report = ctx.report
    buffer: list[dict[str, Any]] = []
    found: dict[str, Any] = {"tables": 0, "error": None, "columns": {}}
    chunks = _table_chunks(ctx, tables, opts, sources, resolver, found)
    step = ctx.cfg.chunk_docs
    for res, author in _row_results(ctx, chunks):
        report.rows += 1
        if ctx.progress is not None and report.rows % step == 0:
            ctx.progress(step)
        doc = ctx.keep(res, author)
        if doc is None:
            continue
        buffer.append(doc)
        report.kept += 1
        if len(buffer) >= ctx.cfg.chunk_docs:
            writer.write_table(pa.Table.from_pylist(buffer, schema=CORPUS_SCHEMA))
            buffer.clear()
    if buffer:
        writer.write_table(pa.Table.from_pylist(buffer, schema=CORPUS_SCHEMA))
    if ctx.progress is not None and report.rows % step:
        ctx.progress(report.rows % step)
    columns_used: dict[str, Any] = found["columns"]
    first_error: IngestError | None = found["error"]
    if not columns_used and first_error is not None:
        if found["tables"] == 1:
            raise first_error
        raise IngestError(ctx.path, f"no sheet has a text column; first: {first_error}")
    return columns_used


def _note_place(report: IngestReport, label: str, where: TablePlace) -> None:
    report.place_origin[label] = where.origin
    if where.fixed is not None and not where.fixed.resolved:
        report.unresolved[where.fixed.label] = list(where.fixed.suggestions)
    if where.origin == "none":
        report.notices.append(
            f"{label}: no destination (no place column, and neither the sheet, file nor folder "
            "name is a catalog site or county); use --place-from filename|sheet|folder or "
            "--place-map"
        )


def ingest_file(
    path: str | Path,
    corpus_dir: str | Path,
    *,
    source: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    authors: str = "hash",
    place_from: str = "auto",
    place_map: str | Path | None = None,
    cfg: NlpConfig | None = None,
    sources: dict[str, SourceMapping] | None = None,
    resolver: PlaceResolver | None = None,
    hasher: AuthorHasher | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Add one export file (every sheet) to a corpus folder (idempotent, safe in parallel).

    Parameters
    ----------
    path
        CSV/TSV (any detected encoding), JSON Lines, XLSX, XLS or ODS export.
    corpus_dir
        Corpus folder (created if missing). Concurrent ingests into it wait for each other
        (a file lock), so none loses documents.
    source, sheet, encoding, authors, place_from, place_map
        See :class:`IngestOptions`.
    cfg
        Limits (``min_chars``, ``max_chars``, ``near_dup_threshold``, ``chunk_docs``).
    sources
        Mappings; default :func:`load_sources`.
    resolver
        Place resolver; default one over ``cfg.catalog_dir`` and ``place_map``.
    hasher
        Author pseudonyms; default the corpus's own key (see :mod:`nlp.privacy`).
    progress
        Called with the number of rows read, every ``cfg.chunk_docs`` rows and at the end.

    Returns
    -------
    IngestReport

    Raises
    ------
    IngestError
        Unreadable file, unknown source, missing text column.
    """
    cfg = cfg or NlpConfig()
    opts = IngestOptions(
        source, sheet, encoding, authors, place_from, Path(place_map) if place_map else None
    )
    path, corpus_dir = Path(path), Path(corpus_dir)
    tables = iter_tables(path, encoding=encoding, sheet=sheet)
    first = next(tables)  # errors about the file itself surface before any locking
    digest = sha256_file(path)
    resolver = resolver or PlaceResolver(cfg.catalog_dir, opts.place_map)
    with _corpus_lock(corpus_dir):
        return _ingest_locked(
            path,
            corpus_dir,
            digest,
            itertools.chain([first], tables),
            opts,
            cfg,
            sources or load_sources(cfg.lexicon_dir / "sources.yaml"),
            resolver,
            hasher,
            progress,
        )


def _ingest_locked(
    path: Path,
    corpus_dir: Path,
    digest: str,
    tables: Iterator[Table],
    opts: IngestOptions,
    cfg: NlpConfig,
    sources: dict[str, SourceMapping],
    resolver: PlaceResolver,
    hasher: AuthorHasher | None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    meta = _corpus_meta(corpus_dir)
    report = IngestReport(str(path), digest, opts.source or "", "")
    for part in meta["parts"]:
        if part["sha256"] == digest:
            report.already_ingested = True
            report.part_file = part["file"]
            report.rejects_file = part["rejects"]
            report.source, report.encoding = part["source"], part["encoding"]
            return report
    index = MinHashIndex(threshold=cfg.near_dup_threshold)
    seen_keys = _existing_index(corpus_dir, meta, index)
    short = digest[:12]
    part_rel, rejects_rel = f"parts/{short}.parquet", f"rejects/{short}.csv"
    rules = load_platform_rules(cfg.lexicon_dir / "platforms.yaml")
    with (
        atomic_path(corpus_dir / part_rel) as part_tmp,
        atomic_path(corpus_dir / rejects_rel) as rej_tmp,
        open(rej_tmp, "w", encoding="utf-8", newline="") as rej_fh,
    ):
        rejects = csv.writer(rej_fh)
        rejects.writerow(REJECT_COLUMNS)
        ctx = _Context(
            path,
            report,
            cfg,
            rules,
            _hasher(meta, opts, cfg, hasher),
            index,
            seen_keys,
            set(seen_keys.values()),
            rejects,
            progress,
        )
        writer = pq.ParquetWriter(part_tmp, CORPUS_SCHEMA)
        try:
            columns_used = _ingest_tables(ctx, tables, opts, sources, resolver, writer)
        finally:
            writer.close()
        part_sha = sha256_file(part_tmp)
    report.part_file, report.rejects_file = part_rel, rejects_rel
    meta["parts"].append(
        _part_entry(report, part_rel, rejects_rel, part_sha, columns_used, opts, cfg)
    )
    atomic_write_json(corpus_dir / "corpus.json", meta)
    return report


def _part_entry(
    report: IngestReport,
    part_rel: str,
    rejects_rel: str,
    part_sha: str,
    columns_used: dict[str, Any],
    opts: IngestOptions,
    cfg: NlpConfig,
) -> dict[str, Any]:
    """The ``corpus.json`` entry of one ingested file."""
    single = next(iter(columns_used.values())) if len(columns_used) == 1 else columns_used
    return {
        "file": part_rel,
        "rejects": rejects_rel,
        "source_file": report.path,
        "sha256": report.sha256,
        "part_sha256": part_sha,
        "source": report.source,
        "encoding": report.encoding,
        "columns": single,
        "authors": opts.authors,
        "rows": report.rows,
        "kept": report.kept,
        "rejected": report.rejected,
        "reasons": dict(report.reasons),
        "kept_with_issues": dict(report.kept_with_issues),
        "stripped": dict(report.stripped),
        "masked": dict(report.masked),
        "destinations": dict(report.destinations),
        "place_origin": report.place_origin,
        "unresolved_places": report.unresolved,
        "notices": report.notices,
        "params": {
            "min_chars": cfg.min_chars,
            "max_chars": cfg.max_chars,
            "near_dup_threshold": cfg.near_dup_threshold,
            "place_from": opts.place_from,
        },
    }


def ingest_files(
    paths: Iterable[str | Path], corpus_dir: str | Path, **kwargs: Any
) -> list[IngestReport]:
    """Ingest several files and folders into one corpus, in order (see :func:`ingest_file`),
    on one engine (:func:`nlp.engine.engine_for`)."""
    with engine_for(kwargs.get("cfg") or NlpConfig()):
        return [ingest_file(p, corpus_dir, **kwargs) for p in expand_inputs(paths)]
