"""Resumable maps: a killed stage build restarts from its completed partitions.

While a stage builds artifact ``<root>/<stage>/<key>/``, every chunk result of its engine maps
(:meth:`nlp.engine.Engine.map`: segmentation, keyword counts, sentiment scoring, the rated
model's counts, the practicalities miner …) is written as one partition to
``<root>/<stage>/.<key>.partial/``, and one line naming it is appended to the folder's log
(``partial.jsonl``) once the partition file is complete. The log only grows: recording a
partition costs the same whether it is the first or the ten-thousandth (a manifest rewritten
whole after each partition made a map of *n* chunks write O(n²) JSON — 1.5 s of the main
process at 10⁶ documents). A line cut short by a kill is ignored, and so is a partition file
without its line.

The folder is keyed like the artifact, so only a rerun with the same parameters, inputs and
code finds it: that rerun yields the completed partitions' results without computing them
again (after checking that each chunk's input digest is unchanged) and computes the rest.
Results come back in input order, so the completed partitions of a killed run are always a
prefix. The folder is removed once the artifact is complete.
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
from typing import IO, Any

from common.artifacts import atomic_write_text

__all__ = [
    "PARTIAL_MANIFEST",
    "PartialStore",
    "active_store",
    "partial_folder",
    "read_log",
    "resumable",
]

PARTIAL_MANIFEST = "partial.jsonl"

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
        self._log: IO[str] | None = None
        self._maps, whole = read_log(self.folder / PARTIAL_MANIFEST)
        if not whole:  # a kill cut the last line short: appending after it would garble the log
            self._rewrite()

    def _name(self, func: Callable[..., Any]) -> str:
        base = f"{func.__module__}.{func.__qualname__}"
        n = self._calls[base] = self._calls.get(base, 0) + 1
        return base if n == 1 else f"{base}#{n}"

    def _record(self, name: str, part: dict[str, str]) -> None:
        """Append one completed partition's line to the log (flushed: a kill keeps it)."""
        if self._log is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._log = open(self.folder / PARTIAL_MANIFEST, "a", encoding="utf-8")  # noqa: SIM115
        self._log.write(json.dumps({"map": name, **part}, ensure_ascii=False) + "\n")
        self._log.flush()

    def _rewrite(self) -> None:
        """Write the whole log again (after partitions were dropped: rare)."""
        self.close()
        lines = [
            json.dumps({"map": name, **part}, ensure_ascii=False)
            for name, parts in self._maps.items()
            for part in parts
        ]
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.folder / PARTIAL_MANIFEST, "".join(f"{ln}\n" for ln in lines))

    def close(self) -> None:
        """Close the log (it is reopened for the next partition)."""
        if self._log is not None:
            self._log.close()
            self._log = None

    def map(
        self,
        run: Callable[[Iterable[Any]], Iterator[Any]],
        func: Callable[..., Any],
        chunks: Iterable[Any],
    ) -> Iterator[Any]:
        """Yield the results of ``run(chunks)`` in order, reusing completed partitions and
        recording every new one."""
        name = self._name(func)
        parts = self._maps.setdefault(name, [])
        it = iter(chunks)
        reused = 0
        for part in list(parts):
            chunk = next(it, _END)
            if chunk is _END or _digest(chunk) != part["digest"]:
                del parts[reused:]  # another input from here on: recompute the rest
                self._rewrite()
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
            # no temporary and rename: a file is only used once its log line follows it, and a
            # leftover of a killed run under the same name is overwritten here
            with open(self.folder / file, "wb") as dst:
                pickle.dump(result, dst, protocol=5)
            part = {"file": file, "digest": digests.popleft()}
            parts.append(part)
            self._record(name, part)
            yield result

    def remove(self) -> None:
        """Delete the folder (the artifact is complete)."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def read_log(path: Path) -> tuple[dict[str, list[dict[str, str]]], bool]:
    """The completed partitions recorded in a ``partial.jsonl`` log, per map, in order (none
    when it is missing), and whether every line of it was whole (a line cut short by a kill,
    or garbled, ends what is trusted)."""
    maps: dict[str, list[dict[str, str]]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return maps, True
    except (OSError, UnicodeDecodeError):
        return maps, False
    for line in text.splitlines(keepends=True):
        try:
            if not line.endswith("\n"):
                raise ValueError("unfinished line")
            row = json.loads(line)
            part = {"file": str(row["file"]), "digest": str(row["digest"])}
            name = str(row["map"])
        except (ValueError, KeyError, TypeError):
            return maps, False
        maps.setdefault(name, []).append(part)
    return maps, True


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
