"""Column mappings and cell parsing for review exports.

A *source* (``data/lexicon/sources.yaml``) maps our fields to the header names an export may
use; :func:`choose_source` picks one from a header row (or by name) and finds each field's
column. :func:`parse_rating` and :func:`parse_date` read the rating and date cells.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlp.config import NlpConfig
from nlp.errors import IngestError, LexiconError

__all__ = [
    "FIELDS",
    "SourceMapping",
    "choose_source",
    "load_sources",
    "parse_date",
    "parse_rating",
]

FIELDS = ("doc_id", "text", "title", "place", "destination", "rating", "date", "url", "author")
_EXTRA_FIELDS = ("platform",)


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
