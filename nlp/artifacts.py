"""Artifact folders with manifests, content hashes and atomic writes.

Each stage writes ``<root>/<stage>/<key>/`` where ``key`` hashes the stage's parameters and the
hashes of its inputs. A folder is complete when its ``manifest.json`` exists; folders are built
under a temporary name and renamed into place, so a crash never leaves a half-written artifact
that a rerun would reuse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nlp.config import PROJECT_ROOT

__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "atomic_path",
    "atomic_write_json",
    "atomic_write_text",
    "build_artifact",
    "find_artifact",
    "hash_params",
    "latest_artifact",
    "library_versions",
    "load_manifest",
    "sha256_file",
]

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
_LIBRARIES = ("jieba", "gensim", "scikit-learn", "snownlp", "pyarrow", "pandas", "networkx")


def sha256_file(path: str | Path, *, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks.

    Parameters
    ----------
    path
        File to hash.
    chunk_bytes
        Read size.

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def hash_params(params: Any) -> str:
    """Return a short stable hash (16 hex digits) of JSON-serialisable parameters.

    Parameters
    ----------
    params
        Any JSON-serialisable value; paths are converted to strings, keys are sorted.

    Returns
    -------
    str
    """
    text = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def library_versions(names: tuple[str, ...] = _LIBRARIES) -> dict[str, str | None]:
    """Return installed versions of the libraries that shape results."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str | None:
    try:
        res = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    Parameters
    ----------
    path
        Final destination. Its parent folder is created.

    Yields
    ------
    Path
        Where the caller writes. Removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write JSON (UTF-8, ``ensure_ascii=False``, indented) atomically."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def find_artifact(root: str | Path, stage: str, key: str) -> Path | None:
    """Return the folder of a complete artifact, or ``None`` if it has not been built."""
    folder = Path(root) / stage / key
    return folder if (folder / MANIFEST).is_file() else None


def load_manifest(folder: str | Path) -> dict[str, Any]:
    """Read an artifact's ``manifest.json``."""
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))


@contextlib.contextmanager
def build_artifact(
    root: str | Path,
    stage: str,
    key: str,
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, str],
    seed: int | None = None,
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Build an artifact folder atomically and write its manifest.

    Parameters
    ----------
    root
        Artifacts root (``artifacts/nlp``).
    stage
        Stage name, the first path component.
    key
        Hash of parameters and inputs, the second path component.
    params
        Parameters recorded in the manifest.
    inputs
        Input name → SHA-256 (or upstream artifact key) recorded in the manifest.
    seed
        Seed recorded in the manifest.

    Yields
    ------
    tuple[Path, dict]
        A temporary folder to write into, and a dict whose items the caller may fill with
        results (counts, file list); it is merged into the manifest under ``"results"``.
    """
    final = Path(root) / stage / key
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
    results: dict[str, Any] = {}
    try:
        yield tmp, results
        manifest = {
            "stage": stage,
            "key": key,
            "schema_version": SCHEMA_VERSION,
            "params": dict(params),
            "inputs": dict(inputs),
            "seed": seed,
            "libraries": library_versions(),
            "git_commit": _git_commit(),
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "results": results,
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
            encoding="utf-8",
        )
        if final.exists():  # built concurrently or left incomplete: replace it
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def latest_artifact(stage: str, root: str | Path | None = None) -> Path | None:
    """The most recently built complete folder of ``stage`` (by manifest time), or ``None``.

    ``root`` defaults to ``<project>/artifacts/nlp``. Consumers outside ``nlp`` (the graph
    builder, the itinerary planner) use this to pick up the pipeline's latest results.
    """
    base = Path(root) if root else PROJECT_ROOT / "artifacts" / "nlp"
    d = base / stage
    if not d.is_dir():
        return None
    keyed = [k for k in d.iterdir() if k.is_dir() and (k / MANIFEST).is_file()]
    if not keyed:
        return None

    def when(k: Path) -> tuple[str, float]:
        return (str(load_manifest(k).get("created_utc", "")), (k / MANIFEST).stat().st_mtime)

    return max(keyed, key=when)
