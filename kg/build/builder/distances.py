"""Distance statements: the report's seed table, published distances and great-circle
distances between nearby located sites."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from common.geo import haversine_km
from kg import uris
from kg.build.builder.base import BuilderBase
from kg.build.core import _dec, _text
from kg.namespaces import DCTERMS, HR, PROV

if TYPE_CHECKING:
    from kg.catalog import Site


class DistanceStatements(BuilderBase):
    """Seed-table, published and great-circle distances."""

    def _distance(
        self, node: URIRef, a: str, b: str, km: float, kind: str, source: str | None
    ) -> None:
        self.add(node, RDF.type, HR.Distance)
        self.add(node, HR.between, uris.site_uri(a))
        self.add(node, HR.between, uris.site_uri(b))
        self.add(node, HR.distanceKm, _dec(km, 3))
        self.add(node, HR.distanceKind, Literal(kind))
        if source:
            self.add(node, DCTERMS.source, _text(source))

    def add_distances(self) -> None:
        for e in self.catalog.seed_edges:
            node = uris.distance_uri("seed", e.a, e.b, e.line)
            self._distance(node, e.a, e.b, e.km, "seed-table", e.source)
            if e.line in self.catalog.lines:
                self.add(node, HR.onLine, uris.line_uri(e.line))
        for p in self.catalog.published_distances:
            q = uris.term_key(f"{p.kind}|{p.km}|{p.source}|{p.bearing_deg}")[:10]
            node = uris.distance_uri("published", p.a, p.b, q)
            self._distance(node, p.a, p.b, p.km, p.kind, p.source)
            if p.bearing_deg is not None:
                self.add(node, HR.bearingDeg, _dec(p.bearing_deg))
            if p.note:
                self.add(node, HR.note, _text(p.note))
        self.add_great_circle()

    def add_great_circle(self) -> None:
        located = sorted(
            (
                (s, s.lat, s.lon)
                for s in self.catalog.sites.values()
                if s.lat is not None and s.lon is not None
            ),
            key=lambda p: p[0].id,
        )
        if len(located) < 2:
            return
        act = self.activity(
            "kg.great-circle",
            {"near_km": self.params.near_km, "formula": "haversine", "earth_radius_km": 6371.0088},
            self._used("sites.csv"),
        )
        # grid of cells ~near_km wide: only neighbouring cells can hold a pair within near_km
        cell = max(self.params.near_km / 111.0, 1e-6)
        grid: dict[tuple[int, int], list[tuple[Site, float, float]]] = defaultdict(list)
        for p in located:
            grid[(math.floor(p[1] / cell), math.floor(p[2] / cell))].append(p)
        for s, lat, lon in located:
            ci, cj = math.floor(lat / cell), math.floor(lon / cell)
            lon_span = math.ceil(1 / max(math.cos(math.radians(lat)), 0.1))
            for di in (-1, 0, 1):
                for dj in range(-lon_span, lon_span + 1):
                    for t, t_lat, t_lon in grid.get((ci + di, cj + dj), ()):
                        if t.id <= s.id:
                            continue
                        km = haversine_km(lat, lon, t_lat, t_lon)
                        if km <= self.params.near_km:
                            node = uris.distance_uri("great-circle", s.id, t.id)
                            self._distance(node, s.id, t.id, km, "great-circle", None)
                            self.add(node, PROV.wasGeneratedBy, act)
