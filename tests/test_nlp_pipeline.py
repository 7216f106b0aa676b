"""Pipeline stages on the embedded sample corpus: keywords, topics, sentiment, practicalities,
similarity, network, word clouds; manifests and reuse."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from common.settings import PROJECT_ROOT
from nlp.config import NlpConfig
from nlp.keywords import fit_keywords
from nlp.pipeline import (
    load_segmenter,
    run_all,
    stage_corpus,
    stage_keywords,
    stage_segment,
    stage_userdict,
)

SAMPLE = PROJECT_ROOT / "data" / "corpus" / "sample_reviews.jsonl"
BOILERPLATE = {"话题", "点击", "搜索", "微博", "正文", "视频", "展开", "全文", "转发"}


@pytest.fixture(scope="module")
def sample_stages(tmp_path_factory: pytest.TempPathFactory):
    cfg = NlpConfig(artifacts_dir=tmp_path_factory.mktemp("art"), workers=1)
    c = stage_corpus([SAMPLE], cfg)
    u = stage_userdict(cfg)
    t = stage_segment(c, u, cfg)
    k = stage_keywords(c, t, u, cfg)
    return cfg, c, u, t, k


def test_sample_tfidf_top10_for_dazu(sample_stages) -> None:
    *_, k = sample_stages
    kw = pd.read_csv(k.path / "keywords_destination.csv")
    top = kw[kw["group"] == "大足"].sort_values("rank")["term"].head(10).tolist()
    assert "石刻" in top, top
    assert not BOILERPLATE & set(top), top
    all_terms = set(kw["term"])
    assert not BOILERPLATE & all_terms
    groups = pd.read_csv(k.path / "groups_destination.csv")
    assert groups["doc_share"].sum() == pytest.approx(1.0)  # every sample doc has a destination
    table = pd.read_csv(k.path / "table_destination.csv")
    assert list(table.columns[:3]) == ["rank", "乐至", "乐至_tfidf"]


def test_streaming_tfidf_equals_sklearn_in_memory(sample_stages) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    cfg, c, u, _t, _ = sample_stages
    seg = load_segmenter(u.path, cfg)
    texts = pd.read_parquet(c.path / "parts").sort_values("source_line")
    texts = texts[texts["destination"].isin(["乐至", "雁江"])].head(80)
    docs = [([d], seg(x)) for d, x in zip(texts["destination"], texts["text"], strict=True)]
    chunks = [docs[i : i + 7] for i in range(0, len(docs), 7)]
    ours = fit_keywords(lambda: iter(chunks), top_n=5, min_df=2)
    vec = TfidfVectorizer(analyzer=seg, min_df=2)
    X = vec.fit_transform(texts["text"])
    mask = (texts["destination"] == "雁江").to_numpy()
    sums = np.asarray(X[mask].sum(axis=0)).ravel()
    vocab = vec.get_feature_names_out()
    expected = sorted(zip(-sums, vocab, strict=True))[:5]
    got = ours.keywords[ours.keywords["group"] == "雁江"]
    assert got["term"].tolist() == [v for _, v in expected]
    assert got["tfidf_sum"].to_numpy() == pytest.approx([-s for s, _ in expected])


def test_manifest_records_inputs_and_versions(sample_stages) -> None:
    _, c, _, t, k = sample_stages
    m = json.loads((k.path / "manifest.json").read_text(encoding="utf-8"))
    assert m["stage"] == "keywords" and m["schema_version"] == 1
    assert m["inputs"]["corpus"] == c.key and m["inputs"]["tokens"] == t.key
    assert m["libraries"]["scikit-learn"] and m["seed"] == 42
    cm = json.loads((c.path / "manifest.json").read_text(encoding="utf-8"))
    assert len(cm["inputs"]["input:sample_reviews.jsonl"]) == 64


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("mini")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:60]
    src = folder / "mini.jsonl"
    src.write_text("\n".join(lines[:35]) + "\n", encoding="utf-8")
    src2 = folder / "mini2.jsonl"  # a second file: the corpus has two parts
    src2.write_text("\n".join(lines[35:]) + "\n", encoding="utf-8")
    cfg = NlpConfig(artifacts_dir=folder / "art", workers=1, chunk_docs=16)
    outs = run_all([src, src2], cfg, ks=(2, 3), passes=2, no_below=2)
    return cfg, [src, src2], outs


def test_run_all_writes_every_artifact(mini_run) -> None:
    _, _, outs = mini_run
    assert all(not o.reused for o in outs.values())
    p = {k: o.path for k, o in outs.items()}
    coh = pd.read_csv(p["topics"] / "coherence.csv")
    assert set(coh["k"]) == {2, 3} and {"c_v", "u_mass", "c_npmi"} <= set(coh.columns)
    assert coh.groupby("group")["chosen"].sum().eq(1).all()
    assert (p["topics"] / "models" / "all" / "lda.model").is_file()
    assert (
        len(pd.read_parquet(p["topics"] / "doc_topics.parquet"))
        == outs["corpus"].results["documents"]
    )
    cal = json.loads((p["sentiment"] / "calibration.json").read_text(encoding="utf-8"))
    assert 0.0 <= cal["threshold"] <= 1.0 and cal["n_pos"] + cal["n_neg"] > 0
    aspects = pd.read_csv(p["sentiment"] / "aspect_sentiment.csv")
    assert {"carvings", "transport"} <= set(aspects["aspect"])
    priors = json.loads((p["practicalities"] / "priors.json").read_text(encoding="utf-8"))
    assert any(r["duration_n"] > 0 and r["evidence"].get("duration") for r in priors)
    sim = pd.read_csv(p["similarity"] / "similarity.csv")
    assert sim["combined"].between(-1, 1).all() and (sim["site"] != sim["similar_site"]).all()
    G = nx.read_graphml(p["network"] / "cooccurrence.graphml")
    assert G.number_of_nodes() > 10 and G.number_of_edges() > 0
    assert nx.read_gexf(p["network"] / "cooccurrence.gexf").number_of_nodes() == len(G)
    pngs = list(p["wordclouds"].glob("*.png"))
    assert pngs and all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in pngs)


def test_rerun_reuses_and_changed_input_rebuilds(mini_run, tmp_path: Path) -> None:
    cfg, srcs, outs = mini_run
    again = run_all(srcs, cfg, ks=(2, 3), passes=2, no_below=2)
    assert all(o.reused for o in again.values())
    assert {k: o.key for k, o in again.items()} == {k: o.key for k, o in outs.items()}
    changed = tmp_path / "mini.jsonl"
    changed.write_text(srcs[0].read_text(encoding="utf-8").splitlines()[0] + "\n", "utf-8")
    c2 = stage_corpus([changed], cfg)
    assert not c2.reused and c2.key != outs["corpus"].key


# --------------------------------------------------------------------------- sentiment model


def test_sentiment_learns_from_ratings_when_it_scores_better(sample_stages) -> None:
    from nlp.pipeline import stage_sentiment

    cfg, c, u, t, _ = sample_stages
    out = stage_sentiment(c, t, u, cfg)
    model = json.loads((out.path / "model.json").read_text(encoding="utf-8"))
    cal = json.loads((out.path / "calibration.json").read_text(encoding="utf-8"))
    # the sample corpus carries 346 ratings (220 positive, 126 negative): enough to learn from
    assert (model["n_pos"], model["n_neg"]) == (220, 126) and model["n_train"] == 346
    assert model["used"] == "rated" and model["rated_cv_auc"] > model["bundled_auc"]
    # every rated document keeps its out-of-fold score, so the calibration AUC is the CV AUC
    assert cal["roc_auc"] == pytest.approx(model["rated_cv_auc"])
    assert model["bundled_calibration"]["roc_auc"] == pytest.approx(model["bundled_auc"])
    docs = pd.read_parquet(out.path / "doc_sentiment.parquet")
    assert len(docs) == c.results["documents"]
    assert docs["score"].between(0, 1).all() and not np.allclose(
        docs["score"], docs["score_bundled"]
    )
    clauses = pd.read_parquet(out.path / "aspect_clauses.parquet")
    assert len(clauses) and clauses["score"].between(0, 1).all()


def test_sentiment_model_can_be_fixed_to_the_bundled_one(sample_stages) -> None:
    from dataclasses import replace

    from nlp.pipeline import stage_sentiment

    cfg, c, u, t, _ = sample_stages
    out = stage_sentiment(c, t, u, replace(cfg, sentiment_model="bundled"))
    assert out.results["model"]["used"] == "bundled"
    docs = pd.read_parquet(out.path / "doc_sentiment.parquet")
    assert np.array_equal(docs["score"], docs["score_bundled"])


def test_forcing_a_learnt_model_without_ratings_is_a_clear_error(tmp_path: Path) -> None:
    from nlp.pipeline import stage_sentiment

    src = tmp_path / "few.jsonl"
    rows = [
        {"text": f"第{i}次来大足看石刻，很{'好' if i % 2 else '差'}", "rating": 5 - i % 2 * 4}
        for i in range(12)
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    cfg = NlpConfig(artifacts_dir=tmp_path / "art", workers=1, sentiment_model="rated")
    c = stage_corpus([src], cfg)
    u = stage_userdict(cfg)
    t = stage_segment(c, u, cfg)
    with pytest.raises(ValueError, match=r"sentiment_model=rated needs at least 100 rated"):
        stage_sentiment(c, t, u, cfg)
    with pytest.raises(ValueError, match="sentiment_model must be one of"):
        stage_sentiment(c, t, u, NlpConfig(artifacts_dir=tmp_path / "a2", sentiment_model="x"))
