"""IRI minting: one pure function per entity kind, from stable ASCII ids only.

Every IRI is ``HRID`` + a path built from ids that match :data:`ID_RE` (catalog ids, theme and
line ids, run keys). Free text such as a keyword (石刻) never becomes part of a path; it is
identified by a short SHA-256 of its NFC form (:func:`term_uri`), so homonyms and encoding
variants cannot collide or split. Invalid ids raise :class:`ValueError` — an id can therefore
never smuggle ``>``, quotes or spaces into an IRI (or into a SPARQL query that binds it).

>>> str(site_uri("baodingshan"))
'https://w3id.org/heritage-routes/id/site/baodingshan'
>>> site_uri('x" } UNION {')
Traceback (most recent call last):
...
ValueError: invalid site id 'x" } UNION {': ids are ASCII slugs matching [a-z0-9][a-z0-9_.-]*
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from rdflib import URIRef

from kg.namespaces import HRID

__all__ = [
    "ID_RE",
    "activity_uri",
    "area_uri",
    "check_id",
    "designation_uri",
    "distance_uri",
    "geometry_uri",
    "heritage_uri",
    "id_from_uri",
    "keyword_weight_uri",
    "line_stop_uri",
    "line_uri",
    "popularity_uri",
    "scheme_uri",
    "sentiment_uri",
    "similarity_uri",
    "site_uri",
    "term_key",
    "term_uri",
    "theme_uri",
    "topic_term_uri",
    "topic_uri",
]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_PATTERN_TEXT = "[a-z0-9][a-z0-9_.-]*"


def check_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a valid ASCII id, else raise :class:`ValueError`."""
    if not isinstance(value, str) or not ID_RE.match(value) or ".." in value:
        raise ValueError(f"invalid {what} {value!r}: ids are ASCII slugs matching {_PATTERN_TEXT}")
    return value


def _mint(*parts: str) -> URIRef:
    return URIRef(str(HRID) + "/".join(parts))


def site_uri(site_id: str) -> URIRef:
    """IRI of a catalog site."""
    return _mint("site", check_id(site_id, "site id"))


def geometry_uri(site_id: str) -> URIRef:
    """IRI of a site's point geometry (GeoSPARQL ``geo:Geometry``)."""
    return _mint("site", check_id(site_id, "site id"), "geometry")


def designation_uri(site_id: str, text: str) -> URIRef:
    """IRI of one designation of a site, keyed by a hash of its text (stable under reordering)."""
    return _mint("site", check_id(site_id, "site id"), "designation", term_key(text)[:10])


def popularity_uri(site_id: str) -> URIRef:
    """IRI of a site's popularity estimate (a derived, provenance-carrying node)."""
    return _mint("site", check_id(site_id, "site id"), "popularity")


def heritage_uri(item_id: str) -> URIRef:
    """IRI of a heritage item (intangible heritage, food or specialty, event)."""
    return _mint("heritage", check_id(item_id, "heritage item id"))


def area_uri(area_id: str) -> URIRef:
    """IRI of an administrative area (``chongqing.dazu``, ``sichuan.ziyang.anyue``)."""
    return _mint("area", check_id(area_id, "area id"))


def theme_uri(theme_id: str) -> URIRef:
    """IRI of a theme concept (SKOS)."""
    return _mint("theme", check_id(theme_id, "theme id"))


def scheme_uri(scheme_id: str) -> URIRef:
    """IRI of a SKOS concept scheme (``themes``, ``keywords``, ``topics.<run>``)."""
    return _mint("scheme", check_id(scheme_id, "scheme id"))


def line_uri(line_id: str) -> URIRef:
    """IRI of a built-in line (``schema:TouristTrip``)."""
    return _mint("line", check_id(line_id, "line id"))


def line_stop_uri(line_id: str, position: int) -> URIRef:
    """IRI of the ``position``-th stop (1-based) of a line (``schema:ListItem``)."""
    if not isinstance(position, int) or position < 1:
        raise ValueError(f"invalid stop position {position!r}")
    return _mint("line", check_id(line_id, "line id"), "stop", f"{position:03d}")


def distance_uri(kind: str, a: str, b: str, qualifier: str = "") -> URIRef:
    """IRI of a distance statement between sites ``a`` and ``b`` (order-independent).

    ``kind`` is ``seed``, ``published`` or ``great-circle``; ``qualifier`` separates several
    statements of one kind (a line id, or a hash of the source).
    """
    x, y = sorted((check_id(a, "site id"), check_id(b, "site id")))
    parts = ["distance", check_id(kind, "distance kind")]
    if qualifier:
        parts.append(check_id(qualifier, "distance qualifier"))
    return _mint(*parts, f"{x}--{y}")


def activity_uri(stage: str, key: str) -> URIRef:
    """IRI of a PROV activity: a pipeline stage run identified by its parameter/input key."""
    return _mint("activity", check_id(stage, "stage"), check_id(key, "run key"))


def term_key(text: str) -> str:
    """Stable ASCII key of a free-text term: 16 hex digits of SHA-256 of its NFC form."""
    norm = unicodedata.normalize("NFC", text.strip())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def term_uri(term: str) -> URIRef:
    """IRI of a keyword / topic term concept (identified by :func:`term_key`, not by text)."""
    if not term.strip():
        raise ValueError("empty term")
    return _mint("term", term_key(term))


def keyword_weight_uri(run: str, subject_kind: str, subject_id: str, term: str) -> URIRef:
    """IRI of one TF-IDF weight of ``term`` for a site or area in run ``run``."""
    return _mint(
        "nlp",
        check_id(run, "run key"),
        "keyword",
        check_id(subject_kind, "subject kind"),
        check_id(subject_id, "subject id"),
        term_key(term),
    )


def topic_uri(run: str, topic_id: str) -> URIRef:
    """IRI of LDA topic ``topic_id`` of run ``run`` (a ``skos:Concept``)."""
    return _mint("nlp", check_id(run, "run key"), "topic", check_id(topic_id, "topic id"))


def topic_term_uri(run: str, topic_id: str, term: str) -> URIRef:
    """IRI of the weight of ``term`` in a topic."""
    return _mint(
        "nlp",
        check_id(run, "run key"),
        "topic",
        check_id(topic_id, "topic id"),
        "term",
        term_key(term),
    )


def sentiment_uri(run: str, site_id: str, aspect: str) -> URIRef:
    """IRI of the sentiment summary of ``site_id`` on ``aspect`` in run ``run``."""
    return _mint(
        "nlp",
        check_id(run, "run key"),
        "sentiment",
        check_id(site_id, "site id"),
        term_key(aspect) if not ID_RE.match(aspect) else aspect,
    )


def similarity_uri(run: str, a: str, b: str) -> URIRef:
    """IRI of the similarity statement between sites ``a`` and ``b`` (order-independent)."""
    x, y = sorted((check_id(a, "site id"), check_id(b, "site id")))
    return _mint("similarity", check_id(run, "run key"), f"{x}--{y}")


def id_from_uri(uri: object) -> str:
    """The last path segment of one of our IRIs (``…/site/baodingshan`` → ``baodingshan``)."""
    text = str(uri)
    if not text.startswith(str(HRID)):
        raise ValueError(f"not a heritage-routes IRI: {text!r}")
    rest = text[len(str(HRID)) :]
    parts = rest.split("/")
    return parts[1] if len(parts) > 1 else parts[0]
