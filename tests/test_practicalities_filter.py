"""The learned filter over the practicalities rules (issue 14 item 5, fifth round): loading,
the filter path, the rules-only fallback when the file is absent, bad files. The sentences are
written for these tests (no review text is copied)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from common.settings import PROJECT_ROOT
from nlp.errors import LexiconError
from nlp.practicalities import (
    FILTER_FILE,
    FILTERED_KINDS,
    LearnedFilter,
    PracticalityMiner,
    hashing_vectorizer,
)

LEXICON = PROJECT_ROOT / "data" / "lexicon" / "practicalities.yaml"
TEXTS = ["周末人特别多", "需要提前一天预约", "在里面逛了两个小时", "寺庙里很清静", "不用预约"]


def _filter_file(path: Path, veto: dict[str, str], n_features: int = 2**12) -> Path:
    """A filter that keeps everything except findings of a kind whose clause has the
    character n-gram ``veto[kind]`` (a large negative weight on that hashed feature)."""
    vec = hashing_vectorizer(n_features)
    arrays: dict[str, np.ndarray] = {"n_features": np.array(n_features)}
    for kind in FILTERED_KINDS:
        index = np.array([], dtype=np.int32)
        weight = np.array([], dtype=np.float32)
        if kind in veto:
            index = vec.transform([[f"c:{veto[kind]}"]]).indices.astype(np.int32)
            weight = np.full(index.size, -50.0, dtype=np.float32)
        arrays[f"{kind}_index"] = index
        arrays[f"{kind}_weight"] = weight
        arrays[f"{kind}_intercept"] = np.array(3.0)
        arrays[f"{kind}_threshold"] = np.array(0.5)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def _pairs(miner: PracticalityMiner, text: str) -> list[tuple[str, float | str]]:
    return sorted((f.kind, f.value) for f in miner.mine(text))


def test_without_a_filter_file_the_rules_alone_decide(tmp_path: Path) -> None:
    shutil.copy(LEXICON, tmp_path / "practicalities.yaml")
    fallback = PracticalityMiner(tmp_path / "practicalities.yaml")
    rules = PracticalityMiner(LEXICON, learned_filter=False)
    assert fallback.learned_filter is None and rules.learned_filter is None
    for text in TEXTS:
        assert _pairs(fallback, text) == _pairs(rules, text)
    assert _pairs(fallback, "周末人特别多") == [
        ("avoid_time", "weekend"),
        ("crowding", "crowded"),
    ]


def test_a_filter_beside_the_lexicon_is_loaded_and_drops_what_it_rejects(
    tmp_path: Path,
) -> None:
    shutil.copy(LEXICON, tmp_path / "practicalities.yaml")
    _filter_file(tmp_path / FILTER_FILE, {"crowding": "周末", "reservation": "一天"})
    miner = PracticalityMiner(tmp_path / "practicalities.yaml")
    assert isinstance(miner.learned_filter, LearnedFilter)
    # the crowding finding is vetoed; the avoid-time finding is not a filtered kind
    assert _pairs(miner, "周末人特别多") == [("avoid_time", "weekend")]
    assert _pairs(miner, "平时人特别多") == [("crowding", "crowded")]
    assert _pairs(miner, "需要提前一天预约") == []
    assert _pairs(miner, "需要提前预约") == [("reservation", "required")]
    assert _pairs(miner, "在里面逛了两个小时") == [("duration", 2.0)]


def test_the_filter_judges_each_clause_alone(tmp_path: Path) -> None:
    path = _filter_file(tmp_path / "f.npz", {"crowding": "周末"})
    miner = PracticalityMiner(LEXICON, learned_filter=path)
    # the veto word is in the other clause of the sentence: this crowd finding stays
    assert ("crowding", "crowded") in _pairs(miner, "周末去的，排队的人特别多")
    assert ("crowding", "crowded") not in _pairs(miner, "周末排队的人特别多")


def test_probabilities_are_logistic_and_deterministic(tmp_path: Path) -> None:
    f = LearnedFilter(_filter_file(tmp_path / "f.npz", {"crowding": "人"}))
    miner = PracticalityMiner(LEXICON, learned_filter=False)
    clause = "人很多"
    tokens = miner.filter_tokens(clause, miner.clause_findings(clause))
    assert "c:人很" in tokens and "r:crowding=crowded" in tokens and "q:crowded" in tokens
    p = f.probability("crowding", tokens)
    assert p < 0.5 and p == f.probability("crowding", tokens)
    assert f.probability("reservation", tokens) == pytest.approx(1 / (1 + np.exp(-3.0)))


def test_a_named_filter_file_must_exist_and_be_well_formed(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"missing\.npz"):
        PracticalityMiner(LEXICON, learned_filter=tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, n_features=np.array(16))
    with pytest.raises(LexiconError, match="not a practicalities filter"):
        LearnedFilter(bad)
    wide = _filter_file(tmp_path / "wide.npz", {"crowding": "人"}, n_features=2**12)
    with np.load(wide) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["n_features"] = np.array(2)
    np.savez(tmp_path / "narrow.npz", **arrays)
    with pytest.raises(LexiconError, match="out of range"):
        LearnedFilter(tmp_path / "narrow.npz")


def _trainer():
    import importlib.util
    import sys

    saved = list(sys.path)  # the module puts benchmarks/ first; leave no trace (benchmarks/nlp.py)
    try:
        spec = importlib.util.spec_from_file_location(
            "practicalities_filter_benchmark",
            PROJECT_ROOT / "benchmarks" / "practicalities_filter.py",
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def test_the_threshold_is_the_lowest_that_reaches_the_precision() -> None:
    t = _trainer()
    p = np.array([0.1, 0.3, 0.6, 0.9])
    assert t.choose_threshold(p, np.array([0, 1, 1, 1])) == pytest.approx(0.125)
    assert t.choose_threshold(p, np.array([1, 1, 1, 1])) == pytest.approx(0.05)
    assert t.choose_threshold(p, np.array([0, 0, 0, 0])) >= 0.05  # none reaches it


def test_a_trained_filter_loads_and_rejects_what_it_learnt_to_reject(tmp_path: Path) -> None:
    t = _trainer()
    miner = PracticalityMiner(LEXICON, learned_filter=False)
    good = ["周末人特别多", "排队的人特别多", "游客很少很清静", "寺里很安静"] * 6
    bad = ["火锅店里人很多", "地铁上人很多"] * 6
    data = []
    for i, text in enumerate(good + bad):
        found = miner.clause_findings(text)
        value = next(f.value for f in found if f.kind == "crowding")
        gold: dict[str, set[Any]] = {k: set() for k in FILTERED_KINDS}
        gold["crowding"] = {value} if text in good else set()  # crowds on a metro are wrong
        data.append(t.Clause(f"g{i}", "x", gold, [(found, miner.filter_tokens(text, found))]))
    # lengths and reservations, mostly right (the models need both classes)
    extra: list[tuple[str, str, set[Any]]] = [
        ("我们逛了两个小时", "duration", {2.0}),
        ("需要提前预约", "reservation", {"required"}),
    ]
    for i, (text, kind, gold_v) in enumerate(extra * 6):
        found = miner.clause_findings(text)
        gold = {k: set() for k in FILTERED_KINDS}
        gold[kind] = gold_v if i < 10 else set()
        data.append(t.Clause(f"e{i}", "x", gold, [(found, miner.filter_tokens(text, found))]))
    out = tmp_path / FILTER_FILE
    info = t.train(data, 10.0, out)
    assert info["crowding"]["examples"] == len(good) + len(bad)
    trained = PracticalityMiner(LEXICON, learned_filter=out)
    assert ("crowding", "crowded") in _pairs(trained, "排队的人特别多")
    assert ("crowding", "crowded") not in _pairs(trained, "地铁上人很多")
