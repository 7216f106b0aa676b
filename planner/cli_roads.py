"""``heritage roads …``: road distances and drive times (OSRM over OpenStreetMap, or AMap).

Mounted by :mod:`planner.cli` as ``heritage roads``; ``heritage fit-circuity --roads`` calls
:func:`fit_roads_cmd`. The work is in :mod:`planner.roads` and :mod:`routing.roads`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from common import settings
from common.errors import UserError
from kg.catalog import Catalog
from planner.cli_common import circuity_table, err, new_app, out, print_json
from routing.roads.matrix import RoadMatrix

app = new_app("Road distances and drive times: OSRM over an OpenStreetMap extract, or AMap.")


class Profile(StrEnum):
    car = "car"
    foot = "foot"


class RouteFmt(StrEnum):
    table = "table"
    json = "json"
    geojson = "geojson"


_OUT = typer.Option(None, "--out", help="road artifacts folder (default: artifacts/roads)")


def _catalog() -> Catalog:
    from planner import service

    return service.load_context().catalog


@app.command("build")
def build_cmd(
    osm: Path = typer.Option(..., "--osm", help="an OpenStreetMap extract (.osm.pbf)"),
    profile: Profile = typer.Option(Profile.car, "--profile", help="car or foot"),
    out_dir: Path | None = _OUT,
    threads: int | None = typer.Option(None, "--threads", min=1, help="engine threads"),
) -> None:
    """Build the engine's data (MLD) and the catalog's road matrix; both are reused when
    the extract, profile, engine and catalog points are unchanged."""
    from planner.roads import build_osrm_roads

    b = build_osrm_roads(osm, _catalog(), profile=profile.value, root=out_dir, threads=threads)
    rm = b.matrix
    prov = rm.provenance
    extract = prov.get("extract", {})
    state = "reused" if b.reused_engine else "built"
    out.print(
        f"road data {state}: {escape(str(b.engine_dir))} (OSRM {prov.get('engine_version')}, "
        f"{prov.get('profile')} profile, MLD)",
        highlight=False,
    )
    out.print(
        f"extract {escape(str(extract.get('name')))} dated {extract.get('date')}, "
        f"sha256 {str(extract.get('sha256'))[:12]}…",
        highlight=False,
    )
    state = "reused" if b.reused_matrix else "computed"
    n = len(rm.ids)
    out.print(
        f"matrix {state}: {n} × {n} catalog points (sites and lodging towns) → "
        f"{escape(str(b.matrix_dir))}",
        highlight=False,
    )
    if b.seconds:
        out.print(
            "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in b.seconds.items()),
            highlight=False,
        )
    _print_flagged(rm)


def _print_flagged(rm: RoadMatrix) -> None:
    flagged = rm.flagged
    if not flagged:
        out.print("every point snapped within 1 km of its position")
        return
    cat = _catalog()
    err.print(
        f"[yellow]{len(flagged)} point(s) snapped more than 1 km from their position[/] "
        "(no road near them in the extract, or a wrong position); their legs keep the "
        "table/estimate:",
        highlight=False,
    )
    for sid in flagged:
        k = rm.ids.index(sid)
        err.print(f"  {cat.sites[sid].name_zh} ({sid}): {rm.snap_km[k]:.2f} km", highlight=False)


@app.command("route")
def route_cmd(
    names: list[str] = typer.Argument(..., help="two or more sites, in order"),
    profile: Profile = typer.Option(Profile.car, "--profile", help="car or foot"),
    out_dir: Path | None = _OUT,
    fmt: RouteFmt = typer.Option(RouteFmt.table, "--format", help="table, json or geojson"),
) -> None:
    """One road route through the sites given, with its (simplified) geometry."""
    from planner.roads import route_between

    if len(names) < 2:
        raise UserError("give at least two sites: heritage roads route A B")
    cat = _catalog()
    ids, r = route_between(cat, names, profile=profile.value, root=out_dir)
    geometry = [[round(lon, 6), round(lat, 6)] for lat, lon in r.geometry]
    if fmt is RouteFmt.geojson:
        feature = {
            "type": "Feature",
            "properties": {
                "sites": ids,
                "km": round(r.km, 3),
                "minutes": round(r.minutes, 1),
                "profile": profile.value,
                "source": "road:osrm",
            },
            "geometry": {"type": "LineString", "coordinates": geometry},
        }
        print_json(feature, indent=None)
        return
    if fmt is RouteFmt.json:
        data = {
            "sites": ids,
            "km": round(r.km, 3),
            "minutes": round(r.minutes, 1),
            "profile": profile.value,
            "source": "road:osrm",
            "snapped_m": [round(s.distance_m, 1) for s in r.snaps],
            "geometry": geometry,
        }
        print_json(data)
        return
    label = " → ".join(f"{cat.sites[s].name_zh} ({s})" for s in ids)
    out.print(f"{label}: {r.km:.2f} km, {r.minutes:.0f} min by {profile.value} (road:osrm)")
    for s, snap in zip(ids, r.snaps, strict=True):
        out.print(f"  {s} snapped {snap.distance_m:.0f} m to the road", highlight=False)
    out.print(f"geometry ({len(geometry)} points, lon,lat):", highlight=False)
    out.print(" ".join(f"{x},{y}" for x, y in geometry), highlight=False)


@app.command("amap")
def amap_cmd(
    out_dir: Path | None = _OUT,
    qps: float = typer.Option(3.0, "--qps", min=0.1, help="at most this many requests a second"),
) -> None:
    """The catalog's driving matrix from AMap (key from the AMAP_KEY environment variable)."""
    from planner.roads import build_amap_roads

    key = settings.amap_key()
    if not key:
        raise UserError("set AMAP_KEY to an AMap Web Service key (it is never written)")
    b = build_amap_roads(_catalog(), key, root=out_dir, min_interval_s=1.0 / qps)
    rm = b.matrix
    n = len(rm.ids)
    missing = int(
        sum(
            1
            for i in range(n)
            for j in range(n)
            if i != j and rm.pair(rm.ids[i], rm.ids[j]) is None
        )
    )
    state = "reused" if b.reused_matrix else "computed"
    out.print(
        f"AMap matrix {state}: {n} × {n} points, {rm.provenance.get('requests', 0)} "
        f"request(s), {missing} pair(s) without an answer → {escape(str(b.matrix_dir))}",
        highlight=False,
    )


@app.command("show")
def show_cmd(
    profile: Profile = typer.Option(Profile.car, "--profile", help="car or foot"),
    out_dir: Path | None = _OUT,
) -> None:
    """The road matrix plans use now, with its provenance and flagged points."""
    from planner.roads import latest_matrix_dir, load_matrix

    folder = latest_matrix_dir(profile=profile.value, root=out_dir)
    rm = load_matrix(profile=profile.value, root=out_dir)
    if rm is None or folder is None:
        out.print(
            "no road matrix: plans use the report's table and estimates "
            "(build one: heritage roads build --osm FILE.osm.pbf; see docs/roads.md)"
        )
        return
    out.print(f"{rm.source}: {escape(str(folder))}", highlight=False)
    print_json(rm.provenance)
    _print_flagged(rm)


def fit_roads_cmd(limit: int = 20) -> None:
    """``heritage fit-circuity --roads``: circuity and car speed re-fitted on the road matrix."""
    from planner import service
    from planner.roads import fit_from_roads, road_matrix

    rm = road_matrix()
    if rm is None:
        raise UserError(
            "no road matrix: run `heritage roads build --osm FILE.osm.pbf` first (docs/roads.md)"
        )
    ctx = service.load_context()
    import yaml

    from kg.catalog import default_data_dir

    planning = yaml.safe_load((default_data_dir() / "planning.yaml").read_text("utf-8"))
    car = planning["transport"]["car"]
    fit = fit_from_roads(
        ctx.catalog,
        rm,
        current_factor=ctx.circuity.factor,
        current_speed_kmh=float(car["speed_kmh"]),
    )
    c = fit.circuity
    names = {k: s.name_zh for k, s in ctx.catalog.sites.items()}
    worst = sorted(c.residuals, key=lambda r: -abs(r[4] - r[2]) / r[2])[:limit]
    table = circuity_table(
        f"circuity re-fitted on {fit.source}: {c.factor:.4f} (n = {c.n} pairs; "
        f"{limit} largest errors)",
        worst,
        names,
    )
    out.print(table)
    out.print(
        f"road-fitted factor {c.factor:.3f}: mean abs error {c.mean_abs_error_km:.2f} km "
        f"({c.mean_abs_pct_error:.1f} %), max {c.max_abs_pct_error:.1f} %; the current "
        f"factor {fit.current_factor:.3f} (fitted on the table): "
        f"{fit.current_mean_abs_pct_error:.1f} %",
        highlight=False,
    )
    out.print(
        f"drive speed fitted on road minutes {fit.speed_kmh:.1f} km/h "
        f"(mean abs error {fit.speed_mean_abs_pct_error:.1f} %); planning.yaml's car speed "
        f"{fit.current_speed_kmh:g} km/h: {fit.current_speed_mean_abs_pct_error:.1f} %",
        highlight=False,
    )
