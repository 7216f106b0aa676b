"""Build ``data/catalog/towns.csv``: the towns a multi-day trip can sleep in, region-wide.

One row per county seat (and prefecture seat) of Sichuan and Chongqing, from
``data/catalog/county_centres.csv`` — the centre of each division's government area (cpca 0.5.5
centres, AMap district centres taken as GCJ-02 and converted to WGS-84; see
``scripts/build_county_centres.py``). A seat is where a county's hotels are, so it is the
lodging point itself (precision ``site``, confidence ``low``, 2 km: the seat's centre, not a
hotel). Seats within :data:`MERGE_KM` of a town already chosen (the prefecture seat, a town in
``sites.csv``) are skipped: the central districts of a city are one town.

Names: a prefecture seat is ``<city>市区`` (成都市区), a county ``<county>县城`` (剑阁县城),
a district or county-level city ``<stem>城区`` (万州城区, 峨眉山城区); 渝中区's seat is
``重庆市区``. Autonomous prefectures have no
separate seat row (their seat is a county of the list). Ids are ``town_<adcode>``.

Run after ``county_centres.csv`` or ``sites.csv`` change::

    .venv/bin/python scripts/build_lodging_towns.py
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.artifacts import atomic_write_text  # noqa: E402
from common.geo import haversine_km  # noqa: E402

CATALOG = ROOT / "data" / "catalog"
OUT = CATALOG / "towns.csv"
MERGE_KM = 8.0
UNCERTAINTY_KM = 2.0


def _name(row: dict[str, str]) -> str | None:
    if row["level"] == "city":
        city = row["city"]
        if "自治州" in city or not city.endswith("市"):
            return None  # an autonomous prefecture's seat is one of its counties
        return city[:-1] + "市区"
    county = row["county"]
    if county == "渝中区":  # the seat of 重庆市 (a province-level city without a city row)
        return "重庆市区"
    if county.endswith("县"):
        return county + "城"
    stem = county[:-1] if len(county) > 2 else county  # 万州区 → 万州, 峨眉山市 → 峨眉山
    return stem + "城区"


def main() -> int:
    """Write towns.csv; print how many seats were kept and merged."""
    with (CATALOG / "sites.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        existing = list(reader)
    taken_names = {r["name_zh"] for r in existing} | {
        a for r in existing for a in (r.get("aliases") or "").split(";") if a
    }
    chosen: list[tuple[float, float]] = [
        (float(r["lat"]), float(r["lon"])) for r in existing if r["kind"] == "town" and r["lat"]
    ]
    with (CATALOG / "county_centres.csv").open(encoding="utf-8", newline="") as fh:
        centres = list(csv.DictReader(fh))
    centres.sort(key=lambda r: (r["level"] != "city", r["adcode"]))  # prefecture seats first
    rows, merged = [], 0
    for c in centres:
        name = _name(c)
        if name is None or name in taken_names or not c["lat"]:
            continue  # no seat, a name in use, or no sourced centre (e.g. 两江新区)
        lat, lon = float(c["lat"]), float(c["lon"])
        if any(haversine_km(lat, lon, a, b) < MERGE_KM for a, b in chosen):
            merged += 1
            continue
        chosen.append((lat, lon))
        taken_names.add(name)
        division = c["city"] if c["level"] == "city" else c["county"]
        row = dict.fromkeys(columns, "")
        row.update(
            {
                "id": f"town_{c['adcode']}",
                "name_zh": name,
                "province": c["province"],
                "city": c["city"],
                "county": "" if c["level"] == "city" else c["county"],
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "coord_confidence": "low",
                "coord_uncertainty_km": f"{UNCERTAINTY_KM:g}",
                "coord_precision": "site",
                "coord_method": (
                    f"seat of the {division} government area (county_centres.csv, adcode "
                    f"{c['adcode']}); a lodging town, not a hotel"
                ),
                "coord_source": f"county_centres.csv: {c['source']}",
                "kind": "town",
                "source": f"county_centres.csv adcode {c['adcode']} ({c['source']})",
                "notes": "lodging town for multi-day plans (scripts/build_lodging_towns.py)",
            }
        )
        rows.append(row)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(OUT, buf.getvalue())
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} towns ({merged} seats merged into a town nearby)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
