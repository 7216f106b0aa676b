"""No markup from users: plain strings made safe for Streamlit's Markdown and for HTML.

Streamlit renders Markdown (links, images, raw-HTML attempts, ``:material/…:`` icons,
``:red[…]`` colours, ``$…$`` maths, bare URLs that GitHub-flavoured Markdown turns into links)
in ``st.markdown``, captions, titles, alerts, metric and widget labels. Every string that comes
from the URL, a file or the catalog goes through :func:`md` before it reaches one of them, and
through :func:`html_text` before it reaches HTML (folium popups and tooltips, the legend); the
templates of the catalogue (:mod:`planner.i18n`) are ours and keep their Markdown.
"""

from __future__ import annotations

import html
import re
import string

from planner.i18n import text

#: every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
#: also breaks Streamlit's own directives (``:icon:``, ``:colour[…]``) and autolinked URLs
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")
#: some of Streamlit's Markdown plugins work on the text *after* escapes are resolved: GitHub's
#: autolinks (``https://…``, ``www.…``, ``a@b.c``), ``:colour[…]``, ``:icon:`` and emoji
#: shortcodes. An invisible word joiner after ``:`` and ``@`` and inside ``www.`` breaks
#: their patterns without changing what the reader sees.
_JOINER = "\u2060"
_PLUGIN_TRIGGERS = re.compile(r"([:@])|(?i:(www)(?=\.))")


def md(value: object) -> str:
    """``value`` as literal text inside Markdown: punctuation escaped, line breaks flattened
    (a new line could start a heading or a list), plugin patterns broken (see above)."""
    flat = _BREAKS.sub(" ", str(value))
    joined = _PLUGIN_TRIGGERS.sub(lambda m: (m.group(1) or m.group(2)) + _JOINER, flat)
    return _PUNCT.sub(r"\\\1", joined)


def html_text(value: object) -> str:
    """``value`` as literal text inside HTML (element content or a quoted attribute)."""
    return html.escape(str(value), quote=True)


def md_text(lang: str, key: str, /, **values: object) -> str:
    """The catalogue template ``key`` (trusted Markdown) filled with escaped ``values``.

    Numbers keep their type so that format specs such as ``{km:.1f}`` still apply.
    """
    safe = {k: v if isinstance(v, int | float) else md(v) for k, v in values.items()}
    return text(lang, key, **safe)
