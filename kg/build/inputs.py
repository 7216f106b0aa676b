"""The files a build reads and the code that builds: their hashes make the build's key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from common.artifacts import code_hash, sha256_file
from kg.build.core import (
    AREAS_FILE,
    ITEMS_FILE,
    LINKS_FILE,
    SHAPES_FILE,
    THEMES_FILE,
    VOCABULARY_FILE,
    _rel,
)
from kg.build.nlp_tables import _nlp_files

#: modules of ``kg`` (besides the ``kg/build`` package) whose code shapes the graph
_CODE_MODULES = (
    "uris.py",
    "namespaces.py",
    "validate.py",
    "catalog",
    "themes.py",
    "units.py",
    "names.py",
)


def _code_files() -> list[Path]:
    """The build package's sources and the kg modules (files or packages) it relies on."""
    build_dir = Path(__file__).resolve().parent
    kg_dir = build_dir.parent
    files = sorted(build_dir.rglob("*.py"))
    for name in _CODE_MODULES:
        path = kg_dir / name
        if path.is_dir():
            files += sorted(path.rglob("*.py"))
        elif path.is_file():
            files.append(path)
        else:  # a renamed module must not silently drop out of the build key
            raise FileNotFoundError(f"kg/build/inputs.py: code module {path} does not exist")
    return files


def _code_hash() -> str:
    """SHA-256 over the build package's sources and the kg modules it relies on."""
    return code_hash(_code_files())


CATALOG_FILES = (
    "sites.csv",
    "towns.csv",
    "lines.yaml",
    "seed_distances.csv",
    "published_distances.csv",
    ITEMS_FILE,
    LINKS_FILE,
)
ONTOLOGY_FILES = (VOCABULARY_FILE, THEMES_FILE, SHAPES_FILE, AREAS_FILE, "theme_rules.yaml")


def _input_hashes(paths: Mapping[str, Path], nlp_paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of every file the build reads: catalog, ontology and NLP tables."""
    hashes: dict[str, str] = {}
    for name in CATALOG_FILES:
        f = Path(paths["catalog"]) / name
        if f.exists():
            hashes[name] = sha256_file(f)
    for name in ONTOLOGY_FILES:
        f = Path(paths["ontology"]) / name
        if f.exists():
            hashes[f"ontology/{name}"] = sha256_file(f)
    for p in nlp_paths:
        for f in _nlp_files(Path(p)):
            hashes[f"nlp:{_rel(f)}"] = sha256_file(f)
    return hashes
