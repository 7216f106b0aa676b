"""The themes sites have, and why each member belongs (``hr:ThemeMembership``)."""

from __future__ import annotations

from dataclasses import dataclass

from kg.queries.lookup import _id, resolve
from kg.store import KnowledgeGraph


@dataclass(frozen=True)
class ThemeReason:
    """Why a site is in a theme: the rule of ``theme_rules.yaml`` and its reason."""

    site_id: str
    theme: str
    rule: str
    reason_zh: str
    reason_en: str
    source: str | None

    def text(self, lang: str = "en") -> str:
        """The reason in ``lang`` (``zh`` or ``en``)."""
        return self.reason_zh if lang == "zh" else self.reason_en


def themes(kg: KnowledgeGraph) -> list[tuple[str, str, str]]:
    """``(theme id, label_zh, label_en)`` of every theme some site has, sorted by id."""

    def load() -> list[tuple[str, str, str]]:
        out: dict[str, tuple[str, str, str]] = {}
        for r in kg.select("themes"):
            tid = _id(r.theme)
            out.setdefault(tid, (tid, str(r.label_zh or tid), str(r.label_en or tid)))
        return [out[k] for k in sorted(out)]

    return list(kg.memo("themes", load))  # the graph is read-only


def theme_ids(kg: KnowledgeGraph) -> list[str]:
    """Ids of the themes some site has (``stone-carving``, ``sichuan-opera`` …)."""
    return [t[0] for t in themes(kg)]


def theme_reasons(kg: KnowledgeGraph, theme: str) -> dict[str, ThemeReason]:
    """Site id → why it belongs to ``theme`` (an id or label: ``three-kingdoms``, ``三国文化``)."""
    iri = resolve(kg, theme, kinds=("theme",)).iri
    out: dict[str, ThemeReason] = {}
    for r in kg.select("theme_members", {"theme": iri}):
        sid = _id(r.site)
        out.setdefault(
            sid,
            ThemeReason(
                sid,
                _id(iri),
                str(r.rule),
                str(r.reason_zh or ""),
                str(r.reason_en or ""),
                str(r.source) if r.source is not None else None,
            ),
        )
    return out
