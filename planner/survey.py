"""Questionnaire segmentation: load an export, measure associations, cluster, map to presets.

The report's appendix 4 describes a market survey (265 questionnaires) whose correlation
analysis relates travel habits to age, companions, distance and time, and whose clustering
(SPSS Modeler, 19 fields) splits respondents into two segments, 68.3 % / 31.7 %: hot spots and
short trips vs learning and exploration on longer trips. This module reruns that kind of
analysis on any questionnaire export, in the open:

1. :func:`load_survey` reads a CSV/TSV (encoding detected) or XLSX export and a column spec
   (:class:`ColumnSpec`, from a dict or a YAML/JSON file, or detected with
   :func:`detect_spec`). Column kinds: ``likert`` (integers on a scale, or labelled levels),
   ``ordinal`` (ordered levels), ``categorical``, ``multi`` (select-all-that-apply, one cell
   with a separator such as 问卷星's ``┋``) and ``numeric``. Bad answers raise
   :class:`SurveyError` naming the file, the column, the row and the value.
2. :func:`associations`: Cramér's V with Bergsma's bias correction for pairs involving a
   nominal item, Spearman's ρ for pairs of ordered items; p-values and Benjamini–Hochberg
   q-values.
3. :func:`gower_distance` (Gower 1971: range-scaled differences for ordered items, mismatch
   for nominal ones, asymmetric binary for multi-choice options, missing answers skipped) and
   :func:`segment_survey`: k-medoids (PAM: BUILD + SWAP, deterministic) or average/complete
   linkage on that distance, with k chosen by the mean silhouette width.
4. :func:`profile_segments` and :func:`segment_presets`: what distinguishes each segment, and
   a trip preset per segment (``theme``/``weights``, ``days``, ``pace``, ``hot_share``,
   ``mode``) as keyword arguments for :class:`planner.itinerary.TripRequest`, each value with
   the evidence it came from. How questionnaire answers become preset values is data
   (:class:`PresetRules`), never hard-coded.

References
----------
Gower, J. C. (1971). A general coefficient of similarity and some of its properties.
Biometrics 27(4), 857–871.
Bergsma, W. (2013). A bias-correction for Cramér's V and Tschuprow's T. Journal of the Korean
Statistical Society 42(3), 323–328.
Kaufman, L. & Rousseeuw, P. J. (1990). Finding Groups in Data, ch. 2 (PAM).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from common.errors import UserError

__all__ = [
    "KINDS",
    "ColumnSpec",
    "PresetRules",
    "Segmentation",
    "Survey",
    "SurveyError",
    "association_matrix",
    "associations",
    "cramers_v",
    "detect_spec",
    "gower_distance",
    "k_medoids",
    "load_spec",
    "load_survey",
    "profile_segments",
    "segment_presets",
    "segment_stability",
    "segment_survey",
    "spearman",
    "top_differences",
]

KINDS = ("likert", "ordinal", "categorical", "multi", "numeric")
ORDERED = frozenset({"likert", "ordinal", "numeric"})
MULTI_SEPARATORS = ("┋", "|", ";", "；")


class SurveyError(UserError, ValueError):
    """A questionnaire export or spec that cannot be used; the message names file and column."""


# ============================================================================ spec


@dataclass(frozen=True)
class ColumnSpec:
    """How one questionnaire column is read.

    Parameters
    ----------
    kind
        ``likert``, ``ordinal``, ``categorical``, ``multi`` or ``numeric``.
    levels
        ``ordinal``: the answers in order (required). ``likert``: optional labels of the scale
        points in order (``非常不同意`` … ``非常同意``); numbers are accepted too.
        ``categorical``/``multi``: optional list of allowed answers/options.
    scale
        ``likert``: lowest and highest point (default 1–5).
    sep
        ``multi``: separator between the options ticked in one cell.
    weight
        Weight of the question in the Gower distance (a multi-choice question's weight is
        shared among its options).
    label
        The question text, for tables and plots.
    """

    kind: str
    levels: tuple[str, ...] | None = None
    scale: tuple[int, int] = (1, 5)
    sep: str = "┋"
    weight: float = 1.0
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SurveyError(f"unknown column kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.kind == "ordinal" and not self.levels:
            raise SurveyError("an ordinal column needs its levels in order")
        lo, hi = self.scale
        if self.kind == "likert" and self.levels and len(self.levels) != hi - lo + 1:
            raise SurveyError(
                f"a likert column with {len(self.levels)} labels needs a scale of that many "
                f"points, not {lo}–{hi}"
            )
        if hi <= lo:
            raise SurveyError(f"bad scale {lo}–{hi}")
        if self.weight < 0 or not math.isfinite(self.weight):
            raise SurveyError(f"bad weight {self.weight!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain form (for manifests and YAML)."""
        d = asdict(self)
        d["levels"] = list(self.levels) if self.levels else None
        d["scale"] = list(self.scale)
        return d


def _spec_from_mapping(raw: Mapping[str, Any], where: str) -> dict[str, ColumnSpec]:
    out: dict[str, ColumnSpec] = {}
    for col, entry in raw.items():
        if isinstance(entry, ColumnSpec):
            out[str(col)] = entry
            continue
        if isinstance(entry, str):
            entry = {"kind": entry}
        if not isinstance(entry, Mapping) or "kind" not in entry:
            raise SurveyError(f"{where}: column {col!r}: give at least a kind, e.g. kind: likert")
        unknown = set(entry) - {"kind", "levels", "scale", "sep", "weight", "label"}
        if unknown:
            raise SurveyError(f"{where}: column {col!r}: unknown keys {sorted(unknown)}")
        try:
            out[str(col)] = ColumnSpec(
                kind=str(entry["kind"]),
                levels=tuple(str(x) for x in entry["levels"]) if entry.get("levels") else None,
                scale=tuple(int(x) for x in entry.get("scale", (1, 5))),  # type: ignore[arg-type]
                sep=str(entry.get("sep", "┋")),
                weight=float(entry.get("weight", 1.0)),
                label=str(entry.get("label", "")),
            )
        except SurveyError as exc:
            raise SurveyError(f"{where}: column {col!r}: {exc}") from None
    return out


def load_spec(spec: str | Path | Mapping[str, Any]) -> tuple[dict[str, ColumnSpec], str | None]:
    """Read a column spec from a YAML/JSON file or a mapping.

    The form is ``{"id": "respondent", "columns": {"q1": {"kind": "likert"}, ...}}`` (or just
    the ``columns`` mapping). A column's entry may be a bare kind (``q2: categorical``).

    Returns
    -------
    (columns, id_column)
    """
    where = "spec"
    if isinstance(spec, str | Path):
        where = str(spec)
        text = Path(spec).read_text(encoding="utf-8")
        if str(spec).endswith(".json"):
            raw = json.loads(text)
        else:
            import yaml

            raw = yaml.safe_load(text)
    else:
        raw = spec
    if not isinstance(raw, Mapping):
        raise SurveyError(f"{where}: expected a mapping of columns")
    id_col = raw.get("id")
    cols = raw.get("columns", raw if "id" not in raw else {})
    if not isinstance(cols, Mapping):
        raise SurveyError(f"{where}: 'columns' must be a mapping")
    return _spec_from_mapping(cols, where), (str(id_col) if id_col else None)


def _as_int(text: str) -> int | None:
    try:
        f = float(text)
    except ValueError:
        return None
    return int(f) if f.is_integer() else None


def detect_spec(
    frame: pd.DataFrame, *, id_column: str | None = None, max_likert: int = 7
) -> dict[str, ColumnSpec]:
    """Guess each column's kind from its answers.

    Integers within 1..5 (or 1..7) are ``likert``; other numbers ``numeric``; text with a
    multi-choice separator (``┋ | ; ；``) in some cell ``multi``; other text ``categorical``.
    Ordered text answers cannot be told from nominal ones: give a spec for ``ordinal`` items.
    Columns whose answers are all distinct text (free-text answers) are skipped.
    """
    out: dict[str, ColumnSpec] = {}
    for col in frame.columns:
        if col == id_column:
            continue
        values = [str(v).strip() for v in frame[col].dropna() if str(v).strip()]
        if not values:
            continue
        ints = [_as_int(v) for v in values]
        if all(i is not None for i in ints):
            lo, hi = min(ints), max(ints)  # type: ignore[type-var]
            if lo >= 1 and hi <= max_likert:
                out[str(col)] = ColumnSpec("likert", scale=(1, 5 if hi <= 5 else max_likert))
                continue
        if all(_is_number(v) for v in values):
            out[str(col)] = ColumnSpec("numeric")
            continue
        sep = next((s for s in MULTI_SEPARATORS if any(s in v for v in values)), None)
        if sep is not None:
            out[str(col)] = ColumnSpec("multi", sep=sep)
            continue
        if len(set(values)) == len(values) and len(values) > 20:
            continue  # free text
        out[str(col)] = ColumnSpec("categorical")
    return out


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# ============================================================================ loading


@dataclass
class Survey:
    """A loaded questionnaire.

    Attributes
    ----------
    data
        One row per respondent (index: respondent id). Likert and ordinal answers as numbers
        (scale points; ordinal levels as ranks 0..L−1), numeric as floats, categorical as text,
        each multi-choice option as a 0/1 column ``question[option]``; missing answers NaN.
    columns
        Question → its :class:`ColumnSpec` (multi-choice options filled in as ``levels``).
    features
        Column of ``data`` → ``(question, kind)``.
    source
        File the answers came from (or ``"<frame>"``).
    """

    data: pd.DataFrame
    columns: dict[str, ColumnSpec]
    features: dict[str, tuple[str, str]]
    source: str = "<frame>"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Respondents."""
        return len(self.data)

    def question_features(self, question: str) -> list[str]:
        """Columns of :attr:`data` that encode ``question``."""
        return [f for f, (q, _) in self.features.items() if q == question]

    def describe(self) -> pd.DataFrame:
        """One row per question: kind, answers given, missing share, levels/options."""
        rows = []
        for q, spec in self.columns.items():
            feats = self.question_features(q)
            answered = self.data[feats].notna().any(axis=1).sum()
            rows.append(
                {
                    "question": q,
                    "label": spec.label,
                    "kind": spec.kind,
                    "answered": int(answered),
                    "missing_share": round(1 - answered / max(self.n, 1), 4),
                    "levels": " / ".join(spec.levels) if spec.levels else "",
                }
            )
        return pd.DataFrame(rows)


def _read_table(path: Path, sheet: str | int | None, encoding: str | None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=str)
    if suffix not in (".csv", ".tsv", ".txt"):
        raise SurveyError(f"{path}: unsupported file type {suffix!r}; use CSV, TSV or XLSX")
    from nlp.ingest import detect_encoding

    enc = encoding or detect_encoding(path)
    with open(path, encoding=enc, newline="") as fh:
        head = fh.readline()
    sep = "\t" if suffix == ".tsv" or head.count("\t") > head.count(",") else ","
    return pd.read_csv(path, sep=sep, dtype=str, encoding=enc, keep_default_na=False)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def _encode(
    frame: pd.DataFrame, col: str, spec: ColumnSpec, source: str
) -> tuple[dict[str, pd.Series], ColumnSpec]:
    raw = frame[col]
    where = f"{source}: column {col!r} ({spec.kind})"

    def bad(pos: int, value: Any, expected: str) -> SurveyError:
        return SurveyError(
            # data rows start on row 2 of the file (after the header), as a spreadsheet counts
            f"{where}, row {pos + 2}: value {str(value)!r} is not {expected}"
        )

    if spec.kind == "likert":
        lo, hi = spec.scale
        labels = {lab: lo + i for i, lab in enumerate(spec.levels or ())}
        vals = []
        for pos, v in enumerate(raw):
            if _blank(v):
                vals.append(np.nan)
                continue
            s = str(v).strip()
            if s in labels:
                vals.append(float(labels[s]))
                continue
            i = _as_int(s)
            if i is None or not lo <= i <= hi:
                expected = f"a Likert answer in {lo}..{hi}"
                if labels:
                    expected += " or one of " + ", ".join(labels)
                raise bad(pos, v, expected)
            vals.append(float(i))
        return {col: pd.Series(vals, index=frame.index, dtype=float)}, spec
    if spec.kind == "ordinal":
        rank = {lab: i for i, lab in enumerate(spec.levels or ())}
        vals = []
        for pos, v in enumerate(raw):
            if _blank(v):
                vals.append(np.nan)
                continue
            s = str(v).strip()
            if s not in rank:
                raise bad(pos, v, "one of the levels " + " < ".join(rank))
            vals.append(float(rank[s]))
        return {col: pd.Series(vals, index=frame.index, dtype=float)}, spec
    if spec.kind == "numeric":
        vals = []
        for pos, v in enumerate(raw):
            if _blank(v):
                vals.append(np.nan)
                continue
            if not _is_number(str(v).strip()):
                raise bad(pos, v, "a number")
            vals.append(float(str(v).strip()))
        return {col: pd.Series(vals, index=frame.index, dtype=float)}, spec
    if spec.kind == "categorical":
        allowed = set(spec.levels or ())
        cats: list[Any] = []
        for pos, v in enumerate(raw):
            if _blank(v):
                cats.append(np.nan)
                continue
            s = str(v).strip()
            if allowed and s not in allowed:
                raise bad(pos, v, "one of " + ", ".join(spec.levels or ()))
            cats.append(s)
        levels = spec.levels or tuple(sorted({c for c in cats if isinstance(c, str)}))
        series = pd.Series(cats, index=frame.index, dtype=object)
        return {col: series}, ColumnSpec(**{**_fields(spec), "levels": levels})
    # multi
    ticked: list[list[str] | None] = []
    for v in raw:
        if _blank(v):
            ticked.append(None)
            continue
        ticked.append([p.strip() for p in str(v).split(spec.sep) if p.strip()])
    options = spec.levels or tuple(sorted({o for t in ticked if t for o in t}))
    allowed = set(options)
    for pos, t in enumerate(ticked):
        for o in t or ():
            if o not in allowed:
                raise bad(pos, o, "one of the options " + ", ".join(options))
    feats = {}
    for o in options:
        feats[f"{col}[{o}]"] = pd.Series(
            [np.nan if t is None else float(o in t) for t in ticked], index=frame.index
        )
    return feats, ColumnSpec(**{**_fields(spec), "levels": tuple(options)})


def _fields(spec: ColumnSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "levels": spec.levels,
        "scale": spec.scale,
        "sep": spec.sep,
        "weight": spec.weight,
        "label": spec.label,
    }


def load_survey(
    source: str | Path | pd.DataFrame,
    spec: str | Path | Mapping[str, Any] | None = None,
    *,
    id_column: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> Survey:
    """Read a questionnaire export and encode its answers.

    Parameters
    ----------
    source
        CSV/TSV (encoding detected: UTF-8, GB18030, Big5, UTF-16 …) or XLSX file, or a
        DataFrame of text answers.
    spec
        Column spec (mapping, or YAML/JSON file; see :func:`load_spec`). Only the columns it
        names are used. ``None``: every column, kinds guessed by :func:`detect_spec`.
    id_column
        Respondent id column (else the spec's ``id``; else row numbers from 1).
    sheet
        XLSX sheet.
    encoding
        Force a text encoding.

    Returns
    -------
    Survey

    Raises
    ------
    SurveyError
        Missing columns, answers outside a column's scale or levels, duplicate ids, an empty
        export; the message names the file, the column and the row.
    """
    if isinstance(source, pd.DataFrame):
        frame, where = source.copy(), "<frame>"
    else:
        path = Path(source)
        if not path.is_file():
            raise SurveyError(f"{path}: no such file")
        frame, where = _read_table(path, sheet, encoding), str(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise SurveyError(f"{where}: no answers (the export has no data rows)")
    spec_id = None
    if spec is None:
        columns = detect_spec(frame, id_column=id_column)
    else:
        columns, spec_id = load_spec(spec)
    id_column = id_column or spec_id
    missing = [c for c in columns if c not in frame.columns]
    if id_column and id_column not in frame.columns:
        missing.insert(0, id_column)
    if missing:
        raise SurveyError(
            f"{where}: column {missing[0]!r} named in the spec is missing"
            + (f" (also missing: {', '.join(map(repr, missing[1:]))})" if len(missing) > 1 else "")
            + f"; the file has: {', '.join(frame.columns)}"
        )
    if not columns:
        raise SurveyError(f"{where}: no usable question columns")
    if id_column:
        ids = frame[id_column].astype(str).str.strip()
        dup = ids[ids.duplicated()]
        if not dup.empty:
            raise SurveyError(
                f"{where}: column {id_column!r}: duplicate respondent id {dup.iloc[0]!r}"
            )
        frame.index = pd.Index(ids, name="respondent")
    else:
        frame.index = pd.Index([str(i + 1) for i in range(len(frame))], name="respondent")
    encoded: dict[str, pd.Series] = {}
    features: dict[str, tuple[str, str]] = {}
    resolved: dict[str, ColumnSpec] = {}
    for col, cs in columns.items():
        feats, resolved[col] = _encode(frame, col, cs, where)
        for name, series in feats.items():
            encoded[name] = series
            features[name] = (col, cs.kind)
    data = pd.DataFrame(encoded, index=frame.index)
    return Survey(data=data, columns=resolved, features=features, source=where)


# ============================================================================ associations


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


# ============================================================================ distance + clustering


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


# ============================================================================ profiles


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
            if kind == "likert":
                rng = spec.scale[1] - spec.scale[0]
                item = "mean"
            elif kind == "ordinal":
                rng = len(spec.levels or ()) - 1
                mode = col.mode()
                item = (
                    f"mean rank (mode: {spec.levels[int(mode.iloc[0])]})"
                    if len(mode)
                    else "mean rank"
                )  # type: ignore[index]
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


# ============================================================================ presets


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


def _rule(
    survey: Survey, rule: Mapping[str, Any], what: str
) -> tuple[str, dict[str, float] | None]:
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


def segment_presets(
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
