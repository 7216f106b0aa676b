"""Reading and validating ``data/catalog`` into a :class:`~kg.catalog.model.Catalog`."""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path
from typing import Any

import yaml

import kg.units as units_mod
from common import settings
from common.geo import in_china
from kg.catalog.model import (
    _ID_RE,
    COORD_CONFIDENCE,
    DISTANCE_KINDS,
    LINES_FILE,
    PUBLISHED_COLUMNS,
    PUBLISHED_FILE,
    REQUIRED_SITE_COLUMNS,
    SEED_COLUMNS,
    SEED_FILE,
    SITE_KINDS,
    SITES_FILE,
    THEMES,
    TOWNS_FILE,
    Catalog,
    CatalogError,
    Line,
    PublishedDistance,
    SeedEdge,
    Site,
    UnknownSiteError,
    _NameIndex,
)
from kg.names import normalize
from kg.units import (
    APPROX_CLASSES,
    PRECISION_CLASSES,
    NationalUnit,
    UnitCount,
    WorldHeritageComponent,
    load_county_centres,
    load_unit_counts,
    load_units,
    load_world_heritage,
)

# --------------------------------------------------------------------------- loading


def default_data_dir() -> Path:
    """``$HERITAGE_DATA_DIR/catalog`` if the variable is set, else ``<repo>/data/catalog``."""
    return settings.catalog_dir()


def _catalog_dir(data_dir: str | Path | None) -> Path:
    if data_dir is None:
        return default_data_dir()
    p = Path(data_dir).expanduser()
    if not (p / SITES_FILE).exists() and (p / "catalog" / SITES_FILE).exists():
        return p / "catalog"
    return p


def site_count(data_dir: str | Path | None = None) -> int:
    """How many site rows the catalog in ``data_dir`` holds (``sites.csv`` + ``towns.csv``),
    counted without validating them: a cheap upper bound of ``len(load_catalog().sites)``
    (rows the loader rejects are counted too). Memoised per file size and modification time.
    """
    d = _catalog_dir(data_dir)
    stamps = []
    for name in (SITES_FILE, TOWNS_FILE):
        p = d / name
        st = p.stat() if p.exists() else None
        stamps.append((str(p), st.st_size if st else -1, st.st_mtime_ns if st else -1))
    return _count_rows(tuple(stamps))


@functools.lru_cache(maxsize=8)
def _count_rows(stamps: tuple[tuple[str, int, int], ...]) -> int:
    total = 0
    for path, size, _mtime in stamps:
        if size < 0:
            continue
        with open(path, encoding="utf-8", newline="") as fh:
            total += sum(1 for row in csv.reader(fh) if any(cell.strip() for cell in row)) - 1
    return max(total, 0)


def load_catalog(data_dir: str | Path | None = None) -> Catalog:
    """Load and validate the catalog in ``data_dir`` (default: :func:`default_data_dir`).

    ``data_dir`` may be the catalog folder itself or the ``data/`` folder above it.
    Raises :class:`CatalogError` listing every problem found in every file.
    """
    d = _catalog_dir(data_dir)
    problems: list[str] = []
    sites = _load_sites(d / SITES_FILE, problems)
    if (d / TOWNS_FILE).exists():  # lodging towns (scripts/build_lodging_towns.py)
        _add_towns(sites, _load_sites(d / TOWNS_FILE, problems), d / TOWNS_FILE, problems)
    index = _NameIndex(sites.values())
    # when sites.csv itself is unusable, references to it would only repeat that one problem
    refs: list[str] = problems if sites else []
    lines = _load_lines(d / LINES_FILE, sites, index, refs)
    seeds = _load_seed_edges(d / SEED_FILE, lines, index, refs)
    published = _load_published(d / PUBLISHED_FILE, index, refs)
    units, counts, whs = _load_unit_tables(d, sites, refs)
    if problems:
        raise CatalogError(problems)
    return Catalog(sites, lines, seeds, published, d, units, counts, whs)


def _load_unit_tables(
    d: Path, sites: dict[str, Site], problems: list[str]
) -> tuple[list[NationalUnit], list[UnitCount], list[WorldHeritageComponent]]:
    """The optional region tables (kg.units); absent files mean an older, smaller catalog."""
    centres = (
        load_county_centres(d / units_mod.CENTRES_FILE, problems)
        if (d / units_mod.CENTRES_FILE).exists()
        else {}
    )
    units: list[NationalUnit] = []
    if (d / units_mod.UNITS_FILE).exists():
        units = load_units(d / units_mod.UNITS_FILE, sites, centres, problems)
    counts: list[UnitCount] = []
    if (d / units_mod.COUNTS_FILE).exists():
        counts = load_unit_counts(d / units_mod.COUNTS_FILE, problems)
    whs: list[WorldHeritageComponent] = []
    if (d / units_mod.WHS_FILE).exists():
        whs = load_world_heritage(d / units_mod.WHS_FILE, sites, problems)
    return units, counts, whs


def _rel(path: Path) -> str:
    """Path as shown in messages: relative to the repository when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_csv(
    path: Path, required: tuple[str, ...], problems: list[str]
) -> list[tuple[int, dict[str, str]]] | None:
    """Rows of a UTF-8 CSV with their file line numbers; None if unreadable or columns missing."""
    where = _rel(path)
    if not path.exists():
        problems.append(f"{where}:0: file not found")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(f"{where}:0: not valid UTF-8 ({e.reason})")
        return None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        cols = ", ".join(missing)
        problems.append(f"{where}:1: missing required column(s) in {path.name}: {cols}")
        return None
    rows = []
    for row in reader:
        lineno = reader.line_num  # physical line where the record ends
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue
        rows.append((lineno, clean))
    return rows


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(";") if p.strip())


def parse_float(
    value: str, where: str, col: str, problems: list[str], *, minimum: float | None = None
) -> float | None:
    """A CSV cell as a finite number (``None`` when empty); problems name ``where`` and ``col``."""
    if value == "":
        return None
    try:
        x = float(value)
    except ValueError:
        problems.append(f"{where}: {col} is not a number: {value!r}")
        return None
    if not math.isfinite(x):
        problems.append(f"{where}: {col} is not finite: {value!r}")
        return None
    if minimum is not None and x < minimum:
        problems.append(f"{where}: {col} must be >= {minimum:g}, got {value!r}")
    return x


def _add_towns(
    sites: dict[str, Site], towns: dict[str, Site], path: Path, problems: list[str]
) -> None:
    """Add the rows of ``towns.csv`` (kind ``town`` only; ids and names unused in sites.csv)."""
    names = {normalize(n): s.id for s in sites.values() for n in (s.name_zh, *s.aliases)}
    for sid, town in towns.items():
        where = f"{_rel(path)}: town {sid!r}"
        clash = [n for n in (town.name_zh, *town.aliases) if normalize(n) in names]
        if town.kind != "town":
            problems.append(f"{where} has kind {town.kind!r}; {TOWNS_FILE} holds towns only")
        elif sid in sites:
            problems.append(f"{where}: the id is already used in {SITES_FILE}")
        elif clash:
            problems.append(
                f"{where}: name {clash[0]!r} is already claimed by site "
                f"{names[normalize(clash[0])]!r} of {SITES_FILE}"
            )
        else:
            sites[sid] = town


def _site_point(
    r: dict[str, str], sid: str, where: str, problems: list[str]
) -> tuple[float | None, float | None, str, float | None, str]:
    """Validate one sites.csv row's point: ``(lat, lon, confidence, uncertainty_km, precision)``."""
    lat = parse_float(r.get("lat", ""), where, "lat", problems)
    lon = parse_float(r.get("lon", ""), where, "lon", problems)
    if (lat is None) != (lon is None) and (r.get("lat", "") == "") != (r.get("lon", "") == ""):
        problems.append(f"{where}: site {sid!r} has lat without lon (or lon without lat)")
    if (
        lat is not None
        and lon is not None
        and (not (-90 <= lat <= 90 and -180 <= lon <= 180) or not in_china(lat, lon))
    ):
        problems.append(
            f"{where}: coordinate of site {sid!r} ({lat}, {lon}) is outside China "
            "(lat/lon swapped?)"
        )
    conf = r.get("coord_confidence", "")
    has_xy = lat is not None and lon is not None
    if conf and conf not in COORD_CONFIDENCE:
        problems.append(
            f"{where}: site {sid!r} has bad coord_confidence {conf!r} "
            f"(expected one of {', '.join(sorted(COORD_CONFIDENCE))} or empty)"
        )
    if has_xy and not conf:
        problems.append(f"{where}: site {sid!r} has a coordinate but no coord_confidence")
    if conf and not has_xy and r.get("lat", "") == "" and r.get("lon", "") == "":
        problems.append(f"{where}: site {sid!r} has coord_confidence {conf!r} but no coordinate")
    if conf == "approx" and not r.get("coord_method", ""):
        problems.append(f"{where}: approx coordinate of site {sid!r} has no coord_method")
    unc = parse_float(
        r.get("coord_uncertainty_km", ""), where, "coord_uncertainty_km", problems, minimum=0
    )
    prec = r.get("coord_precision", "")
    if prec and prec not in PRECISION_CLASSES:
        problems.append(
            f"{where}: site {sid!r} has bad coord_precision {prec!r} "
            f"(expected one of {', '.join(PRECISION_CLASSES)} or empty)"
        )
    elif prec and conf and (prec in APPROX_CLASSES) != (conf == "approx"):
        problems.append(
            f"{where}: site {sid!r}: coord_precision {prec!r} does not fit "
            f"coord_confidence {conf!r} (only 'site' points are not approx)"
        )
    if has_xy and not r.get("coord_source", "") and not r.get("coord_method", ""):
        problems.append(f"{where}: coordinate of site {sid!r} has no source")
    if conf == "approx" and unc is None:
        problems.append(f"{where}: approx coordinate of site {sid!r} has no uncertainty")
    return lat, lon, conf, unc, prec


def _load_sites(path: Path, problems: list[str]) -> dict[str, Site]:  # noqa: C901
    """Read and validate ``sites.csv`` (every problem appended as ``file:line: message``)."""
    rows = _read_csv(path, REQUIRED_SITE_COLUMNS, problems)
    if rows is None:
        return {}
    fname = _rel(path)
    sites: dict[str, Site] = {}
    first_line: dict[str, int] = {}
    claimed: dict[str, tuple[str, int, str]] = {}  # normalised name -> (id, line, raw name)
    for lineno, r in rows:
        where = f"{fname}:{lineno}"
        sid = r.get("id", "")
        if not _ID_RE.match(sid):
            problems.append(
                f"{where}: invalid id {sid!r}: ids must be ASCII slugs matching [a-z][a-z0-9_]*"
            )
        if sid in first_line:
            first = first_line[sid]
            problems.append(f"{where}: duplicate id {sid!r} (first defined at line {first})")
            continue
        first_line[sid] = lineno
        name_zh = r.get("name_zh", "")
        if not name_zh:
            problems.append(f"{where}: site {sid!r} has an empty name_zh")
        aliases = _split(r.get("aliases", ""))
        for raw in (name_zh, *aliases):
            key = normalize(raw)
            if not key:
                continue
            prev = claimed.get(key)
            if prev and prev[0] != sid:
                problems.append(
                    f"{where}: name {raw!r} of site {sid!r} is already claimed by site "
                    f"{prev[0]!r} (line {prev[1]}, as {prev[2]!r})"
                )
            elif not prev:
                claimed[key] = (sid, lineno, raw)
        lat, lon, conf, unc, prec = _site_point(r, sid, where, problems)
        kind = r.get("kind", "")
        if kind not in SITE_KINDS:
            problems.append(
                f"{where}: site {sid!r} has unknown kind {kind!r} "
                f"(expected one of {', '.join(sorted(SITE_KINDS))})"
            )
        themes = _split(r.get("themes", ""))
        for t in themes:
            if t not in THEMES:
                problems.append(
                    f"{where}: site {sid!r} has unknown theme {t!r} "
                    f"(expected {', '.join(sorted(THEMES))})"
                )
        vmin = parse_float(
            r.get("visit_hours_min", ""), where, "visit_hours_min", problems, minimum=0
        )
        vmax = parse_float(
            r.get("visit_hours_max", ""), where, "visit_hours_max", problems, minimum=0
        )
        if vmin is not None and vmax is not None and vmin > vmax:
            problems.append(
                f"{where}: site {sid!r} has visit_hours_min {vmin:g} > visit_hours_max {vmax:g}"
            )
        sites[sid] = Site(
            id=sid,
            name_zh=name_zh,
            aliases=aliases,
            name_en=r.get("name_en", ""),
            province=r.get("province", ""),
            city=r.get("city", ""),
            county=r.get("county", ""),
            town=r.get("town", ""),
            lat=lat,
            lon=lon,
            coord_confidence=conf,
            coord_uncertainty_km=unc,
            coord_precision=prec,
            coord_method=r.get("coord_method", ""),
            coord_source=r.get("coord_source", ""),
            kind=kind,
            designations=_split(r.get("designations", "")),
            era=r.get("era", ""),
            visit_hours_min=vmin,
            visit_hours_max=vmax,
            opening_hours=r.get("opening_hours", ""),
            ticket_cny=r.get("ticket_cny", ""),
            themes=themes,
            wikidata=r.get("wikidata", ""),
            source=r.get("source", ""),
            notes=r.get("notes", ""),
        )
    # ids are matched by normalised key too: 'kunfo_si' and 'kunfosi' must not be two sites
    for sid in sites:
        key = normalize(sid)
        prev = claimed.get(key)
        if prev and prev[0] != sid:
            problems.append(
                f"{fname}:{first_line[sid]}: id {sid!r} collides with name {prev[2]!r} "
                f"of site {prev[0]!r} (line {prev[1]})"
            )
    return sites


def _suggest_text(index: _NameIndex, name: str) -> str:
    ids = index.suggest_ids(name)
    if not ids:
        return ""
    return "; did you mean: " + ", ".join(f"{index.names.get(i, '')} ({i})" for i in ids) + "?"


def _resolve_or_report(index: _NameIndex, name: str, where: str, problems: list[str]) -> str | None:
    try:
        return index.resolve_id(name)
    except UnknownSiteError as e:
        problems.append(f"{where}: {e}")
        return None


def _load_seed_edges(
    path: Path, lines: dict[str, Line], index: _NameIndex, problems: list[str]
) -> list[SeedEdge]:
    rows = _read_csv(path, SEED_COLUMNS, problems)
    if rows is None:
        return []
    fname = _rel(path)
    edges = []
    for lineno, r in rows:
        where = f"{fname}:{lineno}"
        line = r["line"]
        if lines and line not in lines:
            problems.append(f"{where}: unknown line {line!r}; known lines: {', '.join(lines)}")
        a = _resolve_or_report(index, r["site_a"], where, problems)
        b = _resolve_or_report(index, r["site_b"], where, problems)
        km = _distance(r["km"], where, problems)
        if a and b and a == b:
            problems.append(
                f"{where}: self-loop edge: {r['site_a']!r} and {r['site_b']!r} are both site {a!r}"
            )
            continue
        if a and b and km is not None:
            edges.append(
                SeedEdge(line, a, b, km, r["source"], r["site_a"], r["site_b"], fname, lineno)
            )
    return edges


def _distance(value: str, where: str, problems: list[str]) -> float | None:
    try:
        km = float(value)
    except ValueError:
        problems.append(f"{where}: distance is not a number: {value!r}")
        return None
    if not math.isfinite(km) or km <= 0:
        problems.append(f"{where}: distance must be a positive number of km, got {value!r}")
        return None
    return km


def _load_published(path: Path, index: _NameIndex, problems: list[str]) -> list[PublishedDistance]:
    rows = _read_csv(path, PUBLISHED_COLUMNS, problems)
    if rows is None:
        return []
    fname = _rel(path)
    out = []
    for lineno, r in rows:
        where = f"{fname}:{lineno}"
        a = _resolve_or_report(index, r["site_a"], where, problems)
        b = _resolve_or_report(index, r["site_b"], where, problems)
        km = _distance(r["km"], where, problems)
        kind = r["kind"]
        if kind not in DISTANCE_KINDS:
            problems.append(
                f"{where}: bad distance kind {kind!r} "
                f"(expected {', '.join(sorted(DISTANCE_KINDS))})"
            )
        bearing = parse_float(r.get("bearing_deg", ""), where, "bearing_deg", problems)
        if kind == "bearing" and bearing is None:
            problems.append(f"{where}: kind 'bearing' needs a bearing_deg")
        if bearing is not None and not 0 <= bearing < 360:
            problems.append(f"{where}: bearing_deg must be in [0, 360), got {bearing:g}")
        if a and b and a == b:
            problems.append(
                f"{where}: self-loop edge: {r['site_a']!r} and {r['site_b']!r} are both site {a!r}"
            )
            continue
        if a and b and km is not None:
            out.append(PublishedDistance(a, b, km, kind, r["source"], bearing, r.get("note", "")))
    return out


# --------------------------------------------------------------------------- lines.yaml


def _compose_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML; return the data and a map from key paths to 1-based line numbers.

    A mapping entry's path points at its key's line, a sequence item's path at the item.
    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    loader = yaml.SafeLoader("")
    marks: dict[tuple, int] = {}

    def walk(n: yaml.Node | None, path: tuple) -> Any:
        if n is None:
            return None
        marks.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out = {}
            for k, v in n.value:
                key = loader.construct_object(k)
                marks[(*path, key)] = k.start_mark.line + 1
                out[key] = walk(v, (*path, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(v, (*path, i)) for i, v in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    return walk(node, ()), marks


def _load_lines(  # noqa: C901
    path: Path, sites: dict[str, Site], index: _NameIndex, problems: list[str]
) -> dict[str, Line]:
    fname = _rel(path)
    if not path.exists():
        problems.append(f"{fname}:0: file not found")
        return {}
    try:
        data, marks = _compose_with_lines(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problems.append(f"{fname}:{line}: invalid YAML: {getattr(e, 'problem', e)}")
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("lines"), dict):
        problems.append(f"{fname}:1: expected a top-level mapping 'lines:'")
        return {}
    out: dict[str, Line] = {}
    for lid, spec in data["lines"].items():
        base = ("lines", lid)
        where = f"{fname}:{marks.get(base, 0)}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: line {lid!r} must be a mapping")
            continue
        missing = [k for k in ("name_zh", "sites") if not spec.get(k)]
        if missing:
            problems.append(f"{where}: line {lid!r} lacks required key(s): {', '.join(missing)}")
            continue

        def ids(key: str, spec=spec, base=base, lid=lid) -> tuple[str, ...]:
            values = spec.get(key) or []
            if not isinstance(values, list):
                problems.append(
                    f"{fname}:{marks.get((*base, key), 0)}: {key} of line {lid!r} must be a list"
                )
                return ()
            got = []
            for i, v in enumerate(values):
                w = f"{fname}:{marks.get((*base, key, i), marks.get((*base, key), 0))}"
                v = str(v)
                if v in sites:
                    got.append(v)
                else:
                    problems.append(
                        f"{w}: line {lid!r} names unknown site id {v!r}{_suggest_text(index, v)}"
                    )
            return tuple(got)

        site_ids = ids("sites")
        dupes = sorted({s for s in site_ids if site_ids.count(s) > 1})
        if dupes:
            problems.append(f"{where}: line {lid!r} lists site(s) twice: {', '.join(dupes)}")
        route = ids("report_route")
        stray = [s for s in route if s not in site_ids]
        if stray:
            problems.append(
                f"{fname}:{marks.get((*base, 'report_route'), 0)}: report_route of line {lid!r} "
                f"visits site(s) not in its sites: {', '.join(stray)}"
            )
        ends = {}
        for key in ("start", "end"):
            value = spec.get(key)
            ends[key] = str(value) if value is not None else None
            if value is not None and str(value) not in site_ids:
                problems.append(
                    f"{fname}:{marks.get((*base, key), 0)}: {key} {value!r} of line {lid!r} "
                    "is not one of its sites"
                )
        km = spec.get("report_km")
        if km is not None and (not isinstance(km, int | float) or km <= 0):
            problems.append(
                f"{fname}:{marks.get((*base, 'report_km'), 0)}: report_km of line {lid!r} "
                f"must be a positive number, got {km!r}"
            )
            km = None
        out[lid] = Line(
            id=lid,
            name_zh=str(spec.get("name_zh", "")),
            name_en=str(spec.get("name_en", "")),
            sites=site_ids,
            start=ends["start"],
            loop=bool(spec.get("loop", False)),
            source=str(spec.get("source", "")),
            report_route=route,
            report_km=float(km) if km is not None else None,
            end=ends["end"],
            description_zh=str(spec.get("description_zh", "")),
            description_en=str(spec.get("description_en", "")),
        )
    return out
