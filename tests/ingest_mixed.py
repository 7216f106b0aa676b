"""A review export whose rows exercise every ingest outcome (for the engine comparisons):
kept documents, exact and near duplicates (also across chunks), too short/long, empty, platform
default reviews and template tags, bad dates and ratings, masked personal data, reused ids."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from common.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"
HEADERS = ["id", "标题", "内容", "景点", "评分", "时间", "用户名", "平台", "链接"]


def _texts() -> list[str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [t for t in (json.loads(line)["text"] for line in lines) if len(t) >= 40]


def mixed_rows(rounds: int = 4) -> list[list[object]]:
    """A header and ``rounds`` blocks of rows with kept documents and every kind of reject."""
    texts = iter(_texts())
    rows: list[list[object]] = [HEADERS]
    for r in range(rounds):
        a, b, c, d, e, f, g, h = (next(texts) for _ in range(8))
        rows += [
            ["", "", a, "宝顶山", "5", "2023/5/1", f"u{r}", "", ""],
            ["", "", b, "卧佛院", "4", "2023/6/2", f"v{r}", "", ""],
            ["", "", a, "宝顶山", "5", "2023/5/1", "x", "", ""],  # exact duplicate
            ["", "", f"{b}!!真的", "卧佛院", "4", "2023/6/2", "y", "", ""],  # near duplicate
            ["", "", "好", "北山", "5", "2023/5/1", "z", "", ""],  # too short
            ["", "", f"很好{r}", "北山", "5", "2023/5/1", "z", "", ""],  # short, kept
            ["", "", f"很好{r}", "北山", "5", "2023/5/1", "z", "", ""],  # short exact duplicate
            ["", "", f"很好{r}", "北山", "5", "2023/5/2", "w", "", ""],  # short, another record
            ["", "", c, "北山", "5", "明天", "v", "", ""],  # bad date, kept
            ["", "", d, "洪崖洞", "好评", "2023/7/1", "t", "", ""],  # bad rating, kept
            ["", "", f"{e}电话13812345678,邮箱 ab.c@qq.com", "武侯祠", "4", "", "s", "", ""],
            ["", "景色", f"【景色】{f}来自携程旅行app", "宝顶山", "5", "", "q", "ctrip", ""],
            ["", "", "默认好评", "宝顶山", "5", "", "p", "", ""],  # default review
            ["", "", "", "宝顶山", "5", "", "o", "", ""],  # empty text
            ["", "", "…。", "宝顶山", "5", "", "o", "", ""],
            ["", "", "长" * 10_050, "宝顶山", "5", "", "n", "", ""],  # too long
            [f"k{r}", "", f"{g}身份证号510104199001011234", "卧佛院", "3", "", "m", "", ""],
            [f"k{r}", "", h, "卧佛院", "3", "", "m", "", ""],  # the same id again
            ["", "", f"{f}{a}", "宝顶山", "5", "", "l", "", f"https://weibo.com/u/77{r}"],
        ]
    return rows


def write_mixed(path: Path, rounds: int = 4) -> Path:
    """Write :func:`mixed_rows` as a UTF-8 CSV."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(mixed_rows(rounds))
    return path
