"""Match catalog places on *segmented words*, never on raw substrings.

大足 inside 好大足够 is not Dazu: jieba (with the user dictionary) cuts 好大/足够, so no token
equals a place name. A :class:`PlaceMatcher` maps each user-dictionary word that names exactly
one catalog site to that site; names shared by several sites are ambiguous and match nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from nlp.lexicon import LexiconEntry
from nlp.textnorm import normalize_zh

__all__ = ["PlaceMatcher"]


class PlaceMatcher:
    """Token → catalog site id.

    Parameters
    ----------
    entries
        User-dictionary entries; those with a ``site_id`` are place names.

    Attributes
    ----------
    names_
        Unambiguous name → site id.
    ambiguous_
        Names claimed by more than one site, with their sites.
    """

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        owners: dict[str, set[str]] = defaultdict(set)
        for e in entries:
            if e.site_id:
                owners[e.word].add(e.site_id)
        self.names_ = {w: next(iter(s)) for w, s in owners.items() if len(s) == 1}
        self.ambiguous_ = {w: sorted(s) for w, s in owners.items() if len(s) > 1}
        self._resolved: dict[str, str | None] = {}  # place label → site id (labels repeat)
        self._arrays: tuple[pa.Array, np.ndarray, pa.Array] | None = None

    def match_tokens(self, tokens: Sequence[str]) -> list[str]:
        """Site ids named by the tokens, in order of first mention, without repeats."""
        names = self.names_
        return list(dict.fromkeys(names[t] for t in tokens if t in names))

    def resolve(self, name: str | None) -> str | None:
        """Site id of a place label (a whole name or alias after :func:`normalize_zh`)."""
        if not name:
            return None
        if name not in self._resolved:
            if len(self._resolved) >= 100_000:
                self._resolved.clear()
            self._resolved[name] = self.names_.get(normalize_zh(name, boilerplate=False))
        return self._resolved[name]

    def name_arrays(self) -> tuple[pa.Array, np.ndarray, pa.Array]:
        """The unambiguous names as arrays, for matching whole batches of words with Arrow:
        the names, each name's position in the site list, and the distinct site ids."""
        if self._arrays is None:
            code: dict[str, int] = {}
            at = [code.setdefault(site, len(code)) for site in self.names_.values()]
            self._arrays = (
                pa.array(list(self.names_), pa.string()),
                np.asarray(at, np.int64),
                pa.array(list(code), pa.string()),
            )
        return self._arrays
