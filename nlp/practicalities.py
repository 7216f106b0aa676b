"""Visit practicalities mined from review text, as per-site priors with evidence sentences.

From each sentence the miner extracts:

- **durations** ("逛了两个小时", "待了约1.5小时", "半天就够") converted to hours with the
  conventions in ``data/lexicon/practicalities.yaml``;
- **best time** (a time-of-day, weekday or season word next to a recommendation cue:
  "下午光线好", "早上人少") and **times to avoid** ("避开周末", "节假日人多");
- **crowding** (人多/排队 vs 人少/清静) and **reservation** hints (需预约 vs 不用预约).

A sentence is attributed to the site it names (segmented words, :class:`~nlp.places.PlaceMatcher`)
or else to the document's site; a sentence that could belong to several sites is skipped.
:func:`aggregate_priors` turns the findings into one row per site: duration median and
quartiles, counts, and up to ``max_evidence`` evidence sentences per kind, so the itinerary
engine can use a mined figure where the catalog has none and show why.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlp.errors import LexiconError
from nlp.sentiment import split_clauses, split_sentences

__all__ = [
    "FILTERED_KINDS",
    "FILTER_FILE",
    "Finding",
    "LearnedFilter",
    "PracticalityMiner",
    "aggregate_priors",
    "hashing_vectorizer",
]


@dataclass(frozen=True)
class Finding:
    """One piece of evidence.

    Attributes
    ----------
    kind
        ``duration``, ``best_time``, ``avoid_time``, ``crowding`` or ``reservation``.
    value
        Hours for durations; a category (``afternoon``, ``weekend``, ``crowded``,
        ``required`` …) otherwise.
    sentence
        The sentence it came from.
    """

    kind: str
    value: float | str
    sentence: str


def _alts(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _regex(path: Path, key: str, patterns: Sequence[str]) -> re.Pattern[str]:
    """One pattern from a list of regular expressions (never matches when the list is empty)."""
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise LexiconError(f"{path}: {key}: bad regex {p!r}: {exc}") from exc
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!x)x")


#: the learned filter's file, beside ``practicalities.yaml`` (trained by
#: ``benchmarks/practicalities_filter.py train``; see ``practicalities_filter.md``)
FILTER_FILE = "practicalities_filter.npz"
#: the kinds the learned filter judges (the others are the rules' alone)
FILTERED_KINDS = ("duration", "crowding", "reservation")


def _as_is(tokens: list[str]) -> list[str]:
    return tokens


def hashing_vectorizer(n_features: int) -> Any:
    """The feature hasher shared by training and the filter: a clause's feature strings
    (:meth:`PracticalityMiner.filter_tokens`) hashed into ``n_features`` columns, l2-normed.
    Only weights are stored, never the strings (they are fragments of review text)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer=_as_is,
        n_features=n_features,
        alternate_sign=False,
        norm="l2",
    )


class LearnedFilter:
    """A logistic-regression filter over the rules' findings, one model per kind of
    :data:`FILTERED_KINDS`: a clause's findings of a kind are kept when the model's
    probability that they are right reaches the kind's threshold.

    The file (``numpy.savez``) holds ``n_features`` and, per kind, ``<kind>_index`` /
    ``<kind>_weight`` (the non-zero weights of the hashed features), ``<kind>_intercept``
    and ``<kind>_threshold``; no feature strings. A malformed file is a :class:`LexiconError`.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            with np.load(self.path, allow_pickle=False) as z:
                self.n_features = int(z["n_features"])
                self.models: dict[str, tuple[np.ndarray, np.ndarray, float, float]] = {
                    kind: (
                        z[f"{kind}_index"].astype(np.int64),
                        z[f"{kind}_weight"].astype(np.float64),
                        float(z[f"{kind}_intercept"]),
                        float(z[f"{kind}_threshold"]),
                    )
                    for kind in FILTERED_KINDS
                }
        except (OSError, KeyError, ValueError) as exc:
            raise LexiconError(f"{self.path}: not a practicalities filter: {exc}") from exc
        self._vectorizer = hashing_vectorizer(self.n_features)
        self._dense: dict[str, np.ndarray] = {}
        for kind, (index, weight, _, _) in self.models.items():
            if index.size and (index.min() < 0 or index.max() >= self.n_features):
                raise LexiconError(f"{self.path}: {kind}: feature index out of range")
            self._dense[kind] = np.zeros(self.n_features)
            self._dense[kind][index] = weight

    def probability(self, kind: str, tokens: list[str]) -> float:
        """The model's probability that the rules' findings of ``kind`` in the clause whose
        features are ``tokens`` are right."""
        x = self._vectorizer.transform([tokens])
        z = float(np.dot(x.data, self._dense[kind][x.indices])) + self.models[kind][2]
        return float(1.0 / (1.0 + np.exp(-z)))

    def apply(self, tokens: list[str], found: list[Finding]) -> list[Finding]:
        """``found`` without the findings of the kinds the filter rejects."""
        kinds = {f.kind for f in found if f.kind in self.models}
        drop = {k for k in kinds if self.probability(k, tokens) < self.models[k][3]}
        return [f for f in found if f.kind not in drop]


class PracticalityMiner:
    """Regex miner configured by ``practicalities.yaml``.

    Parameters
    ----------
    lexicon
        Path of the YAML file.
    max_hours
        Longer durations are trip lengths ("玩了两天"), not visits to one site, and are ignored.
    min_hours
        Shorter durations (a minute's look at something) are not visit lengths either.
    learned_filter
        ``True``: load the learned filter (:class:`LearnedFilter`) from ``FILTER_FILE`` beside
        the lexicon when it is there, else the rules alone decide; ``False``: the rules alone;
        a path: that filter file (it must exist).
    """

    def __init__(
        self,
        lexicon: str | Path,
        *,
        max_hours: float = 8.0,
        min_hours: float = 0.1,
        learned_filter: bool | str | Path = True,
    ) -> None:
        self.lexicon = Path(lexicon)
        self.max_hours = max_hours
        self.min_hours = min_hours
        spec = yaml.safe_load(self.lexicon.read_text(encoding="utf-8")) or {}
        required = ("numerals", "unit_hours", "phrase_hours", "duration_verbs", "time_words")
        missing = [k for k in required if k not in spec]
        if missing:
            raise LexiconError(f"{self.lexicon}: missing keys {missing}")
        self.spec = spec
        self.numerals: dict[str, float] = {str(k): float(v) for k, v in spec["numerals"].items()}
        self.unit_hours = {str(k): float(v) for k, v in spec["unit_hours"].items()}
        self.phrase_hours = {str(k): float(v) for k, v in spec["phrase_hours"].items()}
        num = r"(?:\d+(?:\.\d+)?|[" + "".join(self.numerals) + r"]{1,3})"
        verbs = _alts(spec["duration_verbs"])
        hedge = (
            r"(?:了|掉|上|下来|约|大约|大概|差不多|将近|至少|最多|起码|个把|近|足足|整整|快|有"
            r"|足有|不到|不过|儿)*"
        )
        subjects = _alts(spec.get("duration_subjects") or ["游览时间"])
        units = _alts(self.unit_hours)
        first = rf"(?P<n1>{num})(?P<half1>个半)?(?:[-~到至](?P<n2>{num}))?"
        self._dur = re.compile(
            rf"(?:(?:{verbs})|(?:{subjects})(?:为|是|在|需|需要|要|得|约为|大约为|大概为|大概是)?)"
            rf"{hedge}"
            rf"{first}(?P<ge>个)?(?P<more>多|半)?(?P<unit>{units})(?P<half>半)?"
        )
        # a length, then (in its clause) a completion: "三个小时完全可以逛完"
        done = (
            rf"(?<!不)(?<!没)(?:{_alts(spec.get('completion_verbs') or ['逛'])})"
            rf"(?:{_alts(spec.get('completion_suffixes') or ['完'])})"
        )
        self._dur_done = re.compile(
            rf"{first}个?(?P<more>多|半)?(?P<unit>小时|钟头|分钟)(?P<half>半)?"
            rf"(?:的时间|时间)?[^,。!?;]{{0,10}}?{done}"
        )
        self._dur_bare = re.compile(
            rf"{first}个?(?P<more>多|半)?(?P<unit>小时|钟头|分钟)"
            rf"(?P<half>半)?(?:就|都|也)?(?:{_alts(spec.get('sufficiency_cues', ['足够']))})"
        )
        # an itinerary's note in brackets: "上午北山（一个半小时）"
        self._dur_note = re.compile(
            rf"[（(【](?:约|大约|大概|游览|参观|游玩)?{first}个?(?P<more>多|半)?"
            rf"(?P<unit>小时|钟头|分钟)(?P<half>半)?(?:左右)?(?=[）)】]|$)"
        )
        phrases = _alts(self.phrase_hours)
        cues = _alts(spec.get("sufficiency_cues", []))
        self._phrase = re.compile(
            rf"(?:(?:{verbs}){hedge}(?P<p1>{phrases})(?!都|也))"
            rf"|(?:(?P<p2>{phrases})(?:时间)?(?:就|都|也)?(?:{cues}))"
            rf"|(?:(?P<p3>{phrases})(?:就|可以|能)?(?:游览|玩|逛|看|走)(?!不))"
            rf"|(?:(?:{_alts(spec.get('day_adjectives') or ['开心'])})的(?P<p4>{phrases}))"
            rf"|(?:(?P<p5>{phrases})(?:的时间|时间)?[^,。!?;]{{0,10}}?{done})"
            rf"|(?:(?P<p6>{phrases})的(?:{_alts(spec.get('visit_nouns') or ['游玩'])}))"
        )
        self._time = {k: re.compile(_alts(v)) for k, v in spec["time_words"].items()}
        self._recommend = re.compile(_alts(spec.get("recommend_cues", ["最好"])))
        self._avoid = re.compile(_alts(spec.get("avoid_cues", ["避开"])))
        self._avoid_times = {
            k: re.compile(_alts(v)) for k, v in (spec.get("avoid_times") or {}).items()
        }
        self._compile_crowding_and_reservation(spec)
        excl = spec.get("duration_exclude") or {}
        self._not_visit = {
            k: _regex(self.lexicon, f"duration_exclude.{k}", v) for k, v in excl.items() if v
        }
        self._off_topic = re.compile(_alts(spec.get("off_topic") or ["菜谱"]))
        self._cue_patterns: dict[str, re.Pattern[str]] = {
            "crowded": self._crowded,
            "quiet": self._quiet,
            "not_quiet": self._not_quiet,
            "expect": self._expect,
            "condition": self._condition,
            "not_crowd": self._not_crowd,
            "ticketing": self._ticketing,
            "res_no": self._res_no,
            "res_strong": self._res_strong,
            "res_yes": self._res_yes,
            "res_exclude": self._res_exclude,
            "res_narrative": self._res_narrative,
            "res_weak": self._res_weak,
            "recommend": self._recommend,
            "avoid": self._avoid,
            **{f"not_visit_{k}": rx for k, rx in self._not_visit.items()},
        }
        self.learned_filter: LearnedFilter | None = None
        if learned_filter is True:
            beside = self.lexicon.parent / FILTER_FILE
            self.learned_filter = LearnedFilter(beside) if beside.is_file() else None
        elif learned_filter is not False:
            self.learned_filter = LearnedFilter(Path(learned_filter))

    def _compile_crowding_and_reservation(self, spec: dict[str, Any]) -> None:
        """The crowding and reservation patterns of the lexicon (errors name the YAML key)."""
        crowd = spec.get("crowding") or {}
        self._crowded = _regex(self.lexicon, "crowding.crowded", crowd.get("crowded", []))
        self._quiet = _regex(self.lexicon, "crowding.quiet", crowd.get("quiet", []))
        self._not_quiet = _regex(
            self.lexicon, "crowding.negated_quiet", crowd.get("negated_quiet", [])
        )
        self._expect = _regex(
            self.lexicon, "crowding_expectation", spec.get("crowding_expectation") or ["以为"]
        )
        self._condition = _regex(
            self.lexicon, "crowding_condition", spec.get("crowding_condition") or []
        )
        self._not_crowd = _regex(self.lexicon, "crowding.not_crowd", crowd.get("not_crowd", []))
        self._ticketing = re.compile(_alts(spec.get("ticketing") or ["买票"]))
        res = spec.get("reservation") or {}
        self._res_no = _regex(self.lexicon, "reservation.not_required", res.get("not_required", []))
        self._res_strong = _regex(
            self.lexicon, "reservation.required_strong", res.get("required_strong", [])
        )
        self._res_yes = _regex(self.lexicon, "reservation.required", res.get("required", []))
        self._res_exclude = _regex(self.lexicon, "reservation.exclude", res.get("exclude", []))
        self._res_narrative = _regex(
            self.lexicon, "reservation.narrative", res.get("narrative", [])
        )
        self._res_weak = _regex(
            self.lexicon, "reservation.exclude_weak", res.get("exclude_weak", [])
        )

    def _digits(self, text: str) -> float | None:
        """One numeral (一) or a spoken range of two (两三 → 2.5); ``None`` otherwise."""
        vals = [self.numerals.get(c) for c in text]
        if not vals or any(v is None for v in vals) or len(vals) > 2:
            return None
        return sum(vals) / len(vals)  # type: ignore[arg-type]

    def _number(self, text: str | None) -> float | None:
        """Parse 2, 1.5, 两, 十, 十五, 二十, 两三 (2.5), 二三十 (25), 三四十五? (None)."""
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            pass
        if "十" not in text:
            return self._digits(text)
        left, _, right = text.partition("十")
        if "十" in right:
            return None
        tens = self._digits(left) if left else 1.0
        ones = self._digits(right) if right else 0.0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones

    def _hours(self, m: re.Match[str]) -> float | None:
        """Hours of a number-and-unit match (``n1``, ``half1``, ``n2``, ``more``, ``unit``,
        ``half`` groups); ``None`` when the number does not parse."""
        n1, n2 = self._number(m.group("n1")), self._number(m.group("n2"))
        if n1 is None:
            return None
        if m.group("half1"):
            n1 += 0.5
        value = (n1 + n2) / 2 if n2 is not None else n1
        if m.group("more") in {"多", "半"} or m.group("half"):
            value += 0.5
        return value * self.unit_hours[m.group("unit")]

    def _is_visit(self, text: str, start: int, end: int) -> bool:
        """False when a wait, transport, show or errand word is near the span (see the YAML)."""
        window = text[max(0, start - 8) : end + 6]
        return not any(rx.search(window) for rx in self._not_visit.values())

    def durations(self, sentence: str) -> list[float]:
        """Visit lengths (hours) stated in a sentence or clause."""
        out: list[float] = []
        spans: list[tuple[int, int]] = []
        for rx in (self._dur, self._dur_bare, self._dur_note, self._dur_done):
            for m in rx.finditer(sentence):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                hours = self._hours(m)
                if hours is None:
                    continue
                spans.append(m.span())
                plausible = self.min_hours <= hours <= self.max_hours
                if plausible and self._is_visit(sentence, *m.span()):
                    out.append(round(hours, 3))
        for m in self._phrase.finditer(sentence):
            if any(a <= m.start() < b for a, b in spans):
                continue
            phrase = next(m.group(g) for g in ("p1", "p2", "p3", "p4", "p5", "p6") if m.group(g))
            hours = self.phrase_hours[phrase]
            if hours <= self.max_hours and self._is_visit(sentence, *m.span()):
                out.append(hours)
            spans.append(m.span())
        return out

    def crowding(self, clause: str) -> str | None:
        """``crowded``, ``quiet`` or ``None`` for one clause (negation, expectation and wish
        aware: 以为人会很多 and 想安静看的话 are not observations)."""
        if self._not_quiet.search(clause):
            return "crowded"
        quiet = self._quiet.search(clause)
        if quiet and "排" in quiet.group() and self._ticketing.search(clause):
            return None  # 不用排队买票: about tickets, not crowds
        if quiet:
            return None if self._condition.search(clause[: quiet.start()]) else "quiet"
        crowded = self._crowded.search(clause)
        if not crowded or self._not_crowd.search(clause):
            return None  # 人多更划算: a bigger group, not a crowd
        if self._expect.search(clause[: crowded.start()]):
            return None
        return "crowded"

    def reservation(self, clause: str) -> str | None:
        """``required``, ``not_required`` or ``None`` for one clause: a negated booking is
        ``not_required``; a booking with a marker of need, advice or rule is ``required``; a
        bare booking verb phrase is ``required`` unless it is told as an account (了, 已经,
        我们…提前) or qualified by a price, a condition or a permission."""
        if self._res_no.search(clause):
            return "not_required"
        if self._res_exclude.search(clause):
            return None
        if self._res_strong.search(clause):
            return "required"
        if (
            self._res_yes.search(clause)
            and not self._res_weak.search(clause)
            and not self._res_narrative.search(clause)
        ):
            return "required"  # a bare verb phrase, read as advice (提前一天订票)
        return None

    def clause_findings(self, clause: str, ev: str | None = None) -> list[Finding]:
        """The rules' findings in one clause (before the learned filter); ``ev`` is the
        evidence sentence kept with them (the clause itself by default)."""
        ev = clause if ev is None else ev
        if self._off_topic.search(clause):
            return []
        found = [Finding("duration", h, ev) for h in self.durations(clause)]
        crowd = self.crowding(clause)
        avoid = bool(self._avoid.search(clause)) or crowd == "crowded"
        wants_quiet = (  # 想安静看的话工作日来: a reason for the time, not an observation
            crowd is None
            and any(
                self._condition.search(clause[: q.start()]) for q in self._quiet.finditer(clause)
            )
        )
        recommend = bool(self._recommend.search(clause)) or crowd == "quiet" or wants_quiet
        recommend = recommend and not self._expect.search(clause)  # 以为晚上会好看
        for name, rx in self._avoid_times.items():
            if avoid and rx.search(clause):
                found.append(Finding("avoid_time", name, ev))
        if recommend and not avoid:
            for name, rx in self._time.items():
                if rx.search(clause):
                    found.append(Finding("best_time", name, ev))
        if crowd:
            found.append(Finding("crowding", crowd, ev))
        res = self.reservation(clause)
        if res:
            found.append(Finding("reservation", res, ev))
        return found

    def filter_tokens(self, clause: str, found: Sequence[Finding]) -> list[str]:
        """The learned filter's features of a clause: its character 1–3-grams, the rules'
        findings in it and which of the rules' cue patterns match it."""
        grams = [f"c:{clause[i : i + n]}" for n in (1, 2, 3) for i in range(len(clause) - n + 1)]
        rules = [f"r:{f.kind}" if f.kind == "duration" else f"r:{f.kind}={f.value}" for f in found]
        cues = [f"q:{name}" for name, rx in self._cue_patterns.items() if rx.search(clause)]
        return grams + rules + cues

    def mine(self, text: str) -> list[Finding]:
        """All findings in a text, clause by clause.

        Every cue must share a clause (comma-separated part) with what it qualifies, so a
        run-on review does not pair "下午" from one remark with "适合" from another, and a
        transport time in one clause does not hide a visit length in the next. A clause about
        something else (cooking, deliveries …) gives nothing. When the learned filter is
        loaded, a clause's visit lengths, crowding or reservation findings are kept only if
        the filter accepts them. The evidence kept is the sentence, or the clause when the
        sentence is longer than 120 characters.
        """
        out: list[Finding] = []
        for sentence in split_sentences(text):
            found: list[Finding] = []
            for clause in split_clauses(sentence):
                got = self.clause_findings(clause, sentence if len(sentence) <= 120 else clause)
                if got and self.learned_filter is not None:
                    got = self.learned_filter.apply(self.filter_tokens(clause, got), got)
                found += got
            seen: set[tuple[str, float | str]] = set()
            for f in found:  # one finding of each kind and value per sentence
                if (f.kind, f.value) not in seen:
                    seen.add((f.kind, f.value))
                    out.append(f)
        return out


@dataclass
class _SiteAcc:
    n_docs: int = 0
    durations: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    evidence: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def attribute(
    findings: Sequence[Finding],
    doc_sites: Sequence[str],
    sentence_sites: Callable[[str], list[str]],
) -> list[tuple[str, Finding]]:
    """Attach findings to sites: the one site a sentence names, else the document's only site.

    Parameters
    ----------
    findings
        From :meth:`PracticalityMiner.mine`.
    doc_sites
        The document's sites.
    sentence_sites
        Sentence → sites it names (segmented words).
    """
    out = []
    cache: dict[str, list[str]] = {}
    for f in findings:
        named = cache.setdefault(f.sentence, sentence_sites(f.sentence))
        if len(named) == 1:
            out.append((named[0], f))
        elif not named and len(doc_sites) == 1:
            out.append((doc_sites[0], f))
    return out


class PriorAggregator:
    """Accumulate attributed findings per site (streaming); see :func:`aggregate_priors`."""

    def __init__(self, *, max_evidence: int = 5) -> None:
        self.max_evidence = max_evidence
        self._acc: dict[str, _SiteAcc] = defaultdict(_SiteAcc)

    def add_doc(self, doc_sites: Sequence[str], attributed: Sequence[tuple[str, Finding]]) -> None:
        """Record one document's sites and attributed findings."""
        for s in doc_sites:
            self._acc[s].n_docs += 1
        seen_duration: set[str] = set()
        for site, f in attributed:
            acc = self._acc[site]
            key = f"{f.kind}:{f.value}" if f.kind != "duration" else "duration"
            if f.kind == "duration":
                if site in seen_duration:  # one duration per document and site
                    continue
                seen_duration.add(site)
                acc.durations.append(float(f.value))
            acc.counts[key] += 1
            ev = acc.evidence[key]
            if len(ev) < self.max_evidence and f.sentence not in ev:
                ev.append(f.sentence)

    def merge(self, other: PriorAggregator) -> None:
        """Add what ``other`` accumulated from the documents that follow this one's: the same
        result as adding its documents here (evidence: the first ``max_evidence`` distinct
        sentences in document order, which ``other`` 's first ones always include)."""
        for site, theirs in other._acc.items():
            acc = self._acc[site]
            acc.n_docs += theirs.n_docs
            acc.durations += theirs.durations
            acc.counts.update(theirs.counts)
            for key, sentences in theirs.evidence.items():
                ev = acc.evidence[key]
                for sentence in sentences:
                    if len(ev) >= self.max_evidence:
                        break
                    if sentence not in ev:
                        ev.append(sentence)

    def result(self, *, min_evidence: int = 3) -> list[dict[str, Any]]:
        """One row per site (see :func:`aggregate_priors`)."""
        rows = []
        for site in sorted(self._acc):
            acc = self._acc[site]
            d = np.array(acc.durations)
            row: dict[str, Any] = {
                "site": site,
                "n_docs": acc.n_docs,
                "duration_n": int(d.size),
                "duration_median_h": float(np.median(d)) if d.size else None,
                "duration_p25_h": float(np.percentile(d, 25)) if d.size else None,
                "duration_p75_h": float(np.percentile(d, 75)) if d.size else None,
                "visit_hours_prior": float(np.median(d)) if d.size >= min_evidence else None,
            }
            row.update({k: int(v) for k, v in sorted(acc.counts.items()) if k != "duration"})
            row["evidence"] = {k: list(v) for k, v in sorted(acc.evidence.items())}
            rows.append(row)
        return rows


def aggregate_priors(
    docs: Iterable[tuple[str, Sequence[str]]],
    miner: PracticalityMiner,
    sentence_sites: Callable[[str], list[str]],
    *,
    min_evidence: int = 3,
    max_evidence: int = 5,
) -> list[dict[str, Any]]:
    """Per-site priors from ``(text, doc_sites)`` pairs.

    Parameters
    ----------
    docs
        Normalised text and the document's sites.
    miner
        The miner.
    sentence_sites
        Sentence → sites it names.
    min_evidence
        Durations needed before ``visit_hours_prior`` is set.
    max_evidence
        Evidence sentences kept per kind and site.

    Returns
    -------
    list[dict]
        ``site, n_docs, duration_n, duration_median_h, duration_p25_h, duration_p75_h,
        visit_hours_prior``, one count column per ``kind:value`` (``best_time:afternoon``,
        ``crowding:crowded`` …) and ``evidence`` (kind → sentences).
    """
    agg = PriorAggregator(max_evidence=max_evidence)
    for text, sites in docs:
        agg.add_doc(sites, attribute(miner.mine(text), sites, sentence_sites))
    return agg.result(min_evidence=min_evidence)
