"""Site-to-site similarity from TF-IDF and topic vectors.

Each site is represented by (a) the sum of its documents' TF-IDF rows (from
:func:`~nlp.keywords.fit_keywords` grouped by site) and (b) the mean document–topic distribution
of its documents under the overall LDA model. Similarities are cosines; ``combined`` is
``weight * tfidf + (1 - weight) * topic``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics.pairwise import cosine_similarity

__all__ = ["site_similarity"]


def site_similarity(
    sites: Sequence[str],
    tfidf_vectors: object,
    topic_vectors: np.ndarray | None = None,
    *,
    weight: float = 0.5,
    top_k: int = 5,
) -> pd.DataFrame:
    """Most similar sites for each site.

    Parameters
    ----------
    sites
        Site ids, the row order of the vectors.
    tfidf_vectors
        ``sites × vocabulary`` (sparse or dense) TF-IDF sums.
    topic_vectors
        ``sites × topics`` mean topic distributions, or ``None`` (TF-IDF only).
    weight
        Weight of the TF-IDF cosine in ``combined``.
    top_k
        Neighbours kept per site.

    Returns
    -------
    pandas.DataFrame
        ``site, rank, similar_site, tfidf_cosine, topic_cosine, combined``.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    n = len(sites)
    tf = cosine_similarity(tfidf_vectors) if n else np.zeros((0, 0))
    if topic_vectors is not None:
        tp = cosine_similarity(np.asarray(topic_vectors))
        combined = weight * tf + (1 - weight) * tp
    else:
        tp = np.full((n, n), np.nan)
        combined = tf
    rows = []
    for i, s in enumerate(sites):
        order = [j for j in np.argsort(-combined[i], kind="stable") if j != i][:top_k]
        for rank, j in enumerate(order, 1):
            rows.append(
                (s, rank, sites[j], float(tf[i, j]), float(tp[i, j]), float(combined[i, j]))
            )
    return pd.DataFrame(
        rows, columns=["site", "rank", "similar_site", "tfidf_cosine", "topic_cosine", "combined"]
    )
