"""Export benchmark: time to build each format for the 3-day stone-carving line.

Run from the repository root::

    .venv/bin/python benchmarks/export.py --out docs/benchmarks.md --examples docs/examples

What is measured (one process, after the plan is made and the facts collected):

- **plan** — :func:`planner.itinerary.plan_itinerary` for ``stone-carving``, 3 days from
  大足城区, first day 2025-05-10, car, normal pace (or ``--plan FILE`` to load a saved plan);
- **graph + facts** — opening the knowledge graph (``kg.store.open_graph``) and
  :func:`planner.export.collect` (catalog, opening hours on the visit dates, heritage, food
  and experience bases per stop);
- **each format** — :func:`planner.export.render` for ``pdf`` (A4 portrait, zh), ``pdf``
  tri-fold, ``pdf`` English, ``html``, ``gpx``, ``geojson``, ``kml``, ``ics``, ``json``
  (modules imported beforehand, timed separately): the first call (it pays matplotlib's
  first draw and font loading) and
  the median of ``--repeat`` further calls, wall clock (``perf_counter``) and CPU
  (``process_time``; the machine is shared, so CPU is the steadier figure);
- **fresh process** — ``heritage export --plan FILE --format pdf`` end to end in a new Python
  process (imports, catalog, graph, facts, PDF, atomic write), as a bureau officer runs it.

``--out FILE`` rewrites only the block between ``<!-- export:begin -->`` and
``<!-- export:end -->`` (re-read right before writing, replaced atomically). ``--examples DIR``
writes the sample brochure committed for newcomers: the portrait PDF with the template brand,
a PNG of its first page (needs ``pdftoppm``), the tri-fold PDF and the plan JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _report  # noqa: E402

from planner.export import collect, load_brand, render, resolve_line  # noqa: E402
from planner.export._io import write_atomic  # noqa: E402
from planner.model import Itinerary, itinerary_from_dict, itinerary_to_dict  # noqa: E402

BEGIN, END = "<!-- export:begin -->", "<!-- export:end -->"
TARGET_PDF_S = 3.0
BRAND = ROOT / "data" / "brand" / "example.yaml"
CASES: list[tuple[str, str, dict]] = [
    ("pdf", "PDF A4 portrait (zh, template brand)", {"lang": "zh", "brand": True}),
    ("pdf", "PDF A4 tri-fold (zh, template brand)", {"lang": "zh", "brand": True, "trifold": True}),
    ("pdf", "PDF A4 portrait (en)", {"lang": "en"}),
    ("html", "HTML (zh, font subset embedded)", {"lang": "zh", "brand": True}),
    ("gpx", "GPX 1.1", {}),
    ("geojson", "GeoJSON", {}),
    ("kml", "KML", {}),
    ("ics", "iCalendar", {}),
    ("json", "JSON (plan)", {}),
]


def make_plan(args: argparse.Namespace) -> tuple[Itinerary, float]:
    if args.plan:
        raw = json.loads(Path(args.plan).read_text(encoding="utf-8"))
        return itinerary_from_dict(raw), 0.0
    from planner.itinerary import TripRequest, plan_itinerary

    req = TripRequest(
        theme="stone-carving", days=3, start="大足城区", date=dt.date(2025, 5, 10), mode="car"
    )
    t = time.perf_counter()
    it = plan_itinerary(req)
    return it, time.perf_counter() - t


def bench_formats(data, brand, repeat: int) -> list[dict]:
    rows = []
    for fmt, name, kw in CASES:
        kw = dict(kw)
        if kw.pop("brand", False):
            kw["brand"] = brand
        w0, c0 = time.perf_counter(), time.process_time()
        out = render(data, fmt, **kw)
        first = time.perf_counter() - w0
        first_cpu = time.process_time() - c0
        walls, cpus = [], []
        for _ in range(repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            render(data, fmt, **kw)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        rows.append(
            {
                "format": name,
                "fmt": fmt,
                "bytes": len(out),
                "first_s": first,
                "first_cpu_s": first_cpu,
                "wall_s": statistics.median(walls),
                "cpu_s": statistics.median(cpus),
                "repeat": repeat,
            }
        )
    return rows


def fresh_process(plan_path: Path, out_dir: Path) -> float:
    """Wall time of ``heritage export --plan ... --format pdf`` in a new interpreter."""
    code = (
        "import sys, typer; from planner.cli_export import export_cmd; "
        "sys.argv = ['heritage-export', *sys.argv[1:]]; typer.run(export_cmd)"
    )
    cmd = [
        sys.executable,
        "-c",
        code,
        "--plan",
        str(plan_path),
        "--line",
        "stone-carving",
        "--brand",
        str(BRAND),
        "--out",
        str(out_dir / "fresh.pdf"),
    ]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - t


def write_examples(data, brand, folder: Path, plan: Itinerary) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    pdf = write_atomic(folder / "stone-carving-3day.pdf", render(data, "pdf", brand=brand))
    tri = write_atomic(
        folder / "stone-carving-3day-trifold.pdf", render(data, "pdf", brand=brand, trifold=True)
    )
    plan_json = json.dumps(itinerary_to_dict(plan), ensure_ascii=False, indent=1) + "\n"
    js = write_atomic(folder / "stone-carving-3day.plan.json", plan_json.encode("utf-8"))
    written = [pdf.name, tri.name, js.name]
    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as tmp:
            stem = Path(tmp) / "page1"
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "110",
                    "-png",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(pdf),
                    str(stem),
                ],
                check=True,
            )
            png = write_atomic(
                folder / "stone-carving-3day-page1.png", stem.with_suffix(".png").read_bytes()
            )
            written.append(png.name)
    return written


def section(results: dict) -> str:
    env = results["env"]
    if results["plan_from"]:
        origin = f"loaded from `{results['plan_from']}`"
    else:
        origin = f"planned by `plan_itinerary` in {results['plan_s']:.1f} s"
    lines = [
        BEGIN,
        "## Exports (brochures and files)",
        "",
        f"Produced by `.venv/bin/python benchmarks/export.py {results['argv']}` (run from the "
        f"repository root) on {env['when']}. Machine: {env['cores']} cores, {env['system']}, "
        f"load average {env['load_start']:.1f} at the start and {env['load_end']:.1f} at the end "
        "(the machine is shared: CPU time is the steadier figure); Python "
        f"{env['python']}, fpdf2 {env['fpdf2']}, fontTools {env['fonttools']}, matplotlib "
        f"{env['matplotlib']}, segno {env['segno']}, icalendar {env['icalendar']}; repo commit "
        f"{env['commit']}.",
        "",
        f"Plan: the `stone-carving` line, 3 days from 大足城区, 2025-05-10, car, normal pace — "
        f"{results['stops']} stops, {results['km']:.0f} km ({origin}). "
        f"Opening the knowledge graph took {results['graph_s']:.1f} s and collecting the stop "
        f"facts (catalog, hours, graph queries) {results['collect_s']:.2f} s; both are outside "
        f"the per-format times below, and so are the imports ({results['imports_s']:.1f} s: "
        "fpdf2, fontTools, matplotlib, segno, icalendar).",
        "",
        "| format | size | first call wall (s) | warm wall (s, median) | warm CPU (s, median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results["rows"]:
        size = f"{r['bytes'] / 1024:.0f} KB" if r["bytes"] >= 10240 else f"{r['bytes']} B"
        lines.append(
            f"| {r['format']} | {size} | {r['first_s']:.2f} | {r['wall_s']:.2f} | "
            f"{r['cpu_s']:.2f} |"
        )
    pdf = results["rows"][0]
    verdict = "meets" if pdf["wall_s"] < TARGET_PDF_S else "misses"
    lines += [
        "",
        f"Target: PDF under {TARGET_PDF_S:.0f} s. The portrait PDF {verdict} it warm "
        f"({pdf['wall_s']:.2f} s wall, {pdf['cpu_s']:.2f} s CPU; first call in the process "
        f"{pdf['first_s']:.2f} s). `heritage export --plan … --format pdf` in a fresh process "
        f"(imports, catalog, graph, facts, PDF, atomic write): {results['fresh_s']:.1f} s wall; "
        "loading the knowledge graph and the imports are most of it (see above).",
        "",
        "Where the PDF time goes: about half is fontTools subsetting the CJK CFF font (a "
        "near-constant cost per face, which is why the brochure uses a single face with a stroke "
        "for headings) and parsing it; the map (matplotlib, 220 dpi) and the QR codes (segno's "
        "mask selection, cached per URL) take most of the rest. Warm times are medians of "
        f"{pdf['repeat']} calls after the first.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(doc: Path, text: str) -> None:
    """Replace our block (or append it), re-reading the file right before writing."""
    _report.write_section(doc, text, BEGIN, END)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", type=Path, help="a saved plan JSON instead of planning")
    ap.add_argument("--repeat", type=int, default=3, help="warm calls per format (median)")
    ap.add_argument("--out", type=Path, help="docs/benchmarks.md to update between markers")
    ap.add_argument("--examples", type=Path, help="folder for the sample brochure files")
    ap.add_argument("--json", type=Path, help="also write the raw results as JSON")
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    started = dt.datetime.now(dt.UTC)

    from kg.catalog import load_catalog
    from kg.store import open_graph

    plan, plan_s = make_plan(args)
    catalog = load_catalog()
    t = time.perf_counter()
    kgraph = open_graph()
    graph_s = time.perf_counter() - t
    t = time.perf_counter()
    data = collect(
        plan, catalog=catalog, kgraph=kgraph, line=resolve_line(catalog, "stone-carving")
    )
    collect_s = time.perf_counter() - t
    brand = load_brand(BRAND)
    t = time.perf_counter()
    import icalendar  # noqa: F401

    import planner.export.brochure
    import planner.export.formats  # noqa: F401

    imports_s = time.perf_counter() - t
    rows = bench_formats(data, brand, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(itinerary_to_dict(plan), ensure_ascii=False), "utf-8")
        fresh_s = fresh_process(plan_path, Path(tmp))
    examples = write_examples(data, brand, args.examples, plan) if args.examples else []
    results = {
        "argv": " ".join(sys.argv[1:]),
        "plan_from": str(args.plan) if args.plan else "",
        "plan_s": plan_s,
        "graph_s": graph_s,
        "collect_s": collect_s,
        "imports_s": imports_s,
        "fresh_s": fresh_s,
        "stops": len(plan.stops),
        "km": plan.total_km,
        "rows": rows,
        "examples": examples,
        "env": {
            "when": started.strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(),
            "system": f"{platform.system()} {platform.release()}",
            "load_start": load_start,
            "load_end": os.getloadavg()[0],
            "python": platform.python_version(),
            "fpdf2": version("fpdf2"),
            "fonttools": version("fonttools"),
            "matplotlib": version("matplotlib"),
            "segno": version("segno"),
            "icalendar": version("icalendar"),
            "commit": _report.head_commit(),
        },
    }
    for r in rows:
        print(
            f"{r['format']:<40} {r['bytes'] / 1024:8.0f} KB  first {r['first_s']:6.2f} s  "
            f"warm {r['wall_s']:6.2f} s  cpu {r['cpu_s']:6.2f} s"
        )
    print(
        f"plan {plan_s:.1f} s, graph {graph_s:.1f} s, facts {collect_s:.2f} s, "
        f"fresh-process PDF {fresh_s:.1f} s"
    )
    if examples:
        print("examples:", ", ".join(examples))
    if args.json:
        write_atomic(args.json, json.dumps(results, indent=1).encode("utf-8"))
    if args.out:
        write_section(args.out, section(results))


if __name__ == "__main__":
    main()
