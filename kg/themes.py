"""Theme membership as documented rules over sourced attributes.

The rules live in ``data/ontology/theme_rules.yaml``.

A theme (a concept of ``data/ontology/themes.ttl``) has rules; a site belongs to the theme when
any rule matches, and a rule matches when all of its conditions hold: the site's kind (for
national units, the official category), its ``themes`` column, keywords in its name or era,
its city or province, the kind of a heritage item linked to it; or an explicit curated list
whose every entry carries a source. :func:`evaluate` returns each membership with the rule and
its reason (Chinese and English); the graph builder writes them as ``hr:ThemeMembership`` nodes
next to ``site hr:theme theme``, so every member says why it is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from common.errors import UserError

if TYPE_CHECKING:
    from kg.catalog import Catalog, Site

__all__ = [
    "CONDITIONS",
    "RULES_FILE",
    "Membership",
    "Rule",
    "ThemeRuleError",
    "evaluate",
    "load_rules",
]

RULES_FILE = "theme_rules.yaml"
#: the conditions a rule may use (documented in theme_rules.yaml)
CONDITIONS = (
    "kind",
    "catalog_theme",
    "name_any",
    "not_name_any",
    "era_any",
    "city",
    "province",
    "heritage_kind",
)


class ThemeRuleError(UserError, ValueError):
    """A malformed rules file; every problem is listed with the file and the rule."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class CuratedEntry:
    """One site of a curated list, with its source and reason."""

    site: str
    source: str
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class Rule:
    """One rule of a theme: conditions (all must hold) or a curated list."""

    theme: str
    id: str
    when: Mapping[str, tuple[str, ...]]
    reason_zh: str
    reason_en: str
    sites: tuple[CuratedEntry, ...] = ()

    @property
    def key(self) -> str:
        """``theme/rule`` — how the graph names the rule."""
        return f"{self.theme}/{self.id}"


@dataclass(frozen=True)
class Membership:
    """A site in a theme, with the rule that put it there and why."""

    site_id: str
    theme: str
    rule: str
    reason_zh: str
    reason_en: str
    source: str


def _reason(block: Any, where: str, problems: list[str]) -> tuple[str, str]:
    if not isinstance(block, Mapping) or not block.get("zh") or not block.get("en"):
        problems.append(f"{where}: reason needs zh and en texts")
        return "", ""
    return str(block["zh"]).strip(), str(block["en"]).strip()


def load_rules(path: str | Path, known_themes: Iterable[str] | None = None) -> list[Rule]:  # noqa: C901
    """Read and check the rules file; problems are reported together (file, theme, rule)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ThemeRuleError([f"{path}: {exc}"]) from None
    problems: list[str] = []
    themes = data.get("themes") if isinstance(data, Mapping) else None
    if not isinstance(themes, Mapping):
        raise ThemeRuleError([f"{path}: top-level 'themes' mapping missing"])
    known = set(known_themes) if known_themes is not None else None
    rules: list[Rule] = []
    for theme, items in themes.items():
        if known is not None and theme not in known:
            problems.append(
                f"{path.name}: theme {theme!r} is not a concept of themes.ttl "
                f"(known: {', '.join(sorted(known))})"
            )
        if not isinstance(items, list) or not items:
            problems.append(f"{path.name}: theme {theme!r} needs a list of rules")
            continue
        seen: set[str] = set()
        for k, item in enumerate(items, 1):
            where = f"{path.name}: {theme} rule {k}"
            if not isinstance(item, Mapping) or not item.get("id"):
                problems.append(f"{where}: a rule needs an id")
                continue
            rid = str(item["id"])
            where = f"{path.name}: {theme}/{rid}"
            if rid in seen:
                problems.append(f"{where}: duplicate rule id")
            seen.add(rid)
            if "sites" in item:
                entries = []
                for j, e in enumerate(item.get("sites") or [], 1):
                    w = f"{where} entry {j}"
                    if not isinstance(e, Mapping) or not e.get("site"):
                        problems.append(f"{w}: needs a site name")
                        continue
                    if not str(e.get("source") or "").strip():
                        problems.append(f"{w} ({e['site']}): a curated entry needs a source")
                    zh, en = _reason(e.get("reason"), w, problems)
                    entries.append(
                        CuratedEntry(str(e["site"]), " ".join(str(e.get("source")).split()), zh, en)
                    )
                if not entries:
                    problems.append(f"{where}: empty curated list")
                rules.append(Rule(str(theme), rid, {}, "", "", tuple(entries)))
                continue
            when = item.get("when")
            if not isinstance(when, Mapping) or not when:
                problems.append(f"{where}: needs 'when' conditions or a 'sites' list")
                continue
            unknown = sorted(set(when) - set(CONDITIONS))
            if unknown:
                problems.append(
                    f"{where}: unknown condition(s) {', '.join(unknown)} "
                    f"(expected {', '.join(CONDITIONS)})"
                )
            conds = {
                str(c): tuple(str(v) for v in (vs if isinstance(vs, list) else [vs]))
                for c, vs in when.items()
            }
            zh, en = _reason(item.get("reason"), where, problems)
            rules.append(Rule(str(theme), rid, conds, zh, en))
    if problems:
        raise ThemeRuleError(problems)
    return rules


def _names(site: Site) -> list[str]:
    return [site.name_zh, *site.aliases]


def _first(keywords: Sequence[str], texts: Iterable[str]) -> str | None:
    texts = list(texts)
    for kw in keywords:
        if any(kw in t for t in texts):
            return kw
    return None


def _match(rule: Rule, site: Site, heritage: Mapping[str, list[tuple[str, str]]]) -> str | None:  # noqa: C901
    """The value that made ``rule`` match ``site`` (for the reason), or None."""
    shown: list[str] = []
    for cond, values in rule.when.items():
        if cond == "kind":
            if site.kind not in values:
                return None
            shown.append(site.kind)
        elif cond == "catalog_theme":
            hit = [t for t in site.themes if t in values]
            if not hit:
                return None
            shown.append("、".join(hit))
        elif cond == "name_any":
            kw = _first(values, _names(site))
            if kw is None:
                return None
            shown.insert(0, kw)
        elif cond == "not_name_any":
            if _first(values, _names(site)) is not None:
                return None
        elif cond == "era_any":
            kw = _first(values, [site.era])
            if kw is None:
                return None
            shown.insert(0, site.era)
        elif cond == "city":
            if site.city not in values:
                return None
        elif cond == "province":
            if site.province not in values:
                return None
        elif cond == "heritage_kind":
            names = [name for kind, name in heritage.get(site.id, []) if kind in values]
            if not names:
                return None
            shown.insert(0, "、".join(sorted(set(names))))
    return shown[0] if shown else ""


def evaluate(
    catalog: Catalog,
    rules: Sequence[Rule],
    heritage: Mapping[str, list[tuple[str, str]]] | None = None,
    warnings: list[str] | None = None,
) -> list[Membership]:
    """Every (site, theme) membership with its first matching rule, sorted by theme and site.

    ``heritage`` maps a site id to ``(item kind, item name)`` of the heritage items linked to
    it. Curated names the catalog cannot resolve are added to ``warnings`` with suggestions.
    """
    from kg.catalog import UnknownSiteError

    heritage = heritage or {}
    out: dict[tuple[str, str], Membership] = {}
    for rule in rules:
        if rule.sites:
            for e in rule.sites:
                try:
                    site = catalog.resolve(e.site)
                except UnknownSiteError as exc:
                    if warnings is not None:
                        warnings.append(f"theme_rules.yaml {rule.key}: {exc}")
                    continue
                out.setdefault(
                    (rule.theme, site.id),
                    Membership(site.id, rule.theme, rule.key, e.reason_zh, e.reason_en, e.source),
                )
            continue
        for site in sorted(catalog.sites.values(), key=lambda s: s.id):
            if site.kind == "town" or (rule.theme, site.id) in out:
                continue
            value = _match(rule, site, heritage)
            if value is None:
                continue
            out[(rule.theme, site.id)] = Membership(
                site.id,
                rule.theme,
                rule.key,
                rule.reason_zh.replace("{match}", value),
                rule.reason_en.replace("{match}", value),
                site.source,
            )
    return [out[k] for k in sorted(out)]
