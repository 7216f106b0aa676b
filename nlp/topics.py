"""LDA topic models (gensim) with a fixed seed and a coherence sweep to choose k.

:class:`TopicModel` follows the scikit-learn estimator shape: ``__init__`` stores
hyper-parameters, ``fit`` learns ``dictionary_`` and ``model_`` (a single-process gensim
``LdaModel`` seeded with ``random_state``, so the same seed gives the same topics), and
``transform`` gives document–topic distributions. :func:`coherence_sweep` fits one model per k
(the k values in parallel, through :func:`nlp.parallel.ordered_map`) and scores each with c_v,
u_mass and c_npmi (gensim ``CoherenceModel``).

At scale the models are trained on a seeded sample of the documents (:func:`sample_positions`;
the sample size was chosen by measuring coherence against it, ``docs/benchmarks.md``) and every
document's topics are then inferred in parallel chunks (:func:`infer_chunk`), each chunk with
its own seeded random state, so the result does not depend on which process ran it.
``LdaModel`` rather than ``LdaMulticore``: measured in ``docs/benchmarks.md`` (the k values
already fill the cores, and ``LdaMulticore`` is not reproducible across runs).

Documents given as a stream are serialised to a Matrix Market file that gensim reads pass by
pass, so only the dictionary and the model sit in memory. Coherence is computed on at most
``coherence_docs`` documents (a seeded sample).
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.errors import ThinDataError

__all__ = [
    "SweepResult",
    "TopicModel",
    "coherence_sweep",
    "infer_chunk",
    "parse_k_range",
    "sample_positions",
]

TokenDocs = Callable[[], Iterator[Sequence[str]]]
#: ``mapper(func, state, items)``: ``func(state, item)`` for each item, in order
Mapper = Callable[[Callable[[Any, Any], Any], Any, Iterable[Any]], Iterator[Any]]


def parse_k_range(spec: str) -> list[int]:
    """Parse ``"2:12"`` (inclusive), ``"2:12:2"`` or ``"3,4,6"`` into topic counts.

    Raises
    ------
    ValueError
        For an empty or malformed range, or k < 1.
    """
    try:
        if ":" in spec:
            parts = [int(p) for p in spec.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            step = parts[2] if len(parts) == 3 else 1
            ks = list(range(parts[0], parts[1] + 1, step))
        else:
            ks = [int(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        raise ValueError(f"bad k range {spec!r}: use 2:12, 2:12:2 or 3,4,6") from None
    if not ks or min(ks) < 1:
        raise ValueError(f"bad k range {spec!r}: need k >= 1")
    return ks


class TopicModel:
    """Seeded gensim LDA.

    Parameters
    ----------
    num_topics
        k.
    passes, iterations
        gensim training passes over the corpus and per-document inference iterations.
    random_state
        Seed (gensim ``random_state``).
    no_below, no_above, keep_n
        Dictionary pruning: drop terms in fewer than ``no_below`` documents or in more than
        ``no_above`` of them; keep at most ``keep_n``.
    alpha
        Document–topic prior (gensim ``alpha``).

    Attributes
    ----------
    dictionary_
        The fitted ``gensim.corpora.Dictionary``.
    model_
        The fitted ``gensim.models.LdaModel``.
    n_docs_
        Documents seen in ``fit``.
    """

    def __init__(
        self,
        num_topics: int = 4,
        *,
        passes: int = 10,
        iterations: int = 100,
        random_state: int = 42,
        no_below: int = 3,
        no_above: float = 0.5,
        keep_n: int = 20_000,
        alpha: str = "symmetric",
    ) -> None:
        self.num_topics = num_topics
        self.passes = passes
        self.iterations = iterations
        self.random_state = random_state
        self.no_below = no_below
        self.no_above = no_above
        self.keep_n = keep_n
        self.alpha = alpha

    def params(self) -> dict[str, Any]:
        """Hyper-parameters as a dict."""
        return {
            "num_topics": self.num_topics,
            "passes": self.passes,
            "iterations": self.iterations,
            "random_state": self.random_state,
            "no_below": self.no_below,
            "no_above": self.no_above,
            "keep_n": self.keep_n,
            "alpha": self.alpha,
        }

    def fit(
        self,
        docs: TokenDocs,
        *,
        dictionary: Any = None,
        bow_path: Path | None = None,
        bow: Sequence[list[tuple[int, int]]] | None = None,
    ) -> TopicModel:
        """Fit on a re-iterable stream of token lists.

        Parameters
        ----------
        docs
            Returns a fresh iterator of token lists.
        dictionary
            A prepared dictionary (shared by a sweep); built from ``docs`` when ``None``.
        bow_path
            A Matrix Market corpus already serialised for ``dictionary``.
        bow
            The bag-of-words corpus in memory (a sample), instead of ``bow_path``.

        Returns
        -------
        TopicModel
            ``self``.
        """
        self.dictionary_ = dictionary if dictionary is not None else build_dictionary(docs, self)
        if len(self.dictionary_) == 0:
            raise ThinDataError(
                f"no term occurs in at least no_below={self.no_below} documents (dictionary "
                "empty after pruning)"
            )
        if bow is not None:
            self._train(bow)
            return self
        with tempfile.TemporaryDirectory() as tmp:
            path = bow_path or serialize_bow(docs, self.dictionary_, Path(tmp) / "bow.mm")
            self._train(_mm(path))
        return self

    def _train(self, corpus: Any) -> None:
        from gensim.models import LdaModel

        self.n_docs_ = len(corpus)
        self.model_ = LdaModel(
            corpus=corpus,
            id2word=self.dictionary_,
            num_topics=self.num_topics,
            passes=self.passes,
            iterations=self.iterations,
            random_state=self.random_state,
            alpha=self.alpha,
            chunksize=2000,
            eval_every=None,
        )

    def topics(self, topn: int = 10) -> list[list[tuple[str, float]]]:
        """Top terms and weights of each topic."""
        return [
            [(self.dictionary_[i], float(w)) for i, w in self.model_.get_topic_terms(t, topn)]
            for t in range(self.num_topics)
        ]

    def transform(self, docs: Iterable[Sequence[str]]) -> np.ndarray:
        """Document–topic distributions (``n_docs × num_topics``, rows sum to 1)."""
        rows = []
        for tokens in docs:
            bow = self.dictionary_.doc2bow(list(tokens))
            dist = np.zeros(self.num_topics)
            for t, p in self.model_.get_document_topics(bow, minimum_probability=0.0):
                dist[t] = p
            rows.append(dist)
        return np.array(rows).reshape(len(rows), self.num_topics)

    def infer(self, docs: Sequence[Sequence[str]], seed: int) -> np.ndarray:
        """Document–topic distributions of a batch, inferred with a random state of its own
        (``seed``): the same batch and seed give the same rows in any process.

        gensim's variational inference (``LdaModel.inference``: the same random start, updates,
        per-document stopping rule and ``float32`` arithmetic) done for the whole batch at once
        with sparse matrix products instead of a Python loop per document; rows are the
        normalised variational parameters (``get_document_topics`` without its 1e-8 floor).
        """
        k = self.num_topics
        if not docs:
            return np.zeros((0, k))
        gamma = batch_gamma(self.model_, [self.dictionary_.doc2bow(list(d)) for d in docs], seed)
        return np.asarray(gamma / gamma.sum(axis=1, keepdims=True)).reshape(len(docs), k)

    def save(self, folder: str | Path) -> None:
        """Save model, dictionary and parameters in ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model_.save(str(folder / "lda.model"))
        self.dictionary_.save(str(folder / "dictionary.gensim"))
        (folder / "params.json").write_text(
            json.dumps(self.params(), indent=2) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: str | Path) -> TopicModel:
        """Load a model saved by :meth:`save`."""
        from gensim.corpora import Dictionary
        from gensim.models import LdaModel

        folder = Path(folder)
        params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
        obj = cls(**params)
        obj.model_ = LdaModel.load(str(folder / "lda.model"))
        obj.dictionary_ = Dictionary.load(str(folder / "dictionary.gensim"))
        return obj


def batch_gamma(model: Any, bows: Sequence[list[tuple[int, int]]], seed: int) -> np.ndarray:
    """Variational ``gamma`` (documents × topics) of a batch of bags of words under a gensim
    ``LdaModel``: ``LdaModel.inference`` vectorised over the batch (see
    :meth:`TopicModel.infer`); the random start comes from ``RandomState(seed)``."""
    import scipy.sparse as sparse
    from scipy.special import psi

    dtype = model.dtype
    n, k = len(bows), model.num_topics
    lengths = np.fromiter((len(b) for b in bows), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    ids = np.fromiter((i for b in bows for i, _ in b), dtype=np.int64, count=int(indptr[-1]))
    cts = np.fromiter((c for b in bows for _, c in b), dtype=dtype, count=int(indptr[-1]))
    rows = np.repeat(np.arange(n), lengths)
    beta = model.expElogbeta  # topics × vocabulary
    beta_t = np.ascontiguousarray(beta.T)  # vocabulary × topics
    beta_nz = beta_t[ids]  # one row per (document, word) pair
    alpha = model.alpha.astype(dtype, copy=False)
    eps = np.finfo(dtype).eps

    def exp_elog(g: np.ndarray) -> np.ndarray:
        return np.exp(psi(g) - psi(g.sum(axis=1))[:, None]).astype(dtype, copy=False)

    def norm(theta: np.ndarray) -> np.ndarray:
        return np.einsum("nk,nk->n", theta[rows], beta_nz) + eps

    gamma = np.random.RandomState(seed).gamma(100.0, 1.0 / 100.0, (n, k)).astype(dtype)
    theta = exp_elog(gamma)
    phinorm = norm(theta)
    active = np.ones(n, dtype=bool)
    for _ in range(model.iterations):
        ratio = sparse.csr_matrix((cts / phinorm, ids, indptr), shape=(n, beta.shape[1]))
        new = (alpha + theta * (ratio @ beta_t)).astype(dtype, copy=False)
        change = np.mean(np.abs(new - gamma), axis=1)
        gamma[active] = new[active]
        theta[active] = exp_elog(new[active])
        phinorm = np.where(active[rows], norm(theta), phinorm)
        active &= ~(change < model.gamma_threshold)  # a document stops once it converged
        if not active.any():
            break
    return gamma


def build_dictionary(docs: TokenDocs, params: TopicModel) -> Any:
    """Build and prune a gensim ``Dictionary`` from a stream of token lists."""
    from gensim.corpora import Dictionary

    dictionary = Dictionary()
    batch: list[Sequence[str]] = []
    for tokens in docs():
        batch.append(tokens)
        if len(batch) >= 5000:
            dictionary.add_documents(batch)
            batch = []
    if batch:
        dictionary.add_documents(batch)
    dictionary.filter_extremes(
        no_below=params.no_below, no_above=params.no_above, keep_n=params.keep_n
    )
    dictionary.compactify()
    return dictionary


def serialize_bow(docs: TokenDocs, dictionary: Any, path: Path) -> Path:
    """Write the bag-of-words corpus of ``docs`` as Matrix Market (streamed)."""
    from gensim.corpora import MmCorpus

    MmCorpus.serialize(str(path), (dictionary.doc2bow(list(t)) for t in docs()))
    return path


def _mm(path: Path) -> Any:
    from gensim.corpora import MmCorpus

    return MmCorpus(str(path))


@dataclass
class SweepResult:
    """Outcome of :func:`coherence_sweep`.

    Attributes
    ----------
    table
        One dict per k: ``k, c_v, u_mass, c_npmi``.
    best_k
        k with the highest c_v (ties: the smaller k).
    models
        k → fitted :class:`TopicModel`.
    """

    table: list[dict[str, float]]
    best_k: int
    models: dict[int, TopicModel]


def coherence_sweep(
    docs: TokenDocs,
    ks: Sequence[int],
    *,
    seed: int = 42,
    passes: int = 10,
    iterations: int = 100,
    no_below: int = 3,
    no_above: float = 0.5,
    coherence_docs: int = 5000,
    topn: int = 10,
    measures: Sequence[str] = ("c_v", "u_mass", "c_npmi"),
    on_k: Callable[[dict[str, float]], None] | None = None,
    workers: int = 1,
    mapper: Mapper | None = None,
) -> SweepResult:
    """Fit one seeded LDA per k and score its topics; the k values run in parallel.

    Parameters
    ----------
    docs
        Returns a fresh iterator of token lists: the training documents (at scale a sample,
        see :func:`sample_positions`). Their bag-of-words corpus is held in memory and given
        to every worker.
    ks
        Topic counts to try.
    seed
        LDA ``random_state`` and the coherence sample's seed.
    passes, iterations, no_below, no_above
        See :class:`TopicModel`.
    coherence_docs
        Documents (seeded sample) on which coherence is computed.
    topn
        Terms per topic used for coherence.
    measures
        gensim coherence measures.
    on_k
        Called with each k's row as soon as it is scored (for printing), in the order of ks.
    workers
        Processes fitting k values at the same time (``1``: in this process). The result does
        not depend on it.
    mapper
        ``mapper(func, state, items)`` yielding ``func(state, item)`` in order (a pipeline
        engine's map); default: :func:`nlp.parallel.ordered_map` over ``workers`` processes.

    Returns
    -------
    SweepResult
    """
    from nlp.parallel import ordered_map

    base = TopicModel(
        passes=passes,
        iterations=iterations,
        random_state=seed,
        no_below=no_below,
        no_above=no_above,
    )
    dictionary = build_dictionary(docs, base)
    if len(dictionary) == 0:
        raise ThinDataError(
            f"no term occurs in at least no_below={no_below} documents (dictionary empty after "
            "pruning)"
        )
    # seeded reservoir sample of documents for coherence
    rng = random.Random(seed)
    sample: list[list[str]] = []
    bow: list[list[tuple[int, int]]] = []
    for i, tokens in enumerate(docs()):
        bow.append(dictionary.doc2bow(list(tokens)))
        kept = [t for t in tokens if t in dictionary.token2id]
        if i < coherence_docs:
            sample.append(kept)
        else:
            j = rng.randint(0, i)
            if j < coherence_docs:
                sample[j] = kept
    sample = [s for s in sample if s]
    state = _SweepState(base.params(), dictionary, bow, sample, topn, tuple(measures))
    rows: list[dict[str, float]] = []
    models: dict[int, TopicModel] = {}
    if mapper is None:
        n = min(workers, len(ks))

        def mapper(f: Any, st: Any, items: Iterable[Any]) -> Iterator[Any]:
            return ordered_map(f, st, items, workers=n)

    for row, tm in mapper(_fit_k, state, iter(ks)):
        rows.append(row)
        models[int(row["k"])] = tm
        if on_k:
            on_k(row)
    key = "c_v" if "c_v" in measures else measures[0]
    best = max(rows, key=lambda r: (r[key], -r["k"]))
    return SweepResult(rows, int(best["k"]), models)


@dataclass
class _SweepState:
    """What every k's fit needs (sent once to each worker)."""

    params: dict[str, Any]
    dictionary: Any
    bow: list[list[tuple[int, int]]]
    sample: list[list[str]]
    topn: int
    measures: tuple[str, ...]


def _fit_k(state: _SweepState, k: int) -> tuple[dict[str, float], TopicModel]:
    """Fit the model with k topics on the sweep's corpus and score its coherence."""
    from gensim.models import CoherenceModel

    tm = TopicModel(**{**state.params, "num_topics": k})
    tm.fit(lambda: iter(()), dictionary=state.dictionary, bow=state.bow)
    topics = [[w for w, _ in t] for t in tm.topics(state.topn)]
    sample_bow = [state.dictionary.doc2bow(s) for s in state.sample]
    row: dict[str, float] = {"k": k}
    for m in state.measures:
        cm = CoherenceModel(
            topics=topics,
            texts=state.sample,
            corpus=sample_bow,
            dictionary=state.dictionary,
            coherence=m,
            topn=state.topn,
            processes=1,
        )
        row[m] = float(cm.get_coherence())
    return row, tm


def sample_positions(n: int, size: int, seed: int) -> list[int]:
    """Sorted positions of a seeded sample of ``size`` out of ``n`` documents (all of them
    when ``size >= n``); the same arguments give the same sample."""
    if size >= n:
        return list(range(n))
    return sorted(random.Random(seed).sample(range(n), size))


def infer_chunk(state: tuple[TopicModel, int], job: tuple[int, list[list[str]]]) -> np.ndarray:
    """Topic distributions of one numbered chunk of token lists (for ``ordered_map``): the
    chunk's random state is ``seed + number``, so any process gives the same rows."""
    model, seed = state
    number, docs = job
    return model.infer(docs, seed + number)
