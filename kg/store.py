"""Where the graph lives while it is queried: rdflib in memory, or Oxigraph on disk.

:func:`open_graph` loads ``artifacts/kg/graph.ttl`` (building it first if it is missing) into

* ``"memory"`` (default): an :class:`rdflib.Graph` with the in-memory store; queries are parsed
  once and cached as prepared queries;
* ``"oxigraph"``: a persistent embedded Oxigraph store (``pyoxigraph`` through ``oxrdflib``) in
  ``artifacts/kg/oxigraph/``. Each Turtle file is bulk-loaded once into a snapshot folder named
  by its SHA-256 (built in a temporary folder and renamed into place, so a snapshot is complete
  or absent); ``loaded_from.sha256`` names the current one. Snapshots are never written again,
  so they are opened **read-only**: any number of processes (the app, the CLI, ``heritage kg
  serve``) can query the same snapshot at once without fighting over the RocksDB lock.

The backend is chosen by the ``store`` argument, else the ``HERITAGE_KG_STORE`` environment
variable (``memory`` or ``oxigraph``); ``HERITAGE_KG_OXIGRAPH_DIR`` moves the Oxigraph folder.

Every query goes through :meth:`KnowledgeGraph.select`, which binds parameters with
``initBindings`` (rdflib) / ``substitutions`` (Oxigraph) — never by editing query text. With
Oxigraph a bound variable must appear in the ``SELECT`` clause, so the project's queries
project their parameters.

Queries never reach the network: ``SERVICE`` (federated query) and ``FROM`` / ``FROM NAMED``
(which rdflib would download) are refused with a :class:`QueryError` before anything runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MethodType
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.algebra import traverse
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node, Variable

from common import settings
from common.artifacts import MANIFEST, atomic_write_text, sha256_file
from common.errors import UserError
from kg.namespaces import PREFIXES, bind_prefixes

__all__ = [
    "BACKENDS",
    "QUERY_DIR",
    "KnowledgeGraph",
    "QueryError",
    "StaleGraphError",
    "catalog_changes",
    "current_graph_digest",
    "default_backend",
    "default_oxigraph_dir",
    "load_query",
    "open_graph",
    "parse_turtle",
    "snapshot_folder",
]

QUERY_DIR = settings.KG_QUERY_DIR
DEFAULT_TTL = settings.KG_ARTIFACTS_DIR / "graph.ttl"
BACKENDS = settings.KG_BACKENDS
_INIT_NS = {p: str(ns) for p, ns in PREFIXES.items()}
_MARKER = "loaded_from.sha256"
_COMPLETE = "complete"
_SNAPSHOT = re.compile(r"^[0-9a-f]{16}$")

_open_stores: dict[Path, Any] = {}
_open_lock = threading.Lock()


class QueryError(UserError, ValueError):
    """A query that cannot be run (unknown name, unreadable file, SPARQL syntax error)."""


def default_backend() -> str:
    """``$HERITAGE_KG_STORE`` if set (``memory`` or ``oxigraph``), else ``memory``."""
    return settings.kg_store()


def load_query(name: str) -> str:
    """Text of ``kg/queries/<name>.rq``."""
    if not name.replace("_", "").isalnum():
        raise QueryError(f"bad query name {name!r}")
    path = QUERY_DIR / f"{name}.rq"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in QUERY_DIR.glob("*.rq")))
        raise QueryError(f"unknown query {name!r}; known: {known}")
    return path.read_text(encoding="utf-8")


def _to_python(node: Node | None) -> Any:
    if node is None:
        return None
    if isinstance(node, Literal):
        value = node.toPython()
        return value if not isinstance(value, Literal) else str(value)
    return node


@dataclass(frozen=True)
class Row:
    """One solution: attribute and item access by variable name; unbound variables are None."""

    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.values.get(key)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value


class KnowledgeGraph:
    """A loaded graph plus the query machinery shared by the planner, the app and the CLI.

    Parameters
    ----------
    graph
        The rdflib graph (memory store or Oxigraph store).
    backend
        ``"memory"`` or ``"oxigraph"``.
    source
        The Turtle file it was loaded from, if any.
    """

    def __init__(self, graph: Graph, *, backend: str = "memory", source: Path | None = None):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}")
        self.graph = graph
        self.backend = backend
        self.source = source
        self._prepared: dict[str, Any] = {}
        self._bound: dict[str, Any] = {}
        self._local: set[str] = set()  # queries checked for SERVICE / FROM
        self._lock = threading.Lock()
        self.cache: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.graph)

    def __repr__(self) -> str:
        return (
            f"KnowledgeGraph(backend={self.backend!r}, triples={len(self)}, source={self.source})"
        )

    # ------------------------------------------------------------------ queries
    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, raw: bool = False
    ) -> list[Row]:
        """Run a SELECT query; see :meth:`select_table` (this returns only the rows)."""
        return self.select_table(query, bindings, raw=raw)[1]

    def select_table(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, raw: bool = False
    ) -> tuple[list[str], list[Row]]:
        """Run a SELECT query with parameters bound by ``initBindings``.

        Parameters
        ----------
        query
            The name of a file in ``kg/queries`` (``"sites_by_theme"``) or SPARQL text.
        bindings
            ``{variable: rdflib term}``; values are RDF terms, never query text.
        raw
            Keep rdflib terms for literals instead of converting them to Python values.

        Returns
        -------
        (variables, rows)
        """
        text = load_query(query) if "\n" not in query and " " not in query else query
        # values are checked to be URIRef/Literal below (rdflib's stubs want Identifier)
        init: dict[Any, Any] = {
            Variable(k) if not isinstance(k, Variable) else k: v
            for k, v in (bindings or {}).items()
        }
        for k, v in init.items():
            if not isinstance(v, URIRef | Literal):
                raise TypeError(f"binding {k} must be an rdflib URIRef or Literal, got {type(v)}")
        self._refuse_network(text)
        try:
            if self.backend == "memory":
                prepared = self._bind(self._prepare(text), text, init)
                result = self.graph.query(prepared, initBindings=init)
            else:
                result = self.graph.query(text, initNs=_INIT_NS, initBindings=init)
        except QueryError:
            raise
        except Exception as exc:  # rdflib/pyparsing/oxigraph errors → one domain error
            raise QueryError(f"query failed: {exc}") from exc
        if result.type != "SELECT":
            raise QueryError(f"only SELECT queries are supported here, got {result.type}")
        names = [str(v) for v in result.vars or []]
        rows = []
        for sol in result:
            values = {}
            row: Any = sol  # a ResultRow for SELECT (checked above)
            for name, node in zip(names, row, strict=False):
                values[name] = node if raw else _to_python(node)
            rows.append(Row(values))
        return names, rows

    def _refuse_network(self, text: str) -> None:
        """Raise :class:`QueryError` if the query would fetch anything from the network."""
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock:
            if key in self._local:
                return
        try:
            prepared = self._prepare(text)
        except QueryError:
            if self.backend == "memory":
                raise
            # Oxigraph parses more than rdflib (e.g. SPARQL 1.2); check the words instead.
            found = _network_keyword(text)
            if found:
                raise QueryError(_refusal(found, None)) from None
        else:
            for clause in getattr(prepared.algebra, "datasetClause", None) or []:
                iri = clause.get("default") or clause.get("named")
                raise QueryError(_refusal("FROM", iri))
            services: list[Any] = []

            def visit(node: Any) -> None:
                if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
                    services.append(node.get("term"))

            traverse(prepared.algebra, visitPost=visit)
            if services:
                raise QueryError(_refusal("SERVICE", services[0]))
        with self._lock:
            self._local.add(key)

    def _prepare(self, text: str) -> Any:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock:
            prepared = self._prepared.get(key)
            if prepared is None:
                try:
                    prepared = prepareQuery(text, initNs=_INIT_NS)
                except Exception as exc:
                    raise QueryError(f"SPARQL syntax error: {exc}") from exc
                self._prepared[key] = prepared
        return prepared

    def _bind(self, prepared: Any, text: str, init: Mapping[Variable, Node]) -> Any:
        """A copy of the prepared algebra with bound variables replaced by their RDF terms.

        This is the substitution Oxigraph performs: it happens on the parsed algebra (terms,
        not text), and lets rdflib order each basic graph pattern by what is really bound —
        rdflib orders patterns at parse time, when parameters are still variables.
        """
        if not init:
            return prepared
        key = hashlib.sha256(
            (text + "\0" + "\0".join(f"{k}={v.n3()}" for k, v in sorted(init.items()))).encode()
        ).hexdigest()
        with self._lock:
            cached = self._bound.get(key)
        if cached is not None:
            return cached
        bound = Query(prepared.prologue, _copy_algebra(prepared.algebra))

        def visit(node: Any) -> None:
            if isinstance(node, CompValue) and node.name == "BGP":
                triples = [
                    tuple(init.get(t, t) if isinstance(t, Variable) else t for t in triple)
                    for triple in node.triples
                ]
                node["triples"] = _order_triples(triples)

        traverse(bound.algebra, visitPost=visit)
        with self._lock:
            if len(self._bound) > 2048:
                self._bound.clear()
            self._bound[key] = bound
        return bound

    def memo(self, key: str, factory: Any) -> Any:
        """Cache ``factory()`` under ``key`` for the life of this graph (graphs are read-only)."""
        with self._lock:
            if key in self.cache:
                return self.cache[key]
        value = factory()
        with self._lock:
            self.cache.setdefault(key, value)
            return self.cache[key]

    @cached_property
    def triples(self) -> int:
        return len(self.graph)


_STRIP = re.compile(r"""#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|<[^<>\s]*>""")
_KEYWORD = re.compile(r"(?<![?$:\w])(SERVICE|FROM)(?![:\w])", re.IGNORECASE)


def _network_keyword(text: str) -> str | None:
    """``SERVICE`` or ``FROM`` used as a keyword (not in strings, IRIs, comments, names)."""
    m = _KEYWORD.search(_STRIP.sub(" ", text))
    return m.group(1).upper() if m else None


def _refusal(keyword: str, iri: Any) -> str:
    where = f" <{iri}>" if iri is not None else ""
    if keyword == "SERVICE":
        return (
            f"SERVICE{where} refused: queries run only over the local heritage graph and never "
            "reach the network (copy the remote data into your own graph instead)"
        )
    return (
        f"FROM{where} refused: queries run over the one local heritage graph; a dataset clause "
        "would load another graph, possibly over the network (remove the FROM line)"
    )


def _order_triples(triples: list[tuple]) -> list[tuple]:
    """Greedy join order: fewest unknown variables first; ``?x a Class`` after the others.

    rdflib's own ordering breaks ties by comparing IRIs as strings, which puts
    ``?d rdf:type hr:Distance`` (hundreds of matches) before ``?d hr:between <site>`` (a few).
    """
    known: set[Node] = set()
    rest = list(triples)
    out = []
    while rest:
        best_i, best_key = 0, None
        for i, t in enumerate(rest):
            unknown = {x for x in t if isinstance(x, Variable | BNode) and x not in known}
            key = (len(unknown), t[1] == RDF.type, i)
            if best_key is None or key < best_key:
                best_i, best_key = i, key
        best = rest.pop(best_i)
        out.append(best)
        known |= {x for x in best if isinstance(x, Variable | BNode)}
    return out


def _copy_algebra(e: Any) -> Any:
    """Structural copy of an rdflib algebra tree (``CompValue`` cannot be deep-copied)."""
    if isinstance(e, CompValue):
        c = e.__class__.__new__(e.__class__)
        OrderedDict.__init__(c)
        c.__dict__.update(e.__dict__)
        fn = e.__dict__.get("_evalfn")
        if isinstance(fn, MethodType):  # Expr binds its evaluator to itself
            c._evalfn = MethodType(fn.__func__, c)
        for k, v in e.items():
            c[k] = _copy_algebra(v)
        return c
    if isinstance(e, list):
        return [_copy_algebra(x) for x in e]
    if isinstance(e, tuple):
        return tuple(_copy_algebra(x) for x in e)
    return e


# ============================================================================ opening


def snapshot_folder(ttl: Path, folder: Path) -> Path:
    """The read-only Oxigraph snapshot of ``ttl`` inside ``folder``, loaded if it is missing.

    The snapshot is named by the first 16 hex digits of the file's SHA-256. It is built in a
    temporary folder, closed and renamed into place, so a snapshot is either complete or
    absent, and concurrent builders cannot corrupt each other (the second rename loses and
    its copy is discarded). ``loaded_from.sha256`` then names the current snapshot and older
    snapshots not open in this process are removed.
    """
    import pyoxigraph as ox

    folder = folder.resolve()
    digest = sha256_file(ttl)
    snap = folder / digest[:16]
    if not (snap / _COMPLETE).exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".loading-{digest[:16]}-{os.getpid()}-{threading.get_ident()}"
        shutil.rmtree(tmp, ignore_errors=True)
        store = ox.Store(str(tmp))
        store.bulk_load(path=str(ttl), format=ox.RdfFormat.TURTLE)
        store.flush()
        del store  # closes RocksDB and releases its lock
        (tmp / _COMPLETE).write_text(digest + "\n", encoding="utf-8")
        try:
            tmp.rename(snap)
        except OSError:  # another process finished first
            if not (snap / _COMPLETE).exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    marker = folder / _MARKER
    if not marker.exists() or marker.read_text(encoding="utf-8").strip() != digest:
        atomic_write_text(marker, digest + "\n")
    with _open_lock:
        in_use = set(_open_stores)
    for old in folder.iterdir():
        stale = (_SNAPSHOT.match(old.name) and old != snap) or old.name == "db"  # older layout
        if stale and old.is_dir() and old not in in_use:
            shutil.rmtree(old, ignore_errors=True)
    return snap


def _open_oxigraph(ttl: Path, folder: Path) -> Graph:
    import pyoxigraph as ox
    from oxrdflib import OxigraphStore

    snap = snapshot_folder(ttl, folder)
    with _open_lock:
        store = _open_stores.get(snap)
        if store is None:
            store = ox.Store.read_only(str(snap))
            _open_stores[snap] = store
    g = Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    return bind_prefixes(g)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: a datatype written ``^^xsd:string`` or ``^^<…#string>`` (any prefix)
_TYPED_STRING = re.compile(rb"\^\^\s*(?:<[^>]*#string>|[\w.-]*:string\b)")


def parse_turtle(ttl: Path) -> Graph:
    """An in-memory rdflib graph of the Turtle file ``ttl``, with the project's prefixes.

    The file is parsed by Oxigraph's parser (Rust; about three times faster than rdflib's
    own for the region graph) and its terms converted to rdflib's — the same triples
    rdflib's parser gives, each term converted once. Two kinds of file go to rdflib's parser
    instead: one Oxigraph cannot read (rdflib's error then names the problem, as before) and
    one with a literal typed ``xsd:string`` explicitly (rdflib keeps that datatype, Oxigraph
    makes it a plain literal, and rdflib's queries tell the two apart).
    """
    import pyoxigraph as ox

    terms: dict[Any, Node] = {}

    def term(node: Any) -> Node:
        found = terms.get(node)
        if found is None:
            if isinstance(node, ox.NamedNode):
                found = URIRef(node.value)
            elif isinstance(node, ox.BlankNode):
                found = BNode(node.value)
            elif node.language:
                found = Literal(node.value, lang=node.language)
            elif node.datatype.value == _XSD_STRING:
                found = Literal(node.value)
            else:
                found = Literal(node.value, datatype=URIRef(node.datatype.value))
            terms[node] = found
        return found

    data = Path(ttl).read_bytes()
    g = bind_prefixes(Graph(bind_namespaces="none"))
    if not _TYPED_STRING.search(data):
        try:
            quads = ox.parse(data, format=ox.RdfFormat.TURTLE)
            g.addN((term(q.subject), term(q.predicate), term(q.object), g) for q in quads)
            return g
        except SyntaxError:
            g = bind_prefixes(Graph(bind_namespaces="none"))
    g.parse(ttl, format="turtle")
    return g


def graph_from_memory(
    g: Graph, *, backend: str = "memory", folder: Path | None = None
) -> KnowledgeGraph:
    """Wrap an in-memory graph (e.g. fresh from :func:`kg.build.build_graph`).

    With ``backend="oxigraph"`` the triples are copied into an Oxigraph store (in memory when
    ``folder`` is None, else persistent in ``folder``).
    """
    if backend == "memory":
        return KnowledgeGraph(g, backend="memory")
    import pyoxigraph as ox
    from oxrdflib import OxigraphStore

    store = ox.Store(str(folder)) if folder else ox.Store()
    store.clear()
    data = g.serialize(format="nt", encoding="utf-8")
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    og = Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    return KnowledgeGraph(bind_prefixes(og), backend="oxigraph")


def open_graph(
    path: str | Path | None = None,
    *,
    store: str | None = None,
    oxigraph_dir: str | Path | None = None,
    build_if_missing: bool = True,
) -> KnowledgeGraph:
    """Load the built graph into the chosen backend.

    Parameters
    ----------
    path
        Turtle file (default ``artifacts/kg/graph.ttl``).
    store
        ``"memory"`` or ``"oxigraph"``; default :func:`default_backend`.
    oxigraph_dir
        Folder of the persistent Oxigraph store (default ``$HERITAGE_KG_OXIGRAPH_DIR`` or
        ``artifacts/kg/oxigraph``).
    build_if_missing
        Run :func:`kg.build.run_build` when the default Turtle file does not exist yet, its
        manifest does not vouch for it (:func:`built_and_complete`) or it was built from other
        catalog files than the current ones (:func:`catalog_changes`); when False, such a
        graph is refused (:class:`FileNotFoundError`, :class:`StaleGraphError`).

    Returns
    -------
    KnowledgeGraph
    """
    backend = (store or default_backend()).lower()
    if backend not in BACKENDS:
        raise QueryError(f"store must be one of {', '.join(BACKENDS)}, got {store!r}")
    ttl = Path(path) if path else DEFAULT_TTL
    if path is None:
        _ensure_current(ttl, build_if_missing)
    elif not ttl.exists():
        raise FileNotFoundError(f"no complete graph at {ttl}; run `heritage kg build` first")
    if backend == "memory":
        return KnowledgeGraph(parse_turtle(ttl), backend="memory", source=ttl)
    folder = default_oxigraph_dir(oxigraph_dir)
    return KnowledgeGraph(_open_oxigraph(ttl, folder), backend="oxigraph", source=ttl)


class StaleGraphError(UserError, RuntimeError):
    """The built graph does not match the catalog files it would be built from today."""


def _ensure_current(ttl: Path, build: bool) -> None:
    """Make the default graph ``ttl`` complete and current, or refuse it in one line.

    A graph is used only when its manifest (written last by the build) vouches for it — a
    build killed half-way is rebuilt, never read — and when it was built from the catalog and
    ontology files as they are now: a graph built from another catalog (an edited
    ``sites.csv``, another ``HERITAGE_DATA_DIR``) would answer with sites the planner does not
    know, or miss the ones it does.
    """
    complete = ttl.exists() and built_and_complete(ttl)
    changed = catalog_changes(ttl) if complete else []
    if complete and not changed:
        return
    if build:
        from kg.build import run_build

        run_build()  # its key covers the same files, so a stale graph is rebuilt
    elif changed:
        shown = ", ".join(changed[:4]) + (
            f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        )
        raise StaleGraphError(
            f"{ttl} was built from other catalog files than {settings.catalog_dir()} "
            f"({shown} changed); run `heritage kg build`"
        )
    else:
        raise FileNotFoundError(f"no complete graph at {ttl}; run `heritage kg build` first")


def catalog_changes(ttl: Path | None = None) -> list[str]:
    """Catalog and ontology files (manifest names) that differ from what ``ttl`` was built from.

    Compares the SHA-256 of every catalog and ontology file recorded in the build's
    ``manifest.json`` beside ``ttl`` (default: the default graph) with the files the build
    would read now (``HERITAGE_DATA_DIR``); a file added or removed since counts as changed.
    NLP tables are not compared (they only add figures; ``heritage kg build`` picks up a new
    run). Empty when the graph is current; every name when the manifest cannot be read.
    """
    from kg.build.inputs import _input_hashes
    from kg.build.records import default_paths

    ttl = ttl or DEFAULT_TTL
    now = _input_hashes(default_paths(), [])
    try:
        built = json.loads((ttl.parent / MANIFEST).read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError, AttributeError):
        built = None
    if not isinstance(built, dict):
        return sorted(now)
    built = {k: v for k, v in built.items() if not str(k).startswith("nlp:")}
    return sorted(k for k in built.keys() | now.keys() if built.get(k) != now.get(k))


def current_graph_digest(ttl: Path | None = None) -> str | None:
    """SHA-256 of the default graph when :func:`open_graph` would load it as it is (complete
    and built from the current catalog files), else ``None`` (it would be rebuilt first)."""
    ttl = ttl or DEFAULT_TTL
    if not built_and_complete(ttl) or catalog_changes(ttl):
        return None
    manifest = json.loads((ttl.parent / MANIFEST).read_text(encoding="utf-8"))
    return str(manifest["outputs"][ttl.name])


def built_and_complete(ttl: Path) -> bool:
    """Whether the build's ``manifest.json`` beside ``ttl`` lists ``ttl`` with its SHA-256."""
    manifest = ttl.parent / MANIFEST
    try:
        outputs = json.loads(manifest.read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError, AttributeError):
        return False
    digest = outputs.get(ttl.name) if isinstance(outputs, dict) else None
    return bool(digest) and ttl.is_file() and sha256_file(ttl) == digest


def default_oxigraph_dir(folder: str | Path | None = None) -> Path:
    """``folder``, else ``$HERITAGE_KG_OXIGRAPH_DIR``, else ``artifacts/kg/oxigraph``."""
    return Path(folder) if folder else settings.kg_oxigraph_dir()


def close_stores(folders: Iterable[Path] | None = None) -> None:
    """Forget open Oxigraph stores (all, or those in ``folders``) so they can be reopened."""
    with _open_lock:
        if folders is None:
            _open_stores.clear()
            return
        for f in folders:
            f = Path(f).resolve()
            for snap in [s for s in _open_stores if s == f or s.parent == f]:
                _open_stores.pop(snap, None)
