"""The one form a stored time takes: ISO 8601 in UTC with milliseconds and a ``Z``
(``2026-11-24T09:15:02.123Z``), which sorts as text in either database.

Written with ``isoformat``, not ``strftime``: a run writes several a call, and ``strftime``
costs half as much again (it goes through the ``time`` module and the C library's
locale-aware formatting)."""

from __future__ import annotations

from datetime import datetime, timezone

_OFFSET = len("+00:00")  # what isoformat writes for UTC, replaced by "Z"


def stamp(moment: datetime) -> str:
    """``moment`` as stored (a naive ``moment`` is taken as local time, as ``astimezone``
    takes it)."""
    return _written(moment.astimezone(timezone.utc))


def utcnow() -> str:
    """Now, as stored."""
    return _written(datetime.now(timezone.utc))


def _written(utc: datetime) -> str:
    return utc.isoformat(timespec="milliseconds")[:-_OFFSET] + "Z"
