"""Personal data in review exports: masked at ingest, author handles keyed-hashed.

Masks (applied after :func:`nlp.textnorm.normalize_zh`, so digits are half-width):

========  ================================================================  ===========
kind      pattern                                                           replacement
========  ================================================================  ===========
id_card   mainland resident ID (17 digits + digit/X, plausible birth date)  ``[身份证]``
phone     mobile ``1[3-9]x xxxx xxxx`` (separators allowed, ``+86``) and     ``[电话]``
          landline ``0xx(x)-xxxxxxx(x)``
email     ``name@domain.tld``                                               ``[邮箱]``
profile   profile links and user ids: ``weibo.com/u/…``, ``/people/…``,      ``[用户]``
          ``/member/…``, ``/u/…``, ``uid=…``, ``userid=…``, ``uid:…``
========  ================================================================  ===========

``author_hash`` is an HMAC-SHA256 of the handle (a pseudonym, not anonymisation). The key is the
user's ``HERITAGE_NLP_AUTHOR_KEY`` when set. Otherwise it is random: for a corpus folder that
``heritage nlp ingest`` extends, one 32-byte key per corpus kept in ``<key_dir>/<corpus id>.key``
(mode 0600, outside the artifacts) so later ingests give the same pseudonyms; for the pipeline's
corpus artifact, built in one go, a key held in memory for that build only. Either way nobody
holding only the artifacts can recompute a pseudonym from a handle.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections import Counter
from pathlib import Path

__all__ = ["MASKS", "AuthorHasher", "mask_pii", "mask_url"]

_ID_CARD = re.compile(
    r"(?<![0-9a-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9x]"
    r"(?![0-9a-z])",
    re.IGNORECASE,
)
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0\d{2,3}[\s-]\d{7,8}(?![0-9])")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE)
_PROFILE = re.compile(
    r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}/(?:u|people|member|user|users|home|space|profile)"
    r"/[a-z0-9_\-]+[^\s]*"
    r"|(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*?(?:uid|userid|user_id)=[a-z0-9_\-]+\S*"
    r"|\b(?:uid|userid|user_id)\s*[:=:]\s*[a-z0-9_\-]{4,}",
    re.IGNORECASE,
)

#: (kind, pattern, replacement), applied in this order
MASKS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("profile", _PROFILE, "[用户]"),
    ("email", _EMAIL, "[邮箱]"),
    ("id_card", _ID_CARD, "[身份证]"),
    ("phone", _MOBILE, "[电话]"),
    ("phone", _LANDLINE, "[电话]"),
)


def mask_pii(text: str, counts: Counter[str] | None = None) -> str:
    """Replace phone numbers, e-mails, ID-card numbers and profile links/ids in ``text``.

    Parameters
    ----------
    text
        Normalised text.
    counts
        Incremented per kind masked (for the ingest report).

    Examples
    --------
    >>> mask_pii("电话13812345678,邮箱a.b@qq.com")
    '电话[电话],邮箱[邮箱]'
    """
    for kind, pattern, repl in MASKS:
        text, n = pattern.subn(repl, text)
        if n and counts is not None:
            counts[kind] += n
    return text


def mask_url(url: str | None, counts: Counter[str] | None = None) -> str | None:
    """A ``url`` cell with personal parts masked: a profile link becomes ``[用户]``."""
    if not url:
        return url
    return mask_pii(url, counts)


class AuthorHasher:
    """Keyed pseudonyms for author handles: HMAC-SHA256 with a secret key.

    Build one with :meth:`for_corpus` (a persistent corpus folder that later ingests extend) or
    :meth:`ephemeral` (a corpus built in one go, such as the pipeline's corpus artifact: the
    key lives only in memory, so nobody can recompute the pseudonyms afterwards).
    """

    def __init__(self, key: bytes, origin: str) -> None:
        self.key = key
        self.origin = origin

    @classmethod
    def for_corpus(cls, corpus_id: str, key_dir: Path, user_key: str | None = None) -> AuthorHasher:
        """The user's key, else the corpus's random key from ``<key_dir>/<corpus_id>.key``
        (created with mode 0600 on first use)."""
        if user_key:
            return cls(user_key.encode(), "user key (HERITAGE_NLP_AUTHOR_KEY)")
        key = _corpus_key(Path(key_dir) / f"{corpus_id}.key")
        return cls(key, "per-corpus random key (kept outside the artifacts)")

    @classmethod
    def ephemeral(cls, user_key: str | None = None) -> AuthorHasher:
        """The user's key, else a random key held in memory only."""
        if user_key:
            return cls(user_key.encode(), "user key (HERITAGE_NLP_AUTHOR_KEY)")
        return cls(secrets.token_bytes(32), "random key of this build (not stored)")

    def __call__(self, author: object) -> str | None:
        """16 hex characters of HMAC-SHA256(key, handle); ``None`` for an empty handle."""
        if author is None or str(author).strip() == "":
            return None
        handle = str(author).strip().encode()
        return hmac.new(self.key, handle, hashlib.sha256).hexdigest()[:16]


def _corpus_key(path: Path) -> bytes:
    """Read or create (atomically, 0600) a 32-byte random key."""
    if path.is_file():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
    try:
        os.link(tmp, path)  # never overwrite a key another process created first
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    finally:
        tmp.unlink(missing_ok=True)
    return key
