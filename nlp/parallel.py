"""Ordered, bounded-memory parallel map over chunks (used by segmentation and sentiment).

``multiprocessing.Pool.imap`` reads its whole input eagerly; :func:`ordered_map` keeps at most
``window`` chunks in flight in a ``ProcessPoolExecutor``, so a stream of millions of documents
never sits in memory. Each worker is set up once by ``initializer(state)`` (a picklable object
such as a :class:`~nlp.segment.Segmenter`, which builds its own tokenizer in the worker).
Workers are forked, or started by a fork server when this process runs other threads. A worker
that dies (killed when memory runs out) ends the map with :class:`~nlp.errors.WorkerLostError`
instead of hanging it. :mod:`nlp.engine` puts this behind the same interface as a Dask cluster.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from nlp.errors import WorkerLostError

__all__ = [
    "FORKSERVER_PRELOAD",
    "clean_sys_path",
    "one_thread",
    "one_thread_for_life",
    "ordered_map",
]


_STATE: dict[str, Any] = {}


def one_thread() -> Any:
    """A context (``threadpoolctl``) in which BLAS and OpenMP use one thread.

    The pipeline computes with one such thread in every worker and wherever it fits a model:
    the work is parallel across processes already, and a multi-threaded BLAS reduction (the
    logistic regression's solver over 2¹⁸ hashed features, gensim's LDA) makes the last bits
    of a result depend on the thread count — on the core count, and on ``OMP_NUM_THREADS`` /
    ``OPENBLAS_NUM_THREADS``, which a Dask LocalCluster's nannies set to 1 in the client
    process. Sentiment scores differed between the engines by up to 1.6e-8 on 20,000
    documents before (docs/benchmarks.md)."""
    # threadpoolctl limits the libraries loaded when the limit is set: load them first (scipy's
    # own OpenBLAS comes with scipy.linalg, the OpenMP runtime with scikit-learn's helpers)
    import scipy.linalg  # noqa: F401
    import sklearn.utils._openmp_helpers  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


#: read by OpenBLAS (numpy's, scipy's), MKL, BLIS and OpenMP runtimes when they load
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


@functools.cache
def one_thread_for_life() -> Any:
    """:func:`one_thread` for the rest of a worker process's life, without loading anything:
    the libraries loaded already are limited (``threadpoolctl``), those loaded later read
    the limit from the environment. :func:`one_thread` loads scikit-learn's OpenMP helpers
    first, 0.65 s per worker and per map (18 % of the segmentation stage of 10⁶ documents,
    which never loads them). Set once per process: later calls return the same limit (a Dask
    worker calls this at every task, about a millisecond the first time)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _init(func: Callable[..., Any], state: Any) -> None:
    _STATE["func"] = func
    _STATE["state"] = state
    one_thread_for_life()


def _call(chunk: Any) -> Any:
    return _STATE["func"](_STATE["state"], chunk)


@contextlib.contextmanager
def clean_sys_path() -> Iterator[None]:
    """Leave out of ``sys.path`` the folders with modules named like the project's packages
    (``benchmarks/`` has ``nlp.py`` and ``kg.py``): processes started now (spawned, or by a
    fork server started now) would import those instead, die at start and be restarted forever.
    """
    names = ("common", "kg", "nlp", "routing", "planner")
    saved = list(sys.path)
    sys.path[:] = [
        p for p in saved if not any((Path(p or ".") / f"{n}.py").is_file() for n in names)
    ]
    try:
        yield
    finally:
        sys.path[:] = saved


def _start_method() -> str:
    """``fork`` (fast: the state is inherited) unless this process runs other threads (a Dask
    client, a web server): forking those can deadlock the child, so then ``forkserver``."""
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


#: imported once by the fork server (it starts with the first pool of a process and serves every
#: later one), so that the workers it forks start with the pipeline's modules loaded instead of
#: importing pyarrow, numpy, gensim … each (0.5–1 s per worker and per map)
FORKSERVER_PRELOAD = ("nlp.pipeline",)


def _context(method: str, func: Callable[..., Any]) -> mp.context.BaseContext:
    """The multiprocessing context for ``method``; a fork server preloads the pipeline and
    ``func`` 's module (a module that does not import is skipped by the server)."""
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([*FORKSERVER_PRELOAD, func.__module__])
    return ctx


def ordered_map[T, R](
    func: Callable[[Any, T], R],
    state: Any,
    chunks: Iterable[T],
    *,
    workers: int = 1,
    window: int | None = None,
) -> Iterator[R]:
    """Yield ``func(state, chunk)`` for each chunk, in input order.

    Parameters
    ----------
    func
        A module-level function (picklable) taking the worker state and one chunk.
    state
        Picklable state given to every call (copied once to each worker).
    chunks
        Input chunks, pulled lazily.
    workers
        Processes; ``1`` runs in this process.
    window
        Chunks in flight (default ``2 * workers``).

    Yields
    ------
    The results, in order.

    Raises
    ------
    WorkerLostError
        A worker process died (killed: out of memory, most often).
    """
    if workers <= 1:
        for chunk in chunks:
            with one_thread():
                result = func(state, chunk)
            yield result
        return
    window = window or 2 * workers
    method = _start_method()
    # A ProcessPoolExecutor, not a multiprocessing.Pool: the pool's worker-handler thread
    # spins while a result is still being read from its queue (CPython's Pool waits on that
    # queue's pipe), which took seconds of this process's CPU from the workers on 10⁶
    # documents; and a worker killed by the kernel hangs a Pool but breaks an executor.
    executor = ProcessPoolExecutor(
        workers, mp_context=_context(method, func), initializer=_init, initargs=(func, state)
    )
    pending: collections.deque[Future[R]] = collections.deque()
    try:
        for i, chunk in enumerate(chunks):
            # the first submissions start the workers: a forked child inherits the modules
            # already imported, other start methods import from sys.path
            clean = i < workers and method != "fork"
            with clean_sys_path() if clean else contextlib.nullcontext():
                pending.append(executor.submit(_call, chunk))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:
        raise WorkerLostError(
            f"a worker process died in the middle of the work ({exc}); when the machine ran "
            "out of memory, rerun with fewer workers (HERITAGE_NLP_WORKERS) or smaller chunks "
            "(HERITAGE_NLP_CHUNK_DOCS): completed partitions are kept"
        ) from None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
