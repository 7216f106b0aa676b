"""Shared by the benchmark scripts: write one marked section of ``docs/benchmarks.md``.

Each script owns the block between its ``<!-- name:begin -->`` and ``<!-- name:end -->``
markers; the file is re-read right before writing (other scripts may have changed their own
blocks) and replaced atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_section(path: Path, section: str, begin: str, end: str) -> None:
    """Replace ``begin`` … ``end`` in ``path`` with ``section`` (which carries both markers),
    or append ``section`` when the markers are missing; atomic."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        new = head + section.rstrip("\n") + tail
    else:
        new = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    if not new.endswith("\n"):
        new += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # (stdlib only: this folder's nlp.py would shadow the nlp package for an import here)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
