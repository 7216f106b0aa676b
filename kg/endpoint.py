"""A read-only SPARQL 1.1 endpoint over the built graph, served by Oxigraph's own HTTP server.

``heritage kg serve`` loads ``graph.ttl`` into its read-only Oxigraph snapshot
(:func:`kg.store.snapshot_folder`, shared with ``--store oxigraph``) and replaces itself with
``oxigraph serve-read-only`` from the ``oxigraph`` package (the Oxigraph CLI, same storage
format as ``pyoxigraph``). The server speaks the SPARQL 1.1 Protocol at ``/query`` (GET or
POST; results as JSON, XML, CSV or TSV by ``Accept``); updates are impossible on a read-only
store. It listens on 127.0.0.1 unless told otherwise. See ``docs/sparql.md``.
"""

from __future__ import annotations

import errno
import shutil
import socket
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from kg.store import DEFAULT_TTL, QueryError, default_oxigraph_dir, snapshot_folder

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "Endpoint", "EndpointError", "find_oxigraph", "prepare"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878


class EndpointError(QueryError):
    """The endpoint cannot start (no server program, port in use, no graph)."""


@dataclass(frozen=True)
class Endpoint:
    """What ``heritage kg serve`` runs: the snapshot, the address and the server command."""

    snapshot: Path
    host: str
    port: int
    command: tuple[str, ...]

    @property
    def url(self) -> str:
        """The SPARQL query URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/query"


def find_oxigraph() -> Path:
    """The ``oxigraph`` program installed with this Python (else the one on ``PATH``)."""
    found = shutil.which("oxigraph", path=sysconfig.get_path("scripts")) or shutil.which("oxigraph")
    if not found:
        raise EndpointError(
            "the Oxigraph server program is missing; install it with `pip install oxigraph` "
            "(it is a dependency of heritage-routes: run `make install`)"
        )
    return Path(found)


def _check_port(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise EndpointError(f"port must lie between 1 and 65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise EndpointError(
                    f"port {port} on {host} is in use; choose another with --port"
                ) from None
            raise EndpointError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def prepare(
    graph: str | Path | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    oxigraph_dir: str | Path | None = None,
    cors: bool = False,
    timeout_s: int | None = None,
) -> Endpoint:
    """Load (or reuse) the graph's read-only snapshot and build the server command.

    Parameters
    ----------
    graph
        Turtle file (default ``artifacts/kg/graph.ttl``, built first if missing).
    host, port
        Address to listen on (default ``127.0.0.1:7878``); the port must be free.
    oxigraph_dir
        Folder of the Oxigraph snapshots (default as for ``--store oxigraph``).
    cors
        Allow cross-origin requests (for a web page on another origin).
    timeout_s
        Stop a query after this many seconds.
    """
    ttl = Path(graph) if graph else DEFAULT_TTL
    if not ttl.exists():
        if graph is None:
            from kg.build import run_build

            run_build()
        else:
            raise EndpointError(f"no graph at {ttl}; run `heritage kg build` first")
    program = find_oxigraph()
    _check_port(host, port)
    snap = snapshot_folder(ttl, default_oxigraph_dir(oxigraph_dir))
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    cmd = [str(program), "serve-read-only", "--location", str(snap), "--bind", bind]
    if cors:
        cmd.append("--cors")
    if timeout_s is not None:
        cmd += ["--timeout-s", str(int(timeout_s))]
    return Endpoint(snapshot=snap, host=host, port=port, command=tuple(cmd))
