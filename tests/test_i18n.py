"""The one bilingual catalogue (``planner/i18n.py`` + ``planner/i18n.toml``): its shape, the
lookups, and that every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from planner import i18n

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for d in ("planner", "kg", "nlp", "routing") for p in (ROOT / d).rglob("*.py")]


def _fields(template: str) -> set[str]:
    return {f.split(":")[0] for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_entry_has_both_languages_with_the_same_fields() -> None:
    entries = i18n.entries()
    assert len(entries) > 300
    assert {k.split(".")[0] for k in entries} == {"common", "ui", "export", "message"}
    for key, (zh, en) in entries.items():
        assert zh and en, key
        assert _fields(zh) == _fields(en), key


def test_lookups() -> None:
    assert i18n.text("en", "ui.map.day", n=2) == "Day 2"
    assert i18n.text("zh", "ui.map.day", n=2) == "第 2 天"
    assert i18n.text("zh", "export.day_n", n=3) == "第3天"
    assert i18n.weekday(5, "zh") == "周六" and i18n.weekday(5, "en") == "Sat"
    assert i18n.label("en", "ui.kind", "museum") == "museum"
    assert i18n.label("en", "ui.kind", "unknown_kind") == "unknown_kind"
    assert i18n.site_name("宝顶山", "Baoding", "zh") == "宝顶山"
    assert i18n.site_name("宝顶山", "Baoding", "en") == "宝顶山 · Baoding"
    assert i18n.site_name("塔坡", "", "en") == "塔坡"
    assert set(i18n.section("message")) >= {"hours.unknown", "plan.title", "text"}
    with pytest.raises(KeyError, match=r"no text 'ui\.nope'"):
        i18n.text("en", "ui.nope")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.text("fr", "ui.app.title")


def test_a_broken_catalogue_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "i18n.toml"
    monkeypatch.setattr(i18n, "CATALOGUE", bad)
    for body, match in (
        ('[ui]\n"a" = ["只有中文"]\n', "expected \\[Chinese, English\\]"),
        ('[ui]\n"a" = ["{n} 天", "{days} days"]\n', "different fields"),
    ):
        bad.write_text(body, encoding="utf-8")
        i18n.entries.cache_clear()
        try:
            with pytest.raises(i18n.CatalogueError, match=match):
                i18n.entries()
        finally:
            i18n.entries.cache_clear()


_LITERAL = re.compile(r"""["']((?:ui|export|message|common)\.[A-Za-z0-9_.+-]+)["']""")
_BARE = re.compile(r"""["']([a-z]+\.[a-z_]+)["']""")
_EXPORT_LABEL = re.compile(r"""\blabel\(\s*["']([a-z_+]+)["']""")


def test_every_literal_key_in_the_code_exists() -> None:
    """A typo in a key is caught here, not by a user on a rarely shown page."""
    missing = []
    for p in CODE:
        source = p.read_text(encoding="utf-8")
        for m in _LITERAL.finditer(source):
            key = m.group(1)
            if key.endswith(".") or not key.split(".", 1)[1]:  # a prefix: f"ui.mode.{m}"
                continue
            if not i18n.has(key) and not any(k.startswith(key + ".") for k in i18n.entries()):
                missing.append(f"{p.relative_to(ROOT)}: {key}")
        for m in _BARE.finditer(source if "ui" in p.parts else ""):  # a UI key, no section
            if i18n.has(f"ui.{m.group(1)}") or i18n.has(f"common.{m.group(1)}"):
                missing.append(f"{p.relative_to(ROOT)}: {m.group(1)} (no section)")
        if "export" in p.parts:
            for m in _EXPORT_LABEL.finditer(source):
                if not i18n.has("export." + m.group(1)):
                    missing.append(f"{p.relative_to(ROOT)}: export.{m.group(1)}")
    assert not missing, missing


def test_languages_are_defined_once() -> None:
    defined = [
        str(p.relative_to(ROOT))
        for p in CODE
        if re.search(r"^LANGS\b\s*[:=]", p.read_text(encoding="utf-8"), re.M)
    ]
    assert defined == ["planner/i18n.py"]


def test_catalogue_module_has_no_streamlit() -> None:
    source = Path(i18n.__file__).read_text(encoding="utf-8")
    assert "streamlit" not in source.split('"""', 2)[2]
