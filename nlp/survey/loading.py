"""Questionnaire exports and their column specs: read a CSV/TSV/XLSX export, check every answer
against the spec (:class:`ColumnSpec`, given or detected) and encode it for the statistics."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from common.errors import UserError

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
        ints = [i for i in map(_as_int, values) if i is not None]
        if len(ints) == len(values):
            lo, hi = min(ints), max(ints)
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


def _encode(  # noqa: C901
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
