"""``heritage nlp topics --out DIR``: a self-describing, reproducible result folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from common.settings import PROJECT_ROOT
from nlp.artifacts import sha256_file
from nlp.report import compare_topics, topics_wide
from planner.cli_nlp import app

runner = CliRunner()
SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 220 reviews of the sample corpus (enough for two destination models)."""
    path = tmp_path_factory.mktemp("corpus") / "reviews.jsonl"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:220]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(corpus: Path, root: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HERITAGE_NLP_WORKERS", "1")
    out = root / "out"
    args = ["topics", "-i", str(corpus), "--sweep", "2:3", "--passes", "2", "--seed", str(seed)]
    args += ["--artifacts", str(root / "artifacts"), "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def two_runs(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    mp = pytest.MonkeyPatch()
    try:
        a = _run(small_corpus, tmp_path_factory.mktemp("run_a"), 42, mp)
        b = _run(small_corpus, tmp_path_factory.mktemp("run_b"), 42, mp)
    finally:
        mp.undo()
    return a, b


def test_same_seed_and_corpus_give_identical_tables(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    tables = sorted(p.name for p in (a / "tables").glob("*.csv"))
    assert tables == ["coherence.csv", "doc_topics.csv", "topic_terms.csv", "topics_wide.csv"]
    for name in tables:
        assert (a / "tables" / name).read_bytes() == (b / "tables" / name).read_bytes(), name
    assert (a / "SHA256SUMS").read_text() == (b / "SHA256SUMS").read_text()
    run_a = json.loads((a / "run.json").read_text(encoding="utf-8"))
    run_b = json.loads((b / "run.json").read_text(encoding="utf-8"))
    assert run_a["tables_sha256"] == run_b["tables_sha256"]
    # the SVG plots are reproducible too (fixed ids, no date)
    for svg in sorted((a / "plots").glob("*.svg")):
        assert svg.read_bytes() == (b / "plots" / svg.name).read_bytes(), svg.name


def test_folder_describes_the_run(two_runs: tuple[Path, Path], small_corpus: Path) -> None:
    a, _ = two_runs
    run = json.loads((a / "run.json").read_text(encoding="utf-8"))
    assert run["seed"] == 42 and run["parameters"]["ks"] == [2, 3]
    assert run["parameters"]["passes"] == 2
    (entry,) = run["corpus"]["files"]
    assert entry["file"] == small_corpus.name
    assert entry["sha256"] == sha256_file(small_corpus)
    assert run["corpus"]["documents"] > 0
    pkgs = run["environment"]["packages"]
    assert pkgs["gensim"] and pkgs["jieba"] and pkgs["numpy"] and run["environment"]["python"]
    assert "--seed 42" in run["command"] and "--sweep 2:3" in run["command"]
    for f in run["files"]:
        assert (a / f).is_file(), f
    plots = {p.suffix for p in (a / "plots").iterdir()}
    assert plots == {".png", ".svg"}
    assert (a / "plots" / "coherence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (a / "README.md").read_text(encoding="utf-8")
    assert entry["sha256"] in readme and "SHA256SUMS" in readme
    sums = (a / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 4
    for line in sums:
        digest, name = line.split("  ")
        assert sha256_file(a / name) == digest
    coh = pd.read_csv(a / "tables" / "coherence.csv")
    assert set(coh["k"]) == {2, 3} and coh.groupby("group")["chosen"].sum().eq(1).all()


def test_compare_topics_matches_by_overlap() -> None:
    ref = [["石刻", "大足", "宝顶山"], ["川剧", "资阳", "变脸"], ["柠檬", "安岳"]]
    ours = [["川剧", "变脸", "戏楼"], ["石刻", "宝顶山", "北山"]]
    table = compare_topics(ours, ref).set_index("reference_topic")
    assert table.loc[1, "our_topic"] == 2 and table.loc[1, "jaccard"] == pytest.approx(2 / 4)
    assert table.loc[1, "shared"] == "石刻 宝顶山" and table.loc[1, "ours_only"] == "北山"
    assert table.loc[2, "our_topic"] == 1 and table.loc[2, "reference_only"] == "资阳"
    assert pd.isna(table.loc[3, "our_topic"]) and table.loc[3, "jaccard"] == 0


def test_topics_wide_joins_terms_in_rank_order() -> None:
    terms = pd.DataFrame(
        {
            "group": ["大足"] * 3,
            "k": [2] * 3,
            "topic": [0, 0, 1],
            "rank": [2, 1, 1],
            "term": ["北山", "宝顶山", "川剧"],
            "weight": [0.1, 0.2, 0.3],
        }
    )
    wide = topics_wide(terms)
    assert wide["terms"].tolist() == ["宝顶山 北山", "川剧"]
    assert wide["weights"].iloc[0] == "0.2000 0.1000"
