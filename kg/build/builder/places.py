"""Statements about places: administrative areas, themes, sites (with their points,
designations and Wikidata links) and the built-in lines."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from common import settings
from kg import uris
from kg.build.builder.base import BuilderBase
from kg.build.core import (
    AREAS_FILE,
    SF_POINT,
    THEMES_FILE,
    WKT_CRS84,
    _dec,
    _int,
    _text,
    _zh,
)
from kg.build.designations import classify_designation
from kg.namespaces import DCTERMS, GEO, HR, OWL, SCHEMA, SKOS, WGS, WIKIDATA, XSD

if TYPE_CHECKING:
    from kg.catalog import Site

#: catalog kind → classes stated for the site (besides hr:Site)
SITE_KIND_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "rock_carving": (
        HR.RockCarvingSite,
        SCHEMA.TouristAttraction,
        SCHEMA.LandmarksOrHistoricalBuildings,
    ),
    "temple": (HR.TempleSite, SCHEMA.TouristAttraction, SCHEMA.PlaceOfWorship),
    "museum": (HR.MuseumSite, SCHEMA.TouristAttraction, SCHEMA.Museum),
    "exhibition_hall": (HR.ExhibitionHall, SCHEMA.TouristAttraction, SCHEMA.Museum),
    "park": (HR.ParkSite, SCHEMA.TouristAttraction, SCHEMA.Park),
    "old_town": (HR.OldTown, SCHEMA.TouristAttraction, SCHEMA.LandmarksOrHistoricalBuildings),
    "mountain": (HR.MountainSite, SCHEMA.TouristAttraction, SCHEMA.Mountain),
    "ich_base": (HR.ExperienceBase, SCHEMA.TouristAttraction),
    "troupe": (HR.Troupe, SCHEMA.TouristAttraction, SCHEMA.PerformingGroup),
    "agritourism": (HR.AgritourismSite, SCHEMA.TouristAttraction),
    "town": (HR.TownCentre, SCHEMA.Place),
    "archaeological_site": (
        HR.ArchaeologicalSite,
        SCHEMA.TouristAttraction,
        SCHEMA.LandmarksOrHistoricalBuildings,
    ),
    "tomb": (HR.TombSite, SCHEMA.TouristAttraction, SCHEMA.LandmarksOrHistoricalBuildings),
    "ancient_building": (
        HR.AncientBuilding,
        SCHEMA.TouristAttraction,
        SCHEMA.LandmarksOrHistoricalBuildings,
    ),
    "historic_site": (
        HR.HistoricSite,
        SCHEMA.TouristAttraction,
        SCHEMA.LandmarksOrHistoricalBuildings,
    ),
    "other_heritage": (HR.OtherHeritageSite, SCHEMA.TouristAttraction),
}


class PlaceStatements(BuilderBase):
    """Areas, themes, sites and lines."""

    # ------------------------------------------------------------------ areas and themes
    def add_areas(self) -> None:
        for a in sorted(self.areas.values(), key=lambda a: a.id):
            u = uris.area_uri(a.id)
            self.add(u, RDF.type, HR.AdministrativeArea)
            self.add(u, RDF.type, SCHEMA.AdministrativeArea)
            self.add(u, SCHEMA.identifier, Literal(a.id))
            self.add(u, RDFS.label, _zh(a.name_zh))
            if a.name_en:
                self.add(u, RDFS.label, Literal(a.name_en, lang="en"))
            for alias in a.aliases:
                self.add(u, SKOS.altLabel, _text(alias))
            self.add(u, HR.adminLevel, Literal(a.level))
            if a.parent:
                self.add(u, SCHEMA.containedInPlace, uris.area_uri(a.parent))
            if a.source:
                self.add(u, DCTERMS.source, _text(a.source))

    def add_themes(self) -> None:
        path = settings.ONTOLOGY_DIR / THEMES_FILE
        self.g.parse(path, format="turtle")

    # ------------------------------------------------------------------ sites
    def site_areas(self, site: Site) -> list[str]:
        """Most specific area ids of a site, checked against the catalog's hierarchy."""
        where = f"sites.csv: site {site.id!r}"
        prov_id = self.resolve_area(site.province) if site.province else None
        city_id = self.resolve_area(site.city) if site.city else None
        for col, name, got in (("province", site.province, prov_id), ("city", site.city, city_id)):
            if name and got is None:
                self.problems.append(
                    f"{where}: unknown {col} {name!r} (add it to data/ontology/{AREAS_FILE})"
                )
        counties = []
        for c in site.counties:
            # a county name shared by two prefectures (市中区) is told apart by its prefecture
            cid = self.resolve_area(f"{site.city}{c}") or self.resolve_area(c)
            if cid is None:
                self.problems.append(
                    f"{where}: unknown county {c!r} (add it to data/ontology/{AREAS_FILE})"
                )
                continue
            chain = self.ancestors(cid)
            for col, want in (("province", prov_id), ("city", city_id)):
                if want and want != cid and want not in chain:
                    self.problems.append(
                        f"{where}: county {c!r} is not in {col} "
                        f"{getattr(site, col)!r} according to data/ontology/{AREAS_FILE}"
                    )
            counties.append(cid)
        if counties:
            return sorted(set(counties))
        if city_id and city_id != prov_id:
            return [city_id]
        if prov_id:
            return [prov_id]
        self.problems.append(f"{where}: no province, city or county given")
        return []

    def add_site(self, site: Site) -> None:  # noqa: C901
        u = uris.site_uri(site.id)
        self.add(u, RDF.type, HR.Site)
        classes = SITE_KIND_CLASSES.get(site.kind)
        if classes is None:
            self.warnings.append(f"site {site.id!r}: kind {site.kind!r} has no class mapping")
            classes = (SCHEMA.TouristAttraction,)
        for c in classes:
            self.add(u, RDF.type, c)
        self.add(u, SCHEMA.identifier, Literal(site.id))
        self.add(u, HR.siteKind, Literal(site.kind))
        if site.name_zh:
            self.add(u, RDFS.label, _zh(site.name_zh))
        if site.name_en:
            self.add(u, RDFS.label, Literal(site.name_en, lang="en"))
        for alias in site.aliases:
            if alias != site.name_zh:
                self.add(u, SKOS.altLabel, _text(alias))
        areas = self.site_areas(site)
        self.site_area[site.id] = areas
        for a in areas:
            self.add(u, SCHEMA.containedInPlace, uris.area_uri(a))
        if site.town:
            self.add(u, HR.locationNote, _text(site.town))
        if site.has_coords:
            self.add_point(site)
        elif site.coord_method.strip():
            self.add(u, HR.unlocatedReason, _text(site.coord_method.strip()))
        # hr:theme comes from the theme rules (kg.build.builder.themes), each with a reason
        if site.era:
            self.add(u, HR.era, _text(site.era))
        if site.visit_hours_min is not None:
            self.add(u, HR.visitHoursMin, _dec(site.visit_hours_min))
        if site.visit_hours_max is not None:
            self.add(u, HR.visitHoursMax, _dec(site.visit_hours_max))
        if site.opening_hours:
            self.add(u, HR.openingHoursNote, _text(site.opening_hours))
        if site.ticket_cny:
            self.add(u, HR.ticketNote, _text(site.ticket_cny))
        if site.source:
            self.add(u, DCTERMS.source, _text(site.source))
        if site.notes:
            self.add(u, HR.note, _text(site.notes))
        tangible = False
        for text in site.designations:
            d = uris.designation_uri(site.id, text)
            level, year, batch = classify_designation(text)
            self.add(u, HR.designation, d)
            self.add(d, RDF.type, HR.Designation)
            self.add(d, RDFS.label, _text(text))
            self.add(d, HR.designationLevel, level)
            if year:
                self.add(d, HR.designationYear, Literal(str(year), datatype=XSD.gYear))
            if batch:
                self.add(d, HR.batch, _int(batch))
            tangible |= level in (HR.WorldHeritage, HR.NationalLevel, HR.ProvincialLevel)
        if tangible and site.kind in {"rock_carving", "temple", "old_town", "museum"}:
            self.add(u, RDF.type, HR.TangibleHeritage)
        self.add_wikidata(site, u)

    def add_point(self, site: Site) -> None:
        u = uris.site_uri(site.id)
        geom = uris.geometry_uri(site.id)
        if site.lat is None or site.lon is None:
            raise ValueError(f"site {site.id!r} has no coordinates")  # callers check has_coords
        lat, lon = float(site.lat), float(site.lon)
        self.add(u, WGS.lat, _dec(lat))
        self.add(u, WGS.long, _dec(lon))
        self.add(u, GEO.hasGeometry, geom)
        self.add(geom, RDF.type, GEO.Geometry)
        self.add(geom, RDF.type, SF_POINT)
        lon_t = format(_dec(lon).toPython(), "f")
        lat_t = format(_dec(lat).toPython(), "f")
        self.add(
            geom, GEO.asWKT, Literal(f"{WKT_CRS84} POINT({lon_t} {lat_t})", datatype=GEO.wktLiteral)
        )
        self.add(geom, HR.coordinateConfidence, Literal(site.coord_confidence))
        self.add(geom, HR.isApproximate, Literal(site.coord_confidence == "approx"))
        if site.coord_uncertainty_km is not None:
            self.add(geom, HR.coordinateUncertaintyKm, _dec(site.coord_uncertainty_km))
        if site.coord_method:
            self.add(geom, HR.coordinateMethod, _text(site.coord_method))
        if site.coord_source:
            self.add(geom, DCTERMS.source, _text(site.coord_source))

    def add_wikidata(self, site: Site, u: URIRef) -> None:
        """``owl:sameAs``/``schema:sameAs`` only for a Wikidata id recorded in the catalog.

        The catalog's ``wikidata`` column holds ``Q123`` optionally followed by its source
        (``Q123 (source: …)``); a value without a ``Q`` id is reported, never guessed.
        """
        raw = site.wikidata.strip()
        if not raw:
            return
        m = re.match(r"^(Q[1-9]\d*)\b", raw)
        if not m:
            self.problems.append(f"sites.csv: site {site.id!r}: bad wikidata value {raw!r}")
            return
        wd = WIKIDATA[m.group(1)]
        self.add(u, OWL.sameAs, wd)
        self.add(u, SCHEMA.sameAs, wd)

    # ------------------------------------------------------------------ lines
    def add_lines(self) -> None:
        for line in sorted(self.catalog.lines.values(), key=lambda x: x.id):
            u = uris.line_uri(line.id)
            self.add(u, RDF.type, HR.Line)
            self.add(u, RDF.type, SCHEMA.TouristTrip)
            self.add(u, SCHEMA.identifier, Literal(line.id))
            self.add(u, RDFS.label, _zh(line.name_zh))
            if line.name_en:
                self.add(u, RDFS.label, Literal(line.name_en, lang="en"))
            if line.description_zh:
                self.add(u, SCHEMA.description, _zh(line.description_zh))
            if line.description_en:
                self.add(u, SCHEMA.description, Literal(line.description_en, lang="en"))
            self.add(u, HR.isLoop, Literal(bool(line.loop)))
            if line.start:
                self.add(u, HR.startsAt, uris.site_uri(line.start))
            if line.end:
                self.add(u, HR.endsAt, uris.site_uri(line.end))
            if line.report_km is not None:
                self.add(u, HR.reportKm, _dec(line.report_km))
            if line.source:
                self.add(u, DCTERMS.source, _text(line.source))
            for pos, sid in enumerate(line.sites, start=1):
                stop = uris.line_stop_uri(line.id, pos)
                self.add(u, SCHEMA.itinerary, uris.site_uri(sid))
                self.add(u, HR.hasStop, stop)
                self.add(stop, RDF.type, SCHEMA.ListItem)
                self.add(stop, SCHEMA.position, _int(pos))
                self.add(stop, SCHEMA.item, uris.site_uri(sid))
