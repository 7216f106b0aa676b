"""Name normalisation and fuzzy matching: the one place where site names are compared.

A key is produced by :func:`normalize`: NFKC (full-width → ASCII), traditional → simplified
Chinese (OpenCC ``t2s``), tone marks stripped, lower-cased, and everything that is not a
letter or digit removed (spaces, ``·``, ``-``, ``_``, brackets). Latin queries are also
matched against the toneless pinyin of every Chinese name (:func:`pinyin_keys`).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import lru_cache

from opencc import OpenCC

_T2S = OpenCC("t2s")
_MAX_PINYIN_VARIANTS = 16
#: the longest name compared: a longer query matches nothing and is never fuzzy-matched (the
#: longest catalog name or alias is far shorter; matching 100 KB took 15–18 s)
MAX_NAME_CHARS = 100
#: how much of a long name an error message repeats
ECHO_CHARS = 40


def too_long(name: str) -> bool:
    """True if ``name`` is longer than :data:`MAX_NAME_CHARS` (it cannot name anything)."""
    return len(name) > MAX_NAME_CHARS


def short(text: str) -> str:
    """``text`` cut to :data:`ECHO_CHARS` characters (``…`` marks the cut)."""
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"


def echo(name: str) -> str:
    """``name`` quoted for a message, cut short when long: ``'宝顶山'``;
    ``'aaaa…' (100,000 characters; a name has at most 100)``."""
    head = repr(short(name))
    if not too_long(name):
        return head
    return f"{head} ({len(name):,} characters; a name has at most {MAX_NAME_CHARS})"


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Return the comparison key of ``text`` (see module docstring)."""
    s = unicodedata.normalize("NFKC", text)
    s = _T2S.convert(s)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = unicodedata.normalize("NFC", s).lower()
    return "".join(c for c in s if c.isalnum())


def has_cjk(text: str) -> bool:
    """True if ``text`` contains at least one CJK ideograph."""
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


@lru_cache(maxsize=4096)
def pinyin_keys(text: str) -> tuple[str, ...]:
    """Toneless pinyin keys of a Chinese name: the usual reading first, then heteronym variants.

    ``pypinyin`` reads some characters in a phrase-dependent way (千佛寨 → "qian fu zhai");
    up to 16 heteronym combinations are added so "qianfozhai" also matches.
    """
    from pypinyin import Style, lazy_pinyin, pinyin  # a third of a second: when first needed

    simplified = _T2S.convert(unicodedata.normalize("NFKC", text))
    chars = [c for c in simplified if c.isalnum()]
    if not chars or not has_cjk(simplified):
        return ()
    keys = [normalize("".join(lazy_pinyin(chars)))]
    raw = pinyin(chars, style=Style.NORMAL, heteronym=True)
    readings = [r or [c] for r, c in zip(raw, chars, strict=True)]
    n = 1
    for r in readings:
        n *= len(r)
    if n <= _MAX_PINYIN_VARIANTS:
        for combo in itertools.product(*readings):
            key = normalize("".join(combo))
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two normalised keys (difflib ratio)."""
    return SequenceMatcher(None, a, b).ratio()


def rank_candidates(
    query: str, candidates: Iterable[tuple[str, str]], limit: int = 5
) -> list[tuple[str, float]]:
    """Rank ``(key, owner)`` pairs against ``query``; return the best owners with their scores.

    Chinese queries are compared both as characters and through their pinyin, so a homophone
    typo (宝定山 for 宝顶山) ranks the intended site first. A query longer than
    :data:`MAX_NAME_CHARS` ranks nothing.
    """
    if too_long(query):
        return []
    q = normalize(query)
    q_py = pinyin_keys(query)[:1] if has_cjk(query) else ()
    best: dict[str, float] = {}
    for key, owner in candidates:
        score = similarity(q, key) if q else 0.0
        for p in q_py:
            # pinyin agreement is strong evidence but never beats an exact character match
            score = max(score, 0.95 * similarity(p, key))
        if score > best.get(owner, -1.0):
            best[owner] = score
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(owner, score) for owner, score in ranked[:limit] if score > 0.3]
