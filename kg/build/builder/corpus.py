"""Statements from the NLP tables: keywords, topics (and each site's topics), aspect sentiment
and text similarity, each pointing at the PROV activity of the NLP stage that made it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg import uris
from kg.build.builder.base import BuilderBase
from kg.build.core import KEYWORD_SCHEME, _dec, _int, _text, _zh
from kg.build.nlp_tables import CORPUS_WIDE_GROUPS
from kg.namespaces import HR, HRID, PROV, SKOS


class CorpusStatements(BuilderBase):
    """Keywords, topics, sentiment and NLP similarity."""

    def _skip(self, table: str, names: Iterable[str]) -> None:
        names = sorted(set(names))
        if names:
            shown = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
            self.warnings.append(
                f"NLP table {table!r}: {len(names)} group(s) match no site or area and were "
                f"skipped: {shown}"
            )

    def term(self, text: str) -> URIRef:
        t = uris.term_uri(text)
        if (t, RDF.type, HR.Keyword) not in self.g:
            self.add(t, RDF.type, HR.Keyword)
            self.add(t, RDF.type, SKOS.Concept)
            self.add(t, SKOS.inScheme, KEYWORD_SCHEME)
            self.add(t, SKOS.prefLabel, _text(text))
            self.add(t, RDFS.label, _text(text))
        return t

    def add_nlp(self) -> None:
        if self.nlp is None or not self.nlp.present():
            return
        self.add(KEYWORD_SCHEME, RDF.type, SKOS.ConceptScheme)
        self.add(KEYWORD_SCHEME, RDFS.label, Literal("corpus keywords", lang="en"))
        self.add(KEYWORD_SCHEME, RDFS.label, _zh("语料关键词"))
        if self.nlp.keywords is not None and len(self.nlp.keywords):
            self.add_keywords()
        if self.nlp.topics is not None and len(self.nlp.topics):
            self.add_topics()
        if self.nlp.sentiment is not None and len(self.nlp.sentiment):
            self.add_sentiment()
        if self.nlp.similar is not None and len(self.nlp.similar):
            self.add_nlp_similarity()

    def add_keywords(self) -> None:
        df = self.table("keywords")
        act = self.nlp_activity("keywords")
        run = act.rsplit("/", 1)[1]
        skipped = []
        for group, rows in sorted(df.groupby(df["subject"].astype(str)), key=lambda kv: kv[0]):
            if group.strip() in CORPUS_WIDE_GROUPS:
                continue
            subj = self.resolve_subject(group)
            if subj is None:
                skipped.append(group)
                continue
            rows = rows.sort_values(["weight", "term"], ascending=[False, True])
            rows = rows.drop_duplicates("term")
            if self.params.keyword_top_k:
                rows = rows.head(self.params.keyword_top_k)
            for rank, (term, weight) in enumerate(
                zip(rows["term"].astype(str), rows["weight"], strict=True), start=1
            ):
                if not term.strip():
                    continue
                node = uris.keyword_weight_uri(run, subj[0], subj[1], term)
                self.add(node, RDF.type, HR.KeywordWeight)
                self.add(node, HR.subject, self.subject_uri(*subj))
                self.add(node, HR["term"], self.term(term))
                self.add(node, HR.weight, _dec(weight))
                self.add(node, HR.rank, _int(rank))
                self.add(node, PROV.wasGeneratedBy, act)
        self._skip("keywords", skipped)

    def add_topics(self) -> None:
        df = self.table("topics")
        act = self.nlp_activity("topics")
        run = act.rsplit("/", 1)[1]
        scheme = uris.scheme_uri(f"topics.{run}")
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add(scheme, RDFS.label, Literal(f"LDA topics of run {run}", lang="en"))
        self.add(scheme, PROV.wasGeneratedBy, act)
        has_scope = "scope" in df.columns
        keys = ["scope", "topic_id"] if has_scope else ["topic_id"]
        skipped = []
        topic_ids: dict[tuple[str, str], str] = {}
        for key, rows in sorted(df.groupby(keys), key=lambda kv: tuple(map(str, kv[0]))):
            key = key if isinstance(key, tuple) else (key,)
            scope_name = str(key[0]) if has_scope else ""
            raw_topic = str(key[-1])
            corpus_wide = not has_scope or scope_name.strip() in CORPUS_WIDE_GROUPS
            scope = None if corpus_wide else self.resolve_subject(scope_name)
            if not corpus_wide and scope is None:
                skipped.append(scope_name)
                continue
            tid = re.sub(r"[^a-z0-9_.-]+", "-", raw_topic.lower()).strip("-") or "0"
            tid = f"{scope[1]}.{tid}" if scope else f"all.{tid}"
            topic_ids[(scope_name, raw_topic)] = tid
            t = uris.topic_uri(run, tid)
            self.add(t, RDF.type, HR.Topic)
            self.add(t, RDF.type, SKOS.Concept)
            self.add(t, SKOS.inScheme, scheme)
            self.add(t, SKOS.notation, Literal(raw_topic))
            self.add(t, PROV.wasGeneratedBy, act)
            if scope:
                self.add(t, HR.scope, self.subject_uri(*scope))
            rows = rows.sort_values(["weight", "term"], ascending=[False, True])
            rows = rows.drop_duplicates("term").head(self.params.topic_top_k)
            terms = []
            for rank, (term, weight) in enumerate(
                zip(rows["term"].astype(str), rows["weight"], strict=True), start=1
            ):
                tt = uris.topic_term_uri(run, tid, term)
                self.add(t, HR.topicTerm, tt)
                self.add(tt, RDF.type, HR.TopicTerm)
                self.add(tt, HR["term"], self.term(term))
                self.add(tt, HR.weight, _dec(weight))
                self.add(tt, HR.rank, _int(rank))
                terms.append(term)
            label = f"topic {raw_topic}: " + "、".join(terms[:5])
            self.add(t, SKOS.prefLabel, _text(label))
            self.add(t, RDFS.label, _text(label))
        self._skip("topics", skipped)
        self._add_site_topics(run, topic_ids)

    def _add_site_topics(self, run: str, topic_ids: dict[tuple[str, str], str]) -> None:
        """Each site's (or area's) share of the topics of run ``run``."""
        st = self.nlp.site_topics if self.nlp is not None else None
        if st is None or not len(st):
            return
        sact = self.nlp_activity("site_topics")
        skipped = []
        for subj_name, raw_topic, weight in sorted(
            zip(st["subject"].astype(str), st["topic_id"].astype(str), st["weight"], strict=True),
            key=lambda r: (r[0], r[1]),
        ):
            subj = self.resolve_subject(subj_name)
            tid = topic_ids.get((subj_name, raw_topic)) or next(
                (
                    v
                    for (scope, t), v in sorted(topic_ids.items())
                    if t == raw_topic and scope.strip() in CORPUS_WIDE_GROUPS
                ),
                None,
            )
            if subj is None or tid is None:
                skipped.append(f"{subj_name}/{raw_topic}")
                continue
            node = URIRef(f"{HRID}nlp/{run}/site-topic/{subj[0]}/{subj[1]}/{tid}")
            self.add(node, RDF.type, HR.SiteTopic)
            self.add(node, HR.subject, self.subject_uri(*subj))
            self.add(node, HR.topic, uris.topic_uri(run, tid))
            self.add(node, HR.weight, _dec(weight))
            self.add(node, PROV.wasGeneratedBy, sact)
        self._skip("site_topics", skipped)

    def add_sentiment(self) -> None:
        df = self.table("sentiment")
        act = self.nlp_activity("sentiment")
        run = act.rsplit("/", 1)[1]
        skipped = []
        has_n = "n" in df.columns
        for row in sorted(
            df.itertuples(index=False), key=lambda r: (str(r.subject), str(r.aspect))
        ):
            if str(row.subject).strip() in CORPUS_WIDE_GROUPS:
                continue
            subj = self.resolve_subject(row.subject)
            if subj is None:
                skipped.append(str(row.subject))
                continue
            aspect = str(row.aspect)
            node = URIRef(
                f"{HRID}nlp/{run}/sentiment/{subj[0]}/{subj[1]}/"
                + (aspect if uris.ID_RE.match(aspect) else uris.term_key(aspect))
            )
            self.add(node, RDF.type, HR.SentimentSummary)
            self.add(node, HR.subject, self.subject_uri(*subj))
            self.add(node, HR.aspect, _text(aspect))
            self.add(node, HR.sentimentScore, _dec(row.score))
            if has_n and row.n == row.n:  # not NaN
                self.add(node, HR.documentCount, _int(row.n))
            self.add(node, PROV.wasGeneratedBy, act)
        self._skip("sentiment", skipped)

    def add_nlp_similarity(self) -> None:
        df = self.table("similar")
        act = self.nlp_activity("similar")
        run = act.rsplit("/", 1)[1]
        skipped = []
        has_method = "method" in df.columns
        for row in sorted(df.itertuples(index=False), key=lambda r: (str(r.a), str(r.b))):
            sa, sb = self.resolve_subject(row.a), self.resolve_subject(row.b)
            if not sa or not sb or sa[0] != "site" or sb[0] != "site" or sa[1] == sb[1]:
                skipped.append(f"{row.a}~{row.b}")
                continue
            method = str(row.method) if has_method else "nlp text similarity"
            self._similarity(run, sa[1], sb[1], float(row.score), f"nlp: {method}", act)
        self._skip("similar", skipped)
