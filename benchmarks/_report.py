"""Shared by the benchmark scripts: the machine/code description of a run and writing one
marked section of ``docs/benchmarks.md``.

Each script owns the block between its ``<!-- name:begin -->`` and ``<!-- name:end -->``
markers; the file is re-read right before writing (other scripts may have changed their own
blocks) and replaced atomically.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def version(pkg: str) -> str:
    """Installed version of ``pkg`` or ``"not installed"``."""
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_name() -> str:
    """CPU model name from ``/proc/cpuinfo`` (falls back to :mod:`platform`)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, formatted."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def git(*args: str) -> str:
    """Output of ``git args`` in the repository, stripped ("" when git fails)."""
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def head_commit() -> str:
    """Short commit of ``HEAD`` (``unknown`` outside a git checkout)."""
    return git("rev-parse", "--short", "HEAD") or "unknown"


def code_state(files: list[str], what: str) -> tuple[str, str]:
    """Short commit of the repository (marked when ``files`` have local changes, described as
    ``what``) and a sha256 prefix over ``files``' current bytes."""
    commit = head_commit()
    if git("status", "--porcelain", *files):
        commit += f" ({what} modified)"
    h = hashlib.sha256()
    for f in files:
        h.update((ROOT / f).read_bytes())
    return commit, h.hexdigest()[:12]


def machine() -> str:
    """Cores, CPU, OS, Python and the load average at the start."""
    return (
        f"{os.cpu_count()} cores ({cpu_name()}), {platform.system()} {platform.release()}, "
        f"load average at start {load_average()}; Python {platform.python_version()}"
    )


def command_line() -> str:
    """The command that is running, with the venv's interpreter shown relative to the repo."""
    exe = Path(sys.executable)
    shown = ".venv/bin/python" if ROOT / ".venv" in exe.parents else "python"
    return shlex.join([shown, *sys.argv])


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
