"""Artifact folders of the NLP stages: :mod:`common.artifacts` with the NLP's library list.

Each stage writes ``<root>/<stage>/<key>/`` where ``key`` hashes the stage's parameters and the
hashes of its inputs; a folder is complete when its ``manifest.json`` exists (see
:mod:`common.artifacts`, where hashing, atomic writes and manifests live). This module adds
only what is specific to the pipeline: the libraries whose versions shape its results, which
every stage manifest records. The other names are re-exported for the stage modules.
"""

from __future__ import annotations

import functools

from common import artifacts as _common
from common.artifacts import (
    MANIFEST,
    SCHEMA_VERSION,
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    find_artifact,
    hash_params,
    latest_artifact,
    load_manifest,
    sha256_file,
)

__all__ = [
    "MANIFEST",
    "NLP_LIBRARIES",
    "SCHEMA_VERSION",
    "atomic_path",
    "atomic_write_json",
    "atomic_write_text",
    "build_artifact",
    "find_artifact",
    "hash_params",
    "latest_artifact",
    "library_versions",
    "load_manifest",
    "sha256_file",
]

NLP_LIBRARIES = ("jieba", "gensim", "scikit-learn", "snownlp", "pyarrow", "pandas", "networkx")


def library_versions(names: tuple[str, ...] = NLP_LIBRARIES) -> dict[str, str | None]:
    """Installed versions of the libraries that shape the pipeline's results."""
    return _common.library_versions(names)


#: :func:`common.artifacts.build_artifact` recording the versions of :data:`NLP_LIBRARIES`.
build_artifact = functools.partial(_common.build_artifact, libraries=NLP_LIBRARIES)
