"""Plan inputs and display settings ⇄ URL query parameters ⇄ a planner request.

Pure functions (no streamlit): the app mirrors every input in the URL so a plan can be shared,
and restores it from the URL on load. Parsing never raises: a bad value becomes a
:class:`Notice` (shown to the user as a warning) and the default is used instead.

Query parameters
----------------
``theme`` (``mixed`` with ``w=stone-carving:2,sichuan-opera:1``), ``days``, ``start``,
``end``, ``date`` (ISO), ``mode``, ``pace``, ``lodging``, ``must`` / ``avoid`` (comma-separated
site ids or any name the catalog resolves: Chinese, alias, pinyin), ``lock=site:day,…``,
``order1=site,site,…`` (one per day), ``hot``, ``effort``; display: ``lang``, ``map``,
``site`` (the open site card). The open view is the page's address (``/compare`` …, see
:mod:`planner.ui.page`); ``view=`` is still read, so links made before that open their view.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kg.names import short, too_long
from planner.i18n import LANGS
from planner.itinerary import LODGING, MODES, PACES, TripRequest
from planner.trip.request import date_bounds

DEFAULT_THEME = "stone-carving"
DEFAULT_START = "dazu_town"
DEFAULT_DAYS = 3
#: the UI offers 1–5 days: choosing lodging each night is exponential in the number of nights,
#: and five days of the embedded data already hold every site of the largest theme
MAX_DAYS = 5
MIXED = "mixed"
#: search effort levels of the planner (``planner.itinerary.EFFORT``); iteration-bounded, so
#: the same inputs always give the same plan
EFFORTS = ("quick", "normal", "thorough")
VIEWS = ("plan", "compare", "sites", "insights", "graph")
BASEMAPS = ("osm", "amap")
#: the longest query string read: a link the app makes stays far below (every site of the
#: catalog in ``must`` is about 4,000 characters); a longer one is ignored as a whole
MAX_QUERY_CHARS = 20_000
#: unknown names are looked up (with suggestions) this many times per link; later names are
#: not read (each lookup of an unknown name ranks the whole catalog)
MAX_UNKNOWN = 10
#: parameter names longer than this are ignored (the app's longest is ``order5``)
MAX_KEY_CHARS = 40


def default_date(today: dt.date) -> dt.date:
    """Today when it is a Saturday, else the next Saturday."""
    return today + dt.timedelta(days=(5 - today.weekday()) % 7)


@dataclass(frozen=True)
class Notice:
    """Something in the URL that was ignored: ``code`` names a string, ``values`` fill it."""

    code: str
    values: dict[str, str] = field(default_factory=dict)


#: the app's daily travel slider (hours)
MIN_DRIVE_HOURS = 1.0
MAX_DRIVE_HOURS = 8.0


@dataclass(frozen=True)
class PlanInputs:
    """Everything the sidebar and the edits decide (ids only, already resolved)."""

    date: dt.date
    theme: str = DEFAULT_THEME
    weights: tuple[tuple[str, float], ...] = ()
    days: int = DEFAULT_DAYS
    start: str = DEFAULT_START
    end: str | None = None
    mode: str = "car"
    pace: str = "normal"
    lodging: str = "choose"
    must: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    locks: tuple[tuple[str, int], ...] = ()
    orders: tuple[tuple[int, tuple[str, ...]], ...] = ()
    hot_share: float | None = None
    effort: str = "normal"
    #: most hours of travel a day (None: the planner's default)
    max_drive_hours: float | None = None

    def normalised(self) -> PlanInputs:
        """Drop edits that point past the last day; keep lists in a canonical order."""
        locks = tuple(sorted((s, d) for s, d in dict(self.locks).items() if 1 <= d <= self.days))
        orders = tuple(sorted((d, tuple(s)) for d, s in self.orders if 1 <= d <= self.days and s))
        weights = tuple(sorted((t, float(w)) for t, w in self.weights if float(w) > 0))
        return replace(
            self,
            must=tuple(dict.fromkeys(self.must)),
            avoid=tuple(dict.fromkeys(self.avoid)),
            locks=locks,
            orders=orders,
            weights=weights if self.theme == MIXED else (),
        )

    def to_request(self) -> TripRequest:
        """The planner request for these inputs."""
        return TripRequest(
            theme=self.theme,
            days=self.days,
            start=self.start,
            date=self.date,
            mode=self.mode,
            pace=self.pace,
            must=self.must,
            avoid=self.avoid,
            end=self.end,
            lodging=self.lodging,
            weights=self.weights,
            hot_share=self.hot_share,
            locks=self.locks,
            orders=self.orders,
            effort=self.effort,
            max_drive_hours=self.max_drive_hours,
        )


@dataclass(frozen=True)
class Display:
    """How the plan is shown (in the URL too, so a shared link opens the same view: ``view`` is
    the page's address, the rest query parameters)."""

    lang: str = "zh"
    basemap: str = "osm"
    view: str = "plan"
    site: str | None = None


def _fmt_float(x: float) -> str:
    return f"{x:g}"


def to_query(inputs: PlanInputs, display: Display) -> dict[str, str]:
    """The query parameters for ``inputs`` and ``display`` (core inputs always, the rest only
    when set, so links stay short and still pin the date)."""
    q: dict[str, str] = {
        "theme": inputs.theme,
        "days": str(inputs.days),
        "start": inputs.start,
        "date": inputs.date.isoformat(),
        "mode": inputs.mode,
        "pace": inputs.pace,
        "lodging": inputs.lodging,
    }
    if inputs.theme == MIXED and inputs.weights:
        q["w"] = ",".join(f"{t}:{_fmt_float(w)}" for t, w in inputs.weights)
    if inputs.end:
        q["end"] = inputs.end
    if inputs.must:
        q["must"] = ",".join(inputs.must)
    if inputs.avoid:
        q["avoid"] = ",".join(inputs.avoid)
    if inputs.locks:
        q["lock"] = ",".join(f"{s}:{d}" for s, d in inputs.locks)
    for day, sites in inputs.orders:
        q[f"order{day}"] = ",".join(sites)
    if inputs.hot_share is not None:
        q["hot"] = _fmt_float(inputs.hot_share)
    if inputs.effort != "normal":
        q["effort"] = inputs.effort
    if inputs.max_drive_hours is not None:
        q["drive"] = _fmt_float(inputs.max_drive_hours)
    if display.lang != "zh":
        q["lang"] = display.lang
    if display.basemap != "osm":
        q["map"] = display.basemap
    if display.site:
        q["site"] = display.site
    return q


class _Parser:
    """Collects notices while reading query parameters."""

    def __init__(
        self, params: Mapping[str, Any], resolve: Callable[[str], str], max_names: int
    ) -> None:
        raw = {str(k): str(v) for k, v in params.items()}
        self.resolve = resolve
        self.max_names = max_names
        self.notices: list[Notice] = []
        size = sum(len(k) + len(v) + 2 for k, v in raw.items())
        if size > MAX_QUERY_CHARS:  # not a link the app made: read none of it
            self.notices.append(
                Notice("ui.notice.too_long", {"size": f"{size:,}", "most": f"{MAX_QUERY_CHARS:,}"})
            )
            raw = {}
        self.params = {k: v for k, v in raw.items() if len(k) <= MAX_KEY_CHARS}
        self.unknown = 0  # unknown names looked up so far
        self.unread = 0  # names not looked up once MAX_UNKNOWN were unknown

    def bad(self, key: str, value: str | None = None) -> None:
        shown = short(self.params[key] if value is None else value)
        self.notices.append(Notice("ui.notice.bad_value", {"param": key, "value": shown}))

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        value = self.params.get(key)
        if value is None or value == "":
            return default
        if value in options:
            return value
        self.bad(key)
        return default

    def integer(self, key: str, lo: int, hi: int, default: int) -> int:
        value = self.params.get(key)
        if value is None or value == "":
            return default
        try:
            n = int(value)
        except ValueError:
            self.bad(key)
            return default
        if not lo <= n <= hi:
            self.bad(key)
            return default
        return n

    def site(self, key: str, name: str) -> str | None:
        """Resolve one name; an unknown one becomes a notice naming it with suggestions (a name
        too long to be one is never matched)."""
        if self.unknown >= MAX_UNKNOWN:
            self.unread += 1
            return None
        if too_long(name):
            self.unknown += 1
            self.notices.append(
                Notice("ui.notice.unknown_site_plain", {"param": key, "name": short(name)})
            )
            return None
        try:
            return self.resolve(name)
        except LookupError as exc:
            self.unknown += 1
            sugg = [
                f"{zh} ({sid})" if zh else sid
                for sid, zh in getattr(exc, "suggestions", [])
                if isinstance(sid, str)
            ]
            if sugg:
                values = {"param": key, "name": short(name), "suggestions": ", ".join(sugg)}
                self.notices.append(Notice("ui.notice.unknown_site", values))
            else:
                self.notices.append(
                    Notice("ui.notice.unknown_site_plain", {"param": key, "name": short(name)})
                )
            return None

    def items(self, key: str) -> list[str]:
        """The comma-separated items of ``key`` (at most ``max_names`` are read)."""
        items = _split(self.params.get(key, ""))
        if len(items) > self.max_names:
            values = {"param": key, "n": f"{len(items):,}", "most": f"{self.max_names:,}"}
            self.notices.append(Notice("ui.notice.too_many", values))
            items = items[: self.max_names]
        return items

    def sites(self, key: str) -> tuple[str, ...]:
        """The sites a comma-separated parameter names."""
        out = []
        for name in self.items(key):
            sid = self.site(key, name)
            if sid is not None:
                out.append(sid)
        return tuple(dict.fromkeys(out))


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.replace("，", ",").split(",") if x.strip()]


def from_query(
    params: Mapping[str, Any],
    *,
    resolve: Callable[[str], str],
    themes: Iterable[str],
    towns: Iterable[str],
    today: dt.date,
    max_names: int = 400,
) -> tuple[PlanInputs, Display, list[Notice]]:
    """Read plan inputs and display settings from query parameters.

    ``resolve`` turns a site name into its id and raises ``LookupError`` (with a
    ``suggestions`` list of ``(id, name_zh)``, as :class:`kg.catalog.UnknownSiteError` does)
    for an unknown one; ``themes`` are the theme ids (``mixed`` is added), ``towns`` the ids a
    trip may start or end in; ``must``, ``avoid`` and each day's order name at most
    ``max_names`` sites (the catalog's size). Missing parameters take the defaults; a query
    string longer than :data:`MAX_QUERY_CHARS` is ignored as a whole.
    """
    p = _Parser(params, resolve, max_names)
    theme_ids = [*themes]
    town_ids = [*towns]
    theme = p.choice("theme", [*theme_ids, MIXED], DEFAULT_THEME)
    weights = _weights(p, theme_ids)
    if theme == MIXED and not any(w > 0 for _, w in weights):
        weights = [(DEFAULT_THEME, 1.0)]
    days = p.integer("days", 1, MAX_DAYS, DEFAULT_DAYS)
    start = _town(p, "start", town_ids, DEFAULT_START)
    end = _town(p, "end", town_ids, None) if p.params.get("end") else None
    date = _date(p, today)
    mode = p.choice("mode", MODES, "car")
    pace = p.choice("pace", PACES, "normal")
    lodging = p.choice("lodging", LODGING, "choose")
    must = p.sites("must")
    avoid = p.sites("avoid")
    locks = _locks(p, days)
    orders = _orders(p, days)
    hot = _number(p, "hot", 0.0, 1.0)
    effort = p.choice("effort", EFFORTS, "normal")
    drive = _number(p, "drive", MIN_DRIVE_HOURS, MAX_DRIVE_HOURS)
    display = Display(
        lang=p.choice("lang", LANGS, "zh"),
        basemap=p.choice("map", BASEMAPS, "osm"),
        view=p.choice("view", VIEWS, "plan"),
        site=p.site("site", p.params["site"]) if p.params.get("site") else None,
    )
    if p.unread:
        p.notices.append(Notice("ui.notice.unread", {"n": f"{p.unread:,}"}))
    inputs = PlanInputs(
        date=date,
        theme=theme,
        weights=tuple(weights),
        days=days,
        start=start or DEFAULT_START,
        end=end,
        mode=mode,
        pace=pace,
        lodging=lodging,
        must=must,
        avoid=avoid,
        locks=tuple(locks),
        orders=tuple(orders),
        hot_share=hot,
        effort=effort,
        max_drive_hours=drive,
    ).normalised()
    return inputs, display, p.notices


def _weights(p: _Parser, theme_ids: Sequence[str]) -> list[tuple[str, float]]:
    """``w=theme:weight,…`` (weights 0–10; a bare theme weighs 1)."""
    weights: list[tuple[str, float]] = []
    for item in p.items("w"):
        name, _, w = item.partition(":")
        try:
            value = float(w) if w else 1.0
        except ValueError:
            value = -1.0
        if name in theme_ids and 0 <= value <= 10:
            weights.append((name, value))
        else:
            p.bad("w", item)
    return weights


def _date(p: _Parser, today: dt.date) -> dt.date:
    """``date=YYYY-MM-DD`` within the planner's :func:`~planner.trip.request.date_bounds`,
    else the next Saturday."""
    default = default_date(today)
    if not p.params.get("date"):
        return default
    lo, hi = date_bounds(today)
    try:
        asked = dt.date.fromisoformat(p.params["date"])
    except ValueError:
        p.bad("date")
        return default
    if lo <= asked <= hi:
        return asked
    values = {"value": short(p.params["date"]), "lo": lo.isoformat(), "hi": hi.isoformat()}
    p.notices.append(Notice("ui.notice.date_range", values))
    return default


def _day_number(text: str, days: int) -> int | None:
    """A day of the trip written as 1–2 digits (``int()`` never sees a 5,000-digit number)."""
    if text.isdigit() and len(text) <= 2 and 1 <= int(text) <= days:
        return int(text)
    return None


def _locks(p: _Parser, days: int) -> list[tuple[str, int]]:
    """``lock=site:day,…``."""
    locks: list[tuple[str, int]] = []
    for item in p.items("lock"):
        name, _, d = item.rpartition(":")
        day = _day_number(d, days)
        if not name or day is None:
            p.bad("lock", item)
            continue
        sid = p.site("lock", name)
        if sid is not None:
            locks.append((sid, day))
    return locks


def _orders(p: _Parser, days: int) -> list[tuple[int, tuple[str, ...]]]:
    """``order1=site,site,…`` (one parameter per day)."""
    orders: list[tuple[int, tuple[str, ...]]] = []
    for key in sorted(k for k in p.params if k.startswith("order")):
        day = _day_number(key[len("order") :], days)
        if day is None:
            p.bad(key)
            continue
        sites = p.sites(key)
        if sites:
            orders.append((day, sites))
    return orders


def _number(p: _Parser, key: str, lo: float, hi: float) -> float | None:
    """A number in ``lo…hi`` (``hot``: the famous ↔ lesser-known balance, ``drive``: hours of
    driving a day), else ``None``: the planner's default."""
    if not p.params.get(key):
        return None
    try:
        value = float(p.params[key])
    except ValueError:
        value = math.nan
    if not lo <= value <= hi:
        p.bad(key)
        return None
    return value


def _town(p: _Parser, key: str, towns: Sequence[str], default: str | None) -> str | None:
    sid = p.site(key, p.params[key]) if p.params.get(key) else None
    if sid is None:
        return default
    if sid not in towns:
        p.bad(key)
        return default
    return sid


# ----------------------------------------------------------------------------- edits


def move_stop(order: Sequence[str], index: int, delta: int) -> list[str]:
    """``order`` with the stop at ``index`` moved by ``delta`` places (clamped)."""
    out = list(order)
    j = max(0, min(len(out) - 1, index + delta))
    out.insert(j, out.pop(index))
    return out


def without_site(inputs: PlanInputs, site: str) -> PlanInputs:
    """Skip ``site``: on the avoid list, and out of must-sees, locks and day orders."""
    orders = tuple((d, tuple(s for s in ss if s != site)) for d, ss in inputs.orders)
    return replace(
        inputs,
        must=tuple(s for s in inputs.must if s != site),
        avoid=(*inputs.avoid, site),
        locks=tuple((s, d) for s, d in inputs.locks if s != site),
        orders=orders,
    ).normalised()


def with_must(inputs: PlanInputs, site: str) -> PlanInputs:
    """Add ``site`` to the must-sees (and take it off the avoid list)."""
    return replace(
        inputs,
        must=(*inputs.must, site),
        avoid=tuple(s for s in inputs.avoid if s != site),
    ).normalised()


def with_lock(inputs: PlanInputs, site: str, day: int | None) -> PlanInputs:
    """Lock ``site`` to ``day`` (``None`` unlocks it); a moved site leaves other days' orders."""
    locks = {s: d for s, d in inputs.locks if s != site}
    if day is not None:
        locks[site] = day
    orders = tuple((d, tuple(s for s in ss if s != site or d == day)) for d, ss in inputs.orders)
    return replace(
        inputs,
        locks=tuple(locks.items()),
        orders=orders,
        avoid=tuple(s for s in inputs.avoid if s != site),
    ).normalised()


def with_order(inputs: PlanInputs, day: int, order: Sequence[str]) -> PlanInputs:
    """Fix ``day`` to visit exactly ``order`` (an empty order frees the day)."""
    orders = {d: ss for d, ss in inputs.orders if d != day}
    if order:
        orders[day] = tuple(order)
    return replace(inputs, orders=tuple(orders.items())).normalised()


def without_edits(inputs: PlanInputs) -> PlanInputs:
    """Drop all locks and day orders."""
    return replace(inputs, locks=(), orders=())
