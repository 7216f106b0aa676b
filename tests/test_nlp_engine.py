"""The Dask engine: the same artifacts as the local engine on a 2-worker ``LocalCluster``, and
clear one-line errors for an unreachable scheduler or workers without the package."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import nlp.ingest
from common.settings import PROJECT_ROOT
from nlp.config import NlpConfig
from nlp.engine import (
    BATCH,
    LOCAL_CLUSTER_CONFIG,
    DaskEngine,
    EngineError,
    LocalEngine,
    engine_for,
    using,
)
from nlp.pipeline import RunResult, run_all

distributed = pytest.importorskip("distributed")
get_task_stream = distributed.get_task_stream

SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"
RUN = {"ks": (2, 3), "passes": 2, "no_below": 2}
#: gensim saves pickles that carry a timestamp and the platform (``lifecycle_events``)
GENSIM_PICKLES = {"dictionary.gensim", "lda.model", "lda.model.state"}


@pytest.fixture(autouse=True)
def _keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a fixed author key: both runs pseudonymise authors alike
    monkeypatch.setenv("HERITAGE_NLP_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("HERITAGE_NLP_AUTHOR_KEY", "engine-test-key")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("engine")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:80]
    src = folder / "mini.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskEngine]:
    """One LocalCluster of 2 worker processes for the module (closed at its end)."""
    engine = DaskEngine.start(workers=2, timeout=60)
    try:
        yield engine
    finally:
        engine.close()


def _run(src: Path, root: Path, engine: str) -> RunResult:
    cfg = NlpConfig(artifacts_dir=root, workers=2, chunk_docs=8, engine=engine)
    return run_all([src], cfg, **RUN)  # type: ignore[arg-type]


def _normalised_json(path: Path, root: Path) -> Any:
    data = json.loads(path.read_text(encoding="utf-8").replace(str(root), "<root>"))
    if isinstance(data, dict):
        data.pop("created_utc", None)  # manifests: when it was built
        data.pop("corpus_id", None)  # corpus.json: a random id per ingest, by design
        data.pop("engine", None)  # run_report.json: what ran it (checked separately)
        for stage in data.get("stages", {}).values():
            stage.pop("state", None)  # run_report.json: built now or reused from a killed run
    return data


def _same_gensim(a: Path, b: Path) -> None:
    if a.name == "dictionary.gensim":
        from gensim.corpora import Dictionary

        da, db = Dictionary.load(str(a)), Dictionary.load(str(b))
        assert (da.token2id, da.dfs, da.cfs, da.num_docs) == (
            db.token2id,
            db.dfs,
            db.cfs,
            db.num_docs,
        )
    elif a.name == "lda.model":
        from gensim.models import LdaModel

        ma, mb = LdaModel.load(str(a)), LdaModel.load(str(b))
        assert np.array_equal(ma.get_topics(), mb.get_topics())
        assert np.array_equal(ma.alpha, mb.alpha) and np.array_equal(ma.eta, mb.eta)
    else:
        from gensim.models.ldamodel import LdaState

        assert np.array_equal(LdaState.load(str(a)).sstats, LdaState.load(str(b)).sstats)


def assert_same_artifacts(left: Path, right: Path) -> None:
    """Every file of two artifact roots: Parquet as tables, JSON without build times and
    root paths, gensim models by their arrays, everything else byte for byte."""
    files = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file())
    assert any(f.suffix == ".parquet" for f in files)
    for rel in files:
        a, b = left / rel, right / rel
        if rel.suffix == ".parquet":
            ta, tb = pq.read_table(a), pq.read_table(b)
            assert ta.equals(tb), rel
        elif rel.suffix == ".json":
            assert _normalised_json(a, left) == _normalised_json(b, right), rel
        elif rel.name in GENSIM_PICKLES:
            _same_gensim(a, b)
        elif rel.suffix == ".lock":
            continue
        else:
            ta = a.read_bytes().replace(str(left).encode(), b"<root>")
            tb = b.read_bytes().replace(str(right).encode(), b"<root>")
            assert ta == tb, rel


def test_localcluster_gives_the_local_engines_artifacts(
    corpus: Path, cluster: DaskEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nlp.ingest, "ENGINE_MIN_ROWS", 0)  # the corpus stage too, small as it is
    local = _run(corpus, tmp_path / "local", "local")
    cfg = NlpConfig(artifacts_dir=tmp_path / "dask", workers=2, chunk_docs=8, engine="dask")
    with using(cluster), get_task_stream(cluster.client) as stream:  # the module's cluster
        dask = run_all([corpus], cfg, **RUN)  # type: ignore[arg-type]
    assert {k: o.key for k, o in local.items()} == {k: o.key for k, o in dask.items()}
    assert not local.skipped and not dask.skipped
    assert local.engine == {"engine": "local", "scheduler": None, "workers": 2}
    assert dask.engine == {"engine": "dask", "scheduler": "LocalCluster", "workers": 2}
    report = json.loads((tmp_path / "dask" / "run_report.json").read_text(encoding="utf-8"))
    assert report["engine"]["engine"] == "dask"
    assert_same_artifacts(tmp_path / "local", tmp_path / "dask")
    # ingest, segmentation, keyword counts, topic inference, sentiment and practicalities ran
    # as tasks, on both workers
    names = {t["key"].split("-")[0] for t in stream.data if isinstance(t["key"], str)}
    expected = {"ingest_chunk", "_segment_batch", "_sentiment_chunk", "_practicalities_chunk"}
    assert expected | {"_df_chunk", "_sums_chunk", "_infer_slice"} <= names, names
    assert len({t["worker"] for t in stream.data}) == 2


def test_connecting_to_a_scheduler_checks_the_workers(cluster: DaskEngine) -> None:
    address = cluster.cluster.scheduler_address
    remote = DaskEngine.start(scheduler=address, workers=2, timeout=30)
    try:
        assert remote.describe() == {"engine": "dask", "scheduler": address, "workers": 2}
        assert list(remote.map(_square, 10, iter([[1, 2], [3], [4, 5, 6]]))) == [
            [10, 40],
            [90],
            [160, 250, 360],
        ]
        with pytest.raises(EngineError, match="different package versions: heritage-routes"):
            remote._check_workers(2, 10, expected={"heritage-routes": "0.0.0"})
        with pytest.raises(EngineError, match="has 2 worker\\(s\\) after"):
            remote._check_workers(3, 0.5)
    finally:
        remote.close()


def test_workers_that_cannot_see_the_files_get_the_slices_data(
    corpus: Path, cluster: DaskEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nlp.docslices import DocSlice, plan_slices
    from nlp.pipeline import stage_corpus, stage_userdict
    from nlp.segment import segment_corpus
    from nlp.stagebase import load_segmenter

    cfg = NlpConfig(artifacts_dir=tmp_path / "a", workers=1, chunk_docs=8)
    c, u = stage_corpus([corpus], cfg), stage_userdict(cfg)
    seg = load_segmenter(u.path, cfg)

    def slices() -> Iterator[DocSlice]:
        return plan_slices(c.path, columns=("doc_id", "text", "place"), max_rows=8)

    here = segment_corpus(slices(), tmp_path / "here.parquet", seg)
    inlined: list[int] = []
    inline = DocSlice.inline

    def spy(self: DocSlice) -> DocSlice:
        inlined.append(self.number)
        return inline(self)

    monkeypatch.setattr(DocSlice, "inline", spy)
    remote = DaskEngine.start(scheduler=cluster.cluster.scheduler_address, workers=2, timeout=30)
    try:
        seen = segment_corpus(slices(), tmp_path / "seen.parquet", seg, engine=remote)
        assert not inlined  # the workers of this machine see the files
        monkeypatch.setattr(DaskEngine, "_sees", lambda self, path: False)
        blind = segment_corpus(slices(), tmp_path / "blind.parquet", seg, engine=remote)
    finally:
        remote.close()
    assert here == seen == blind > 70
    assert inlined == list(range(len(list(slices())))) and len(inlined) > 1
    expected = pq.read_table(tmp_path / "here.parquet")
    assert pq.read_table(tmp_path / "seen.parquet").equals(expected)
    assert pq.read_table(tmp_path / "blind.parquet").equals(expected)


def test_chunks_go_in_batches_and_come_back_in_order(cluster: DaskEngine) -> None:
    # the first 2 (the window) one a task, then two full batches and a part
    chunks = [[i, i + 1] for i in range(2 + 2 * BATCH + 3)]
    with get_task_stream(cluster.client) as stream:
        got = list(cluster.map(_square, 2, iter(chunks), window=2))
    assert got == [_square(2, c) for c in chunks]
    assert len([t for t in stream.data if str(t["key"]).startswith("_square")]) == 5
    with get_task_stream(cluster.client) as stream:  # a map of two: two tasks, in parallel
        assert list(cluster.map(_square, 3, iter([[1], [2]]))) == [[3], [12]]
    assert len([t for t in stream.data if str(t["key"]).startswith("_square")]) == 2


def _square(factor: int, chunk: list[int]) -> list[int]:
    return [factor * x * x for x in chunk]


def _worker_settings() -> dict[str, object]:
    import os

    import dask

    got: dict[str, object] = {k: dask.config.get(k) for k in LOCAL_CLUSTER_CONFIG}
    got["MALLOC_TRIM_THRESHOLD_"] = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    return got


def test_localcluster_runs_without_the_dashboards_background_work(cluster: DaskEngine) -> None:
    """The profiler, watchdog and monitors are set down in every worker, the scheduler does
    not steal work (8 % of a core idle, 9 % of the segmentation stage otherwise), and the
    workers keep glibc's adaptive memory thresholds (no MALLOC_TRIM_THRESHOLD_)."""
    for got in cluster.client.run(_worker_settings).values():
        assert got == {**LOCAL_CLUSTER_CONFIG, "MALLOC_TRIM_THRESHOLD_": None}
    extensions = cluster.client.run_on_scheduler(
        lambda dask_scheduler: sorted(dask_scheduler.extensions)
    )
    assert "stealing" not in extensions


def test_worker_without_the_package_is_one_clear_error(cluster: DaskEngine) -> None:
    """A worker process that cannot import ``nlp`` (as on a cluster where it is not installed)."""
    address = cluster.cluster.scheduler_address
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'nlp' or name.startswith('nlp.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['dask-worker', *sys.argv[1:]]\n"
        "from distributed.cli.dask_worker import main\n"
        "main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", blocker, address, "--no-nanny", "--nthreads", "1"],
        cwd="/",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with pytest.raises(EngineError, match="cannot import the nlp package"):
            DaskEngine.start(scheduler=address, workers=3, timeout=60)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=120)
    deadline = time.monotonic() + 30
    while cluster.n_workers() > 2 and time.monotonic() < deadline:
        time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.cli_nlp import app

    monkeypatch.setenv("HERITAGE_NLP_SCHEDULER_TIMEOUT", "1")
    address = f"tcp://127.0.0.1:{_free_port()}"
    args = ["run", "--artifacts", str(tmp_path / "a"), "--scheduler", address]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert f"cannot reach the Dask scheduler at {address}" in res.output
    assert "Traceback" not in res.output
    assert len([ln for ln in res.output.splitlines() if ln.strip()]) == 1, res.output


def test_engine_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp.config import config_from_env
    from nlp.errors import ConfigError

    monkeypatch.setenv("HERITAGE_NLP_ENGINE", "dask")
    monkeypatch.setenv("HERITAGE_NLP_SCHEDULER", "tcp://10.0.0.5:8786")
    cfg = config_from_env()
    assert (cfg.engine, cfg.scheduler) == ("dask", "tcp://10.0.0.5:8786")
    with (
        pytest.raises(ConfigError, match="engine must be one of local, dask"),
        engine_for(NlpConfig(engine="spark")),
    ):
        pass
    with (
        pytest.raises(ConfigError, match="needs --engine dask"),
        engine_for(NlpConfig(scheduler="tcp://h:8786")),
    ):
        pass
    with engine_for(NlpConfig(workers=3)) as engine:
        assert isinstance(engine, LocalEngine) and engine.describe()["workers"] == 3


def test_local_pool_ignores_shadowing_folders_on_sys_path(tmp_path: Path) -> None:
    """With other threads running (so a fork server starts the workers) and a folder holding an
    ``nlp.py`` first on ``sys.path`` (as benchmarks/ is after a test imports a benchmark), the
    pool's workers still import the project's ``nlp``: they used to die at start and be
    restarted forever, hanging the run."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "nlp.py").write_text("raise ImportError('the shadowing nlp.py')\n", "utf-8")
    root = str(PROJECT_ROOT)
    main = tmp_path / "main.py"
    main.write_text(
        "if __name__ == '__main__':\n"
        "    import operator, sys, threading, time\n"
        f"    sys.path.insert(0, {root!r})\n"
        "    from nlp.parallel import ordered_map\n"
        f"    sys.path.insert(0, {str(shadow)!r})\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "    print(list(ordered_map(operator.getitem, 'abc', [0, 1, 2], workers=2)))\n",
        "utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(main)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['a', 'b', 'c']"


# --------------------------------------------------------------------------- ingest on the engine


def _ingest_mixed(src: Path, corpus: Path, cfg: NlpConfig) -> dict[str, Any]:
    from nlp.ingest import ingest_file

    with engine_for(cfg):
        report = ingest_file(src, corpus, cfg=cfg)
    return {
        "kept": report.kept,
        "reasons": dict(report.reasons),
        "kept_with_issues": dict(report.kept_with_issues),
        "stripped": dict(report.stripped),
        "masked": dict(report.masked),
    }


def _corpus_files(corpus: Path) -> dict[str, Any]:
    """A corpus folder's files: bytes, and corpus.json without its random id and paths."""
    out: dict[str, Any] = {}
    for p in sorted(corpus.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            if p.name == "corpus.json":
                meta = json.loads(p.read_text(encoding="utf-8"))
                meta.pop("corpus_id")
                out[p.name] = json.dumps(meta, ensure_ascii=False)  # the order of keys counts
            else:
                out[str(p.relative_to(corpus))] = p.read_bytes()
    return out


def test_ingest_on_every_engine_gives_the_same_corpus(
    cluster: DaskEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows cleaned in this process, in a 2-process pool and on a 2-worker LocalCluster give
    byte-identical parts and rejects, with rejects of every kind, duplicates across chunks."""
    from ingest_mixed import write_mixed

    monkeypatch.setattr(nlp.ingest, "ENGINE_MIN_ROWS", 0)
    src = write_mixed(tmp_path / "mixed.csv")
    runs = {}
    for name, workers in (("inline", 1), ("pool", 2)):
        cfg = NlpConfig(workers=workers, chunk_docs=3, key_dir=tmp_path / "keys")
        runs[name] = _ingest_mixed(src, tmp_path / name, cfg)
    cfg = NlpConfig(engine="dask", workers=2, chunk_docs=3, key_dir=tmp_path / "keys")
    with using(cluster), get_task_stream(cluster.client) as stream:
        runs["dask"] = _ingest_mixed(src, tmp_path / "dask", cfg)
    tasks = [t for t in stream.data if str(t["key"]).startswith("ingest_chunk")]
    # 76 rows, 3 a chunk: 26 chunks, the first 4 (the window) one a task, then BATCH a task
    assert len(tasks) == 4 + -(-22 // BATCH) and len({t["worker"] for t in tasks}) == 2
    # the counts of the sequential ingest these replaced (same rows, same order of keys),
    # except the e-mails: normalize_zh used to strip their @domain as a mention before masking;
    # now the 4 addresses are masked, and one masked row becomes a near duplicate of another
    assert runs["inline"] == {
        "kept": 39,
        "reasons": {
            "duplicate_exact": 8,
            "duplicate_near": 5,
            "too_short": 4,
            "default_review": 8,
            "empty_text": 4,
            "too_long": 4,
            "duplicate_doc_id": 4,
        },
        "kept_with_issues": {"bad_date": 4, "bad_rating": 4},
        "stripped": {"template_tag": 4, "default_review": 8},
        "masked": {"email": 4, "phone": 4, "id_card": 4, "profile": 4},
    }
    assert runs["pool"] == runs["inline"] and runs["dask"] == runs["inline"]
    inline = _corpus_files(tmp_path / "inline")
    assert len(inline) == 3
    assert _corpus_files(tmp_path / "pool") == inline
    assert _corpus_files(tmp_path / "dask") == inline


def test_ingest_resumes_from_partitions_without_author_handles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a stage build the row chunks are kept as partitions; a rerun reuses them and
    writes the same corpus. They hold no author handle or pseudonym: those are made later, in
    the ingesting process, so the key never travels."""
    import pickle

    from ingest_mixed import write_mixed

    from nlp.partitions import PartialStore, resumable

    monkeypatch.setattr(nlp.ingest, "ENGINE_MIN_ROWS", 0)
    src = write_mixed(tmp_path / "mixed.csv", rounds=2)
    cfg = NlpConfig(workers=1, chunk_docs=5, key_dir=tmp_path / "keys")
    folder = tmp_path / "partial"
    with resumable(PartialStore(folder)):
        first = _ingest_mixed(src, tmp_path / "first", cfg)
    pickles = sorted(folder.glob("*.pkl"))
    assert len(pickles) == 8  # 38 rows, 5 a chunk
    for p in pickles:
        for res in pickle.loads(p.read_bytes()):
            assert res.doc is None or "author_hash" not in res.doc
        assert b"engine-test-key" not in p.read_bytes()
    store = PartialStore(folder)
    with resumable(store):
        again = _ingest_mixed(src, tmp_path / "again", cfg)
    assert store.reused == {"nlp.ingest_rows.ingest_chunk": 8}
    assert again == first
    assert _corpus_files(tmp_path / "again") == _corpus_files(tmp_path / "first")
