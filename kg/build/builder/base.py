"""The builder's state and the helpers every kind of statement uses: the graph, the problems
and warnings found, area and subject resolution, PROV activities and similarity links."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from common.artifacts import sha256_bytes
from kg import uris
from kg.build.core import BuildParams, _dec, _json
from kg.build.nlp_tables import NlpTables
from kg.build.records import Area, HeritageItem, HeritageLink
from kg.names import normalize
from kg.namespaces import DCTERMS, HR, HRID, PROV, new_graph

if TYPE_CHECKING:
    import pandas as pd

    from kg.catalog import Catalog


class BuilderBase:
    """State of one build; the statement mixins of :mod:`kg.build.builder` add to ``g``."""

    def __init__(
        self,
        catalog: Catalog,
        items: Mapping[str, HeritageItem],
        links: Iterable[HeritageLink],
        areas: Mapping[str, Area],
        nlp: NlpTables | None,
        params: BuildParams,
        inputs: Mapping[str, str],
    ):
        self.catalog = catalog
        self.items = dict(items)
        self.links = list(links)
        self.areas = dict(areas)
        self.nlp = nlp
        self.params = params
        self.inputs = dict(inputs)
        self.g = new_graph()
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.area_index = self._area_index()
        self.site_area: dict[str, list[str]] = {}
        self._subjects: dict[str, tuple[str, str] | None] = {}

    # ------------------------------------------------------------------ helpers
    def add(self, s: URIRef, p: URIRef, o: Any) -> None:
        self.g.add((s, p, o))

    def _area_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for a in self.areas.values():
            for name in (a.id, a.name_zh, a.name_en, *a.aliases):
                key = normalize(name)
                if key:
                    index.setdefault(key, a.id)
        return index

    def resolve_area(self, name: str) -> str | None:
        """Area id for an id, Chinese name or alias (安岳, 安岳县, sichuan.ziyang.anyue)."""
        return self.area_index.get(normalize(name))

    def ancestors(self, area_id: str) -> list[str]:
        out = []
        cur = self.areas[area_id].parent
        while cur:
            out.append(cur)
            cur = self.areas[cur].parent
        return out

    def activity(self, stage: str, params: Mapping[str, Any], used: Mapping[str, str]) -> URIRef:
        """Mint (once) the PROV activity of ``stage`` with its parameters and input hashes."""
        key = sha256_bytes(_json([stage, params, used]).encode())[:16]
        slug = re.sub(r"[^a-z0-9.-]+", "-", stage.lower()).strip("-") or "stage"
        a = uris.activity_uri(slug, key)
        if (a, RDF.type, PROV.Activity) in self.g:
            return a
        self.add(a, RDF.type, PROV.Activity)
        self.add(a, RDFS.label, Literal(f"{stage} run {key}", lang="en"))
        self.add(a, HR.stage, Literal(stage))
        self.add(a, HR.parameters, Literal(_json(params)))
        for name, value in sorted(used.items()):
            ent = URIRef(f"{HRID}input/{uris.term_key(name + '|' + value)}")
            self.add(a, PROV.used, ent)
            self.add(ent, RDF.type, PROV.Entity)
            self.add(ent, DCTERMS.title, Literal(name))
            if re.fullmatch(r"[0-9a-f]{64}", value):
                self.add(ent, HR.sha256, Literal(value))
            else:
                self.add(ent, DCTERMS.identifier, Literal(value))
        return a

    def _used(self, *names: str) -> dict[str, str]:
        """The recorded hashes of the named input files (those that exist)."""
        return {k: self.inputs[k] for k in names if k in self.inputs}

    # ------------------------------------------------------------------ subjects of NLP tables
    def resolve_subject(self, name: Any) -> tuple[str, str] | None:
        """``("site", id)`` or ``("area", id)`` for an NLP group name, else ``None``."""
        text = str(name).strip()
        if text not in self._subjects:
            self._subjects[text] = self._resolve_subject(text)
        return self._subjects[text]

    def _resolve_subject(self, text: str) -> tuple[str, str] | None:
        if text in self.catalog.sites:
            return ("site", text)
        area = self.resolve_area(text)
        if area:
            return ("area", area)
        try:
            return ("site", self.catalog.resolve(text).id)
        except LookupError:
            return None

    def subject_uri(self, kind: str, sid: str) -> URIRef:
        return uris.site_uri(sid) if kind == "site" else uris.area_uri(sid)

    def table(self, name: str) -> pd.DataFrame:
        """The NLP table ``name`` (callers check that it is present)."""
        df = getattr(self.nlp, name) if self.nlp is not None else None
        if df is None:
            raise ValueError(f"NLP table {name!r} is not present")
        return df

    def nlp_activity(self, table: str) -> URIRef:
        assert self.nlp is not None
        info = self.nlp.provenance.get(table, {})
        used = dict(info.get("used") or {})
        if not used:
            df = getattr(self.nlp, table)
            digest = sha256_bytes(df.to_csv(index=False).encode("utf-8"))
            used[f"{table} (table given in memory)"] = digest
        params = {"params": info.get("params", {}), "table": table}
        if info.get("key"):
            params["artifact_key"] = info["key"]
        if info.get("corpus"):
            params["corpus"] = info["corpus"]
        act = self.activity(str(info.get("stage", f"nlp.{table}")), params, used)
        if info.get("corpus") and (act, HR.corpus, None) not in self.g:
            self.add(act, HR.corpus, Literal(_json(info["corpus"])))
        return act

    def _similarity(self, run: str, a: str, b: str, score: float, method: str, act: URIRef) -> None:
        node = uris.similarity_uri(run, a, b)
        if (node, RDF.type, HR.Similarity) in self.g:
            return
        self.add(node, RDF.type, HR.Similarity)
        self.add(node, HR.between, uris.site_uri(a))
        self.add(node, HR.between, uris.site_uri(b))
        self.add(node, HR.similarityScore, _dec(score, 4))
        self.add(node, HR.method, Literal(method))
        self.add(node, PROV.wasGeneratedBy, act)
        self.add(uris.site_uri(a), HR.similarTo, uris.site_uri(b))
        self.add(uris.site_uri(b), HR.similarTo, uris.site_uri(a))
