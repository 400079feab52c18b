"""A team's database, tried before it is used (Settings → Team database, *Test connection*):
whether this computer reaches it, who it is there, and what schema it holds — in one line
that never holds the password."""

from __future__ import annotations

from desktop_app.core.database_url import parse
from desktop_app.core.errors import KnownError


def test_team_database(url: str) -> tuple[bool, str]:
    """(reached?, what happened): connects with the keychain's ``database`` password,
    reads the server and the schema, changes nothing."""
    from desktop_app.llm import keys
    from desktop_app.storage import pg
    from desktop_app.storage.db import latest_schema, schema_version

    try:
        team = parse(url)
        db = pg.connect(team.url, password=keys.get_key("database"), migrate=False)
    except KnownError as exc:
        return False, str(exc)
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
