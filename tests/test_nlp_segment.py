"""Segmentation, user dictionary, stopwords and place matching on segmented words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.settings import PROJECT_ROOT
from nlp.errors import LexiconError
from nlp.lexicon import build_userdict_entries, load_domain_terms, load_stopwords, write_userdict
from nlp.places import PlaceMatcher
from nlp.segment import Segmenter, segment_corpus

LEXICON = PROJECT_ROOT / "data" / "lexicon"


@dataclass(frozen=True)
class FakeSite:
    name_zh: str
    aliases: tuple[str, ...] = ()
    county: str = ""


@dataclass(frozen=True)
class FakeCatalog:
    sites: dict[str, FakeSite]


CATALOG = FakeCatalog(
    {
        "baodingshan": FakeSite("宝顶山摩崖造像", ("宝顶山", "大佛湾"), "大足区"),
        "beishan": FakeSite("北山摩崖造像", ("北山", "多宝塔(北塔)"), "大足区"),
        "dazu_town": FakeSite("大足城区", ("大足",), "大足区"),
        "yuanjuedong": FakeSite("圆觉洞摩崖造像", ("安岳石刻·圆觉洞景区", "圆觉洞"), "安岳县"),
        "wofoyuan": FakeSite("卧佛院摩崖造像", ("卧佛院",), "安岳县"),
    }
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Segmenter, PlaceMatcher, list]:
    folder = tmp_path_factory.mktemp("lex")
    heritage = folder / "heritage_items.csv"
    heritage.write_text("id,name_zh,aliases\nchuanju,川剧,变脸;资阳河派\n", encoding="utf-8")
    entries = build_userdict_entries(
        catalog=CATALOG, heritage_csv=heritage, domain_terms=LEXICON / "domain_terms.txt"
    )
    write_userdict(folder / "userdict.txt", entries)
    words = [e.word for e in entries]
    seg = Segmenter(folder / "userdict.txt", stopwords=load_stopwords(LEXICON, protected=words))
    return seg, PlaceMatcher(entries), entries


def test_userdict_holds_names_aliases_counties_and_heritage(setup) -> None:
    _, matcher, entries = setup
    words = {e.word: e for e in entries}
    for w in (
        "宝顶山摩崖造像",
        "宝顶山",
        "多宝塔",
        "北塔",
        "大足区",
        "安岳县",
        "安岳",
        "川剧",
        "变脸",
    ):
        assert w in words, w
    # a multi-piece alias does not make its pieces names of the site
    assert words["安岳石刻"].site_id is None
    assert matcher.resolve("宝顶山") == "baodingshan"
    assert matcher.resolve("圆觉洞景区") is None


def test_heritage_names_are_single_tokens(setup) -> None:
    seg, _, _ = setup
    assert seg.cut("安岳石刻的圆觉洞和卧佛院") == ["安岳石刻", "的", "圆觉洞", "和", "卧佛院"]
    assert "千手观音" in seg.cut("宝顶山的千手观音金光闪闪")


def test_dazu_inside_haodazugou_is_not_dazu(setup) -> None:
    seg, matcher, _ = setup
    assert matcher.match_tokens(seg.tokens("这里好大足够我们玩一天")) == []
    assert matcher.match_tokens(seg.tokens("我们去了大足，又去了宝顶山")) == [
        "dazu_town",
        "baodingshan",
    ]
    assert "大足" not in seg.cut("这里好大足够我们玩一天")


def test_stopwords_and_boilerplate_removed_but_user_words_kept(setup) -> None:
    seg, _, _ = setup
    tokens = seg.tokens("点击搜索话题微博正文视频，我们觉得北山石刻非常好看，看了2个小时")
    for w in ("点击", "搜索", "话题", "微博", "正文", "视频", "我们", "觉得", "非常", "2", "，"):
        assert w not in tokens
    assert "北山" in tokens and "好看" in tokens


def test_expand_adds_dictionary_parts(setup) -> None:
    seg, _, _ = setup
    assert seg("大足石刻很震撼") == ["大足石刻", "大足", "石刻", "震撼"]
    assert seg.tokens("大足石刻很震撼") == ["大足石刻", "震撼"]


def test_segmenter_pickles_without_tokenizer(setup) -> None:
    import pickle

    seg, _, _ = setup
    seg.cut("宝顶山")
    copy = pickle.loads(pickle.dumps(seg))
    assert copy.cut("宝顶山的大佛湾") == seg.cut("宝顶山的大佛湾")


def test_parallel_segmentation_matches_single_process(setup, tmp_path: Path) -> None:
    seg, matcher, _ = setup
    texts = [f"第{i}次去宝顶山，大佛湾的千手观音太震撼了，好大足够玩{i}个小时" for i in range(50)]
    texts += ["北山人少很安静"] * 7

    def batches():
        for start in range(0, len(texts), 8):
            part = texts[start : start + 8]
            ids = [f"d{start + j}" for j in range(len(part))]
            places = ["北山" if "北山" in t else None for t in part]
            yield pa.record_batch([ids, part, places], names=["doc_id", "text", "place"])

    one = segment_corpus(batches(), tmp_path / "one.parquet", seg, matcher=matcher, workers=1)
    two = segment_corpus(batches(), tmp_path / "two.parquet", seg, matcher=matcher, workers=2)
    assert one == two == len(texts)
    a = pq.read_table(tmp_path / "one.parquet").to_pylist()
    b = pq.read_table(tmp_path / "two.parquet").to_pylist()
    assert a == b
    assert [r["doc_id"] for r in a] == [f"d{i}" for i in range(len(texts))]
    assert a[0]["sites"] == ["baodingshan"] and a[-1]["sites"] == ["beishan"]


def test_rjieba_backend_when_installed(setup) -> None:
    pytest.importorskip("rjieba")
    seg, _, _ = setup
    fast = Segmenter(seg.userdict, stopwords=seg.stopwords, backend="rjieba")
    assert fast.cut("安岳石刻的圆觉洞和卧佛院") == seg.cut("安岳石刻的圆觉洞和卧佛院")


def test_bad_domain_term_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "terms.txt"
    bad.write_text("# comment\n石刻 n\n千手 观音 n\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"terms.txt, line 3"):
        load_domain_terms(bad)


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="backend"):
        Segmenter(backend="spacy")


def test_jieba_keyword_alternatives_use_our_tokenizer(setup) -> None:
    from nlp.keywords import jieba_keywords

    seg, _, _ = setup
    text = "宝顶山的千手观音很震撼。大佛湾的石刻造像规模宏大，宝顶山值得一去。" * 3
    for method in ("tfidf", "textrank"):
        top = [w for w, _ in jieba_keywords(text, seg.jieba_tokenizer, method=method, top_k=5)]
        assert "宝顶山" in top, (method, top)
    with pytest.raises(ValueError, match="method"):
        jieba_keywords(text, seg.jieba_tokenizer, method="lda")


def test_config_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nlp.config import config_from_env

    monkeypatch.setenv("HERITAGE_NLP_SEED", "7")
    monkeypatch.setenv("HERITAGE_NLP_ARTIFACTS_DIR", str(tmp_path))
    monkeypatch.setenv("HERITAGE_NLP_SENTIMENT_WORDS", "jieba")
    cfg = config_from_env(workers=1)
    assert (cfg.seed, cfg.artifacts_dir, cfg.workers) == (7, tmp_path, 1)
    assert cfg.sentiment_words == "jieba"


def _segment_and_check(
    seg: Segmenter,
    matcher: PlaceMatcher,
    texts: list[str],
    places: list[str | None],
    out: Path,
) -> list[dict]:
    """Segment one batch with :func:`segment_corpus` and check every row against
    Segmenter.tokens/cut and PlaceMatcher document by document; the rows."""
    ids = [f"d{i}" for i in range(len(texts))]
    batch = pa.record_batch([ids, texts, places], names=["doc_id", "text", "place"])
    assert segment_corpus(iter([batch]), out, seg, matcher=matcher) == len(texts)
    rows = pq.read_table(out).to_pylist()
    for row, text, place in zip(rows, texts, places, strict=True):
        tokens = seg.tokens(text)
        named = matcher.match_tokens(tokens)
        own = matcher.resolve(place)
        assert row["tokens"] == tokens
        assert row["n_words"] == len(seg.cut(text))
        assert row["mentioned"] == named
        assert row["sites"] == ([own] if own else ([] if place else named))
    return rows


def test_batch_segmentation_equals_the_per_document_methods(setup, tmp_path: Path) -> None:
    """The stage's array path (filter, word counts and place matching decided once per
    distinct word) gives what Segmenter.tokens/cut and PlaceMatcher give document by document."""
    seg, matcher, _ = setup
    texts = [
        "我们去了大足，又去了宝顶山  北山 也不错",
        "",
        "   ",
        "2023年 去了 3 次,\t的的的",
        "这里好大足够我们玩一天",
        "宝顶山宝顶山大足石刻，北山\n宝顶山",
    ]
    places = [None, None, "北山", "某个不在目录里的地方", None, "宝顶山"]
    rows = _segment_and_check(seg, matcher, texts, places, tmp_path / "t.parquet")
    assert len(rows) == 6
    # repeats collapse, order of first mention; a resolved place label wins for `sites`
    assert rows[5]["mentioned"][0] == "baodingshan"
    assert len(rows[5]["mentioned"]) == len(set(rows[5]["mentioned"])) >= 2
    assert rows[5]["sites"] == ["baodingshan"]
    assert rows[3]["sites"] == [] and rows[1]["tokens"] == [] and rows[1]["n_words"] == 0


def test_segmenter_carries_its_dictionary(setup, tmp_path: Path) -> None:
    """Workers on other machines need no shared file system: the user dictionary's entries
    travel with the pickled segmenter."""
    import pickle
    import shutil

    seg, _, _ = setup
    moved = tmp_path / "userdict.txt"
    shutil.copy(seg.userdict, moved)
    mine = Segmenter(moved, stopwords=seg.stopwords)
    blob = pickle.dumps(mine)
    moved.unlink()
    copy = pickle.loads(blob)
    assert copy.tokens("宝顶山的大佛湾") == seg.tokens("宝顶山的大佛湾")
    assert copy.user_words == seg.user_words


_EDGE_TEXTS = [
    "宝顶山很好abc",  # ends in Latin letters: the next text must not continue the word
    "def大足石刻\r",  # starts with Latin letters, ends with \r (the next starts with \n)
    "\n北山 也不错",
    "",
    "😀表情开头，结尾也有😀",
    "12.5元",
    "%门票-半价",
    "卧佛院\t圆觉洞",
    "川剧变脸好看",
]


def _words_by_text(flat: Any) -> list[list[str]]:
    words = flat.encoded.dictionary.take(flat.encoded.indices).to_pylist()
    return [words[a:b] for a, b in zip(flat.starts, flat.ends, strict=True)]


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
@pytest.mark.parametrize("odd", [None, "\x00", "\x01"])
def test_joined_cuts_give_each_texts_own_words(setup, backend: str, odd: str | None) -> None:
    """The batch path cuts runs of texts joined by a separator: every text's words are those
    of its own cut, across run boundaries; texts holding a separator themselves are cut one
    by one."""
    from nlp.segment import _JOIN, _cut_flat

    if backend == "rjieba":
        pytest.importorskip("rjieba")
    seg, _, _ = setup
    seg = Segmenter(seg.userdict, stopwords=seg.stopwords, backend=backend)
    texts = [_EDGE_TEXTS[i % len(_EDGE_TEXTS)] for i in range(2 * _JOIN + 7)]
    if odd:  # a text holding a separator itself
        texts[_JOIN + 3] = f"大足{odd}北山"
    cut = seg._ensure()
    flat = _cut_flat(cut, pa.array(texts, pa.string()))
    assert _words_by_text(flat) == [cut(t) for t in texts]
    if not odd:  # cut in joined runs: one separator between each two texts
        assert flat.sep >= 0
        assert (flat.starts[1:] == flat.ends[:-1] + 1).all()
        gaps = flat.encoded.indices.to_numpy()[flat.ends[:-1]]
        assert (gaps == flat.sep).all()


@pytest.mark.parametrize(
    "column_type, cut",
    [
        # a cut that leaves out pieces (spaces): its words do not tile the text
        (pa.string(), lambda t: [c for c in t if c != " "]),
        # a cut whose pieces are as many bytes as its text but end inside a character
        (pa.string(), lambda t: ["ab", "c" * (len(t.encode()) - 2)] if t else []),
        # another string type: its bytes are not read directly
        (pa.large_string(), list),
    ],
)
def test_cuts_that_do_not_tile_their_text_and_other_columns_fall_back(column_type, cut) -> None:
    from nlp.segment import _cut_flat

    texts = ["大足 石刻", "", "北山 ab", "宝顶山"] * 40
    flat = _cut_flat(cut, pa.array(texts, column_type))
    assert _words_by_text(flat) == [cut(t) for t in texts]
    assert flat.sep == -1


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
def test_a_batch_longer_than_one_join_equals_the_per_document_methods(
    setup, tmp_path: Path, backend: str
) -> None:
    """As above, with many documents (several joined runs) and edge texts at run boundaries."""
    from nlp.segment import _JOIN

    if backend == "rjieba":
        pytest.importorskip("rjieba")
    seg, matcher, _ = setup
    seg = Segmenter(seg.userdict, stopwords=seg.stopwords, backend=backend)
    texts = [_EDGE_TEXTS[i % len(_EDGE_TEXTS)] for i in range(3 * _JOIN + 1)]
    place_cycle = [None, "", "北山", "宝顶山摩崖造像", "不在目录里"]
    places = [place_cycle[i % len(place_cycle)] for i in range(len(texts))]
    rows = _segment_and_check(seg, matcher, texts, places, tmp_path / "t.parquet")
    assert any(r["sites"] == ["beishan"] for r in rows)


def test_a_matcher_without_names_gives_empty_site_lists(setup, tmp_path: Path) -> None:
    """No user-dictionary word names a site: every document still gets its (empty) lists."""
    seg, _, _ = setup
    rows = _segment_and_check(
        seg,
        PlaceMatcher([]),
        ["宝顶山很好", "", "北山也不错"],
        ["宝顶山", None, ""],
        tmp_path / "t.parquet",
    )
    assert [(r["sites"], r["mentioned"]) for r in rows] == [([], [])] * 3


@pytest.mark.parametrize(
    "texts",
    [[""], ["", ""], ["大足"] * 64 + [""], [""] + ["大足"] * 64, ["北山"] * 64 + ["", "大足"]],
)
def test_empty_texts_at_run_boundaries_have_no_words(texts: list[str]) -> None:
    """A run of one empty text has no words: it adds none (not an empty one) to the batch."""
    from nlp.segment import _JOIN, _cut_flat

    assert _JOIN == 64  # the texts above put an empty text alone in a run
    flat = _cut_flat(list, pa.array(texts, pa.string()))
    assert flat.sep >= 0 or len(texts) == 1
    assert _words_by_text(flat) == [list(t) for t in texts]
