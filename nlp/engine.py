"""Where the map-style NLP work runs: in this machine's processes, or on a Dask cluster.

The long stages map a module-level function over chunks of documents with a picklable worker
state (a :class:`~nlp.segment.Segmenter`, a sentiment scorer …). An :class:`Engine` runs that
map, in input order and with a bounded number of chunks in flight:

- :class:`LocalEngine` (``engine="local"``, the default): :func:`nlp.parallel.ordered_map`, a
  bounded ``multiprocessing`` pool of ``workers`` processes (``1`` runs in this process);
- :class:`DaskEngine` (``engine="dask"``): ``dask.distributed`` tasks. Without a scheduler
  address it starts a ``LocalCluster`` of ``workers`` processes (one thread each, bounded
  memory); with one (``tcp://host:8786``) it connects a ``Client`` to that cluster, waits for
  its workers and checks that they run the same package versions.

The state is sent once to every worker (scattered), each chunk is one task, and results come
back in input order. Chunks are mostly slices of the pipeline's Parquet files that the worker
reads itself (:mod:`nlp.docslices`); a remote cluster whose workers do not see those files
gets each slice's columns read in this process instead. Every engine gives the same results
and the same artifact keys (the engine is not a parameter of any stage; the run report
records which one ran).

Stages take the engine with :func:`engine_for`: inside a ``with engine_for(cfg)`` block
(:func:`nlp.pipeline.run_all` and the CLI open one for a whole run) every stage shares that
engine, so a cluster starts once per run.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import itertools
import logging
import os
import pickle
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from common.artifacts import library_versions
from nlp.config import NlpConfig
from nlp.docslices import DocSlice
from nlp.errors import ConfigError
from nlp.parallel import clean_sys_path, one_thread_for_life, ordered_map
from nlp.partitions import active_store

__all__ = [
    "ENGINES",
    "LOCAL_CLUSTER_CONFIG",
    "WORKER_MEMORY",
    "DaskEngine",
    "Engine",
    "EngineError",
    "LocalEngine",
    "engine_for",
    "engine_map",
    "using",
    "worker_versions",
]

ENGINES = ("local", "dask")
#: memory limit of each LocalCluster worker (Dask pauses a worker at 80 %, restarts it at 95 %)
WORKER_MEMORY = "2GiB"
#: a task's pickled chunks up to this size go inside it; larger ones are scattered first
TASK_BYTES = 64 * 1024
#: chunks per Dask task after the first ``window`` tasks (one chunk each): a task costs several
#: milliseconds of scheduling and a round trip in the client process, a pool call far less
#: (docs/benchmarks.md; the segmentation stage at 10⁶ documents took 0.4–1.0 CPU s less with 8
#: than with 4, 16 saved little more and leaves a longer tail)
BATCH = 8
#: settings of the LocalCluster this engine starts: a batch pipeline has no use for the
#: dashboard's statistical profiler (it walks the running task's stack every 10 ms, in each
#: worker), the event-loop watchdog's 20 ms tick, work stealing between two workers fed a
#: bounded window of equal tasks, or the system and memory monitors' sub-second polling. Idle,
#: the cluster's processes took 8 % of a core with Dask's defaults, 1.4 % with these, and the
#: segmentation stage of 10⁶ documents ran 9 % faster (docs/benchmarks.md, NLP pipeline,
#: "dask/local").
#: Nor do its workers start with ``MALLOC_TRIM_THRESHOLD_=65536`` (Dask's default, to hand
#: freed memory back to the system at once): setting it fixes glibc's thresholds, so every
#: array over 128 kB is mapped and unmapped again, and the segmentation stage's worker threads
#: spent 0.6–1.0 CPU s more on 10⁶ documents than with glibc's own adaptive thresholds.
#: A cluster behind ``--scheduler`` keeps its own settings.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
    # None: the variable is not set at all (distributed.nanny._get_env_variables)
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}
#: distributions whose versions must match between this process and the cluster's workers
MATCHED_DISTRIBUTIONS = ("heritage-routes", "jieba", "gensim", "snownlp", "scikit-learn")

_ACTIVE: contextvars.ContextVar[Engine | None] = contextvars.ContextVar(
    "heritage_nlp_engine", default=None
)


class EngineError(ConfigError):
    """The engine cannot run: unreachable scheduler, no workers, workers without the package."""


class Engine:
    """Runs ``func(state, chunk)`` over chunks, yielding results in input order."""

    name = "engine"

    def map[T, R](
        self,
        func: Callable[[Any, T], R],
        state: Any,
        chunks: Iterable[T],
        *,
        window: int | None = None,
    ) -> Iterator[R]:
        """Yield ``func(state, chunk)`` for each chunk, in order, ``window`` chunks in flight.

        ``func`` must be a module-level function and ``state`` picklable. Inside a stage build
        each result is also kept as a partition (:mod:`nlp.partitions`), and a rerun of a
        killed build takes the completed ones instead of computing them again.
        """
        store = active_store()
        if store is None:
            return self._map(func, state, chunks, window=window)
        return store.map(lambda todo: self._map(func, state, todo, window=window), func, chunks)

    def _map[T, R](
        self,
        func: Callable[[Any, T], R],
        state: Any,
        chunks: Iterable[T],
        *,
        window: int | None = None,
    ) -> Iterator[R]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What ran the work, for the run report (engine, scheduler, workers)."""
        return {"engine": self.name}

    def close(self) -> None:
        """Release processes and connections."""


class LocalEngine(Engine):
    """This machine: a bounded ``multiprocessing`` pool (see :func:`nlp.parallel.ordered_map`).

    Parameters
    ----------
    workers
        Processes; ``1`` runs in this process.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))

    def _map[T, R](
        self,
        func: Callable[[Any, T], R],
        state: Any,
        chunks: Iterable[T],
        *,
        window: int | None = None,
    ) -> Iterator[R]:
        return ordered_map(func, state, chunks, workers=self.workers, window=window)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "scheduler": None, "workers": self.workers}


def worker_versions() -> dict[str, str | None]:
    """Versions of :data:`MATCHED_DISTRIBUTIONS` in this process (``None``: not installed)."""
    return library_versions(MATCHED_DISTRIBUTIONS)


def _pickled_call(func: Callable[[Any, Any], Any], state: Any, blob: bytes) -> bytes:
    """``func(state, chunk)`` for each of a task's chunks (pickled by the client), the results
    pickled back.

    Chunks and results cross as ``pickle`` bytes because distributed serialises a list whose
    items hold bytes or arrays (ingest rows, sentiment results …) item by item: 219 ms for a
    2,000-row chunk that ``pickle`` writes in 0.4 ms (docs/benchmarks.md, NLP pipeline,
    "dask/local").
    BLAS and OpenMP use one thread, as in the local pool's workers (:func:`one_thread_for_life`:
    a remote worker need not have the LocalCluster's thread settings; set once per process)."""
    one_thread_for_life()
    results = [func(state, chunk) for chunk in pickle.loads(blob)]
    return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)


def _file_size(path: str) -> int | None:
    """``path`` 's size on the machine this runs on (``None``: not there)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None


class DaskEngine(Engine):
    """A ``dask.distributed`` cluster: a ``LocalCluster`` started here, or a running scheduler.

    Use :meth:`start` rather than the constructor.

    Parameters
    ----------
    client
        A connected ``distributed.Client``.
    cluster
        The ``LocalCluster`` this engine started (closed with it), or ``None``.
    scheduler
        The address given by the user (``None`` for a LocalCluster).
    batch
        Chunks per task (:data:`BATCH`).
    """

    name = "dask"

    def __init__(
        self, client: Any, cluster: Any = None, scheduler: str | None = None, batch: int = BATCH
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.scheduler = scheduler
        self.batch = max(1, int(batch))
        self._seen: dict[str, bool] = {}  # path → every worker sees it (asked once a path)

    @classmethod
    def start(
        cls, *, scheduler: str | None = None, workers: int = 2, timeout: float = 10.0
    ) -> DaskEngine:
        """Start a LocalCluster (no ``scheduler``) or connect to ``scheduler``.

        With a scheduler, waits up to ``timeout`` seconds for ``workers`` workers (at least one)
        and checks that each can import :mod:`nlp` with this process's package versions.

        Raises
        ------
        EngineError
            Unreachable scheduler, too few workers, or workers whose packages differ.
        """
        import dask
        from distributed import Client, LocalCluster

        if scheduler is None:
            # the scheduler reads its settings when it starts, the nannies pass theirs on to
            # the worker processes they start (and restart)
            with clean_sys_path(), dask.config.set(LOCAL_CLUSTER_CONFIG):
                cluster = LocalCluster(
                    n_workers=max(1, workers),
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=WORKER_MEMORY,
                    host="127.0.0.1",
                    scheduler_port=0,
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                )
            try:
                client = Client(cluster, timeout=timeout)
            except BaseException:
                cluster.close()
                raise
            return cls(client, cluster)
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(
                f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no reply'})"
            ) from None
        engine = cls(client, None, scheduler)
        try:
            engine._check_workers(max(1, workers), timeout)
        except BaseException:
            engine.close()
            raise
        return engine

    def _check_workers(
        self, n: int, timeout: float, expected: dict[str, str | None] | None = None
    ) -> None:
        """Wait for ``n`` workers, then compare their package versions with ``expected``
        (default: this process's, :func:`worker_versions`)."""
        try:
            self.client.wait_for_workers(n, timeout=timeout)
        except TimeoutError:
            have = len(self.client.scheduler_info().get("workers", {}))
            raise EngineError(
                f"the Dask scheduler at {self.scheduler} has {have} worker(s) after "
                f"{timeout:g} s, {n} wanted (start them with `dask worker {self.scheduler}`)"
            ) from None
        mine = worker_versions() if expected is None else expected
        try:
            theirs = self.client.run(worker_versions, on_error="return")
        except Exception as exc:  # the function could not even be sent or unpickled
            theirs = {"?": exc}
        for addr, got in sorted(theirs.items()):
            if isinstance(got, BaseException) or not isinstance(got, dict):
                raise EngineError(
                    f"Dask worker {addr} cannot import the nlp package ({type(got).__name__}: "
                    f"{got}); install the same heritage-routes wheel on every worker "
                    "(docs/researchers.md, 'Running on a Dask cluster')"
                )
            diff = [f"{k} {got.get(k)} (here {v})" for k, v in mine.items() if got.get(k) != v]
            if diff:
                raise EngineError(
                    f"Dask worker {addr} has different package versions: {', '.join(diff)}; "
                    "install the same heritage-routes wheel and dependencies on every worker"
                )

    def n_workers(self) -> int:
        """Workers the scheduler knows now."""
        return len(self.client.scheduler_info().get("workers", {}))

    def _map[T, R](
        self,
        func: Callable[[Any, T], R],
        state: Any,
        chunks: Iterable[T],
        *,
        window: int | None = None,
    ) -> Iterator[R]:
        window = window or 2 * max(1, self.n_workers())
        # a list of one: scatter spreads the items of a list/tuple/dict it is given directly
        [state_future] = self.client.scatter([state], broadcast=True, hash=False)
        pending: collections.deque[tuple[Any, Any]] = collections.deque()

        def take() -> list[Any]:
            data, task = pending.popleft()
            results: list[Any] = pickle.loads(task.result())
            task.release()
            if data is not None:
                data.release()
            return results

        it = iter(chunks)
        first = window  # the first tasks hold one chunk each: a map of a few chunks (a
        # coherence sweep's k values) still spreads over the workers
        try:
            while group := list(itertools.islice(it, 1 if first > 0 else self.batch)):
                first -= 1
                items: list[Any] = [
                    self._reachable(c) if isinstance(c, DocSlice) and self.scheduler else c
                    for c in group
                ]
                blob = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
                if len(blob) <= TASK_BYTES:
                    # e.g. slices the worker reads itself: a few hundred bytes each, in the task
                    data, arg = None, blob
                else:
                    # data goes to a worker as data, not inside the task: a task's arguments
                    # travel through the scheduler, which (in this process, for a
                    # LocalCluster) kept them after the task was done (4.7 GB at 10⁶
                    # documents)
                    [data] = self.client.scatter([blob], hash=False)
                    arg = data
                key = f"{getattr(func, '__name__', 'map')}-{uuid.uuid4().hex}"
                task = self.client.submit(
                    _pickled_call, func, state_future, arg, key=key, pure=False
                )
                pending.append((data, task))
                if len(pending) >= window:
                    yield from take()
            while pending:
                yield from take()
        finally:
            for data, task in pending:
                task.cancel()
                if data is not None:
                    data.release()
            state_future.release()

    def _reachable(self, item: DocSlice) -> DocSlice:
        """``item`` as is when every worker sees its files, else with its columns read here
        (``item.inline()``): a cluster without a shared file system still runs, moving the
        documents through the scheduler's connections."""
        if all(self._sees(path) for path in item.paths()):
            return item
        return item.inline()

    def _sees(self, path: str) -> bool:
        """Whether every worker finds ``path`` with this process's size (asked once a path)."""
        seen = self._seen
        if path not in seen:
            try:
                size = os.stat(path).st_size
                theirs = self.client.run(_file_size, path, on_error="return")
            except Exception:  # cannot ask: treat as not visible
                theirs = {"?": None}
            seen[path] = bool(theirs) and all(v == size for v in theirs.values())
        return seen[path]

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "scheduler": self.scheduler or "LocalCluster",
            "workers": self.n_workers(),
        }

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def open_engine(cfg: NlpConfig) -> Engine:
    """A new engine as ``cfg`` says (``engine``, ``scheduler``, ``workers``); close it after."""
    if cfg.engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {cfg.engine!r}")
    if cfg.engine == "local":
        if cfg.scheduler:
            raise ConfigError("a scheduler address needs --engine dask")
        return LocalEngine(cfg.workers)
    return DaskEngine.start(
        scheduler=cfg.scheduler or None, workers=cfg.workers, timeout=cfg.scheduler_timeout
    )


@contextlib.contextmanager
def engine_for(cfg: NlpConfig) -> Iterator[Engine]:
    """The engine of the enclosing ``engine_for`` block, or a new one for this block.

    The outermost block opens the engine ``cfg`` asks for (a Dask cluster starts here) and
    closes it at the end; blocks inside it share it.
    """
    active = _ACTIVE.get()
    if active is not None:
        yield active
        return
    engine = open_engine(cfg)
    token = _ACTIVE.set(engine)
    try:
        yield engine
    finally:
        _ACTIVE.reset(token)
        engine.close()


@contextlib.contextmanager
def using(engine: Engine) -> Iterator[Engine]:
    """Run the stages inside this block on ``engine`` (an engine you opened and will close:
    e.g. one cluster for several runs or a benchmark)."""
    token = _ACTIVE.set(engine)
    try:
        yield engine
    finally:
        _ACTIVE.reset(token)


def engine_map[T, R](
    cfg: NlpConfig,
    func: Callable[[Any, T], R],
    state: Any,
    chunks: Iterable[T],
    *,
    window: int | None = None,
) -> Iterator[R]:
    """:meth:`Engine.map` on the engine of :func:`engine_for` (a drop-in for ``ordered_map``)."""
    with engine_for(cfg) as engine:
        yield from engine.map(func, state, chunks, window=window)
