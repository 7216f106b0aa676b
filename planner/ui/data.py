"""Read the NLP pipeline's artifacts for the insights view (pure pandas, no streamlit).

Each stage's latest complete folder comes from :func:`nlp.artifacts.latest_artifact`; a
missing stage gives empty tables, never an error, so the app works before ``heritage nlp run``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.artifacts import latest_artifact

if TYPE_CHECKING:  # pandas is imported when the insights view reads its tables, not before:
    import pandas as pd  # a new server's first page does not wait for it

STAGES = ("keywords", "topics", "sentiment", "wordclouds")


@dataclass(frozen=True)
class Insights:
    """Destination-level text analysis: keywords, topics, sentiment and word clouds."""

    groups: pd.DataFrame  # group, n_docs, doc_share
    keywords: pd.DataFrame  # group, rank, term, tfidf_sum, tfidf_mean, doc_share, docs_with_term
    report_table: pd.DataFrame  # rank, <group>, <group>_tfidf, …
    topics: pd.DataFrame  # group, k, topic, rank, term, weight (the chosen k per group)
    coherence: pd.DataFrame  # group, k, c_v, u_mass, c_npmi, chosen
    aspects: pd.DataFrame  # site, aspect, n_clauses, mean_score, share_positive, …
    site_sentiment: pd.DataFrame  # site, n_docs, mean_score, share_positive, …
    wordclouds: dict[str, str] = field(default_factory=dict)  # group → PNG path
    folders: dict[str, str] = field(default_factory=dict)  # stage → artifact folder

    @property
    def empty(self) -> bool:
        """True when no stage has been built."""
        return not self.folders

    @property
    def destinations(self) -> list[str]:
        """Destination groups, largest corpus share first."""
        import pandas as pd

        if not self.groups.empty:
            return list(self.groups.sort_values("n_docs", ascending=False)["group"])
        return sorted(set(self.keywords.get("group", pd.Series(dtype=str))))


def artifact_folders(root: str | Path | None = None) -> dict[str, str]:
    """The latest folder of each stage the insights view reads (missing stages left out)."""
    out = {}
    for stage in STAGES:
        folder = latest_artifact(stage, root)
        if folder is not None:
            out[stage] = str(folder)
    return out


def _csv(folder: str | None, name: str) -> pd.DataFrame:
    import pandas as pd

    if folder is None or not (Path(folder) / name).is_file():
        return pd.DataFrame()
    return pd.read_csv(Path(folder) / name, encoding="utf-8")


def load_insights(folders: Mapping[str, str]) -> Insights:
    """Read the tables of the given stage folders (see :func:`artifact_folders`)."""
    kw = folders.get("keywords")
    topics = _csv(folders.get("topics"), "topic_terms.csv")
    coherence = _csv(folders.get("topics"), "coherence.csv")
    if not topics.empty and not coherence.empty and "chosen" in coherence:
        chosen = coherence[coherence["chosen"].astype(str).str.lower() == "true"]
        keep = set(zip(chosen["group"].astype(str), chosen["k"].astype(int), strict=True))
        mask = [(str(g), int(k)) in keep for g, k in zip(topics["group"], topics["k"], strict=True)]
        topics = topics[mask]
    clouds: dict[str, str] = {}
    wc = folders.get("wordclouds")
    if wc and (Path(wc) / "index.csv").is_file():
        with (Path(wc) / "index.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                png = Path(wc) / row["file"]
                if png.is_file():
                    clouds[row["group"]] = str(png)
    return Insights(
        groups=_csv(kw, "groups_destination.csv"),
        keywords=_csv(kw, "keywords_destination.csv"),
        report_table=_csv(kw, "table_destination.csv"),
        topics=topics,
        coherence=coherence,
        aspects=_csv(folders.get("sentiment"), "aspect_sentiment.csv"),
        site_sentiment=_csv(folders.get("sentiment"), "site_sentiment.csv"),
        wordclouds=clouds,
        folders=dict(folders),
    )


def romanise(name: str) -> str:
    """Pinyin of a Chinese place name, capitalised (大足 → Dazu), for English labels."""
    from pypinyin import lazy_pinyin  # the insights view only

    syllables = [s for s in lazy_pinyin(name) if s.strip()]
    return "".join(syllables).capitalize() if syllables else name
