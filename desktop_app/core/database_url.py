"""Which database Signoff uses: this computer's SQLite file (the default), or a team's
PostgreSQL server (``--database URL``, ``SIGNOFF_DATABASE``, or Settings → Team database).

A URL names where, never a password: one written into it would end up in settings, shell
history and process lists, so it is refused with the way to store it (the keychain,
``signoff key set database``). ``shown`` is the URL as it may be said anywhere.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from desktop_app.core.errors import KnownError

SCHEMES = ("postgresql", "postgres")
KEY = "database"  # the keychain entry of its password (``signoff key set database``)


class TeamDatabase(NamedTuple):
    url: str  # without a password
    host: str
    port: int
    database: str
    user: str


def parse(text: str) -> TeamDatabase:
    """A team database's URL, checked; ``KnownError`` (one line) when it cannot be one."""
    given = text.strip()
    parts = urlsplit(given)
    if parts.scheme not in SCHEMES:
        raise KnownError(
            f"{shown(given)!r} is not a team database's URL: write"
            " postgresql://USER@HOST[:PORT]/DATABASE"
        )
    if parts.password is not None:
        raise KnownError(
            "the database URL holds a password: give the URL without it, and store the"
            " password in the keychain with `signoff key set database` (read from standard input)"
        )
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise KnownError(
            f"{shown(given)} names no host or no database: write"
            " postgresql://USER@HOST[:PORT]/DATABASE"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise KnownError(f"{shown(given)}: the port is not a number") from None
    return TeamDatabase(given, parts.hostname, port, database, parts.username or "")


def shown(url: str) -> str:
    """``url`` with any password taken out, as it may be printed or logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" if parts.username else f":***@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class TeamRef:
    """Where a team database is, and how to get in: what the window's jobs open their own
    connections with (``storage.db.connect`` takes one where it takes a file's path). The
    password is never shown (``repr``)."""

    __slots__ = ("password", "url")

    def __init__(self, url: str, password: str | None = None):
        self.url, self.password = url, password

    def __repr__(self) -> str:
        return f"TeamRef({shown(self.url)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TeamRef) and (self.url, self.password) == (
            other.url,
            other.password,
        )

    def __hash__(self) -> int:
        return hash(self.url)
