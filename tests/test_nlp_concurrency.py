"""Concurrent ingests into one corpus lose nothing; two processes building one artifact key
both succeed and leave one complete folder (issue 14)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from nlp.ingest import corpus_size

CLI = "import sys; from planner.cli import main; sys.argv[0] = 'heritage'; main()"
SPOTS = ["宝顶山", "北山", "卧佛院", "圆觉洞", "千佛寨", "石篆山"]
ASPECTS = ["造像精美", "讲解细致", "人很多", "交通方便", "门票不贵", "光线很好", "适合拍照"]


def _export(path: Path, n: int, seed: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["评论内容", "评分"])
        for i in range(n):
            spot = SPOTS[(i + seed) % len(SPOTS)]
            a, b = ASPECTS[i % len(ASPECTS)], ASPECTS[(i * 3 + seed) % len(ASPECTS)]
            w.writerow([f"第{seed}批第{i}条评论：{spot}{a}，{b}，编号{seed * 1000 + i}号", 5])
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HERITAGE_NLP_KEY_DIR": str(tmp_path / "keys"),
        "HERITAGE_NLP_WORKERS": "1",
    }


def test_three_ingests_into_one_corpus_at_once(tmp_path: Path) -> None:
    files = [_export(tmp_path / f"e{k}.csv", 60, k) for k in range(3)]
    corpus = tmp_path / "corpus"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLI, "nlp", "ingest", str(f), "--corpus", str(corpus)],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for f in files
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    meta = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))
    assert len(meta["parts"]) == 3
    kept = sum(p["kept"] for p in meta["parts"])
    assert kept == corpus_size(corpus) == 180, outputs
    for part in meta["parts"]:
        assert (corpus / part["file"]).is_file()


def test_two_processes_build_one_artifact_key(tmp_path: Path) -> None:
    src = _export(tmp_path / "e.csv", 40, 1)
    art = tmp_path / "art"
    code = (
        "import sys; from pathlib import Path; from nlp.config import config_from_env; "
        "from nlp.pipeline import stage_corpus; "
        "o = stage_corpus([Path(sys.argv[1])], config_from_env(artifacts_dir=Path(sys.argv[2]))); "
        "print(o.key, o.results['documents'])"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(src), str(art)],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    keys = {o.split()[0] for o in outputs}
    assert len(keys) == 1 and all(o.split()[1] == "40" for o in outputs)
    folders = [d for d in (art / "corpus").iterdir() if d.is_dir()]
    assert [d.name for d in folders] == [keys.pop()]  # one complete folder, no leftovers
    assert (folders[0] / "manifest.json").is_file() and corpus_size(folders[0]) == 40
