"""What the planner tells people — warnings, why a site was left out, why a request cannot be
planned, opening-hours notes — as coded messages that render in Chinese or English.

A :class:`Message` is a code plus arguments; :meth:`Message.text` fills the code's template in
the language asked for, and ``str(message)`` is the English text (logs, the CLI, exceptions).
Arguments are plain values, bilingual :class:`Name` s (site, theme and weekday names) or nested
messages, rendered in the same language (a tuple of messages is joined into one sentence).
Plan files store a message as ``{"code", "args", "text"}`` so that a saved plan can be shown in
either language later; :func:`from_json` also accepts the plain strings older files hold.

The templates live in the ``message`` section of the one bilingual catalogue
(``planner/i18n.toml``, see :mod:`planner.i18n`): adding a message means adding one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from planner import i18n

#: weekday abbreviations, Monday first (also the day names of opening_hours.csv)
WEEKDAYS_EN = tuple(i18n.weekday(d, "en") for d in range(7))

#: code → (Chinese template, English template): the ``message`` section of the catalogue
TEMPLATES: Mapping[str, tuple[str, str]] = i18n.section("message")

#: a function making a plain string safe for some markup (``planner.ui.markup.md``)
type Escape = Callable[[str], str]

#: codes whose list arguments are sentences rather than clauses
_SENTENCES = frozenset({"error.musts_infeasible"})


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
            return i18n.site_name(self.zh, self.en, lang) if self.keep_zh else self.en
        return self.zh


def weekdays(days: frozenset[int] | set[int] | list[int]) -> Name:
    """Weekday numbers (Monday = 0) as a bilingual ``Mon/Sat`` / ``周一/周六`` name."""
    ordered = sorted(days)
    return Name(
        "/".join(i18n.weekday(d, "zh") for d in ordered),
        "/".join(i18n.weekday(d, "en") for d in ordered),
        keep_zh=False,
    )


def names(items: list[Name] | tuple[Name, ...], lang: str) -> str:
    """Several names joined the way ``lang`` lists things."""
    return i18n.text(lang, "common.join.list").join(n.text(lang) for n in items)


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

    def text(self, lang: str = "en", escape: Escape | None = None) -> str:
        """The message in ``lang`` (``zh`` or ``en``).

        ``escape`` is applied to every text argument (names, notes from the data, free text),
        never to the templates: ``message.text("zh", markup.md)`` is safe inside Markdown.
        """
        template = i18n.template(lang, "message." + self.code)
        join = i18n.text(
            lang, "common.join.sentence" if self.code in _SENTENCES else "common.join.clause"
        )
        values = {k: _render(v, lang, join, escape) for k, v in self.args}
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


def _render(v: Any, lang: str, join: str, escape: Escape | None) -> Any:
    if isinstance(v, Message):
        return v.text(lang, escape)
    if isinstance(v, Name):
        return escape(v.text(lang)) if escape else v.text(lang)
    if isinstance(v, tuple):
        if all(isinstance(x, Name) for x in v):
            if escape is None:
                return names(v, lang)
            return i18n.text(lang, "common.join.list").join(escape(n.text(lang)) for n in v)
        return join.join(str(_render(x, lang, join, escape)) for x in v)
    if isinstance(v, str) and escape is not None:
        return escape(v)
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
