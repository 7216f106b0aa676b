"""Hostile and thin inputs (issue 14): one clear line, never a traceback, from `heritage nlp`."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.settings import PROJECT_ROOT
from nlp.readers import detect_encoding
from planner.cli_nlp import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _keys_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-corpus author-hash keys go to the test's folder, not to $HOME."""
    monkeypatch.setenv("HERITAGE_NLP_KEY_DIR", str(tmp_path / "keys"))


SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"


def _clean_failure(res, *needles: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.output
    for n in needles:
        assert n in res.output, res.output


def _sample_csv(path: Path, n: int, *, place: bool = True) -> Path:
    docs = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()][:n]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["评论内容", "评分", "景点"] if place else ["评论内容", "评分"])
        for d in docs:
            row = [d["text"], d["rating"] or ""]
            w.writerow([*row, d["place"]] if place else row)
    return path


def test_random_bytes_named_csv(tmp_path: Path) -> None:
    bad = tmp_path / "export.csv"
    bad.write_bytes(os.urandom(4096))
    res = runner.invoke(app, ["ingest", str(bad), "--corpus", str(tmp_path / "c")])
    _clean_failure(res, "export.csv", "not a text or spreadsheet file")


def test_short_gbk_file_with_only_its_header(tmp_path: Path) -> None:
    src = tmp_path / "gbk.csv"
    src.write_bytes("评论内容,评论时间,评分,昵称\n".encode("gbk"))
    assert detect_encoding(src) == "gb18030"
    short = tmp_path / "gbk_short.csv"
    short.write_bytes("评论内容,评分\n很好看,5\n".encode("gbk"))
    assert detect_encoding(short) == "gb18030"
    res = runner.invoke(app, ["run", "-i", str(src), "--artifacts", str(tmp_path / "a")])
    _clean_failure(res, "no documents to analyse", "0 row(s)")


def test_header_only_utf8_file(tmp_path: Path) -> None:
    src = tmp_path / "empty.csv"
    src.write_text("评论内容,评分\n", encoding="utf-8")
    res = runner.invoke(app, ["run", "-i", str(src), "--artifacts", str(tmp_path / "a")])
    _clean_failure(res, "no documents to analyse")


def test_empty_file(tmp_path: Path) -> None:
    src = tmp_path / "nothing.csv"
    src.write_bytes(b"")
    res = runner.invoke(app, ["ingest", str(src), "--corpus", str(tmp_path / "c")])
    _clean_failure(res, "nothing.csv", "empty")


def test_pdf_and_zip_named_xlsx(tmp_path: Path) -> None:
    pdf = tmp_path / "reviews.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(200))
    res = runner.invoke(app, ["ingest", str(pdf), "--corpus", str(tmp_path / "c")])
    _clean_failure(res, "reviews.xlsx", "PDF")


def test_three_documents_skip_what_cannot_run(tmp_path: Path) -> None:
    one = _sample_csv(tmp_path / "one.csv", 1)
    two = tmp_path / "two.csv"
    with open(two, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["评论内容"], ["北山石刻的转轮经藏很精美"], ["卧佛院的卧佛很安详"]]
        )
    # several files after one -i
    args = ["run", "-i", str(one), str(two), "--artifacts", str(tmp_path / "a"), "--workers", "1"]
    res = runner.invoke(app, [*args, "--sweep", "2:3"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "topics skipped: topics need at least 10 documents" in res.output
    report = json.loads((tmp_path / "a" / "run_report.json").read_text(encoding="utf-8"))
    assert report["stages"]["topics"]["state"] == "skipped"
    assert report["stages"]["similarity"]["state"] == "skipped"
    assert report["stages"]["sentiment"]["state"] == "built"
    assert report["documents"] == 3


@pytest.mark.slow
def test_no_site_matched_and_one_group(tmp_path: Path) -> None:
    src = _sample_csv(tmp_path / "nositeinfo.csv", 40, place=False)
    args = ["run", "-i", str(src), "--artifacts", str(tmp_path / "a"), "--workers", "1"]
    res = runner.invoke(app, [*args, "--sweep", "2:3", "--passes", "2"])
    assert res.exit_code == 0, res.output
    assert "no destination" in res.output  # the notice: nothing says where reviews belong
    report = json.loads((tmp_path / "a" / "run_report.json").read_text(encoding="utf-8"))
    assert report["stages"]["keywords"]["state"] == "built"
    assert report["stages"]["topics"]["state"] == "built"


def test_several_files_after_one_i_and_folders(tmp_path: Path) -> None:
    a = _sample_csv(tmp_path / "a.csv", 2)
    b = tmp_path / "b.csv"
    b.write_text("评论内容\n北山石刻的转轮经藏窟很精美，值得细看。\n", encoding="utf-8")
    corpus = tmp_path / "c"
    res = runner.invoke(app, ["ingest", str(a), str(b), "--corpus", str(corpus)])
    assert res.exit_code == 0, res.output
    meta = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))
    assert sum(p["kept"] for p in meta["parts"]) == 3
    sub = tmp_path / "folder" / "deeper"
    sub.mkdir(parents=True)
    (sub / "c.csv").write_text("评论内容\n卧佛院的卧佛很安详。\n", encoding="utf-8")
    (sub / ".hidden.csv").write_text("评论内容\n不该读到。\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(tmp_path / "folder"), "--corpus", str(corpus)])
    assert res.exit_code == 0, res.output
    meta = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))
    assert sum(p["kept"] for p in meta["parts"]) == 4


def test_missing_input_and_empty_folder(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "-i", str(tmp_path / "nope.csv")])
    _clean_failure(res, "nope.csv", "no such file")
    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, ["ingest", str(tmp_path / "empty"), "--corpus", str(tmp_path / "c")])
    _clean_failure(res, "holds no export file")


def test_unknown_place_from_value(tmp_path: Path) -> None:
    src = _sample_csv(tmp_path / "a.csv", 2)
    res = runner.invoke(
        app, ["ingest", str(src), "--corpus", str(tmp_path / "c"), "--place-from", "x"]
    )
    _clean_failure(res, "--place-from must be one of")
