"""``run_build``: hash the inputs, skip an unchanged build, validate, write the outputs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import settings
from common.artifacts import (
    MANIFEST,
    atomic_files,
    load_manifest,
    sha256_bytes,
    sha256_file,
    sweep_stale_temps,
)
from kg.build.builder import build_graph
from kg.build.core import BUILD_PARAMS, BuildParams, _json
from kg.build.inputs import _code_hash, _input_hashes
from kg.build.nlp_tables import find_nlp_tables, load_nlp_tables
from kg.build.records import default_paths
from kg.build.serialize import serialize_jsonld, serialize_turtle


@dataclass
class BuildResult:
    """What :func:`run_build` did."""

    out_dir: Path
    rebuilt: bool
    triples: int
    conforms: bool
    warnings: list[str]
    manifest: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def graph_path(self) -> Path:
        return self.out_dir / "graph.ttl"


def _up_to_date(out: Path, key: str) -> dict[str, Any] | None:
    """The manifest of ``out`` if it was built with ``key`` and its outputs are intact.

    The manifest is read first and written last (:func:`common.artifacts.atomic_files`), so a
    folder whose manifest lists files with matching hashes is a complete build.
    """
    if not (out / MANIFEST).exists():
        return None
    try:
        old = load_manifest(out)
    except (OSError, ValueError):
        return None
    outputs = old.get("outputs") or {}
    intact = all(
        (out / name).exists() and sha256_file(out / name) == digest
        for name, digest in outputs.items()
    )
    return old if old.get("key") == key and outputs and intact else None


def run_build(
    data_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    *,
    nlp_paths: Iterable[str | Path] | None = None,
    params: BuildParams = BUILD_PARAMS,
    force: bool = False,
) -> BuildResult:
    """Build, validate and write the graph unless the manifest shows identical inputs.

    Parameters
    ----------
    data_dir
        Catalog folder (default: :func:`kg.catalog.default_data_dir`).
    out_dir
        Output folder (default ``artifacts/kg``).
    nlp_paths
        NLP artifact folders or table files; ``None`` discovers them under ``artifacts/nlp``
        (:func:`find_nlp_tables`); an empty list builds without NLP.
    params
        Derivation parameters.
    force
        Rebuild even if nothing changed.

    Raises
    ------
    kg.catalog.CatalogError, KGBuildError
        Invalid inputs.
    kg.validate.ShaclViolationError
        The built graph violates the shapes; nothing is written except ``shacl_report.txt``.
    """
    from kg.catalog import load_catalog
    from kg.validate import ShaclViolationError, load_shapes, validate_graph

    out = Path(out_dir) if out_dir else settings.KG_ARTIFACTS_DIR
    sweep_stale_temps(out, max_depth=0)  # what a killed build left behind
    paths = default_paths(data_dir)
    nlp_list = [Path(p) for p in (find_nlp_tables() if nlp_paths is None else nlp_paths)]
    inputs = _input_hashes(paths, nlp_list)
    key_material = {"inputs": inputs, "params": asdict(params), "code": _code_hash()}
    key = sha256_bytes(_json(key_material).encode())[:16]
    old = None if force else _up_to_date(out, key)
    if old is not None:
        return BuildResult(out, False, old.get("triples", 0), True, old.get("warnings", []), old)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    catalog = load_catalog(paths["catalog"])
    nlp = load_nlp_tables(nlp_list) if nlp_list else None
    warnings: list[str] = []
    g = build_graph(catalog, nlp=nlp, params=params, inputs=inputs, warnings=warnings)
    seconds["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = validate_graph(g, shapes=load_shapes())
    seconds["validate"] = time.perf_counter() - t0
    if not report.conforms:
        with atomic_files(out) as files:
            files["shacl_report.txt"] = report.text
        raise ShaclViolationError(report)
    t0 = time.perf_counter()
    ttl = serialize_turtle(g)
    jsonld = serialize_jsonld(g)
    seconds["serialize"] = time.perf_counter() - t0
    outputs = {
        "graph.ttl": ttl,
        "graph.jsonld": jsonld,
        "shacl_report.txt": report.text,
    }
    manifest: dict[str, Any] = {
        "stage": "kg.build",
        "key": key,
        "params": asdict(params),
        "inputs": inputs,
        "nlp_tables": nlp.present() if nlp else [],
        "code_sha256": key_material["code"],
        "triples": len(g),
        "conforms": True,
        "warnings": warnings + [i.line() for i in report.issues],
        "outputs": {k: sha256_bytes(v.encode("utf-8")) for k, v in outputs.items()},
    }
    # the old manifest is removed first and the new one renamed last (common.artifacts)
    with atomic_files(out) as files:
        files.update(outputs)
        files[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    return BuildResult(out, True, len(g), True, manifest["warnings"], manifest, seconds)
