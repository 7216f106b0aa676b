"""Review exports as they are really scraped (issue 14): one workbook per spot named only in the
file name, XLSX content behind a ``.xls`` name, a real legacy BIFF ``.xls``, platform template
tags and default reviews — through ``heritage nlp run -i <folder> --place-from filename``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt
from typer.testing import CliRunner

from planner.cli_nlp import app

runner = CliRunner()

HEADER = ["评论内容", "评论时间", "评分", "昵称"]
TAGS = ["景色", "趣味", "性价比"]

# Per spot: (file stem, catalog name it resolves to, words only this spot's reviews use)
SPOTS = {
    "宝顶山": ("宝顶山摩崖造像", ["千手观音", "六道轮回", "圆觉洞", "牧牛图", "赵智凤", "大佛湾"]),
    "北山": (
        "北山摩崖造像",
        ["转轮经藏", "数珠手观音", "韦君靖", "多宝塔", "心神车窟", "日月观音"],
    ),
    "卧佛院": ("卧佛院摩崖造像", ["卧佛", "刻经", "释迦涅槃", "月亮坪", "经窟", "唐代刻经"]),
}
COMMON = ["石刻", "造像", "讲解", "精美", "震撼", "历史", "文化", "雕刻", "门票", "游客"]
PRACTICAL = [
    "逛了两个小时",
    "游览了大概三个小时",
    "人很多,排队很久",
    "工作日去人少很清静",
    "需要提前在公众号预约",
    "下午去光线最好",
]


def _reviews(spot: str, n: int, rng: random.Random) -> list[list[object]]:
    own = SPOTS[spot][1]
    rows: list[list[object]] = []
    for i in range(n):
        words = rng.sample(own, 3) + rng.sample(COMMON, 3)
        body = f"{spot}的{words[0]}和{words[1]}很{words[4]},{words[2]}的{words[3]}{words[5]}"
        tagged = "".join(
            f"【{t}】{body if j == 0 else rng.choice(own)}" for j, t in enumerate(TAGS)
        )
        text = f"{tagged},{PRACTICAL[i % len(PRACTICAL)]}。第{i}次来"
        rows.append([text, f"2023-0{1 + i % 9}-1{i % 10}", 1 + (i * 7) % 5, None])
    rows.append(["默认好评", "2023-05-01", 5, None])
    rows.append(["***", "2023-05-02", 5, None])
    return rows


def _xlsx(path: Path, rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)


def _biff(path: Path, rows: list[list[object]]) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("评论")
    for j, h in enumerate(HEADER):
        ws.write(0, j, h)
    for i, r in enumerate(rows, 1):
        for j, v in enumerate(r):
            if v is not None:
                ws.write(i, j, v)
    wb.save(str(path))


@pytest.fixture(scope="module")
def scraped_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    rng = random.Random(7)
    folder = tmp_path_factory.mktemp("exports")
    _xlsx(folder / "宝顶山.xls", _reviews("宝顶山", 45, rng))  # XLSX content, .xls name
    _xlsx(folder / "北山.xlsx", _reviews("北山", 45, rng))
    (folder / "more").mkdir()
    _biff(folder / "more" / "卧佛院.xls", _reviews("卧佛院", 45, rng))  # real BIFF
    art = tmp_path_factory.mktemp("art")
    args = ["run", "-i", str(folder), "--place-from", "filename", "--artifacts", str(art)]
    res = runner.invoke(app, [*args, "--sweep", "2:3", "--passes", "2", "--workers", "1"])
    assert res.exit_code == 0, res.output
    return art, res.output


def _stage(art: Path, stage: str) -> Path:
    report = json.loads((art / "run_report.json").read_text(encoding="utf-8"))
    return Path(report["stages"][stage]["path"])


def test_legacy_biff_and_misnamed_xlsx_are_read(scraped_run: tuple[Path, str]) -> None:
    art, output = scraped_run
    corpus = json.loads((_stage(art, "corpus") / "manifest.json").read_text(encoding="utf-8"))
    files = {Path(f["file"]).name: f for f in corpus["results"]["files"]}
    assert files["宝顶山.xls"]["encoding"] == "xlsx"
    assert files["卧佛院.xls"]["encoding"] == "xls"
    for f in files.values():
        assert f["kept"] == 45
        assert f["reasons"]["default_review"] == 2
        assert f["stripped"]["template_tag"] == 45 * 3
    assert "template_tag" in output and "default_review" in output


def test_each_spot_gets_keywords_topics_and_practicalities(scraped_run) -> None:
    art, _ = scraped_run
    names = {stem: catalog for stem, (catalog, _) in SPOTS.items()}
    kw = pd.read_csv(_stage(art, "keywords") / "keywords_destination.csv", dtype={"group": str})
    assert set(kw["group"]) == set(names.values())
    for stem, (catalog, own) in SPOTS.items():
        top = kw[kw["group"] == catalog].sort_values("rank")["term"].head(10).tolist()
        about_it = [t for t in top if t in "|".join([stem, *own])]  # words or parts of them
        assert len(about_it) >= 6, (stem, top)
    coh = pd.read_csv(_stage(art, "topics") / "coherence.csv")
    assert set(names.values()) <= set(coh["group"])
    priors = json.loads((_stage(art, "practicalities") / "priors.json").read_text("utf-8"))
    with_duration = {r["site"] for r in priors if r["visit_hours_prior"] is not None}
    assert {"baodingshan", "beishan", "wofoyuan"} <= with_duration


def test_template_tags_never_in_any_top_20(scraped_run) -> None:
    art, _ = scraped_run
    kw = pd.read_csv(_stage(art, "keywords") / "keywords_destination.csv", dtype={"group": str})
    for group, rows in kw.groupby("group"):
        top = set(rows.sort_values("rank")["term"].head(20))
        assert not top & set(TAGS), (group, top & set(TAGS))
