"""Ingest review exports (CSV in any common encoding, XLSX, JSONL) into a Parquet corpus.

A *corpus* is a folder::

    corpus.json              schema version, author-hash policy, one entry per ingested file
    parts/<sha12>.parquet    kept documents of one input file (schema version in metadata)
    rejects/<sha12>.csv      every row not kept as-is: reason, action, source line, excerpt

Each input file is identified by its SHA-256; ingesting a file already in the corpus adds
nothing, and documents that duplicate (exactly or nearly) a document already in the corpus are
rejected with the id of the kept one. Columns are mapped by a named *source* from
``data/lexicon/sources.yaml`` (``--source``) or detected from the headers.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import json
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from common import settings
from nlp.artifacts import SCHEMA_VERSION, atomic_path, atomic_write_json, sha256_file
from nlp.config import NlpConfig
from nlp.dedupe import MinHashIndex, content_key
from nlp.errors import IngestError, LexiconError
from nlp.textnorm import normalize_zh

__all__ = [
    "CORPUS_SCHEMA",
    "FIELDS",
    "IngestReport",
    "SourceMapping",
    "choose_source",
    "corpus_fingerprint",
    "corpus_size",
    "detect_encoding",
    "ingest_file",
    "ingest_files",
    "iter_corpus",
    "load_sources",
    "read_records",
]

FIELDS = ("doc_id", "text", "title", "place", "destination", "rating", "date", "url", "author")
_EXTRA_FIELDS = ("platform",)
REJECT_COLUMNS = ("source_file", "source_line", "end_line", "reason", "action", "detail", "text")
_EXCERPT = 200

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


# --------------------------------------------------------------------------- column mappings


@dataclass(frozen=True)
class SourceMapping:
    """How one export shape's headers map to our fields.

    Parameters
    ----------
    name
        Source name (``generic``, ``weibo`` …).
    fields
        Field → candidate header names (already normalised with :func:`_norm_header`).
    detect
        Headers whose joint presence identifies this shape.
    platform
        Platform stamped on rows lacking a platform column.
    """

    name: str
    fields: dict[str, tuple[str, ...]]
    detect: tuple[str, ...] = ()
    platform: str | None = None


def _norm_header(name: object) -> str:
    text = unicodedata.normalize("NFKC", str(name or "")).strip().strip("\"'").strip()
    return text.lstrip("\ufeff").lower()


def load_sources(path: str | Path | None = None) -> dict[str, SourceMapping]:
    """Load the column mappings (``sources.yaml``).

    Parameters
    ----------
    path
        YAML file; defaults to ``<lexicon_dir>/sources.yaml``.

    Returns
    -------
    dict[str, SourceMapping]
        In file order; always contains ``generic``.
    """
    path = Path(path) if path else NlpConfig().lexicon_dir / "sources.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, SourceMapping] = {}
    for name, spec in raw.items():
        fields = spec.get("fields") or {}
        unknown = set(fields) - set(FIELDS) - set(_EXTRA_FIELDS)
        if unknown:
            raise LexiconError(f"{path}: source {name!r} maps unknown fields {sorted(unknown)}")
        out[name] = SourceMapping(
            name=name,
            fields={f: tuple(_norm_header(h) for h in hs) for f, hs in fields.items()},
            detect=tuple(_norm_header(h) for h in spec.get("detect") or ()),
            platform=spec.get("platform"),
        )
    if "generic" not in out:
        raise LexiconError(f"{path}: a 'generic' source is required")
    return out


def choose_source(
    headers: Sequence[str],
    sources: dict[str, SourceMapping],
    *,
    source: str | None = None,
    path: str | Path = "<input>",
) -> tuple[SourceMapping, dict[str, int]]:
    """Pick the mapping for a header row and resolve each field to a column index.

    Parameters
    ----------
    headers
        The file's header names, in column order.
    sources
        Mappings from :func:`load_sources`.
    source
        Force this mapping; ``None`` detects from the headers.
    path
        The file, for error messages.

    Returns
    -------
    tuple[SourceMapping, dict[str, int]]
        The mapping and field → column index (only fields present).

    Raises
    ------
    IngestError
        Unknown source, or no text column (the message lists what was looked for and found).
    """
    normed = [_norm_header(h) for h in headers]
    if source is not None:
        if source not in sources:
            raise IngestError(path, f"unknown source {source!r}; known: {sorted(sources)}")
        mapping = sources[source]
    else:
        mapping = sources["generic"]
        for cand in sources.values():
            if cand.detect and all(h in normed for h in cand.detect):
                mapping = cand
                break
    columns: dict[str, int] = {}
    for fld, names in mapping.fields.items():
        for name in names:
            if name in normed:
                columns[fld] = normed.index(name)
                break
    if "text" not in columns:
        looked = ", ".join(mapping.fields.get("text", ()))
        found = ", ".join(str(h) for h in headers) or "(none)"
        raise IngestError(
            path,
            f"no text column for source {mapping.name!r}: looked for [{looked}]; "
            f"the file has columns [{found}]. Pass --source or rename the column.",
        )
    return mapping, columns


# --------------------------------------------------------------------------- reading files


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _decode_sample(sample: bytes, encoding: str) -> tuple[int, float] | None:
    """Decode a sample leniently: (replacement characters, CJK share of non-ASCII chars)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)("replace")
    except LookupError:
        return None
    text = decoder.decode(sample, final=False)  # an incomplete trailing char is held back
    errors = text.count("\ufffd")
    non_ascii = sum(1 for ch in text if ord(ch) > 127) - errors
    share = len(_CJK.findall(text)) / non_ascii if non_ascii > 0 else 0.0
    return errors, share


def detect_encoding(path: str | Path, *, sample_bytes: int = 1 << 20) -> str:
    """Detect a text file's encoding (UTF-8, UTF-8 with BOM, UTF-16, GB18030/GBK, Big5 …).

    A BOM decides. Otherwise UTF-8 wins when it decodes the sample with at most one bad byte
    sequence in 200 non-ASCII characters (undecodable lines are later rejected one by one);
    else charset-normalizer's guesses and the Chinese legacy encodings are compared: fewest
    undecodable sequences first, then the largest share of CJK characters. GBK and GB2312 are
    reported as GB18030, their superset.

    Parameters
    ----------
    path
        The file.
    sample_bytes
        How much of the file to examine.

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    IngestError
        When no candidate decodes the sample.
    """
    with open(path, "rb") as fh:
        sample = fh.read(sample_bytes)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf8 = _decode_sample(sample, "utf-8")
    if utf8 is not None:
        non_ascii = sum(1 for b in sample if b > 127) / 2.5  # ~ characters, for a threshold
        if utf8[0] == 0 or utf8[0] <= non_ascii / 200:
            return "utf-8"
    from charset_normalizer import from_bytes

    candidates = [m.encoding for m in from_bytes(sample)] + ["gb18030", "big5"]
    best: tuple[int, float, str] | None = None
    for enc in dict.fromkeys(
        "gb18030" if c.replace("_", "").lower() in {"gbk", "gb2312", "cp936"} else c
        for c in candidates
    ):
        res = _decode_sample(sample, enc)
        if res is None:
            continue
        key = (res[0], -res[1], enc)
        if best is None or key < (best[0], -best[1], best[2]):
            best = (res[0], res[1], enc)
    if best is None:
        raise IngestError(path, "cannot detect the text encoding (tried UTF-8, GB18030, Big5)")
    return best[2]


@dataclass
class RawRow:
    """One source row before mapping: 1-based line span, cell values or an error."""

    line: int
    end_line: int
    values: list[Any] | None
    error: str | None = None


def _binary_lines(path: Path, encoding: str, bad: set[int]) -> Iterator[str]:
    """Decode a file line by line; undecodable lines are replaced and their numbers recorded."""
    if encoding.startswith("utf-16"):
        with open(path, encoding=encoding, newline="") as fh:
            yield from fh
        return
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            try:
                yield raw.decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError:
                bad.add(lineno)
                yield raw.decode(encoding.replace("-sig", ""), errors="replace")


def _read_csv(path: Path, encoding: str) -> tuple[list[str], Iterator[RawRow]]:
    bad: set[int] = set()
    lines = _binary_lines(path, encoding, bad)
    head: list[str] = []
    for line in lines:
        head.append(line)
        if len(head) >= 20:
            break
    if not head:
        raise IngestError(path, "the file is empty")
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff("".join(head[:20]), delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

    def chained() -> Iterator[str]:
        yield from head
        yield from lines

    reader = csv.reader(chained(), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise IngestError(path, "the file has no header row") from exc
    except csv.Error as exc:
        raise IngestError(path, f"cannot parse the header row: {exc}", line=1) from exc

    def rows() -> Iterator[RawRow]:
        prev = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRow(prev + 1, reader.line_num, None, f"csv_error: {exc}")
                prev = reader.line_num
                continue
            start, end = prev + 1, reader.line_num
            prev = end
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line: no record
            if any(n in bad for n in range(start, end + 1)):
                yield RawRow(start, end, cells, f"undecodable_bytes as {encoding}")
            elif len(cells) != len(headers):
                yield RawRow(
                    start,
                    end,
                    cells,
                    f"malformed_row: {len(cells)} fields, header has {len(headers)}",
                )
            else:
                yield RawRow(start, end, cells)

    return headers, rows()


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[RawRow]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
        raise IngestError(path, f"cannot open as XLSX: {exc}") from exc
    if sheet is not None and sheet not in wb.sheetnames:
        raise IngestError(path, f"no sheet {sheet!r}; sheets: {wb.sheetnames}")
    ws = wb[sheet] if sheet else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    headers: list[str] = []
    header_row = 0
    for header_row, values in enumerate(it, 1):  # noqa: B007 - header_row used after the loop
        if any(v not in (None, "") for v in values):
            headers = ["" if v is None else str(v) for v in values]
            break
    if not headers:
        wb.close()
        raise IngestError(path, "the sheet has no header row")
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[RawRow]:
        try:
            for rownum, values in enumerate(it, header_row + 1):
                cells = list(values[: len(headers)])
                if all(v in (None, "") for v in cells):
                    continue
                if any(v not in (None, "") for v in values[len(headers) :]):
                    yield RawRow(rownum, rownum, cells, "malformed_row: cells beyond the header")
                    continue
                cells += [None] * (len(headers) - len(cells))
                yield RawRow(rownum, rownum, cells)
        finally:
            wb.close()

    return headers, rows()


def _read_jsonl(path: Path, encoding: str) -> tuple[list[str], Iterator[RawRow]]:
    bad: set[int] = set()
    keys: list[str] = []
    # headers are the union of keys over the first 1000 objects
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno > 1000:
                break
            try:
                obj = json.loads(raw.decode(encoding))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(obj, dict):
                keys += [k for k in obj if k not in keys]

    def rows() -> Iterator[RawRow]:
        for lineno, line in enumerate(_binary_lines(path, encoding, bad), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RawRow(lineno, lineno, [line], f"invalid_json: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                yield RawRow(lineno, lineno, [line], "invalid_json: not an object")
                continue
            extra = [k for k in obj if k not in keys]
            err = f"undecodable_bytes as {encoding}" if lineno in bad else None
            if extra and err is None:
                err = f"malformed_row: keys not in the header set {extra}"
            yield RawRow(lineno, lineno, [obj.get(k) for k in keys], err)

    return keys, rows()


def read_records(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> tuple[list[str], Iterator[RawRow], str]:
    """Open an export and stream its rows.

    Parameters
    ----------
    path
        ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xlsm`` or ``.jsonl``/``.ndjson``.
    encoding
        Text encoding; detected when ``None`` (ignored for XLSX).
    sheet
        XLSX sheet name (default: the first).

    Returns
    -------
    tuple[list[str], Iterator[RawRow], str]
        Header names, the rows, and the encoding used (``"xlsx"`` for workbooks).

    Raises
    ------
    IngestError
        Missing file, unsupported format, empty file, undetectable encoding.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        headers, rows = _read_xlsx(path, sheet)
        return headers, rows, "xlsx"
    if suffix == ".xls":
        raise IngestError(path, "legacy .xls is not supported: save it as .xlsx or .csv")
    if suffix not in {".csv", ".tsv", ".txt", ".jsonl", ".ndjson"}:
        raise IngestError(path, f"unsupported file type {suffix!r} (csv, tsv, xlsx, jsonl)")
    enc = encoding or detect_encoding(path)
    if suffix in {".jsonl", ".ndjson"}:
        headers, rows = _read_jsonl(path, enc.replace("-sig", ""))
    else:
        headers, rows = _read_csv(path, enc)
    return headers, rows, enc


# --------------------------------------------------------------------------- field parsing

_STARS = re.compile(r"^[★☆]+$")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:分|星|stars?|/\s*5)?\s*$", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def parse_rating(value: Any) -> float | None:
    """Parse a 0–5 rating (number, "4分", "4.5/5", "★★★★☆"); ``None`` if empty.

    Raises
    ------
    ValueError
        If the value is not a rating on a 0–5 scale.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a rating: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text:
            return None
        if _STARS.match(text):
            return float(text.count("★"))
        m = _NUMBER.match(text)
        if not m:
            raise ValueError(f"not a rating: {text!r}")
        number = float(m.group(1))
    if not 0.0 <= number <= 5.0:
        raise ValueError(f"rating {number} outside 0–5")
    return number


def parse_date(value: Any) -> str | None:
    """Return an ISO date (``YYYY-MM-DD``) from a cell; ``None`` if empty.

    Raises
    ------
    ValueError
        If the value holds no recognisable calendar date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    m = _DATE.search(text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = (int(g) for g in m.groups())
    return dt.date(year, month, day).isoformat()


def _cell(values: list[Any], columns: dict[str, int], fld: str) -> Any:
    idx = columns.get(fld)
    if idx is None or idx >= len(values):
        return None
    value = values[idx]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


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
    for part in _corpus_meta(corpus_dir)["parts"]:
        if not part["kept"]:
            continue
        pf = pq.ParquetFile(corpus_dir / part["file"])
        yield from pf.iter_batches(batch_size=batch_docs, columns=cols)


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

    @property
    def rejected(self) -> int:
        """Rows not kept."""
        return sum(self.reasons.values())


def _author_hash(author: Any, policy: str, salt: str) -> str | None:
    if policy == "drop" or author is None or str(author).strip() == "":
        return None
    return hashlib.sha256(f"{salt}\x1f{str(author).strip()}".encode()).hexdigest()[:16]


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


def ingest_file(
    path: str | Path,
    corpus_dir: str | Path,
    *,
    source: str | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    authors: str = "hash",
    cfg: NlpConfig | None = None,
    sources: dict[str, SourceMapping] | None = None,
) -> IngestReport:
    """Add one export file to a corpus folder (idempotent).

    Parameters
    ----------
    path
        CSV/TSV (any detected encoding), XLSX or JSONL export.
    corpus_dir
        Corpus folder (created if missing).
    source
        Column mapping name from ``sources.yaml``; detected from the headers when ``None``.
    sheet
        XLSX sheet.
    encoding
        Force a text encoding instead of detecting it.
    authors
        ``"hash"`` (salted SHA-256, salt from ``HERITAGE_NLP_AUTHOR_SALT``) or ``"drop"``.
    cfg
        Limits (``min_chars``, ``max_chars``, ``near_dup_threshold``, ``chunk_docs``).
    sources
        Mappings; default :func:`load_sources`.

    Returns
    -------
    IngestReport

    Raises
    ------
    IngestError
        Unreadable file, unknown source, missing text column.
    """
    cfg = cfg or NlpConfig()
    if authors not in {"hash", "drop"}:
        raise ValueError(f"authors must be 'hash' or 'drop', got {authors!r}")
    path = Path(path)
    corpus_dir = Path(corpus_dir)
    digest = sha256_file(path) if path.is_file() else ""
    headers, rows, enc = read_records(path, encoding=encoding, sheet=sheet)
    mapping, columns = choose_source(headers, sources or load_sources(), source=source, path=path)
    report = IngestReport(str(path), digest, mapping.name, enc)
    meta = _corpus_meta(corpus_dir)
    for part in meta["parts"]:
        if part["sha256"] == digest:
            report.already_ingested = True
            report.part_file = part["file"]
            report.rejects_file = part["rejects"]
            return report

    salt = settings.author_salt()
    index = MinHashIndex(threshold=cfg.near_dup_threshold)
    seen_keys = _existing_index(corpus_dir, meta, index)
    seen_ids: set[str] = set(seen_keys.values())
    short = digest[:12]
    part_rel, rejects_rel = f"parts/{short}.parquet", f"rejects/{short}.csv"
    buffer: list[dict[str, Any]] = []

    with (
        atomic_path(corpus_dir / part_rel) as part_tmp,
        atomic_path(corpus_dir / rejects_rel) as rej_tmp,
        open(rej_tmp, "w", encoding="utf-8", newline="") as rej_fh,
    ):
        writer = pq.ParquetWriter(part_tmp, CORPUS_SCHEMA)
        rejects = csv.writer(rej_fh)
        rejects.writerow(REJECT_COLUMNS)

        def reject(row: RawRow, reason: str, detail: str, text: Any, action: str = "dropped"):
            excerpt = "" if text is None else str(text)[:_EXCERPT]
            rejects.writerow((path.name, row.line, row.end_line, reason, action, detail, excerpt))
            (report.reasons if action == "dropped" else report.kept_with_issues)[reason] += 1

        def flush() -> None:
            if buffer:
                writer.write_table(pa.Table.from_pylist(buffer, schema=CORPUS_SCHEMA))
                buffer.clear()

        try:
            for row in rows:
                report.rows += 1
                if row.values is None or (row.error and not row.error.startswith("undecod")):
                    reason, _, detail = (row.error or "unreadable").partition(": ")
                    raw_text = None if row.values is None else " ".join(map(str, row.values))
                    reject(row, reason, detail, raw_text)
                    continue
                values = row.values
                raw = _text_cell(_cell(values, columns, "text"))
                title = _text_cell(_cell(values, columns, "title"))
                if row.error:  # undecodable bytes: the text would be garbage
                    reason, _, detail = row.error.partition(" ")
                    reject(row, reason, detail, raw)
                    continue
                if title and raw:
                    raw = f"{title}。{raw}"
                text = normalize_zh(raw)
                if not text:
                    reason = "empty_text" if not (raw or "").strip() else "empty_after_normalise"
                    reject(row, reason, "", raw)
                    continue
                if len(text) < cfg.min_chars:
                    reject(row, "too_short", f"{len(text)} < {cfg.min_chars} chars", raw)
                    continue
                if len(text) > cfg.max_chars:
                    detail = f"{len(text)} > {cfg.max_chars} chars"
                    if row.end_line > row.line:
                        detail += f"; spans lines {row.line}-{row.end_line} (unbalanced quote?)"
                    reject(row, "too_long", detail, raw)
                    continue
                rating = date = None
                try:
                    rating = parse_rating(_cell(values, columns, "rating"))
                except ValueError as exc:
                    reject(row, "bad_rating", f"{exc}; kept without rating", raw, "kept")
                try:
                    date = parse_date(_cell(values, columns, "date"))
                except ValueError as exc:
                    reject(row, "bad_date", f"{exc}; kept without date", raw, "kept")
                place = _text_cell(_cell(values, columns, "place"))
                place = normalize_zh(place) or None if place else None
                author = _cell(values, columns, "author")
                ckey = content_key(text, author=_text_cell(author), date=date, place=place)
                if ckey in seen_keys:
                    reject(row, "duplicate_exact", f"same as {seen_keys[ckey]}", raw)
                    continue
                sig = index.signature(text)
                near = index.query(sig)
                if near is not None:
                    reject(row, "duplicate_near", f"~{near[1]:.2f} Jaccard with {near[0]}", raw)
                    continue
                doc_id = _text_cell(_cell(values, columns, "doc_id")) or f"d{ckey[:15]}"
                if doc_id in seen_ids:
                    reject(row, "duplicate_doc_id", f"doc_id {doc_id} already used", raw)
                    continue
                seen_ids.add(doc_id)
                seen_keys[ckey] = doc_id
                index.add(doc_id, sig)
                platform = _text_cell(_cell(values, columns, "platform")) or mapping.platform
                dest = _text_cell(_cell(values, columns, "destination"))
                buffer.append(
                    {
                        "doc_id": doc_id,
                        "source_file": path.name,
                        "source_line": row.line,
                        "source": mapping.name,
                        "platform": platform,
                        "destination": normalize_zh(dest) or None if dest else None,
                        "place": place,
                        "rating": rating,
                        "date": date,
                        "url": _text_cell(_cell(values, columns, "url")),
                        "author_hash": _author_hash(author, authors, salt),
                        "text": text,
                        "content_key": ckey,
                        "minhash": None if sig is None else sig.tobytes(),
                    }
                )
                report.kept += 1
                if len(buffer) >= cfg.chunk_docs:
                    flush()
            flush()
        finally:
            writer.close()
        part_sha = sha256_file(part_tmp)
    report.part_file, report.rejects_file = part_rel, rejects_rel
    meta["parts"].append(
        {
            "file": part_rel,
            "rejects": rejects_rel,
            "source_file": str(path),
            "sha256": digest,
            "part_sha256": part_sha,
            "source": mapping.name,
            "encoding": enc,
            "columns": {f: headers[i] for f, i in columns.items()},
            "authors": authors,
            "rows": report.rows,
            "kept": report.kept,
            "rejected": report.rejected,
            "reasons": dict(report.reasons),
            "kept_with_issues": dict(report.kept_with_issues),
            "params": {
                "min_chars": cfg.min_chars,
                "max_chars": cfg.max_chars,
                "near_dup_threshold": cfg.near_dup_threshold,
            },
        }
    )
    atomic_write_json(corpus_dir / "corpus.json", meta)
    return report


def ingest_files(
    paths: Iterable[str | Path], corpus_dir: str | Path, **kwargs: Any
) -> list[IngestReport]:
    """Ingest several files into one corpus, in order (see :func:`ingest_file`)."""
    return [ingest_file(p, corpus_dir, **kwargs) for p in paths]
