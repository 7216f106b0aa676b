"""Word segmentation: a :class:`Segmenter` owning its own ``jieba.Tokenizer`` (no global jieba
state), and :func:`segment_corpus`, which streams a corpus through the run's engine: each
worker reads its slice of the corpus (:mod:`nlp.docslices`) and sends back a token batch as
Arrow buffers, filtering, counting and matching places once per distinct word of it.

``Segmenter.cut`` returns every word; ``Segmenter.tokens`` returns the content words: no
punctuation, numbers, stopwords or words shorter than ``min_token_chars`` (user-dictionary
words are always kept). Names stay whole there (大足石刻, 宝顶山摩崖造像), which is what place
matching needs. For keywords, topics and similarity, ``Segmenter.expand`` also emits the
user-dictionary words inside a compound (大足石刻 → 大足石刻, 大足, 石刻), like jieba's search
mode restricted to our dictionary; ``__call__`` is ``tokens`` + ``expand``, so the object is a
scikit-learn ``analyzer``. The optional ``rjieba`` backend (Rust port) loads the same user
dictionary; its agreement with jieba is measured by ``benchmarks/nlp.py``.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nlp.artifacts import atomic_path
from nlp.docslices import DocSlice
from nlp.engine import Engine, LocalEngine
from nlp.errors import ConfigError
from nlp.lexicon import read_userdict_entries
from nlp.places import PlaceMatcher

__all__ = ["TOKENS_SCHEMA", "Segmenter", "segment_corpus", "segment_texts"]

_KEEP = re.compile(r"[\w]", re.UNICODE)
_NUMERIC = re.compile(r"^[\d.,%:/\-+]+$|^[\d.]+[a-z%]{0,3}$")
_SPACE = re.compile(r"\s")
#: distinct words whose filter verdict a segmenter remembers (a few tens of MB at most)
_KNOWN_MAX = 500_000

TOKENS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("tokens", pa.list_(pa.string())),
        ("n_words", pa.int32()),
        ("sites", pa.list_(pa.string())),
        ("mentioned", pa.list_(pa.string())),
    ]
)

#: what the workers hand over: the tokens as indices into the batch's distinct kept words. The
#: Parquet writer then writes that dictionary as it is instead of hashing every word again, and
#: a batch pickles to 60 % of the bytes; the file is read back as :data:`TOKENS_SCHEMA`.
_TOKENS_BATCH_SCHEMA = TOKENS_SCHEMA.set(
    1, pa.field("tokens", pa.list_(pa.dictionary(pa.int32(), pa.string())))
)


class Segmenter:
    """Chinese word segmenter with a user dictionary and stopwords.

    Parameters
    ----------
    userdict
        jieba user dictionary file (``word [freq] [tag]`` lines) or ``None``.
    stopwords
        Words dropped by :meth:`tokens`.
    min_token_chars
        Shortest token kept by :meth:`tokens`, except user-dictionary words.
    backend
        ``"jieba"`` (default) or ``"rjieba"``.
    hmm
        Let jieba's HMM join unknown words.

    Examples
    --------
    >>> seg = Segmenter(stopwords=frozenset({"的"}))
    >>> seg.tokens("我们去了大足石刻")  # doctest: +SKIP
    ['我们', '大足', '石刻']
    """

    def __init__(
        self,
        userdict: str | Path | None = None,
        *,
        stopwords: frozenset[str] = frozenset(),
        min_token_chars: int = 2,
        backend: str = "jieba",
        hmm: bool = True,
    ) -> None:
        if backend not in {"jieba", "rjieba"}:
            raise ValueError(f"backend must be 'jieba' or 'rjieba', got {backend!r}")
        self.userdict = None if userdict is None else Path(userdict)
        # read here, not in the worker: the entries travel with the (pickled) segmenter, so
        # workers on other machines need no shared file system
        self._entries = read_userdict_entries(self.userdict) if self.userdict else []
        self.stopwords = stopwords
        self.min_token_chars = min_token_chars
        self.backend = backend
        self.hmm = hmm
        self._cut: Callable[[str], list[str]] | None = None
        self._protected: frozenset[str] = frozenset()
        self._parts: dict[str, tuple[str, ...]] = {}
        self._tok: Any = None
        self._known: _Verdicts | None = None

    # The tokenizer holds locks and a large trie: build it lazily, per process.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cut"] = None
        state["_tok"] = None
        state["_known"] = None
        return state

    @property
    def user_words(self) -> frozenset[str]:
        """Words of the user dictionary."""
        self._ensure()
        return self._protected

    @property
    def jieba_tokenizer(self) -> Any:
        """The owned ``jieba.Tokenizer`` (jieba backend only)."""
        self._ensure()
        if self._tok is None:
            raise ValueError("the rjieba backend has no jieba.Tokenizer")
        return self._tok

    def _ensure(self) -> Callable[[str], list[str]]:
        if self._cut is not None:
            return self._cut
        entries = self._entries
        if not self._protected:  # a segmenter built before pickling brings them along
            self._protected = frozenset(e[0] for e in entries)
            self._parts = _compound_parts(self._protected)
        if self.backend == "jieba":
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            self._tok = tok
            for word, freq, tag in entries:
                tok.add_word(word, freq, tag)
            hmm = self.hmm
            self._cut = lambda text: tok.lcut(text, HMM=hmm)
        else:
            try:
                import rjieba
            except ImportError:
                raise ConfigError(
                    "the rjieba segmenter is not installed (pip install rjieba, a dependency of "
                    "this package) — or choose the jieba backend (HERITAGE_NLP_SEGMENTER=jieba)"
                ) from None

            rtok = rjieba.Jieba()
            for word, freq, tag in entries:
                rtok.add_word(word, freq, tag)
            hmm = self.hmm
            self._cut = lambda text: rtok.cut(text, hmm)
        return self._cut

    def cut(self, text: str) -> list[str]:
        """All words of ``text`` (whitespace-only pieces removed)."""
        words = self._ensure()(text)
        if _SPACE.search(text) is None:  # no whitespace, no whitespace-only piece
            return words if isinstance(words, list) else list(words)
        return [w for w in words if not w.isspace()]

    def _keeps(self, w: str) -> bool:
        return w in self._protected or (
            len(w) >= self.min_token_chars
            and w not in self.stopwords
            and _KEEP.search(w) is not None
            and not _NUMERIC.match(w)
        )

    def filter(self, words: Sequence[str]) -> list[str]:
        """Keep the content words of a :meth:`cut` result (see the class docstring).

        Each distinct word is judged once and remembered (words repeat: on a large corpus
        this is a dictionary look-up per word instead of two regular expressions)."""
        known = self._verdict_cache()
        return [w for w in words if known[w]]

    def _verdict_cache(self) -> _Verdicts:
        """The remembered filter verdicts (built on first use, per process)."""
        if self._known is None:
            self._ensure()
            self._known = _Verdicts(self._keeps)
        return self._known

    def verdicts(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """For distinct ``words``: kept by :meth:`filter` (bool array), and whitespace-only
        (pieces :meth:`cut` leaves out)."""
        known = self._verdict_cache()
        n = len(words)
        keep = np.fromiter(map(known.__getitem__, words), bool, n)  # __missing__ judges
        space = np.fromiter(map(str.isspace, words), bool, n)
        return keep & ~space, space

    def tokens(self, text: str) -> list[str]:
        """Content words of ``text``."""
        return self.filter(self.cut(text))

    def expand(self, tokens: Sequence[str]) -> list[str]:
        """Add, after each compound user-dictionary word, the user words it contains."""
        self._ensure()
        parts = self._parts
        out: list[str] = []
        for t in tokens:
            out.append(t)
            sub = parts.get(t)
            if sub:
                out.extend(sub)
        return out

    def __call__(self, text: str) -> list[str]:
        """Analysis tokens: :meth:`tokens` then :meth:`expand` (a scikit-learn analyzer)."""
        return self.expand(self.tokens(text))


class _Verdicts(dict[str, bool]):
    """Word → kept by the filter, computed on first sight (up to ``_KNOWN_MAX`` words)."""

    def __init__(self, judge: Callable[[str], bool]) -> None:
        super().__init__()
        self.judge = judge

    def __missing__(self, word: str) -> bool:
        keep = self.judge(word)
        if len(self) < _KNOWN_MAX:
            self[word] = keep
        return keep


def _compound_parts(words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Map each user word to the other user words (≥ 2 chars) it contains, in text order."""
    out: dict[str, tuple[str, ...]] = {}
    candidates = sorted((w for w in words if len(w) >= 2), key=len)
    for w in words:
        if len(w) < 3:
            continue
        found = [(w.find(u), u) for u in candidates if len(u) < len(w) and u in w]
        if found:
            out[w] = tuple(u for _, u in sorted(found))
    return out


# --------------------------------------------------------------------------- parallel corpus


def _segment_chunk(seg: Segmenter, texts: list[str]) -> list[tuple[list[str], int]]:
    out = []
    for text in texts:
        words = seg.cut(text)
        out.append((seg.filter(words), len(words)))
    return out


def segment_texts(
    chunks: Iterator[list[str]],
    seg: Segmenter,
    *,
    workers: int = 1,
    engine: Engine | None = None,
) -> Iterator[list[tuple[list[str], int]]]:
    """Segment chunks of texts in order, in ``workers`` processes, with bounded memory.

    Parameters
    ----------
    chunks
        Lists of texts (pulled lazily).
    seg
        The segmenter (copied to each worker, which builds its own tokenizer once).
    workers
        Processes; ``1`` segments in this process.
    engine
        Where to run (:mod:`nlp.engine`); default: a :class:`~nlp.engine.LocalEngine` of
        ``workers``.

    Yields
    ------
    list[tuple[list[str], int]]
        Per text: content tokens and the number of words before filtering.
    """
    return (engine or LocalEngine(workers)).map(_segment_chunk, seg, chunks)


@dataclass(frozen=True)
class _BatchState:
    """What a worker needs to segment record batches (pickled once per worker)."""

    seg: Segmenter
    matcher: PlaceMatcher | None


def _segment_batch(state: _BatchState, batch: pa.RecordBatch | DocSlice) -> pa.RecordBatch:
    """Segment one corpus batch (``doc_id``, ``text``, ``place``), or a slice of the corpus the
    worker reads itself (:mod:`nlp.docslices`), into a :data:`_TOKENS_BATCH_SCHEMA` batch, in the
    worker: only the slice's description, or Arrow buffers, cross between processes.

    Per document this does nothing but the cut itself; filtering, word counts and place
    matching are decided once per distinct word of the batch and applied with array
    operations (the same results as :meth:`Segmenter.tokens` and
    :meth:`PlaceMatcher.match_tokens` document by document)."""
    if isinstance(batch, DocSlice):
        table = batch.table().combine_chunks()
        batch = (
            table.to_batches()[0]
            if table.num_rows
            else pa.RecordBatch.from_pylist([], schema=table.schema)
        )
    with _gc_paused():
        return _segment_batch_now(state, batch)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a batch keeps tens of thousands of word lists alive
    (none in a cycle), and collections triggered by their allocation scan them again and again.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: joins a batch's texts for one cut call; no word contains it, and jieba cuts the text on
#: both sides of any non-word character the same as if it were the end of the text
_SEP = "\x00"
#: joins the words of a cut (it is in no text either), to find where they end in the text's bytes
_WORD_SEP = "\x01"
#: texts per cut call: one call instead of one per text, and no per-text word lists to chain
#: (1.5 µs of 16 per document); longer joins lose again to the one long result list
_JOIN = 64


@dataclass(frozen=True)
class _Words:
    """Every word of a batch's texts in text order, dictionary-encoded (``encoded``); text *i*
    has the words at positions ``[starts[i], ends[i])``. Between two texts there is at most one
    other word, the separator (dictionary code ``sep``; ``-1``: the texts were cut one by one)."""

    encoded: pa.DictionaryArray
    starts: np.ndarray
    ends: np.ndarray
    sep: int


def _cut_flat(cut: Callable[[str], list[str]], column: pa.Array) -> _Words:
    """All words of the texts of ``column`` (a string array), dictionary-encoded in one Arrow
    array.

    The texts are cut in runs of :data:`_JOIN` joined by :data:`_SEP`; a separator word then
    marks where a text ends (found among the distinct words, not by comparing every word).
    The words are not converted to Arrow one by one (a UTF-8 encoding of each, a third of
    the cut's own time), nor the texts to Python one by one: the column's UTF-8 bytes with a
    separator byte between texts (:func:`_joined_utf8`) are decoded a run at a time, and a
    run's words, joined by :data:`_WORD_SEP` and encoded in one call, show where each word
    ends in those same bytes (:func:`_word_array`). Texts that hold either separator
    themselves, or a cut that does not return its text's pieces with one separator per
    boundary, are cut one by one and converted (same words)."""
    n = len(column)
    joined = _joined_utf8(column) if n else None
    if joined is not None:
        data, starts = joined
        pieces: list[bytes] = []
        for i in range(0, n, _JOIN):
            if i:
                pieces.append(_SEP.encode())  # the separator between two runs
            stop = min(i + _JOIN, n)
            # the run's texts and the separators between them
            words = cut(str(data[starts[i] : starts[stop] - 1], "utf-8"))
            if words:
                pieces.append(_WORD_SEP.join(words).encode())
            del words  # freed before the next run's are made: a few hundred kB of hot memory
        flat = _word_array(data, _WORD_SEP.encode().join(pieces))
        if flat is not None:
            encoded = flat.dictionary_encode()
            sep_code = pc.index(encoded.dictionary, _SEP).as_py()
            idx = encoded.indices.to_numpy(zero_copy_only=False)
            sep = np.flatnonzero(idx == sep_code)
            if len(sep) == n - 1:
                return _Words(encoded, np.append(0, sep + 1), np.append(sep, len(idx)), sep_code)
    per_text = [cut(t or "") for t in column.to_pylist()]
    ends = np.cumsum(np.fromiter(map(len, per_text), np.int64, n))
    flat = pa.array(list(itertools.chain.from_iterable(per_text)), pa.string())
    return _Words(flat.dictionary_encode(), np.append(0, ends[:-1]), ends, -1)


def _joined_utf8(column: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The UTF-8 bytes of ``_SEP.join(texts)`` for a string array without nulls, made from its
    own bytes, and the position of each text in them (text *i* is ``[starts[i], starts[i + 1]
    - 1)``: the last entry is one byte past the end); ``None`` for another type, nulls, or a
    text that holds :data:`_SEP` or :data:`_WORD_SEP` itself."""
    if column.type != pa.string() or column.null_count:
        return None
    _, off_buf, data_buf = column.buffers()
    off = np.frombuffer(off_buf, np.int32)[column.offset : column.offset + len(column) + 1]
    data = np.frombuffer(data_buf or b"", np.uint8)[off[0] : off[-1]]
    if len(data) + len(off) > np.iinfo(np.int32).max or not (data > 1).all():
        return None  # too large for 32-bit offsets, or a 0 or 1 byte: a separator in a text
    pos = (off - off[0]).astype(np.intp)
    # one 0 byte (_SEP in UTF-8) before every text but the first
    return np.insert(data, pos[1:-1], 0), pos + np.arange(len(pos))


def _word_array(data: np.ndarray, joined: bytes) -> pa.StringArray | None:
    """The words that tile the UTF-8 text ``data``, as a string array over those bytes, from
    ``joined``: their UTF-8 in order, joined by :data:`_WORD_SEP`; ``None`` when they are not
    as many bytes as the text, or a word would start inside a character.

    A cut returns the pieces of its text (jieba's and rjieba's do), so only their ends are
    read from ``joined``: comparing every byte as well cost as much as the rest."""
    marks = np.flatnonzero(np.frombuffer(joined, np.uint8) == ord(_WORD_SEP))
    if len(joined) - len(marks) != len(data):
        return None
    if not joined:
        return pa.array([], pa.string())
    # word k ends where the k-th mark is, less the k marks before it
    bounds = np.empty(len(marks) + 2, np.int32)
    bounds[0], bounds[-1] = 0, len(data)
    np.subtract(marks, np.arange(len(marks)), out=bounds[1:-1], casting="unsafe")
    # every character starts with a byte that is not a UTF-8 continuation byte (10xxxxxx)
    inner = bounds[1:-1]
    if (data[inner[inner < len(data)]] & 0xC0 == 0x80).any():
        return None
    return pa.StringArray.from_buffers(len(marks) + 1, pa.py_buffer(bounds), pa.py_buffer(data))


def _list_array(offsets_of: np.ndarray, values: pa.Array) -> pa.ListArray:
    """A list array of ``len(offsets_of)`` rows, row *i* holding ``offsets_of[i]`` values."""
    offsets = np.zeros(len(offsets_of) + 1, np.int32)
    np.cumsum(offsets_of, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _segment_batch_now(state: _BatchState, batch: pa.RecordBatch) -> pa.RecordBatch:
    seg, matcher = state.seg, state.matcher
    n = batch.num_rows
    flat = _cut_flat(seg._ensure(), batch.column("text"))
    words = flat.encoded.dictionary
    idx = flat.encoded.indices.to_numpy(zero_copy_only=False)
    keep_d, space_d = seg.verdicts(words.to_pylist())
    if flat.sep >= 0:
        keep_d[flat.sep] = False
    # words per text, whitespace-only pieces left out (texts without whitespace have none)
    n_words = flat.ends - flat.starts
    if space_d.any():
        spaces = np.flatnonzero(space_d[idx])
        n_words -= np.bincount(np.searchsorted(flat.ends, spaces, side="right"), minlength=n)
    at = np.flatnonzero(keep_d[idx])  # the kept words' positions
    kept_idx = idx[at]
    # a text's tokens start after the kept words before its first word (none between texts)
    offsets = np.searchsorted(at, np.append(flat.starts, len(idx))).astype(np.int32)
    used = np.zeros(len(words), bool)
    used[kept_idx] = True  # the distinct words that are kept, and each one's code among them
    code = np.cumsum(used, dtype=np.int32) - 1
    kept = pa.DictionaryArray.from_arrays(pa.array(code[kept_idx]), words.filter(pa.array(used)))
    tokens = pa.ListArray.from_arrays(pa.array(offsets), kept)
    if matcher is None:
        no_sites = _list_array(np.zeros(n, np.int64), pa.array([], pa.string()))
        sites, mentioned = no_sites, no_sites
    else:
        sites, mentioned = _site_lists(matcher, batch, words, kept_idx, offsets)
    return pa.RecordBatch.from_arrays(
        [batch.column("doc_id"), tokens, pa.array(n_words, pa.int32()), sites, mentioned],
        schema=_TOKENS_BATCH_SCHEMA,
    )


def _site_lists(
    matcher: PlaceMatcher,
    batch: pa.RecordBatch,
    words: pa.Array,
    kept_idx: np.ndarray,
    offsets: np.ndarray,
) -> tuple[pa.ListArray, pa.ListArray]:
    """``sites`` and ``mentioned`` of a batch (see :func:`segment_corpus`), with array
    operations: the sites its kept words name, in order of first mention without repeats;
    and the site of each document's place label when it resolves, none when the label does
    not, the mentioned ones for unlabelled documents. ``words`` are the batch's distinct
    words, ``kept_idx`` each kept word's position among them, in order, and document *i*'s
    kept words are ``kept_idx[offsets[i]:offsets[i + 1]]``."""
    n = batch.num_rows
    names, site_at, site_ids = matcher.name_arrays()
    found = pc.index_in(words, value_set=names).fill_null(-1).to_numpy(zero_copy_only=False)
    site_d = np.full(len(words), -1, np.int64)
    named = found >= 0
    site_d[named] = site_at[found[named]]
    hits = np.flatnonzero(named[kept_idx])
    m_doc = np.searchsorted(offsets, hits, side="right") - 1
    m_site = site_d[kept_idx[hits]]
    # first mention of each (document, site): positions grow with the document, so sorting
    # the first positions keeps documents in order and mentions in text order
    _, first = np.unique(m_doc * max(len(site_ids), 1) + m_site, return_index=True)
    first.sort()
    m_doc, m_site = m_doc[first], m_site[first]
    mentioned = _list_array(np.bincount(m_doc, minlength=n), site_ids.take(m_site))
    places = batch.column("place").cast(pa.string()).dictionary_encode()
    labels = places.dictionary.to_pylist()
    # a label resolves to a site that some name names (PlaceMatcher.resolve)
    resolved = pa.array([matcher.resolve(x) for x in labels], pa.string())
    own_d = pc.index_in(resolved, value_set=site_ids).fill_null(-1).to_numpy(zero_copy_only=False)
    place_idx = places.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    labelled = place_idx >= 0
    labelled[labelled] = np.fromiter(map(bool, labels), bool, len(labels))[place_idx[labelled]]
    own = np.full(n, -1, np.int64)
    own[labelled] = own_d[place_idx[labelled]]
    from_mentions = ~labelled[m_doc]
    s_doc = np.concatenate((np.flatnonzero(own >= 0), m_doc[from_mentions]))
    s_site = np.concatenate((own[own >= 0], m_site[from_mentions]))
    order = np.argsort(s_doc, kind="stable")  # a document has its own site or mentions
    sites = _list_array(np.bincount(s_doc, minlength=n), site_ids.take(s_site[order]))
    return sites, mentioned


def segment_corpus(
    batches: Iterable[pa.RecordBatch | DocSlice],
    out_path: str | Path,
    seg: Segmenter,
    *,
    matcher: PlaceMatcher | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    engine: Engine | None = None,
) -> int:
    """Segment a stream of corpus batches into a tokens Parquet file (same row order).

    Parameters
    ----------
    batches
        Record batches with ``doc_id``, ``text`` and ``place`` columns, or slices of a corpus
        reading them (:func:`nlp.docslices.plan_slices`): each worker then reads its slice,
        and every slice becomes one row group of the output.
    out_path
        Parquet file written atomically with :data:`TOKENS_SCHEMA`: ``tokens`` (content words),
        ``n_words``, ``mentioned`` (sites named by the tokens) and ``sites`` (the site of the
        ``place`` field when it resolves; none when the document has an unresolved place label;
        else the mentioned sites).
    seg
        The segmenter.
    matcher
        Place matcher; without it ``sites`` and ``mentioned`` are empty.
    workers
        Processes.
    progress
        Called with the number of documents finished in each chunk.
    engine
        Where to run (default: a local pool of ``workers``).

    Returns
    -------
    int
        Documents segmented.
    """
    state = _BatchState(seg, matcher)
    total = 0
    with atomic_path(out_path) as tmp:
        # min/max statistics of the word lists are never used (readers take whole row groups)
        # and were 40 % of the writing, in this process, while the workers segment
        # the batches' dictionary-typed tokens are written as plain strings, and the file
        # keeps no Arrow schema that would have readers decode them as dictionaries
        writer = pq.ParquetWriter(
            tmp,
            _TOKENS_BATCH_SCHEMA,
            write_statistics=["doc_id", "n_words"],
            store_schema=False,
        )
        try:
            run = engine or LocalEngine(workers)
            for result in run.map(_segment_batch, state, batches):
                writer.write_batch(result)
                total += result.num_rows
                if progress:
                    progress(result.num_rows)
        finally:
            writer.close()
    return total
