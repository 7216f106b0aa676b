"""Topics (seeded LDA, coherence sweep), sentiment calibration, aspects, practicalities."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from topic_docs import DOCS

from common.settings import PROJECT_ROOT
from nlp.practicalities import Finding, PracticalityMiner, aggregate_priors, attribute
from nlp.sentiment import (
    SentimentScorer,
    aspect_clauses,
    calibrate,
    labels_from_ratings,
    load_aspects,
)
from nlp.topics import TopicModel, coherence_sweep, parse_k_range

LEXICON = PROJECT_ROOT / "data" / "lexicon"


def _docs():
    return iter(DOCS)


def test_same_seed_gives_identical_topics(tmp_path) -> None:
    a = TopicModel(3, passes=3, random_state=7, no_below=1).fit(_docs)
    b = TopicModel(3, passes=3, random_state=7, no_below=1).fit(_docs)
    assert a.topics(5) == b.topics(5)
    a.save(tmp_path / "m")
    c = TopicModel.load(tmp_path / "m")
    assert c.topics(5) == a.topics(5) and c.params() == a.params()
    dist = a.transform(DOCS[:3])
    assert dist.shape == (3, 3) and dist.sum(axis=1) == pytest.approx([1, 1, 1], abs=1e-5)


def test_different_seed_may_differ_but_sweep_scores_every_k() -> None:
    seen = []
    res = coherence_sweep(_docs, [2, 3], seed=1, passes=2, no_below=1, on_k=seen.append)
    assert [r["k"] for r in res.table] == [2, 3] == [r["k"] for r in seen]
    for row in res.table:
        assert {"c_v", "u_mass", "c_npmi"} <= set(row)
        assert all(v == v for v in row.values())  # no NaN
    assert res.best_k in (2, 3) and set(res.models) == {2, 3}


@pytest.mark.parametrize(
    ("spec", "ks"), [("2:5", [2, 3, 4, 5]), ("2:12:4", [2, 6, 10]), ("3,4,6", [3, 4, 6])]
)
def test_parse_k_range(spec: str, ks: list[int]) -> None:
    assert parse_k_range(spec) == ks


@pytest.mark.parametrize("spec", ["", "a:b", "0:3", "1:2:3:4"])
def test_parse_k_range_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_k_range(spec)


def test_calibration_finds_threshold_and_auc() -> None:
    scores = [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.6, 0.7, 0.8, 0.9] * 3
    labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1] * 3
    cal = calibrate(scores, labels, min_per_class=5)
    assert cal.calibrated and cal.roc_auc == pytest.approx(1.0)
    assert 0.4 < cal.threshold <= 0.45
    assert cal.accuracy_at_threshold == 1.0 and cal.accuracy_at_05 == pytest.approx(0.9)


def test_calibration_without_both_classes_keeps_default() -> None:
    cal = calibrate([0.2, 0.9], [1, None])
    assert (cal.threshold, cal.calibrated, cal.roc_auc) == (0.5, False, None)


def test_labels_from_ratings() -> None:
    assert labels_from_ratings([5, 4, 3.5, 1, None, float("nan")]) == [1, 1, 0, 0, None, None]


def test_negation_matters_to_sentiment() -> None:
    scorer = SentimentScorer()
    assert scorer.score("风景很好，服务也很好") > scorer.score("风景不好，服务也不好")


def test_aspect_clauses_match_segmented_words() -> None:
    aspects = load_aspects(LEXICON / "aspects.yaml")
    cut = lambda s: {"门票太贵": ["门票", "太贵"], "停车方便": ["停车", "方便"]}.get(s, [s])  # noqa: E731
    pairs = aspect_clauses("门票太贵，停车方便。票据", cut, aspects)
    assert ("tickets", "门票太贵") in pairs and ("transport", "停车方便") in pairs
    assert not any(c == "票据" for _, c in pairs)


MINER_CASES = [
    ("宝顶山逛了两个小时，下午光线好适合拍照。", [("duration", 2.0), ("best_time", "afternoon")]),
    ("半天就够了", [("duration", 4.0)]),
    ("花了一个多小时", [("duration", 1.5)]),
    ("待了约1.5小时", [("duration", 1.5)]),
    ("两三个小时足够", [("duration", 2.5)]),
    ("看了二十分钟", [("duration", 0.333)]),
    ("玩了两天", []),  # a trip length, not a site visit
    (
        "避开周末，节假日人多",
        [("avoid_time", "weekend"), ("avoid_time", "holiday"), ("crowding", "crowded")],
    ),
    ("早上人少很清静", [("best_time", "morning"), ("crowding", "quiet")]),
    ("需要提前在公众号预约", [("reservation", "required")]),
    ("不用预约，现场买票", [("reservation", "not_required")]),
    ("石刻很精美", []),
]


@pytest.fixture(scope="module")
def miner() -> PracticalityMiner:
    return PracticalityMiner(LEXICON / "practicalities.yaml")


@pytest.mark.parametrize(("text", "expected"), MINER_CASES)
def test_practicality_miner_table(miner: PracticalityMiner, text: str, expected) -> None:
    assert [(f.kind, f.value) for f in miner.mine(text)] == expected


def test_attribution_and_priors(miner: PracticalityMiner) -> None:
    names = {"宝顶山": "baodingshan", "北山": "beishan"}

    def sentence_sites(s: str) -> list[str]:
        return [v for k, v in names.items() if k in s]

    f = [Finding("duration", 2.0, "宝顶山逛了两个小时"), Finding("duration", 1.0, "看了一小时")]
    assert attribute(f, ["beishan"], sentence_sites) == [("baodingshan", f[0]), ("beishan", f[1])]
    assert attribute(f[1:], ["a", "b"], sentence_sites) == []  # ambiguous: skipped
    docs = [
        ("逛了两个小时。", ["beishan"]),
        ("花了三个小时。", ["beishan"]),
        ("看了一小时，人很多。", ["beishan"]),
        ("没写时间", ["beishan"]),
    ]
    rows = aggregate_priors(docs, miner, sentence_sites, min_evidence=3)
    (row,) = rows
    assert row["n_docs"] == 4 and row["duration_n"] == 3
    assert row["visit_hours_prior"] == 2.0 and row["crowding:crowded"] == 1
    assert row["evidence"]["duration"][0] == "逛了两个小时。"


@pytest.mark.parametrize(
    ("text", "hours"),
    [("逛了二三十分钟", [0.417]), ("玩了三四个小时", [3.5]), ("花了十五分钟", [0.25])],
)
def test_spoken_ranges(miner: PracticalityMiner, text: str, hours: list[float]) -> None:
    assert miner.durations(text) == hours


ALPHABET = "一二两三四五六七八九十半个多小时钟头分钟天逛了玩看待约大概就够足够左右，。0123456789."


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=30))
def test_miner_never_raises_and_bounds_durations(text: str) -> None:
    miner = PracticalityMiner(LEXICON / "practicalities.yaml")
    for f in miner.mine(text):
        if f.kind == "duration":
            assert 0 < f.value <= miner.max_hours


def test_rated_model_learns_negation_and_scores_out_of_fold() -> None:
    import pickle

    from sklearn.metrics import roc_auc_score

    from nlp.sentiment import RatedModel

    rng = np.random.default_rng(0)
    topics = ["石刻", "讲解", "门票", "交通", "住宿", "美食", "风景", "导游"]
    docs, labels = [], []
    for _ in range(300):
        y = int(rng.integers(0, 2))
        words = [str(rng.choice(topics)), "很" if y else "不", "好"]  # 很好 vs 不好
        words += [str(w) for w in rng.choice(topics, size=3)]
        docs.append(words)
        labels.append(y)
    model = RatedModel(seed=1)
    oof = model.cross_val_scores(docs, labels)
    assert roc_auc_score(labels, oof) > 0.95  # the bigram 很 好 / 不 好 separates them
    model.fit(docs, labels)
    again = pickle.loads(pickle.dumps(model))  # workers get a pickled copy
    good, bad = again.score([["门票", "很", "好"], ["门票", "不", "好"]])
    assert good > 0.5 > bad
    assert again.params()["C"] == 4.0 and len(again.score([])) == 0


# Issue 14: what a visit length, a crowd and a reservation are not.
PRACTICAL_TRAPS = [
    ("排队10分钟,观看1分钟", [("crowding", "crowded")]),  # a queue and a show, no visit length
    ("坐高铁半小时就能到景区", []),  # transport
    ("开车一个多小时过来,逛了两个小时", [("duration", 2.0)]),  # the visit, not the drive
    ("预约了一部滴滴", []),  # a ride booked: not "reservation required"
    ("提前订好了酒店", []),  # a hotel booked
    ("网上购票比现场买票便宜", []),  # a price remark
    ("宝顶山需要提前预约吗?", []),  # a question
    ("感觉就没有人少的时候", [("crowding", "crowded")]),  # negation
    ("人不多,不用排队", [("crowding", "quiet")]),
    ("不用排队买票", []),  # ticketing, not crowds
    ("本来以为人会很多", []),  # an expectation
    ("排骨炖了两个小时", []),  # a recipe
    ("半个小时就看完了", [("duration", 0.5)]),
]


@pytest.mark.parametrize(("text", "expected"), PRACTICAL_TRAPS)
def test_practicality_traps(miner: PracticalityMiner, text: str, expected) -> None:
    assert [(f.kind, f.value) for f in miner.mine(text)] == expected


def test_practicality_label_sets_hold_no_text() -> None:
    import csv

    label = re.compile(r"^(D=\d+(\.\d+)?|C[+-]|R[+-]|[AB]:[a-z]+|W|T|S|TRIP)$")
    for name in (
        "practicalities_labels.csv",
        "practicalities_dev2.csv",
        "practicalities_heldout.csv",
    ):
        with open(PROJECT_ROOT / "benchmarks" / "data" / name, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == ["clause", "corpus", "row_id", "start", "end", "stratum", "labels"]
        assert len(rows) >= 200
        for r in rows:
            assert r["corpus"].split(":")[0] in {"shared", "repo"}
            assert 0 <= int(r["start"]) < int(r["end"])
            assert all(label.match(x) for x in r["labels"].split()), r


def test_the_rated_models_sample_is_read_by_the_workers(tmp_path) -> None:
    """The rated model's counts map sends each worker a slice of the corpus and the sampled
    rows in it (this process never reads the texts): the worker counts exactly the sampled
    documents, in corpus order, whether it reads the file itself or gets the rows inlined
    (a cluster that cannot see the files)."""
    import random
    from types import SimpleNamespace

    from nlp.config import NlpConfig
    from nlp.docslices import DocSlice, plan_slices
    from nlp.ingest import iter_corpus
    from nlp.pipeline import stage_corpus
    from nlp.stages_sentiment import _counts_chunk, _picked_slices

    cfg = NlpConfig(artifacts_dir=tmp_path, workers=1, chunk_docs=7)  # row groups of 7
    corpus = stage_corpus([PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"], cfg)
    texts = [t for b in iter_corpus(corpus.path, columns=["text"]) for t in b.column("text")]
    positions = sorted(random.Random(3).sample(range(len(texts)), len(texts) // 3))
    state = (SimpleNamespace(counts=lambda docs: docs), SimpleNamespace(cut=lambda t: [t]))
    picked = list(_picked_slices(corpus.path, positions, max_rows=5))  # 5 of 7, then 2
    every = list(plan_slices(corpus.path, columns=("text",), max_rows=5))
    assert any(s.rows == 2 for s in every)  # slices within row groups are exercised
    assert 0 < len(picked) < len(every) and all(p.picked for p in picked)  # no empty tasks
    assert all(isinstance(p, DocSlice) for p in picked)  # the engine sends (or inlines) slices
    expected = [[texts[i].as_py()] for i in positions]
    assert [d for p in picked for d in _counts_chunk(state, p)] == expected
    inlined = [p.inline() for p in picked]
    assert all(p.data is not None and p.data.num_rows == len(p.picked) for p in inlined)
    assert [d for p in inlined for d in _counts_chunk(state, p)] == expected
