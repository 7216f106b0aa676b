"""Open review exports as tables of rows, whatever their name says.

The format is read from the content, not the file name: a ZIP holding ``xl/workbook.xml`` is an
XLSX workbook (also when it is called ``.xls``), an OLE2 compound file is a legacy BIFF ``.xls``,
a ZIP whose ``mimetype`` is an OpenDocument spreadsheet is ``.ods``; everything else must be
text (CSV, TSV or JSON Lines, encoding detected). Every sheet of a workbook is a table. Files
that are neither text nor a spreadsheet (random bytes, PDFs, images …) are refused with
"not a text or spreadsheet file" and the file's name.

Readers stream :class:`RawRow` objects (1-based source line span, cell values or an error) so
that :mod:`nlp.ingest` can keep every malformed row aside with its line.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.errors import IngestError

__all__ = [
    "EXPORT_SUFFIXES",
    "RawRow",
    "Table",
    "detect_encoding",
    "expand_inputs",
    "iter_tables",
    "read_records",
    "sniff_format",
]

#: file name endings picked up when a folder is given as input
EXPORT_SUFFIXES = frozenset(
    {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".jsonl", ".ndjson"}
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "an SQLite database"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = frozenset(range(0, 32)) - {9, 10, 12, 13, 27}


# --------------------------------------------------------------------------- format


def _not_tabular(path: Path, what: str) -> IngestError:
    return IngestError(
        path,
        f"not a text or spreadsheet file ({what}); expected CSV/TSV, JSON Lines, XLSX, XLS or "
        "ODS — unsupported file type",
    )


def sniff_format(path: str | Path) -> str:
    """The file's format from its first bytes: ``xlsx``, ``xls``, ``ods`` or ``text``.

    Raises
    ------
    IngestError
        For a missing or empty file, and for anything that is neither text nor a spreadsheet.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        raise IngestError(path, "the file is empty")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                mimetype = (
                    zf.read("mimetype").decode("ascii", "replace") if ("mimetype" in names) else ""
                )
        except (zipfile.BadZipFile, OSError) as exc:
            raise _not_tabular(path, f"a damaged ZIP archive: {exc}") from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "spreadsheet" in mimetype:
            return "ods"
        if "word/document.xml" in names:
            raise _not_tabular(path, "a Word document")
        raise _not_tabular(path, "a ZIP archive")
    if head.startswith(_OLE2):
        return "xls"
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            raise _not_tabular(path, what)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    control = sum(1 for b in head if b in _CONTROL)
    if b"\x00" in head or control > max(2, len(head) // 200):
        raise _not_tabular(path, "binary data")
    return "text"


# --------------------------------------------------------------------------- encodings


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: Chinese encodings win ties against others (charset-normalizer guesses Japanese or Korean
#: encodings for short GBK files, which decode the same bytes without errors)
_PREFERRED = ("gb18030", "big5")


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
    undecodable sequences first; among those, GB18030 then Big5 when their share of CJK
    characters is within 5 points of the best (short GBK files are otherwise taken for
    Japanese), else the largest CJK share. GBK and GB2312 are reported as GB18030.

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

    guesses = [m.encoding for m in from_bytes(sample)]
    scored: dict[str, tuple[int, float]] = {}
    for cand in [*_PREFERRED, *guesses]:
        enc = "gb18030" if cand.replace("_", "").lower() in {"gbk", "gb2312", "cp936"} else cand
        if enc not in scored:
            res = _decode_sample(sample, enc)
            if res is not None:
                scored[enc] = res
    if not scored:
        raise IngestError(path, "cannot detect the text encoding (tried UTF-8, GB18030, Big5)")
    fewest = min(e for e, _ in scored.values())
    clean = {enc: share for enc, (e, share) in scored.items() if e == fewest}
    top = max(clean.values())
    for enc in _PREFERRED:
        if enc in clean and clean[enc] >= top - 0.05:
            return enc
    return min(clean, key=lambda enc: (-clean[enc], enc))


# --------------------------------------------------------------------------- rows


@dataclass
class RawRow:
    """One source row before mapping: 1-based line span, cell values or an error."""

    line: int
    end_line: int
    values: list[Any] | None
    error: str | None = None


@dataclass
class Table:
    """One table of an export: a CSV/JSONL file, or one sheet of a workbook.

    Attributes
    ----------
    headers
        Header names in column order.
    rows
        The data rows, streamed.
    encoding
        Text encoding, or the workbook format (``xlsx``, ``xls``, ``ods``).
    sheet
        Sheet name for workbooks, ``None`` for text files.
    """

    headers: list[str]
    rows: Iterator[RawRow]
    encoding: str
    sheet: str | None = None


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


def _csv_rows(reader: Any, headers: list[str], bad: set[int], encoding: str) -> Iterator[RawRow]:
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
            detail = f"malformed_row: {len(cells)} fields, header has {len(headers)}"
            yield RawRow(start, end, cells, detail)
        else:
            yield RawRow(start, end, cells)


def _read_csv(path: Path, encoding: str) -> Table:
    bad: set[int] = set()
    lines = _binary_lines(path, encoding, bad)
    head: list[str] = []
    for line in lines:
        head.append(line)
        if len(head) >= 20:
            break
    if not "".join(head).strip():
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
    return Table(headers, _csv_rows(reader, headers, bad, encoding), encoding)


def _sheet_table(
    path: Path, it: Iterator[Iterable[Any]], name: str, fmt: str, close: Any = None
) -> Table | None:
    """Rows of one sheet: the first non-empty row is the header; ``None`` for an empty sheet."""
    headers: list[str] = []
    header_row = 0
    for header_row, values in enumerate(it, 1):  # noqa: B007 - header_row used after the loop
        values = list(values)
        if any(v not in (None, "") for v in values):
            headers = ["" if v is None else str(v) for v in values]
            break
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        return None

    def rows() -> Iterator[RawRow]:
        try:
            for rownum, values in enumerate(it, header_row + 1):
                values = list(values)
                cells = [None if v == "" else v for v in values[: len(headers)]]
                if all(v is None for v in cells):
                    continue
                if any(v not in (None, "") for v in values[len(headers) :]):
                    yield RawRow(rownum, rownum, cells, "malformed_row: cells beyond the header")
                    continue
                cells += [None] * (len(headers) - len(cells))
                yield RawRow(rownum, rownum, cells)
        finally:
            if close is not None:
                close()

    return Table(headers, rows(), fmt, name)


def _read_xlsx(path: Path) -> Iterator[Table]:
    import openpyxl

    fh = open(path, "rb")  # noqa: SIM115 - a file object: openpyxl judges paths by their suffix
    try:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
            raise IngestError(path, f"cannot open as an XLSX workbook: {exc}") from exc
        try:
            for ws in wb.worksheets:
                table = _sheet_table(path, ws.iter_rows(values_only=True), ws.title, "xlsx")
                if table is not None:
                    yield table
        finally:
            wb.close()
    finally:
        fh.close()


def _read_calamine(path: Path, fmt: str) -> Iterator[Table]:
    """Legacy BIFF ``.xls`` and OpenDocument ``.ods`` through python-calamine."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's errors have no common base besides Exception
        raise IngestError(path, f"cannot open as an {fmt.upper()} workbook: {exc}") from exc
    for name in wb.sheet_names:
        try:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise IngestError(path, f"cannot read sheet {name!r}: {exc}") from exc
        table = _sheet_table(path, iter(data), name, fmt)
        if table is not None:
            yield table


def _read_jsonl(path: Path, encoding: str) -> Table:
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

    return Table(keys, rows(), encoding)


def _looks_like_jsonl(path: Path, encoding: str) -> bool:
    if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        return True
    with open(path, encoding=encoding, errors="replace") as fh:
        for line in fh:
            if line.strip():
                return line.lstrip("\ufeff").lstrip().startswith("{")
    return False


def iter_tables(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> Iterator[Table]:
    """Every table of an export: one for a text file, one per non-empty workbook sheet.

    Parameters
    ----------
    path
        Any CSV/TSV/TXT, JSON Lines, XLSX/XLSM, XLS or ODS file (the format is sniffed).
    encoding
        Text encoding; detected when ``None`` (ignored for workbooks).
    sheet
        Only this workbook sheet (default: all).

    Raises
    ------
    IngestError
        Missing, empty or non-tabular file, undetectable encoding, workbook without data, or
        an unknown sheet (the message lists the sheets).
    """
    path = Path(path)
    fmt = sniff_format(path)
    if fmt == "text":
        enc = encoding or detect_encoding(path)
        if _looks_like_jsonl(path, enc):
            yield _read_jsonl(path, enc.replace("-sig", ""))
        else:
            yield _read_csv(path, enc)
        return
    tables = _read_xlsx(path) if fmt == "xlsx" else _read_calamine(path, fmt)
    seen: list[str] = []
    for table in tables:
        seen.append(str(table.sheet))
        if sheet is None or table.sheet == sheet:
            yield table
    if sheet is not None and sheet not in seen:
        raise IngestError(path, f"no sheet {sheet!r} with data; sheets with data: {seen}")
    if not seen:
        raise IngestError(path, "the workbook has no sheet with a header row")


def read_records(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> tuple[list[str], Iterator[RawRow], str]:
    """The first table of an export as (headers, rows, encoding); see :func:`iter_tables`."""
    table = next(iter_tables(path, encoding=encoding, sheet=sheet))
    return table.headers, table.rows, table.encoding


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the export files under each folder (recursively, sorted).

    Hidden files and Office lock files (``~$…``) inside folders are skipped.

    Raises
    ------
    IngestError
        A path that does not exist, or a folder holding no export file.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in EXPORT_SUFFIXES
                and not any(part.startswith((".", "~$")) for part in f.relative_to(p).parts)
            )
            if not found:
                kinds = ", ".join(sorted(EXPORT_SUFFIXES))
                raise IngestError(p, f"the folder holds no export file ({kinds})")
            out += found
        elif p.exists():
            out.append(p)
        else:
            raise IngestError(p, "no such file or folder")
    return list(dict.fromkeys(out))
