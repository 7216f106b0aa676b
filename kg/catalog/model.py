"""Catalog records, errors and the name-resolving :class:`Catalog` (no file reading)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from kg.names import echo, has_cjk, normalize, pinyin_keys, rank_candidates
from kg.units import (
    NationalUnit,
    UnitCount,
    WorldHeritageComponent,
)

SITES_FILE = "sites.csv"
TOWNS_FILE = "towns.csv"  # lodging towns, region-wide (scripts/build_lodging_towns.py)
LINES_FILE = "lines.yaml"
SEED_FILE = "seed_distances.csv"
PUBLISHED_FILE = "published_distances.csv"

SITE_COLUMNS: tuple[str, ...] = (
    "id",
    "name_zh",
    "aliases",
    "name_en",
    "province",
    "city",
    "county",
    "town",
    "lat",
    "lon",
    "coord_confidence",
    "coord_uncertainty_km",
    "coord_precision",
    "coord_method",
    "coord_source",
    "kind",
    "designations",
    "era",
    "visit_hours_min",
    "visit_hours_max",
    "opening_hours",
    "ticket_cny",
    "themes",
    "wikidata",
    "source",
    "notes",
)
REQUIRED_SITE_COLUMNS: tuple[str, ...] = (
    "id",
    "name_zh",
    "aliases",
    "lat",
    "lon",
    "coord_confidence",
    "coord_method",
    "kind",
    "source",
)
SEED_COLUMNS: tuple[str, ...] = ("line", "site_a", "site_b", "km", "source")
PUBLISHED_COLUMNS: tuple[str, ...] = ("site_a", "site_b", "km", "kind", "source")

COORD_CONFIDENCE: frozenset[str] = frozenset({"high", "medium", "low", "approx"})
SITE_KINDS: frozenset[str] = frozenset(
    {
        "rock_carving",
        "temple",
        "museum",
        "park",
        "old_town",
        "mountain",
        "ich_base",
        "troupe",
        "agritourism",
        "town",
        "exhibition_hall",
        "archaeological_site",
        "tomb",
        "ancient_building",
        "historic_site",
        "other_heritage",
    }
)
THEMES: frozenset[str] = frozenset(
    {"stone-carving", "sichuan-opera", "folk-crafts", "food-eco", "classic"}
)
DISTANCE_KINDS: frozenset[str] = frozenset({"road", "straight", "bearing"})

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Site:
    """One row of ``sites.csv``; multi-valued columns are tuples, numbers are floats or None."""

    id: str
    name_zh: str
    aliases: tuple[str, ...] = ()
    name_en: str = ""
    province: str = ""
    city: str = ""
    county: str = ""
    town: str = ""
    lat: float | None = None
    lon: float | None = None
    coord_confidence: str = ""
    coord_uncertainty_km: float | None = None
    coord_precision: str = ""
    coord_method: str = ""
    coord_source: str = ""
    kind: str = ""
    designations: tuple[str, ...] = ()
    era: str = ""
    visit_hours_min: float | None = None
    visit_hours_max: float | None = None
    opening_hours: str = ""
    ticket_cny: str = ""
    themes: tuple[str, ...] = ()
    wikidata: str = ""
    source: str = ""
    notes: str = ""

    @property
    def has_coords(self) -> bool:
        """True if both latitude and longitude are known."""
        return self.lat is not None and self.lon is not None

    @property
    def latlon(self) -> tuple[float, float] | None:
        """``(lat, lon)`` when both are known, else ``None``."""
        return (self.lat, self.lon) if self.lat is not None and self.lon is not None else None

    @property
    def is_approx(self) -> bool:
        """True if the coordinate was derived (``coord_confidence == "approx"``)."""
        return self.coord_confidence == "approx"

    @property
    def precision(self) -> str:
        """What the point stands for (:data:`kg.units.PRECISION_CLASSES`).

        ``coord_precision`` when the row gives it, else ``derived`` for approx points and
        ``site`` for sourced ones.
        """
        if self.coord_precision:
            return self.coord_precision
        return "derived" if self.is_approx else "site"

    @property
    def counties(self) -> tuple[str, ...]:
        """The ``;``-separated county column as a tuple (巴岳山 straddles four districts)."""
        return tuple(c.strip() for c in self.county.split(";") if c.strip())

    @property
    def names(self) -> tuple[str, ...]:
        """``name_zh`` followed by the aliases."""
        return (self.name_zh, *self.aliases)


@dataclass(frozen=True)
class SeedEdge:
    """A distance printed in the report's table 6; ``a``/``b`` are resolved site ids."""

    line: str
    a: str
    b: str
    km: float
    source: str
    name_a: str
    name_b: str
    file: str
    lineno: int


@dataclass(frozen=True)
class Line:
    """A built-in line of ``lines.yaml``."""

    id: str
    name_zh: str
    name_en: str
    sites: tuple[str, ...]
    start: str | None
    loop: bool
    source: str
    report_route: tuple[str, ...] = ()
    report_km: float | None = None
    end: str | None = None
    description_zh: str = ""
    description_en: str = ""


@dataclass(frozen=True)
class PublishedDistance:
    """A distance published by a source (road, straight-line, or 'X km <direction> of')."""

    a: str
    b: str
    km: float
    kind: str
    source: str
    bearing_deg: float | None = None
    note: str = ""


# --------------------------------------------------------------------------- errors


class CatalogError(UserError, ValueError):
    """Invalid catalog data; ``problems`` holds one ``path:line: message`` string per defect."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the site catalog:"
        super().__init__("\n".join([head, *self.problems]))


class UnknownSiteError(UserError, LookupError):
    """A name that matches no site (or, for pinyin, several); carries the closest matches."""

    def __init__(self, name: str, suggestions: list[tuple[str, str]], *, ambiguous: bool = False):
        self.name = name
        self.suggestions = list(suggestions)
        self.ambiguous = ambiguous
        what = "ambiguous site name" if ambiguous else "unknown site"
        msg = f"{what} {echo(name)}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(f"{z} ({i})" for i, z in self.suggestions) + "?"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownLineError(UserError, LookupError):
    """A line name that matches no built-in line; lists the known ones."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = list(known)
        super().__init__(f"unknown line {name!r}; known lines: {', '.join(self.known)}")

    def __str__(self) -> str:
        return str(self.args[0])


# --------------------------------------------------------------------------- catalog


class Catalog:
    """Sites, lines and distances, with name resolution (indexes built once)."""

    def __init__(
        self,
        sites: dict[str, Site],
        lines: dict[str, Line] | None = None,
        seed_edges: list[SeedEdge] | None = None,
        published_distances: list[PublishedDistance] | None = None,
        data_dir: Path | None = None,
        units: list[NationalUnit] | None = None,
        unit_counts: list[UnitCount] | None = None,
        world_heritage: list[WorldHeritageComponent] | None = None,
    ):
        self.sites: dict[str, Site] = sites
        self.lines: dict[str, Line] = lines or {}
        self.seed_edges: list[SeedEdge] = seed_edges or []
        self.published_distances: list[PublishedDistance] = published_distances or []
        self.data_dir = data_dir
        self.units: list[NationalUnit] = units or []
        self.unit_counts: list[UnitCount] = unit_counts or []
        self.world_heritage: list[WorldHeritageComponent] = world_heritage or []
        self._index = _NameIndex(sites.values())

    def __len__(self) -> int:
        return len(self.sites)

    def __iter__(self):
        return iter(self.sites.values())

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.resolve(name)
        except LookupError:
            return False
        return True

    def resolve(self, name: str) -> Site:
        """Return the site named ``name`` (id, Chinese name, alias, traditional, pinyin …).

        Raises :class:`UnknownSiteError` with up to 5 closest matches when nothing matches,
        or when a pinyin spelling matches several sites.
        """
        return self.sites[self._index.resolve_id(name)]

    def resolve_many(self, names: Iterable[str]) -> list[Site]:
        """Resolve every name, in order (raises on the first unknown one)."""
        return [self.resolve(n) for n in names]

    def suggest(self, name: str, limit: int = 5) -> list[tuple[str, str]]:
        """Closest ``(id, name_zh)`` pairs for ``name``, best first."""
        return [(i, self.sites[i].name_zh) for i in self._index.suggest_ids(name, limit)]

    def line(self, name: str) -> Line:
        """Return a line by id or by its Chinese/English name; raise :class:`UnknownLineError`."""
        if name in self.lines:
            return self.lines[name]
        key = normalize(name)
        for line in self.lines.values():
            names = (line.id, line.name_zh, line.name_en)
            if key and key in {normalize(n) for n in names}:
                return line
        raise UnknownLineError(name, list(self.lines))

    def sites_in_county(self, county: str) -> list[Site]:
        """Sites whose county (any of its ``;``-separated values) matches ``county``.

        "安岳", "安岳县" and "安嶽縣" all match 安岳县.
        """
        key = normalize(county)
        suffixes = ("县", "区", "市")
        out = []
        for site in self.sites.values():
            for c in site.counties:
                ck = normalize(c)
                if key and (ck == key or (ck.endswith(suffixes) and ck[:-1] == key)):
                    out.append(site)
                    break
        return out

    def line_sites(self, name: str) -> list[Site]:
        """The sites of a line, in the line's order."""
        return [self.sites[i] for i in self.line(name).sites]


class _NameIndex:
    """Exact, pinyin and fuzzy indexes over site ids, names and aliases."""

    def __init__(self, sites: Iterable[Site]):
        self.exact: dict[str, str] = {}
        self.pinyin_primary: dict[str, set[str]] = {}
        self.pinyin_variant: dict[str, set[str]] = {}
        self.fuzzy: list[tuple[str, str]] = []
        self.names: dict[str, str] = {}
        for site in sites:
            self.names[site.id] = site.name_zh
            for key in {normalize(site.id), normalize(site.name_en)} | {
                normalize(n) for n in site.names
            }:
                if key:
                    self.exact.setdefault(key, site.id)
                    self.fuzzy.append((key, site.id))
            for n in site.names:
                keys = pinyin_keys(n)
                if keys:
                    self.pinyin_primary.setdefault(keys[0], set()).add(site.id)
                    self.fuzzy.append((keys[0], site.id))
                for k in keys[1:]:
                    self.pinyin_variant.setdefault(k, set()).add(site.id)

    def resolve_id(self, name: str) -> str:
        key = normalize(name)
        if key in self.exact:
            return self.exact[key]
        if key and not has_cjk(name):
            for index in (self.pinyin_primary, self.pinyin_variant):
                hits = index.get(key)
                if hits and len(hits) == 1:
                    return next(iter(hits))
                if hits:
                    raise UnknownSiteError(name, self._pairs(sorted(hits)), ambiguous=True)
        raise UnknownSiteError(name, self._pairs(self.suggest_ids(name)))

    def suggest_ids(self, name: str, limit: int = 5) -> list[str]:
        return [owner for owner, _ in rank_candidates(name, self.fuzzy, limit)]

    def _pairs(self, ids: list[str]) -> list[tuple[str, str]]:
        return [(i, self.names.get(i, "")) for i in ids]
