"""Lexicons: the jieba user dictionary (generated from the catalog), stopwords, place names.

The user dictionary is *generated*, never edited by hand: :func:`build_userdict_entries` takes
the catalog's site names and aliases, county names, heritage items and foods
(``data/catalog/heritage_items.csv``) and the curated ``data/lexicon/domain_terms.txt``, and
:func:`write_userdict` writes them in jieba's format (``word tag``, no frequency, so jieba
suggests one that keeps the word whole).

Stopwords are the maintained ``stopwordsiso`` Chinese list plus our
``data/lexicon/stopwords_domain.txt`` (platform boilerplate); user-dictionary words are never
stopwords.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.artifacts import atomic_write_text
from nlp.config import NlpConfig
from nlp.errors import LexiconError
from nlp.textnorm import normalize_zh

__all__ = [
    "LexiconEntry",
    "build_userdict_entries",
    "catalog_entries",
    "heritage_entries",
    "load_domain_terms",
    "load_stopwords",
    "read_userdict",
    "read_userdict_entries",
    "write_userdict",
]

# jieba's default mode only matches words made of these characters
_JIEBA_WORD = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_CJK = re.compile(r"[\u4E00-\u9FD5]")
_TAG = re.compile(r"^[a-z]{1,4}$")
_COUNTY_SUFFIX = re.compile(r"(?<=..)(区|县|市)$")


@dataclass(frozen=True)
class LexiconEntry:
    """One user-dictionary word.

    Parameters
    ----------
    word
        The normalised word.
    tag
        jieba POS tag (``ns`` place, ``nz`` other proper noun, ``n`` noun …).
    site_id
        Catalog site the word names, if any (used for place matching).
    origin
        Where the word came from (``sites.csv``, ``heritage_items.csv``, ``domain_terms.txt``).
    """

    word: str
    tag: str
    site_id: str | None = None
    origin: str = ""


def _pieces(name: str) -> list[str]:
    """Split a name into jieba-matchable pieces with a Chinese character and ≥ 2 chars."""
    text = normalize_zh(name, boilerplate=False)
    return [p for p in _JIEBA_WORD.findall(text) if len(p) >= 2 and _CJK.search(p)]


def catalog_entries(catalog: Any) -> list[LexiconEntry]:
    """Entries for every site name, alias and county of a catalog.

    Parameters
    ----------
    catalog
        Object with ``.sites`` mapping id → site having ``name_zh``, ``aliases`` and ``county``
        (a :class:`kg.catalog.Catalog`).

    Returns
    -------
    list[LexiconEntry]
    """
    out: list[LexiconEntry] = []
    for site_id, site in catalog.sites.items():
        for name in (site.name_zh, *site.aliases):
            pieces = _pieces(name)
            # only a name that is one word identifies the site ("安岳石刻·圆觉洞景区" does not
            # make 安岳石刻 a name of 圆觉洞); the pieces still enter the dictionary
            owner = site_id if len(pieces) == 1 else None
            out += [LexiconEntry(p, "ns", owner, "sites.csv") for p in pieces]
        for county in re.split(r"[;；]", getattr(site, "county", "") or ""):
            for piece in _pieces(county):
                out.append(LexiconEntry(piece, "ns", None, "sites.csv:county"))
                short = _COUNTY_SUFFIX.sub("", piece)
                if short != piece:
                    out.append(LexiconEntry(short, "ns", None, "sites.csv:county"))
    return out


def heritage_entries(path: str | Path) -> list[LexiconEntry]:
    """Entries for heritage items and foods (``name_zh`` and ``;``-separated ``aliases``).

    Raises
    ------
    LexiconError
        If the file lacks a ``name_zh`` column.
    """
    path = Path(path)
    out: list[LexiconEntry] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if "name_zh" not in (reader.fieldnames or []):
            raise LexiconError(f"{path}: no name_zh column; columns: {reader.fieldnames}")
        for row in reader:
            for name in [row["name_zh"], *re.split(r"[;；]", row.get("aliases") or "")]:
                out += [LexiconEntry(p, "nz", None, path.name) for p in _pieces(name)]
    return out


def load_domain_terms(path: str | Path) -> list[LexiconEntry]:
    """Read ``domain_terms.txt`` (``word [tag]`` per line, ``#`` comments).

    Raises
    ------
    LexiconError
        On a line with more than two fields or a bad tag (file and line named).
    """
    path = Path(path)
    out: list[LexiconEntry] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2 or (len(parts) == 2 and not _TAG.match(parts[1])):
            raise LexiconError(f"{path}, line {lineno}: expected 'word [tag]', got {line!r}")
        pieces = _pieces(parts[0])
        if pieces != [normalize_zh(parts[0], boilerplate=False)]:
            raise LexiconError(f"{path}, line {lineno}: {parts[0]!r} is not a single jieba word")
        out.append(LexiconEntry(pieces[0], parts[1] if len(parts) == 2 else "n", None, path.name))
    return out


def build_userdict_entries(
    *, catalog: Any | None, heritage_csv: str | Path | None, domain_terms: str | Path | None
) -> list[LexiconEntry]:
    """Merge all sources into one entry per word (first source wins; site ids kept).

    Parameters
    ----------
    catalog
        A catalog (see :func:`catalog_entries`) or ``None``.
    heritage_csv
        ``heritage_items.csv`` or ``None``.
    domain_terms
        ``domain_terms.txt`` or ``None``.

    Returns
    -------
    list[LexiconEntry]
        Sorted by word.
    """
    entries: list[LexiconEntry] = []
    if catalog is not None:
        entries += catalog_entries(catalog)
    if heritage_csv is not None and Path(heritage_csv).is_file():
        entries += heritage_entries(heritage_csv)
    if domain_terms is not None:
        entries += load_domain_terms(domain_terms)
    merged: dict[str, LexiconEntry] = {}
    for e in entries:
        prev = merged.get(e.word)
        if prev is None or (prev.site_id is None and e.site_id is not None):
            merged[e.word] = e
    return sorted(merged.values(), key=lambda e: e.word)


def write_userdict(path: str | Path, entries: Sequence[LexiconEntry]) -> None:
    """Write a jieba user dictionary (``word tag`` lines, UTF-8) atomically."""
    atomic_write_text(path, "".join(f"{e.word} {e.tag}\n" for e in entries))


def read_userdict(path: str | Path) -> list[str]:
    """Words of a user dictionary file."""
    return [word for word, _, _ in read_userdict_entries(path)]


def read_userdict_entries(path: str | Path) -> list[tuple[str, int | None, str | None]]:
    """``(word, freq, tag)`` of each line of a jieba user dictionary (``word [freq] [tag]``)."""
    entries: list[tuple[str, int | None, str | None]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            continue
        freq = next((int(p) for p in parts[1:] if p.isdigit()), None)
        tag = next((p for p in parts[1:] if not p.isdigit()), None)
        entries.append((parts[0], freq, tag))
    return entries


def _read_word_list(path: Path) -> set[str]:
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(normalize_zh(line, boilerplate=False))
    return words


def load_stopwords(
    lexicon_dir: str | Path | None = None,
    *,
    protected: Iterable[str] = (),
    maintained: bool = True,
) -> frozenset[str]:
    """Stopwords: ``stopwordsiso`` Chinese + ``stopwords_domain.txt`` + ``filler.txt`` −
    ``protected``.

    Parameters
    ----------
    lexicon_dir
        Folder with ``stopwords_domain.txt``; default from :class:`~nlp.config.NlpConfig`.
    protected
        Words never treated as stopwords (the user dictionary).
    maintained
        Include the maintained ``stopwordsiso`` list.

    Returns
    -------
    frozenset[str]
    """
    folder = Path(lexicon_dir) if lexicon_dir else NlpConfig().lexicon_dir
    words = _read_word_list(folder / "stopwords_domain.txt")
    if (folder / "filler.txt").is_file():
        words |= _read_word_list(folder / "filler.txt")
    if maintained:
        import stopwordsiso

        words |= {normalize_zh(w, boilerplate=False) for w in stopwordsiso.stopwords("zh")}
    words.discard("")
    return frozenset(words - set(protected))
