"""The themes sites have."""

from __future__ import annotations

from kg.queries.lookup import _id
from kg.store import KnowledgeGraph


def themes(kg: KnowledgeGraph) -> list[tuple[str, str, str]]:
    """``(theme id, label_zh, label_en)`` of every theme some site has, sorted by id."""
    out: dict[str, tuple[str, str, str]] = {}
    for r in kg.select("themes"):
        tid = _id(r.theme)
        out.setdefault(tid, (tid, str(r.label_zh or tid), str(r.label_en or tid)))
    return [out[k] for k in sorted(out)]


def theme_ids(kg: KnowledgeGraph) -> list[str]:
    """Ids of the themes some site has (``stone-carving``, ``sichuan-opera`` …)."""
    return [t[0] for t in themes(kg)]
