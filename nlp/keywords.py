"""TF-IDF keyword tables per group (destination, site or place), streamed.

The IDF is fitted over *all* documents; a term's score in a group is the sum of its TF-IDF
weights over the group's documents (the figure the report's tables show, e.g. 大足 → 石刻 16.65),
with the mean and the share of the group's documents that contain it alongside. scikit-learn's
``TfidfVectorizer`` does the weighting (``smooth_idf``, L2-normalised rows); document
frequencies are counted in a first streaming pass so that the corpus never has to be held in
memory. :func:`tfidf_in_memory` is the one-call equivalent for small corpora and notebooks, with
the :class:`~nlp.segment.Segmenter` as analyzer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.errors import ThinDataError

__all__ = ["KeywordTables", "fit_keywords", "jieba_keywords", "tfidf_in_memory"]

Chunk = Sequence[tuple[Sequence[str], Sequence[str]]]  # (groups of the doc, tokens)
Mapper = Callable[[Callable[[Any, Any], Any], Any, Iterable[Any]], Iterator[Any]]


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


@dataclass
class KeywordTables:
    """Result of :func:`fit_keywords`.

    Attributes
    ----------
    keywords
        Long table: ``group, rank, term, tfidf_sum, tfidf_mean, doc_share, docs_with_term``.
    groups
        ``group, n_docs, doc_share`` (share of all documents).
    vocabulary
        Terms kept (document frequency ≥ ``min_df``).
    idf
        IDF per vocabulary term.
    group_vectors
        Sparse ``groups × vocabulary`` matrix of TF-IDF sums (rows in ``groups`` order).
    n_docs
        Documents seen.
    """

    keywords: pd.DataFrame
    groups: pd.DataFrame
    vocabulary: list[str]
    idf: np.ndarray
    group_vectors: sp.csr_matrix
    n_docs: int

    def top(self, group: str, n: int = 10) -> list[str]:
        """The ``n`` best terms of a group."""
        rows = self.keywords[self.keywords["group"] == group]
        return rows.sort_values("rank")["term"].head(n).tolist()

    def wide(self, n: int = 10) -> pd.DataFrame:
        """Report-style table: for each group, a term column and a score column."""
        cols: dict[str, list[object]] = {}
        for g in self.groups["group"]:
            rows = self.keywords[self.keywords["group"] == g].sort_values("rank").head(n)
            terms = rows["term"].tolist() + [""] * (n - len(rows))
            scores = [round(x, 2) for x in rows["tfidf_sum"]] + [None] * (n - len(rows))
            cols[f"{g}"] = terms
            cols[f"{g}_tfidf"] = scores
        return pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1, name="rank"))


def _df_chunk(
    load: Callable[[Any], Chunk] | None, item: Any
) -> tuple[Counter[str], int, Counter[str]]:
    """First pass over one chunk (``item``, or what ``load`` makes of it in the worker):
    document frequencies, documents, group sizes."""
    chunk = item if load is None else load(item)
    df: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for groups, tokens in chunk:
        df.update(set(tokens))
        sizes.update(dict.fromkeys(groups, 1))
    return df, len(chunk), sizes


def _sums_chunk(
    state: tuple[TfidfVectorizer, dict[str, int], Callable[[Any], Chunk] | None], item: Any
) -> tuple[sp.csr_matrix, sp.csr_matrix] | None:
    """Second pass over one chunk: per group, TF-IDF sums and documents containing each term."""
    vec, gindex, load = state
    chunk = item if load is None else load(item)
    X = vec.transform([tokens for _, tokens in chunk])
    rows, cols = [], []
    for i, (groups, _) in enumerate(chunk):
        for g in groups:
            rows.append(gindex[g])
            cols.append(i)
    if not rows:
        return None
    G = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(gindex), X.shape[0]))
    return G @ X, G @ (X > 0).astype(np.float64)


def _in_process(
    func: Callable[[Any, Any], Any], state: Any, chunks: Iterable[Any]
) -> Iterator[Any]:
    return (func(state, chunk) for chunk in chunks)


def fit_keywords(
    chunks: Callable[[], Iterator[Any]],
    *,
    load: Callable[[Any], Chunk] | None = None,
    top_n: int = 30,
    min_df: int = 2,
    max_df: float = 1.0,
    mapper: Mapper = _in_process,
) -> KeywordTables:
    """Compute per-group TF-IDF keyword tables from a re-iterable stream of documents.

    Parameters
    ----------
    chunks
        Returns a fresh iterator over chunks of ``(groups, tokens)`` per document (called twice).
        A document may belong to several groups, or to none (it still counts for the IDF).
        With ``load``, the items are anything ``load`` turns into such a chunk where the work
        runs (e.g. a :class:`~nlp.docslices.DocSlice` read in the worker).
    load
        Picklable callable (module-level function or object) making a chunk of an item.
    top_n
        Terms kept per group.
    min_df
        Minimum number of documents containing a term.
    max_df
        Maximum share of documents containing a term.
    mapper
        ``mapper(func, state, chunks)`` yields ``func(state, chunk)`` in order: in this process
        by default, or an engine's map (:func:`nlp.engine.engine_map`); the results are the
        same (counts are summed, matrices added in chunk order).

    Returns
    -------
    KeywordTables
    """
    df: Counter[str] = Counter()
    n_docs = 0
    group_sizes: Counter[str] = Counter()
    for part_df, part_n, part_sizes in mapper(_df_chunk, load, chunks()):
        df.update(part_df)
        n_docs += part_n
        group_sizes.update(part_sizes)
    if n_docs == 0:
        raise ThinDataError("no documents to compute keywords from")
    max_count = max_df * n_docs
    vocab = sorted(t for t, c in df.items() if c >= min_df and c <= max_count)
    if not vocab:
        raise ThinDataError(f"no term occurs in at least min_df={min_df} documents")
    group_names = sorted(group_sizes)
    gindex = {g: i for i, g in enumerate(group_names)}
    vec = TfidfVectorizer(analyzer=_identity, vocabulary=vocab, lowercase=False)
    vec.idf_ = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in vocab])
    sums = sp.csr_matrix((len(group_names), len(vocab)))
    present = sp.csr_matrix((len(group_names), len(vocab)))
    for part in mapper(_sums_chunk, (vec, gindex, load), chunks()):
        if part is None:
            continue
        sums = sums + part[0]
        present = present + part[1]
    sums, present = sums.tocsr(), present.tocsr()
    records = []
    for gi, g in enumerate(group_names):
        row = sums.getrow(gi)
        order = np.argsort(-row.data, kind="stable")[:top_n]
        counts = present.getrow(gi)
        count_of = dict(zip(counts.indices, counts.data, strict=True))
        size = group_sizes[g]
        # ties broken by term for stable output
        ranked = sorted(
            ((row.data[k], vocab[row.indices[k]], row.indices[k]) for k in order),
            key=lambda x: (-round(x[0], 12), x[1]),
        )
        for rank, (score, term, j) in enumerate(ranked, 1):
            n_with = int(count_of.get(j, 0))
            records.append(
                (g, rank, term, float(score), float(score) / size, n_with / size, n_with)
            )
    keywords = pd.DataFrame(
        records,
        columns=["group", "rank", "term", "tfidf_sum", "tfidf_mean", "doc_share", "docs_with_term"],
    )
    groups = pd.DataFrame(
        {
            "group": group_names,
            "n_docs": [group_sizes[g] for g in group_names],
            "doc_share": [group_sizes[g] / n_docs for g in group_names],
        }
    )
    return KeywordTables(keywords, groups, vocab, vec.idf_, sums, n_docs)


def tfidf_in_memory(
    texts: Sequence[str],
    groups: Sequence[Sequence[str]],
    analyzer: Callable[[str], list[str]],
    *,
    top_n: int = 30,
    min_df: int = 2,
) -> KeywordTables:
    """Keyword tables for a small in-memory corpus (segments with ``analyzer``).

    Parameters
    ----------
    texts
        Normalised documents.
    groups
        Groups of each document.
    analyzer
        Text → tokens, typically a :class:`~nlp.segment.Segmenter`.
    top_n, min_df
        As in :func:`fit_keywords`.

    Returns
    -------
    KeywordTables
    """
    docs = [(list(g), analyzer(t)) for t, g in zip(texts, groups, strict=True)]
    return fit_keywords(lambda: iter([docs]), top_n=top_n, min_df=min_df)


def jieba_keywords(
    text: str,
    tokenizer: object,
    *,
    method: str = "tfidf",
    top_k: int = 20,
    stopwords: Iterable[str] = (),
) -> list[tuple[str, float]]:
    """jieba's own keyword extractors on one (group) text, with our tokenizer and stopwords.

    Parameters
    ----------
    text
        The concatenated texts of a group.
    tokenizer
        A ``jieba.Tokenizer`` (e.g. from a :class:`~nlp.segment.Segmenter`).
    method
        ``"tfidf"`` (jieba's bundled IDF) or ``"textrank"``.
    top_k
        Keywords returned.
    stopwords
        Extra stopwords.

    Returns
    -------
    list[tuple[str, float]]
    """
    import jieba.analyse
    import jieba.posseg

    if method == "tfidf":
        extractor = jieba.analyse.TFIDF()
        extractor.tokenizer = tokenizer
    elif method == "textrank":
        extractor = jieba.analyse.TextRank()
        extractor.tokenizer = extractor.postokenizer = jieba.posseg.POSTokenizer(tokenizer)
    else:
        raise ValueError(f"method must be 'tfidf' or 'textrank', got {method!r}")
    extractor.stop_words = set(extractor.stop_words) | set(stopwords)
    return extractor.extract_tags(text, topK=top_k, withWeight=True)
