"""Opening hours and closures as data: ``data/catalog/opening_hours.csv``.

A row is a rule ``site_id, days, open, close, valid_from, valid_to, status``. ``status`` is
``open`` (hours on the listed weekdays), ``closed`` (closed on every listed day of the
validity period) or ``reported_closed`` (a source said it was closed; current status unknown).
For a date, :func:`hours_on` says whether the site is open, closed or unknown, with the
window and the notes a traveller should see (:class:`~planner.messages.Message` s; a row's
``note`` (English) and ``note_zh`` (Chinese) are data, shown as written in the reader's
language; a note needs both). A site with no rule has unknown hours.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from kg.catalog import CatalogError, default_data_dir
from planner.messages import WEEKDAYS_EN as _DAYS
from planner.messages import Message, Name, msg, weekdays

HOURS_FILE = "opening_hours.csv"
_STATUSES = {"open", "closed", "reported_closed"}


@dataclass(frozen=True)
class HoursRule:
    """One row of the opening-hours table."""

    site_id: str
    days: frozenset[int]
    open: dt.time | None
    close: dt.time | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    status: str
    confidence: str
    source: str
    note: str
    lineno: int
    note_zh: str = ""

    @property
    def note_text(self) -> Name:
        """The note in both languages (Chinese in the Chinese UI, English in the English one)."""
        return Name(self.note_zh or self.note, self.note, keep_zh=False)

    def applies(self, day: dt.date) -> bool:
        """True when ``day`` lies in the rule's validity period."""
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True)
class DayHours:
    """What is known about a site on one date."""

    status: str  # "open", "closed" or "unknown"
    open: dt.time | None = None
    close: dt.time | None = None
    notes: tuple[Message, ...] = ()
    sources: tuple[str, ...] = ()


def _parse_days(text: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.replace(" ", "").split(";"):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            i, j = _DAYS.index(a), _DAYS.index(b)
            out.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        else:
            out.add(_DAYS.index(part))
    return frozenset(out)


def load_hours(
    path: str | Path | None = None, known_sites: set[str] | None = None
) -> dict[str, list[HoursRule]]:
    """Read and validate the rules; every problem is reported as ``file:line: message``."""
    path = Path(path) if path else default_data_dir() / HOURS_FILE
    problems: list[str] = []
    rules: dict[str, list[HoursRule]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"site_id", "days", "open", "close", "valid_from", "valid_to", "status", "source"}
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise CatalogError([f"{path}:1: missing columns {', '.join(sorted(missing))}"])
        for row in reader:
            ln = reader.line_num
            where = f"{path.name}:{ln}"
            try:
                site = row["site_id"].strip()
                if known_sites is not None and site not in known_sites:
                    raise ValueError(f"unknown site id {site!r}")
                status = row["status"].strip()
                if status not in _STATUSES:
                    raise ValueError(f"status must be one of {sorted(_STATUSES)}, got {status!r}")
                opening = dt.time.fromisoformat(row["open"]) if row["open"].strip() else None
                closing = dt.time.fromisoformat(row["close"]) if row["close"].strip() else None
                if opening and closing and closing <= opening:
                    raise ValueError(f"closes ({closing}) before it opens ({opening})")
                vf = row["valid_from"].strip()
                vt = row["valid_to"].strip()
                valid_from = dt.date.fromisoformat(vf) if vf else None
                valid_to = dt.date.fromisoformat(vt) if vt else None
                if valid_from and valid_to and valid_to < valid_from:
                    raise ValueError("valid_to is before valid_from")
                if not row["source"].strip():
                    raise ValueError("no source")
                note_en = (row.get("note") or "").strip()
                note_zh = (row.get("note_zh") or "").strip()
                if bool(note_en) != bool(note_zh):
                    raise ValueError("a note needs both note (English) and note_zh (Chinese)")
                rule = HoursRule(
                    site_id=site,
                    days=_parse_days(row["days"]),
                    open=opening,
                    close=closing,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    status=status,
                    confidence=row.get("confidence", "").strip(),
                    source=row["source"].strip(),
                    note=note_en,
                    note_zh=note_zh,
                    lineno=ln,
                )
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            rules.setdefault(site, []).append(rule)
    if problems:
        raise CatalogError(problems)
    return rules


def hours_on(rules: list[HoursRule] | None, day: dt.date) -> DayHours:
    """Opening status of a site on ``day`` from its rules (``unknown`` when none apply)."""
    if not rules:
        return DayHours("unknown", notes=(msg("hours.unknown"),))
    active = [r for r in rules if r.applies(day)]
    for r in active:
        if r.status == "closed" and day.weekday() in r.days:
            note = msg("text", text=r.note_text) if r.note else msg("hours.closed_on_date")
            return DayHours("closed", notes=(note,), sources=(r.source,))
    notes: list[Message] = []
    sources: list[str] = []
    for r in active:
        if r.status == "reported_closed":
            notes.append(msg("hours.reported_closed"))
            if r.note:
                notes.append(msg("hours.reported_note", text=r.note_text))
            sources.append(r.source)
    timed = [r for r in active if r.status == "open"]
    if timed:
        today = [r for r in timed if day.weekday() in r.days]
        if not today:
            return DayHours(
                "closed",
                notes=(msg("hours.open_days_only", days=weekdays(timed[0].days)),),
                sources=tuple(r.source for r in timed),
            )
        r = today[0]
        if r.note:
            notes.append(msg("text", text=r.note_text))
        if r.open is None:
            notes.append(msg("hours.open_time_unknown"))
        if r.close is None:
            notes.append(msg("hours.close_time_unknown"))
        return DayHours("open", r.open, r.close, tuple(notes), (*sources, r.source))
    notes.append(msg("hours.unknown"))
    return DayHours("unknown", notes=tuple(notes), sources=tuple(sources))
