"""Survey segmentation: loading and errors, association measures, Gower + PAM, presets.

The questionnaire used here is SYNTHETIC (nlp.survey.synthetic) with two planted segments.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from nlp.survey import (
    ColumnSpec,
    SurveyError,
    association_matrix,
    associations,
    cramers_v,
    detect_spec,
    gower_distance,
    k_medoids,
    load_spec,
    load_survey,
    profile_segments,
    segment_presets,
    segment_stability,
    segment_survey,
    spearman,
    top_differences,
)
from nlp.survey.synthetic import (
    SYNTH_RULES,
    SYNTH_SPEC,
    synthesize_survey,
    write_synthetic_survey,
)


@pytest.fixture(scope="module")
def synth():
    frame, planted = synthesize_survey(265, seed=42)
    survey = load_survey(frame, SYNTH_SPEC)
    seg = segment_survey(survey)
    return frame, planted, survey, seg


# ---------------------------------------------------------------- planted structure


def test_clustering_recovers_planted_segments(synth) -> None:
    _, planted, survey, seg = synth
    assert seg.k == 2
    assert adjusted_rand_score(planted, seg.labels.to_numpy()) >= 0.8
    shares = seg.shares().set_index("segment")["share"]
    assert shares[1] == pytest.approx(181 / 265, abs=0.05)  # the planted 68.3 %
    assert seg.silhouette.loc[seg.silhouette["chosen"], "k"].tolist() == [2]
    assert set(seg.medoids) == {1, 2}
    assert seg.distance.shape == (survey.n, survey.n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovery_is_not_one_lucky_seed(seed: int) -> None:
    frame, planted = synthesize_survey(265, seed=seed)
    seg = segment_survey(load_survey(frame, SYNTH_SPEC), ks=range(2, 6))
    assert seg.k == 2
    assert adjusted_rand_score(planted, seg.labels.to_numpy()) >= 0.8


def test_pure_noise_gives_no_clear_structure() -> None:
    """A questionnaire of only the segment-independent questions: silhouette stays low."""
    frame, _ = synthesize_survey(200, seed=3)
    spec = {
        "id": "respondent",
        "columns": {
            c: SYNTH_SPEC["columns"][c]
            for c in ("q01_age", "q02_gender", "q03_job", "q04_budget", "q05_companion")
        },
    }
    seg = segment_survey(load_survey(frame, spec), ks=range(2, 5))
    planted_seg = segment_survey(load_survey(frame, SYNTH_SPEC), ks=range(2, 5))
    assert seg.silhouette["silhouette"].max() < planted_seg.silhouette["silhouette"].max()


def test_segmentation_is_deterministic(synth) -> None:
    frame, _, _, seg = synth
    again = segment_survey(load_survey(frame, SYNTH_SPEC))
    assert again.labels.equals(seg.labels)
    assert again.silhouette.equals(seg.silhouette)


def test_stability_is_high_for_planted_segments(synth) -> None:
    *_, seg = synth
    st = segment_stability(seg, n_boot=8, seed=1)
    assert len(st) == 8
    assert st["ari"].median() >= 0.8
    assert segment_stability(seg, n_boot=8, seed=1).equals(st)


def test_average_linkage_runs(synth) -> None:
    *_, survey, _ = synth
    seg = segment_survey(survey, ks=range(2, 4), method="average", min_share=0.0)
    assert seg.k in (2, 3)
    with pytest.raises(ValueError, match="unknown method"):
        segment_survey(survey, ks=[2], method="ward")


# ---------------------------------------------------------------- presets and profiles


def test_presets_follow_the_planted_segments(synth) -> None:
    *_, survey, seg = synth
    presets = segment_presets(
        survey,
        seg.labels,
        SYNTH_RULES,
        known_themes=["classic", "folk-crafts", "food-eco", "sichuan-opera", "stone-carving"],
    )
    short, learn = presets[1]["request"], presets[2]["request"]
    assert short["days"] < learn["days"]
    assert short["hot_share"] > 0.6 > 0.4 > learn["hot_share"]
    assert (short["pace"], learn["pace"]) == ("intense", "relaxed")
    learn_themes = [t for t, _ in learn.get("weights", ())] or [learn["theme"]]
    assert "stone-carving" in learn_themes
    assert presets[1]["n"] + presets[2]["n"] == survey.n
    assert presets[1]["evidence"]["days"]["column"] == "q07_days"


def test_presets_are_trip_request_arguments(synth) -> None:
    *_, survey, seg = synth
    presets = segment_presets(survey, seg.labels, SYNTH_RULES)
    itinerary = pytest.importorskip("planner.itinerary")
    fields = {f.name for f in dataclasses.fields(itinerary.TripRequest)}
    for p in presets.values():
        assert set(p["request"]) <= fields
        itinerary.TripRequest(**p["request"])


def test_preset_rules_are_checked(synth) -> None:
    *_, survey, seg = synth
    with pytest.raises(SurveyError, match="q99"):
        segment_presets(survey, seg.labels, {"days": {"column": "q99"}})
    with pytest.raises(SurveyError, match="needs a 'values' map"):
        segment_presets(survey, seg.labels, {"days": {"column": "q07_days"}})
    with pytest.raises(SurveyError, match="no value for answer"):
        segment_presets(survey, seg.labels, {"days": {"column": "q07_days", "values": {"1天": 1}}})
    with pytest.raises(SurveyError, match="unknown theme"):
        segment_presets(survey, seg.labels, SYNTH_RULES, known_themes=["stone-carving"])
    with pytest.raises(SurveyError, match="unknown keys"):
        segment_presets(survey, seg.labels, {"dayz": {}})


def test_profiles_name_the_defining_items(synth) -> None:
    *_, survey, seg = synth
    prof = profile_segments(survey, seg.labels)
    assert set(prof["segment"]) == {1, 2}
    learn = prof[(prof["segment"] == 2) & (prof["question"] == "q12_learn")].iloc[0]
    assert learn["value"] > learn["overall"]
    top = top_differences(prof, per_segment=6)
    defining = {"q06_transport", "q07_days", "q08_hours_per_site", "q09_hot_niche"}
    defining |= {"q10_purpose", "q11_interests", "q12_learn", "q13_ich_trip", "q14_many_sites"}
    assert set(top["question"]) <= defining  # noise questions never top the list
    shares = prof[(prof["segment"] == 1) & (prof["question"] == "q09_hot_niche")]
    assert shares["value"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- association measures


def _pairs(table: list[list[int]]) -> tuple[list[str], list[str]]:
    xs, ys = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            xs += [f"r{i}"] * count
            ys += [f"c{j}"] * count
    return xs, ys


def test_cramers_v_known_values() -> None:
    # perfect association: V = 1 with and without the correction
    x, y = _pairs([[5, 0], [0, 5]])
    assert cramers_v(x, y, bias_correction=False) == pytest.approx(1.0)
    assert cramers_v(x, y) == pytest.approx(1.0)
    # [[20, 10], [10, 20]], n = 60: chi2 = 4 * 25/15 = 20/3, phi2 = 1/9, V = 1/3;
    # corrected: phi2+ = 1/9 - 1/59 = 50/531, k~ - 1 = 1 - 1/59 = 58/59
    x, y = _pairs([[20, 10], [10, 20]])
    assert cramers_v(x, y, bias_correction=False) == pytest.approx(1 / 3)
    assert cramers_v(x, y) == pytest.approx(math.sqrt((50 / 531) / (58 / 59)))
    # independence: 0
    x, y = _pairs([[10, 10], [10, 10]])
    assert cramers_v(x, y) == pytest.approx(0.0)
    # a constant variable has no association measure
    assert math.isnan(cramers_v(["a"] * 4, ["x", "y", "x", "y"]))


def test_cramers_v_agrees_with_scipy_uncorrected() -> None:
    from scipy.stats.contingency import association

    table = [[12, 5, 3], [4, 9, 8]]
    x, y = _pairs(table)
    assert cramers_v(x, y, bias_correction=False) == pytest.approx(
        association(np.array(table), method="cramer")
    )
    assert cramers_v(x, y) < cramers_v(x, y, bias_correction=False)


def test_spearman_known_values() -> None:
    rho, p = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])  # scipy's documented example
    assert rho == pytest.approx(0.8207826816681233)
    assert 0 < p < 0.1
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40])[0] == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1])[0] == pytest.approx(-1.0)
    # missing values drop the pair
    assert spearman([1, 2, np.nan, 4, 5], [5, 6, 100, 8, 7])[0] == pytest.approx(
        spearman([1, 2, 4, 5], [5, 6, 8, 7])[0]
    )


def test_association_table_uses_the_right_measure(synth) -> None:
    *_, survey, _ = synth
    table = associations(survey)
    pair = table[(table["a"] == "q07_days") & (table["b"] == "q12_learn")].iloc[0]
    assert pair["measure"] == "spearman" and pair["value"] > 0.3 and pair["q_value"] < 0.001
    noise = table[(table["a"] == "q02_gender") & (table["b"] == "q03_job")].iloc[0]
    assert noise["measure"] == "cramers_v" and noise["value"] < 0.2
    # options of one multi-choice question are never paired with each other
    same = table[table["question_a"] == table["question_b"]]
    assert same.empty
    assert (table["q_value"].dropna() >= table["p_value"].dropna()).all()


def test_association_matrix_keeps_the_strongest_item_pair() -> None:
    table = pd.DataFrame(
        {
            "question_a": ["m", "m", "a"],
            "question_b": ["a", "a", "b"],
            "strength": [0.2, 0.6, np.nan],
        }
    )
    M = association_matrix(table)
    assert list(M.index) == ["a", "b", "m"]
    assert M.at["a", "m"] == M.at["m", "a"] == pytest.approx(0.6)
    assert np.isnan(M.at["a", "b"]) and M.at["b", "b"] == 1.0


# ---------------------------------------------------------------- Gower and PAM


def test_gower_distance_by_hand() -> None:
    frame = pd.DataFrame(
        {"lik": ["1", "5", "3", ""], "cat": ["a", "a", "b", "b"], "multi": ["x", "x", "y", "x┋y"]}
    )
    spec = {"lik": "likert", "cat": "categorical", "multi": {"kind": "multi"}}
    D = gower_distance(load_survey(frame, spec))
    # 0-1: likert 4/4, cat 0, multi: x shared (0, weight 1/2), y both unticked (skipped)
    assert D[0, 1] == pytest.approx((1 + 0 + 0) / (1 + 1 + 0.5))
    # 0-2: likert 2/4, cat 1, multi: x and y differ (1/2 each)
    assert D[0, 2] == pytest.approx((0.5 + 1 + 1) / 3)
    # 0-3: likert missing, cat 1, multi: x same, y differs
    assert D[0, 3] == pytest.approx((1 + 0.5) / (1 + 1))
    assert np.allclose(D, D.T) and np.allclose(np.diag(D), 0)


def test_k_medoids_finds_the_optimum_on_a_small_case() -> None:
    rng = np.random.default_rng(7)
    pts = np.concatenate([rng.normal(0, 1, (6, 2)), rng.normal(5, 1, (5, 2))])
    D = np.linalg.norm(pts[:, None] - pts[None, :], axis=-1)
    labels, med = k_medoids(D, 2)
    best = min(itertools.combinations(range(len(pts)), 2), key=lambda m: D[:, m].min(1).sum())
    assert D[:, med].min(1).sum() == pytest.approx(D[:, list(best)].min(1).sum())
    assert len(set(labels[:6])) == 1 and len(set(labels[6:])) == 1 and labels[0] != labels[6]
    with pytest.raises(ValueError):
        k_medoids(D, 0)


# ---------------------------------------------------------------- loading and bad input


def test_csv_xlsx_and_gb18030_exports_load_the_same(tmp_path, synth) -> None:
    frame, *_ = synth
    csv = write_synthetic_survey(tmp_path / "csv", seed=42)
    xlsx = write_synthetic_survey(tmp_path / "xlsx", seed=42, fmt="xlsx")
    gb = tmp_path / "gb.csv"
    frame.to_csv(gb, index=False, encoding="gb18030")
    a = load_survey(csv["survey"], csv["spec"])
    b = load_survey(xlsx["survey"], xlsx["spec"])
    c = load_survey(gb, SYNTH_SPEC)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.data, c.data)
    assert a.data.index[0] == "SYN-0001"


def test_synthetic_data_is_labelled(tmp_path) -> None:
    frame, planted = synthesize_survey(50, seed=1)
    assert frame.attrs["synthetic"] is True
    assert frame["respondent"].str.startswith("SYN-").all()
    assert sorted(set(planted)) == [1, 2]
    files = write_synthetic_survey(tmp_path, n=50, seed=1)
    assert "synthetic" in files["survey"].name
    assert "SYNTHETIC" in files["readme"].read_text(encoding="utf-8")
    f2, _ = synthesize_survey(50, seed=1)
    pd.testing.assert_frame_equal(frame, f2)


def test_missing_column_names_file_and_column(tmp_path) -> None:
    path = tmp_path / "export.csv"
    pd.DataFrame({"respondent": ["1", "2"], "q1": ["3", "4"]}).to_csv(path, index=False)
    with pytest.raises(SurveyError) as exc:
        load_survey(path, {"id": "respondent", "columns": {"q1": "likert", "q2": "likert"}})
    msg = str(exc.value)
    assert "export.csv" in msg and "'q2'" in msg and "missing" in msg


def test_non_likert_value_names_file_column_row_and_value(tmp_path) -> None:
    path = tmp_path / "answers.csv"
    pd.DataFrame({"q1": ["3", "4", "7"], "q2": ["a", "b", "a"]}).to_csv(path, index=False)
    with pytest.raises(SurveyError) as exc:
        load_survey(path, {"q1": {"kind": "likert", "scale": [1, 5]}, "q2": "categorical"})
    msg = str(exc.value)
    assert "answers.csv" in msg and "'q1'" in msg and "row 4" in msg and "'7'" in msg
    path2 = tmp_path / "text.csv"
    pd.DataFrame({"q1": ["同意", "很好"]}).to_csv(path2, index=False)
    with pytest.raises(SurveyError, match=r"text\.csv.*'q1'.*row 3.*'很好'"):
        load_survey(
            path2, {"q1": {"kind": "likert", "levels": ["不同意", "一般", "同意"], "scale": [1, 3]}}
        )


def test_other_bad_answers(tmp_path) -> None:
    frame = pd.DataFrame({"id": ["a", "a"], "days": ["1天", "9天"], "m": ["x", "z"]})
    with pytest.raises(SurveyError, match="duplicate respondent id 'a'"):
        load_survey(frame, {"id": "id", "columns": {"days": "categorical"}})
    with pytest.raises(SurveyError, match=r"column 'days'.*row 3.*'9天'.*levels"):
        load_survey(frame, {"days": {"kind": "ordinal", "levels": ["1天", "2天"]}})
    with pytest.raises(SurveyError, match=r"column 'm'.*'z'.*options"):
        load_survey(frame, {"m": {"kind": "multi", "levels": ["x", "y"]}})
    with pytest.raises(SurveyError, match="unknown column kind"):
        load_spec({"columns": {"q": "liker"}})
    with pytest.raises(SurveyError, match="ordinal column needs its levels"):
        ColumnSpec("ordinal")
    with pytest.raises(SurveyError, match="no such file"):
        load_survey(tmp_path / "nope.csv")
    bad = tmp_path / "x.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(SurveyError, match="unsupported file type"):
        load_survey(bad)


def test_blank_answers_are_missing_not_errors() -> None:
    frame = pd.DataFrame({"q1": ["1", "", "5"], "q2": ["a", "b", ""]})
    s = load_survey(frame, {"q1": "likert", "q2": "categorical"})
    assert s.data["q1"].isna().tolist() == [False, True, False]
    assert s.describe().set_index("question").loc["q2", "answered"] == 2


def test_detect_spec_guesses_kinds(synth) -> None:
    frame, *_ = synth
    spec = detect_spec(frame, id_column="respondent")
    assert spec["q12_learn"].kind == "likert"
    assert spec["q10_purpose"].kind == "multi" and spec["q10_purpose"].sep == "┋"
    assert spec["q02_gender"].kind == "categorical"
    assert "respondent" not in spec
    auto = load_survey(frame, id_column="respondent")
    assert auto.n == 265 and "q11_interests[川剧]" in auto.data
