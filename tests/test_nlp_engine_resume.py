"""A run killed with SIGKILL in the middle of the sentiment stage resumes from the completed
partitions, and its artifacts are those of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_nlp_engine import assert_same_artifacts

from common.settings import PROJECT_ROOT
from nlp.config import NlpConfig
from nlp.partitions import PARTIAL_MANIFEST, read_log
from nlp.pipeline import run_all

SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"
CLI = [sys.executable, "-m", "planner.cli"]
CHUNK = 20


def _sentiment_parts(root: Path) -> int:
    """Completed partitions of the sentiment stage's first pass (0 when none yet)."""
    for folder in (root / "sentiment").glob(".*.partial"):
        maps, _ = read_log(folder / PARTIAL_MANIFEST)
        for name, parts in maps.items():
            if name.endswith("._sentiment_chunk"):
                return len(parts)
    return 0


@pytest.mark.slow
def test_killed_run_resumes_from_completed_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "reviews.jsonl"
    src.write_text(
        "\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:300]) + "\n", encoding="utf-8"
    )
    env = {
        "HERITAGE_NLP_WORKERS": "1",
        "HERITAGE_NLP_CHUNK_DOCS": str(CHUNK),
        "HERITAGE_NLP_AUTHOR_KEY": "resume-test-key",
        "HERITAGE_NLP_KEY_DIR": str(tmp_path / "keys"),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    root = tmp_path / "killed"
    args = ["nlp", "run", "-i", str(src), "--artifacts", str(root), "--sweep", "2:3"]
    args += ["--passes", "1"]
    proc = subprocess.Popen(
        [*CLI, *args], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    done = 0
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = _sentiment_parts(root)
            if done >= 3:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert done >= 3
    assert not list((root / "sentiment").glob("[!.]*/manifest.json")), "sentiment had finished"

    res = subprocess.run(
        [*CLI, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    resumed = [ln for ln in res.stderr.splitlines() if "resuming from" in ln]
    assert any("of _sentiment_chunk" in ln for ln in resumed), res.stderr
    reused = int(resumed[0].split("resuming from ")[1].split()[0])
    assert reused >= done  # what the killed run had completed was not computed again
    assert not list(root.rglob("*.partial")), "the partitions go once the artifact is complete"

    whole = tmp_path / "whole"
    cfg = NlpConfig(artifacts_dir=whole, workers=1, chunk_docs=CHUNK)
    outs = run_all([src], cfg, ks=(2, 3), passes=1)
    assert not outs.skipped
    assert_same_artifacts(root, whole)
