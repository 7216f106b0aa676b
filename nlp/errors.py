"""Domain errors raised by the NLP pipeline."""

from __future__ import annotations

from pathlib import Path

from common.errors import UserError

__all__ = [
    "ConfigError",
    "IngestError",
    "LexiconError",
    "NlpError",
    "ThinDataError",
    "WorkerLostError",
]


class NlpError(UserError):
    """Base class for errors of the ``nlp`` package."""


class IngestError(NlpError, ValueError):
    """An input file cannot be read as a review export.

    Parameters
    ----------
    path
        The offending file.
    message
        What is wrong, phrased for the person who supplied the file.
    line
        1-based source line (or spreadsheet row) when the problem is local.
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")


class ConfigError(NlpError, ValueError):
    """A setting the data cannot support (e.g. learning sentiment without ratings)."""


class LexiconError(NlpError, ValueError):
    """A lexicon file (user dictionary, stopwords, aspects) is malformed."""


class ThinDataError(NlpError, ValueError):
    """Too little input for a stage (no documents, no shared terms, fewer than two sites …).

    :func:`nlp.pipeline.run_all` skips the stage (and those needing it) with this one-line
    reason; a single-stage command reports it and exits 2.
    """


class WorkerLostError(NlpError, RuntimeError):
    """A worker process died in the middle of a map (killed, most often by the kernel when the
    machine ran out of memory). Unlike other errors of a stage build, the completed partitions
    are kept: a rerun resumes from them (with fewer workers or smaller chunks if memory ran
    out)."""
