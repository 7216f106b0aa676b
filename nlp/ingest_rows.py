"""The per-row work of an ingest, run on the engine (:mod:`nlp.engine`) over chunks of rows.

:func:`ingest_chunk` turns raw source rows into candidate documents: platform boilerplate and
default reviews, :func:`~nlp.textnorm.normalize_zh`, personal data masking, length limits,
rating and date parsing, the exact-duplicate key and the MinHash signature. Each row gives a
:class:`RowResult` with the reject lines it already earned and what it stripped and masked.
Nothing here depends on other rows, so chunks can run anywhere and in any order; the
order-dependent part (duplicates against earlier documents, doc_id uniqueness, the author
pseudonym, writing parts and rejects) stays in :mod:`nlp.ingest`, in row order. The author
handle's keyed hash is made there too, so the key never leaves the ingesting process (chunk
results are kept on disk as partitions, :mod:`nlp.partitions`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from nlp.boilerplate import PlatformRules
from nlp.dedupe import MinHasher, content_key
from nlp.mapping import SourceMapping, _cell, _text_cell, parse_date, parse_rating
from nlp.placefrom import Resolved
from nlp.privacy import mask_pii, mask_url
from nlp.readers import RawRow
from nlp.textnorm import normalize_zh

__all__ = [
    "RejectLine",
    "RowResult",
    "RowWork",
    "TablePlace",
    "TableRows",
    "excerpt",
    "ingest_chunk",
]

_EXCERPT = 200

#: one line of a rejects CSV: source_file, source_line, end_line, reason, action, detail, text
RejectLine = tuple[str, int, int, str, str, str, str]


@dataclass(frozen=True)
class TablePlace:
    """Where the documents of one table belong: a column, or one resolved label."""

    origin: str  # "column", "filename", "sheet", "folder" or "none"
    fixed: Resolved | None = None


@dataclass(frozen=True)
class TableRows:
    """What a chunk's rows need to know about their table."""

    label: str  # file name, with the sheet: ``export.xlsx[Sheet1]``
    mapping: SourceMapping
    columns: dict[str, int]
    where: TablePlace


@dataclass(frozen=True)
class RowWork:
    """The worker state: limits, platform rules and the MinHash signature functions."""

    min_chars: int
    max_chars: int
    rules: PlatformRules
    hasher: MinHasher


class RowResult(NamedTuple):
    """What one source row gave, before the duplicate checks.

    ``doc`` is the candidate document (every corpus column but ``author_hash``; ``url`` already
    masked) or ``None`` when the row was rejected; ``bands`` its MinHash band keys (``uint64``
    bytes, ``None`` without a signature); ``url_masked`` counts what masking the url found, to
    be added only if the document is kept.
    """

    rejects: list[RejectLine]
    stripped: list[tuple[str, int]]
    masked: list[tuple[str, int]]
    doc: dict[str, Any] | None = None
    end_line: int = 0
    excerpt: str = ""
    url_masked: tuple[tuple[str, int], ...] = ()
    bands: bytes | None = None


def excerpt(text: Any) -> str:
    """The start of a rejected row's text, as the rejects CSV keeps it."""
    return "" if text is None else str(text)[:_EXCERPT]


class _Row:
    """Collects one row's rejects and counts."""

    __slots__ = ("label", "masked", "rejects", "row", "stripped")

    def __init__(self, label: str, row: RawRow) -> None:
        self.label = label
        self.row = row
        self.rejects: list[RejectLine] = []
        self.stripped: Counter[str] = Counter()
        self.masked: Counter[str] = Counter()

    def reject(self, reason: str, detail: str, text: Any, action: str = "dropped") -> None:
        row = self.row
        self.rejects.append(
            (self.label, row.line, row.end_line, reason, action, detail, excerpt(text))
        )

    def result(
        self,
        doc: dict[str, Any] | None = None,
        raw: Any = None,
        url: Any = (),
        bands: bytes | None = None,
    ) -> RowResult:
        return RowResult(
            self.rejects,
            list(self.stripped.items()),
            list(self.masked.items()),
            doc,
            self.row.end_line,
            excerpt(raw) if doc is not None else "",
            tuple(url),
            bands,
        )


def _clean_text(work: RowWork, acc: _Row, raw: str | None, platform: str | None) -> str | None:
    """Normalised, boilerplate-free, masked text, or ``None`` (the row was rejected)."""
    if work.rules.is_default_review(raw):
        acc.stripped["default_review"] += 1
        acc.reject("default_review", "platform default review", raw)
        return None
    text = normalize_zh(raw)
    text = work.rules.strip(text, platform, acc.stripped)
    text = mask_pii(text, acc.masked)
    if not text:
        reason = "empty_text" if not (raw or "").strip() else "empty_after_normalise"
        acc.reject(reason, "", raw)
        return None
    if len(text) < work.min_chars:
        acc.reject("too_short", f"{len(text)} < {work.min_chars} chars", raw)
        return None
    if len(text) > work.max_chars:
        detail = f"{len(text)} > {work.max_chars} chars"
        row = acc.row
        if row.end_line > row.line:
            detail += f"; spans lines {row.line}-{row.end_line} (unbalanced quote?)"
        acc.reject("too_long", detail, raw)
        return None
    return text


def _row_result(work: RowWork, table: TableRows, row: RawRow) -> RowResult:
    """One source row's candidate document, or its reject lines."""
    acc = _Row(table.label, row)
    if row.values is None or (row.error and not row.error.startswith("undecod")):
        reason, _, detail = (row.error or "unreadable").partition(": ")
        acc.reject(reason, detail, None if row.values is None else " ".join(map(str, row.values)))
        return acc.result()
    values, columns, mapping = row.values, table.columns, table.mapping
    raw = _text_cell(_cell(values, columns, "text"))
    title = _text_cell(_cell(values, columns, "title"))
    if row.error:  # undecodable bytes: the text would be garbage
        reason, _, detail = row.error.partition(" ")
        acc.reject(reason, detail, raw)
        return acc.result()
    if title and raw:
        raw = f"{title}。{raw}"
    platform = _text_cell(_cell(values, columns, "platform")) or mapping.platform
    text = _clean_text(work, acc, raw, platform)
    if text is None:
        return acc.result()
    rating = date = None
    try:
        rating = parse_rating(_cell(values, columns, "rating"))
    except ValueError as exc:
        acc.reject("bad_rating", f"{exc}; kept without rating", raw, "kept")
    try:
        date = parse_date(_cell(values, columns, "date"))
    except ValueError as exc:
        acc.reject("bad_date", f"{exc}; kept without date", raw, "kept")
    dest: str | None
    place: str | None
    if table.where.fixed is not None:
        dest, place = table.where.fixed.destination, table.where.fixed.place
    else:
        place_text = _text_cell(_cell(values, columns, "place"))
        place = normalize_zh(place_text) or None if place_text else None
        dest_text = _text_cell(_cell(values, columns, "destination"))
        dest = normalize_zh(dest_text) or None if dest_text else None
    author = _text_cell(_cell(values, columns, "author"))
    ckey = content_key(text, author=author, date=date, place=place)
    sig = work.hasher.signature(text)
    url_masked: Counter[str] = Counter()
    doc = {
        "doc_id": _text_cell(_cell(values, columns, "doc_id")) or f"d{ckey[:15]}",
        "source_file": table.label,
        "source_line": row.line,
        "source": mapping.name,
        "platform": platform,
        "destination": dest or None,
        "place": place,
        "rating": rating,
        "date": date,
        "url": mask_url(_text_cell(_cell(values, columns, "url")), url_masked),
        "text": text,
        "content_key": ckey,
        "minhash": None if sig is None else sig.tobytes(),
    }
    bands = None if sig is None else work.hasher.band_keys(sig).tobytes()
    return acc.result(doc, raw, url_masked.items(), bands)


def ingest_chunk(work: RowWork, chunk: tuple[TableRows, list[RawRow]]) -> list[RowResult]:
    """The :class:`RowResult` of every row of one chunk of a table, in order (an engine map's
    function: module-level, picklable arguments and results, deterministic)."""
    table, rows = chunk
    return [_row_result(work, table, row) for row in rows]
