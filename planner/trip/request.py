"""What a traveller asks for: :class:`TripRequest`, validated once, declaratively.

Every field of a request has its constraints in :data:`CONSTRAINTS` (as scikit-learn declares
``_parameter_constraints``): choices are enums (:class:`Mode`, :class:`Pace`, :class:`Lodging`,
:class:`Effort`, :class:`Solver`; plain strings are accepted and converted), numbers have
intervals, the date a sane range (:func:`date_bounds`: a year back, or from 2025 when the data
were compiled, to three years ahead of today), name lists a
length. A request that breaks one raises :class:`RequestError` with a translated one-line
message as soon as it is built; nothing downstream re-checks these.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from kg import names
from kg.catalog import site_count
from planner.messages import msg
from planner.service import PlanError
from planner.traveltimes import TravelTimes

__all__ = [
    "CONSTRAINTS",
    "MAX_DAYS",
    "MAX_NAME_CHARS",
    "NAMES_PER_SITE",
    "Effort",
    "Lodging",
    "Mode",
    "Pace",
    "RequestError",
    "Solver",
    "TripRequest",
    "date_bounds",
    "max_names",
]

MAX_DAYS = 14
MAX_NAME_CHARS = names.MAX_NAME_CHARS  # the one bound, before any matching (kg/names.py)
#: how far from today a trip may start: a year back, three years ahead
DATE_BACK = dt.timedelta(days=365)
DATE_AHEAD = dt.timedelta(days=3 * 365)
#: the opening hours and closures in data/ were compiled from 2025 on
DATA_VINTAGE = dt.date(2025, 1, 1)


#: the request's bound on ``must`` / ``avoid`` is this many times the catalog's size
NAMES_PER_SITE = 2


def max_names() -> int:
    """At most this many names in ``must`` / ``avoid``: :data:`NAMES_PER_SITE` × the catalog's
    size (its site rows, lodging towns included), derived from the catalog so that every list
    of its sites passes. A cheap bound checked before any name is resolved; planning checks
    the list again against the catalog it plans with, and says how many sites that holds."""
    return NAMES_PER_SITE * site_count()


class Mode(StrEnum):
    """How the traveller moves between sites."""

    car = "car"
    bus = "bus"


class Pace(StrEnum):
    """Visit lengths are scaled by the pace (``planning.yaml``)."""

    relaxed = "relaxed"
    normal = "normal"
    intense = "intense"


class Lodging(StrEnum):
    """``choose``: the planner picks each night's town; ``fixed``: back to the start."""

    choose = "choose"
    fixed = "fixed"


class Effort(StrEnum):
    """How hard the search works (the ILS stops after this many non-improving iterations)."""

    quick = "quick"
    normal = "normal"
    thorough = "thorough"


class Solver(StrEnum):
    """The orienteering solver (:func:`routing.orienteering.solve_optw` methods)."""

    auto = "auto"
    ils = "ils"
    greedy = "greedy"
    exact = "exact"
    cpsat = "cpsat"
    ortools = "ortools"


class RequestError(PlanError):
    """A request field outside its constraints (one translated line)."""


def date_bounds(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last allowed trip start dates around ``today``: from a year back (or
    :data:`DATA_VINTAGE`, if earlier, so worked examples on the data's own dates keep
    planning) to three years ahead."""
    today = today or dt.date.today()
    return min(today - DATE_BACK, DATA_VINTAGE), today + DATE_AHEAD


# --------------------------------------------------------------------------- constraints


@dataclass(frozen=True)
class Options:
    """One of an enum's values (strings are converted)."""

    enum: type[StrEnum]

    def convert(self, value: Any) -> Any:
        try:
            return self.enum(value)
        except ValueError:
            return value

    def check(self, value: Any) -> bool:
        return isinstance(value, self.enum)

    def expected(self) -> str:
        return " | ".join(e.value for e in self.enum)


@dataclass(frozen=True)
class Interval:
    """A number in ``[low, high]`` (``None``: unbounded); ``optional`` allows ``None``."""

    kind: type
    low: float | None
    high: float | None
    optional: bool = False

    def convert(self, value: Any) -> Any:
        return value

    def check(self, value: Any) -> bool:
        if value is None:
            return self.optional
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind is int and not float(value).is_integer():
            return False
        if not math.isfinite(float(value)):
            return False
        low_ok = self.low is None or value >= self.low
        return low_ok and (self.high is None or value <= self.high)

    def expected(self) -> str:
        lo = "-∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        return f"{self.kind.__name__} in [{lo}, {hi}]" + (" or empty" if self.optional else "")


@dataclass(frozen=True)
class Names:
    """A tuple of at most :func:`max_names` names of at most ``MAX_NAME_CHARS`` characters."""

    def convert(self, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    def check(self, value: Any) -> bool:
        if not isinstance(value, tuple) or len(value) > max_names():
            return False
        return all(isinstance(x, str) and 0 < len(x) <= MAX_NAME_CHARS for x in value)

    def expected(self) -> str:
        return f"at most {max_names()} names of at most {MAX_NAME_CHARS} characters"


@dataclass(frozen=True)
class ClockTime:
    """``HH:MM`` (or ``None``)."""

    def convert(self, value: Any) -> Any:
        return value

    def check(self, value: Any) -> bool:
        if value is None:
            return True
        try:
            dt.time.fromisoformat(str(value))
        except ValueError:
            return False
        return True

    def expected(self) -> str:
        return "HH:MM"


Constraint = Options | Interval | Names | ClockTime

#: field → constraint; every field listed here is converted and checked when a request is built
CONSTRAINTS: dict[str, Constraint] = {
    "days": Interval(int, 1, MAX_DAYS),
    "mode": Options(Mode),
    "pace": Options(Pace),
    "lodging": Options(Lodging),
    "effort": Options(Effort),
    "solver": Options(Solver),
    "must": Names(),
    "avoid": Names(),
    "max_per_day": Interval(int, 1, 12, optional=True),
    "lunch_min": Interval(int, 0, 180, optional=True),
    "hot_share": Interval(float, 0, 1, optional=True),
    "max_drive_hours": Interval(float, 0.25, 24, optional=True),
    "end_slack_min": Interval(float, 0, 240, optional=True),
    "drive_weight": Interval(float, 0, 10, optional=True),
    "day_start": ClockTime(),
    "day_end": ClockTime(),
    "seed": Interval(int, 0, 2**31 - 1),
    "time_limit_s": Interval(float, 0.1, 600),
}


def _bad(name: str, value: Any, expected: str) -> RequestError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    return RequestError(msg("error.request_field", field=name, value=shown, expected=expected))


@dataclass(frozen=True)
class TripRequest:
    """What the traveller asks for (names may be ids, Chinese names, aliases, pinyin).

    Validated on construction (see :data:`CONSTRAINTS` and :func:`date_bounds`); choices may be
    given as plain strings and are stored as their enums (which compare equal to the strings;
    hence the ``Enum | str`` annotations).
    """

    theme: str = "stone-carving"
    days: int = 3
    start: str = "dazu_town"
    date: dt.date = field(default_factory=dt.date.today)
    mode: Mode | str = Mode.car
    pace: Pace | str = Pace.normal
    must: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    end: str | None = None
    lodging: Lodging | str = Lodging.choose
    max_per_day: int | None = None
    #: earliest start and latest return of every day (``HH:MM``; default ``planning.yaml``)
    day_start: str | None = None
    day_end: str | None = None
    lunch_min: int | None = None
    weights: tuple[tuple[str, float], ...] = ()
    hot_share: float | None = None
    #: a theme every day must include (e.g. "stone-carving" in a mixed trip), if it can
    theme_per_day: str | None = None
    locks: tuple[tuple[str, int], ...] = ()  # (site, day number from 1): visit it that day
    #: (day number from 1, sites in the order the traveller wants): that day is exactly this
    orders: tuple[tuple[int, tuple[str, ...]], ...] = ()
    #: most travel per day, hours (default ``planning.yaml`` ``day.max_drive_hours``)
    max_drive_hours: float | None = None
    #: minutes of margin before ``day_end`` at the night's lodging (default ``planning.yaml``)
    end_slack_min: float | None = None
    #: score given up per hour of travel (λ of the objective; default ``planning.yaml``)
    drive_weight: float | None = None
    solver: Solver | str = Solver.auto
    seed: int = 0
    #: how hard the search works; deterministic (same request, same plan); ``time_limit_s``
    #: is only a safety net per solve
    effort: Effort | str = Effort.normal
    time_limit_s: float = 10.0
    #: travel times the user supplies (planner.traveltimes): they replace the estimated
    #: minutes for the pairs they list
    travel_times: TravelTimes | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            rule = CONSTRAINTS.get(f.name)
            if rule is None:
                continue
            value = rule.convert(getattr(self, f.name))
            object.__setattr__(self, f.name, value)
            if not rule.check(value):
                raise _bad(f.name, value, rule.expected())
        if not isinstance(self.date, dt.date):
            raise _bad("date", self.date, "a date (YYYY-MM-DD)")
        lo, hi = date_bounds()
        if not lo <= self.date <= hi:
            raise RequestError(
                msg(
                    "error.date_range",
                    date=self.date.isoformat(),
                    lo=lo.isoformat(),
                    hi=hi.isoformat(),
                )
            )
        names = Names()
        for lock, _day in self.locks:
            if not names.check((lock,)):
                raise _bad("locks", lock, names.expected())
        for _day, order in self.orders:
            if not names.check(tuple(order)):
                raise _bad("orders", order, names.expected())
