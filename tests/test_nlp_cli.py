"""``heritage nlp`` commands through typer's runner."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli_nlp import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _keys_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-corpus author-hash keys go to the test's folder, not to $HOME."""
    monkeypatch.setenv("HERITAGE_NLP_KEY_DIR", str(tmp_path / "keys"))


def test_ingest_gbk_then_reingest(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    with open(src, "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["评论内容", "景点"])
        w.writerow(["宝顶山的千手观音太震撼了，讲解员讲得很细致，值得花半天。", "宝顶山"])
        w.writerow(["", "北山"])
    corpus = tmp_path / "corpus"
    res = runner.invoke(app, ["ingest", str(src), "--corpus", str(corpus)])
    assert res.exit_code == 0, res.output
    assert "gb18030" in res.output and "empty_text 1" in res.output
    res = runner.invoke(app, ["ingest", str(src), "--corpus", str(corpus)])
    assert res.exit_code == 0 and "already ingested" in res.output


def test_missing_text_column_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("标题,评分\n宝顶山,5\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(src), "--corpus", str(tmp_path / "c")])
    assert res.exit_code == 2
    assert "bad.csv" in res.output and "no text column" in res.output


def test_bad_sweep_is_rejected(tmp_path: Path) -> None:
    res = runner.invoke(app, ["topics", "--sweep", "x", "--artifacts", str(tmp_path)])
    assert res.exit_code != 0


def test_forcing_a_learnt_sentiment_model_without_ratings_says_why(tmp_path: Path) -> None:
    src = tmp_path / "few.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "rating"])
        for i in range(6):
            w.writerow([f"第{i}次去宝顶山，石刻很震撼", 5])
    args = ["sentiment", "-i", str(src), "--artifacts", str(tmp_path / "art"), "--workers", "1"]
    res = runner.invoke(app, [*args, "--sentiment-model", "rated"])
    assert res.exit_code == 2
    assert "needs at least 100 rated documents per class" in res.output
    res = runner.invoke(app, args)  # auto: too few ratings, so the bundled model is kept
    assert res.exit_code == 0, res.output
    assert "bundled model" in res.output and "fewer than 100" in res.output
