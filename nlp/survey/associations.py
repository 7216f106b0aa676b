"""Association statistics between questionnaire items: bias-corrected Cramér's V for nominal
pairs, Spearman's ρ for ordered pairs, with p-values and Benjamini–Hochberg q-values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nlp.survey.loading import ORDERED, Survey


def cramers_v(
    x: Sequence[Any] | pd.Series, y: Sequence[Any] | pd.Series, *, bias_correction: bool = True
) -> float:
    """Cramér's V between two nominal variables (pairs with a missing value are dropped).

    With ``bias_correction`` (Bergsma 2013): ``φ²⁺ = max(0, φ² − (k−1)(r−1)/(n−1))``,
    ``k̃ = k − (k−1)²/(n−1)``, ``r̃ = r − (r−1)²/(n−1)``, ``V = √(φ²⁺ / min(k̃−1, r̃−1))``.

    Returns
    -------
    float
        In [0, 1]; NaN when either variable has a single level.
    """
    return _cramers_v_table(_contingency(x, y), bias_correction=bias_correction)[0]


def _contingency(x: Sequence[Any] | pd.Series, y: Sequence[Any] | pd.Series) -> np.ndarray:
    """Counts of (x, y) level pairs; pairs with a missing value are dropped."""
    xs = pd.Series(list(x), dtype=object)
    ys = pd.Series(list(y), dtype=object)
    ok = (xs.notna() & ys.notna()).to_numpy()
    cx, _ = pd.factorize(xs[ok])
    cy, _ = pd.factorize(ys[ok])
    if cx.size == 0:
        return np.zeros((0, 0))
    table = np.zeros((cx.max() + 1, cy.max() + 1))
    np.add.at(table, (cx, cy), 1)
    return table


def _cramers_v_table(table: np.ndarray, *, bias_correction: bool = True) -> tuple[float, float]:
    """Cramér's V of a contingency table and the χ² test's p-value (NaN if degenerate)."""
    from scipy.stats import chi2_contingency

    r, k = table.shape
    n = int(table.sum())
    if r < 2 or k < 2 or n < 2:
        return float("nan"), float("nan")
    chi2, p = (float(v) for v in chi2_contingency(table, correction=False)[:2])
    phi2 = chi2 / n
    if not bias_correction:
        return math.sqrt(phi2 / min(k - 1, r - 1)), p
    phi2c = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    kc = k - (k - 1) ** 2 / (n - 1)
    rc = r - (r - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    return (math.sqrt(phi2c / denom) if denom > 0 else float("nan")), p


def spearman(x: Sequence[float] | pd.Series, y: Sequence[float] | pd.Series) -> tuple[float, float]:
    """Spearman's ρ and its two-sided p-value (pairs with a missing value dropped)."""
    from scipy.stats import spearmanr

    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return float("nan"), float("nan")
    res = spearmanr(a[ok], b[ok])
    return float(res.statistic), float(res.pvalue)


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (NaN kept)."""
    q = np.full_like(p, np.nan, dtype=float)
    ok = ~np.isnan(p)
    pv = p[ok]
    if pv.size == 0:
        return q
    order = np.argsort(pv)
    ranked = pv[order] * pv.size / np.arange(1, pv.size + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty_like(pv)
    out[order] = adj
    q[ok] = out
    return q


def _nominal(series: pd.Series, kind: str) -> pd.Series:
    if kind == "numeric":
        return pd.qcut(series, 4, duplicates="drop").astype(str).where(series.notna())
    return series


def associations(survey: Survey, *, questions: Iterable[str] | None = None) -> pd.DataFrame:
    """Association of every pair of items (multi-choice options count as binary items).

    Ordered pairs (likert, ordinal, numeric) get Spearman's ρ; a pair with a nominal item
    (categorical, a multi-choice option) gets bias-corrected Cramér's V (numeric items cut into
    quartiles), with the χ² test's p-value. Options of the same question are not paired.

    Returns
    -------
    pandas.DataFrame
        ``a, b, question_a, question_b, measure, value, strength, p_value, q_value, n``;
        strongest first (``strength`` is ``|ρ|`` or V).
    """

    wanted = set(questions) if questions is not None else None
    feats = [f for f, (q, _) in survey.features.items() if wanted is None or q in wanted]
    rows = []
    for i, a in enumerate(feats):
        qa, ka = survey.features[a]
        for b in feats[i + 1 :]:
            qb, kb = survey.features[b]
            if qa == qb:
                continue
            xa, xb = survey.data[a], survey.data[b]
            ok = xa.notna() & xb.notna()
            n = int(ok.sum())
            if ka in ORDERED and kb in ORDERED:
                rho, p = spearman(xa[ok], xb[ok])
                rows.append((a, b, qa, qb, "spearman", rho, abs(rho), p, n))
                continue
            na, nb = _nominal(xa[ok], ka), _nominal(xb[ok], kb)
            v, p = _cramers_v_table(_contingency(na, nb))
            rows.append((a, b, qa, qb, "cramers_v", v, v, p, n))
    out = pd.DataFrame(
        rows,
        columns=[
            "a",
            "b",
            "question_a",
            "question_b",
            "measure",
            "value",
            "strength",
            "p_value",
            "n",
        ],
    )
    out.insert(8, "q_value", _bh(out["p_value"].to_numpy(dtype=float)))
    return out.sort_values(
        ["strength", "a", "b"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)


def association_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Question × question matrix of the strongest association between their items.

    ``table`` is the output of :func:`associations`; a multi-choice question counts through
    its strongest option. The diagonal is 1.
    """
    qs = sorted(set(table["question_a"]) | set(table["question_b"]))
    M = pd.DataFrame(np.nan, index=qs, columns=qs)
    for a, b, v in table[["question_a", "question_b", "strength"]].itertuples(index=False):
        if pd.notna(v) and not (M.at[a, b] >= v):
            M.at[a, b] = M.at[b, a] = float(v)
    for q in qs:
        M.at[q, q] = 1.0
    return M
