"""``heritage kg …``: build, validate and query the heritage knowledge graph.

Mounted by :mod:`planner.cli` as ``heritage kg``. Each command parses its options, calls
:mod:`kg.build` / :mod:`kg.queries`, and renders a rich table or JSON; the library never
imports typer or rich. Domain errors become a short message and exit code 2.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import asdict, is_dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from common.errors import UserError
from planner.cli_common import err, new_app, out, print_json

app = new_app("The heritage knowledge graph: build (SHACL-validated), query, explain.")


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Store(StrEnum):
    memory = "memory"
    oxigraph = "oxigraph"


_FMT = typer.Option(Fmt.table, "--format", help="table, json or csv")
_STORE = typer.Option(None, "--store", help="memory or oxigraph (default: $HERITAGE_KG_STORE)")
_GRAPH = typer.Option(None, "--graph", help="Turtle file (default: artifacts/kg/graph.ttl)")


def _open(graph: Path | None, store: Store | None) -> Any:
    from kg.store import open_graph

    return open_graph(graph, store=store.value if store else None)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)


def _emit(rows: list[dict[str, Any]], columns: list[str], fmt: Fmt, title: str = "") -> None:
    if fmt is Fmt.json:
        print_json(_plain(rows))
        return
    if fmt is Fmt.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _plain(r.get(k)) for k in columns})
        return
    table = Table(title=title or None)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        cells = ("" if r.get(c) is None else str(_plain(r.get(c))) for c in columns)
        table.add_row(*(x if len(x) <= 80 else x[:79] + "…" for x in cells))
    out.print(table)


def _km(x: float | None) -> str | None:
    return None if x is None else f"{x:.2f}"


# ============================================================================ build


@app.command("build")
def build_cmd(
    data_dir: Path | None = typer.Option(None, "--data-dir", help="catalog folder"),
    out_dir: Path | None = typer.Option(None, "--out", help="output folder (artifacts/kg)"),
    nlp: list[Path] | None = typer.Option(
        None, "--nlp", help="NLP artifacts root, stage folder or table (repeatable)"
    ),
    no_nlp: bool = typer.Option(False, "--no-nlp", help="build from the catalog only"),
    force: bool = typer.Option(False, "--force", help="rebuild even if nothing changed"),
) -> None:
    """Build graph.ttl, graph.jsonld and shacl_report.txt (skipped when inputs are unchanged)."""
    from kg.build import run_build

    res = run_build(data_dir, out_dir, nlp_paths=[] if no_nlp else nlp, force=force)
    state = "built" if res.rebuilt else "up to date (inputs unchanged)"
    out.print(f"{res.out_dir}: {state}; {res.triples} triples; SHACL conforms")
    tables = res.manifest.get("nlp_tables") or []
    out.print("NLP tables: " + (", ".join(tables) if tables else "none (catalog only)"))
    for w in res.warnings:
        err.print(f"warning: {w}", highlight=False, markup=False)
    if res.seconds:
        out.print("time: " + ", ".join(f"{k} {v:.2f} s" for k, v in res.seconds.items()))


@app.command("validate")
def validate_cmd(graph: Path | None = _GRAPH) -> None:
    """Validate an existing Turtle file against data/ontology/shapes.ttl."""
    from rdflib import Graph

    from kg.store import DEFAULT_TTL
    from kg.validate import validate_graph

    path = graph or DEFAULT_TTL
    if not path.exists():
        raise FileNotFoundError(f"no graph at {path}; run `heritage kg build` first")
    report = validate_graph(Graph().parse(path, format="turtle"))
    sys.stdout.write(report.text)
    raise typer.Exit(0 if report.conforms else 1)


# ============================================================================ queries


@app.command("query")
def query_cmd(
    file: Path = typer.Argument(..., help="a SPARQL SELECT query (.rq)"),
    bind: list[str] | None = typer.Option(
        None, "--bind", help="NAME=VALUE (IRI <…>, site:ID, number, or text); repeatable"
    ),
    fmt: Fmt = _FMT,
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """Run a researcher's SPARQL file; parameters are bound, never pasted into the text."""
    from kg.queries import run_query_file

    bindings = {}
    for b in bind or []:
        name, sep, value = b.partition("=")
        if not sep:
            raise UserError(f"--bind needs NAME=VALUE, got {b!r}")
        bindings[name.strip().lstrip("?")] = value
    variables, rows = run_query_file(_open(graph, store), file, bindings)
    _emit(rows, variables, fmt, title=str(file))


@app.command("serve")
def serve_cmd(
    port: int = typer.Option(7878, "--port", help="TCP port"),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="address to listen on (0.0.0.0 exposes it to the network)"
    ),
    graph: Path | None = _GRAPH,
    cors: bool = typer.Option(False, "--cors", help="allow cross-origin requests"),
    timeout: int | None = typer.Option(None, "--timeout", help="stop a query after N seconds"),
) -> None:
    """A read-only SPARQL 1.1 endpoint over the graph (Oxigraph's server; Ctrl-C stops it)."""
    import os

    from kg.endpoint import prepare

    ep = prepare(graph, host=host, port=port, cors=cors, timeout_s=timeout)
    out.print(f"SPARQL endpoint (read-only): {ep.url}", markup=False, highlight=False)
    out.print(f"snapshot: {ep.snapshot}", markup=False, highlight=False)
    out.print("examples: docs/sparql.md · Ctrl-C stops the server", markup=False, highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(ep.command[0], list(ep.command))  # the server replaces this process


@app.command("sites")
def sites_cmd(
    theme: str | None = typer.Option(None, "--theme", help="theme id or name (石刻)"),
    area: str | None = typer.Option(None, "--area", help="area name (安岳县, 四川省)"),
    kind: str | None = typer.Option(None, "--kind", help="catalog kind (rock_carving …)"),
    fmt: Fmt = _FMT,
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """Sites by theme and/or administrative area; with --theme, why each site is a member."""
    from kg.queries import sites_by, theme_reasons

    kg = _open(graph, store)
    sites = sites_by(kg, theme=theme, area=area, kind=kind)
    reasons = theme_reasons(kg, theme) if theme is not None else {}
    rows = []
    for s in sites:
        row = {**asdict(s), "coords": "approx" if s.approximate else (s.coord_confidence or "none")}
        why = reasons.get(s.id)
        if why is not None:
            row |= {
                "rule": why.rule,
                "reason": why.reason_en,
                "reason_zh": why.reason_zh,
                "reason_source": why.source,
            }
        rows.append(row)
    cols = ["id", "name_zh", "kind", "lat", "lon", "coords", "popularity"]
    if theme is not None:
        cols = ["id", "name_zh", "kind", "coords", "rule", "reason"]
        if fmt is not Fmt.table:
            cols += ["reason_zh", "reason_source", "lat", "lon", "popularity"]
    _emit(rows, cols, fmt)


@app.command("near")
def near_cmd(
    site: str = typer.Argument(..., help="site name or id"),
    radius: float = typer.Option(10.0, "--radius", help="km"),
    fmt: Fmt = _FMT,
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """Heritage, food, events and experience bases at or near a site."""
    from kg.queries import heritage_near

    res = heritage_near(_open(graph, store), site, radius_km=radius)
    rows = [asdict(h) for h in res.items]
    rows += [
        {
            "item_id": b.site.id,
            "name_zh": b.site.name_zh,
            "category": f"base:{b.site.kind}",
            "relation": "nearby",
            "via": "nearby",
            "via_id": b.site.id,
            "distance_km": _km(b.km),
            "source": b.source or ("approximate coordinates" if b.approximate else "coordinates"),
        }
        for b in res.bases
    ]
    cols = ["item_id", "name_zh", "category", "relation", "via", "via_id", "distance_km"]
    cols += ["source"] if fmt is not Fmt.table else []
    _emit(rows, cols, fmt, title=f"{res.site.name_zh} ({res.site.id}), {radius:g} km")


@app.command("within")
def within_cmd(
    site: str = typer.Argument(..., help="site name or id, or LAT,LON"),
    radius: float = typer.Option(10.0, "--radius", help="km"),
    fmt: Fmt = _FMT,
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """Sites within R km of a site or a point, with how each distance is known."""
    from kg.queries import sites_within

    center: Any = site
    parts = site.replace("，", ",").split(",")
    if len(parts) == 2:
        try:
            center = (float(parts[0]), float(parts[1]))
        except ValueError:
            center = site
    res = sites_within(_open(graph, store), center, radius)
    rows = [
        {
            "id": n.site.id,
            "name_zh": n.site.name_zh,
            "straight_km": _km(n.straight_km),
            "approximate": n.approximate,
            "documented_km": _km(n.documented_km),
            "documented_kind": n.documented_kind,
            "source": n.source,
        }
        for n in res
    ]
    cols = ["id", "name_zh", "straight_km", "approximate", "documented_km", "documented_kind"]
    _emit(rows, [*cols, "source"] if fmt is not Fmt.table else cols, fmt)


@app.command("profile")
def profile_cmd(
    site: str = typer.Argument(..., help="site name or id"),
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
    fmt: Fmt = typer.Option(Fmt.table, "--format", help="table or json"),
) -> None:
    """Facts, keywords, topics, sentiment, heritage and similar sites of one site."""
    from kg.queries import site_profile

    p = site_profile(_open(graph, store), site, include_similar=True)
    if fmt is not Fmt.table:
        print_json(_plain(p))
        return

    def say(text: str, style: str | None = None) -> None:
        out.print(text, markup=False, highlight=False, style=style)

    s = p.site
    say(f"{s.name_zh} {s.name_en} ({s.id}, {s.kind})", style="bold")
    say("areas: " + " → ".join(f"{n} ({a})" for a, n, _ in p.areas))
    for field_name, values in sorted(p.facts.items()):
        if field_name in {"source", "note", "coordinate_method"}:
            continue
        say(f"{field_name}: " + "; ".join(values))
    pop = f"{s.popularity:g} ({s.popularity_method})" if s.popularity is not None else "—"
    say(f"popularity: {pop}")
    kw = ", ".join(f"{t} {w:.2f}" for t, w in p.keywords) or "—"
    say(f"keywords: {kw}")
    for aid, kws in p.area_keywords.items():
        say(f"keywords of {aid}: " + ", ".join(f"{t} {w:.2f}" for t, w in kws))
    for t in p.topics:
        terms = "、".join(term for term, _ in t["terms"])
        say(f"topic {t['topic']} ({t['subject']}): {terms}")
    for sm in p.sentiment:
        say(f"sentiment {sm['aspect']} ({sm['subject']}): {sm['score']:.3f} (n={sm['n']})")
    for h in p.heritage:
        say(f"heritage: {h.name_zh} ({h.item_id}) — {h.relation} via {h.via_name}")
    for sim in p.similar:
        say(f"similar: {sim.site.name_zh} ({sim.site.id}) {sim.score:.3f} [{sim.method}]")


def _similar_rows(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": x.site.id,
            "name_zh": x.site.name_zh,
            "score": f"{x.score:.3f}",
            "method": x.method,
            "popularity": x.popularity,
            "popularity_of_reference": x.reference_popularity,
            "popularity_method": x.popularity_method,
        }
        for x in items
    ]


_SIM_COLS = ["id", "name_zh", "score", "method", "popularity", "popularity_method"]


@app.command("similar")
def similar_cmd(
    site: str = typer.Argument(..., help="site name or id"),
    top: int = typer.Option(5, "--top"),
    fmt: Fmt = _FMT,
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """Sites most similar to a site."""
    from kg.queries import similar_sites

    res = similar_sites(_open(graph, store), site, top_k=top)
    _emit(_similar_rows(res), _SIM_COLS, fmt)


@app.command("gems")
def gems_cmd(
    site: str = typer.Argument(..., help="site name or id"),
    top: int = typer.Option(5, "--top"),
    min_score: float = typer.Option(0.3, "--min-score"),
    fmt: Fmt = _FMT,
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """Hidden gems: similar to a site but less popular (corpus mentions or designation level)."""
    from kg.queries import hidden_gems

    res = hidden_gems(_open(graph, store), site, top_k=top, min_score=min_score)
    _emit(_similar_rows(res), [*_SIM_COLS, "popularity_of_reference"], fmt)


@app.command("explain")
def explain_cmd(
    a: str = typer.Argument(..., help="first entity (site, heritage item, area, theme)"),
    b: str = typer.Argument(..., help="second entity"),
    paths: int = typer.Option(5, "--paths"),
    keywords: bool = typer.Option(False, "--keywords", help="also connect through keywords"),
    fmt: Fmt = typer.Option(Fmt.table, "--format", help="table or json"),
    store: Store | None = _STORE,
    graph: Path | None = _GRAPH,
) -> None:
    """How two entities are connected: the most specific paths through the graph."""
    from kg.queries import explain_connection

    kg = _open(graph, store)
    conns = explain_connection(kg, a, b, max_paths=paths, include_keywords=keywords)
    if fmt is not Fmt.table:
        print_json(_plain(conns))
        return
    if not conns:
        out.print("not connected within 6 hops")
        raise typer.Exit(1)
    for k, c in enumerate(conns, 1):
        head = f"{k}. " + " — ".join(c.labels) + f"  (cost {c.cost:.2f})"
        out.print(head, markup=False, highlight=False, style="bold")
        for h in c.hops:
            out.print(f"     {h.text()}", markup=False, highlight=False)
