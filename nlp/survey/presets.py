"""What distinguishes each segment, and a trip preset per segment built by data-driven rules
(:class:`PresetRules`), each value with the evidence it came from."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nlp.survey.loading import Survey, SurveyError


def profile_segments(survey: Survey, labels: pd.Series) -> pd.DataFrame:
    """What each segment answered, next to everyone.

    Ordered items: mean (Likert points; ordinal ranks with the modal level named);
    categorical answers and multi-choice options: share of the segment giving them.

    Returns
    -------
    pandas.DataFrame
        ``segment, n, question, item, kind, statistic, value, overall, difference`` where
        ``difference`` is ``value − overall`` in the item's own unit, and ``scaled`` is that
        difference divided by the item's range (1 for shares), so items compare.
    """
    labels = labels.reindex(survey.data.index)
    rows = []
    for seg_id in sorted(labels.dropna().unique()):
        members = survey.data[labels == seg_id]
        for feat, (q, kind) in survey.features.items():
            spec = survey.columns[q]
            col, allcol = members[feat], survey.data[feat]
            if kind == "categorical":
                for level in spec.levels or ():
                    v = float((col == level).sum() / max(col.notna().sum(), 1))
                    o = float((allcol == level).sum() / max(allcol.notna().sum(), 1))
                    rows.append((seg_id, len(members), q, level, kind, "share", v, o, v - o, v - o))
                continue
            if kind == "multi":
                v, o = float(col.mean()), float(allcol.mean())
                option = feat[len(q) + 1 : -1]
                rows.append((seg_id, len(members), q, option, kind, "share", v, o, v - o, v - o))
                continue
            v, o = float(col.mean()), float(allcol.mean())
            rng: float
            if kind == "likert":
                rng = spec.scale[1] - spec.scale[0]
                item = "mean"
            elif kind == "ordinal":
                levels = spec.levels or ()
                rng = len(levels) - 1
                mode = col.mode()
                item = (
                    f"mean rank (mode: {levels[int(mode.iloc[0])]})" if len(mode) else "mean rank"
                )
            else:
                rng = float(allcol.max() - allcol.min()) or 1.0
                item = "mean"
            rows.append((seg_id, len(members), q, item, kind, "mean", v, o, v - o, (v - o) / rng))
    out = pd.DataFrame(
        rows,
        columns=[
            "segment",
            "n",
            "question",
            "item",
            "kind",
            "statistic",
            "value",
            "overall",
            "difference",
            "scaled",
        ],
    )
    out["segment"] = out["segment"].astype(int)
    return out


def top_differences(profile: pd.DataFrame, *, per_segment: int = 8) -> pd.DataFrame:
    """The items on which each segment departs most from everyone (by ``|scaled|``)."""
    p = profile.assign(magnitude=profile["scaled"].abs())
    return (
        p.sort_values(
            ["segment", "magnitude", "question", "item"], ascending=[True, False, True, True]
        )
        .groupby("segment", sort=True)
        .head(per_segment)
        .drop(columns="magnitude")
        .reset_index(drop=True)
    )


@dataclass(frozen=True)
class PresetRules:
    """How a questionnaire's answers become trip-preset values (all optional).

    Each rule is ``{"column": question, "values": {answer: value}}``; ``values`` may be left
    out for Likert/numeric questions (the answer itself is used).

    Attributes
    ----------
    days
        Answer → trip days (e.g. ``{"2-3天": 2.5}``); the segment's median, rounded, within
        ``1..max_days``.
    pace
        Answer → a number (a Likert item such as "I like to see many sites a day", or
        ``{"1个": 1, "2-3个": 2.5, "4个及以上": 4}``). The segment's mean, scaled to [0, 1]
        over the rule's range: below ``pace_cuts[0]`` → ``relaxed``, above ``pace_cuts[1]``
        → ``intense``, else ``normal``.
    hot_share
        Answer → a number (Likert "I prefer well-known sites", or
        ``{"以热门景点为主": 1, "热门穿插小众": 0.5, "以小众景点为主": 0}``); the segment's
        mean scaled to [0, 1] (1 = only the best-known sites; see :mod:`planner.themes`).
    themes
        Multi-choice option (or categorical answer) → planner theme id; themes chosen by at
        least ``theme_min_share`` of the segment are kept, weighted by that share.
    mode
        Answer → ``car`` or ``bus``; the segment's most common mapped answer.
    """

    days: Mapping[str, Any] | None = None
    pace: Mapping[str, Any] | None = None
    hot_share: Mapping[str, Any] | None = None
    themes: Mapping[str, Any] | None = None
    mode: Mapping[str, Any] | None = None
    max_days: int = 7
    pace_cuts: tuple[float, float] = (1 / 3, 2 / 3)
    theme_min_share: float = 0.4
    default_theme: str = "stone-carving"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> PresetRules:
        """Build from a dict (e.g. parsed YAML)."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(raw) - known
        if unknown:
            raise SurveyError(f"preset rules: unknown keys {sorted(unknown)}")
        kw = dict(raw)
        if "pace_cuts" in kw:
            kw["pace_cuts"] = tuple(kw["pace_cuts"])
        return cls(**kw)


def _rule(survey: Survey, rule: Mapping[str, Any], what: str) -> tuple[str, dict[str, Any] | None]:
    col = rule.get("column")
    if col not in survey.columns:
        raise SurveyError(
            f"{survey.source}: preset rule {what!r} names column {col!r}, "
            "which the survey does not have"
        )
    values = rule.get("values")
    return str(col), ({str(k): v for k, v in values.items()} if values else None)


def _numeric_answers(
    survey: Survey, col: str, values: Mapping[str, float] | None, members: pd.Index
) -> tuple[np.ndarray, float, float]:
    """Mapped numeric answers of ``members`` and the rule's (lo, hi) range."""
    spec = survey.columns[col]
    x = survey.data.loc[members, col] if col in survey.data else None
    if spec.kind == "multi":
        raise SurveyError(f"{survey.source}: column {col!r} is multi-choice; map it under themes")
    if values is None:
        if spec.kind not in ("likert", "numeric"):
            raise SurveyError(
                f"{survey.source}: column {col!r} ({spec.kind}) needs a 'values' map "
                "in the preset rules"
            )
        arr = x.to_numpy(dtype=float)  # type: ignore[union-attr]
        if spec.kind == "likert":
            return arr, float(spec.scale[0]), float(spec.scale[1])
        allv = survey.data[col].to_numpy(dtype=float)
        return arr, float(np.nanmin(allv)), float(np.nanmax(allv))
    if spec.kind == "ordinal":
        levels = spec.levels or ()
        answers = [np.nan if pd.isna(r) else levels[int(r)] for r in x]  # type: ignore[union-attr]
    elif spec.kind == "likert" and spec.levels:
        levels, lo = spec.levels, spec.scale[0]
        answers = [np.nan if pd.isna(r) else levels[int(r) - lo] for r in x]  # type: ignore[union-attr]
    elif spec.kind in ("likert", "numeric"):
        answers = [np.nan if pd.isna(r) else f"{r:g}" for r in x]  # type: ignore[union-attr]
    else:
        answers = list(x)  # type: ignore[arg-type]
    unknown = {a for a in answers if isinstance(a, str) and a not in values}
    if unknown:
        raise SurveyError(
            f"{survey.source}: column {col!r}: the preset rule has no value for answer(s) "
            + ", ".join(sorted(unknown))
        )
    arr = np.array([values[a] if isinstance(a, str) else np.nan for a in answers], dtype=float)
    nums = [float(v) for v in values.values()]
    return arr, min(nums), max(nums)


def segment_presets(  # noqa: C901
    survey: Survey,
    labels: pd.Series,
    rules: PresetRules | Mapping[str, Any],
    *,
    known_themes: Iterable[str] | None = None,
) -> dict[int, dict[str, Any]]:
    """A trip preset per segment, with the evidence behind each value.

    Parameters
    ----------
    survey
        Loaded answers.
    labels
        Segment of each respondent (:attr:`Segmentation.labels`).
    rules
        :class:`PresetRules` or its mapping form.
    known_themes
        Theme ids the planner offers (e.g. :func:`planner.themes.available_themes`); a rule
        naming another theme is an error.

    Returns
    -------
    dict[int, dict]
        Segment → ``{"request": {...}, "evidence": {...}, "n": int, "share": float}``.
        ``request`` holds only :class:`planner.itinerary.TripRequest` fields (``theme``,
        ``weights`` when several themes are kept, ``days``, ``pace``, ``hot_share``, ``mode``),
        so ``TripRequest(**preset["request"], start=..., date=...)`` works.
    """
    if not isinstance(rules, PresetRules):
        rules = PresetRules.from_mapping(rules)
    known = set(known_themes) if known_themes is not None else None
    labels = labels.reindex(survey.data.index)
    out: dict[int, dict[str, Any]] = {}
    for seg_id in sorted(int(s) for s in labels.dropna().unique()):
        members = labels.index[labels == seg_id]
        req: dict[str, Any] = {}
        ev: dict[str, Any] = {}
        if rules.days:
            col, values = _rule(survey, rules.days, "days")
            arr, _, _ = _numeric_answers(survey, col, values, members)
            med = float(np.nanmedian(arr))
            req["days"] = int(min(max(math.floor(med + 0.5), 1), rules.max_days))
            ev["days"] = {"column": col, "median": med, "answered": int(np.isfinite(arr).sum())}
        if rules.pace:
            col, values = _rule(survey, rules.pace, "pace")
            arr, lo, hi = _numeric_answers(survey, col, values, members)
            score = (float(np.nanmean(arr)) - lo) / (hi - lo) if hi > lo else 0.5
            low, high = rules.pace_cuts
            req["pace"] = "relaxed" if score < low else "intense" if score > high else "normal"
            ev["pace"] = {
                "column": col,
                "scaled_mean": round(score, 4),
                "cuts": list(rules.pace_cuts),
            }
        if rules.hot_share:
            col, values = _rule(survey, rules.hot_share, "hot_share")
            arr, lo, hi = _numeric_answers(survey, col, values, members)
            share = (float(np.nanmean(arr)) - lo) / (hi - lo) if hi > lo else 0.5
            req["hot_share"] = round(min(max(share, 0.0), 1.0), 2)
            ev["hot_share"] = {"column": col, "scaled_mean": round(share, 4)}
        if rules.mode:
            col, values = _rule(survey, rules.mode, "mode")
            if not values:
                raise SurveyError(f"{survey.source}: preset rule 'mode' needs a 'values' map")
            bad = {v for v in values.values() if v not in ("car", "bus")}
            if bad:
                raise SurveyError(
                    f"preset rule 'mode': values must be car or bus, not {sorted(bad)}"
                )
            answers = survey.data.loc[members, col].dropna()
            mapped = pd.Series([values.get(str(a)) for a in answers], dtype=object).dropna()
            if not mapped.empty:
                counts = mapped.value_counts()
                top = sorted(counts.index, key=lambda m: (-counts[m], m))[0]
                req["mode"] = top
                ev["mode"] = {"column": col, "shares": (counts / counts.sum()).round(4).to_dict()}
        if rules.themes:
            col, values = _rule(survey, rules.themes, "themes")
            if not values:
                raise SurveyError(f"{survey.source}: preset rule 'themes' needs a 'values' map")
            if known is not None:
                unknown_t = sorted(set(values.values()) - known)
                if unknown_t:
                    raise SurveyError(
                        f"preset rule 'themes': unknown theme(s) {unknown_t}; the planner offers "
                        + ", ".join(sorted(known))
                    )
            spec = survey.columns[col]
            shares: dict[str, float] = {}
            for answer, theme in values.items():
                if spec.kind == "multi":
                    feat = f"{col}[{answer}]"
                    if feat not in survey.data:
                        raise SurveyError(
                            f"{survey.source}: column {col!r} has no option {answer!r}"
                        )
                    s = float(survey.data.loc[members, feat].mean())
                else:
                    x = survey.data.loc[members, col].dropna()
                    s = float((x.astype(str) == answer).mean()) if len(x) else 0.0
                shares[theme] = max(shares.get(theme, 0.0), s)
            ranked = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
            kept = [(t, s) for t, s in ranked if s >= rules.theme_min_share]
            if not kept:
                kept = ranked[:1] or [(rules.default_theme, 0.0)]
            if len(kept) == 1:
                req["theme"] = kept[0][0]
            else:
                req["theme"] = "mixed"
                req["weights"] = tuple((t, round(s, 3)) for t, s in kept)
            ev["themes"] = {"column": col, "shares": {t: round(s, 4) for t, s in ranked}}
        n_all = int(labels.notna().sum())
        out[seg_id] = {
            "n": len(members),
            "share": round(len(members) / n_all, 4),
            "request": req,
            "evidence": ev,
        }
    return out
