"""Designation texts of the catalog → protection-level concepts, years and batches."""

from __future__ import annotations

import re

from rdflib import URIRef

from kg.namespaces import HR

LEVEL_RANK: dict[URIRef, int] = {
    HR.WorldHeritage: 4,
    HR.NationalLevel: 3,
    HR.ProvincialLevel: 2,
    HR.PrefectureLevel: 1,
    HR.ScenicAreaRating: 1,
    HR.OtherTitle: 1,
    HR.UnverifiedLevel: 0,
}


_YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_BATCH_RE = re.compile(r"第([一二三四五六七八九十\d]+)批")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text)


def classify_designation(text: str) -> tuple[URIRef, int | None, int | None]:
    """Level concept, year and batch of one designation text of ``sites.csv``.

    >>> classify_designation("全国重点文物保护单位 第三批 1988-01-13 (编号3-50)")[1:]
    (1988, 3)
    >>> str(classify_designation("国家AAAA级旅游景区")[0]).rsplit("#")[1]
    'ScenicAreaRating'
    """
    t = text.lower()
    if "world heritage" in t or "世界遗产" in text or "世界文化遗产" in text:
        level = HR.WorldHeritage
    elif "全国重点文物保护单位" in text or "national" in t or "国家级" in text:
        level = HR.NationalLevel
    elif re.search(r"省文保|省级|四川省|重庆市级|provincial", text, re.IGNORECASE):
        level = HR.ProvincialLevel
    elif re.search(r"A{1,5}级旅游景区", text):
        level = HR.ScenicAreaRating
    elif re.search(r"市级|city-level", text):
        level = HR.PrefectureLevel
    else:
        level = HR.OtherTitle
    year_m = _YEAR_RE.search(text)
    batch_m = _BATCH_RE.search(text)
    return (
        level,
        int(year_m.group(1)) if year_m else None,
        _cn_number(batch_m.group(1)) if batch_m else None,
    )


def classify_item_level(text: str) -> URIRef:
    """Protection level concept of a heritage item's ``level`` text (first match wins).

    >>> str(classify_item_level("Chongqing municipal (大足区市级非遗项目)")).rsplit("#")[1]
    'ProvincialLevel'
    >>> str(classify_item_level("NOT VERIFIED")).rsplit("#")[1]
    'UnverifiedLevel'
    """
    t = text.lower().strip()
    if not t or t.startswith(("not verified", "none found")):
        return HR.UnverifiedLevel
    if t.startswith("national") or "国家级" in text:
        return HR.NationalLevel
    if re.search(r"provincial|省级|chongqing municipal|重庆市级", t):
        return HR.ProvincialLevel
    if re.search(r"市级|city-level|city level", t):
        return HR.PrefectureLevel
    return HR.UnverifiedLevel
