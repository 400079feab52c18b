"""Known errors versus bugs.

A ``KnownError`` is the environment's or the user's fault (a broken spec, a dead
server, a decided item): it is shown as one plain line, never with a traceback.
Anything else that escapes is a bug in Signoff and is reported with its traceback
under ``--debug`` (qutebrowser's ``misc/sql.py`` makes the same split).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple


class KnownError(Exception):
    """An error to show the user as one line; no traceback."""


class SpecProblem(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    """One problem in a spec file, reported as ``file:line: message``."""

    path: Path
    line: int
    message: str
    incomplete: bool = False  # a missing required part, as opposed to an invalid value
    key: str = ""  # the dotted key it is about ("output.max_chars"), "" for the file as a whole

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class SpecError(KnownError):
    """A spec that cannot be loaded or used; carries every problem found."""

    def __init__(self, problems: list[SpecProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ModelCallError(KnownError):
    """A model call failed for good (after retries and fallbacks).

    ``message`` is written for a non-programmer and never contains a secret.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "error",
        status: int | None = None,
        attempts: list[Any] | None = None,
    ):
        self.kind = kind  # rate_limit | server | timeout | connection | auth | bad_request | bad_answer | refused
        self.status = status
        self.attempts: list[Any] = attempts or []  # the gateway's Attempts, each try recorded
        super().__init__(message)


class UsageError(KnownError):
    """What was typed cannot mean anything (a search's unknown status, a date that is not
    one): the command line's status 2, as for a mistyped command."""


class StorageError(KnownError):
    """The database cannot be opened or written (locked, read-only, corrupt)."""


class StateError(KnownError):
    """An item or run was asked to make a transition its state does not allow."""


class NotFoundError(KnownError):
    """A named workflow, item or run does not exist."""
