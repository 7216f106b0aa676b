"""Files under hostile conditions: permissions kept, errors that name the target, and runs
killed with SIGKILL (``kill -9``) that leave nothing half-written behind.

The kill tests run the real ``heritage`` command in a subprocess. ``nlp run`` is killed from
outside as soon as a temporary artifact folder appears (polling); ``kg build`` is killed at an
exact point — right after the first output file is renamed into place, before the manifest —
by a wrapper that makes ``os.replace`` send SIGKILL to its own process (no ``finally`` block,
no ``atexit`` handler runs, as with ``kill -9``). Then the command is run again: no temporary
file or folder may remain and the result must be complete and valid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common import artifacts

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "tests" / "fixtures" / "export" / "sample_itinerary.json"
CLI = [sys.executable, "-m", "planner.cli"]


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------- permissions


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "trip.gpx"
    out.write_text("old")
    out.chmod(0o600)
    res = _run("export", "--plan", str(PLAN), "--out", str(out), "--line", "stone-carving")
    assert res.returncode == 0, res.stderr
    assert "<gpx" in out.read_text(encoding="utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        artifacts.atomic_write_text(tmp_path / "new.txt", "x")
        artifacts.atomic_write_bytes(tmp_path / "new.bin", b"x")
        with artifacts.atomic_files(tmp_path / "folder") as files:
            files["a.txt"] = "a"
    finally:
        os.umask(old)
    for p in (tmp_path / "new.txt", tmp_path / "new.bin", tmp_path / "folder" / "a.txt"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o640, p


def test_atomic_files_keep_modes_too(tmp_path: Path) -> None:
    (tmp_path / "graph.ttl").write_text("old")
    (tmp_path / "graph.ttl").chmod(0o600)
    with artifacts.atomic_files(tmp_path) as files:
        files["graph.ttl"] = "new"
        files["manifest.json"] = "{}"
    assert stat.S_IMODE((tmp_path / "graph.ttl").stat().st_mode) == 0o600
    assert (tmp_path / "graph.ttl").read_text() == "new"


def _read_only_run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with ``folder`` read-only: chmod for a normal user; a read-only bind mount
    in a private mount namespace for root (whom permission bits do not stop)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            return _run(*args)
        finally:
            folder.chmod(0o755)
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root without unshare: cannot make a read-only folder")
    script = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" && exec "$@"'
    )
    res = subprocess.run(
        [unshare, "--mount", "sh", "-c", script, "sh", *CLI, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if "mount:" in res.stderr and res.returncode != 2:
        pytest.skip(f"cannot mount read-only here: {res.stderr.strip()}")
    return res


def test_a_read_only_folder_error_names_the_target(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "trip.gpx"
    res = _read_only_run(
        folder, "export", "--plan", str(PLAN), "--out", str(target), "--line", "stone-carving"
    )
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert str(target) in lines[0]
    assert ".tmp" not in lines[0]
    assert "Traceback" not in res.stderr
    assert list(folder.iterdir()) == []


def test_atomic_path_errors_name_the_target(tmp_path: Path, monkeypatch) -> None:
    """A failure inside the temporary file (disk full) is reported against the target."""
    target = tmp_path / "out.bin"

    with pytest.raises(OSError) as info, artifacts.atomic_path(target) as tmp:
        raise OSError(28, "No space left on device", str(tmp))
    assert info.value.filename == str(target)
    assert info.value.errno == 28
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- kill -9


@pytest.mark.slow
def test_nlp_run_killed_with_sigkill_then_rerun(tmp_path: Path) -> None:
    root = tmp_path / "nlp"
    args = ("nlp", "run", "--artifacts", str(root), "--sweep", "2:3", "--passes", "1")
    env = {**os.environ, "HERITAGE_NLP_WORKERS": "1"}
    proc = subprocess.Popen(
        [*CLI, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    seen: list[Path] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            # a stage folder being built beyond the first one: the kill lands mid-pipeline
            seen = [p for p in _temporaries(root) if p.is_dir() and "corpus" not in p.parts]
            if seen:
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert seen, "the run finished before a temporary folder was seen"
    assert proc.returncode == -signal.SIGKILL
    assert _temporaries(root), "a killed run leaves its temporaries (that the rerun removes)"

    res = _run(*args, env={"HERITAGE_NLP_WORKERS": "1"})
    assert res.returncode == 0, res.stderr
    assert _temporaries(root) == []
    stages = [d for d in root.iterdir() if d.is_dir()]
    assert len(stages) >= 5
    for stage in stages:
        for folder in stage.iterdir():
            if folder.is_dir():
                # every visible artifact folder is complete
                assert (folder / artifacts.MANIFEST).is_file(), folder
                manifest = artifacts.load_manifest(folder)
                assert manifest["stage"] == stage.name
    report = json.loads((root / "run_report.json").read_text(encoding="utf-8"))
    assert report


_KILL_AFTER_FIRST_RENAME = """
import os, signal, sys
out = os.path.realpath(sys.argv[1])
real_replace = os.replace
def replace(src, dst, *a, **k):
    real_replace(src, dst, *a, **k)
    if os.path.dirname(os.path.realpath(dst)) == out and not str(dst).endswith("manifest.json"):
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
sys.argv = ["heritage", *sys.argv[2:]]
from planner.cli import main
main()
"""


@pytest.mark.slow
def test_kg_build_killed_between_renames_then_rerun(tmp_path: Path) -> None:
    out = tmp_path / "kg"
    # a first, complete build from a catalog that differs in one English name
    other = tmp_path / "catalog"
    shutil.copytree(ROOT / "data" / "catalog", other)
    sites = other / "sites.csv"
    text = sites.read_text(encoding="utf-8")
    assert "(Mount Baoding)" in text
    sites.write_text(text.replace("(Mount Baoding)", "(Mount Baoding - test)", 1), encoding="utf-8")
    first = _run("kg", "build", "--no-nlp", "--data-dir", str(other), "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = json.loads((out / "manifest.json").read_text(encoding="utf-8"))

    # the build from the real catalog dies right after its first file is in place
    args = ("kg", "build", "--no-nlp", "--out", str(out))
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_FIRST_RENAME, str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # a half-finished build is never vouched for: no manifest, or one that matches its files
    manifest = out / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        for name, digest in m["outputs"].items():
            assert artifacts.sha256_file(out / name) == digest, f"{name} does not match"
    assert _temporaries(out), "the killed build left temporaries (that the rerun removes)"

    res = _run(*args)
    assert res.returncode == 0, res.stderr
    assert _temporaries(out) == []
    after = json.loads(manifest.read_text(encoding="utf-8"))
    assert after["key"] != before["key"]
    for name, digest in after["outputs"].items():
        assert artifacts.sha256_file(out / name) == digest, name
    assert "Mount Baoding - test" not in (out / "graph.ttl").read_text(encoding="utf-8")
