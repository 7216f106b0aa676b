"""Regenerate the approximate coordinates of data/catalog/sites.csv and print a report.

Usage: .venv/bin/python scripts/derive_coords.py [--data DIR] [--dry-run]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kg.catalog import load_catalog
from kg.coords import CIRCUITY, calibrate_circuity, regenerate_sites_csv


def main(argv: list[str] | None = None) -> int:
    """Derive coordinates, rewrite sites.csv (unless --dry-run) and print what was done."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="catalog folder (default: data/catalog)")
    ap.add_argument("--dry-run", action="store_true", help="do not rewrite sites.csv")
    args = ap.parse_args(argv)

    cat = load_catalog(args.data)
    cal = calibrate_circuity(cat)
    print(f"circuity calibration ({len(cal)} pairs with sourced points at both ends):")
    for a, b, km, d, ratio, _src in cal:
        print(f"  {a:>14} – {b:<14} stated {km:6.1f} km  straight {d:6.1f} km  ratio {ratio:.2f}")
    if cal:
        per_pair: dict[tuple[str, str], list[float]] = {}
        for a, b, _, _, ratio, _ in cal:
            per_pair.setdefault((a, b), []).append(ratio)
        meds = [statistics.median(v) for v in per_pair.values()]
        med = statistics.median(meds)
        print(f"  median over {len(meds)} distinct pairs {med:.2f}; factor used: {CIRCUITY}")

    res = regenerate_sites_csv(args.data, write=not args.dry_run)
    print("\nchecks (relations between two sourced points; misfit in km):")
    for c, r in res.checks:
        print(f"  {c.site:>14} ← {c.describe(c.site):<55} misfit {r:+.1f}")
    print("\nderived points:")
    for sid, p in sorted(res.points.items(), key=lambda kv: (kv[1].round, kv[0])):
        amb = f"  mirror gap {p.ambiguous_km:.1f} km" if p.ambiguous_km is not None else ""
        worst = max((abs(r) for r in p.residuals_km), default=0.0)
        print(
            f"  r{p.round} {sid:<26} {p.lat:9.5f} {p.lon:10.5f}  ±{p.uncertainty_km:5.1f} km"
            f"  {len(p.constraints)} facts, worst misfit {worst:4.1f} km{amb}"
        )
    if res.unresolved:
        print("\nunresolved:")
        for sid, why in res.unresolved.items():
            print(f"  {sid}: {why}")
    print("\n" + ("dry run: sites.csv unchanged" if args.dry_run else "sites.csv rewritten"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
