"""A team's database: which one this computer uses, and trying it before it is used.

``chosen`` is the one answer to "which database?" for the command line and the window:
``--database`` (the command line's), else ``SIGNOFF_DATABASE``, else Settings → Team
database; with its password from the keychain (``signoff key set database``); None: this
computer's own file. ``test_team_database`` is Settings' *Test connection*: whether this
computer reaches it, who it is there, and what schema it holds — in one line that never
holds the password.
"""

from __future__ import annotations

import os
from pathlib import Path

from desktop_app.core.database_url import TeamRef, parse
from desktop_app.core.errors import KnownError


def team_ref(url: str) -> TeamRef:
    """``url`` checked (no password in it), with the keychain's password for it."""
    from desktop_app.llm import keys

    return TeamRef(parse(url).url, keys.get_key("database"))


def chosen(data_dir: Path, given: str | None = None) -> TeamRef | None:
    """The team database to open, or None: this computer's file (see the module's docstring)."""
    text = given or os.environ.get("SIGNOFF_DATABASE")
    if text is None:
        from desktop_app.services import settings

        text = settings.load(data_dir).database
    return team_ref(text) if text.strip() else None


def test_team_database(url: str) -> tuple[bool, str]:
    """(reached?, what happened): connects with the keychain's ``database`` password,
    reads the server and the schema, changes nothing."""
    from desktop_app.storage import pg
    from desktop_app.storage.db import latest_schema, schema_version

    try:
        ref = team_ref(url)
        db = pg.connect(ref.url, password=ref.password, migrate=False)
    except KnownError as exc:
        return False, str(exc)
    team = parse(ref.url)
    try:
        server = db.execute("SHOW server_version").fetchone()[0]
        schema = schema_version(db)
    finally:
        db.conn.close()
    where = f"PostgreSQL {server} on {team.host}:{team.port}, database {team.database}"
    who = f" as {team.user}" if team.user else ""
    if schema == 0:
        holds = "empty: Signoff makes its tables at the first start on it"
    elif schema > latest_schema():
        holds = f"schema {schema}, newer than this Signoff's ({latest_schema()}): update it first"
    else:
        holds = f"schema {schema}"
    return True, f"Connected: {where}{who} ({holds})"
