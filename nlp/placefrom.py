"""Where each review belongs: a destination read from a column, the file name, the sheet or
the folder, resolved against the site catalog.

Scraped exports often hold one spot per file (``宝顶山.xlsx``) or per sheet, with no place
column at all. ``place_from`` says where to look:

``column``
    the export's destination/place columns (the mapping in ``sources.yaml``);
``filename`` / ``sheet`` / ``folder``
    the file's stem, the sheet name or the parent folder's name;
``auto``
    a column when one maps, else the sheet, file or folder name that resolves to a catalog
    site or county, else nothing (and the ingest report says so).

Labels are resolved with the catalog's name index (:mod:`kg.names`: aliases, traditional
characters, pinyin) and, first, with an optional mapping file (CSV or YAML, ``name → catalog
id or name``) for names the catalog does not know. A label that resolves nowhere is kept as
the destination as written and listed with the catalog's closest names — never dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlp.errors import IngestError
from nlp.textnorm import normalize_zh

__all__ = ["PLACE_FROM", "PlaceResolver", "Resolved", "label_candidates"]

PLACE_FROM = ("auto", "column", "filename", "sheet", "folder")

#: words scrapers add around a spot's name in file and sheet names
_NOISE = re.compile(
    r"(评论|点评|评价|游记|笔记|数据|导出|爬取|reviews?|comments?|export|data|sheet\d*|"
    r"携程|去哪儿|马蜂窝|大众点评|美团|ctrip|qunar|mafengwo|dianping|meituan|\d+)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"[\s_\-—.·()（）\[\]【】,，+&]+")
_DEFAULT_SHEET = re.compile(r"^(sheet|工作表|表)\s*\d*$", re.IGNORECASE)


def label_candidates(label: str) -> list[str]:
    """Names to try for a file/sheet/folder label, most specific first.

    ``"宝顶山_携程评论_2023"`` gives ``["宝顶山_携程评论_2023", "宝顶山"]``.
    """
    label = label.strip()
    out = [label]
    for piece in _SPLIT.split(label):
        cleaned = _NOISE.sub("", piece).strip()
        if cleaned and cleaned not in out:
            out.append(cleaned)
    whole = _NOISE.sub("", _SPLIT.sub("", label)).strip()
    if whole and whole not in out:
        out.append(whole)
    return out


@dataclass(frozen=True)
class Resolved:
    """A label and what it resolved to.

    Attributes
    ----------
    label
        The name as found (file stem, sheet, folder or mapped value).
    destination
        The group label used for per-destination tables: the catalog site's Chinese name, the
        county, or the label itself when unresolved.
    place
        The catalog site's name when the label names a site (so per-site stages see it).
    site_id
        Catalog id, when the label names a site.
    suggestions
        Closest catalog names, for an unresolved label.
    """

    label: str
    destination: str
    place: str | None = None
    site_id: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        """True when the label matched the mapping file, a catalog site or a county."""
        return not self.suggestions


@dataclass
class PlaceResolver:
    """Resolve place labels against the catalog (loaded lazily) and a mapping file.

    Parameters
    ----------
    catalog_dir
        Site catalog folder; ``None`` or a missing folder resolves nothing.
    mapping_file
        Optional CSV (columns ``name``, ``site``) or YAML (``name: site``) file.
    """

    catalog_dir: Path | None = None
    mapping_file: Path | None = None
    _catalog: Any = field(default=None, init=False, repr=False)
    _mapping: dict[str, str] | None = field(default=None, init=False, repr=False)
    _cache: dict[str, Resolved | None] = field(default_factory=dict, init=False, repr=False)

    def catalog(self) -> Any:
        """The loaded :class:`kg.catalog.Catalog`, or ``None`` when there is none."""
        if self._catalog is None and self.catalog_dir is not None:
            if (Path(self.catalog_dir) / "sites.csv").is_file():
                from kg.catalog import load_catalog  # lazily: nlp needs kg only here

                self._catalog = load_catalog(self.catalog_dir)
            else:
                self._catalog = False
        return self._catalog or None

    def mapping(self) -> dict[str, str]:
        """Label key → catalog id or name, from the mapping file."""
        if self._mapping is None:
            self._mapping = _load_mapping(self.mapping_file) if self.mapping_file else {}
        return self._mapping

    def _site_or_county(self, name: str) -> Resolved | None:
        cat = self.catalog()
        if cat is None:
            return None
        from kg.catalog import UnknownSiteError

        if len(cat.sites_in_county(name)) >= 2:  # an area (大足, 安岳县) before a town alias
            return Resolved(name, normalize_zh(name, boilerplate=False))
        try:
            site = cat.resolve(name)
        except UnknownSiteError:
            pass
        else:
            return Resolved(name, site.name_zh, site.name_zh, site.id)
        if cat.sites_in_county(name):
            return Resolved(name, normalize_zh(name, boilerplate=False))
        return None

    def lookup(self, label: str) -> Resolved | None:
        """The resolution of ``label`` (or of a cleaned part of it), or ``None``."""
        if label in self._cache:
            return self._cache[label]
        found: Resolved | None = None
        mapping = self.mapping()
        for cand in label_candidates(label):
            key = normalize_zh(cand, boilerplate=False)
            if key in mapping:
                target = mapping[key]
                hit = self._site_or_county(target)
                found = Resolved(label, hit.destination, hit.place, hit.site_id) if hit else None
                found = found or Resolved(label, target)
                break
            hit = self._site_or_county(cand)
            if hit is not None:
                found = Resolved(label, hit.destination, hit.place, hit.site_id)
                break
        self._cache[label] = found
        return found

    def resolve(self, label: str) -> Resolved:
        """Like :meth:`lookup`, but an unknown label is kept as written, with suggestions."""
        found = self.lookup(label)
        if found is not None:
            return found
        cat = self.catalog()
        cands = label_candidates(label)
        suggestions: tuple[str, ...] = ()
        if cat is not None:
            best = cands[1] if len(cands) > 1 else cands[0]
            suggestions = tuple(f"{name} ({sid})" for sid, name in cat.suggest(best, limit=3))
        name = cands[1] if len(cands) > 1 else cands[0]
        return Resolved(
            label,
            normalize_zh(name, boilerplate=False) or label,
            None,
            None,
            suggestions or ("(no catalog)",),
        )

    @staticmethod
    def is_default_sheet(name: str | None) -> bool:
        """True for names like ``Sheet1`` / ``工作表1`` that say nothing about a place."""
        return not name or bool(_DEFAULT_SHEET.match(name.strip()))


def _load_mapping(path: Path) -> dict[str, str]:
    """Read a place mapping file: CSV with ``name`` and ``site`` columns, or a YAML dict."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "place mapping file not found")
    try:
        if path.suffix.lower() in {".yaml", ".yml"}:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(raw, dict):
                raise IngestError(path, "a place mapping YAML must be a 'name: site' dictionary")
            pairs = [(str(k), str(v)) for k, v in raw.items()]
        else:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or not {"name", "site"} <= set(reader.fieldnames):
                    raise IngestError(
                        path,
                        f"a place mapping CSV needs columns name,site; has {reader.fieldnames}",
                    )
                pairs = [(r["name"] or "", r["site"] or "") for r in reader]
    except (yaml.YAMLError, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(path, f"cannot read the place mapping: {exc}") from exc
    return {
        normalize_zh(k, boilerplate=False): v.strip() for k, v in pairs if k.strip() and v.strip()
    }
