"""A tourism bureau's branding for the brochures, read from a small YAML file.

Keys (all optional; unknown keys are an error so typos do not pass silently)::

    title:     the publisher's name          (text)
    subtitle:  a tagline under the title      (text)
    logo:      PNG or JPEG, relative to the YAML file
    contact:   lines printed on the back      (list of text)
    colours:   {primary: "#RRGGBB", accent: "#RRGGBB", days: ["#RRGGBB", ...]}
    plan_url:  base URL of the planning app the QR code opens (default http://localhost:8501/)
    amap_src:  the ``src`` Amap asks link builders to send (default heritage-routes)
    template:  true marks a sample; the brochure then says TEMPLATE on the cover

A *text* is a string (both languages) or ``{zh: ..., en: ...}``. ``data/brand/example.yaml``
is a template to copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import UserError

__all__ = ["DEFAULT_BRAND", "Brand", "BrandError", "Text", "load_brand"]

DEFAULT_PLAN_URL = "http://localhost:8501/"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEYS = {"title", "subtitle", "logo", "contact", "colours", "plan_url", "amap_src", "template"}
_COLOUR_KEYS = {"primary", "accent", "days"}
# Day colours: distinct in print and for the common colour-vision deficiencies (Okabe–Ito based).
_DAYS = ("#B0413E", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F6A3F")


class BrandError(UserError, ValueError):
    """A brand file that cannot be used (one line: file and what is wrong)."""


@dataclass(frozen=True)
class Text:
    """A string in Chinese and English (English falls back to Chinese)."""

    zh: str = ""
    en: str = ""

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh`` or ``en``)."""
        return (self.en or self.zh) if lang == "en" else (self.zh or self.en)

    def __bool__(self) -> bool:
        return bool(self.zh or self.en)


@dataclass(frozen=True)
class Brand:
    """Branding of a brochure."""

    title: Text = field(default_factory=lambda: Text("巴蜀文化遗产之旅", "Ba–Shu heritage routes"))
    subtitle: Text = field(default_factory=Text)
    logo: Path | None = None
    contact: tuple[Text, ...] = ()
    primary: str = "#7A2E1D"
    accent: str = "#B8892F"
    day_colours: tuple[str, ...] = _DAYS
    plan_url: str = DEFAULT_PLAN_URL
    amap_src: str = "heritage-routes"
    template: bool = False

    def day_colour(self, index: int) -> str:
        """Colour of day ``index`` (0-based), cycling through the palette."""
        return self.day_colours[index % len(self.day_colours)]


DEFAULT_BRAND = Brand()


def _text(value: Any, where: str) -> Text:
    if isinstance(value, str):
        return Text(value.strip(), value.strip())
    if isinstance(value, dict):
        extra = set(value) - {"zh", "en"}
        if extra:
            raise BrandError(f"{where}: unknown language key(s) {', '.join(sorted(extra))}")
        zh, en = value.get("zh", ""), value.get("en", "")
        if not isinstance(zh, str) or not isinstance(en, str):
            raise BrandError(f"{where}: zh and en must be strings")
        return Text(zh.strip(), en.strip())
    raise BrandError(f"{where}: expected a string or {{zh: ..., en: ...}}")


def _colour(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HEX.match(value):
        raise BrandError(f'{where}: expected a colour like "#7A2E1D", got {value!r}')
    return value.upper()


def load_brand(path: str | Path | None) -> Brand:  # noqa: C901
    """Read a brand YAML file; ``None`` gives :data:`DEFAULT_BRAND`.

    Raises
    ------
    BrandError
        On a missing or malformed file, an unknown key, a bad colour or a missing logo.
    """
    if path is None:
        return DEFAULT_BRAND
    path = Path(path)
    if not path.is_file():
        raise BrandError(f"brand file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise BrandError(f"{path}{line}: not valid YAML") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BrandError(f"{path}: expected a mapping of keys")
    unknown = set(raw) - _KEYS
    if unknown:
        raise BrandError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    kw: dict[str, Any] = {}
    if "title" in raw:
        kw["title"] = _text(raw["title"], f"{path}: title")
    if "subtitle" in raw:
        kw["subtitle"] = _text(raw["subtitle"], f"{path}: subtitle")
    if raw.get("logo"):
        logo = (path.parent / str(raw["logo"])).resolve()
        if not logo.is_file():
            raise BrandError(f"{path}: logo {logo} does not exist")
        if logo.suffix.lower() not in {".png", ".jpg", ".jpeg"}:
            raise BrandError(f"{path}: logo must be a PNG or JPEG file, got {logo.name}")
        kw["logo"] = logo
    if "contact" in raw:
        items = raw["contact"]
        if isinstance(items, str | dict):
            items = [items]
        if not isinstance(items, list):
            raise BrandError(f"{path}: contact must be a list of lines")
        kw["contact"] = tuple(_text(v, f"{path}: contact[{i}]") for i, v in enumerate(items))
    colours = raw.get("colours") or {}
    if not isinstance(colours, dict):
        raise BrandError(f"{path}: colours must be a mapping (primary, accent, days)")
    unknown = set(colours) - _COLOUR_KEYS
    if unknown:
        raise BrandError(f"{path}: unknown colour key(s) {', '.join(sorted(unknown))}")
    if "primary" in colours:
        kw["primary"] = _colour(colours["primary"], f"{path}: colours.primary")
    if "accent" in colours:
        kw["accent"] = _colour(colours["accent"], f"{path}: colours.accent")
    if "days" in colours:
        days = colours["days"]
        if not isinstance(days, list) or not days:
            raise BrandError(f"{path}: colours.days must be a non-empty list")
        kw["day_colours"] = tuple(
            _colour(c, f"{path}: colours.days[{i}]") for i, c in enumerate(days)
        )
    if "plan_url" in raw:
        url = str(raw["plan_url"]).strip()
        if not re.match(r"^https?://[^\s]+$", url):
            raise BrandError(f"{path}: plan_url must be an http(s) URL, got {url!r}")
        kw["plan_url"] = url
    if "amap_src" in raw:
        src = str(raw["amap_src"]).strip()
        if not re.match(r"^[A-Za-z0-9._-]{1,64}$", src):
            raise BrandError(f"{path}: amap_src must be 1–64 letters, digits, '.', '_' or '-'")
        kw["amap_src"] = src
    if "template" in raw:
        if not isinstance(raw["template"], bool):
            raise BrandError(f"{path}: template must be true or false")
        kw["template"] = raw["template"]
    return Brand(**kw)
