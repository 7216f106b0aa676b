"""What the query functions return: plain dataclasses, and the error for an unknown name."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import URIRef

from common.errors import UserError
from kg import uris
from kg.names import echo


@dataclass(frozen=True)
class SiteRef:
    """A site as list views show it."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    lat: float | None
    lon: float | None
    coord_confidence: str | None
    approximate: bool | None
    uncertainty_km: float | None
    visit_hours_min: float | None
    visit_hours_max: float | None
    popularity: float | None
    popularity_method: str | None

    @property
    def iri(self) -> URIRef:
        return uris.site_uri(self.id)

    @property
    def has_coords(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class Entity:
    """A resolved name: the IRI, what it is (site, heritage, area, theme, line) and its id."""

    iri: URIRef
    kind: str
    id: str
    name_zh: str


@dataclass(frozen=True)
class NearbySite:
    """Another site near a centre, with how its distance is known.

    ``straight_km`` is the great-circle distance between catalog coordinates (``approximate``
    when either point is derived); ``documented_km`` is the shortest documented distance
    (report table / published figure) with its ``documented_kind`` and ``source``.
    """

    site: SiteRef
    straight_km: float | None
    approximate: bool
    documented_km: float | None = None
    documented_kind: str | None = None
    source: str | None = None

    @property
    def km(self) -> float:
        """The distance used for ordering: documented when known, else straight-line."""
        if self.documented_km is not None:
            return self.documented_km
        return self.straight_km if self.straight_km is not None else math.inf


@dataclass(frozen=True)
class HeritageHit:
    """A heritage item found for a site, and why.

    ``via`` is ``"site"`` (linked to the site itself), ``"area"`` (its home area contains the
    site) or ``"nearby"`` (linked to a site ``distance_km`` away).
    """

    item_id: str
    name_zh: str
    category: str
    relation: str
    via: str
    via_id: str
    via_name: str
    source: str
    distance_km: float | None = None


@dataclass(frozen=True)
class NearbyHeritage:
    """Result of :func:`heritage_near`."""

    site: SiteRef
    items: list[HeritageHit]
    bases: list[NearbySite]

    def foods(self) -> list[HeritageHit]:
        return [h for h in self.items if h.category == "food"]


@dataclass(frozen=True)
class SimilarSite:
    """A site similar to another one."""

    site: SiteRef
    score: float
    method: str
    popularity: float | None
    popularity_method: str | None
    reference_popularity: float | None = None


@dataclass
class SiteProfile:
    """Everything the graph says about one site."""

    site: SiteRef
    areas: list[tuple[str, str, str]]
    facts: dict[str, list[str]]
    keywords: list[tuple[str, float]]
    area_keywords: dict[str, list[tuple[str, float]]]
    topics: list[dict[str, Any]]
    sentiment: list[dict[str, Any]]
    heritage: list[HeritageHit]
    similar: list[SimilarSite] = field(default_factory=list)


@dataclass(frozen=True)
class Hop:
    """One step of a connection: ``source --relation--> target`` (as stated in the graph)."""

    source: str
    source_label: str
    relation: str
    relation_label: str
    target: str
    target_label: str

    def text(self) -> str:
        return f"{self.source_label} —{self.relation_label}→ {self.target_label}"


@dataclass(frozen=True)
class Connection:
    """A path between two entities; ``cost`` grows with length and with the hubs it crosses."""

    cost: float
    nodes: tuple[str, ...]
    labels: tuple[str, ...]
    hops: tuple[Hop, ...]

    def text(self) -> str:
        return "; ".join(h.text() for h in self.hops)


class UnknownEntityError(UserError, LookupError):
    """A name that matches no entity (or several equally well)."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, ambiguous: bool = False):
        self.name = name
        self.suggestions = list(suggestions)
        what = "ambiguous name" if ambiguous else "unknown name"
        msg = f"{what} {echo(name)}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions) + "?"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])
