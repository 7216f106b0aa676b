"""The itinerary data model shared by the planner, the exports and the app.

Plain frozen dataclasses with a lossless JSON form (``itinerary_to_dict`` /
``itinerary_from_dict``), so a plan can be saved, shared and loaded back. Notes, warnings and
the reasons sites were left out are :class:`~planner.messages.Message` s, stored with their
code and arguments so a saved plan can be shown in Chinese or English.

Schema 2 (messages as ``{"code", "args", "text"}``) replaced schema 1 (English strings); files
of either version load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from common.errors import UserError
from planner.messages import Message, from_json

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Stop:
    """One visit: when the traveller arrives, starts the visit, leaves."""

    site_id: str
    name_zh: str
    name_en: str
    lat: float | None
    lon: float | None
    arrive: dt.datetime
    start: dt.datetime
    depart: dt.datetime
    visit_min: float
    wait_min: float = 0.0
    score: float = 0.0
    coord_confidence: str = ""
    kind: str = ""
    notes: tuple[Message, ...] = ()


@dataclass(frozen=True)
class TravelLeg:
    """Travel between two points of a day, with its distance provenance."""

    from_id: str
    to_id: str
    km: float
    minutes: float
    via: tuple[str, ...] = ()
    source: str = ""
    mode: str = "car"


@dataclass(frozen=True)
class Day:
    """One day: leave the lodging, visit the stops, reach the night's lodging."""

    date: dt.date
    start_id: str
    end_id: str
    leave: dt.datetime
    back: dt.datetime
    stops: tuple[Stop, ...]
    legs: tuple[TravelLeg, ...]
    slack_min: float = 0.0
    lunch: dt.datetime | None = None
    #: where lunch is taken: a stop's or the lodging's id, "" as a break on the drive
    lunch_at: str = ""
    lunch_min: float = 0.0

    @property
    def km(self) -> float:
        """Kilometres driven this day."""
        return sum(leg.km for leg in self.legs)

    @property
    def drive_min(self) -> float:
        """Minutes of travel this day (every leg)."""
        return sum(leg.minutes for leg in self.legs)

    @property
    def morning_transfer_min(self) -> float:
        """Minutes from the lodging to the first stop (0 on a day without stops)."""
        return self.legs[0].minutes if self.stops and self.legs else 0.0


@dataclass(frozen=True)
class Dropped:
    """A candidate site left out, and why (``closed``, ``no_time``, ``lower_score`` …)."""

    site_id: str
    name_zh: str
    reason: str
    detail: Message | None = None


@dataclass(frozen=True)
class Itinerary:
    """A multi-day plan and how it was obtained."""

    title: Message
    theme: str
    days: tuple[Day, ...]
    dropped: tuple[Dropped, ...] = ()
    total_score: float = 0.0
    solver: str = ""
    mode: str = "car"
    pace: str = "normal"
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[Message, ...] = ()

    @property
    def total_km(self) -> float:
        """Kilometres over all days."""
        return sum(d.km for d in self.days)

    @property
    def total_drive_min(self) -> float:
        """Minutes of travel over all days."""
        return sum(d.drive_min for d in self.days)

    @property
    def stops(self) -> list[Stop]:
        """All stops in visiting order."""
        return [s for d in self.days for s in d.stops]


def _t(x: dt.datetime) -> str:
    return x.isoformat(timespec="minutes")


def itinerary_to_dict(it: Itinerary) -> dict[str, Any]:
    """JSON-ready form: ``days`` (``date``, ``stops`` with ``id``, ``name_zh``, ``arrive``,
    ``depart`` …; ``drive_min`` per day), ``dropped`` (with ``reason``), ``total_km``,
    ``total_drive_min``, ``total_score``, ``solver``.

    Numbers are kept at full precision so :func:`itinerary_from_dict` restores the plan
    exactly; ``total_km`` and the per-day ``km`` are rounded summaries (derived, not read).
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "title": it.title.to_json(),
        "theme": it.theme,
        "mode": it.mode,
        "pace": it.pace,
        "solver": it.solver,
        "total_km": round(it.total_km, 2),
        "total_drive_min": round(it.total_drive_min, 2),
        "total_score": it.total_score,
        "params": it.params,
        "warnings": [w.to_json() for w in it.warnings],
        "days": [
            {
                "date": d.date.isoformat(),
                "start": d.start_id,
                "end": d.end_id,
                "leave": _t(d.leave),
                "back": _t(d.back),
                "km": round(d.km, 2),
                "slack_min": d.slack_min,
                "drive_min": round(d.drive_min, 2),
                "lunch": _t(d.lunch) if d.lunch else None,
                "lunch_at": d.lunch_at,
                "lunch_min": d.lunch_min,
                "stops": [
                    {
                        "id": s.site_id,
                        "name_zh": s.name_zh,
                        "name_en": s.name_en,
                        "lat": s.lat,
                        "lon": s.lon,
                        "arrive": _t(s.arrive),
                        "start": _t(s.start),
                        "depart": _t(s.depart),
                        "visit_min": s.visit_min,
                        "wait_min": s.wait_min,
                        "score": s.score,
                        "coord_confidence": s.coord_confidence,
                        "kind": s.kind,
                        "notes": [n.to_json() for n in s.notes],
                    }
                    for s in d.stops
                ],
                "legs": [
                    {
                        "from": leg.from_id,
                        "to": leg.to_id,
                        "km": leg.km,
                        "minutes": leg.minutes,
                        "via": list(leg.via),
                        "source": leg.source,
                        "mode": leg.mode,
                    }
                    for leg in d.legs
                ],
            }
            for d in it.days
        ],
        "dropped": [
            {
                "id": x.site_id,
                "name_zh": x.name_zh,
                "reason": x.reason,
                "detail": x.detail.to_json() if x.detail is not None else None,
            }
            for x in it.dropped
        ],
    }


class PlanFileError(UserError, ValueError):
    """A saved plan that this version cannot read."""


def itinerary_from_dict(data: dict[str, Any]) -> Itinerary:
    """Inverse of :func:`itinerary_to_dict` (raises :class:`PlanFileError` on a wrong schema)."""
    if data.get("schema_version") not in READABLE_VERSIONS:
        raise PlanFileError(
            f"unsupported itinerary schema {data.get('schema_version')!r}; "
            f"expected one of {', '.join(map(str, READABLE_VERSIONS))}"
        )
    days = []
    for d in data["days"]:
        stops = tuple(
            Stop(
                site_id=s["id"],
                name_zh=s["name_zh"],
                name_en=s.get("name_en", ""),
                lat=s.get("lat"),
                lon=s.get("lon"),
                arrive=dt.datetime.fromisoformat(s["arrive"]),
                start=dt.datetime.fromisoformat(s["start"]),
                depart=dt.datetime.fromisoformat(s["depart"]),
                visit_min=float(s["visit_min"]),
                wait_min=float(s.get("wait_min", 0.0)),
                score=float(s.get("score", 0.0)),
                coord_confidence=s.get("coord_confidence", ""),
                kind=s.get("kind", ""),
                notes=tuple(from_json(n) for n in s.get("notes", ())),
            )
            for s in d["stops"]
        )
        legs = tuple(
            TravelLeg(
                from_id=g["from"],
                to_id=g["to"],
                km=float(g["km"]),
                minutes=float(g["minutes"]),
                via=tuple(g.get("via", ())),
                source=g.get("source", ""),
                mode=g.get("mode", "car"),
            )
            for g in d["legs"]
        )
        days.append(
            Day(
                date=dt.date.fromisoformat(d["date"]),
                start_id=d["start"],
                end_id=d["end"],
                leave=dt.datetime.fromisoformat(d["leave"]),
                back=dt.datetime.fromisoformat(d["back"]),
                stops=stops,
                legs=legs,
                slack_min=float(d.get("slack_min", 0.0)),
                lunch=dt.datetime.fromisoformat(d["lunch"]) if d.get("lunch") else None,
                lunch_at=str(d.get("lunch_at", "")),
                lunch_min=float(d.get("lunch_min", 0.0)),
            )
        )
    return Itinerary(
        title=from_json(data.get("title", "")),
        theme=data.get("theme", ""),
        days=tuple(days),
        dropped=tuple(
            Dropped(
                x["id"],
                x["name_zh"],
                x["reason"],
                from_json(x["detail"]) if x.get("detail") else None,
            )
            for x in data.get("dropped", ())
        ),
        total_score=float(data.get("total_score", 0.0)),
        solver=data.get("solver", ""),
        mode=data.get("mode", "car"),
        pace=data.get("pace", "normal"),
        params=dict(data.get("params", {})),
        warnings=tuple(from_json(w) for w in data.get("warnings", ())),
    )
