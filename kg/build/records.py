"""The build's CSV inputs besides the site catalog: administrative areas, heritage items and
heritage links, read into records; every bad row is reported with its file and line."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from common import settings
from kg import uris
from kg.build.core import (
    AREAS_FILE,
    ITEMS_FILE,
    LINKS_FILE,
    KGBuildError,
    _rel,
    _split,
)
from kg.namespaces import HR, SCHEMA


@dataclass(frozen=True)
class Area:
    """An administrative area of ``data/ontology/areas.csv``."""

    id: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class HeritageItem:
    """A row of ``heritage_items.csv`` (intangible heritage, food or specialty, event)."""

    id: str
    name_zh: str
    kinds: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    name_en: str = ""
    kind_text: str = ""
    category: str = ""
    level: str = ""
    batch_year: str = ""
    home_area: str = ""
    protection_unit_or_locus: str = ""
    key_facts: str = ""
    confidence: str = ""
    sources: str = ""
    notes: str = ""


@dataclass(frozen=True)
class HeritageLink:
    """A row of ``heritage_links.csv``: an item linked to a site, an area or another item."""

    item_id: str
    relation: str
    source: str
    site_id: str = ""
    area: str = ""
    related_item: str = ""
    where: str = ""


#: relation code → (property, what the target is)
RELATIONS: dict[str, tuple[URIRef, str]] = {
    "practised_at": (HR.practisedAt, "site"),
    "performed_at": (HR.performedAt, "site"),
    "experienced_at": (HR.experiencedAt, "site"),
    "held_at": (HR.heldAt, "site"),
    "safeguarded_at": (HR.safeguardedAt, "site"),
    "showcased_at": (HR.showcasedAt, "site"),
    "originates_in": (HR.originatesIn, "area"),
    "school_of": (HR.schoolOf, "item"),
    "part_of": (HR.partOf, "item"),
    "performed_during": (HR.performedDuring, "item"),
}


#: heritage_items.csv kind token → classes
ITEM_KIND_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "ich": (HR.IntangibleHeritage,),
    "food": (HR.FoodSpecialty,),
    "gi": (HR.FoodSpecialty, HR.GeographicalIndication, SCHEMA.Product),
    "event": (HR.HeritageEvent, SCHEMA.Festival),
}


def _read_rows(
    path: Path, required: tuple[str, ...], problems: list[str]
) -> list[tuple[str, dict]]:
    where = _rel(path)
    if not path.exists():
        problems.append(f"{where}:0: file not found")
        return []
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"{where}:1: missing column(s): {', '.join(missing)}")
        return []
    out = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            out.append((f"{where}:{reader.line_num}", clean))
    return out


# ============================================================================ loaders


def default_paths(data_dir: str | Path | None = None) -> dict[str, Path]:
    """Where the inputs live: catalog folder, ontology folder, items, links and areas files."""
    from kg.catalog import default_data_dir

    catalog_dir = Path(data_dir) if data_dir else default_data_dir()
    if not (catalog_dir / "sites.csv").exists() and (catalog_dir / "catalog").exists():
        catalog_dir = catalog_dir / "catalog"
    return {
        "catalog": catalog_dir,
        "ontology": settings.ONTOLOGY_DIR,
        "items": catalog_dir / ITEMS_FILE,
        "links": catalog_dir / LINKS_FILE,
        "areas": settings.ONTOLOGY_DIR / AREAS_FILE,
    }


def load_areas(path: str | Path | None = None) -> dict[str, Area]:
    """Read ``areas.csv``; raise :class:`KGBuildError` on bad ids, levels or parents."""
    path = Path(path) if path else settings.ONTOLOGY_DIR / AREAS_FILE
    problems: list[str] = []
    rows = _read_rows(path, ("id", "name_zh", "level", "parent"), problems)
    areas: dict[str, Area] = {}
    for where, r in rows:
        try:
            uris.check_id(r["id"], "area id")
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if r["id"] in areas:
            problems.append(f"{where}: duplicate area id {r['id']!r}")
            continue
        if r["level"] not in {"province", "prefecture", "county", "zone"}:
            problems.append(f"{where}: area {r['id']!r} has bad level {r['level']!r}")
        areas[r["id"]] = Area(
            id=r["id"],
            name_zh=r["name_zh"],
            name_en=r.get("name_en", ""),
            level=r["level"],
            parent=r["parent"] or None,
            aliases=_split(r.get("aliases", "")),
            source=r.get("source", ""),
        )
    for a in areas.values():
        if a.parent and a.parent not in areas:
            problems.append(f"{_rel(path)}: area {a.id!r} has unknown parent {a.parent!r}")
    if problems:
        raise KGBuildError(problems, "invalid areas table")
    return areas


def _item_kinds(text: str) -> tuple[str, ...] | None:
    tokens = [re.sub(r"\(.*?\)", "", t).strip().lower() for t in text.split("/")]
    kinds = tuple(t for t in tokens if t)
    if not kinds or any(t not in ITEM_KIND_CLASSES for t in kinds):
        return None
    return kinds


def load_heritage_items(path: str | Path | None = None) -> dict[str, HeritageItem]:
    """Read ``heritage_items.csv``; raise :class:`KGBuildError` naming every bad row."""
    path = Path(path) if path else default_paths()["items"]
    problems: list[str] = []
    rows = _read_rows(path, ("id", "name_zh", "kind"), problems)
    items: dict[str, HeritageItem] = {}
    for where, r in rows:
        iid = r["id"]
        try:
            uris.check_id(iid, "heritage item id")
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if iid in items:
            problems.append(f"{where}: duplicate heritage item id {iid!r}")
            continue
        if not r["name_zh"]:
            problems.append(f"{where}: heritage item {iid!r} has an empty name_zh")
        kinds = _item_kinds(r["kind"])
        if kinds is None:
            problems.append(
                f"{where}: heritage item {iid!r} has unknown kind {r['kind']!r} "
                "(expected tokens ICH, food, GI, event joined by '/')"
            )
            continue
        items[iid] = HeritageItem(
            id=iid,
            name_zh=r["name_zh"],
            kinds=kinds,
            aliases=_split(r.get("aliases", "")),
            name_en=r.get("name_en", ""),
            kind_text=r["kind"],
            category=r.get("category", ""),
            level=r.get("level", ""),
            batch_year=r.get("batch_year", ""),
            home_area=r.get("home_area", ""),
            protection_unit_or_locus=r.get("protection_unit_or_locus", ""),
            key_facts=r.get("key_facts", ""),
            confidence=r.get("confidence", ""),
            sources=r.get("sources", ""),
            notes=r.get("notes", ""),
        )
    if problems:
        raise KGBuildError(problems, "invalid heritage items")
    return items


def load_heritage_links(path: str | Path | None = None) -> list[HeritageLink]:
    """Read ``heritage_links.csv``. Targets are checked by SHACL after the build, not here.

    Exactly one of ``site_id``, ``area``, ``related_item`` must be filled, matching what the
    relation expects; every row needs a source.
    """
    path = Path(path) if path else default_paths()["links"]
    if not path.exists():
        return []
    problems: list[str] = []
    rows = _read_rows(
        path, ("item_id", "site_id", "area", "related_item", "relation", "source"), problems
    )
    links: list[HeritageLink] = []
    for where, r in rows:
        rel = r["relation"]
        if rel not in RELATIONS:
            problems.append(
                f"{where}: unknown relation {rel!r} (expected one of {', '.join(RELATIONS)})"
            )
            continue
        filled = [k for k in ("site_id", "area", "related_item") if r[k]]
        expected = {"site": "site_id", "area": "area", "item": "related_item"}[RELATIONS[rel][1]]
        if filled != [expected]:
            problems.append(
                f"{where}: relation {rel!r} of item {r['item_id']!r} needs exactly the "
                f"{expected} column filled (got: {', '.join(filled) or 'none'})"
            )
            continue
        if not r["source"]:
            problems.append(f"{where}: link of item {r['item_id']!r} has no source")
            continue
        links.append(
            HeritageLink(
                item_id=r["item_id"],
                relation=rel,
                source=r["source"],
                site_id=r["site_id"],
                area=r["area"],
                related_item=r["related_item"],
                where=where,
            )
        )
    if problems:
        raise KGBuildError(problems, "invalid heritage links")
    return links
