"""The brochure's text, structured once for every layout (PDF portrait, tri-fold, HTML).

Functions here turn :class:`~planner.export.facts.ExportData` into plain records — key
figures, per-day timetables, stop cards, notes — in Chinese or English. Layout modules only
place them. Facts missing from the data are printed as "unknown — check before going".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.export.amap import AmapLink, day_links
from planner.export.brand import Brand
from planner.export.facts import ExportData, Place
from planner.export.labels import duration, has_label, hours_text, km_text, label
from planner.model import Day, Stop, TravelLeg

__all__ = [
    "Card",
    "DayBlock",
    "Fact",
    "Figure",
    "Row",
    "cards",
    "date_text",
    "day_blocks",
    "figures",
    "notes",
    "overview_lines",
    "subtitle",
]

_WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(day: dt.date, lang: str, *, weekday: bool = True, year: bool = False) -> str:
    """``5月10日 周六`` / ``Sat 10 May`` (optionally with the year)."""
    wd = _WEEKDAYS[lang][day.weekday()]
    if lang == "zh":
        text = f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"
        return f"{text} {wd}" if weekday else text
    text = f"{day.day} {_MONTHS_EN[day.month - 1]}" + (f" {day.year}" if year else "")
    return f"{wd} {text}" if weekday else text


@dataclass(frozen=True)
class Figure:
    """A key figure of the cover: label and value."""

    label: str
    value: str


@dataclass(frozen=True)
class Row:
    """A timetable row: clock text, what happens, a detail line, the stop number (if any)."""

    time: str
    text: str
    detail: str = ""
    number: int | None = None
    kind: str = "stop"  # stop | leave | lunch | back


@dataclass(frozen=True)
class DayBlock:
    """One day of the schedule."""

    index: int
    title: str
    summary: str
    rows: tuple[Row, ...]
    links: tuple[AmapLink, ...]


@dataclass(frozen=True)
class Fact:
    """A row of a stop card: a stable ``key`` (for layouts that pick rows), label, value."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Card:
    """A stop card: header, names and the fact rows."""

    day: int
    number: int
    name_zh: str
    name_en: str
    when: str
    rows: tuple[Fact, ...]
    approx: bool

    def row(self, key: str) -> Fact | None:
        """The row ``key`` (``era``, ``hours``, ``tickets`` …), if present."""
        return next((r for r in self.rows if r.key == key), None)


def _mode_name(data: ExportData, lang: str) -> str:
    mode = data.itinerary.mode
    key = f"mode_{mode}"
    if has_label(key):
        return label(key, lang)
    return data.mode_names.get(mode, mode)


def subtitle(data: ExportData, lang: str) -> str:
    """``3日自驾 · 2025年5月10日起 · 大足城区出发``."""
    it = data.itinerary
    if not it.days:
        return ""
    first = it.days[0]
    start = data.place(first.start_id).name(lang)
    parts = [
        f"{label('days_n', lang, n=len(it.days))}{'' if lang == 'zh' else ' '}"
        f"{_mode_name(data, lang)}",
        label("starting", lang, date=date_text(first.date, lang, weekday=False, year=True)),
        label("start_from", lang, place=start),
    ]
    return " · ".join(parts)


def figures(data: ExportData, lang: str) -> list[Figure]:
    """Days, stops, total distance, time on the road and transport."""
    it = data.itinerary
    return [
        Figure(label("stat_days", lang), str(len(it.days))),
        Figure(label("stat_stops", lang), str(len(it.stops))),
        Figure(label("stat_km", lang), km_text(it.total_km, lang)),
        Figure(label("stat_drive", lang), duration(it.total_drive_min, lang)),
        Figure(label("stat_mode", lang), _mode_name(data, lang)),
    ]


def overview_lines(data: ExportData, lang: str) -> list[tuple[str, str]]:
    """Per day: (``第1天 5月10日``, ``大足城区 → 北山 → … → 安岳县城 · 126 km``)."""
    out = []
    for d, day in enumerate(data.itinerary.days):
        names = [p.name(lang) for p in data.day_chain(d)]
        head = f"{label('day_n', lang, n=d + 1)} {date_text(day.date, lang, weekday=False)}"
        road = f"{km_text(day.km, lang)} · {duration(day.drive_min, lang)}"
        out.append((head, " → ".join(names) + f" · {road}"))
    return out


def _source_text(leg: TravelLeg, lang: str) -> str:
    return label(leg.source, lang) if leg.source and has_label(leg.source) else leg.source


def _leg_text(leg: TravelLeg, lang: str, data: ExportData) -> str:
    parts = [km_text(leg.km, lang), duration(leg.minutes, lang)]
    src = _source_text(leg, lang)
    text = " · ".join(parts) + (f" ({src})" if src else "")
    if leg.via:
        names = _join([data.place(v).name(lang) for v in leg.via], lang)
        text += f" · {label('via', lang)} {names}"
    return text


def day_blocks(data: ExportData, lang: str, brand: Brand) -> list[DayBlock]:
    """The schedule: per day its title, summary and timetable (leave, stops, lunch, back)."""
    links = day_links(data, src=brand.amap_src)
    out = []
    for d, day in enumerate(data.itinerary.days):
        out.append(_day_block(data, d, day, lang, links[d] if d < len(links) else []))
    return out


def _day_block(data: ExportData, d: int, day: Day, lang: str, links: list[AmapLink]) -> DayBlock:
    start = data.place(day.start_id)
    end = data.place(day.end_id)
    legs_to = {leg.to_id: leg for leg in day.legs}
    rows: list[Row] = [
        Row(f"{day.leave:%H:%M}", label("start_from", lang, place=start.name(lang)), kind="leave")
    ]
    events: list[tuple[dt.datetime, Row]] = []
    for k, stop in enumerate(day.stops, 1):
        leg = legs_to.get(stop.site_id)
        detail = [f"{label('visit', lang)} {duration(stop.visit_min, lang)}"]
        if stop.wait_min >= 1:
            detail.append(label("wait", lang, min=duration(stop.wait_min, lang)))
        if leg is not None:
            detail.append(f"{label('travel', lang)} {_leg_text(leg, lang, data)}")
        events.append(
            (
                stop.start,
                Row(
                    f"{stop.start:%H:%M}–{stop.depart:%H:%M}",
                    _stop_title(stop, lang),
                    " · ".join(detail),
                    number=k,
                ),
            )
        )
    if day.lunch is not None:
        events.append((day.lunch, Row(f"{day.lunch:%H:%M}", label("lunch", lang), kind="lunch")))
    rows += [r for _, r in sorted(events, key=lambda e: e[0])]
    last = legs_to.get(day.end_id)
    back_detail = _leg_text(last, lang, data) if last is not None else ""
    rows.append(
        Row(
            f"{day.back:%H:%M}",
            f"{label('arrive_lodging', lang)}：{end.name(lang)}"
            if lang == "zh"
            else f"{label('arrive_lodging', lang)}: {end.name(lang)}",
            f"{label('travel', lang)} {back_detail}" if back_detail else "",
            kind="back",
        )
    )
    travel_min = sum(leg.minutes for leg in day.legs)
    summary = label("total_day", lang, km=km_text(day.km, lang), time=duration(travel_min, lang))
    title = (
        f"{label('day_n', lang, n=d + 1)} · {date_text(day.date, lang)} · "
        f"{start.name(lang)} → {end.name(lang)}"
    )
    return DayBlock(d, title, summary, tuple(rows), tuple(links))


def _stop_title(stop: Stop, lang: str) -> str:
    if lang == "en" and stop.name_en:
        return f"{stop.name_en} ({stop.name_zh})"
    return stop.name_zh


def _join(items: tuple[str, ...] | list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _position(place: Place, lang: str) -> str:
    parts = [place.address] if place.address else []
    if place.approx:
        if place.uncertainty_km:
            parts.append(label("approx_position", lang, km=f"{place.uncertainty_km:g}"))
        else:
            parts.append(label("approx_position_nokm", lang))
    if place.has_coords:
        parts.append(f"WGS-84 {float(place.lat):.4f}, {float(place.lon):.4f}")  # type: ignore[arg-type]
    return " · ".join(parts)


def cards(data: ExportData, lang: str) -> list[Card]:
    """One card per stop, in visiting order (see :class:`Card`)."""
    unknown = label("unknown", lang)
    none = label("none_found", lang)
    out = []
    for d, day in enumerate(data.itinerary.days):
        legs_to = {leg.to_id: leg for leg in day.legs}
        for k, stop in enumerate(day.stops, 1):
            f = data.facts.get(stop.site_id)
            place = data.stop_place(stop)
            rows: list[Fact] = []
            if f is not None:
                rows.append(Fact("era", label("era", lang), f.era or unknown))
                rows.append(
                    Fact(
                        "designation",
                        label("designation", lang),
                        _join(f.designations, lang) or none,
                    )
                )
                if f.from_graph:
                    rows.append(
                        Fact(
                            "heritage_here",
                            label("heritage_here", lang),
                            _join(f.heritage_here, lang) or none,
                        )
                    )
                    if f.heritage_area:
                        rows.append(
                            Fact(
                                "heritage_area",
                                label("heritage_area", lang),
                                _join(f.heritage_area, lang),
                            )
                        )
                    if f.heritage_nearby:
                        near = [
                            f"{name}（{where}，{km:g} km）"
                            if lang == "zh"
                            else f"{name} ({where}, {km:g} km)"
                            for name, where, km in f.heritage_nearby
                        ]
                        rows.append(
                            Fact(
                                "heritage_nearby", label("heritage_nearby", lang), _join(near, lang)
                            )
                        )
                    rows.append(Fact("foods", label("foods", lang), _join(f.foods, lang) or none))
                    bases = [
                        f"{(en if lang == 'en' and en else zh)} ({km:g} km)"
                        for zh, en, km in f.bases
                    ]
                    rows.append(
                        Fact(
                            "bases",
                            f"{label('bases', lang)} (≤{data.near_km:g} km)",
                            _join(bases, lang) or none,
                        )
                    )
                else:
                    rows.append(
                        Fact(
                            "heritage_here",
                            label("heritage_here", lang),
                            label("graph_missing", lang),
                        )
                    )
                if f.hours is not None:
                    h = f.hours
                    text = hours_text(h, lang)
                    extra = [n.text(lang) for n in h.notes if n.code not in _HOURS_WARNINGS]
                    if extra:
                        text += " — " + " ".join(extra)
                    rows.append(
                        Fact("hours", label("hours_on", lang, date=date_text(h.date, lang)), text)
                    )
                rows.append(Fact("tickets", label("tickets", lang), f.ticket or unknown))
            leg = legs_to.get(stop.site_id)
            if leg is not None:
                origin = data.place(leg.from_id).name(lang)
                rows.append(
                    Fact(
                        "distance",
                        label("distance_in", lang),
                        f"{origin} → {_leg_text(leg, lang, data)}",
                    )
                )
            rows.append(Fact("position", label("position", lang), _position(place, lang)))
            when = (
                f"{label('day_n', lang, n=d + 1)} · {date_text(day.date, lang)} · "
                f"{stop.start:%H:%M}–{stop.depart:%H:%M} ({duration(stop.visit_min, lang)})"
            )
            out.append(Card(d, k, stop.name_zh, stop.name_en, when, tuple(rows), place.approx))
    return out


_REPORTED = frozenset({"hours.reported_closed", "hours.reported_note"})
#: hours notes shown as warnings rather than beside the opening times
_HOURS_WARNINGS = frozenset({"hours.unknown", *_REPORTED})


def _warnings(data: ExportData, lang: str) -> list[str]:
    """Localised warnings from the facts, plus any planner warning they do not cover."""
    sep = "：" if lang == "zh" else ": "
    out: list[str] = []
    for stop in data.itinerary.stops:
        f = data.facts.get(stop.site_id)
        name = stop.name_en if lang == "en" and stop.name_en else stop.name_zh
        if f is None or f.hours is None:
            continue
        if f.hours.status == "unknown":
            out.append(f"{name}{sep}{label('warn_hours_unknown', lang)}")
        elif f.hours.status == "closed":
            out.append(f"{name}{sep}{label('closed_on', lang)} ({date_text(f.hours.date, lang)})")
        out += [f"{name}{sep}{n.text(lang)}" for n in f.hours.notes if n.code in _REPORTED]
    if any(data.stop_place(s).approx for s in data.itinerary.stops):
        out.append(label("warn_approx", lang))
    for w in data.itinerary.warnings:
        # positions, and the opening hours of stops with facts, are covered above
        f = data.facts.get(str(w.get("id"))) if w.code == "warn.site_note" else None
        if w.code == "warn.approx" or (f is not None and f.hours is not None):
            continue
        out.append(w.text(lang))
    return list(dict.fromkeys(out))


def notes(data: ExportData, lang: str) -> list[tuple[str, list[str]]]:
    """Sections of the practical notes: warnings, sites left out, about the data."""
    it = data.itinerary
    out: list[tuple[str, list[str]]] = []
    warnings = _warnings(data, lang)
    if warnings:
        out.append((label("warnings", lang), warnings))
    if it.dropped:
        by_reason: dict[str, list[str]] = {}
        for x in it.dropped:
            key = f"reason_{x.reason}"
            reason = label(key, lang) if has_label(key) else x.reason
            by_reason.setdefault(reason, []).append(x.name_zh)
        sep = "：" if lang == "zh" else ": "
        items = [f"{reason}{sep}{_join(names, lang)}" for reason, names in by_reason.items()]
        out.append((label("dropped", lang), items))
    note = "sources_note_roads" if data.road_lines else "sources_note"
    about = [label(note, lang), label("amap_note", lang)]
    if it.solver:
        about.append(f"{label('solver', lang)}: {it.solver}")
    out.append((label("sources", lang), about))
    return out
