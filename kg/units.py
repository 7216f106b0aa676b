"""National heritage units (全国重点文物保护单位), administrative-division centres, WHS components.

These tables sit beside ``sites.csv`` in ``data/catalog`` and are loaded and validated by
:func:`kg.catalog.load_catalog` (every problem reported as ``file:line: message``):

* ``national_units.csv`` — one row per unit as listed in its batch, with today's division and
  the catalog site that carries its point (``site_id``); merged items have no unit number;
* ``unit_counts.csv`` — the number of units per province and batch, with their sources: the
  catalog is checked against them (``tests/test_catalog.py``);
* ``county_centres.csv`` — county- and prefecture-level divisions with a centre point and a
  radius (``scripts/build_county_centres.py``);
* ``world_heritage.csv`` — the cultural World Heritage properties and their components.

See ``docs/data.md`` for where each fact comes from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.catalog import Catalog, Site

__all__ = [
    "BATCH_YEARS",
    "CATEGORY_KINDS",
    "PRECISION_CLASSES",
    "UNIT_COLUMNS",
    "CountyCentre",
    "NationalUnit",
    "UnitCount",
    "WorldHeritageComponent",
    "count_units",
    "load_county_centres",
    "load_unit_counts",
    "load_units",
    "load_world_heritage",
    "precision_counts",
    "unit_summary",
    "units_without_county",
]

UNITS_FILE = "national_units.csv"
COUNTS_FILE = "unit_counts.csv"
CENTRES_FILE = "county_centres.csv"
WHS_FILE = "world_heritage.csv"

BATCH_YEARS: dict[int, int] = {
    1: 1961,
    2: 1982,
    3: 1988,
    4: 1996,
    5: 2001,
    6: 2006,
    7: 2013,
    8: 2019,
}
"""Year each batch of 全国重点文物保护单位 was announced by the State Council."""
CATEGORY_KINDS: dict[str, str] = {
    "archaeological-sites": "archaeological_site",
    "ancient-tombs": "tomb",
    "ancient-buildings": "ancient_building",
    "stone-carvings": "rock_carving",
    "modern-historic": "historic_site",
    "others": "other_heritage",
}
"""Official category (古遗址, 古墓葬, 古建筑, 石窟寺及石刻, 近现代重要史迹, 其他) → site kind."""
PROVINCES = frozenset({"四川省", "重庆市"})
PRECISION_CLASSES: dict[str, str] = {
    "site": "a sourced point at the site itself (confidence high/medium/low)",
    "derived": "derived from published distances and bearings (kg/coords.py)",
    "township": "centre of the township the address names",
    "county": "centre of the county-level division (a county centre is not a site)",
    "city": "centre of the prefecture (county not determined)",
}
"""What a point stands for; every class but ``site`` is ``approx`` and drawn with a circle."""
APPROX_CLASSES = frozenset(PRECISION_CLASSES) - {"site"}

UNIT_COLUMNS: tuple[str, ...] = (
    "unit_no",
    "name_zh",
    "batch",
    "year",
    "category",
    "era",
    "listed_province",
    "listed_county",
    "province",
    "city",
    "county",
    "adcode",
    "county_source",
    "site_id",
    "merged_into",
    "source",
    "notes",
)
_REQUIRED_UNIT = ("unit_no", "name_zh", "batch", "category", "province", "county", "site_id")
_UNIT_NO = re.compile(r"^([1-8])-(\d{4})-([1-6])-(\d{3})$")


@dataclass(frozen=True)
class NationalUnit:
    """One row of ``national_units.csv``."""

    unit_no: str
    name_zh: str
    batch: int
    year: int
    category: str
    era: str
    province: str
    city: str
    county: str
    adcode: str
    site_id: str
    listed_county: str = ""
    county_source: str = ""
    merged_into: str = ""
    source: str = ""
    notes: str = ""
    lineno: int = 0

    @property
    def is_merged(self) -> bool:
        """A merged item (合并项目): listed in a batch but counted under an earlier unit."""
        return not self.unit_no


@dataclass(frozen=True)
class UnitCount:
    """How many units a province has in a batch, according to ``source``."""

    province: str
    batch: int | None
    count: int
    source: str
    known_missing: int = 0
    """Units of this count that the catalog is known to lack (see the row's note)."""


@dataclass(frozen=True)
class CountyCentre:
    """A county- or prefecture-level division with a centre point (WGS-84) and a radius."""

    adcode: str
    level: str
    province: str
    city: str
    name: str
    lat: float | None
    lon: float | None
    radius_km: float
    source: str


@dataclass(frozen=True)
class WorldHeritageComponent:
    """A component of a World Heritage property, linked to a catalog site where there is one."""

    ref: str
    property_zh: str
    property_en: str
    year: int
    kind: str
    component_zh: str
    site_id: str
    source: str
    status: str = "inscribed"
    """``inscribed`` on the World Heritage List, or ``tentative`` (China's tentative list)."""


# --------------------------------------------------------------------------- loading


def _csv_rows(path: Path, required: tuple[str, ...], problems: list[str]):
    from kg.catalog.loading import _read_csv

    return _read_csv(path, required, problems)


def _int(value: str, where: str, col: str, problems: list[str]) -> int | None:
    try:
        return int(value)
    except ValueError:
        problems.append(f"{where}: {col} is not an integer: {value!r}")
        return None


def load_county_centres(path: Path, problems: list[str] | None = None) -> dict[str, CountyCentre]:
    """``county_centres.csv`` keyed by 6-digit adcode (raises nothing; appends to problems)."""
    from kg.catalog.loading import _rel

    problems = [] if problems is None else problems
    rows = _csv_rows(path, ("adcode", "level", "province", "county", "lat", "lon"), problems)
    out: dict[str, CountyCentre] = {}
    for lineno, r in rows or []:
        where = f"{_rel(path)}:{lineno}"
        lat = float(r["lat"]) if r["lat"] else None
        lon = float(r["lon"]) if r["lon"] else None
        if r["level"] not in ("county", "city"):
            problems.append(f"{where}: level must be 'county' or 'city', got {r['level']!r}")
        if lat is not None and not r.get("radius_km"):
            problems.append(f"{where}: a centre point needs a radius_km")
        out[r["adcode"]] = CountyCentre(
            adcode=r["adcode"],
            level=r["level"],
            province=r["province"],
            city=r.get("city", ""),
            name=r["county"],
            lat=lat,
            lon=lon,
            radius_km=float(r.get("radius_km") or 0),
            source=r.get("source", ""),
        )
    return out


def _check_unit_no(
    r: Mapping[str, str],
    where: str,
    batch: int | None,
    lineno: int,
    seen: dict[str, int],
    problems: list[str],
) -> None:
    """The unit number's form, batch and uniqueness (merged items have none)."""
    no = r["unit_no"]
    if not no:
        if not r.get("merged_into") and not r.get("notes"):
            problems.append(f"{where}: a row without unit_no must say what it was merged into")
        return
    m = _UNIT_NO.match(no)
    if not m:
        problems.append(f"{where}: unit_no {no!r} is not of the form B-NNNN-C-NNN")
    elif batch is not None and int(m.group(1)) != batch:
        problems.append(f"{where}: unit_no {no!r} does not belong to batch {batch}")
    if no in seen:
        problems.append(f"{where}: duplicate unit_no {no!r} (first at line {seen[no]})")
    seen.setdefault(no, lineno)


def load_units(
    path: Path,
    sites: Mapping[str, Site],
    centres: Mapping[str, CountyCentre],
    problems: list[str],
) -> list[NationalUnit]:
    """Validate ``national_units.csv`` against the sites and the division table."""
    from kg.catalog.loading import _rel

    rows = _csv_rows(path, _REQUIRED_UNIT, problems)
    if rows is None:
        return []
    fname = _rel(path)
    out: list[NationalUnit] = []
    seen: dict[str, int] = {}
    names = {c.name for c in centres.values()}
    for lineno, r in rows:
        where = f"{fname}:{lineno}"
        no = r["unit_no"]
        batch = _int(r["batch"], where, "batch", problems)
        if batch is not None and batch not in BATCH_YEARS:
            problems.append(f"{where}: batch must be 1–8, got {batch}")
            batch = None
        _check_unit_no(r, where, batch, lineno, seen, problems)
        if r["category"] not in CATEGORY_KINDS:
            problems.append(
                f"{where}: unknown category {r['category']!r} "
                f"(expected {', '.join(sorted(CATEGORY_KINDS))})"
            )
        if r["province"] not in PROVINCES:
            problems.append(f"{where}: province must be 四川省 or 重庆市, got {r['province']!r}")
        if r["county"] and names and r["county"] not in names:
            problems.append(
                f"{where}: county {r['county']!r} is not a current division (county_centres.csv)"
            )
        sid = r["site_id"]
        if no and not sid:
            problems.append(f"{where}: unit {no} {r['name_zh']} has no site_id")
        elif sid and sid not in sites:
            problems.append(f"{where}: unknown site_id {sid!r}")
        if batch is None:
            continue
        year = BATCH_YEARS[batch]
        if r.get("year") and r["year"] != str(year):
            problems.append(f"{where}: batch {batch} was announced in {year}, not {r['year']}")
        out.append(
            NationalUnit(
                unit_no=no,
                name_zh=r["name_zh"],
                batch=batch,
                year=year,
                category=r["category"],
                era=r.get("era", ""),
                province=r["province"],
                city=r.get("city", ""),
                county=r["county"],
                adcode=r.get("adcode", ""),
                site_id=sid,
                listed_county=r.get("listed_county", ""),
                county_source=r.get("county_source", ""),
                merged_into=r.get("merged_into", ""),
                source=r.get("source", ""),
                notes=r.get("notes", ""),
                lineno=lineno,
            )
        )
    return out


def load_unit_counts(path: Path, problems: list[str]) -> list[UnitCount]:
    """``unit_counts.csv``: ``province,batch,count,source`` (empty batch = all batches)."""
    from kg.catalog.loading import _rel

    rows = _csv_rows(path, ("province", "batch", "count", "source"), problems)
    out = []
    for lineno, r in rows or []:
        where = f"{_rel(path)}:{lineno}"
        batch = _int(r["batch"], where, "batch", problems) if r["batch"] else None
        count = _int(r["count"], where, "count", problems)
        if not r["source"]:
            problems.append(f"{where}: a count needs a source")
        missing = _int(r.get("known_missing") or "0", where, "known_missing", problems) or 0
        if count is not None:
            out.append(UnitCount(r["province"], batch, count, r["source"], missing))
    return out


def load_world_heritage(
    path: Path, sites: Mapping[str, Site], problems: list[str]
) -> list[WorldHeritageComponent]:
    """``world_heritage.csv``; every component links to a known site or leaves site_id empty."""
    from kg.catalog.loading import _rel

    cols = ("ref", "property_zh", "year", "kind", "component_zh", "site_id", "source")
    rows = _csv_rows(path, cols, problems)
    out = []
    for lineno, r in rows or []:
        where = f"{_rel(path)}:{lineno}"
        if r["site_id"] and r["site_id"] not in sites:
            problems.append(f"{where}: unknown site_id {r['site_id']!r}")
        if r["kind"] not in ("cultural", "mixed"):
            problems.append(f"{where}: kind must be cultural or mixed, got {r['kind']!r}")
        status = r.get("status") or "inscribed"
        if status not in ("inscribed", "tentative"):
            problems.append(f"{where}: status must be inscribed or tentative, got {status!r}")
        if status == "inscribed" and not r["ref"]:
            problems.append(f"{where}: an inscribed property needs its UNESCO ref")
        if not r["source"]:
            problems.append(f"{where}: a component needs a source")
        year = _int(r["year"], where, "year", problems)
        out.append(
            WorldHeritageComponent(
                ref=r["ref"],
                property_zh=r["property_zh"],
                property_en=r.get("property_en", ""),
                year=year or 0,
                kind=r["kind"],
                component_zh=r["component_zh"],
                site_id=r["site_id"],
                source=r["source"],
                status=status,
            )
        )
    return out


# --------------------------------------------------------------------------- summaries


def count_units(units: Iterable[NationalUnit]) -> Counter[tuple[str, int]]:
    """Units (merged items excluded) per ``(province, batch)``."""
    return Counter((u.province, u.batch) for u in units if not u.is_merged)


def units_without_county(units: Iterable[NationalUnit]) -> list[NationalUnit]:
    """Units whose modern county is not determined from a source (``notes`` says why)."""
    return [u for u in units if not u.is_merged and not u.county]


def unit_summary(catalog: Catalog) -> dict[str, object]:
    """Counts for ``heritage catalog check``: units per province/batch, precision classes."""
    units = [u for u in catalog.units if not u.is_merged]
    per = count_units(units)
    sites = {u.site_id for u in units}
    return {
        "national_units": len(units),
        "merged_items": sum(u.is_merged for u in catalog.units),
        "per_province_batch": {f"{p} {b}": n for (p, b), n in sorted(per.items())},
        "without_modern_county": [f"{u.unit_no} {u.name_zh}" for u in units_without_county(units)],
        "unit_points_by_precision": dict(
            precision_counts(catalog.sites[s] for s in sites if s in catalog.sites)
        ),
        "points_by_precision": dict(precision_counts(catalog.sites.values())),
        "points_without_source": [
            s.id for s in catalog.sites.values() if s.has_coords and not s.coord_source
        ],
        "world_heritage_components": sum(w.status == "inscribed" for w in catalog.world_heritage),
    }


def precision_counts(sites: Iterable[Site]) -> Counter[str]:
    """Sites per precision class (``none`` for sites without a point)."""
    return Counter(s.precision if s.has_coords else "none" for s in sites)
