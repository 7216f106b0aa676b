"""Resumable maps: a killed stage build restarts from its completed partitions.

While a stage builds artifact ``<root>/<stage>/<key>/``, every chunk result of its engine maps
(:meth:`nlp.engine.Engine.map`: segmentation, sentiment scoring, the rated model's counts, the
practicalities miner) is written as one partition to ``<root>/<stage>/.<key>.partial/``, with a
manifest (``partial.json``) written after each partition. The folder is keyed like the artifact,
so only a rerun with the same parameters, inputs and code finds it: that rerun yields the
completed partitions' results without computing them again (after checking that each chunk's
input digest is unchanged) and computes the rest. Results come back in input order, so the
completed partitions of a killed run are always a prefix. The folder is removed once the
artifact is complete.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import hashlib
import itertools
import json
import pickle
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from common.artifacts import atomic_path, atomic_write_json

__all__ = ["PARTIAL_MANIFEST", "PartialStore", "active_store", "partial_folder", "resumable"]

PARTIAL_MANIFEST = "partial.json"

_STORE: contextvars.ContextVar[PartialStore | None] = contextvars.ContextVar(
    "heritage_nlp_partials", default=None
)
_END = object()


def partial_folder(root: Path, stage: str, key: str) -> Path:
    """``<root>/<stage>/.<key>.partial``: the completed partitions of an unfinished build."""
    return Path(root) / stage / f".{key}.partial"


def _digest(chunk: Any) -> str:
    return hashlib.blake2b(pickle.dumps(chunk, protocol=5), digest_size=16).hexdigest()


class PartialStore:
    """The partitions of one stage build (see the module docstring).

    Parameters
    ----------
    folder
        ``<root>/<stage>/.<key>.partial``.
    on_resume
        Called with (map name, partitions reused) when a map starts from completed partitions.
    """

    def __init__(self, folder: Path, on_resume: Callable[[str, int], None] | None = None) -> None:
        self.folder = Path(folder)
        self.on_resume = on_resume
        self.reused: dict[str, int] = {}
        self._calls: dict[str, int] = {}
        try:
            self._manifest: dict[str, Any] = json.loads(
                (self.folder / PARTIAL_MANIFEST).read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            self._manifest = {"maps": {}}

    def _name(self, func: Callable[..., Any]) -> str:
        base = f"{func.__module__}.{func.__qualname__}"
        n = self._calls[base] = self._calls.get(base, 0) + 1
        return base if n == 1 else f"{base}#{n}"

    def _save(self) -> None:
        atomic_write_json(self.folder / PARTIAL_MANIFEST, self._manifest)

    def map(
        self,
        run: Callable[[Iterable[Any]], Iterator[Any]],
        func: Callable[..., Any],
        chunks: Iterable[Any],
    ) -> Iterator[Any]:
        """Yield the results of ``run(chunks)`` in order, reusing completed partitions and
        recording every new one."""
        name = self._name(func)
        parts: list[dict[str, Any]] = self._manifest["maps"].setdefault(name, [])
        it = iter(chunks)
        reused = 0
        for part in list(parts):
            chunk = next(it, _END)
            if chunk is _END or _digest(chunk) != part["digest"]:
                del parts[reused:]  # another input from here on: recompute the rest
                self._save()
                if chunk is not _END:
                    it = itertools.chain([chunk], it)
                break
            with open(self.folder / part["file"], "rb") as src:
                result = pickle.load(src)
            reused += 1
            yield result
        if reused:
            self.reused[name] = reused
            if self.on_resume is not None:
                self.on_resume(name, reused)
        digests: collections.deque[str] = collections.deque()

        def todo() -> Iterator[Any]:
            for chunk in it:
                digests.append(_digest(chunk))
                yield chunk

        slug = hashlib.sha1(name.encode()).hexdigest()[:8]
        for result in run(todo()):
            file = f"{slug}-{len(parts):06d}.pkl"
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.folder / file) as tmp, open(tmp, "wb") as dst:
                pickle.dump(result, dst, protocol=5)
            parts.append({"file": file, "digest": digests.popleft()})
            self._save()
            yield result

    def remove(self) -> None:
        """Delete the folder (the artifact is complete)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def active_store() -> PartialStore | None:
    """The store of the stage build running in this context, if any."""
    return _STORE.get()


@contextlib.contextmanager
def resumable(store: PartialStore) -> Iterator[PartialStore]:
    """Engine maps inside this block write to (and resume from) ``store``."""
    token = _STORE.set(store)
    try:
        yield store
    finally:
        _STORE.reset(token)
