"""What a plan may rest on: sourced facts and planning assumptions, corpus figures only from a
real export.

Two figures can be mined from review texts: visit lengths (``nlp`` practicalities'
``priors.csv``) and popularity (corpus mention counts, recorded in the graph). The embedded
sample corpus (``data/corpus/``) was written for the project, so figures mined from it are not
evidence: by default a plan uses them nowhere — visit lengths come from the catalog, else the
documented default per kind (``planning.yaml``); popularity from the designation level. Once
the user runs the pipeline on a real export, its figures are used and the plan names the export
(``params["evidence"]``, and each visit length says "visitor reviews (<export>)").
:func:`kg.corpus_origin.corpus_origin` tells the two apart by the files' SHA-256.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.corpus_origin import CorpusOrigin, corpus_origin

__all__ = ["MinedFigures", "duration_priors", "popularity_origin"]


@dataclass(frozen=True)
class MinedFigures:
    """Figures mined from a corpus, and whether a plan may use them."""

    values: dict[str, float] = field(default_factory=dict)
    origin: CorpusOrigin | None = None
    status: str = "none"  # "export" (used), "sample", "unknown" (not used) or "none" (no data)

    @property
    def used(self) -> bool:
        """True when the figures come from a user's export."""
        return self.status == "export"

    def record(self) -> dict[str, Any]:
        """What a plan records about these figures."""
        out: dict[str, Any] = {"status": self.status, "used": self.used}
        if self.origin is not None:
            out["files"] = self.origin.label
            out["corpus"] = self.origin.to_json()
        return out


def _status(origin: CorpusOrigin | None) -> str:
    if origin is None:
        return "unknown"
    return "sample" if origin.sample else "export"


def duration_priors(root: str | Path | None = None) -> MinedFigures:
    """Visit-hour priors per site from the latest ``practicalities`` artifact, with their origin.

    ``values`` is empty unless they were mined from a real export (see the module docstring).
    """
    from nlp.artifacts import latest_artifact

    folder = latest_artifact("practicalities", root)
    if folder is None or not (folder / "priors.csv").exists():
        return MinedFigures()
    origin = corpus_origin(folder)
    status = _status(origin)
    if status != "export":
        return MinedFigures({}, origin, status)
    values: dict[str, float] = {}
    with (folder / "priors.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            value = (row.get("visit_hours_prior") or "").strip()
            if value:
                values[row["site"]] = float(value)
    return MinedFigures(values, origin, status)


def popularity_origin(kgraph: Any) -> MinedFigures:
    """Where the graph's popularity comes from: ``none`` when it is the designation level,
    else the corpus behind its mention counts (``export``, ``sample`` or ``unknown``)."""

    def load() -> MinedFigures:
        rows = kgraph.select("popularity_corpus")
        if not rows:
            return MinedFigures()
        origins = []
        for r in rows:
            try:
                origins.append(CorpusOrigin.from_json(json.loads(str(r.corpus))))
            except (json.JSONDecodeError, TypeError):
                origins.append(None)
        known = [o for o in origins if o is not None]
        if len(known) != len(origins) or not known:
            return MinedFigures({}, None, "unknown")
        origin = known[0]
        return MinedFigures({}, origin, "sample" if any(o.sample for o in known) else "export")

    return kgraph.memo("evidence.popularity_origin", load)
