"""Settings of the NLP pipeline: paths, seed and limits in one typed object.

Every field can be overridden from the environment with the prefix ``HERITAGE_NLP_`` (for
example ``HERITAGE_NLP_SEED=7`` or ``HERITAGE_NLP_WORKERS=1``) through :func:`config_from_env`,
or by passing keyword arguments to :class:`NlpConfig`. The folders' defaults come from
:mod:`common.settings` (the one place that knows the project's paths and variables).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from common import settings
from nlp.errors import ConfigError

__all__ = ["NlpConfig", "config_from_env"]


@dataclass(frozen=True)
class NlpConfig:
    """Paths, seed and limits shared by all stages.

    Parameters
    ----------
    lexicon_dir
        Folder with ``domain_terms.txt``, ``stopwords_domain.txt``, ``boilerplate.txt``,
        ``aspects.yaml`` and ``practicalities.yaml``.
    catalog_dir
        Folder with the site catalog CSVs; used to build the user dictionary.
    artifacts_dir
        Root of built outputs; each stage writes ``<artifacts_dir>/<stage>/<key>/``.
    seed
        Seed for every random step (LDA, resampling).
    workers
        Processes for segmentation and sentiment (``1`` runs in-process).
    chunk_docs
        Documents per streaming chunk (Parquet batch and worker task).
    min_chars, max_chars
        Normalised texts shorter or longer than these are rejected at ingest.
    near_dup_threshold
        Estimated character-shingle Jaccard at or above which a document is a near duplicate.
    min_token_chars
        Shortest token kept for keywords/topics (user-dictionary words are always kept).
    sentiment_words
        Segmentation fed to snownlp's sentiment model: ``"jieba"`` (default: the pipeline
        segmenter's words, whichever its backend; ~20× faster at ROC AUC 0.897 instead of 0.911
        on ChnSentiCorp, ``docs/benchmarks.md``) or ``"snownlp"`` (its own, as trained).
    segmenter
        Segmenter backend of every stage: ``"rjieba"`` (default; the Rust port of jieba, ~14×
        faster, same dictionary, identical words on 99.7 % of documents) or ``"jieba"``.
    engine
        Where the map-style stages run (:mod:`nlp.engine`): ``"local"`` (a bounded process
        pool of ``workers``) or ``"dask"`` (a Dask ``LocalCluster`` of ``workers`` processes,
        or the cluster of ``scheduler``). Never part of an artifact key: results are identical.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); empty: start a LocalCluster.
    scheduler_timeout
        Seconds to wait for the scheduler and its workers before giving up.
    key_dir
        Where per-corpus author-hash keys are kept (outside the artifacts, mode 0600).
    sentiment_model
        ``"auto"``: learn sentiment from the corpus's star ratings when there are enough and
        the learnt model beats the bundled one out of fold; ``"bundled"``: never learn;
        ``"rated"``: always learn (an error without enough ratings).
    """

    lexicon_dir: Path = settings.LEXICON_DIR
    catalog_dir: Path = field(default_factory=settings.catalog_dir)
    artifacts_dir: Path = field(default_factory=settings.nlp_artifacts_dir)
    seed: int = 42
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    chunk_docs: int = 2000
    min_chars: int = 2
    max_chars: int = 10_000
    near_dup_threshold: float = 0.8
    min_token_chars: int = 2
    sentiment_words: str = "jieba"
    segmenter: str = "rjieba"
    sentiment_model: str = "auto"
    engine: str = "local"
    scheduler: str = ""
    scheduler_timeout: float = 10.0
    key_dir: Path = Path.home() / ".config" / "heritage-routes" / "corpus-keys"


def config_from_env(**overrides: object) -> NlpConfig:
    """Build a config from ``HERITAGE_NLP_*`` environment variables plus explicit overrides.

    Parameters
    ----------
    **overrides
        Field values that win over the environment (``None`` values are ignored).

    Returns
    -------
    NlpConfig

    Raises
    ------
    ConfigError
        A variable that does not parse as its field's type.
    """
    values: dict[str, object] = {}
    defaults = NlpConfig()
    for f in dataclasses.fields(NlpConfig):
        raw = settings.nlp_env(f.name)
        if raw is None:
            continue
        default = getattr(defaults, f.name)
        if isinstance(default, Path):
            values[f.name] = Path(raw)
        elif isinstance(default, str):
            values[f.name] = raw
        else:
            kind = float if isinstance(default, float) else int
            try:
                values[f.name] = kind(raw)
            except ValueError:
                what = "an integer" if kind is int else "a number"
                raise ConfigError(
                    f"HERITAGE_NLP_{f.name.upper()} must be {what}, got {raw!r}"
                ) from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    return NlpConfig(**values)  # type: ignore[arg-type]
