"""Tests for kg.names: normalisation, pinyin keys and fuzzy ranking."""

from __future__ import annotations

import pytest

from kg.names import has_cjk, normalize, pinyin_keys, rank_candidates


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("宝顶山", "宝顶山"),
        ("寶頂山", "宝顶山"),  # traditional → simplified
        ("睏佛寺", "困佛寺"),
        ("Bao Ding Shan", "baodingshan"),
        ("Bǎodǐngshān", "baodingshan"),  # tone marks
        ("ＢＡＯＤＩＮＧＳＨＡＮ", "baodingshan"),  # full-width
        ("安岳石刻·圆觉洞景区", "安岳石刻圆觉洞景区"),
        ("kunfo_si", "kunfosi"),
        ("  北山 ", "北山"),
    ],
)
def test_normalize(raw: str, key: str) -> None:
    assert normalize(raw) == key


def test_has_cjk() -> None:
    assert has_cjk("宝顶山")
    assert not has_cjk("baodingshan")


def test_pinyin_keys_primary_and_heteronyms() -> None:
    assert pinyin_keys("宝顶山")[0] == "baodingshan"
    assert "qianfozhai" in pinyin_keys("千佛寨")  # pypinyin reads 佛 as "fu" here
    assert pinyin_keys("寶頂山")[0] == "baodingshan"
    assert pinyin_keys("baodingshan") == ()


def test_rank_candidates_prefers_homophone() -> None:
    cands = [("宝顶山", "baodingshan"), ("baodingshan", "baodingshan"), ("北山", "beishan")]
    ranked = rank_candidates("宝定山", cands)
    assert ranked[0][0] == "baodingshan"
    assert rank_candidates("", cands) == []
