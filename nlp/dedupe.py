"""Exact and near-duplicate detection for streamed documents.

Exact duplicates share a *content key*: the SHA-1 of the normalised text for texts of at least
``exact_min_chars`` characters; shorter texts ("很好", "不错") are common to many genuine
reviewers, so their key also covers author, date and place and only true re-posts of the same
record collide.

Near duplicates (reposts with a short comment, copies with changed punctuation) are found with
MinHash over character 3-gram shingles and locality-sensitive hashing: ``bands`` × ``rows``
signature values form band keys; a document sharing any band key with a kept document is compared
on the whole signature and is a near duplicate when the estimated Jaccard similarity reaches the
threshold. Hash functions are seeded, so results do not depend on the process.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

__all__ = ["MinHashIndex", "MinHasher", "content_key"]

_PRIME = np.uint64(4294967311)  # smallest prime above 2**32
_STRIP = re.compile(r"[\s\W_]+")


def content_key(
    text: str,
    *,
    author: str | None = None,
    date: str | None = None,
    place: str | None = None,
    exact_min_chars: int = 20,
) -> str:
    """Return the exact-duplicate key of a normalised document (40 hex digits).

    Parameters
    ----------
    text
        Normalised text.
    author, date, place
        Record metadata, used only for texts shorter than ``exact_min_chars``.
    exact_min_chars
        Length from which the text alone identifies the document.

    Returns
    -------
    str
    """
    payload = text
    if len(text) < exact_min_chars:
        payload = "\x1f".join((text, author or "", date or "", place or ""))
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


class _KeyTable:
    """``uint64 key → first int value`` for millions of keys: sorted numpy arrays (12 bytes
    per entry) plus a small dict of recent inserts merged into them in batches.

    A Python ``dict`` of int keys costs about 110 bytes per entry; the LSH tables hold
    ``bands`` entries per kept document, so this is where an index's memory goes.
    """

    def __init__(self, merge_at: int = 1 << 16) -> None:
        self._keys = np.empty(0, dtype=np.uint64)
        self._vals = np.empty(0, dtype=np.int32)
        self._recent: dict[int, int] = {}
        self._merge_at = merge_at

    def __len__(self) -> int:
        return len(self._keys) + len(self._recent)

    def get_many(self, keys: np.ndarray) -> list[int | None]:
        """The value of each key, or ``None``."""
        pos = np.searchsorted(self._keys, keys)
        found = pos < len(self._keys)
        found[found] = self._keys[pos[found]] == keys[found]
        out: list[int | None] = []
        for k, hit, p in zip(keys.tolist(), found.tolist(), pos.tolist(), strict=True):
            out.append(int(self._vals[p]) if hit else self._recent.get(k))
        return out

    def add_many(self, keys: np.ndarray, value: int, found: list[int | None] | None = None) -> None:
        """Map each key not yet present to ``value`` (the first value is kept); ``found``:
        :meth:`get_many` of these keys, when just computed."""
        found = self.get_many(keys) if found is None else found
        for k, v in zip(keys.tolist(), found, strict=True):
            if v is None:
                self._recent[k] = value
        if len(self._recent) >= self._merge_at:
            self._merge()

    def _merge(self) -> None:
        k = np.fromiter(self._recent.keys(), dtype=np.uint64, count=len(self._recent))
        v = np.fromiter(self._recent.values(), dtype=np.int32, count=len(self._recent))
        order = np.argsort(k)
        k, v = k[order], v[order]
        at = np.searchsorted(self._keys, k)
        self._keys = np.insert(self._keys, at, k)
        self._vals = np.insert(self._vals, at, v)
        self._recent.clear()


class MinHasher:
    """The signature half of a :class:`MinHashIndex`: small and picklable, so signatures can
    be computed in worker processes (the index itself stays in one process).

    Parameters
    ----------
    rng
        Generator the hash permutations and band multipliers are drawn from (the index's
        seeded one).
    num_perm, bands, rows, shingle, min_chars
        As in :class:`MinHashIndex`.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        *,
        num_perm: int,
        bands: int,
        rows: int,
        shingle: int,
        min_chars: int,
    ) -> None:
        self.bands = bands
        self.rows = rows
        self.shingle = shingle
        self.min_chars = min_chars
        self._a = rng.integers(1, int(_PRIME), size=(num_perm, 1), dtype=np.uint64)
        self._b = rng.integers(0, int(_PRIME), size=(num_perm, 1), dtype=np.uint64)
        # one table for all bands: a band's key mixes its rows with its own multipliers
        self._mix = rng.integers(1, 2**63, size=(bands, rows), dtype=np.uint64) | np.uint64(1)

    def signature(self, text: str) -> np.ndarray | None:
        """Return the MinHash signature (``uint32[num_perm]``) of a text, or ``None`` if short."""
        core = _STRIP.sub("", text)
        if len(core) < max(self.min_chars, self.shingle):
            return None
        codes = np.frombuffer(core.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        k = self.shingle
        h = np.zeros(len(codes) - k + 1, dtype=np.uint64)
        for i in range(k):  # polynomial rolling combination of k code points, mod 2**64
            h = h * np.uint64(1_000_003) + codes[i : len(codes) - k + 1 + i]
        h = np.unique(h & np.uint64(0xFFFFFFFF))
        perm = (self._a * h[None, :] + self._b) % _PRIME
        return (perm.min(axis=1) & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    def band_keys(self, sig: np.ndarray) -> np.ndarray:
        """One 64-bit key per band (rows mixed by seeded odd multipliers, then avalanched).

        Equal bands give equal keys; a rare collision of different bands only adds a candidate,
        which the full-signature comparison then rejects.
        """
        bands = sig[: self.bands * self.rows].reshape(self.bands, self.rows).astype(np.uint64)
        h = (bands * self._mix).sum(axis=1, dtype=np.uint64)
        h ^= h >> np.uint64(33)
        h = (h * np.uint64(0xFF51AFD7ED558CCD)) & _MASK64
        h ^= h >> np.uint64(33)
        return h


class MinHashIndex:
    """Streaming near-duplicate index (MinHash + LSH).

    Parameters
    ----------
    threshold
        Estimated Jaccard similarity at or above which a document is a near duplicate.
    num_perm
        Signature length.
    bands, rows
        LSH banding; ``bands * rows`` must not exceed ``num_perm``.
    shingle
        Character n-gram length (after removing whitespace and punctuation).
    min_chars
        Texts with fewer comparable characters get no signature (never near duplicates).
    seed
        Seed of the hash permutations.

    Attributes
    ----------
    ids_
        Ids of the indexed documents, in insertion order.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.8,
        num_perm: int = 64,
        bands: int = 10,
        rows: int = 5,
        shingle: int = 3,
        min_chars: int = 20,
        seed: int = 1,
    ) -> None:
        if bands * rows > num_perm:
            raise ValueError(f"bands*rows ({bands * rows}) exceeds num_perm ({num_perm})")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self.num_perm = num_perm
        self.bands = bands
        self.rows = rows
        self.shingle = shingle
        self.min_chars = min_chars
        rng = np.random.default_rng(seed)
        self.hasher = MinHasher(
            rng, num_perm=num_perm, bands=bands, rows=rows, shingle=shingle, min_chars=min_chars
        )
        self._table = _KeyTable()
        self._sigs = np.empty((1024, num_perm), dtype=np.uint32)
        self.ids_: list[str] = []

    def signature(self, text: str) -> np.ndarray | None:
        """Return the MinHash signature (``uint32[num_perm]``) of a text, or ``None`` if short."""
        return self.hasher.signature(text)

    def lookup(self, keys: np.ndarray) -> list[int | None]:
        """The indexed document each band key points to (``None``: no document)."""
        return self._table.get_many(keys)

    def query(
        self,
        sig: np.ndarray | None,
        *,
        keys: np.ndarray | None = None,
        found: list[int | None] | None = None,
    ) -> tuple[str, float] | None:
        """Return ``(id, estimated_jaccard)`` of the most similar indexed near duplicate.

        ``keys`` (:meth:`MinHasher.band_keys` of ``sig``) and ``found`` (:meth:`lookup` of
        them) save computing them again when the caller has them.
        """
        if sig is None or not self.ids_:
            return None
        if found is None:
            found = self._table.get_many(self.hasher.band_keys(sig) if keys is None else keys)
        candidates = {i for i in found if i is not None}
        best: tuple[str, float] | None = None
        for idx in candidates:
            est = float(np.mean(self._sigs[idx] == sig))
            if est >= self.threshold and (best is None or est > best[1]):
                best = (self.ids_[idx], est)
        return best

    def add(
        self,
        doc_id: str,
        sig: np.ndarray | None,
        *,
        keys: np.ndarray | None = None,
        found: list[int | None] | None = None,
    ) -> None:
        """Index a kept document (documents without a signature are ignored); ``keys`` and
        ``found`` as in :meth:`query`, when nothing was added since."""
        if sig is None:
            return
        idx = len(self.ids_)
        if idx == len(self._sigs):
            self._sigs = np.concatenate([self._sigs, np.empty_like(self._sigs)])
        self._sigs[idx] = sig
        self.ids_.append(doc_id)
        keys = self.hasher.band_keys(sig) if keys is None else keys
        self._table.add_many(keys, idx, found)
