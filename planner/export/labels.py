"""The exports' texts: the ``export`` section of the one bilingual catalogue
(``planner/i18n.toml``, see :mod:`planner.i18n`) and the few formatting rules built on it
(durations, kilometres, opening hours). No strings in layouts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner import i18n

if TYPE_CHECKING:
    from planner.export.facts import HoursFact

_SECTION = "export."


def label(key: str, lang: str, /, **fmt: object) -> str:
    """The export text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``:
    ``i18n.text(lang, "export." + key, **fmt)``.

    Raises
    ------
    ValueError
        If ``lang`` is not ``zh`` or ``en``.
    KeyError
        If ``key`` is not in the catalogue's ``export`` section.
    """
    return i18n.text(lang, _SECTION + key, **fmt)


def duration(minutes: float, lang: str) -> str:
    """``95`` → ``1小时35分`` / ``1 h 35 min``; under an hour → ``35分钟`` / ``35 min``."""
    total = round(minutes)
    h, m = divmod(total, 60)
    if h == 0:
        return label("minutes", lang, n=m)
    if m == 0:
        return label("hours_only", lang, h=h)
    return label("hours_minutes", lang, h=h, m=m)


def km_text(km: float, lang: str) -> str:
    """Kilometres rounded for reading (one decimal under 10 km, else whole)."""
    value = f"{km:.1f}" if km < 10 else f"{km:.0f}"
    return label("km", lang, km=value)


def has_label(key: str) -> bool:
    """True if ``key`` is a known label."""
    return i18n.has(_SECTION + key)


def hours_text(h: HoursFact, lang: str) -> str:
    """Opening status on the visit's date, e.g. ``08:30–18:00``, ``当日闭馆`` or
    ``unknown — check before going``; partial windows say which end is unknown."""
    if h.status == "closed":
        return label("closed_on", lang)
    if h.status == "open":
        if h.open and h.close:
            return label("open_window", lang, open=h.open, close=h.close)
        if h.close:
            return f"{label('opens_unknown', lang)}, –{h.close}"
        if h.open:
            return f"{h.open}–, {label('closes_unknown', lang)}"
        return label("open_unknown_time", lang)
    return label("unknown", lang)
