"""normalize_zh: a table of input → expected output."""

from __future__ import annotations

import pytest

from nlp.textnorm import normalize_zh

CASES = [
    (None, ""),
    ("   ", ""),
    ("ＡＢＣ１２３，全角", "abc123,全角"),
    ("臺灣遊客說風景很美", "台湾游客说风景很美"),
    ("#大足石刻# 太美了[赞]！！", "大足石刻 太美了!"),
    ("宝顶山 http://t.cn/A6abcd 网址", "宝顶山 网址"),
    ("看看https://www.example.com/a?b=1&c=2石刻", "看看 石刻"),
    ("@旅行达人 一起去北山", "一起去北山"),
    ("转发理由好美//@张三:大足石刻值得一去", "转发理由好美 大足石刻值得一去"),
    ("卧佛院太震撼了😀😀👍🏻", "卧佛院太震撼了"),
    ("圆觉洞很清静 展开全文c", "圆觉洞很清静"),
    ("L大足石刻的微博视频 千手观音", "千手观音"),
    ("门票&amp;交通<br/>都方便", "门票&交通 都方便"),
    ("Dazu Rock Carvings 很棒", "dazu rock carvings 很棒"),
    ("好好好。。。", "好好好。"),
    ("转发微博", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize_zh_table(raw: str | None, expected: str) -> None:
    assert normalize_zh(raw) == expected


def test_normalize_is_idempotent() -> None:
    for raw, _ in CASES:
        once = normalize_zh(raw)
        assert normalize_zh(once) == once


def test_traditional_conversion_optional() -> None:
    assert normalize_zh("臺灣", to_simplified=False) == "臺灣"
