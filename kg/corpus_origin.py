"""Which texts a corpus-derived figure comes from: a user's export, or the embedded sample.

The embedded sample corpus (``data/corpus/sample_reviews.jsonl``) was written for the project:
it exercises the text pipeline but is not evidence about any site. Figures mined from it (visit
lengths, mention counts) must not pass for facts. Every NLP stage folder's manifest names the
corpus folder it read (``inputs.corpus``), whose manifest lists each ingested file with its
SHA-256 (``inputs["input:<name>"]``). A corpus is *sample* when every one of its files has the
SHA-256 of a file in ``data/corpus/`` — renaming or copying the sample does not fool it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from common import settings
from common.artifacts import sha256_file

__all__ = ["CorpusOrigin", "corpus_origin", "sample_hashes"]

_INPUT = "input:"


@dataclass(frozen=True)
class CorpusOrigin:
    """The ingested files behind an NLP artifact."""

    artifact_key: str
    files: tuple[tuple[str, str], ...]  # (file name, sha256)
    sample: bool

    @property
    def label(self) -> str:
        """The export's file names, comma-separated (what a plan says it used)."""
        return ", ".join(name for name, _ in self.files)

    def to_json(self) -> dict[str, Any]:
        """``{"artifact_key", "files": {name: sha256}, "sample"}``."""
        return {
            "artifact_key": self.artifact_key,
            "files": dict(self.files),
            "sample": self.sample,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CorpusOrigin | None:
        """The inverse of :meth:`to_json`; ``None`` when files or the sample flag are missing."""
        files = data.get("files")
        if not isinstance(files, dict) or "sample" not in data:
            return None
        return cls(
            str(data.get("artifact_key", "")),
            tuple(sorted((str(k), str(v)) for k, v in files.items())),
            bool(data["sample"]),
        )


@lru_cache(maxsize=4)
def sample_hashes(folder: Path | None = None) -> frozenset[str]:
    """SHA-256 of every corpus file shipped in ``data/corpus/`` (the embedded sample)."""
    folder = folder or settings.data_dir() / "corpus"
    if not folder.is_dir():
        return frozenset()
    return frozenset(
        sha256_file(f) for f in sorted(folder.iterdir()) if f.is_file() and f.suffix != ".md"
    )


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def corpus_origin(stage_folder: str | Path) -> CorpusOrigin | None:
    """The corpus behind an NLP stage folder (``artifacts/nlp/<stage>/<key>``), if recorded.

    Returns ``None`` when the manifest names no corpus or the corpus folder is gone (then
    nothing can be said about where the figures come from, and callers treat them as unknown).
    """
    folder = Path(stage_folder)
    manifest = _manifest(folder)
    if manifest.get("stage") == "corpus":
        corpus_dir = folder
    else:
        key = (manifest.get("inputs") or {}).get("corpus")
        if not isinstance(key, str):
            return None
        corpus_dir = folder.parent.parent / "corpus" / key
    corpus = _manifest(corpus_dir)
    inputs = corpus.get("inputs") or {}
    files = tuple(
        sorted((k[len(_INPUT) :], str(v)) for k, v in inputs.items() if k.startswith(_INPUT))
    )
    if not files:
        return None
    known = sample_hashes()
    return CorpusOrigin(
        artifact_key=str(corpus.get("key") or corpus_dir.name),
        files=files,
        sample=all(sha in known for _, sha in files),
    )
