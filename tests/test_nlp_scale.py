"""Scale paths of the NLP pipeline: LDA on a seeded sample with the k values in parallel and
topics inferred in parallel chunks, the bundled sentiment model's precomputed classifier and
one cut per document for its aspect clauses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from topic_docs import DOCS

from common.settings import PROJECT_ROOT
from nlp.config import NlpConfig
from nlp.pipeline import (
    load_segmenter,
    stage_corpus,
    stage_segment,
    stage_topics,
    stage_userdict,
)
from nlp.sentiment import SentimentScorer, clause_words, split_clauses
from nlp.topics import coherence_sweep, infer_chunk, sample_positions

SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory):
    cfg = NlpConfig(artifacts_dir=tmp_path_factory.mktemp("art"), workers=1, chunk_docs=100)
    c = stage_corpus([SAMPLE], cfg)
    u = stage_userdict(cfg)
    t = stage_segment(c, u, cfg)
    return cfg, c, u, t


def test_sweep_in_parallel_equals_one_process() -> None:
    one = coherence_sweep(lambda: iter(DOCS), [2, 3], seed=3, passes=2, no_below=1, workers=1)
    two = coherence_sweep(lambda: iter(DOCS), [2, 3], seed=3, passes=2, no_below=1, workers=2)
    assert one.table == two.table and one.best_k == two.best_k
    for k in (2, 3):
        assert one.models[k].topics(5) == two.models[k].topics(5)


def test_inference_is_seeded_per_chunk() -> None:
    res = coherence_sweep(lambda: iter(DOCS), [3], seed=1, passes=2, no_below=1)
    model = res.models[3]
    a = infer_chunk((model, 5), (0, DOCS[:7]))
    b = infer_chunk((model, 5), (0, DOCS[:7]))
    assert np.array_equal(a, b) and a.shape == (7, 3)
    assert a.sum(axis=1) == pytest.approx(np.ones(7))
    # close to gensim's own per-document inference (a different random start)
    ref = model.transform(DOCS[:7])
    assert np.abs(a - ref).max() < 0.05


def test_sample_positions_are_seeded_and_bounded() -> None:
    a = sample_positions(1000, 50, 7)
    assert a == sample_positions(1000, 50, 7) and a == sorted(a) and len(set(a)) == 50
    assert a != sample_positions(1000, 50, 8)
    assert sample_positions(30, 50, 7) == list(range(30))


def test_topics_train_on_a_sample_and_infer_every_document(stages) -> None:
    cfg, c, u, t = stages
    kw = {"ks": (2, 3), "passes": 2, "no_below": 2, "sample_docs": 200}
    one = stage_topics(c, t, u, cfg, **kw)
    models = one.results["models"]
    n = c.results["documents"]
    assert models["all"]["docs"] == 200 and models["all"]["of"] == n
    small = [g for g, m in models.items() if g != "all" and m["of"] <= 200]
    assert small and all(models[g]["docs"] == models[g]["of"] for g in small)
    doc_topics = pq.read_table(one.path / "doc_topics.parquet").to_pandas()
    assert len(doc_topics) == n
    # two workers (k values and inference chunks in parallel) build the same artifact
    two_cfg = NlpConfig(artifacts_dir=cfg.artifacts_dir.parent / "two", workers=2, chunk_docs=100)
    c2 = stage_corpus([SAMPLE], two_cfg)
    u2 = stage_userdict(two_cfg)
    t2 = stage_segment(c2, u2, two_cfg)
    two = stage_topics(c2, t2, u2, two_cfg, **kw)
    assert two.key == one.key
    for name in ("coherence.csv", "topic_terms.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(one.path / name), pd.read_csv(two.path / name))
    assert doc_topics.equals(pq.read_table(two.path / "doc_topics.parquet").to_pandas())


def test_fast_bundled_classifier_gives_snownlp_scores_bit_for_bit(stages) -> None:
    from snownlp import normal
    from snownlp import sentiment as snow

    cfg, c, u, _ = stages
    seg = load_segmenter(u.path, cfg)
    clf = snow.Sentiment()
    clf.load()
    scorer = SentimentScorer(words=seg.cut)
    texts = pd.read_parquet(c.path / "parts")["text"].head(60).tolist()
    texts += ["不好", "，，", "非常非常好！！"]
    for text in texts:
        label, prob = clf.classifier.classify(normal.filter_stop(seg.cut(text)))
        expected = prob if label == "pos" else 1 - prob
        assert scorer.score(text) == expected
        assert scorer.score_words(seg.cut(text)) == expected
    own = SentimentScorer()
    assert [own.score(t) for t in texts[:5]] == [clf.classify(t) for t in texts[:5]]


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
def test_clause_words_from_one_cut_equal_cutting_each_clause(stages, backend: str) -> None:
    cfg, c, u, _ = stages
    seg = load_segmenter(u.path, cfg, backend=backend)
    texts = pd.read_parquet(c.path / "parts")["text"].tolist()
    texts += ["门票太贵\n停车方便", "好。 ，不错", "A.B，c"]
    for text in texts:
        expected = [(cl, seg.cut(cl)) for cl in split_clauses(text)]
        assert clause_words(text, seg.cut(text), seg.cut) == expected


def test_batch_inference_follows_gensim_inference() -> None:
    res = coherence_sweep(lambda: iter(DOCS), [3], seed=1, passes=2, no_below=1)
    model = res.models[3]
    docs = [*DOCS[:9], []]
    ours = model.infer(docs, 11)
    lda = model.model_
    saved = lda.random_state
    lda.random_state = np.random.RandomState(11)
    try:
        gamma, _ = lda.inference([model.dictionary_.doc2bow(d) for d in docs])
    finally:
        lda.random_state = saved
    assert np.abs(ours - gamma / gamma.sum(axis=1, keepdims=True)).max() < 1e-3
    assert ours[-1] == pytest.approx(np.full(3, 1 / 3))  # an empty document: the prior


def test_corpus_stage_reports_progress_while_a_file_is_read(tmp_path) -> None:
    """The ingest bar moves every chunk of rows, not once per file, and counts every row."""
    from nlp.stagebase import Reporter

    class Recorder(Reporter):
        def __init__(self) -> None:
            self.steps: list[int] = []

        def advance(self, stage: str, n: int) -> None:
            if stage == "corpus":
                self.steps.append(n)

    rec = Recorder()
    out = stage_corpus([SAMPLE], NlpConfig(artifacts_dir=tmp_path, chunk_docs=16), rep=rec)
    rows = sum(f["rows"] for f in out.results["files"])
    assert sum(rec.steps) == rows
    assert len(rec.steps) == -(-rows // 16) and set(rec.steps[:-1]) == {16}
