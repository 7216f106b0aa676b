"""Per-site stages: visit practicalities, site similarity, co-occurrence network, word
clouds."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import scipy.sparse as sp

from nlp.config import NlpConfig
from nlp.docslices import DocSlice, plan_slices
from nlp.engine import engine_map
from nlp.errors import ThinDataError
from nlp.ingest import corpus_size
from nlp.places import PlaceMatcher
from nlp.stagebase import (
    NullReporter,
    Reporter,
    StageOutput,
    _aligned,
    _doc_groups,
    _file_hash,
    _rows,
    _run,
    group_slug,
    iter_docs,
    load_entries,
    load_segmenter,
)

__all__ = ["stage_network", "stage_practicalities", "stage_similarity", "stage_wordclouds"]

# --------------------------------------------------------------------------- practicalities


def stage_practicalities(
    corpus: StageOutput,
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    min_evidence: int = 3,
    rep: Reporter | None = None,
) -> StageOutput:
    """Per-site visit priors: ``priors.csv`` (figures and counts) and ``priors.json`` (with
    evidence sentences)."""
    from nlp.practicalities import PracticalityMiner, PriorAggregator

    rep = rep or NullReporter()
    params = {"min_evidence": min_evidence}
    inputs = {
        "corpus": corpus.key,
        "tokens": tokens.key,
        "practicalities.yaml": _file_hash(cfg.lexicon_dir / "practicalities.yaml"),
        "practicalities_filter.npz": _file_hash(cfg.lexicon_dir / "practicalities_filter.npz"),
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)
        matcher = PlaceMatcher(load_entries(userdict.path))
        miner = PracticalityMiner(cfg.lexicon_dir / "practicalities.yaml")
        agg = PriorAggregator()
        rep.start("practicalities", corpus_size(corpus.path))
        # each worker reads its slice of the corpus and sends back the slice's priors: this
        # process never reads the texts
        slices = plan_slices(
            corpus.path,
            columns=("text", "place"),
            extra={"tokens": (tokens.path / "tokens.parquet", ("sites",))},
            max_rows=cfg.chunk_docs,
        )
        state = (miner, matcher, seg, agg.max_evidence)
        for n, part in engine_map(cfg, _practicalities_chunk, state, slices):
            agg.merge(part)
            rep.advance("practicalities", n)
        rows = agg.result(min_evidence=min_evidence)
        (tmp / "priors.json").write_text(
            json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        flat = pd.DataFrame([{k: v for k, v in r.items() if k != "evidence"} for r in rows])
        flat.to_csv(tmp / "priors.csv", index=False, float_format="%.3f")
        results["sites"] = len(rows)
        results["sites_with_duration_prior"] = sum(
            1 for r in rows if r["visit_hours_prior"] is not None
        )

    return _run(cfg, "practicalities", params, inputs, build, rep)


def _practicalities_chunk(
    state: tuple[Any, PlaceMatcher, Any, int], piece: DocSlice
) -> tuple[int, Any]:
    """A slice's documents and their findings, attributed to sites and accumulated per site
    (in a worker that reads the slice itself): (documents, :class:`PriorAggregator`)."""
    from nlp.practicalities import PriorAggregator, attribute

    miner, matcher, seg, max_evidence = state
    agg = PriorAggregator(max_evidence=max_evidence)
    table = piece.table()
    for text, place, doc_sites in zip(
        table.column("text").to_pylist(),
        table.column("place").to_pylist(),
        table.column("sites").to_pylist(),
        strict=True,
    ):
        sites = _doc_groups({"sites": doc_sites, "place": place}, "site")
        found = miner.mine(text)
        attributed = (
            attribute(found, sites, lambda s: matcher.match_tokens(seg.cut(s))) if found else []
        )
        agg.add_doc(sites, attributed)
    return table.num_rows, agg


# --------------------------------------------------------------------------- similarity etc.


def stage_similarity(
    corpus: StageOutput,
    tokens: StageOutput,
    keywords: StageOutput,
    topics: StageOutput,
    cfg: NlpConfig,
    *,
    weight: float = 0.5,
    top_k: int = 5,
    min_docs: int = 3,
    rep: Reporter | None = None,
) -> StageOutput:
    """Site-to-site similarity (``similarity.csv``) from TF-IDF and topic vectors."""
    from nlp.similarity import site_similarity

    rep = rep or NullReporter()
    params = {"weight": weight, "top_k": top_k, "min_docs": min_docs}
    inputs = {
        "corpus": corpus.key,
        "tokens": tokens.key,
        "keywords": keywords.key,
        "topics": topics.key,
    }

    def build(tmp: Path, results: dict[str, Any]) -> None:
        meta = json.loads((keywords.path / "vectors_site.json").read_text(encoding="utf-8"))
        vectors = sp.load_npz(keywords.path / "vectors_site.npz").tocsr()
        sizes = pd.read_csv(keywords.path / "groups_site.csv", dtype={"group": str})
        n_of = dict(zip(sizes["group"], sizes["n_docs"], strict=True))
        groups = meta["groups"]
        keep = [i for i, g in enumerate(groups) if n_of.get(g, 0) >= min_docs]
        sites = [groups[i] for i in keep]
        if len(sites) < 2:
            raise ThinDataError(
                f"similarity needs at least 2 sites with {min_docs}+ documents; found {len(sites)}"
            )
        index = {g: i for i, g in enumerate(sites)}
        k = None
        sums: np.ndarray | None = None
        counts = np.zeros(len(sites))
        doc_topics = _rows(topics.path / "doc_topics.parquet", ["doc_id", "topics"])
        for chunk in iter_docs(
            corpus.path,
            tokens.path / "tokens.parquet",
            corpus_columns=("doc_id", "place"),
            token_columns=("sites",),
            batch_docs=cfg.chunk_docs,
        ):
            for d in chunk:
                dist = _aligned(doc_topics, d["doc_id"])["topics"]
                if sums is None:
                    k = len(dist)
                    sums = np.zeros((len(sites), k))
                for g in _doc_groups(d, "site"):
                    if g in index:
                        sums[index[g]] += dist
                        counts[index[g]] += 1
        topic_vecs = None if sums is None else sums / np.maximum(counts, 1)[:, None]
        table = site_similarity(sites, vectors[keep], topic_vecs, weight=weight, top_k=top_k)
        table.to_csv(tmp / "similarity.csv", index=False, float_format="%.4f")
        results["sites"] = len(sites)
        results["topics"] = k

    return _run(cfg, "similarity", params, inputs, build, rep)


def stage_network(
    tokens: StageOutput,
    userdict: StageOutput,
    cfg: NlpConfig,
    *,
    top_n: int = 80,
    min_weight: int = 2,
    max_edges: int = 400,
    rep: Reporter | None = None,
) -> StageOutput:
    """Term co-occurrence network: ``cooccurrence.graphml``, ``.gexf`` and ``edges.csv``."""
    from nlp.network import cooccurrence_graph, write_graph

    rep = rep or NullReporter()
    params = {"top_n": top_n, "min_weight": min_weight, "max_edges": max_edges}
    inputs = {"tokens": tokens.key}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        seg = load_segmenter(userdict.path, cfg)

        def docs() -> Iterator[list[str]]:
            pf = pq.ParquetFile(tokens.path / "tokens.parquet")
            for b in pf.iter_batches(batch_size=cfg.chunk_docs, columns=["tokens"]):
                for toks in b.column("tokens").to_pylist():
                    yield seg.expand(toks)

        G = cooccurrence_graph(docs, top_n=top_n, min_weight=min_weight, max_edges=max_edges)
        write_graph(G, tmp)
        pd.DataFrame(
            [(a, b, d["weight"]) for a, b, d in G.edges(data=True)],
            columns=["source", "target", "weight"],
        ).to_csv(tmp / "edges.csv", index=False)
        results["nodes"] = G.number_of_nodes()
        results["edges"] = G.number_of_edges()

    return _run(cfg, "network", params, inputs, build, rep)


def stage_wordclouds(
    keywords: StageOutput,
    cfg: NlpConfig,
    *,
    group_by: Sequence[str] = ("destination", "site"),
    max_groups: int = 12,
    max_words: int = 100,
    rep: Reporter | None = None,
) -> StageOutput:
    """Word-cloud PNGs from TF-IDF sums: per destination, and for the ``max_groups`` sites with
    most documents (``<by>-<slug>.png``; ``index.csv`` maps groups to files)."""
    from nlp.fonts import find_cjk_font
    from nlp.network import render_wordcloud

    rep = rep or NullReporter()
    font = find_cjk_font()
    params = {
        "group_by": list(group_by),
        "max_groups": max_groups,
        "max_words": max_words,
        "font": font.name,
    }
    inputs = {"keywords": keywords.key, "font": _file_hash(font)}

    def build(tmp: Path, results: dict[str, Any]) -> None:
        index = []
        for by in group_by:
            kw_path = keywords.path / f"keywords_{by}.csv"
            if not kw_path.is_file():
                continue
            kw = pd.read_csv(kw_path, dtype={"group": str})
            sizes = pd.read_csv(keywords.path / f"groups_{by}.csv", dtype={"group": str})
            biggest = sizes.sort_values(["n_docs", "group"], ascending=[False, True])
            for g in biggest["group"].head(max_groups):
                top = kw[kw["group"] == g].sort_values("rank").head(max_words)
                if top.empty:
                    continue
                name = f"{by}-{group_slug(str(g))}.png"
                render_wordcloud(
                    dict(zip(top["term"], top["tfidf_sum"], strict=True)),
                    tmp / name,
                    font_path=font,
                    seed=cfg.seed,
                )
                index.append((by, g, name))
        pd.DataFrame(index, columns=["group_by", "group", "file"]).to_csv(
            tmp / "index.csv", index=False
        )
        results["images"] = len(index)

    return _run(cfg, "wordclouds", params, inputs, build, rep)
