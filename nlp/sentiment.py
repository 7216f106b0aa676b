"""Sentiment per document and per aspect, with threshold calibration on star ratings.

Scores come from snownlp's bundled Naive Bayes model (offline, from PyPI), loaded into an
object this module owns (snownlp's module-level classifier is never touched). Text is scored
as normalised, *without* our stopword removal: 不, 很, 好 matter (snownlp applies its own
model-internal filtering).

The bundled model was trained on product reviews and its 0.5 cut-off is wrong on scenic
reviews: :func:`calibrate` picks the threshold that maximises Youden's J (TPR − FPR) against
labels derived from star ratings (4–5 positive, 1–3 negative by default) and reports ROC AUC
(``sklearn.metrics.roc_auc_score``).

When an export carries enough star ratings, :class:`RatedModel` learns sentiment from them:
TF-IDF over word unigrams and bigrams (our segmenter, stopwords kept) and a logistic regression
(scikit-learn). Its out-of-fold ROC AUC is compared with the bundled model's on the same
documents and the better one scores the corpus (``benchmarks/nlp.py`` measures both).

Aspects (scenery, carvings, transport, tickets, service, food, lodging) come from
``data/lexicon/aspects.yaml``; a clause belongs to an aspect when one of its segmented words is
an aspect term, and each such clause is scored.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from math import exp, log
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlp.errors import LexiconError
from nlp.parallel import one_thread

__all__ = [
    "Aspect",
    "Calibration",
    "RatedModel",
    "SentimentScorer",
    "aspect_clause_words",
    "aspect_clauses",
    "calibrate",
    "clause_words",
    "labels_from_ratings",
    "load_aspects",
    "split_clauses",
]

_CLAUSE = re.compile(r"[^。!?;,，、\n]+")
_SENTENCE = re.compile(r"[^。!?;\n]+[。!?;]?")


@dataclass(frozen=True)
class Aspect:
    """An aspect and its terms."""

    name: str
    label_zh: str
    terms: frozenset[str]


def load_aspects(path: str | Path) -> list[Aspect]:
    """Read ``aspects.yaml``.

    Raises
    ------
    LexiconError
        If an aspect has no terms.
    """
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for name, spec in raw.items():
        terms = frozenset(str(t) for t in (spec or {}).get("terms") or ())
        if not terms:
            raise LexiconError(f"{path}: aspect {name!r} has no terms")
        out.append(Aspect(name, str(spec.get("label_zh", name)), terms))
    return out


class SentimentScorer:
    """snownlp sentiment, in an instance of its own.

    Parameters
    ----------
    model_path
        A snownlp sentiment model file (``.marshal``); default: the bundled one.
    words
        Word segmentation fed to the model: ``"snownlp"`` (its own character-based segmenter,
        as the model was trained) or a callable text → words such as ``Segmenter.cut`` (much
        faster; compared in ``benchmarks/nlp.py``). Either way snownlp's own model-internal
        stopword filter applies and ours does not.
    """

    def __init__(self, model_path: str | Path | None = None, *, words: Any = "snownlp") -> None:
        self.model_path = None if model_path is None else Path(model_path)
        self.words = words
        self._clf: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "words": self.words, "_clf": None, "_nb": None}

    _nb: _FastBayes | None = None

    def _ensure(self) -> Any:
        if self._clf is None:
            from snownlp import sentiment

            clf = sentiment.Sentiment()
            if self.model_path is None:
                clf.load()
            else:
                clf.load(str(self.model_path).removesuffix(".3"), iszip=True)
            self._clf = clf
            self._nb = _FastBayes(clf.classifier)
        return self._clf

    def score(self, text: str) -> float:
        """P(positive) of a text; 0.5 for an empty text."""
        if not text.strip():
            return 0.5
        clf = self._ensure()
        words = clf.handle(text) if self.words == "snownlp" else self.words(text)
        return self.score_words(words)

    def score_words(self, words: Sequence[str]) -> float:
        """P(positive) of a text already cut into words (snownlp's stopword filter applies;
        no words at all give the model's prior, as in snownlp)."""
        self._ensure()
        assert self._nb is not None
        return self._nb.score(words)

    def score_many(self, texts: Sequence[str]) -> list[float]:
        """Scores of several texts."""
        return [self.score(t) for t in texts]


class _FastBayes:
    """snownlp's Naive Bayes classifier (``snownlp.classification.bayes.Bayes.classify``)
    with its log-frequencies computed once: the same arithmetic in the same order, so the same
    scores to the last bit, without a method call and two ``log`` per word and class."""

    def __init__(self, bayes: Any) -> None:
        from snownlp import normal

        self.stop = frozenset(normal.stop)
        self.classes = list(bayes.d)
        self.base = {k: log(bayes.d[k].getsum()) - log(bayes.total) for k in self.classes}
        self.logf = {
            k: {w: log(float(c) / p.total) for w, c in p.d.items()} for k, p in bayes.d.items()
        }
        self.unseen = {k: log(float(p.none) / p.total) for k, p in bayes.d.items()}

    def classify(self, words: Sequence[str]) -> tuple[str, float]:
        """Like ``Bayes.classify(normal.filter_stop(words))``: (class, its probability)."""
        stop = self.stop
        kept = [w for w in words if w not in stop]
        tmp = {}
        for k in self.classes:
            t, logf, unseen = self.base[k], self.logf[k], self.unseen[k]
            for w in kept:
                t += logf.get(w, unseen)
            tmp[k] = t
        ret, prob = "", 0.0
        for k in self.classes:
            now = 0.0
            try:
                for other in self.classes:
                    now += exp(tmp[other] - tmp[k])
                now = 1 / now
            except OverflowError:
                now = 0
            if now > prob:
                ret, prob = k, now
        return ret, prob

    def score(self, words: Sequence[str]) -> float:
        """P(positive), as ``snownlp.sentiment.Sentiment.classify`` gives it."""
        label, prob = self.classify(words)
        return float(prob if label == "pos" else 1 - prob)


def _terms(words: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams of a word list."""
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


class RatedModel:
    """Sentiment learnt from star ratings: TF-IDF (word 1–2-grams) + logistic regression.

    Documents are given as word lists (``Segmenter.cut``: all words, stopwords kept — 不, 很
    and 好 carry sentiment). Terms are hashed into ``n_features`` columns (no vocabulary to
    hold, and chunks can be vectorised in worker processes: :meth:`counts`), weighted by
    sublinear TF-IDF and L2-normalised. Scores are P(positive).

    Parameters
    ----------
    C
        Inverse regularisation strength of the logistic regression.
    n_features
        Hash space of the terms. 2**18 scores as well as 2**20 on ChnSentiCorp (ROC AUC
        0.9531 vs 0.9532 out of fold) with a quarter of the solver's memory.
    seed
        Seed of the cross-validation split.
    """

    def __init__(self, *, C: float = 4.0, n_features: int = 2**18, seed: int = 0) -> None:
        self.C = C
        self.n_features = n_features
        self.seed = seed
        self.idf_: Any = None
        self.clf_: Any = None

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (kept with the artifacts)."""
        return {
            "features": "hashed word 1-2-grams, sublinear tf-idf, l2",
            "n_features": self.n_features,
            "classifier": "logistic regression",
            "C": self.C,
            "seed": self.seed,
        }

    def counts(self, docs: Sequence[Sequence[str]]) -> Any:
        """Term counts (sparse ``len(docs) × n_features``); stateless, so any process can
        compute them and :func:`scipy.sparse.vstack` can join the chunks."""
        from sklearn.feature_extraction.text import HashingVectorizer

        vec = HashingVectorizer(
            analyzer=_terms, n_features=self.n_features, alternate_sign=False, norm=None
        )
        return vec.transform(docs)

    def _weights(self, counts: Any) -> Any:
        return self.idf_.transform(counts)

    def _tfidf(self) -> Any:
        from sklearn.feature_extraction.text import TfidfTransformer

        return TfidfTransformer(sublinear_tf=True)

    def _clf(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=2000)

    def fit_counts(self, counts: Any, labels: Sequence[int] | np.ndarray) -> RatedModel:
        """Fit on term counts (from :meth:`counts`) and 0/1 labels, with one BLAS thread (the
        same coefficients on every machine and engine: :func:`nlp.parallel.one_thread`)."""
        with one_thread():
            self.idf_ = self._tfidf().fit(counts)
            self.clf_ = self._clf().fit(self._weights(counts), np.asarray(labels, dtype=int))
        return self

    def fit(self, docs: Sequence[Sequence[str]], labels: Sequence[int]) -> RatedModel:
        """Fit on word lists and 0/1 labels."""
        return self.fit_counts(self.counts(docs), labels)

    def score_counts(self, counts: Any) -> np.ndarray:
        """P(positive) from term counts."""
        if counts.shape[0] == 0:
            return np.empty(0)
        return self.clf_.predict_proba(self._weights(counts))[:, 1]

    def score(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """P(positive) of each word list."""
        return self.score_counts(self.counts(docs)) if len(docs) else np.empty(0)

    def cross_val_counts(
        self, counts: Any, labels: Sequence[int] | np.ndarray, folds: int = 5
    ) -> np.ndarray:
        """Out-of-fold P(positive): each document scored by a model (IDF weights included)
        fitted on the other folds only."""
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.pipeline import make_pipeline

        cv = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
        y = np.asarray(labels, dtype=int)
        pipe = make_pipeline(self._tfidf(), self._clf())
        with one_thread():
            return cross_val_predict(pipe, counts, y, cv=cv, method="predict_proba")[:, 1]

    def cross_val_scores(
        self, docs: Sequence[Sequence[str]], labels: Sequence[int], folds: int = 5
    ) -> np.ndarray:
        """Out-of-fold P(positive) of word lists (see :meth:`cross_val_counts`)."""
        return self.cross_val_counts(self.counts(docs), labels, folds)


def split_clauses(text: str) -> list[str]:
    """Clauses of a text (split at sentence and clause punctuation)."""
    return [c.strip() for c in _CLAUSE.findall(text) if c.strip()]


def split_sentences(text: str) -> list[str]:
    """Sentences of a text (split at 。!?; and newlines), punctuation kept."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


_CLAUSE_MARKS = frozenset("。!?;,，、\n")
_SPACE = re.compile(r"\s+")


def clause_words(text: str, words: Sequence[str], cut: Any) -> list[tuple[str, list[str]]]:
    """Each clause of ``text`` (:func:`split_clauses`) with its words.

    The words come from ``words``, the text's own cut, split at the clause marks: jieba (and
    rjieba) cut a text into blocks at punctuation first, so a clause's words are the same
    whether it is cut alone or inside its text. When the split does not give the clauses
    character for character (a newline between clauses, a mark inside a word), every clause is
    cut with ``cut`` instead.
    """
    clauses = split_clauses(text)
    groups: list[list[str]] = []
    current: list[str] = []
    for w in words:
        if w in _CLAUSE_MARKS:
            if current:
                groups.append(current)
                current = []
        else:
            current.append(w)
    if current:
        groups.append(current)
    if len(groups) == len(clauses) and all(
        "".join(g) == _SPACE.sub("", c) for g, c in zip(groups, clauses, strict=True)
    ):
        return list(zip(clauses, groups, strict=True))
    return [(c, list(cut(c))) for c in clauses]


def aspect_clause_words(
    text: str, words: Sequence[str], cut: Any, aspects: Sequence[Aspect]
) -> list[tuple[str, str, list[str]]]:
    """``(aspect, clause, clause words)``: clauses whose words include an aspect term (the
    words from the text's cut ``words``, see :func:`clause_words`)."""
    out = []
    for clause, cw in clause_words(text, words, cut):
        present = set(cw)
        for a in aspects:
            if not a.terms.isdisjoint(present):
                out.append((a.name, clause, cw))
    return out


def aspect_clauses(text: str, cut: Any, aspects: Sequence[Aspect]) -> list[tuple[str, str]]:
    """``(aspect, clause)`` pairs: clauses whose segmented words include an aspect term.

    Parameters
    ----------
    text
        Normalised text.
    cut
        Text → words (e.g. ``Segmenter.cut``).
    aspects
        From :func:`load_aspects`.
    """
    return [(a, c) for a, c, _ in aspect_clause_words(text, cut(text), cut, aspects)]


def labels_from_ratings(
    ratings: Sequence[float | None], *, positive_min: float = 4.0
) -> list[int | None]:
    """1 for ratings ≥ ``positive_min``, 0 below, ``None`` when unrated."""
    return [None if r is None or r != r else int(r >= positive_min) for r in ratings]


@dataclass
class Calibration:
    """Threshold chosen on labelled documents.

    Attributes
    ----------
    threshold
        Score at or above which a document is positive.
    calibrated
        False when there were too few labels of either class (threshold stays 0.5).
    roc_auc
        ROC AUC of the scores against the labels (``None`` without both classes).
    n_pos, n_neg
        Labelled documents per class.
    accuracy_at_05, accuracy_at_threshold
        Accuracy with the bundled cut-off and with the calibrated one.
    balanced_accuracy_at_05, balanced_accuracy_at_threshold
        Mean of TPR and TNR at each cut-off.
    """

    threshold: float
    calibrated: bool
    roc_auc: float | None
    n_pos: int
    n_neg: int
    accuracy_at_05: float | None = None
    accuracy_at_threshold: float | None = None
    balanced_accuracy_at_05: float | None = None
    balanced_accuracy_at_threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)


def _accuracies(scores: np.ndarray, labels: np.ndarray, t: float) -> tuple[float, float]:
    pred = scores >= t
    acc = float(np.mean(pred == labels.astype(bool)))
    tpr = float(np.mean(pred[labels == 1])) if np.any(labels == 1) else 0.0
    tnr = float(np.mean(~pred[labels == 0])) if np.any(labels == 0) else 0.0
    return acc, (tpr + tnr) / 2


def calibrate(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int | None],
    *,
    min_per_class: int = 10,
) -> Calibration:
    """Choose the decision threshold that maximises Youden's J; report ROC AUC.

    Parameters
    ----------
    scores
        P(positive) per document.
    labels
        1/0 per document, ``None`` when unlabelled (ignored).
    min_per_class
        Labels needed in each class to calibrate (below it the threshold stays 0.5).

    Returns
    -------
    Calibration
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    pairs = [(s, y) for s, y in zip(scores, labels, strict=True) if y is not None]
    s = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=int)
    n_pos, n_neg = int(np.sum(y == 1)), int(np.sum(y == 0))
    if n_pos == 0 or n_neg == 0:
        return Calibration(0.5, False, None, n_pos, n_neg)
    auc = float(roc_auc_score(y, s))
    acc05, bal05 = _accuracies(s, y, 0.5)
    if min(n_pos, n_neg) < min_per_class:
        return Calibration(0.5, False, auc, n_pos, n_neg, acc05, acc05, bal05, bal05)
    fpr, tpr, thr = roc_curve(y, s)
    best = int(np.argmax(tpr - fpr))
    threshold = float(min(1.0, thr[best]))
    acc_t, bal_t = _accuracies(s, y, threshold)
    return Calibration(threshold, True, auc, n_pos, n_neg, acc05, acc_t, bal05, bal_t)
