"""What the planner tells people — warnings, why a site was left out, why a request cannot be
planned, opening-hours notes — as coded messages that render in Chinese or English.

A :class:`Message` is a code plus arguments; :meth:`Message.text` fills the code's template in
the language asked for, and ``str(message)`` is the English text (logs, the CLI, exceptions).
Arguments are plain values, bilingual :class:`Name` s (site, theme and weekday names) or nested
messages, rendered in the same language (a tuple of messages is joined into one sentence).
Plan files store a message as ``{"code", "args", "text"}`` so that a saved plan can be shown in
either language later; :func:`from_json` also accepts the plain strings older files hold.

Every code has a template in both languages (a test checks it), so adding a message means adding
one line to :data:`TEMPLATES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

LANGS = ("zh", "en")

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
#: weekday abbreviations, Monday first (also the day names of opening_hours.csv)
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: code → (Chinese template, English template); ``str.format`` syntax.
TEMPLATES: dict[str, tuple[str, str]] = {
    # free text (data notes, texts from older plan files): shown as it is in both languages
    "text": ("{text}", "{text}"),
    # opening hours (planner/hours.py)
    "hours.unknown": ("开放时间不详，出发前请核实", "opening hours unknown — check before going"),
    "hours.reported_closed": (
        "有报道称已关闭，出发前请核实",
        "reported closed — check before going",
    ),
    "hours.reported_note": ("{text}", "{text}"),  # the data's own note on a reported closure
    "hours.closed_on_date": ("当天不开放", "closed on this date"),
    "hours.open_days_only": ("仅{days}开放", "open {days} only"),
    "hours.open_time_unknown": ("开门时间不详", "opening time unknown"),
    "hours.close_time_unknown": ("关门时间不详", "closing time unknown"),
    # a stop's visit length and where it comes from
    "stop.visit_source": ("游览时长来源：{source}", "visit length from {source}"),
    "source.catalog": ("资料目录", "the catalog"),
    "source.reviews": ("游客评论", "visitor reviews"),
    "source.default": ("同类默认值", "the default for its kind"),
    # plan warnings
    "warn.site_note": ("{site}：{note}", "{site}: {note}"),
    "warn.approx": (
        "部分遗址的位置是估算的（见资料目录），相关距离也是估计值",
        "some positions are approximate (see the catalog); their distances are estimates",
    ),
    "warn.theme_day_missing": (
        "第 {day} 天没有「{theme}」主题的遗址：当天排不下",
        "day {day} has no {theme} site: none fits that day",
    ),
    # why a candidate site was left out (Dropped.detail)
    "dropped.avoided": ("在不去的名单上", "on the avoid list"),
    "dropped.no_coordinates": ("位置未知", "no known position"),
    "dropped.closed_all": ("行程期间每天都不开放", "closed on every day of the trip"),
    "dropped.lunch": (
        "任何一种午餐安排下都放不下",
        "did not fit with the lunch break placed anywhere in the day",
    ),
    "dropped.drive_limit": (
        "超出每天的行车时间限制",
        "beyond the daily travel limit",
    ),
    "dropped.too_far": (
        "一天之内无法往返并参观",
        "cannot be reached and visited within one day's window",
    ),
    "dropped.lower_score": (
        "得分 {score:.3f}；得分更高的遗址已排满各天",
        "score {score:.3f}; higher-scoring sites filled the days",
    ),
    # why a request cannot be planned (PlanError)
    "error.musts_infeasible": (
        "{sites}。可以增加天数、加快节奏或减少必去遗址。",
        "{sites}. Try more days, a faster pace or fewer must-sees.",
    ),
    "error.must_site": (
        "{site}需要 {hours:.1f} 小时：{days}",
        "{site} needs {hours:.1f} h: {days}",
    ),
    "error.day_closed": ("第 {day} 天（{date}）不开放", "day {day} ({date}): closed"),
    "error.day_too_late": (
        "第 {day} 天（{date}）赶不到最晚入场时间",
        "day {day} ({date}): cannot arrive before its latest start",
    ),
    "error.day_window": (
        "第 {day} 天（{date}）连同路程需要 {needed:.1f} 小时，这一天只有 {available:.1f} 小时",
        "day {day} ({date}): needs {needed:.1f} h with travel, the day has {available:.1f} h",
    ),
    "error.day_max_stops": (
        "第 {day} 天（{date}）已排满最多的站数",
        "day {day} ({date}): already has the maximum number of stops",
    ),
    "error.day_time_left": (
        "第 {day} 天（{date}）除去路程还剩 {available:.1f} 小时，它需要 {needed:.1f} 小时",
        "day {day} ({date}) has {available:.1f} h left after travel, it needs {needed:.1f} h",
    ),
    "error.order_does_not_fit": (
        "第 {day} 天按给定顺序（{order}）排不进当天的时间和开放时间；请换个顺序或减少站点",
        "day {day} in the order given ({order}) does not fit the day's window and opening "
        "hours; try another order or fewer stops",
    ),
    "error.must_lost_to_lunch": (
        "安排午餐后{sites}放不下了；请换一天或加快节奏",
        "{sites} could not keep its place once lunch breaks were added; "
        "try another day or a faster pace",
    ),
    "error.must_and_avoid": (
        "{sites}既在必去名单上又在不去名单上",
        "{sites} is both a must-see and to be avoided",
    ),
    "error.lock_outside_trip": (
        "{site}被锁定在第 {day} 天，但行程只有 {days} 天",
        "{site} is locked to day {day}, but the trip has {days}",
    ),
    "error.day_outside_trip": (
        "第 {day} 天超出了行程的 {days} 天",
        "day {day} is outside the trip's {days} days",
    ),
    "error.no_coordinates_anchor": (
        "{site}没有坐标，不能作为出发或住宿地",
        "{site} has no coordinates; it cannot anchor a trip",
    ),
    "error.must_no_coordinates": (
        "必去遗址{site}还没有坐标",
        "must-see {site} has no coordinates yet",
    ),
    "error.window_too_short": (
        "每天的时间窗口太短，什么都参观不了",
        "the daily window is too short to visit anything",
    ),
    "error.request_field": (
        "请求参数 {field} 的值 {value} 无效：应为 {expected}",
        "{field} {value} is not valid: expected {expected}",
    ),
    "error.date_range": (
        "出发日期 {date} 不在可规划的范围内（{lo} 至 {hi}）",
        "start date {date} is outside the range that can be planned ({lo} to {hi})",
    ),
    "error.too_many_names": (
        "{field} 列了 {count} 个遗址，资料目录只有 {catalog} 个",
        "{field} lists {count} sites; the catalog has {catalog}",
    ),
    "error.no_night_sequence": (
        "每天最多行车 {hours:.1f} 小时，到不了要求的终点或住宿地；请放宽行车时间限制",
        "with at most {hours:.1f} h of travel a day the required end or lodging cannot be "
        "reached; allow more driving per day",
    ),
    "error.day_travel_limit": (
        "第 {day} 天（{date}）单是往返就要行车 {needed:.1f} 小时，"
        "超过每天 {available:.1f} 小时的限制",
        "day {day} ({date}): getting there and back alone takes {needed:.1f} h of travel, "
        "more than the {available:.1f} h limit",
    ),
    "error.musts_no_day": (
        "{sites}：逐天逐个顺序检查过，加上午餐后没有任何一种分配能把这些必去遗址排进行程",
        "{sites}: checked every day and order — no assignment of these must-sees to the days "
        "fits once lunch breaks are placed",
    ),
    "warn.morning_transfer": (
        "第 {day} 天早上要先从{town}行车 {minutes:.0f} 分钟到{site}"
        "（超过 {limit:.0f} 分钟）：{why}",
        "day {day} starts with a {minutes:.0f}-minute transfer from {town} to {site} (more "
        "than {limit:.0f} min): {why}",
    ),
    "why.no_closer_town": (
        "没有离它更近的住宿城镇",
        "no lodging town is closer to it",
    ),
    "why.closer_town_worse": (
        "住在{town}（{minutes:.0f} 分钟）会让整个行程得分更低或行车更多",
        "a night in {town} ({minutes:.0f} min away) makes the whole trip score less or drive more",
    ),
    "plan.objective": (
        "目标：得分减去每小时行车 {weight:g} 分；每天最多行车 {hours:g} 小时",
        "objective: score less {weight:g} per hour of travel; at most {hours:g} h of travel a day",
    ),
    # plan title
    "plan.title": ("{theme} · {days} 天 · 从{start}出发", "{theme} · {days} day(s) from {start}"),
}

_JOIN = {"zh": "；", "en": "; "}
#: codes whose list arguments are sentences rather than clauses
_SENTENCES = {"error.musts_infeasible": {"zh": "。", "en": ". "}}
_LIST = {"zh": "、", "en": ", "}


class Name(NamedTuple):
    """A name in both languages. English text shows ``zh · en`` for places (the app's
    convention, so a traveller can match it to Chinese signs) and only ``en`` when
    ``keep_zh`` is false (themes, weekdays)."""

    zh: str
    en: str = ""
    keep_zh: bool = True

    def text(self, lang: str) -> str:
        """The name as shown in ``lang``."""
        if lang == "en" and self.en and self.en != self.zh:
            return f"{self.zh} · {self.en}" if self.keep_zh else self.en
        return self.zh


def weekdays(days: frozenset[int] | set[int] | list[int]) -> Name:
    """Weekday numbers (Monday = 0) as a bilingual ``Mon/Sat`` / ``周一/周六`` name."""
    ordered = sorted(days)
    return Name(
        "/".join(_WEEKDAYS_ZH[d] for d in ordered),
        "/".join(WEEKDAYS_EN[d] for d in ordered),
        keep_zh=False,
    )


def names(items: list[Name] | tuple[Name, ...], lang: str) -> str:
    """Several names joined the way ``lang`` lists things."""
    return _LIST[lang].join(n.text(lang) for n in items)


@dataclass(frozen=True)
class Message:
    """A coded message with its arguments (see the module docstring)."""

    code: str
    args: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.code not in TEMPLATES:
            raise KeyError(f"unknown message code {self.code!r}")

    def get(self, key: str, default: Any = None) -> Any:
        """The argument ``key``."""
        return dict(self.args).get(key, default)

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        zh, en = TEMPLATES[self.code]
        template = en if lang == "en" else zh
        join = _SENTENCES.get(self.code, _JOIN)[lang]
        values = {k: _render(v, lang, join) for k, v in self.args}
        return template.format(**values)

    def __str__(self) -> str:
        return self.text("en")

    def to_json(self) -> dict[str, Any]:
        """``{"code", "args", "text"}`` (``text`` is the English rendering, for readers)."""
        return {
            "code": self.code,
            "args": {k: _arg_json(v) for k, v in self.args},
            "text": self.text("en"),
        }


def msg(code: str, /, **args: Any) -> Message:
    """A :class:`Message` (``msg("dropped.lower_score", score=0.42)``)."""
    return Message(code, tuple((k, _freeze(v)) for k, v in args.items()))


def text(value: Message | str, lang: str) -> str:
    """``value`` in ``lang``: a message renders, a plain string stays as it is."""
    return value.text(lang) if isinstance(value, Message) else str(value)


def from_json(data: Mapping[str, Any] | str) -> Message:
    """Inverse of :meth:`Message.to_json`; a plain string (older plan files) becomes ``text``."""
    if isinstance(data, str):
        return msg("text", text=data)
    code = str(data.get("code", "text"))
    if code not in TEMPLATES:  # written by a newer version: keep its English text
        return msg("text", text=str(data.get("text", code)))
    return msg(code, **{k: _arg_from_json(v) for k, v in dict(data.get("args", {})).items()})


def _freeze(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


def _render(v: Any, lang: str, join: str) -> Any:
    if isinstance(v, Message | Name):
        return v.text(lang)
    if isinstance(v, tuple):
        if all(isinstance(x, Name) for x in v):
            return names(v, lang)
        return join.join(str(_render(x, lang, join)) for x in v)
    return v


def _arg_json(v: Any) -> Any:
    if isinstance(v, Message):
        return v.to_json()
    if isinstance(v, Name):
        return {"zh": v.zh, "en": v.en, "keep_zh": v.keep_zh}
    if isinstance(v, tuple):
        return [_arg_json(x) for x in v]
    return v


def _arg_from_json(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_arg_from_json(x) for x in v)
    if isinstance(v, dict) and "code" in v:
        return from_json(v)
    if isinstance(v, dict) and "zh" in v:
        return Name(str(v["zh"]), str(v.get("en", "")), bool(v.get("keep_zh", True)))
    return v
