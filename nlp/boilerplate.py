"""Platform boilerplate as data: template tags, boilerplate phrases and default reviews.

Rules live in ``data/lexicon/platforms.yaml`` (documented there), one block per platform
(Ctrip/携程, Qunar, Mafengwo/马蜂窝, Dianping/大众点评, Meituan/美团) plus ``generic``. At ingest,
:meth:`PlatformRules.is_default_review` rejects reviews the platform filled in (默认好评, ``***``,
此用户没有填写评价 …) and :meth:`PlatformRules.strip` removes template tags (【景色】… keeps the
text after the tag, drops the tag word) and boilerplate phrases, counting what it removed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlp.errors import LexiconError

__all__ = ["PlatformRules", "load_platform_rules"]


@dataclass(frozen=True)
class _Platform:
    names: frozenset[str]
    tags: re.Pattern[str] | None
    phrases: re.Pattern[str] | None
    defaults: re.Pattern[str] | None


def _compile(path: Path, platform: str, what: str, patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise LexiconError(f"{path}: {platform}.{what}: bad regex {p!r}: {exc}") from exc
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _tag_pattern(tags: list[str]) -> re.Pattern[str] | None:
    """【tag】 anywhere, or ``tag:`` at the start of the text or of a clause."""
    if not tags:
        return None
    words = "|".join(sorted((re.escape(t.lower()) for t in tags), key=len, reverse=True))
    return re.compile(rf"【\s*(?:{words})\s*】|(?:(?<=^)|(?<=[\s,。!?;、]))(?:{words})\s*[::]")


class PlatformRules:
    """Compiled rules of ``platforms.yaml``.

    Parameters
    ----------
    path
        The rules file.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise LexiconError(f"{path}: cannot read platform rules: {exc}") from exc
        if "generic" not in raw:
            raise LexiconError(f"{path}: a 'generic' block is required")
        self.platforms: dict[str, _Platform] = {}
        for name, spec in raw.items():
            spec = spec or {}
            unknown = set(spec) - {"names", "template_tags", "phrases", "default_reviews"}
            if unknown:
                raise LexiconError(f"{path}: {name}: unknown keys {sorted(unknown)}")
            self.platforms[name] = _Platform(
                names=frozenset(str(n).lower() for n in [name, *(spec.get("names") or [])]),
                tags=_tag_pattern([str(t) for t in spec.get("template_tags") or []]),
                phrases=_compile(path, name, "phrases", spec.get("phrases") or []),
                defaults=_compile(path, name, "default_reviews", spec.get("default_reviews") or []),
            )

    def _for(self, platform: str | None) -> list[_Platform]:
        key = (platform or "").strip().lower()
        chosen = [p for n, p in self.platforms.items() if n != "generic" and key in p.names]
        if not chosen:  # unknown platform: every platform's rules
            chosen = [p for n, p in self.platforms.items() if n != "generic"]
        return [self.platforms["generic"], *chosen]

    def is_default_review(self, raw: str | None, platform: str | None = None) -> bool:
        """True when the whole review is one the platform filled in (``默认好评``, ``***`` …)."""
        if raw is None or not raw.strip():
            return False
        text = unicodedata.normalize("NFKC", raw).strip()
        return any(
            p.defaults is not None and p.defaults.fullmatch(text) for p in self._for(platform)
        )

    def strip(self, text: str, platform: str | None, counts: Counter[str] | None = None) -> str:
        """Remove template tags (keeping the text after them) and boilerplate phrases."""
        removed = 0
        for p in self._for(platform):
            for kind, pattern in (("template_tag", p.tags), ("boilerplate_phrase", p.phrases)):
                if pattern is None:
                    continue
                text, n = pattern.subn(" ", text)
                removed += n
                if n and counts is not None:
                    counts[kind] += n
        return re.sub(r"\s+", " ", text).strip(" ,") if removed else text


@functools.lru_cache(maxsize=4)
def load_platform_rules(path: str | Path) -> PlatformRules:
    """Load (once per path) the platform rules file."""
    return PlatformRules(path)
