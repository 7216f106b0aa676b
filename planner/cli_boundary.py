"""The one error boundary of the ``heritage`` command line.

Every Typer app of the CLI is created with ``cls=BoundaryGroup``, so every command runs inside
:func:`error_boundary`:

- a :class:`~common.errors.UserError` (bad input, data or configuration the user can fix)
  prints ``error: <message>`` on stderr (plus the error's ``hint`` line, if it has one) and
  exits with status 2;
- another :class:`~common.errors.HeritageError` prints the same way and exits with status 1;
- an ``OSError`` (a file the user named is missing, unreadable or unwritable) prints
  ``error: <reason>: <file>`` and exits with status 2;
- anything else — a bare ``ValueError``, ``KeyError``, ``AssertionError`` … — is a bug and
  propagates with its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from common.errors import HeritageError, UserError

__all__ = ["BoundaryGroup", "error_boundary", "error_message"]

_err = Console(stderr=True, soft_wrap=True)


def error_message(exc: BaseException) -> str:
    """The text shown for a project error or an ``OSError``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


def _report(exc: BaseException, code: int) -> typer.Exit:
    _err.print(f"[red]error:[/] {escape(error_message(exc))}", highlight=False)
    hint = getattr(exc, "hint", "")
    if hint:
        _err.print(escape(hint), highlight=False)
    return typer.Exit(code)


@contextmanager
def error_boundary() -> Iterator[None]:
    """Turn project errors and ``OSError`` into one message and an exit status; see above."""
    try:
        yield
    except UserError as exc:
        raise _report(exc, 2) from None
    except HeritageError as exc:
        raise _report(exc, 1) from None
    except OSError as exc:
        raise _report(exc, 2) from None


class BoundaryGroup(TyperGroup):
    """A Typer command group whose commands run inside :func:`error_boundary`."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context (private module)
        with error_boundary():
            return super().invoke(ctx)
