"""The ``heritage`` command line: lines, plans, catalog checks (and the nlp/kg sub-commands)."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from planner import service
from planner.cli_common import Fmt, circuity_table, new_app, out, print_json
from planner.cli_export import export_cmd
from planner.cli_kg import app as kg_app
from planner.cli_nlp import app as nlp_app
from planner.cli_roads import app as roads_app
from planner.model import Day
from planner.trip.request import Effort, Lodging, Mode, Pace
from planner.trip.request import Solver as TripSolver

app = new_app("heritage-routes: plan cultural-heritage routes in the Chengdu–Chongqing region.")
catalog_app = new_app("Inspect and maintain the site catalog.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(nlp_app, name="nlp")
app.add_typer(kg_app, name="kg")
app.add_typer(roads_app, name="roads")
app.command("export")(export_cmd)


class Solver(StrEnum):
    auto = "auto"
    exact = "exact"
    greedy = "greedy"
    local = "local"
    lkh = "lkh"
    given = "given"


class Provider(StrEnum):
    seed = "seed"
    estimate = "estimate"
    auto = "auto"
    best = "best"


@app.command("lines")
def lines_cmd(fmt: Fmt = typer.Option(Fmt.table, "--format", help="table or json")) -> None:
    """List the built-in lines and their sites."""
    ctx = service.load_context()
    cat = ctx.catalog
    if fmt is Fmt.json:
        print_json(
            {
                lid: {
                    "name_zh": ln.name_zh,
                    "name_en": ln.name_en,
                    "start": ln.start,
                    "loop": ln.loop,
                    "sites": [{"id": s, "name_zh": cat.sites[s].name_zh} for s in ln.sites],
                }
                for lid, ln in cat.lines.items()
            }
        )
        return
    for lid, ln in cat.lines.items():
        kind = "loop" if ln.loop else "open path"
        head = f"[bold]{lid}[/]  {ln.name_zh} / {ln.name_en}"
        out.print(f"{head}  ({len(ln.sites)} sites, {kind})")
        for k, s in enumerate(ln.sites, 1):
            site = cat.sites[s]
            mark = " (start)" if s == ln.start else ""
            out.print(f"  {k:2d}. {site.name_zh} [dim]{s}[/]{mark}", highlight=False)


@app.command("plan")
def plan_cmd(
    line: str | None = typer.Option(None, "--line", help="a built-in line (see `heritage lines`)"),
    sites: str | None = typer.Option(None, "--sites", help="comma-separated names or ids"),
    start: str | None = typer.Option(None, "--start", help="where the route starts"),
    end: str | None = typer.Option(None, "--end", help="where an open route must end"),
    loop: bool | None = typer.Option(None, "--loop/--open", help="return to the start"),
    solver: Solver = typer.Option(Solver.auto, "--solver"),
    distances: Provider = typer.Option(Provider.seed, "--distances"),
    fmt: Fmt = typer.Option(Fmt.table, "--format"),
) -> None:
    """Plan the shortest tour over a line or a list of sites, explaining every leg."""
    if line is None and sites is None:
        raise service.PlanError("give --line NAME or --sites A,B,...")
    if line is not None and sites is not None:
        raise service.PlanError("give --line or --sites, not both")
    site_list = [s.strip() for s in sites.replace("，", ",").split(",")] if sites else None
    plan = service.plan_route(
        line=line,
        sites=site_list,
        start=start,
        end=end,
        loop=loop,
        solver=solver.value,
        distances=distances.value,
    )
    if fmt is Fmt.json:
        print_json(service.plan_to_dict(plan))
        return
    _print_plan(plan)


def _print_plan(plan: service.RoutePlan) -> None:
    names = {s.id: s.name_zh for s in plan.stops}
    ctx = service.load_context()
    table = Table(title=f"{plan.line or 'custom route'} — {plan.total_km:.2f} km")
    for col in ("#", "stop", "leg km", "cumulative", "via", "source"):
        table.add_column(col)
    table.add_row("1", f"{plan.stops[0].name_zh} ({plan.stops[0].id})", "", "0.00", "", "")
    cum = 0.0
    for k, leg in enumerate(plan.legs, 2):
        cum += leg.km
        via = " → ".join(ctx.catalog.sites[v].name_zh for v in leg.via)
        name = names.get(leg.to_id, leg.to_id)
        stop = f"{name} ({leg.to_id})"
        table.add_row(str(k), stop, f"{leg.km:.2f}", f"{cum:.2f}", via, leg.source)
    out.print(table)
    proof = "proved optimal" if plan.proved_optimal else "not proved optimal"
    extra = f", circuity factor {plan.circuity_factor:.3f}" if plan.circuity_factor else ""
    out.print(f"solver: {plan.solver} ({proof}); distances: {plan.distances}{extra}")


def _weights(spec: str | None) -> tuple[tuple[str, float], ...]:
    if not spec:
        return ()
    out = []
    for part in spec.split(","):
        name, _, value = part.partition("=")
        try:
            out.append((name.strip(), float(value) if value else 1.0))
        except ValueError:
            raise service.PlanError(f"bad theme weight {part!r}; write theme=number") from None
    return tuple(out)


def _names(spec: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (spec or "").replace("，", ",").split(",") if x.strip())


def _theme_spec(spec: str) -> tuple[str, tuple[tuple[str, float], ...]]:
    """``stone-carving`` → one theme; ``stone-carving=2,sichuan-opera=1`` → a mixed trip."""
    if "=" not in spec and "," not in spec:
        return spec, ()
    return "mixed", _weights(spec)


def _day_table(k: int, d: Day, names: dict[str, str]) -> Table:
    """One day of an itinerary as a table (lunch where it is taken)."""
    table = Table(
        title=f"day {k} · {d.date} · {names[d.start_id]} → {names[d.end_id]} · "
        f"{d.drive_min / 60:.1f} h travel · {d.slack_min:.0f} min spare"
    )
    for col in ("time", "what", "km", "min", "source"):
        table.add_column(col)
    where = names.get(d.lunch_at, "on the way") if d.lunch_at else "on the way"
    lunch = (f"{d.lunch:%H:%M}", f"lunch ({where})", "", "", "") if d.lunch else None
    table.add_row(d.leave.strftime("%H:%M"), f"leave {names[d.start_id]}", "", "", "")
    prev = d.leave
    for leg, stop in zip(d.legs, [*d.stops, None], strict=False):
        nxt = stop.arrive if stop is not None else d.back
        if lunch and d.lunch is not None and prev <= d.lunch < nxt:
            table.add_row(*lunch)
            lunch = None
        table.add_row(
            "", f"  → {names[leg.to_id]}", f"{leg.km:.1f}", f"{leg.minutes:.0f}", leg.source
        )
        if stop is not None:
            table.add_row(
                f"{stop.start:%H:%M}–{stop.depart:%H:%M}",
                f"{stop.name_zh} ({stop.visit_min:.0f} min"
                + (f", wait {stop.wait_min:.0f}" if stop.wait_min >= 1 else "")
                + ")",
                "",
                "",
                "",
            )
            if lunch and d.lunch is not None and d.lunch < stop.depart:
                table.add_row(*lunch)
                lunch = None
            prev = stop.depart
    table.add_row(d.back.strftime("%H:%M"), f"arrive {names[d.end_id]}", "", "", "")
    if lunch:
        table.add_row(*lunch)
    return table


@app.command("itinerary")
def itinerary_cmd(
    theme: str = typer.Option(
        "stone-carving",
        "--theme",
        help="a theme, or several with weights for a mixed trip: stone-carving=2,sichuan-opera=1",
    ),
    days: int = typer.Option(3, "--days", min=1, max=14),
    start: str = typer.Option("大足城区", "--start", help="first morning's town"),
    date: str | None = typer.Option(None, "--date", help="first day, YYYY-MM-DD (default today)"),
    mode: Mode = typer.Option(Mode.car, "--mode"),
    pace: Pace = typer.Option(Pace.normal, "--pace"),
    must: str | None = typer.Option(None, "--must", help="comma-separated must-see sites"),
    avoid: str | None = typer.Option(None, "--avoid", help="comma-separated sites to skip"),
    end: str | None = typer.Option(None, "--end", help="where the last day must end"),
    lodging: Lodging = typer.Option(
        Lodging.choose, "--lodging", help="choose (best town each night) or fixed"
    ),
    max_drive_hours: float | None = typer.Option(
        None, "--max-drive-hours", help="most hours of travel a day (default planning.yaml)"
    ),
    earliest_start: str | None = typer.Option(
        None, "--earliest-start", help="leave no earlier than this each day, HH:MM"
    ),
    theme_per_day: str | None = typer.Option(
        None, "--theme-per-day", help="a theme every day must include, e.g. stone-carving"
    ),
    effort: Effort = typer.Option(Effort.normal, "--effort"),
    solver: TripSolver = typer.Option(TripSolver.auto, "--solver"),
    times: Path | None = typer.Option(
        None,
        "--times",
        help="CSV of travel times you know (from,to,minutes[,km,mode,directed,source]); "
        "they replace the estimates for those pairs",
    ),
    fmt: Fmt = typer.Option(Fmt.table, "--format"),
) -> None:
    """Plan a multi-day themed trip with opening hours, visit lengths and lodging."""
    import datetime as dt

    from planner.itinerary import TripRequest, plan_itinerary
    from planner.model import itinerary_to_dict
    from planner.traveltimes import load_travel_times

    try:
        day0 = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        raise service.PlanError(f"bad --date {date!r}; use YYYY-MM-DD") from None
    theme_id, weights = _theme_spec(theme)
    req = TripRequest(
        theme=theme_id,
        days=days,
        start=start,
        date=day0,
        mode=mode,
        pace=pace,
        must=_names(must),
        avoid=_names(avoid),
        end=end,
        lodging=lodging,
        weights=weights,
        theme_per_day=theme_per_day,
        max_drive_hours=max_drive_hours,
        day_start=earliest_start,
        effort=effort,
        solver=solver,
    )
    if times:  # (a TravelTimesError lists every bad line; the error boundary prints it)
        known = load_travel_times(times, service.load_context().catalog)
        req = replace(req, travel_times=known)
    it = plan_itinerary(req)
    if fmt is Fmt.json:
        print_json(itinerary_to_dict(it))
        return
    names = {s.id: s.name_zh for s in service.load_context().catalog.sites.values()}
    out.print(
        f"[bold]{escape(str(it.title))}[/] — {it.total_km:.1f} km, "
        f"{it.total_drive_min / 60:.1f} h of travel, score {it.total_score:.2f}"
    )
    p = it.params
    out.print(
        f"objective: score − {p.get('drive_weight', 0):g} × drive hours; at most "
        f"{p.get('max_drive_hours', 24):g} h of travel a day; "
        f"{p.get('end_slack_min', 0):g} min spare at the end of each day",
        highlight=False,
    )
    for k, d in enumerate(it.days, 1):
        out.print(_day_table(k, d, names))
    if it.dropped:
        out.print("[bold]left out[/]")
        for x in it.dropped:
            why = f" — {x.detail}" if x.detail is not None else ""
            out.print(f"  {x.name_zh} ({x.site_id}): {x.reason}{why}", highlight=False)
    for w in it.warnings:
        out.print(f"[yellow]note:[/] {escape(str(w))}")
    out.print(f"solver: {it.solver}")


@catalog_app.command("check")
def catalog_check(fmt: Fmt = typer.Option(Fmt.table, "--format")) -> None:
    """Validate the catalog and show which coordinates are approximate."""
    ctx = service.load_context()
    cat = ctx.catalog
    rows: list[dict[str, Any]] = [
        {
            "id": s.id,
            "name_zh": s.name_zh,
            "lat": s.lat,
            "lon": s.lon,
            "coord_confidence": s.coord_confidence or "none",
            "coord_method": s.coord_method,
        }
        for s in cat.sites.values()
    ]
    fit = ctx.circuity
    summary: dict[str, Any] = {
        "sites": len(cat.sites),
        "lines": {k: len(v.sites) for k, v in cat.lines.items()},
        "seed_edges": len(cat.seed_edges),
        "without_coordinates": [r["id"] for r in rows if r["lat"] is None],
        "approximate": [r["id"] for r in rows if r["coord_confidence"] == "approx"],
        "circuity": {
            "factor": round(fit.factor, 4),
            "pairs": fit.n,
            "mean_abs_error_km": round(fit.mean_abs_error_km, 2),
            "mean_abs_pct_error": round(fit.mean_abs_pct_error, 1),
        },
    }
    from kg.units import unit_summary

    summary["region"] = region = unit_summary(cat)
    for r, s in zip(rows, cat.sites.values(), strict=True):
        r["precision"] = s.precision if s.has_coords else "none"
    if fmt is Fmt.json:
        print_json({"summary": summary, "sites": rows})
        return
    table = Table(title=f"catalog: {len(rows)} sites — OK")
    for col in ("id", "name_zh", "lat", "lon", "confidence", "method"):
        table.add_column(col, overflow="fold")
    for r in rows:
        conf = r["coord_confidence"]
        style = {"approx": "yellow", "none": "red"}.get(conf, "")
        table.add_row(
            r["id"],
            r["name_zh"],
            "" if r["lat"] is None else f"{r['lat']:.5f}",
            "" if r["lon"] is None else f"{r['lon']:.5f}",
            f"[{style}]{conf}[/]" if style else conf,
            (r["coord_method"] or "")[:80],
        )
    out.print(table)
    out.print(
        f"{len(summary['approximate'])} approximate points, "
        f"{len(summary['without_coordinates'])} without coordinates; "
        f"circuity factor {fit.factor:.3f} fitted on {fit.n} road distances "
        f"(mean abs error {fit.mean_abs_error_km:.2f} km, {fit.mean_abs_pct_error:.1f} %)"
    )
    _print_region(region)


def _print_region(region: dict) -> None:
    """The national-unit and precision-class counts of ``catalog check``."""
    out.print(
        f"national units (全国重点文物保护单位): {region['national_units']} "
        f"(+{region['merged_items']} merged items); per province and batch: "
        + ", ".join(f"{k}: {v}" for k, v in region["per_province_batch"].items()),
        highlight=False,
    )
    out.print(
        "points by precision class: "
        + ", ".join(f"{k} {v}" for k, v in sorted(region["points_by_precision"].items()))
        + "; of the units' sites: "
        + ", ".join(f"{k} {v}" for k, v in sorted(region["unit_points_by_precision"].items())),
        highlight=False,
    )
    out.print(f"points without a source: {len(region['points_without_source'])}")
    if region["without_modern_county"]:
        out.print(
            f"[yellow]units whose modern county is not determined "
            f"({len(region['without_modern_county'])}):[/] "
            + ", ".join(region["without_modern_county"]),
            highlight=False,
        )


@catalog_app.command("geocode")
def catalog_geocode(
    key: str = typer.Option(
        "", "--key", envvar="AMAP_KEY", help="AMap Web Service key (or set AMAP_KEY)"
    ),
    sites: str | None = typer.Option(
        None, "--sites", help="comma-separated names; default: every approximate or missing point"
    ),
    out_file: Path = typer.Option(
        Path("artifacts/geocode_candidates.csv"), "--out", help="review file (CSV)"
    ),
    apply: bool = typer.Option(False, "--apply", help="write accepted points into sites.csv"),
    max_km: float = typer.Option(30.0, "--max-km", help="reject hits farther than this"),
) -> None:
    """Refine coordinates from AMap place search (GCJ-02 converted to WGS-84)."""
    from kg.catalog import default_data_dir
    from kg.geocode import apply_candidates, geocode_sites, write_candidates

    if not key:
        raise service.PlanError("an AMap Web Service key is needed: --key KEY or AMAP_KEY")
    cat = service.load_context().catalog
    if sites:
        targets = cat.resolve_many([x.strip() for x in sites.split(",") if x.strip()])
    else:
        targets = [
            s for s in cat.sites.values() if not s.has_coords or s.coord_confidence == "approx"
        ]
    try:
        cands = geocode_sites(targets, key, max_km=max_km)
    except OSError as exc:
        raise service.PlanError(f"could not reach the map service: {exc}") from exc
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_candidates(out_file, cands)
    accepted = sum(c.accepted for c in cands)
    out.print(
        f"{len(cands)} of {len(targets)} sites found, {accepted} plausible; review file: {out_file}"
    )
    if apply:
        changed = apply_candidates(default_data_dir() / "sites.csv", cands)
        out.print(f"updated {changed} rows of sites.csv (coord_confidence=medium)")


@app.command("fit-circuity")
def fit_circuity_cmd(
    roads: bool = typer.Option(False, "--roads", help="re-fit on the road matrix (and speed)"),
) -> None:
    """Show the road/straight-line factor fitted to known road distances, pair by pair."""
    if roads:
        from planner.cli_roads import fit_roads_cmd

        return fit_roads_cmd()
    ctx = service.load_context()
    fit = ctx.circuity
    names = {k: s.name_zh for k, s in ctx.catalog.sites.items()}
    table = circuity_table(f"circuity factor {fit.factor:.4f} (n = {fit.n})", fit.residuals, names)
    out.print(table)
    out.print(
        f"mean abs error {fit.mean_abs_error_km:.2f} km ({fit.mean_abs_pct_error:.1f} %), "
        f"max {fit.max_abs_pct_error:.1f} %"
    )


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
