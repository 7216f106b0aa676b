"""Themes → candidate sites with scores, from the knowledge graph.

A theme's sites come from the graph (``kg.queries.sites_by``), never from a list in code.
Each candidate gets a score in ``[0, 1]``:

``interest``
    from the site's designation (World Heritage > national > provincial > other), weights in
    ``data/catalog/planning.yaml``, national units listed in earlier batches a little higher;
``popularity``
    the graph's popularity figure on a log scale normalised over the candidates (mentions have
    a long tail): corpus mentions when the graph was built from a real export's NLP artifacts,
    else the designation level. Mentions counted in the embedded sample corpus (written for
    the project) are never used (:mod:`planner.evidence`);
``score``
    ``Σ_theme weight × interest × mix`` with
    ``mix = hot_share × popularity + (1 − hot_share) × (1 − popularity)``: ``hot_share`` 1
    favours the best-known sites, 0 the lesser-known ones, 0.5 is neutral.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from common.errors import UserError
from kg.catalog import Catalog, Site, default_data_dir
from planner.evidence import popularity_origin

MIXED = "mixed"


class ThemeError(UserError, ValueError):
    """Unknown theme or bad weights."""


@dataclass(frozen=True)
class Candidate:
    """A site proposed for a trip, with the parts of its score."""

    site_id: str
    score: float
    interest: float
    popularity: float
    themes: tuple[str, ...]


def load_planning(path: str | None = None) -> dict[str, Any]:
    """The planning assumptions (``<catalog>/planning.yaml``), read once per file.

    The default file follows ``HERITAGE_DATA_DIR`` (:func:`common.settings.catalog_dir`) at
    every call; each file is parsed once per process and shared (treat it as read-only).
    """
    p = Path(path) if path else default_data_dir() / "planning.yaml"
    return _read_planning(p.resolve())


@lru_cache(maxsize=8)
def _read_planning(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def designation_rank(site: Site) -> int:
    """World Heritage 4, national 3, provincial 2, other titles 1, none 0 (as in the graph)."""
    from kg.build import LEVEL_RANK, classify_designation

    return max((LEVEL_RANK[classify_designation(d)[0]] for d in site.designations), default=0)


def designation_level(site: Site) -> str:
    """``world_heritage``, ``national``, ``provincial`` or ``other`` (the graph's classes)."""
    from kg.build.designations import LEVEL_RANK, classify_designation

    rank = max((LEVEL_RANK[classify_designation(d)[0]] for d in site.designations), default=0)
    return {4: "world_heritage", 3: "national", 2: "provincial"}.get(rank, "other")


def interest(site: Site, scoring: Mapping[str, Any]) -> float:
    """Base interest of a site from its designations (weights in ``planning.yaml``).

    National units (全国重点文物保护单位) were listed in batches, the most significant first
    (1961 onwards); a national site gains up to ``national_batch_bonus`` for an earlier
    listing year, nothing when the year is not documented.
    """
    from kg.build.designations import classify_designation
    from kg.namespaces import HR

    level = designation_level(site)
    value = float(scoring["designation_weight"][level])
    if level == "national":
        years = [
            y
            for d in site.designations
            for lvl, y, _ in [classify_designation(d)]
            if lvl == HR.NationalLevel and y is not None
        ]
        first, last = scoring.get("national_batch_years", [1961, 2019])
        if years:
            early = (last - min(years)) / (last - first)
            value += float(scoring.get("national_batch_bonus", 0.0)) * min(1.0, max(0.0, early))
    return value


@lru_cache(maxsize=1)
def _graph() -> Any:
    from kg.store import open_graph

    return open_graph()


def default_graph() -> Any:
    """The built graph (``artifacts/kg/graph.ttl``), opened once per process."""
    return _graph()


def available_themes(kgraph: Any | None = None) -> list[str]:
    """Theme ids present in the graph (plus ``mixed``)."""
    from kg import queries

    kgraph = kgraph or _graph()
    return [*queries.theme_ids(kgraph), MIXED]


def theme_labels(kgraph: Any | None = None) -> dict[str, tuple[str, str]]:
    """Theme id → ``(label_zh, label_en)`` for the themes in the graph."""
    from kg import queries

    return {t: (zh, en) for t, zh, en in queries.themes(kgraph or _graph())}


def theme_candidates(
    catalog: Catalog,
    theme: str,
    *,
    weights: Mapping[str, float] | None = None,
    hot_share: float | None = None,
    kgraph: Any | None = None,
) -> list[Candidate]:
    """Candidate sites for ``theme`` (or ``mixed`` with ``weights``), best score first."""
    from kg import queries

    kgraph = kgraph or _graph()
    known = available_themes(kgraph)[:-1]
    if theme == MIXED:
        if not weights:
            raise ThemeError("the mixed theme needs weights, e.g. stone-carving=2,sichuan-opera=1")
        mix = {t: float(w) for t, w in weights.items() if float(w) > 0}
    else:
        mix = {theme: 1.0}
    unknown = [t for t in mix if t not in known]
    if unknown:
        raise ThemeError(
            f"unknown theme {', '.join(unknown)}; choose from {', '.join([*known, MIXED])}"
        )
    if any(w < 0 for w in mix.values()) or not mix:
        raise ThemeError("theme weights must be positive")
    planning = load_planning()
    hot = planning["scoring"]["hot_share"] if hot_share is None else float(hot_share)
    if not 0.0 <= hot <= 1.0:
        raise ThemeError("hot_share must lie between 0 and 1")
    members: dict[str, list[str]] = {}
    popularity: dict[str, float] = {}
    methods: set[str | None] = set()
    for t in mix:
        for ref in queries.sites_by(kgraph, theme=t):
            members.setdefault(ref.id, []).append(t)
            popularity[ref.id] = float(ref.popularity or 0.0)
            methods.add(ref.popularity_method)
    if "corpus-mentions" in methods and not popularity_origin(kgraph).used:
        # mentions counted in sample text (or in texts of unknown origin) are not evidence
        popularity = {sid: float(designation_rank(catalog.sites[sid])) for sid in popularity}
    # Mentions follow a long tail: compare them on a log scale.
    top = math.log1p(max(popularity.values(), default=0.0)) or 1.0
    total_w = sum(mix.values())
    out = []
    for sid, ts in members.items():
        site = catalog.sites[sid]
        if site.kind == "town":
            continue
        base = interest(site, planning["scoring"])
        pop = math.log1p(popularity[sid]) / top
        blend = hot * pop + (1.0 - hot) * (1.0 - pop)
        weight = sum(mix[t] for t in ts) / total_w
        score = weight * base * blend
        out.append(Candidate(sid, round(score, 6), base, round(pop, 6), tuple(sorted(ts))))
    return sorted(out, key=lambda c: (-c.score, c.site_id))
