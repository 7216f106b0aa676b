"""The single normalisation function for Chinese text, :func:`normalize_zh`.

Used at ingest (every document) and for name matching. Steps, in order:

1. HTML entities unescaped and tags removed;
2. Unicode NFKC (full-width letters, digits and punctuation → half-width);
3. traditional → simplified Chinese (OpenCC ``t2s``), only for texts containing traditional
   characters;
4. platform boilerplate removed (regexes in ``data/lexicon/boilerplate.txt``: 展开全文,
   网页链接, "…的微博视频", 转发微博 …);
5. URLs, repost chains (``//@user:``), ``@mentions``, Weibo ``[表情]`` codes and emoji removed;
   ``#话题#`` markup reduced to its words;
6. Latin letters lowercased, runs of the same punctuation collapsed, whitespace collapsed.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from pathlib import Path

from common import settings
from nlp.config import NlpConfig
from nlp.errors import LexiconError

__all__ = ["load_boilerplate", "normalize_zh"]

_TAG = re.compile(r"<[^<>]{1,200}>")
_URL = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+|"
    r"\b(?:t\.cn|dwz\.cn|url\.cn|m\.weibo\.cn)/[A-Za-z0-9_\-/]+"
)
_REPOST = re.compile(r"//\s*@")
_MENTION_END = r"\s:,。!?;、)\]】#@/"
#: the ``@`` of an e-mail address (a local-part character before it, a dotted domain after it):
#: not a mention, so the address stays whole for :func:`nlp.privacy.mask_pii` to mask
_EMAIL_AT = r"(?<=[A-Za-z0-9._%+\-])@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
_MENTION = re.compile(rf"(?!{_EMAIL_AT})@[^{_MENTION_END}]{{1,20}}(?=[{_MENTION_END}]|$):?")
_TOPIC = re.compile(r"#([^#\n]{1,40})#")
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols
    "\U0001f1e6-\U0001f1ff"  # flags
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2b00-\u2bff"  # arrows, stars
    "\ufe0e\ufe0f\u200d\u20e3"  # variation selectors, joiners, keycap
    "\ue000-\uf8ff"  # private use (platform emoji fonts)
    "]+"
)
_PUNCT_RUN = re.compile(r"([!?.,~。、;:\-_=*])\1+")
_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=4)
def load_boilerplate(path: str | None = None) -> re.Pattern[str]:
    """Compile the boilerplate regexes of a lexicon file into one pattern.

    Parameters
    ----------
    path
        File with one regex per line (``#`` comments). Defaults to
        ``<lexicon_dir>/boilerplate.txt`` of :class:`~nlp.config.NlpConfig`, overridable with
        ``HERITAGE_NLP_LEXICON_DIR``.

    Returns
    -------
    re.Pattern
    """
    if path is None:
        lexicon = settings.nlp_env("lexicon_dir")
        folder = Path(lexicon) if lexicon else NlpConfig().lexicon_dir
        path = str(folder / "boilerplate.txt")
    parts = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            re.compile(line)
        except re.error as exc:
            raise LexiconError(f"{path}, line {lineno}: bad regex {line!r}: {exc}") from exc
        parts.append(f"(?:{line})")
    return re.compile("|".join(parts) if parts else r"(?!x)x")


@functools.lru_cache(maxsize=1)
def _t2s() -> tuple[object, frozenset[str]]:
    import opencc

    converter = opencc.OpenCC("t2s")
    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars: set[str] = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if key and values.split(" ")[0] != key:
            chars.add(key)
    return converter, frozenset(chars)


def normalize_zh(text: str | None, *, to_simplified: bool = True, boilerplate: bool = True) -> str:
    """Normalise one Chinese text (see the module docstring for the steps).

    Parameters
    ----------
    text
        Raw text; ``None`` gives ``""``.
    to_simplified
        Convert traditional characters to simplified.
    boilerplate
        Remove platform boilerplate phrases.

    Returns
    -------
    str
        The normalised text, stripped; ``""`` when nothing is left.

    Examples
    --------
    >>> normalize_zh("＃大足石刻＃ 太美了[赞]！！ http://t.cn/A6abc 展开全文c")
    '大足石刻 太美了!'
    """
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    if to_simplified:
        converter, trad = _t2s()
        if not trad.isdisjoint(text):
            text = converter.convert(text)  # type: ignore[attr-defined]
    text = _URL.sub(" ", text)
    if boilerplate:
        text = load_boilerplate().sub(" ", text)
    text = _REPOST.sub(" @", text)
    text = _MENTION.sub(" ", text)
    text = _TOPIC.sub(r" \1 ", text)
    text = _EMOTICON.sub("", text)
    text = _EMOJI.sub("", text)
    text = text.lower()
    text = _PUNCT_RUN.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()
