"""``heritage kg serve`` (a real Oxigraph server over HTTP), SERVICE refusal, read-only stores."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build_graph, load_nlp_tables, serialize_turtle
from kg.catalog import load_catalog
from kg.store import QueryError, close_stores, open_graph
from planner.cli_kg import app

FIX = Path(__file__).parent / "fixtures" / "kg"
HERITAGE = [sys.executable, "-m", "planner.cli"]
runner = CliRunner()


@pytest.fixture(scope="module")
def ttl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("endpoint") / "graph.ttl"
    g = build_graph(load_catalog(FIX / "catalog"), nlp=load_nlp_tables([FIX / "nlp"]))
    path.write_text(serialize_turtle(g), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sparql(port: int, query: str, accept: str = "application/sparql-results+json") -> str:
    data = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/query", data=data, headers={"Accept": accept}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode("utf-8")


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "HERITAGE_KG_OXIGRAPH_DIR": str(tmp_path / "ox")}


def _wait_until_up(proc: subprocess.Popen[str], port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.stdout.read()}")  # type: ignore[union-attr]
        try:
            _sparql(port, "ASK { }")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"no SPARQL endpoint on port {port} after {seconds:g} s")


def test_serve_answers_sparql_over_http(ttl: Path, tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*HERITAGE, "kg", "serve", "--port", str(port), "--graph", str(ttl)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_up(proc, port)
        # 1. how many sites (JSON results)
        body = json.loads(
            _sparql(
                port,
                "PREFIX hr: <https://w3id.org/heritage-routes/ontology#>\n"
                "SELECT (COUNT(?s) AS ?n) WHERE { ?s a hr:Site }",
            )
        )
        n_sites = int(body["results"]["bindings"][0]["n"]["value"])
        assert n_sites == len(load_catalog(FIX / "catalog").sites)
        # 2. old towns with their Chinese labels (CSV results)
        text = _sparql(
            port,
            "PREFIX hr: <https://w3id.org/heritage-routes/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            'SELECT ?label WHERE { ?s hr:siteKind "old_town" ; rdfs:label ?label . '
            'FILTER(lang(?label) = "zh") }',
            accept="text/csv",
        )
        assert [r["label"] for r in csv.DictReader(io.StringIO(text))] == ["雍溪古镇"]
        # 3. an ASK on a known fact
        ask = json.loads(
            _sparql(port, 'ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> "宝顶山"@zh }')
        )
        assert ask["boolean"] is True
        # the store is read-only: updates are refused
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/update",
            data=b"INSERT DATA { <http://a> <http://b> <http://c> }",
            headers={"Content-Type": "application/sparql-update"},
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(req, timeout=10)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_refuses_a_port_in_use(ttl: Path, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        res = subprocess.run(
            [*HERITAGE, "kg", "serve", "--port", str(port), "--graph", str(ttl)],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert res.returncode == 2
    assert (
        res.stderr.strip()
        == f"error: port {port} on 127.0.0.1 is in use; choose another with --port"
    )


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_query_with_service_is_refused_without_touching_the_network(
    ttl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    monkeypatch.setenv("HERITAGE_KG_OXIGRAPH_DIR", str(tmp_path / "ox"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as remote:
        remote.bind(("127.0.0.1", 0))
        remote.listen(4)
        remote.setblocking(False)
        url = f"http://127.0.0.1:{remote.getsockname()[1]}/sparql"
        rq = tmp_path / "federated.rq"
        rq.write_text(f"SELECT * WHERE {{\n  SERVICE <{url}> {{ ?s ?p ?o }}\n}}\n")
        res = runner.invoke(app, ["query", str(rq), "--graph", str(ttl), "--store", store])
        with pytest.raises(BlockingIOError):
            remote.accept()  # nobody called
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: SERVICE <{url}> refused")
    close_stores([tmp_path / "ox"])


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM <http://127.0.0.1:9/g.ttl> WHERE { ?s ?p ?o }",
        "SELECT * WHERE { OPTIONAL { service <http://127.0.0.1:9/q> { ?s ?p ?o } } }",
    ],
)
def test_network_clauses_refused_on_both_stores(ttl: Path, tmp_path: Path, text: str) -> None:
    for store in ("memory", "oxigraph"):
        g = open_graph(ttl, store=store, oxigraph_dir=tmp_path / "ox")
        with pytest.raises(QueryError, match="refused"):
            g.select(text)
    # words inside names, strings, IRIs and comments are not clauses
    ok = 'SELECT ?service WHERE { ?service <http://x/FROM> "SERVICE from" } # SERVICE <a>\n'
    assert g.select(ok) == []
    close_stores([tmp_path / "ox"])


def test_second_process_queries_the_oxigraph_store_while_it_is_open(
    ttl: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "ox"
    mine = open_graph(ttl, store="oxigraph", oxigraph_dir=folder)
    assert len(mine) > 0
    rq = FIX / "queries" / "sites_of_kind.rq"
    cmd = [*HERITAGE, "kg", "query", str(rq), "--bind", "kind=old_town", "--graph", str(ttl)]
    res = subprocess.run(
        [*cmd, "--store", "oxigraph", "--format", "csv"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "雍溪古镇" in res.stdout
    assert len(mine) > 0  # still usable here
    close_stores([folder])
