"""Statements derived from the catalog itself: feature similarity between sites and each
site's popularity (corpus mentions when the NLP tables give them, else designation level)."""

from __future__ import annotations

from collections import defaultdict

from rdflib import Literal
from rdflib.namespace import RDF

from kg import uris
from kg.build.builder.base import BuilderBase
from kg.build.core import AREAS_FILE, LINKS_FILE, _dec, _int
from kg.build.designations import LEVEL_RANK, classify_designation
from kg.build.nlp_tables import CORPUS_WIDE_GROUPS
from kg.namespaces import HR, PROV


class DerivedStatements(BuilderBase):
    """Feature similarity and popularity."""

    def site_features(self) -> dict[str, set[str]]:
        linked: dict[str, set[str]] = defaultdict(set)
        for ln in self.links:
            if ln.site_id:
                linked[ln.site_id].add(f"item:{ln.item_id}")
        feats: dict[str, set[str]] = {}
        for s in self.catalog.sites.values():
            if s.kind == "town":  # reference points, not places to recommend
                continue
            f = {f"theme:{t}" for t in s.themes} | {f"kind:{s.kind}"}
            f |= {f"area:{a}" for a in self.site_area.get(s.id, [])}
            f |= linked.get(s.id, set())
            f |= {f"level:{classify_designation(d)[0].rsplit('#', 1)[1]}" for d in s.designations}
            feats[s.id] = f
        return feats

    def add_feature_similarity(self) -> None:
        feats = self.site_features()
        params = {
            "features": ["themes", "kind", "county", "linked heritage items", "designation levels"],
            "measure": "jaccard",
            "min_score": self.params.similarity_min,
            "top_k": self.params.similarity_top_k,
        }
        used = self._used("sites.csv", LINKS_FILE, f"ontology/{AREAS_FILE}")
        act = self.activity("kg.feature-similarity", params, used)
        run = act.rsplit("/", 1)[1]
        # Sites with identical feature sets score alike: compare distinct sets only (an
        # inverted index keeps that to sets sharing a feature), then hand out members.
        groups: dict[frozenset[str], list[str]] = defaultdict(list)
        for sid in sorted(feats):
            groups[frozenset(feats[sid])].append(sid)
        by_feature: dict[str, list[frozenset[str]]] = defaultdict(list)
        for fs in groups:
            for f in fs:
                by_feature[f].append(fs)
        k = self.params.similarity_top_k
        best: dict[str, list[tuple[float, str]]] = {}
        for fs, members in groups.items():
            scored_sets = []
            for other in {o for f in fs for o in by_feature[f]}:
                score = round(len(fs & other) / len(fs | other), 4)
                if score >= self.params.similarity_min:
                    scored_sets.append((score, other))
            by_score: dict[float, list[str]] = defaultdict(list)
            for score, other in scored_sets:
                by_score[score].extend(groups[other])
            levels = [(score, sorted(by_score[score])) for score in sorted(by_score, reverse=True)]
            for sid in members:
                picked: list[tuple[float, str]] = []
                for score, ids in levels:
                    for o in ids:
                        if o != sid and len(picked) < k:
                            picked.append((score, o))
                    if len(picked) >= k:
                        break
                best[sid] = picked
        for sid in sorted(best):
            for score, o in best[sid]:
                self._similarity(run, sid, o, score, "catalog-feature jaccard", act)

    def add_popularity(self) -> None:
        mentions: dict[str, int] = {}
        m = self.nlp.mentions if self.nlp is not None else None
        if m is not None and len(m):
            for name, n in zip(m["subject"].astype(str), m["n_docs"], strict=True):
                if name.strip() in CORPUS_WIDE_GROUPS:
                    continue
                subj = self.resolve_subject(name)
                if subj and subj[0] == "site":
                    mentions[subj[1]] = mentions.get(subj[1], 0) + int(n)
        if mentions:
            provenance = self.nlp.provenance if self.nlp is not None else {}
            act = self.nlp_activity("mentions")
            pact = self.activity(
                "kg.popularity",
                {"method": "corpus-mentions", "sites_not_mentioned": 0},
                dict(provenance.get("mentions", {}).get("used", {})),
            )
            self.add(pact, PROV.wasInformedBy, act)
            method = "corpus-mentions"
        else:
            pact = self.activity(
                "kg.popularity",
                {
                    "method": "designation-level",
                    "rank": {str(k).rsplit("#", 1)[1]: v for k, v in sorted(LEVEL_RANK.items())},
                },
                self._used("sites.csv"),
            )
            method = "designation-level"
        for s in sorted(self.catalog.sites.values(), key=lambda s: s.id):
            if method == "corpus-mentions":
                score = mentions.get(s.id, 0)
            else:
                score = max(
                    (LEVEL_RANK[classify_designation(d)[0]] for d in s.designations), default=0
                )
            node = uris.popularity_uri(s.id)
            u = uris.site_uri(s.id)
            self.add(u, HR.popularity, node)
            self.add(node, RDF.type, HR.PopularityEstimate)
            self.add(node, HR.popularityScore, _dec(score))
            self.add(node, HR.method, Literal(method))
            if method == "corpus-mentions":
                self.add(node, HR.documentCount, _int(score))
            self.add(node, PROV.wasGeneratedBy, pact)
