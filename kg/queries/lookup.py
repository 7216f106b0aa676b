"""Lookups every query shares: site summaries, name → entity resolution and labels, each
loaded once per graph (:meth:`kg.store.KnowledgeGraph.memo`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef

from kg import uris
from kg.names import normalize, rank_candidates
from kg.namespaces import HR, HRID, SKOS, XSD
from kg.queries.results import Entity, SiteRef, UnknownEntityError
from kg.store import KnowledgeGraph

_KIND_OF_TYPE = {
    HR.Site: "site",
    HR.HeritageItem: "heritage",
    HR.AdministrativeArea: "area",
    HR.Line: "line",
    SKOS.Concept: "theme",
}
_DEFAULT_KIND_ORDER = ("site", "heritage", "area", "theme", "line")


def _f(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, Decimal | int | float):
        return float(x)
    try:
        return float(str(x))
    except ValueError:
        return None


def _dec(x: float) -> Literal:
    return Literal(format(Decimal(repr(float(x))), "f"), datatype=XSD.decimal)


def _id(iri: Any) -> str:
    return uris.id_from_uri(iri)


def site_summaries(kg: KnowledgeGraph) -> dict[str, SiteRef]:
    """All sites by id (one query per graph, cached)."""

    def load() -> dict[str, SiteRef]:
        fields: dict[Any, dict[str, Any]] = defaultdict(dict)
        for r in kg.select("site_summaries", raw=True):
            d = fields[r.site]
            for k, v in r.values.items():
                if v is None or k == "site":
                    continue
                if k == "label":
                    d.setdefault("name_zh" if v.language == "zh" else "name_en", str(v))
                else:
                    d[k] = v.toPython() if isinstance(v, Literal) else v
        out = {}
        for d in fields.values():
            sid = str(d["id"])
            out[sid] = SiteRef(
                id=sid,
                name_zh=d.get("name_zh", ""),
                name_en=d.get("name_en", ""),
                kind=str(d["kind"]),
                lat=_f(d.get("lat")),
                lon=_f(d.get("lon")),
                coord_confidence=str(d["confidence"]) if "confidence" in d else None,
                approximate=bool(d["approximate"]) if "approximate" in d else None,
                uncertainty_km=_f(d.get("uncertainty_km")),
                visit_hours_min=_f(d.get("visit_min")),
                visit_hours_max=_f(d.get("visit_max")),
                popularity=_f(d.get("popularity")),
                popularity_method=str(d["popularity_method"]) if "popularity_method" in d else None,
            )
        return dict(sorted(out.items()))

    return kg.memo("site_summaries", load)


def _entity_index(kg: KnowledgeGraph) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        keys: dict[str, dict[URIRef, int]] = defaultdict(dict)
        info: dict[URIRef, tuple[str, str]] = {}
        names: dict[URIRef, str] = {}
        rank = {"id": 3, "label": 2, "alias": 1}
        rows = kg.select("entity_index", raw=True)
        for r in rows:
            kind = _KIND_OF_TYPE.get(r.type) if r.type is not None else None
            if kind is not None:
                info[r.entity] = (kind, str(r.id))
        for r in rows:
            ent = r.entity
            if ent not in info:
                continue
            if r.type is not None:
                how, name = "id", str(r.id)
            elif r.label is not None:
                how, name = "label", str(r.label)
                if r.label.language == "zh":
                    names[ent] = name
            else:
                how, name = "alias", str(r.alias)
            key = normalize(name)
            if key:
                keys[key][ent] = max(keys[key].get(ent, 0), rank[how])
        fuzzy = [(k, str(e)) for k, ents in keys.items() for e in ents]
        return {"keys": keys, "info": info, "names": names, "fuzzy": fuzzy}

    return kg.memo("entity_index", load)


def resolve(
    kg: KnowledgeGraph, name: str | URIRef, *, kinds: Sequence[str] | None = None
) -> Entity:
    """Resolve an id, Chinese name, alias or IRI to an entity of the graph.

    Matching uses :func:`kg.names.normalize` (full-width, traditional characters, spacing).
    An id match beats a label match, which beats an alias match; among equal matches the
    first kind in ``kinds`` wins (default: site, heritage, area, theme, line).

    Raises
    ------
    UnknownEntityError
        No match, or several entities of one kind match equally well.
    """
    idx = _entity_index(kg)
    order = tuple(kinds) if kinds else _DEFAULT_KIND_ORDER
    text = str(name).strip()
    if text.startswith(str(HRID)):
        iri = URIRef(text)
        if iri in idx["info"] and idx["info"][iri][0] in order:
            kind, eid = idx["info"][iri]
            return Entity(iri, kind, eid, idx["names"].get(iri, ""))
        raise UnknownEntityError(text)
    cands = idx["keys"].get(normalize(text), {})
    cands = {e: r for e, r in cands.items() if idx["info"][e][0] in order}
    if cands:
        best = max(cands.values())
        top = [e for e, r in cands.items() if r == best]
        for kind in order:
            of_kind = sorted(e for e in top if idx["info"][e][0] == kind)
            if len(of_kind) == 1:
                e = of_kind[0]
                return Entity(e, kind, idx["info"][e][1], idx["names"].get(e, ""))
            if len(of_kind) > 1:
                raise UnknownEntityError(
                    text,
                    [f"{idx['names'].get(e, '')} ({idx['info'][e][1]})" for e in of_kind],
                    ambiguous=True,
                )
    fuzzy = [(k, e) for k, e in idx["fuzzy"] if idx["info"][URIRef(e)][0] in order]
    sugg = [
        f"{idx['names'].get(URIRef(e), '')} ({idx['info'][URIRef(e)][1]})"
        for e, _ in rank_candidates(text, fuzzy, 5)
    ]
    raise UnknownEntityError(text, sugg)


def _site(kg: KnowledgeGraph, site: str | SiteRef | URIRef) -> SiteRef:
    if isinstance(site, SiteRef):
        return site
    ent = resolve(kg, site, kinds=("site",))
    return site_summaries(kg)[ent.id]


def _label(kg: KnowledgeGraph, iri: Any) -> str:
    labels = kg.memo("labels", lambda: _load_labels(kg))
    return labels.get(str(iri), _id(iri) if str(iri).startswith(str(HRID)) else str(iri))


def _load_labels(kg: KnowledgeGraph) -> dict[str, str]:
    zh: dict[str, str] = {}
    other: dict[str, str] = {}
    for r in kg.select("entity_labels", raw=True):
        key = str(r.entity)
        if str(r.lang) == "zh":
            zh.setdefault(key, str(r.label))
        else:
            other.setdefault(key, str(r.label))
    return {**other, **zh}
