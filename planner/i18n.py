"""The one bilingual catalogue: every text the app, the exports and the planner show people.

The texts live in ``planner/i18n.toml`` in one shape, ``"key" = [Chinese, English]``, grouped in
sections: ``common`` (weekday names), ``ui`` (the web app), ``export`` (brochures, calendar and
navigation files) and ``message`` (the planner's coded messages, see :mod:`planner.messages`).
A key is written with its section (``"ui.app.title"``) and is a ``str.format`` template with the
same fields in both languages.

>>> text("en", "ui.map.day", n=2)
'Day 2'
>>> text("zh", "common.weekday.5")
'周六'
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from common.errors import HeritageError

#: the languages, in the order of each catalogue entry
LANGS: Final = ("zh", "en")
#: how each language names itself (the language switch)
LANG_LABELS: Final = MappingProxyType({"zh": "中文", "en": "English"})
#: the catalogue file
CATALOGUE: Final = Path(__file__).with_name("i18n.toml")


class CatalogueError(HeritageError, ValueError):
    """The catalogue file breaks its shape (a packaging or editing mistake, not user input)."""


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`.

    Raises
    ------
    ValueError
        If ``lang`` is not ``zh`` or ``en``.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose zh or en")
    return lang


@cache
def entries() -> Mapping[str, tuple[str, str]]:
    """Every entry as ``{"section.key": (zh, en)}`` (read once; checked for its shape)."""
    with CATALOGUE.open("rb") as f:
        data = tomllib.load(f)
    out: dict[str, tuple[str, str]] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise CatalogueError(f"{CATALOGUE.name}: {section!r} is not a section")
        for key, value in table.items():
            where = f"{CATALOGUE.name}: {section}.{key}"
            if not (
                isinstance(value, list)
                and len(value) == len(LANGS)
                and all(isinstance(v, str) and v for v in value)
            ):
                raise CatalogueError(f"{where}: expected [Chinese, English], got {value!r}")
            if _fields(value[0]) != _fields(value[1]):
                raise CatalogueError(f"{where}: the two languages use different fields")
            out[f"{section}.{key}"] = (value[0], value[1])
    return MappingProxyType(out)


def section(name: str) -> Mapping[str, tuple[str, str]]:
    """The entries of one section, keyed without the section (``section("message")``)."""
    prefix = name + "."
    return MappingProxyType(
        {k.removeprefix(prefix): v for k, v in entries().items() if k.startswith(prefix)}
    )


def has(key: str) -> bool:
    """True if ``key`` (with its section) is in the catalogue."""
    return key in entries()


def template(lang: str, key: str) -> str:
    """The unformatted template of ``key`` in ``lang``.

    Raises
    ------
    KeyError
        If ``key`` is not in the catalogue.
    ValueError
        If ``lang`` is not ``zh`` or ``en``.
    """
    try:
        pair = entries()[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in {CATALOGUE.name}") from None
    return pair[LANGS.index(check_lang(lang))]


def text(lang: str, key: str, /, **values: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``values`` (see :func:`template`)."""
    tpl = template(lang, key)
    return tpl.format(**values) if values else tpl


def label(lang: str, prefix: str, value: str) -> str:
    """The label of a coded value (``label("en", "ui.kind", "museum")``), else the value."""
    key = f"{prefix}.{value}"
    return text(lang, key) if has(key) else value


def site_name(name_zh: str, name_en: str, lang: str) -> str:
    """Place names stay Chinese; English adds the English name when there is one
    (so that a traveller can match it to Chinese signs)."""
    if lang == "en" and name_en and name_en != name_zh:
        return f"{name_zh} · {name_en}"
    return name_zh


def weekday(day: int, lang: str) -> str:
    """The short name of weekday ``day`` (Monday = 0): ``周六`` / ``Sat``."""
    return text(lang, f"common.weekday.{day}")


def _fields(tpl: str) -> set[str]:
    """The field names of a template (format specs dropped)."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(tpl) if f}
    except ValueError as exc:
        raise CatalogueError(f"{tpl!r}: {exc}") from None
