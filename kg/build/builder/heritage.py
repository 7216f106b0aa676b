"""Statements about heritage items (intangible heritage, food, events) and their sourced links
to sites, areas and other items."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg import uris
from kg.build.builder.base import BuilderBase
from kg.build.core import _text, _zh
from kg.build.designations import classify_item_level
from kg.build.records import ITEM_KIND_CLASSES, RELATIONS
from kg.namespaces import DCTERMS, HR, HRID, SCHEMA, SKOS


class HeritageStatements(BuilderBase):
    """Heritage items and heritage links."""

    def add_items(self) -> None:
        for it in sorted(self.items.values(), key=lambda i: i.id):
            u = uris.heritage_uri(it.id)
            self.add(u, RDF.type, HR.HeritageItem)
            for k in it.kinds:
                for c in ITEM_KIND_CLASSES[k]:
                    self.add(u, RDF.type, c)
            self.add(u, SCHEMA.identifier, Literal(it.id))
            self.add(u, RDFS.label, _zh(it.name_zh))
            if it.name_en:
                self.add(u, RDFS.label, Literal(it.name_en, lang="en"))
            for alias in it.aliases:
                if alias != it.name_zh:
                    self.add(u, SKOS.altLabel, _text(alias))
            if it.category:
                self.add(u, HR.ichCategory, _text(it.category))
            self.add(u, HR.protectionLevel, classify_item_level(it.level))
            for prop, value in (
                (HR.protectionLevelNote, it.level),
                (HR.listingNote, it.batch_year),
                (HR.homeAreaNote, it.home_area),
                (HR.safeguardingNote, it.protection_unit_or_locus),
                (HR.keyFacts, it.key_facts),
                (HR.confidence, it.confidence),
                (DCTERMS.source, it.sources),
                (HR.note, it.notes),
            ):
                if value:
                    self.add(u, prop, _text(value))

    def add_links(self) -> None:
        for ln in self.links:
            prop, target_kind = RELATIONS[ln.relation]
            try:
                item = uris.heritage_uri(ln.item_id)
                if target_kind == "site":
                    target = uris.site_uri(ln.site_id)
                    tid = ln.site_id
                elif target_kind == "item":
                    target = uris.heritage_uri(ln.related_item)
                    tid = ln.related_item
                else:
                    aid = self.resolve_area(ln.area)
                    if aid is None:
                        self.problems.append(
                            f"{ln.where}: item {ln.item_id!r} names unknown area {ln.area!r}"
                        )
                        continue
                    target = uris.area_uri(aid)
                    tid = aid
            except ValueError as e:
                self.problems.append(f"{ln.where}: {e}")
                continue
            self.add(item, prop, target)
            node = URIRef(f"{HRID}link/{ln.item_id}/{ln.relation.replace('_', '-')}/{tid}")
            self.add(node, RDF.type, HR.HeritageLink)
            self.add(node, HR.item, item)
            self.add(node, HR.relation, prop)
            self.add(node, HR.target, target)
            self.add(node, DCTERMS.source, _text(ln.source))
