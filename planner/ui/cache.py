"""The app's caches: the only module with ``st.cache_resource`` and ``st.cache_data``.

``cache_resource`` holds the loaded, read-only data (catalog + distance graph, knowledge
graph); ``cache_data`` holds answers keyed on their plain arguments (plans, comparisons, site
cards, insights). Expected failures (an impossible trip) are returned as values, so they are
cached too and never surface as a traceback.

A new server process shows its first page without the knowledge graph: the theme table and
the default plan come from the on-disk snapshot (:mod:`planner.ui.snapshot`) when it matches
the current data, graph and code, and :func:`prefetch_graph` loads the graph in the background
once the page is out, so the first change a visitor makes finds it loaded.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from kg import queries
from kg.store import KnowledgeGraph, open_graph
from planner import service
from planner.itinerary import plan_itinerary
from planner.messages import Message, msg
from planner.model import Itinerary
from planner.themes import load_planning
from planner.ui import snapshot
from planner.ui.data import Insights, load_insights
from planner.ui.state import PlanInputs

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def context() -> service.Context:
    """Catalog, distance-table graph and fitted circuity (read-only; never mutate); from the
    snapshot when it is current."""
    ctx = snapshot.load_context()
    if ctx is None:
        ctx = service.load_context()
        snapshot.save_context(ctx)
    return ctx


@st.cache_resource(show_spinner=False)
def knowledge_graph() -> KnowledgeGraph:
    """The knowledge graph (built from the catalog on first use if missing or stale)."""
    return open_graph()


_prefetch: dict[str, threading.Thread] = {}
_prefetch_lock = threading.Lock()


def _load_graph_quietly() -> None:
    t0 = time.perf_counter()
    try:
        kg = knowledge_graph()
    except Exception:  # the page that needs it will show the error
        log.exception("loading the knowledge graph in the background failed")
        return
    log.info("knowledge graph ready (%d triples) after %.1f s", len(kg), time.perf_counter() - t0)


def prefetch_graph() -> None:
    """Start loading the knowledge graph in a background thread (once per process).

    Called when a page has been sent: a first page served from the snapshot did not need the
    graph, the visitor's next change will. A page that needs the graph first waits for this
    load (one load per process: :func:`knowledge_graph` holds a lock per value).
    """
    with _prefetch_lock:
        if "graph" not in _prefetch:
            thread = threading.Thread(
                target=_load_graph_quietly, name="heritage-graph-prefetch", daemon=True
            )
            _prefetch["graph"] = thread
            thread.start()


def wait_for_graph(timeout: float | None = None) -> bool:
    """Wait for :func:`prefetch_graph`'s load (True when none is running any more)."""
    with _prefetch_lock:
        thread = _prefetch.get("graph")
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


@dataclass(frozen=True)
class Outcome:
    """A plan, or the user-readable reason there is none (rendered in the user's language)."""

    itinerary: Itinerary | None = None
    error: Message | None = None


def _reason(exc: Exception) -> Message:
    return exc.message if isinstance(exc, service.PlanError) else msg("text", text=str(exc))


@st.cache_data(max_entries=256, show_spinner=False)
def plan(inputs: PlanInputs) -> Outcome:
    """The optimised itinerary for ``inputs`` (the default inputs' plan from the snapshot when
    it is current)."""
    saved = snapshot.load_plan(inputs)
    if saved is not None:
        return Outcome(itinerary=saved)
    try:
        it = plan_itinerary(inputs.to_request(), ctx=context(), kgraph=knowledge_graph())
    except (service.PlanError, LookupError) as exc:
        return Outcome(error=_reason(exc))
    snapshot.save_plan(inputs, it)
    return Outcome(itinerary=it)


@st.cache_data(max_entries=64, show_spinner=False)
def baseline(inputs: PlanInputs) -> Outcome:
    """The greedy-insertion baseline for the same request.

    Same as :func:`planner.itinerary.greedy_baseline`, but on the app's loaded knowledge graph
    (``greedy_baseline`` takes no graph and would load a second copy).
    """
    req = replace(inputs.to_request(), solver="greedy")
    try:
        return Outcome(itinerary=plan_itinerary(req, ctx=context(), kgraph=knowledge_graph()))
    except (service.PlanError, LookupError) as exc:
        return Outcome(error=_reason(exc))


@dataclass(frozen=True)
class LineTours:
    """The report's greedy tour of a line and the shortest tour (``plan_to_dict`` forms)."""

    greedy: dict[str, Any] | None = None
    best: dict[str, Any] | None = None
    error: Message | None = None


@st.cache_data(max_entries=16, show_spinner=False)
def line_tours(line: str) -> LineTours:
    """Greedy (the report's method) and ``auto`` (exact / LKH-3) tours of a built-in line."""
    ctx = context()
    try:
        tours = {
            solver: service.plan_to_dict(
                service.plan_route(line=line, solver=solver, distances="auto", ctx=ctx)
            )
            for solver in ("greedy", "auto")
        }
    except (service.PlanError, LookupError) as exc:
        return LineTours(error=_reason(exc))
    return LineTours(greedy=tours["greedy"], best=tours["auto"])


@st.cache_data(show_spinner=False)
def theme_table() -> list[tuple[str, str, str]]:
    """``(theme id, label_zh, label_en)`` of the graph's themes (from the snapshot when it is
    current)."""
    rows = snapshot.load_themes()
    if rows is None:
        rows = queries.themes(knowledge_graph())
        snapshot.save_themes(rows)
    return rows


@st.cache_data(show_spinner=False)
def default_hot_share() -> float:
    """The planning assumptions' default famous/lesser-known balance."""
    return float(load_planning()["scoring"]["hot_share"])


def default_drive_hours(mode: str) -> float:
    """The planning assumptions' default most hours of travel a day for ``mode``."""
    planning = load_planning()
    default = planning["day"].get("max_drive_hours", 24.0)
    return float(planning["transport"].get(mode, {}).get("max_drive_hours", default))


@dataclass(frozen=True)
class SiteCard:
    """What the graph says about one site, for its card and its graph view."""

    profile: queries.SiteProfile
    near: queries.NearbyHeritage
    gems: list[queries.SimilarSite] = field(default_factory=list)


@st.cache_data(max_entries=64, show_spinner=False)
def site_card(site_id: str, radius_km: float = 10.0) -> SiteCard | None:
    """Profile, heritage and bases within ``radius_km``, and lesser-known alternatives."""
    kg = knowledge_graph()
    try:
        return SiteCard(
            profile=queries.site_profile(kg, site_id),
            near=queries.heritage_near(kg, site_id, radius_km=radius_km),
            gems=queries.hidden_gems(kg, site_id),
        )
    except LookupError:
        log.warning("site %s is not in the knowledge graph", site_id)
        return None


@dataclass(frozen=True)
class Connections:
    """Paths between two entities, or why there are none."""

    paths: list[queries.Connection] = field(default_factory=list)
    unknown: str | None = None
    suggestions: list[str] = field(default_factory=list)


@st.cache_data(max_entries=64, show_spinner=False)
def connections(a: str, b: str, include_keywords: bool = False) -> Connections:
    """How ``a`` and ``b`` are connected in the graph (up to 4 paths of at most 6 hops)."""
    kg = knowledge_graph()
    try:
        paths = queries.explain_connection(
            kg, a, b, max_paths=4, max_hops=6, include_keywords=include_keywords
        )
    except queries.UnknownEntityError as exc:
        return Connections(unknown=exc.name, suggestions=exc.suggestions)
    except ValueError:  # the same entity twice
        return Connections()
    return Connections(paths=paths)


@st.cache_data(max_entries=4, show_spinner=False)
def insights(folders: Mapping[str, str]) -> Insights:
    """The NLP artifacts' tables, keyed on the artifact folders (a new run is a new key)."""
    return load_insights(folders)


@st.cache_data(max_entries=32, show_spinner=False)
def file_bytes(path: str) -> bytes:
    """A file's content (word-cloud images)."""
    with open(path, "rb") as fh:
        return fh.read()


# ----------------------------------------------------------------------------- exports


@st.cache_data(show_spinner=False)
def export_formats() -> list[str]:
    """The download formats ``planner.export`` renders (without JSON, which the app writes
    itself); empty when the export module or a format's renderer is not installed."""
    try:
        from planner import export
    except ImportError:
        return []
    out = []
    for fmt in getattr(export, "FORMATS", ()):
        if fmt == "json":
            continue
        module = "brochure" if fmt in ("pdf", "html") else "formats"
        if importlib.util.find_spec(f"planner.export.{module}") is not None:
            out.append(fmt)
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def export_bytes(inputs: PlanInputs, fmt: str, lang: str) -> bytes:
    """The plan for ``inputs`` as ``fmt`` (brochure, GPX, GeoJSON, KML, ICS) in ``lang``."""
    from planner import export

    outcome = plan(inputs)
    if outcome.itinerary is None:
        raise service.PlanError(outcome.error or msg("text", text="no plan"))
    facts = fmt in ("pdf", "html", "ics")
    data = export.collect(
        outcome.itinerary,
        catalog=context().catalog,
        kgraph=knowledge_graph() if facts else None,
        with_facts=facts,
    )
    return export.render(data, fmt, lang=lang)
