"""What a new visitor's first page needs, kept on disk between server processes.

A new server process would otherwise parse the knowledge graph (seconds at region scale) and
plan the default trip before the first page shows. From the graph the first page needs only
the theme table and the default plan; both are written to
``<app cache>/first-page-<key>.json`` (``HERITAGE_APP_CACHE_DIR``, default ``artifacts/app``)
the first time they are computed and read back by the next process, so its first page needs
neither the graph nor the planner. The graph is then loaded in the background
(:func:`planner.ui.cache.prefetch_graph`).

The key covers everything the two answers depend on: the graph (its SHA-256, and only while
it is complete and built from the current catalog files — :func:`kg.store.current_graph_digest`;
otherwise nothing is read or written), every file of the data folder (catalog, planning
assumptions, opening hours, corpus), the manifests of the NLP and road artifacts, the
``HERITAGE_*`` variables, the project's code and the versions of the libraries that plan.
Any change gives a new key, and files of other keys are removed when one is written. Plans
are stored as :func:`planner.model.itinerary_to_dict` (lossless) and only for the default
inputs of a date (what a visitor without a link sees); every other plan is computed.

The loaded catalog (:class:`planner.service.Context`: sites, distance table, coordinates,
circuity) is kept beside it as ``context-<key>.pickle`` under the same key: unpickling takes
milliseconds where reading and checking the catalog files takes a noticeable part of a
second. It is read only from that folder, which only the app writes (a pickle runs code when
loaded: the folder must be as trusted as the code).

``python -m planner.ui.snapshot`` (run by ``make artifacts``, so by ``make run``) writes the
snapshot for today's default inputs before the server starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from common import settings
from common.artifacts import (
    atomic_write_bytes,
    atomic_write_json,
    code_hash,
    hash_params,
    library_versions,
)
from kg.store import current_graph_digest
from planner import service
from planner.model import Itinerary, PlanFileError, itinerary_from_dict, itinerary_to_dict
from planner.ui.state import PlanInputs

__all__ = [
    "enabled",
    "is_default",
    "load_context",
    "load_plan",
    "load_themes",
    "prewarm",
    "save_context",
    "save_plan",
    "save_themes",
]

log = logging.getLogger(__name__)

#: the project's packages whose code (and query / text files) shapes plans and themes
PACKAGES = ("common", "kg", "nlp", "routing", "planner")
CODE_SUFFIXES = (".py", ".rq", ".toml", ".yaml")
LIBRARIES = ("numpy", "scipy", "networkx", "ortools", "elkai", "rdflib", "pyoxigraph")
#: variables that never change an answer (secrets stay out of the key altogether)
_IGNORED_ENV = ("HERITAGE_NLP_AUTHOR_KEY", "HERITAGE_APP_CACHE_DIR")
#: plans kept per key (one per date; the oldest dates go first)
MAX_PLANS = 8
PREFIX = "first-page-"
CONTEXT_PREFIX = "context-"

#: the benchmark switches the snapshot off to time real re-plans of the default inputs
_state = {"enabled": True}


def enabled(value: bool | None = None) -> bool:
    """Whether snapshots are read and written (set with ``value``; returns the setting)."""
    if value is not None:
        _state["enabled"] = bool(value)
    return _state["enabled"]


def is_default(inputs: PlanInputs) -> bool:
    """True for the inputs a visitor without a link gets (for the inputs' date)."""
    return inputs.normalised() == PlanInputs(date=inputs.date).normalised()


def _tree(folder: Path, pattern: str = "*") -> dict[str, str]:
    """``{relative path: SHA-256}`` of the files under ``folder`` matching ``pattern``."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob(pattern))
        if p.is_file() and not p.name.startswith(".")
    }


def _code() -> str:
    root = settings.PROJECT_ROOT
    files = [
        p
        for pkg in PACKAGES
        for p in sorted((root / pkg).rglob("*"))
        if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts
    ]
    return code_hash(files)


def key() -> str | None:
    """The key of the current data, graph and code (``None`` when the graph is not current)."""
    graph = current_graph_digest()
    if graph is None:
        return None
    parts = {
        "graph": graph,
        "data": _tree(settings.data_dir()),
        "nlp": _tree(settings.nlp_artifacts_dir(), "manifest.json"),
        "roads": _tree(settings.roads_dir(), "manifest.json"),
        "env": {
            k: v
            for k, v in os.environ.items()
            if k.startswith("HERITAGE_") and k not in _IGNORED_ENV
        },
        "code": _code(),
        "libraries": library_versions(LIBRARIES),
        "python": sys.version,
    }
    return hash_params(parts)


def _path(k: str) -> Path:
    return settings.app_cache_dir() / f"{PREFIX}{k}.json"


def _read(k: str) -> dict[str, Any]:
    try:
        data = json.loads(_path(k).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _drop_other_keys(k: str) -> None:
    keep = {_path(k).name, _context_path(k).name}
    folder = settings.app_cache_dir()
    for old in [*folder.glob(f"{PREFIX}*.json"), *folder.glob(f"{CONTEXT_PREFIX}*.pickle")]:
        if old.name not in keep:
            old.unlink(missing_ok=True)


def _context_path(k: str) -> Path:
    return settings.app_cache_dir() / f"{CONTEXT_PREFIX}{k}.pickle"


def load_context() -> service.Context | None:
    """The catalog context saved for the current key, or ``None``."""
    k = key() if enabled() else None
    if not k:
        return None
    try:
        data = _context_path(k).read_bytes()
    except OSError:
        return None
    try:
        ctx = pickle.loads(data)  # written by save_context, into the app's own folder
    except Exception as exc:  # a file cut short or from other code: load the catalog instead
        log.warning("app snapshot context not read: %s", exc)
        return None
    return ctx if isinstance(ctx, service.Context) else None


def save_context(ctx: service.Context) -> None:
    """Keep the catalog context for the current key."""
    k = key() if enabled() else None
    if not k:
        return
    try:
        atomic_write_bytes(_context_path(k), pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL))
        _drop_other_keys(k)
    except OSError as exc:
        log.warning("app snapshot context not written: %s", exc)


def _update(k: str, change: dict[str, Any]) -> None:
    """Merge ``change`` into the snapshot of ``k`` (atomic write) and drop other keys' files."""
    data = {**_read(k), **change}
    try:
        atomic_write_json(_path(k), data)
        _drop_other_keys(k)
    except OSError as exc:  # a read-only deployment still serves, just without the snapshot
        log.warning("app snapshot not written: %s", exc)


def load_themes() -> list[tuple[str, str, str]] | None:
    """The theme table saved for the current key, or ``None``."""
    k = key() if enabled() else None
    rows = _read(k).get("themes") if k else None
    if not isinstance(rows, list):
        return None
    return [(str(t), str(zh), str(en)) for t, zh, en in rows]


def save_themes(rows: list[tuple[str, str, str]]) -> None:
    """Keep the theme table for the current key."""
    k = key() if enabled() else None
    if k:
        _update(k, {"themes": [list(r) for r in rows]})


def _plan_name(inputs: PlanInputs) -> str:
    return inputs.date.isoformat()


def load_plan(inputs: PlanInputs) -> Itinerary | None:
    """The plan saved for ``inputs`` (default inputs only) under the current key, or ``None``."""
    if not enabled() or not is_default(inputs):
        return None
    k = key()
    plans = _read(k).get("plans") if k else None
    saved = plans.get(_plan_name(inputs)) if isinstance(plans, dict) else None
    if not isinstance(saved, dict):
        return None
    try:
        return itinerary_from_dict(saved)
    except (PlanFileError, KeyError, TypeError, ValueError) as exc:
        log.warning("app snapshot plan not read: %s", exc)
        return None


def save_plan(inputs: PlanInputs, itinerary: Itinerary) -> None:
    """Keep the plan of ``inputs`` (default inputs only) for the current key."""
    if not enabled() or not is_default(inputs):
        return
    k = key()
    if not k:
        return
    plans = _read(k).get("plans")
    plans = dict(plans) if isinstance(plans, dict) else {}
    plans[_plan_name(inputs)] = itinerary_to_dict(itinerary)
    keep = sorted(plans)[-MAX_PLANS:]
    _update(k, {"plans": {d: plans[d] for d in keep}})


def prewarm(today: dt.date | None = None) -> Path | None:
    """Write the snapshot for the default inputs of ``today`` (default: today) unless it is
    there; return its file (``None`` when the graph is not current or the plan fails: the
    app then computes its first page itself)."""
    from kg import queries
    from kg.store import open_graph
    from planner.itinerary import plan_itinerary
    from planner.ui.state import default_date

    inputs = PlanInputs(date=default_date(today or dt.date.today()))
    if load_context() is None:
        save_context(service.load_context())
    if load_themes() is None or load_plan(inputs) is None:
        kg = open_graph()  # builds the graph first when it is missing or stale
        save_themes(queries.themes(kg))
        try:
            it = plan_itinerary(inputs.to_request(), ctx=service.load_context(), kgraph=kg)
        except (service.PlanError, LookupError) as exc:
            log.warning("no default plan to keep: %s", exc)
            return None
        save_plan(inputs, it)
    k = key()
    return _path(k) if k and _path(k).is_file() else None


if __name__ == "__main__":
    written = prewarm()
    print(f"app first page: {written}" if written else "app first page: not kept (see log)")
