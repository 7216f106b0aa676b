"""What the ``heritage`` command modules share (as frictionless' ``console/common.py``).

The app factory (every group runs its commands inside the one error boundary,
:mod:`planner.cli_boundary`), the two consoles, JSON on stdout and the options that more than
one command module offers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from planner.cli_boundary import BoundaryGroup

__all__ = ["Fmt", "circuity_table", "err", "new_app", "out", "print_json"]

#: stdout (tables, results) and stderr (progress, warnings); rich resolves the stream when
#: printing, so a test runner's captured streams are used.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Fmt(StrEnum):
    """``--format`` of the commands that print a table or JSON."""

    table = "table"
    json = "json"


def new_app(help: str, **kwargs: Any) -> typer.Typer:
    """A command group whose commands run inside the error boundary (no pretty tracebacks:
    a bug shows Python's own; no shell-completion options)."""
    kwargs.setdefault("no_args_is_help", True)
    return typer.Typer(
        cls=BoundaryGroup,
        help=help,
        pretty_exceptions_enable=False,
        add_completion=False,
        **kwargs,
    )


def print_json(data: object, *, indent: int | None = 2) -> None:
    """``data`` as JSON on stdout (non-ASCII kept as is), one trailing newline."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent) + "\n")


def circuity_table(
    title: str,
    residuals: Iterable[tuple[str, str, float, float, float]],
    names: Mapping[str, str],
) -> Table:
    """Known road distances against the circuity estimate, one row per site pair
    (``(a, b, road km, great-circle km, estimate km)``; ``names``: site id → shown name)."""
    table = Table(title=title)
    for col in ("a", "b", "road km", "great-circle km", "estimate km", "error %"):
        table.add_column(col)
    for a, b, road, gc, est in residuals:
        table.add_row(
            names[a],
            names[b],
            f"{road:.2f}",
            f"{gc:.2f}",
            f"{est:.2f}",
            f"{(est - road) / road * 100:+.1f}",
        )
    return table
