"""Built outputs: content hashes, atomic files and folders, manifests, the latest artifact.

One implementation for every writer in the project (NLP stages, the graph build, exports,
geocoding candidates):

- :func:`sha256_bytes`, :func:`sha256_file`, :func:`hash_params`, :func:`code_hash` — the
  hashes that key artifacts and prove what they were built from;
- :func:`atomic_path` / :func:`atomic_write_bytes` / :func:`atomic_write_text` /
  :func:`atomic_write_json` — a file appears complete or not at all. The temporary file sits
  beside the target; an existing target keeps its permission bits (a 600 file stays 600), a
  new one gets the umask's mode (as ``open()`` would give it); an ``OSError`` names the
  *target*, never the temporary file;
- :func:`atomic_files` — several files of one folder written together, the manifest last
  (and the old manifest removed first), so a reader that trusts only a folder whose manifest
  lists its files never uses a half-finished build;
- :func:`build_artifact` / :func:`find_artifact` / :func:`load_manifest` /
  :func:`latest_artifact` — keyed artifact folders ``<root>/<stage>/<key>/`` built under a
  temporary name and renamed into place, complete when ``manifest.json`` exists.

Temporary names carry the writer's process id (``.<name>.<pid>-<random>.tmp``).
:func:`clean_stale_temps` removes those whose process is gone — left by a run that was
killed — and every writer here calls it for its folder before writing;
:func:`sweep_stale_temps` does it for a whole artifacts tree when a pipeline or build starts.
So the next run cleans up after a killed one without touching a concurrent writer's files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import inspect
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from common import settings

__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "atomic_dir",
    "atomic_files",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "build_artifact",
    "clean_stale_temps",
    "code_hash",
    "find_artifact",
    "git_commit",
    "hash_params",
    "latest_artifact",
    "library_versions",
    "load_manifest",
    "sha256_bytes",
    "sha256_file",
    "sweep_stale_temps",
]

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1

# ``.<name>.<pid>-<random>.tmp`` (files and folders written here).
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")
# ``.<name>.<random>.tmp`` / ``.<key>.<random>`` (tempfile's 8 random characters) written
# before process ids were recorded: removed once they are older than this many seconds.
_LEGACY_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(\.tmp)?$")
_LEGACY_TEMP_AGE_S = 3600.0


# ============================================================================ hashes


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, *, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks.

    Parameters
    ----------
    path
        File to hash.
    chunk_bytes
        Read size.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def hash_params(params: Any) -> str:
    """A short stable hash (16 hex digits) of JSON-serialisable parameters.

    Keys are sorted and paths converted to strings, so equal parameters give equal hashes.
    """
    text = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def code_hash(files: Iterable[str | Path], functions: Iterable[Callable[..., Any]] = ()) -> str:
    """Hex SHA-256 of the source a result depends on: whole files, then single functions.

    A missing file is skipped (it contributes nothing), so the hash changes when a module
    appears or disappears. Used to rebuild an artifact when the code that made it changes.
    """
    digest = hashlib.sha256()
    for f in files:
        p = Path(f)
        if p.is_file():
            digest.update(p.read_bytes())
    for fn in functions:
        digest.update(inspect.getsource(fn).encode("utf-8"))
    return digest.hexdigest()


def library_versions(names: Iterable[str]) -> dict[str, str | None]:
    """Installed versions of the named distributions (``None`` if not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The project's current git commit, or ``None`` outside a checkout."""
    try:
        res = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None


# ============================================================================ temporary names


def _temp_prefix(name: str) -> str:
    return f".{name}.{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OverflowError:
        return False
    return True


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def clean_stale_temps(folder: str | Path, name: str | None = None) -> list[Path]:
    """Remove temporary files and folders left in ``folder`` by writers that were killed.

    Parameters
    ----------
    folder
        Where the temporaries were written (the target's folder).
    name
        Only the temporaries of this target name; ``None`` cleans every target's.

    Returns
    -------
    list[Path]
        What was removed. Temporaries of a running process (this one included) are kept.
        Temporaries named before process ids were recorded (``.<name>.<8 random>[.tmp]``)
        are removed only for a named target and only when older than an hour.
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:  # names only: a folder of many partitions is scanned at every atomic write
        with os.scandir(folder) as it:
            names = [e.name for e in it if e.name.startswith(".")]
    except OSError:
        return removed
    now = time.time()
    for entry in names:
        m = _TEMP_RE.match(entry)
        legacy = None if m else _LEGACY_TEMP_RE.match(entry)
        if m is None and legacy is None:
            continue
        p = folder / entry
        if m is not None:
            if (name is not None and m["name"] != name) or _pid_alive(int(m["pid"])):
                continue
        elif legacy is not None and name is not None and legacy["name"] == name:
            try:
                if now - p.lstat().st_mtime < _LEGACY_TEMP_AGE_S:
                    continue
            except OSError:
                continue
        else:
            continue
        _remove(p)
        removed.append(p)
    return removed


def sweep_stale_temps(root: str | Path, *, max_depth: int = 3) -> list[Path]:
    """:func:`clean_stale_temps` in ``root`` and its sub-folders (down to ``max_depth``).

    Called when a pipeline or build starts, so that what a killed run left anywhere under its
    artifacts folder is removed even if the next run writes other targets.
    """
    root = Path(root)
    removed: list[Path] = []
    level = [root]
    for _ in range(max_depth + 1):
        nxt: list[Path] = []
        for folder in level:
            removed += clean_stale_temps(folder)
            try:
                nxt += [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
            except OSError:
                continue
        level = nxt
    return removed


def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _naming_target(exc: OSError, target: Path, tmp: Path | None) -> OSError:
    """``exc`` re-pointed at ``target`` when it names the temporary file (or nothing)."""
    if exc.errno is None:
        return exc
    if exc.filename not in (None, str(tmp), tmp) and tmp is not None:
        return exc
    new = OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(target))
    return new


# ============================================================================ files


@contextlib.contextmanager
def atomic_path(path: str | Path, *, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    Parameters
    ----------
    path
        Final destination.
    make_parents
        Create the parent folder if needed (otherwise a missing folder is an error that
        names ``path``).

    Yields
    ------
    Path
        Where the caller writes. Removed if the block raises.

    Raises
    ------
    OSError
        Naming ``path`` (not the temporary file) when the folder cannot be written.
    """
    path = Path(path)
    parent = path.parent
    try:
        if make_parents:
            parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(parent, path.name)
        fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=parent)
    except OSError as exc:
        new = _naming_target(exc, path, None)
        if new is exc:
            raise
        raise new from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = _new_file_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        new = _naming_target(exc, path, tmp)
        if new is exc:
            raise
        raise new from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(
    path: str | Path, data: bytes, *, make_parents: bool = True, fsync: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); return ``path``.

    ``fsync`` flushes the data to disk before the rename (for files a user keeps).
    """
    with atomic_path(path, make_parents=make_parents) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: str | Path, text: str, *, make_parents: bool = True) -> Path:
    """Write UTF-8 text (``\\n`` line ends) atomically; return ``path``."""
    return atomic_write_bytes(path, text.encode("utf-8"), make_parents=make_parents)


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    """Write JSON (UTF-8, ``ensure_ascii=False``, indented) atomically; return ``path``."""
    return atomic_write_text(
        path, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n"
    )


@contextlib.contextmanager
def atomic_files(out_dir: str | Path, *, manifest: str = MANIFEST) -> Iterator[dict[str, Any]]:
    """Collect ``{file name: str | bytes}`` and write them into ``out_dir`` together.

    Every file is first written to a temporary beside its target. Then the old ``manifest``
    is removed, the other files are renamed into place, and the new manifest (if one was
    given) is renamed last. A run killed at any point leaves either the old, complete set or
    a folder without a manifest — which readers and :func:`kg.build.run_build` treat as
    "not built" — never new files under an old manifest. Temporaries of killed runs are
    removed first.

    Yields
    ------
    dict[str, str | bytes]
        Filled by the caller; nothing is written if the block raises.
    """
    out = Path(out_dir)
    pending: dict[str, Any] = {}
    yield pending
    out.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out)
    temps: list[tuple[Path, Path]] = []
    try:
        for name in sorted(pending, key=lambda n: n == manifest):
            data = pending[name]
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(name), suffix=".tmp", dir=out)
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            target = out / name
            try:
                mode = stat.S_IMODE(target.stat().st_mode)
            except FileNotFoundError:
                mode = _new_file_mode()
            os.chmod(tmp_name, mode)
            temps.append((Path(tmp_name), target))
        if manifest in pending:
            (out / manifest).unlink(missing_ok=True)
        for tmp, final in temps:  # the manifest sorts last
            os.replace(tmp, final)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path``.

    An existing folder is first renamed aside (to a temporary name) and removed after the new
    one is in place, so ``path`` is always either the old or the new complete folder; a run
    killed in between leaves temporaries that :func:`clean_stale_temps` removes later.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(final.parent)
    clean_stale_temps(final.parent, final.name)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(final.name), suffix=".tmp", dir=final.parent))
    try:
        yield tmp
        old = None
        if final.exists():
            old = final.with_name(f"{_temp_prefix(final.name)}old.tmp")
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            _remove(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ============================================================================ artifact folders


def find_artifact(root: str | Path, stage: str, key: str) -> Path | None:
    """The folder of a complete artifact (one with a manifest), or ``None``."""
    folder = Path(root) / stage / key
    return folder if (folder / MANIFEST).is_file() else None


def load_manifest(folder: str | Path) -> dict[str, Any]:
    """Read a folder's ``manifest.json``."""
    data: dict[str, Any] = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    return data


@contextlib.contextmanager
def build_artifact(
    root: str | Path,
    stage: str,
    key: str,
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, str],
    seed: int | None = None,
    libraries: Iterable[str] = (),
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Build an artifact folder ``<root>/<stage>/<key>/`` atomically, manifest last.

    Parameters
    ----------
    root
        Artifacts root (e.g. ``artifacts/nlp``).
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
    libraries
        Distributions whose versions are recorded in the manifest.

    Yields
    ------
    tuple[Path, dict]
        A temporary folder to write into, and a dict the caller may fill with results
        (counts, file list); it is stored in the manifest under ``"results"``.
    """
    results: dict[str, Any] = {}
    with atomic_dir(Path(root) / stage / key) as tmp:
        yield tmp, results
        manifest = {
            "stage": stage,
            "key": key,
            "schema_version": SCHEMA_VERSION,
            "params": dict(params),
            "inputs": dict(inputs),
            "seed": seed,
            "libraries": library_versions(libraries),
            "git_commit": git_commit(),
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "results": results,
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
            encoding="utf-8",
        )


def latest_artifact(stage: str, root: str | Path | None = None) -> Path | None:
    """The most recently built complete folder of ``stage`` (by manifest time), or ``None``.

    ``root`` defaults to :func:`common.settings.nlp_artifacts_dir`. Consumers outside
    ``nlp`` (the graph builder, the itinerary planner) use this to pick up the pipeline's
    latest results as files, without importing ``nlp``.
    """
    base = Path(root) if root else settings.nlp_artifacts_dir()
    d = base / stage
    if not d.is_dir():
        return None
    keyed = [k for k in d.iterdir() if k.is_dir() and (k / MANIFEST).is_file()]
    if not keyed:
        return None

    def when(k: Path) -> tuple[str, float]:
        return (str(load_manifest(k).get("created_utc", "")), (k / MANIFEST).stat().st_mtime)

    return max(keyed, key=when)
