"""Practicalities miner, third round (issue 14 item 5): visit length vs queues, errands, rides and
idioms; crowds vs wishes, group prices and negations; site reservation vs booking notes, refunds
and other purchases. The sentences are written for these tests (no review text is copied)."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from common.settings import PROJECT_ROOT
from nlp.errors import LexiconError
from nlp.practicalities import PracticalityMiner

LEXICON = PROJECT_ROOT / "data" / "lexicon" / "practicalities.yaml"


@pytest.fixture(scope="module")
def miner() -> PracticalityMiner:
    return PracticalityMiner(LEXICON)


CASES = [
    # visit lengths the miner must find
    ("我们在园区度过了充实的一天", [("duration", 8.0)]),
    ("半天游完", [("duration", 4.0)]),
    ("进去不到一个小时就出来了", [("duration", 1.0)]),
    ("建议留足三个小时", [("duration", 3.0)]),
    ("Day2:上午卧佛院（两个小时）", [("duration", 2.0)]),
    ("在景区大概待了四个小时", [("duration", 4.0)]),
    ("浪费了一个下午", [("duration", 4.0)]),
    # ... and what is not a visit length
    ("每个项目要排四十分钟", [("crowding", "crowded")]),  # a queue, no visit length
    ("找停车位花了半小时", []),
    ("下了索道还要走一个小时才能到", []),
    ("绕了半天才找到入口", []),
    ("排了一个多小时队", [("crowding", "crowded")]),
    # crowds
    ("到处都是排队的", [("crowding", "crowded")]),
    ("这几年游客越来越多", [("crowding", "crowded")]),
    ("节假日本来就人多", [("crowding", "crowded"), ("avoid_time", "holiday")]),
    ("入口要等很久", [("crowding", "crowded")]),
    ("参观时不存在拥挤", [("crowding", "quiet")]),
    ("人多的话买团票更便宜", []),  # a group's price
    ("想清静一点的话平日上午来", [("best_time", "morning"), ("best_time", "weekday")]),
    ("主要是人少", [("crowding", "quiet")]),
    ("没想到人这么多", [("crowding", "crowded")]),
    # reservation
    ("下单前一定要看清预约须知", []),  # the booking process, not a need to book
    ("因为提前买了票所以没退", []),  # a refund story
    ("记得提前买好防晒霜", []),  # another purchase
    ("想去的话还是网上订票划算", []),  # a condition and a price
    ("务必提前一天在公众号预约", [("reservation", "required")]),
    ("建议提前在网上买好", [("reservation", "required")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_third_round_cases(miner: PracticalityMiner, text: str, expected) -> None:
    assert sorted((f.kind, f.value) for f in miner.mine(text)) == sorted(expected)


def test_a_bad_exclusion_regex_names_the_key(tmp_path) -> None:
    text = LEXICON.read_text(encoding="utf-8").replace("  idiom: ['", "  idiom: ['(", 1)
    bad = tmp_path / "p.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError, match=r"duration_exclude\.idiom"):
        PracticalityMiner(bad)


SETS = sorted((PROJECT_ROOT / "benchmarks" / "data").glob("practicalities_*.csv"))


def _key(r: dict[str, str]) -> tuple[str, str, int]:
    return r["corpus"], r["row_id"], int(r["start"])


def test_label_sets_are_disjoint_and_well_formed() -> None:
    label = re.compile(r"^(D=\d+(\.\d+)?|C[+-]|R[+-]|[AB]:[a-z]+|W|T|S|TRIP)$")
    seen: dict[tuple[str, str, int], str] = {}
    assert len(SETS) >= 4
    for path in SETS:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == ["clause", "corpus", "row_id", "start", "end", "stratum", "labels"]
        for i, r in enumerate(rows):
            assert int(r["clause"]) == i
            assert all(label.match(x) for x in r["labels"].split()), (path.name, r)
            assert _key(r) not in seen, f"{path.name} repeats a clause of {seen.get(_key(r))}"
            seen[_key(r)] = path.name


def _benchmark():
    saved = list(sys.path)
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))  # its _report helper
    try:
        spec = importlib.util.spec_from_file_location(
            "practicalities_benchmark", PROJECT_ROOT / "benchmarks" / "practicalities.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:  # benchmarks/ has nlp.py: left on sys.path, spawned workers would import it
        sys.path[:] = saved
    return module


def _rated_corpus(path: Path) -> None:
    good = [
        "石刻很精美，讲解也很好，值得一去",
        "风景优美，非常满意，下次还来",
        "造像壮观，很震撼，推荐",
    ]
    bad = [
        "太失望了，又脏又乱，不推荐",
        "服务很差，排队很久，不值这个价",
        "门票贵，没什么看的，后悔",
    ]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source_repo", "spot", "text", "rating", "date"])
        for i in range(24):
            spot = "B01" if i % 2 else "B02"
            text, stars = (good[i % 3], 5) if i % 4 < 2 else (bad[i % 3], 1)
            w.writerow(["t", spot, f"{text}（第{i}次）", stars, f"2020-01-{i % 28 + 1:02d}"])
        w.writerow(["t", "B03", "只有一条没有评分的评论，写得很长很长", "", "2020-02-01"])


def test_rating_census_and_per_spot_auc(tmp_path: Path) -> None:
    bench = _benchmark()
    corpus = tmp_path / "rated.csv"
    _rated_corpus(corpus)
    n, rated, per = bench.rating_census(corpus)
    assert (n, rated) == (25, 24) and per["B03"]["rows"] == 1 and not per["B03"]["pos"]
    assert per["B01"]["pos"] == 6 and per["B01"]["neg"] == 6
    table = {
        spot: (pos, neg, auc) for spot, pos, neg, auc in bench.spot_auc(corpus, tmp_path / "a")
    }
    assert set(table) == {"B01", "B02"}  # the unrated spot has no row
    for pos, neg, auc in table.values():
        assert pos == neg == 6 and auc is not None and auc > 0.5  # praise vs complaints


# Fourth round (development D): general rules, each with sentences written for the test.
FOURTH_ROUND = [
    # reservation: a marker of need/advice/rule, or a bare imperative without narrative marks
    ("周末去一定得提前在小程序预约", [("reservation", "required")]),
    ("希望各位游客提前订票", [("reservation", "required")]),  # advice addressed to readers
    ("旺季还是先预订比较好", [("reservation", "required")]),  # advice after the booking word
    ("可惜忘了提前买票", [("reservation", "required")]),  # a regret
    ("博物馆实行分时预约", [("reservation", "required")]),  # a rule statement
    ("不预约是进不去的", [("reservation", "required")]),
    ("提前两天预订", [("reservation", "required")]),  # a bare imperative
    ("我们已经提前三天预订", []),  # an account, not advice
    ("票是出发前一周订好了的", []),
    ("朋友提前在网上订的票", []),
    ("也可以提前预约", []),  # a permission
    ("一定要去窗口领预约票", []),  # an errand
    ("儿童不用买票", []),  # free admission is not about booking
    ("不要在售票处买票", []),  # advice about a channel
    ("周一到周五不用提前购票", [("reservation", "not_required")]),
    # visit lengths: subjects, completions, 'a day of visiting'
    ("参观时长约为一个半小时", [("duration", 1.5)]),
    ("前后差不多两个小时", [("duration", 2.0)]),
    ("半天基本就能把主要景点逛完", [("duration", 4.0)]),
    ("三个小时足以全部看完", [("duration", 3.0)]),
    ("开始了一天的畅玩", [("duration", 8.0)]),
    ("玩儿一下午没问题", [("duration", 4.0)]),
    ("两个小时刚刚好", [("duration", 2.0)]),
    ("一天根本玩不完", []),  # a negated completion
    # ... and lengths that are not visits
    ("从市区过去要两个小时", []),  # getting there
    ("等了四十分钟才能坐上小火车", []),  # a wait for one's turn
    ("千万别只安排两个小时", []),  # advice against a length
    # crowds
    ("节假日人暴多", [("crowding", "crowded"), ("avoid_time", "holiday")]),
    ("排队要一个钟", [("crowding", "crowded")]),
    ("古镇有些冷清", [("crowding", "quiet")]),
    ("一路无拥堵", [("crowding", "quiet")]),
]


@pytest.mark.parametrize(("text", "expected"), FOURTH_ROUND)
def test_fourth_round_cases(miner: PracticalityMiner, text: str, expected) -> None:
    assert sorted((f.kind, f.value) for f in miner.mine(text)) == sorted(expected)


def test_merged_aggregators_give_the_priors_of_one() -> None:
    """The practicalities stage accumulates each slice in a worker and merges the slices in
    order: the result (counts, durations, the first distinct evidence sentences) must equal
    one aggregator fed every document, however the documents are split."""
    import random

    from nlp.practicalities import Finding, PriorAggregator

    rng = random.Random(7)
    sites = ["宝顶山", "北山", "安岳石窟", "卧佛院"]
    kinds = [
        ("duration", lambda: rng.choice([0.5, 1.0, 2.0, 3.5])),
        ("crowding", lambda: "crowded"),
    ]
    docs = []
    for _ in range(300):
        doc_sites = rng.sample(sites, rng.randint(0, 2))
        attributed = []
        for _ in range(rng.randint(0, 4)):
            kind, value = rng.choice(kinds)
            sentence = f"句子{rng.randint(0, 12)}"
            attributed.append((rng.choice(sites), Finding(kind, value(), sentence)))
        docs.append((doc_sites, attributed))
    whole = PriorAggregator(max_evidence=4)
    for d in docs:
        whole.add_doc(*d)
    expected = whole.result(min_evidence=3)
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(docs)), rng.randint(1, 30)))
        merged = PriorAggregator(max_evidence=4)
        for lo, hi in zip([0, *cuts], [*cuts, len(docs)], strict=True):
            part = PriorAggregator(max_evidence=4)
            for d in docs[lo:hi]:
                part.add_doc(*d)
            merged.merge(part)
        assert merged.result(min_evidence=3) == expected
    assert any(len(ev) == 4 for r in expected for ev in r["evidence"].values())
