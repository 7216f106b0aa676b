"""A copy of the project's data with the catalog cut down to the report area's sites.

Tests and benchmarks that are about the report's 38 Dazu–Anyue sites (and must build their own
graph in seconds) plan on this copy: the region tables (national units, World Heritage
components, lodging towns) are left out, and so are the ``sites.csv`` rows the region import
added (their source names the compiled national-unit list).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from kg.catalog.loading import default_data_dir

__all__ = ["REGION_TABLES", "copy_report_area_catalog"]

#: catalog files that hold the region, not the report area
REGION_TABLES = ("national_units.csv", "world_heritage.csv", "towns.csv")
_REGION_SOURCE = "lingdian1226"  # the repository that compiled the national-unit list


def copy_report_area_catalog(data: Path) -> Path:
    """Copy ``data/`` to ``data`` (which must not exist) keeping only the report area's sites;
    return the copied catalog folder."""
    shutil.copytree(default_data_dir().parent, data)
    cat = data / "catalog"
    for name in REGION_TABLES:
        (cat / name).unlink(missing_ok=True)
    path = cat / "sites.csv"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader if _REGION_SOURCE not in r["source"]]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return cat
