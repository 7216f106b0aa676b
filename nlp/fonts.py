"""Find a font with Chinese glyphs for plots and word clouds, on any machine.

Order: the ``HERITAGE_CJK_FONT`` environment variable; the Noto Sans SC font shipped by the
``pylopdf-fonts-zh-cn`` dependency (SIL OFL); then any installed font that matplotlib knows and
whose character map covers a probe of common characters.
"""

from __future__ import annotations

import functools
from pathlib import Path

from common import settings

__all__ = ["find_cjk_font", "font_covers"]

_PROBE = "大足石刻宝顶山川剧"


def font_covers(path: str | Path, text: str = _PROBE) -> bool:
    """True if the font at ``path`` has a glyph for every character of ``text``."""
    from fontTools.ttLib import TTCollection, TTFont

    path = Path(path)
    try:
        if path.suffix.lower() == ".ttc":
            fonts = list(TTCollection(str(path)).fonts)
        else:
            fonts = [TTFont(str(path), lazy=True)]
    except Exception:  # unreadable or unsupported font file: it simply does not cover
        return False
    for font in fonts:
        cmap = font.getBestCmap() or {}
        if all(ord(c) in cmap for c in text):
            return True
    return False


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> Path:
    """Path of a font covering Chinese.

    Raises
    ------
    FileNotFoundError
        If none is found (set ``HERITAGE_CJK_FONT`` or install ``pylopdf-fonts-zh-cn``).
    """
    env = settings.cjk_font()
    if env is not None:
        if not env.is_file():
            raise FileNotFoundError(f"HERITAGE_CJK_FONT={env} does not exist")
        return env
    try:
        import pylopdf_fonts_zh_cn

        path = Path(pylopdf_fonts_zh_cn.sans_path())
        if path.is_file():
            return path
    except ImportError:
        pass
    from matplotlib import font_manager

    for f in sorted(font_manager.findSystemFonts()):
        if font_covers(f):
            return Path(f)
    raise FileNotFoundError(
        "no font with Chinese glyphs: install pylopdf-fonts-zh-cn or set HERITAGE_CJK_FONT"
    )
