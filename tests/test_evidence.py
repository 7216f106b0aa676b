"""No fiction in plans: corpus figures only from a real export; notes in the reader's language."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path

import pytest

from kg.build import build_graph, load_nlp_tables
from kg.catalog import load_catalog
from kg.corpus_origin import CorpusOrigin, corpus_origin, sample_hashes
from kg.store import graph_from_memory
from planner import evidence
from planner.hours import hours_on, load_hours
from planner.itinerary import TripRequest, plan_itinerary
from planner.themes import designation_rank, theme_candidates
from planner.trip import setup as it_mod

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "kg"
SAMPLE_SHA = min(sample_hashes())
EXPORT_SHA = "0" * 64
ORIGINAL_PRIORS = evidence.duration_priors


def _corpus(root: Path, key: str, name: str, sha: str) -> None:
    d = root / "corpus" / key
    d.mkdir(parents=True)
    manifest = {"stage": "corpus", "key": key, "inputs": {f"input:{name}": sha, "code": "x"}}
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _practicalities(root: Path, corpus_key: str) -> Path:
    d = root / "practicalities" / "p1"
    d.mkdir(parents=True)
    manifest = {
        "stage": "practicalities",
        "key": "p1",
        "inputs": {"corpus": corpus_key},
        "created_utc": "2026-01-01T00:00:00+00:00",
    }
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (d / "priors.csv").write_text(
        "site,n_docs,visit_hours_prior\nwofoyuan,9,2.5\nbanyueshan_dafo,4,1.0\n", encoding="utf-8"
    )
    return d


def test_sample_corpus_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    assert SAMPLE_SHA  # data/corpus ships the sample
    _corpus(tmp_path, "k1", "renamed_copy.jsonl", SAMPLE_SHA)
    origin = corpus_origin(_practicalities(tmp_path, "k1"))
    assert origin is not None and origin.sample and origin.label == "renamed_copy.jsonl"
    assert CorpusOrigin.from_json(origin.to_json()) == origin


def test_duration_priors_only_from_a_real_export(tmp_path: Path) -> None:
    sample_root, export_root, lost_root = tmp_path / "s", tmp_path / "e", tmp_path / "l"
    _corpus(sample_root, "k1", "sample_reviews.jsonl", SAMPLE_SHA)
    _practicalities(sample_root, "k1")
    _corpus(export_root, "k2", "ctrip_2025.csv", EXPORT_SHA)
    _practicalities(export_root, "k2")
    _practicalities(lost_root, "gone")  # corpus folder deleted: origin unknown

    sample = evidence.duration_priors(sample_root)
    assert sample.values == {} and sample.status == "sample" and not sample.used
    lost = evidence.duration_priors(lost_root)
    assert lost.values == {} and lost.status == "unknown"
    export = evidence.duration_priors(export_root)
    assert export.used and export.values == {"wofoyuan": 2.5, "banyueshan_dafo": 1.0}
    assert export.record()["files"] == "ctrip_2025.csv"
    assert evidence.duration_priors(tmp_path / "nothing").status == "none"


def _visit_notes(it: object, site: str, lang: str) -> list[str]:
    return [
        n.text(lang)
        for d in it.days  # type: ignore[attr-defined]
        for s in d.stops
        if s.site_id == site
        for n in s.notes
        if n.code == "stop.visit_source"
    ]


def test_plan_says_which_export_its_visit_lengths_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = TripRequest(
        theme="stone-carving", days=2, start="安岳城区", date=dt.date(2026, 12, 5), must=("卧佛院",)
    )
    _corpus(tmp_path / "s", "k1", "sample_reviews.jsonl", SAMPLE_SHA)
    _practicalities(tmp_path / "s", "k1")
    sample = evidence.MinedFigures(
        {}, corpus_origin(tmp_path / "s" / "practicalities" / "p1"), "sample"
    )
    monkeypatch.setattr(evidence, "duration_priors", lambda root=None: sample)
    it = plan_itinerary(req)
    assert _visit_notes(it, "wofoyuan", "zh") == ["游览时长来源：同类默认值"]
    assert it.params["evidence"]["visit_lengths"] == sample.record()
    assert it.params["evidence"]["visit_lengths"]["used"] is False

    _corpus(tmp_path / "e", "k2", "ctrip_2025.csv", EXPORT_SHA)
    _practicalities(tmp_path / "e", "k2")
    real = ORIGINAL_PRIORS(tmp_path / "e")
    assert real.used
    monkeypatch.setattr(evidence, "duration_priors", lambda root=None: real)
    it = plan_itinerary(req)
    assert _visit_notes(it, "wofoyuan", "zh") == ["游览时长来源：游客评论（ctrip_2025.csv）"]
    assert _visit_notes(it, "wofoyuan", "en") == [
        "visit length from visitor reviews (ctrip_2025.csv)"
    ]
    stop = next(s for d in it.days for s in d.stops if s.site_id == "wofoyuan")
    pace = it.params["pace_factor"]
    assert math.isclose(stop.visit_min, 2.5 * 60 * pace, abs_tol=1)


def test_default_priors_helper_ignores_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = evidence.MinedFigures({}, None, "sample")
    monkeypatch.setattr(evidence, "duration_priors", lambda root=None: figures)
    assert it_mod._duration_priors() == {}


def _nlp_copy(tmp_path: Path, sha: str | None) -> Path:
    root = tmp_path / "nlp"
    shutil.copytree(FIX / "nlp", root)
    if sha is not None:
        _corpus(root, "c0ffee00c0ffee00", "reviews.csv", sha)
    return root


@pytest.mark.parametrize(
    ("sha", "status"), [(SAMPLE_SHA, "sample"), (EXPORT_SHA, "export"), (None, "unknown")]
)
def test_popularity_from_mentions_only_when_they_come_from_an_export(
    tmp_path: Path, sha: str | None, status: str
) -> None:
    catalog = load_catalog(FIX / "catalog")
    nlp = load_nlp_tables([_nlp_copy(tmp_path, sha)])
    kg = graph_from_memory(build_graph(catalog, nlp=nlp))
    origin = evidence.popularity_origin(kg)
    assert origin.status == status
    cands = theme_candidates(catalog, "stone-carving", kgraph=kg)
    assert cands
    ranks = {c.site_id: designation_rank(catalog.sites[c.site_id]) for c in cands}
    top = math.log1p(max(ranks.values())) or 1.0
    by_rank = {sid: round(math.log1p(r) / top, 6) for sid, r in ranks.items()}
    got = {c.site_id: c.popularity for c in cands}
    if status == "export":
        assert got != by_rank  # mention counts of the export
    else:
        assert got == by_rank  # designation level: sample (or unknown) mentions are not evidence


def test_hours_notes_are_bilingual_data() -> None:
    rules = load_hours()
    for site_rules in rules.values():
        for r in site_rules:
            assert bool(r.note) == bool(r.note_zh), (r.site_id, r.lineno)
    notes = hours_on(rules["baodingshan"], dt.date(2026, 12, 5)).notes
    zh = " ".join(n.text("zh") for n in notes)
    en = " ".join(n.text("en") for n in notes)
    assert "来源不一致" in zh and "Sources conflict" not in zh
    assert "Sources conflict" in en


def test_hours_note_without_chinese_is_rejected(tmp_path: Path) -> None:
    from kg.catalog import CatalogError

    src = (ROOT / "data" / "catalog" / "opening_hours.csv").read_text(encoding="utf-8")
    lines = src.splitlines()
    bad = tmp_path / "opening_hours.csv"
    bad.write_text("\n".join([lines[0], lines[2].rsplit(",", 1)[0] + ","]) + "\n", "utf-8")
    with pytest.raises(CatalogError, match=r"opening_hours.csv:2: a note needs both"):
        load_hours(bad)
