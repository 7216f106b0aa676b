"""Questionnaire segmentation: load an export, measure associations, cluster, map to presets.

The report's appendix 4 describes a market survey (265 questionnaires) whose correlation
analysis relates travel habits to age, companions, distance and time, and whose clustering
(SPSS Modeler, 19 fields) splits respondents into two segments, 68.3 % / 31.7 %: hot spots and
short trips vs learning and exploration on longer trips. This package reruns that kind of
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

Modules: :mod:`.loading` (specs and exports), :mod:`.associations`, :mod:`.clustering`,
:mod:`.presets` (profiles and presets) and :mod:`.synthetic` (a seeded SYNTHETIC questionnaire
for tests and the notebook).
"""

from __future__ import annotations

from nlp.survey.associations import association_matrix, associations, cramers_v, spearman
from nlp.survey.clustering import (
    Segmentation,
    gower_distance,
    k_medoids,
    segment_stability,
    segment_survey,
)
from nlp.survey.loading import (
    KINDS,
    ColumnSpec,
    Survey,
    SurveyError,
    detect_spec,
    load_spec,
    load_survey,
)
from nlp.survey.presets import PresetRules, profile_segments, segment_presets, top_differences

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
