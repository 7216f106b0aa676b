"""Segmenting respondents: Gower distance, k-medoids (PAM) or linkage clustering with k chosen
by the silhouette, and the stability of a segmentation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nlp.survey.loading import Survey, SurveyError


def gower_distance(survey: Survey, *, weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Gower dissimilarity between respondents (``n × n``, symmetric, zero diagonal).

    Per item: likert ``|a−b| / (hi−lo)``; ordinal ``|rank a − rank b| / (L−1)``; numeric
    ``|a−b| / observed range``; categorical 0 if equal else 1; multi-choice options as
    asymmetric binaries (both unticked: not compared). A missing answer removes the item from
    that pair. Each question weighs ``weight`` (from the spec or ``weights``); a multi-choice
    question shares its weight among its options. Pairs with nothing comparable get 1.
    """
    n = survey.n
    num = np.zeros((n, n))
    den = np.zeros((n, n))
    for feat, (q, kind) in survey.features.items():
        spec = survey.columns[q]
        w = float((weights or {}).get(q, spec.weight))
        if w == 0:
            continue
        x = survey.data[feat]
        if kind == "categorical":
            codes = pd.Categorical(x).codes.astype(float)
            codes[codes < 0] = np.nan
            d = (codes[:, None] != codes[None, :]).astype(float)
            valid = ~(np.isnan(codes)[:, None] | np.isnan(codes)[None, :])
        else:
            v = x.to_numpy(dtype=float)
            valid = ~(np.isnan(v)[:, None] | np.isnan(v)[None, :])
            if kind == "multi":
                w = w / max(len(spec.levels or ()), 1)
                both_zero = (v[:, None] == 0) & (v[None, :] == 0)
                valid &= ~both_zero
                d = np.abs(v[:, None] - v[None, :])
            else:
                rng: float
                if kind == "likert":
                    rng = spec.scale[1] - spec.scale[0]
                elif kind == "ordinal":
                    rng = len(spec.levels or ()) - 1
                else:
                    rng = float(np.nanmax(v) - np.nanmin(v)) if np.isfinite(v).any() else 0.0
                d = np.abs(v[:, None] - v[None, :]) / rng if rng > 0 else np.zeros((n, n))
        d = np.where(valid, d, 0.0)
        num += w * d
        den += w * valid
    with np.errstate(invalid="ignore", divide="ignore"):
        D = np.where(den > 0, num / den, 1.0)
    np.fill_diagonal(D, 0.0)
    return D


def k_medoids(D: np.ndarray, k: int, *, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Partitioning Around Medoids (BUILD, then SWAP until no swap lowers the cost).

    Deterministic: ties go to the lowest index.

    Parameters
    ----------
    D
        Symmetric dissimilarity matrix.
    k
        Number of clusters, ``1 ≤ k ≤ n``.
    max_iter
        Cap on SWAP rounds.

    Returns
    -------
    (labels, medoids)
        Cluster index 0..k−1 of each point (that of its nearest medoid) and the medoid indices.
    """
    D = np.asarray(D, dtype=float)
    n = D.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k must lie in 1..{n}, got {k}")
    medoids = [int(np.argmin(D.sum(axis=1)))]
    nearest = D[:, medoids[0]].copy()
    while len(medoids) < k:
        gain = np.maximum(nearest[:, None] - D, 0.0).sum(axis=0)
        gain[medoids] = -1.0
        m = int(np.argmax(gain))
        medoids.append(m)
        nearest = np.minimum(nearest, D[:, m])
    med = np.array(medoids)
    for _ in range(max_iter):
        dm = D[:, med]
        order = np.argsort(dm, axis=1, kind="stable")
        d1 = dm[np.arange(n), order[:, 0]]
        d2 = dm[np.arange(n), order[:, 1]] if k > 1 else np.full(n, np.inf)
        best = (0.0, -1, -1)
        is_med = np.zeros(n, bool)
        is_med[med] = True
        for i in range(k):
            mine = order[:, 0] == i
            # cost change of replacing medoid i by each candidate h (columns of D)
            delta = np.where(
                mine[:, None],
                np.minimum(d2[:, None], D) - d1[:, None],
                np.minimum(d1[:, None], D) - d1[:, None],
            ).sum(axis=0)
            delta[is_med] = np.inf
            h = int(np.argmin(delta))
            if delta[h] < best[0] - 1e-12:
                best = (float(delta[h]), i, h)
        if best[1] < 0:
            break
        med[best[1]] = best[2]
    labels = np.argmin(D[:, med], axis=1)
    return labels, med


def _cluster(D: np.ndarray, k: int, method: str) -> np.ndarray:
    if method == "pam":
        return k_medoids(D, k)[0]
    if method in ("average", "complete"):
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        Z = linkage(squareform(D, checks=False), method=method)
        return fcluster(Z, t=k, criterion="maxclust") - 1
    raise ValueError(f"unknown method {method!r}; use pam, average or complete")


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Segments numbered 1.. by size (largest first), ties by first member."""
    uniq = np.unique(labels)
    key = sorted(uniq, key=lambda c: (-(labels == c).sum(), int(np.argmax(labels == c))))
    mapping = {c: i + 1 for i, c in enumerate(key)}
    return np.array([mapping[c] for c in labels])


@dataclass
class Segmentation:
    """Result of :func:`segment_survey`.

    Attributes
    ----------
    labels
        Segment (1 = largest) of each respondent, indexed like ``Survey.data``.
    k
        Number of segments chosen.
    silhouette
        Mean silhouette width for every k tried (``k, silhouette, smallest_share``).
    sample_silhouette
        Silhouette of each respondent under the chosen k.
    medoids
        Respondent id of each segment's medoid (PAM only).
    distance
        The Gower matrix used.
    params
        What was run (method, ks, weights, min_share).
    """

    labels: pd.Series
    k: int
    silhouette: pd.DataFrame
    sample_silhouette: pd.Series
    medoids: dict[int, str]
    distance: np.ndarray
    params: dict[str, Any]

    def shares(self) -> pd.DataFrame:
        """Respondents and share per segment."""
        counts = self.labels.value_counts().sort_index()
        return pd.DataFrame(
            {
                "segment": counts.index,
                "n": counts.to_numpy(),
                "share": counts.to_numpy() / counts.sum(),
            }
        )


def segment_survey(
    survey: Survey,
    *,
    ks: Iterable[int] = range(2, 9),
    method: str = "pam",
    weights: Mapping[str, float] | None = None,
    min_share: float = 0.05,
) -> Segmentation:
    """Cluster respondents on Gower distance and choose k by the mean silhouette width.

    Parameters
    ----------
    survey
        Loaded answers.
    ks
        Segment counts to try.
    method
        ``pam`` (k-medoids), ``average`` or ``complete`` linkage.
    weights
        Question → weight, overriding the spec.
    min_share
        A k whose smallest segment holds less than this share of respondents is not chosen
        (a segment of a handful of outliers is no market segment).

    Returns
    -------
    Segmentation
    """
    from sklearn.metrics import silhouette_samples, silhouette_score

    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 2 or ks[-1] >= survey.n:
        raise SurveyError(f"{survey.source}: k must lie in 2..{survey.n - 1}, got {ks}")
    D = gower_distance(survey, weights=weights)
    rows, labelled = [], {}
    for k in ks:
        lab = _cluster(D, k, method)
        if len(np.unique(lab)) < 2:
            rows.append({"k": k, "silhouette": float("nan"), "smallest_share": float("nan")})
            continue
        labelled[k] = lab
        smallest = np.bincount(lab).min() / len(lab)
        rows.append(
            {
                "k": k,
                "silhouette": float(silhouette_score(D, lab, metric="precomputed")),
                "smallest_share": float(smallest),
            }
        )
    table = pd.DataFrame(rows)
    eligible = table[(table["smallest_share"] >= min_share) & table["silhouette"].notna()]
    if eligible.empty:
        raise SurveyError(
            f"{survey.source}: no k in {ks} gives segments of at least {min_share:.0%}"
        )
    best_k = int(eligible.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
    table["chosen"] = table["k"] == best_k
    labels = _relabel(labelled[best_k])
    idx = survey.data.index
    medoids: dict[int, str] = {}
    if method == "pam":
        _, med = k_medoids(D, best_k)
        for m in med:
            medoids[int(labels[m])] = str(idx[m])
    return Segmentation(
        labels=pd.Series(labels, index=idx, name="segment"),
        k=best_k,
        silhouette=table,
        sample_silhouette=pd.Series(
            silhouette_samples(D, labels, metric="precomputed"), index=idx, name="silhouette"
        ),
        medoids=dict(sorted(medoids.items())),
        distance=D,
        params={
            "method": method,
            "ks": ks,
            "weights": dict(weights or {}),
            "min_share": min_share,
            "distance": "gower",
        },
    )


def segment_stability(
    seg: Segmentation, *, n_boot: int = 50, frac: float = 0.8, seed: int = 42
) -> pd.DataFrame:
    """How stable the segments are: recluster random subsamples and compare.

    Each round draws ``frac`` of the respondents without replacement (``numpy`` generator
    seeded with ``seed``), reclusters them with the same method and k, and scores the
    adjusted Rand index against the full-sample segments on the same respondents.

    Returns
    -------
    pandas.DataFrame
        ``round, ari`` (one row per round).
    """
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    n = len(seg.labels)
    m = max(round(frac * n), seg.k + 1)
    full = seg.labels.to_numpy()
    rows = []
    for r in range(n_boot):
        pick = np.sort(rng.choice(n, size=m, replace=False))
        sub = seg.distance[np.ix_(pick, pick)]
        lab = _cluster(sub, seg.k, seg.params["method"])
        rows.append({"round": r + 1, "ari": float(adjusted_rand_score(full[pick], lab))})
    return pd.DataFrame(rows)
