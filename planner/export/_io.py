"""Atomic file output shared by every export."""

from __future__ import annotations

from pathlib import Path

from common.artifacts import atomic_write_bytes
from common.errors import UserError


class ExportError(UserError, ValueError):
    """An export that cannot be made as asked (format, language, target path)."""


class ExportLookupError(UserError, LookupError):
    """A line, theme or place an export needs is not in the catalog."""


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder + ``os.replace``.

    A reader never sees a half-written file, and a failed export leaves any previous file
    untouched; an existing file keeps its permissions (see :mod:`common.artifacts`). The
    parent folder must exist.

    Raises
    ------
    ExportError
        If the parent folder does not exist or ``path`` is a folder.
    OSError
        Naming ``path`` when the folder cannot be written.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {path}: folder {parent} does not exist")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    return atomic_write_bytes(path, data, make_parents=False, fsync=True)
