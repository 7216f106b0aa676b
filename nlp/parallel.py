"""Ordered, bounded-memory parallel map over chunks (used by segmentation and sentiment).

``multiprocessing.Pool.imap`` reads its whole input eagerly; :func:`ordered_map` keeps at most
``window`` chunks in flight, so a stream of millions of documents never sits in memory. Each
worker is set up once by ``initializer(state)`` (a picklable object such as a
:class:`~nlp.segment.Segmenter`, which builds its own tokenizer in the worker). Workers are
forked, or started by a fork server when this process runs other threads. :mod:`nlp.engine`
puts this behind the same interface as a Dask cluster.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing as mp
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["clean_sys_path", "ordered_map"]


_STATE: dict[str, Any] = {}


def _init(func: Callable[..., Any], state: Any) -> None:
    _STATE["func"] = func
    _STATE["state"] = state


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
    """
    if workers <= 1:
        for chunk in chunks:
            yield func(state, chunk)
        return
    window = window or 2 * workers
    method = _start_method()
    ctx = mp.get_context(method)
    # a fork inherits the modules already imported; other methods import from sys.path
    with contextlib.nullcontext() if method == "fork" else clean_sys_path():
        pool = ctx.Pool(workers, initializer=_init, initargs=(func, state))
    with pool:
        pending: collections.deque[Any] = collections.deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_call, (chunk,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
