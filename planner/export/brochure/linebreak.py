"""Line breaking for mixed Chinese/Latin text: break between CJK characters, keep Latin words
and numbers with their units whole, and respect the no-line-start / no-line-end punctuation."""

from __future__ import annotations

import re
from collections.abc import Callable

_CJK = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2014\u2026\u00b7"
# A number keeps its Chinese unit on the same line (92公里, 1小时, 30分钟).
_UNITS = "公里|小时|分钟|分|天|元|处|日|年|月|尊|窟|龛|号|个|米"
_TOKEN = re.compile(rf"\s+|[^\s{_CJK}]+(?:{_UNITS})?|[{_CJK}]")
_NO_START = set("，。、；：！？）】」』》〉”’…—%,.;:!?)]}·")
_NO_END = set("（【「『《〈“‘([{")


def wrap_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (as ``measure`` says).

    Break opportunities: between Chinese characters, at spaces, never inside a Latin or
    digit run unless it is wider than a line; closing punctuation never starts a line and
    opening brackets never end one. Explicit newlines are kept. An empty text is one line.
    """
    out: list[str] = []
    for para in text.split("\n"):
        line: list[str] = []
        line_w = 0.0
        for tok in _TOKEN.findall(para):
            tok_w = measure(tok)
            if tok.isspace():
                if line:
                    line.append(" ")
                    line_w += measure(" ")
                continue
            if line_w + tok_w <= width + 1e-6 or not line or tok[0] in _NO_START:
                if tok_w > width and not line:
                    pieces = _split_long(tok, width, measure)
                    out.extend(pieces[:-1])
                    line, line_w = [pieces[-1]], measure(pieces[-1])
                    continue
                line.append(tok)
                line_w += tok_w
                continue
            while line and line[-1] == " ":
                line.pop()
            carry: list[str] = []
            if len(line) > 1 and line[-1] and line[-1][-1] in _NO_END:
                carry = [line.pop()]
            out.append("".join(line).rstrip())
            line = [*carry, tok]
            line_w = sum(measure(t) for t in line)
            if line_w > width and len(line) == 1:
                pieces = _split_long(tok, width, measure)
                out.extend(pieces[:-1])
                line, line_w = [pieces[-1]], measure(pieces[-1])
        out.append("".join(line).rstrip())
    return out


def _split_long(tok: str, width: float, measure: Callable[[str], float]) -> list[str]:
    pieces: list[str] = []
    cur = ""
    for ch in tok:
        if cur and measure(cur + ch) > width:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    pieces.append(cur)
    return pieces
