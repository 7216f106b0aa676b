"""Travel times the user knows better than our estimates (a bureau's measured drive times, a
coach operator's timetable): a CSV whose rows replace the planner's minutes for the pairs they
list. Every other pair keeps the estimate (documented km ÷ planning speed + overhead).

Columns (header names as written; extra columns are ignored):

``from``, ``to``
    Site names as anywhere else (ids, Chinese names, aliases, pinyin).
``minutes``
    Door-to-door travel time, > 0 and at most 24 hours (1,440) per leg.
``km`` (optional)
    The distance for that leg, at most 3,600 km (24 hours at 150 km/h: a plausibility bound,
    not a fact); without it the leg keeps the documented or estimated km.
``mode`` (optional)
    ``car`` or ``bus``; empty means both.
``directed`` (optional)
    ``yes`` when the time holds only from → to (one-way streets, a coach that runs one way);
    by default a row holds both ways.
``source`` (optional, recommended)
    Where the figure comes from; it is kept with the plan.

The file is read as UTF-8 (with or without BOM) or, failing that, GB18030 (Excel's Chinese
default). Every problem — unknown site (with the closest names), bad number, unknown mode, a pair
given twice — is reported with the file and line, all at once, and nothing is applied.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from kg.catalog import Catalog, UnknownSiteError
from kg.names import echo

REQUIRED = ("from", "to", "minutes")
TRAVEL_MODES = ("car", "bus")
_YES = {"yes", "y", "true", "1", "是"}
_NO = {"", "no", "n", "false", "0", "否"}
#: the longest leg a row may give: one day; more is a typo (seconds, a misplaced column)
MAX_LEG_MINUTES = 24 * 60.0
#: the longest distance a row may give: a day's drive at 150 km/h (a plausibility bound)
MAX_LEG_KM = 24 * 150.0


class TravelTimesError(UserError, ValueError):
    """A travel-time file that cannot be used; the message lists every problem with its line."""


@dataclass(frozen=True)
class TravelTime:
    """One row: ``minutes`` (and maybe ``km``) from ``from_id`` to ``to_id``."""

    from_id: str
    to_id: str
    minutes: float
    km: float | None
    mode: str | None  # None: every mode
    directed: bool
    source: str
    lineno: int


@dataclass(frozen=True)
class TravelTimes:
    """The rows of one file, with its name and content hash (kept in the plan's parameters)."""

    name: str
    sha256: str
    rows: tuple[TravelTime, ...]

    def for_mode(self, mode: str) -> dict[tuple[str, str], TravelTime]:
        """``(from_id, to_id)`` → row for ``mode``, both directions unless the row is directed;
        a row for the mode wins over a row for every mode."""
        out: dict[tuple[str, str], TravelTime] = {}
        general = [r for r in self.rows if r.mode is None]
        for r in general + [r for r in self.rows if r.mode == mode]:
            out[(r.from_id, r.to_id)] = r
            if not r.directed:
                out[(r.to_id, r.from_id)] = r
        return out


def _decode(raw: bytes, path: Path) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise TravelTimesError(f"{path}: neither UTF-8 nor GB18030 text")


def _number(text: str, what: str, *, positive: bool, most: float) -> float:
    shown = echo(text)
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} {shown} is not a number") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{what} must be {'> 0' if positive else '>= 0'}, got {shown}")
    if value > most:
        raise ValueError(f"{what} must be at most {most:,.0f} (one day), got {shown}")
    return value


def load_travel_times(path: str | Path, catalog: Catalog) -> TravelTimes:
    """Read and check a travel-time CSV (see the module docstring).

    Raises
    ------
    TravelTimesError
        Listing every problem as ``file:line: message``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TravelTimesError(f"{path}: cannot read ({exc.strerror or exc})") from None
    reader = csv.DictReader(io.StringIO(_decode(raw, path), newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TravelTimesError(
            f"{path}:1: missing column(s) {', '.join(missing)}; the header has "
            f"{', '.join(header) or 'nothing'} (needed: from, to, minutes; optional: km, mode, "
            "directed, source)"
        )
    reader.fieldnames = header
    rows: list[TravelTime] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str | None], int] = {}
    for lineno, rec in enumerate(reader, start=2):
        get = {k: (v or "").strip() for k, v in rec.items() if k is not None}
        if not any(get.values()):
            continue  # a blank line is not a row
        where = f"{path}:{lineno}"
        try:
            a = catalog.resolve(get["from"]).id
            b = catalog.resolve(get["to"]).id
            if a == b:
                raise ValueError(f"from and to are the same site ({a})")
            minutes = _number(get["minutes"], "minutes", positive=True, most=MAX_LEG_MINUTES)
            km = (
                _number(get["km"], "km", positive=False, most=MAX_LEG_KM) if get.get("km") else None
            )
            mode = get.get("mode", "").lower() or None
            if mode is not None and mode not in TRAVEL_MODES:
                raise ValueError(f"mode {echo(mode)} is not one of {', '.join(TRAVEL_MODES)}")
            directed_text = get.get("directed", "").lower()
            if directed_text not in _YES | _NO:
                raise ValueError(f"directed {echo(directed_text)} is not yes or no")
            directed = directed_text in _YES
        except (UnknownSiteError, ValueError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        keys = [(a, b, mode)] + ([] if directed else [(b, a, mode)])
        clash = next((seen[k] for k in keys if k in seen), None)
        if clash is not None:
            pair = f"{a} → {b} ({mode or 'all modes'})"
            problems.append(f"{where}: {pair} is already on line {clash}")
            continue
        for k in keys:
            seen[k] = lineno
        rows.append(TravelTime(a, b, minutes, km, mode, directed, get.get("source", ""), lineno))
    if problems:
        raise TravelTimesError(
            f"{len(problems)} problem(s) in {path}; nothing was applied:\n" + "\n".join(problems)
        )
    if not rows:
        raise TravelTimesError(f"{path}: no rows")
    return TravelTimes(path.name, hashlib.sha256(raw).hexdigest(), tuple(rows))
