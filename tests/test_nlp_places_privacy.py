"""Where reviews belong (--place-from, mapping file), platform boilerplate rules, personal-data
masks and keyed author pseudonyms."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from common.settings import PROJECT_ROOT
from nlp.boilerplate import PlatformRules
from nlp.config import NlpConfig
from nlp.ingest import ingest_file, iter_corpus
from nlp.lexicon import load_stopwords
from nlp.placefrom import PlaceResolver, label_candidates
from nlp.privacy import AuthorHasher, mask_pii, mask_url
from nlp.textnorm import normalize_zh

LEX = PROJECT_ROOT / "data" / "lexicon"
TEXT = "石刻非常精美，讲解员讲得很细致，值得花半天慢慢看。"


def _cfg(tmp_path: Path) -> NlpConfig:
    return NlpConfig(key_dir=tmp_path / "keys", chunk_docs=3)


def _docs(corpus: Path) -> list[dict]:
    return [r for b in iter_corpus(corpus) for r in b.to_pylist()]


def _workbook(path: Path, sheets: dict[str, list[str]], header: str = "评论内容") -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, texts in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([header, "评分"])
        for t in texts:
            ws.append([t, 5])
    wb.save(path)
    return path


# --------------------------------------------------------------------------- places


def test_label_candidates_strip_scraper_noise() -> None:
    assert label_candidates("宝顶山_携程评论_2023")[1] == "宝顶山"
    assert "北山" in label_candidates("北山 (reviews)")


def test_every_sheet_is_read_and_named_by_sheet(tmp_path: Path) -> None:
    src = _workbook(
        tmp_path / "export.xlsx",
        {
            "宝顶山": ["千手观音金光闪闪,很震撼。", f"宝顶山{TEXT}", "大佛湾的牧牛图讲的是修行。"],
            "卧佛院": [f"卧佛{TEXT}"],
        },
    )
    rep = ingest_file(src, tmp_path / "c", place_from="sheet", cfg=_cfg(tmp_path))
    assert rep.kept == 4
    assert rep.destinations == Counter({"宝顶山摩崖造像": 3, "卧佛院摩崖造像": 1})
    places = {d["place"] for d in _docs(tmp_path / "c")}
    assert places == {"宝顶山摩崖造像", "卧佛院摩崖造像"}


def test_auto_uses_a_column_when_one_maps(tmp_path: Path) -> None:
    src = tmp_path / "北山.csv"
    src.write_text(f"评论内容,景点\n{TEXT},宝顶山\n", encoding="utf-8")
    rep = ingest_file(src, tmp_path / "c", cfg=_cfg(tmp_path))
    assert rep.place_origin == {"北山.csv": "column"}
    assert _docs(tmp_path / "c")[0]["place"] == "宝顶山"


def test_auto_falls_back_to_the_file_then_the_folder_name(tmp_path: Path) -> None:
    (tmp_path / "北山").mkdir()
    a = tmp_path / "北山" / "export1.csv"
    a.write_text(f"评论内容\n{TEXT}\n", encoding="utf-8")
    b = tmp_path / "卧佛院_reviews.csv"
    b.write_text("评论内容\n释迦牟尼涅槃像安详宁静，刻经洞也值得一去。\n", encoding="utf-8")
    c = ingest_file(a, tmp_path / "c", cfg=_cfg(tmp_path))
    d = ingest_file(b, tmp_path / "c", cfg=_cfg(tmp_path))
    assert c.place_origin == {"export1.csv": "folder"} and c.destinations["北山摩崖造像"] == 1
    assert d.place_origin == {"卧佛院_reviews.csv": "filename"}
    assert d.destinations["卧佛院摩崖造像"] == 1


def test_auto_says_when_nothing_tells_the_place(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(f"评论内容\n{TEXT}\n", encoding="utf-8")
    rep = ingest_file(src, tmp_path / "c", cfg=_cfg(tmp_path))
    assert rep.place_origin == {"export.csv": "none"}
    assert any("no destination" in n for n in rep.notices)


def test_unresolved_name_is_kept_and_listed_with_suggestions(tmp_path: Path) -> None:
    src = tmp_path / "宝定山.csv"  # a typo of 宝顶山
    src.write_text(f"评论内容\n{TEXT}\n", encoding="utf-8")
    rep = ingest_file(src, tmp_path / "c", place_from="filename", cfg=_cfg(tmp_path))
    assert rep.destinations == Counter({"宝定山": 1})
    assert rep.unresolved["宝定山"][0].startswith("宝顶山摩崖造像")


def test_mapping_file_names_what_the_catalog_does_not_know(tmp_path: Path) -> None:
    src = tmp_path / "A01.csv"
    src.write_text(f"评论内容\n{TEXT}\n", encoding="utf-8")
    mapping = tmp_path / "map.csv"
    mapping.write_text("name,site\nA01,baodingshan\n", encoding="utf-8")
    rep = ingest_file(
        src, tmp_path / "c", place_from="filename", place_map=mapping, cfg=_cfg(tmp_path)
    )
    assert rep.destinations == Counter({"宝顶山摩崖造像": 1}) and not rep.unresolved
    yml = tmp_path / "map.yaml"
    yml.write_text("A01: 北山\n", encoding="utf-8")
    resolver = PlaceResolver(PROJECT_ROOT / "data" / "catalog", yml)
    assert resolver.resolve("A01").site_id == "beishan"


# --------------------------------------------------------------------------- boilerplate


def test_platform_rules_file_loads_and_strips_tags() -> None:
    rules = PlatformRules(LEX / "platforms.yaml")
    assert {"generic", "ctrip", "qunar", "mafengwo", "dianping", "meituan"} <= set(rules.platforms)
    counts: Counter[str] = Counter()
    out = rules.strip("【景色】很美【趣味】有讲解【性价比】一般", "携程", counts)
    assert out == "很美 有讲解 一般" and counts["template_tag"] == 3
    assert rules.strip("口味:一般 环境:很好", "dianping") == "一般 很好"
    for default in ("默认好评", "***", "此用户没有填写评价。", "该用户未做出评价,系统默认好评"):
        assert rules.is_default_review(default), default
    for real in ("很好", "好玩!", "景色一般"):
        assert not rules.is_default_review(real), real


def test_default_reviews_are_counted_not_kept(tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_text(f"评论内容\n默认好评\n***\n【景色】{TEXT}\n", encoding="utf-8")
    rep = ingest_file(src, tmp_path / "c", cfg=_cfg(tmp_path))
    assert rep.kept == 1 and rep.reasons["default_review"] == 2
    assert rep.stripped == Counter({"default_review": 2, "template_tag": 1})
    assert _docs(tmp_path / "c")[0]["text"].startswith("石刻")
    meta = json.loads((tmp_path / "c" / "corpus.json").read_text(encoding="utf-8"))
    assert meta["parts"][0]["stripped"]["template_tag"] == 1


def test_filler_words_are_stopwords_and_expressions_stay_whole() -> None:
    stop = load_stopwords(LEX, maintained=False)
    for w in ("很多", "看看", "里面", "小时", "建议", "一去"):
        assert w in stop, w
    terms = (LEX / "domain_terms.txt").read_text(encoding="utf-8")
    for mwe in ("值得一去", "性价比高", "人山人海"):
        assert f"\n{mwe}" in terms, mwe


# --------------------------------------------------------------------------- privacy


@pytest.mark.parametrize(
    ("text", "masked", "kind"),
    [
        ("有事打13812345678找我", "有事打[电话]找我", "phone"),
        ("电话 +86 138-1234-5678", "电话 [电话]", "phone"),
        ("景区电话028-12345678", "景区电话[电话]", "phone"),
        ("联系 a.b_c@qq.com 谢谢", "联系 [邮箱] 谢谢", "email"),
        ("身份证51010219900307123x丢了", "身份证[身份证]丢了", "id_card"),
        ("我的主页weibo.com/u/1234567890", "我的主页[用户]", "profile"),
        ("uid:88812345 求关注", "[用户] 求关注", "profile"),
    ],
)
def test_each_pattern_is_masked(text: str, masked: str, kind: str) -> None:
    counts: Counter[str] = Counter()
    assert mask_pii(text, counts) == masked
    assert counts[kind] == 1


@pytest.mark.parametrize(
    "raw", ["邮箱 ab.c@qq.com 有问题联系", "联系AB.C@QQ.COM", "写信给x_y+z@mail.example.org吧"]
)
def test_an_email_survives_normalisation_to_be_masked(raw: str) -> None:
    """Text is normalised before masking: the e-mail's ``@domain`` must not be stripped as a
    Weibo mention, or its local part would stay in the corpus unmasked."""
    counts: Counter[str] = Counter()
    masked = mask_pii(normalize_zh(raw), counts)
    assert counts["email"] == 1 and "[邮箱]" in masked
    assert not any(part in masked for part in ("ab.c", "x_y+z"))


def test_mentions_are_still_stripped_next_to_emails() -> None:
    assert normalize_zh("@旅行达人 写信到 a@b.cn //@张三:好") == "写信到 a@b.cn 好"


def test_plain_numbers_and_dates_are_not_masked() -> None:
    for text in ("门票90元,2023年5月1日去的", "排队20分钟,走了12000步", "第1次来"):
        assert mask_pii(text) == text


def test_url_column_and_text_masked_at_ingest(tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_text(
        "评论内容,链接,昵称\n"
        f"{TEXT}有问题打13812345678,https://www.mafengwo.cn/u/5512345.html,游客A\n"
        f"北山{TEXT},https://you.ctrip.com/sight/dazu/123.html,游客B\n",
        encoding="utf-8",
    )
    rep = ingest_file(src, tmp_path / "c", cfg=_cfg(tmp_path))
    docs = _docs(tmp_path / "c")
    assert "[电话]" in docs[0]["text"] and "13812345678" not in docs[0]["text"]
    assert docs[0]["url"] == "[用户]"
    assert docs[1]["url"] == "https://you.ctrip.com/sight/dazu/123.html"
    assert rep.masked == Counter({"phone": 1, "profile": 1})
    assert mask_url(None) is None


def test_author_hash_key_is_per_corpus_and_outside_the_artifacts(tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_text(f"评论内容,昵称\n{TEXT},游客A\n", encoding="utf-8")
    cfg = _cfg(tmp_path)
    ingest_file(src, tmp_path / "c1", cfg=cfg)
    ingest_file(src, tmp_path / "c2", cfg=cfg)
    h1, h2 = (_docs(tmp_path / c)[0]["author_hash"] for c in ("c1", "c2"))
    assert h1 and h2 and h1 != h2  # another corpus, another key
    keys = list((tmp_path / "keys").iterdir())
    assert len(keys) == 2 and all(k.stat().st_mode & 0o077 == 0 for k in keys)
    for corpus in ("c1", "c2"):
        for f in (tmp_path / corpus).rglob("*"):
            if f.is_file():
                for k in keys:
                    assert k.read_text() not in f.read_bytes().decode("utf-8", "replace")
    # the public default salt of earlier versions no longer recomputes the pseudonym
    import hashlib

    assert hashlib.sha256("heritage-routes\x1f游客A".encode()).hexdigest()[:16] != h1


def test_user_key_gives_stable_pseudonyms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERITAGE_NLP_AUTHOR_KEY", "my secret")
    src = tmp_path / "a.csv"
    src.write_text(f"评论内容,昵称\n{TEXT},游客A\n", encoding="utf-8")
    ingest_file(src, tmp_path / "c1", cfg=_cfg(tmp_path))
    ingest_file(src, tmp_path / "c2", cfg=_cfg(tmp_path))
    h1, h2 = (_docs(tmp_path / c)[0]["author_hash"] for c in ("c1", "c2"))
    assert h1 == h2 == AuthorHasher.for_corpus("x", tmp_path, "my secret")("游客A")
    assert not (tmp_path / "keys").exists()
    assert pq.read_schema(next((tmp_path / "c1" / "parts").iterdir())).names[10] == "author_hash"
