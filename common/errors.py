"""The root of every error the project raises on purpose.

- :class:`HeritageError` is the base of all project errors: ``except HeritageError`` catches
  exactly what the project raises deliberately, never a bug in it (a bare ``ValueError``,
  ``KeyError`` or ``AssertionError`` from the code is a bug and shows as a traceback).
- :class:`UserError` is a problem the person running the program can fix: bad input, a
  malformed data or configuration file, an unknown name, an impossible request. The command
  line prints it as one line on stderr and exits with status 2; the app shows one notice.

Subclasses keep the built-in base they had before the root existed (``ValueError`` or
``LookupError``) so that callers catching those still work.
"""

from __future__ import annotations

__all__ = ["HeritageError", "UserError"]


class HeritageError(Exception):
    """Base class of every error the project raises deliberately."""


class UserError(HeritageError):
    """A problem the user can fix (input, data or configuration); shown as one line."""
