"""Both engines for one test: ``any_db`` is a migrated, empty database on SQLite (a file
in ``tmp_path``) and on PostgreSQL (a new database on the tests' server), by parameter.

Register in a conftest with ``from tests.helpers.engines import any_db, postgres_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.postgres import INSTALL, PostgresServer, binaries


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    found = binaries()
    if found is None:
        pytest.skip(f"needs {INSTALL}")
    server = PostgresServer(found).start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        from desktop_app.storage.db import connect

        db: Any = connect(tmp_path / "signoff.db")
    else:
        from desktop_app.storage import pg

        url = request.getfixturevalue("postgres_url")
        db = pg.connect(url)
    try:
        yield db
    finally:
        db.conn.close()


def other_connections(db: Any, count: int) -> list[Any]:
    """``count`` more connections to the database ``db`` is on, each as another computer
    (or another process) would open it."""
    from desktop_app.storage.engine import engine_of

    if engine_of(db) == "postgresql":
        from desktop_app.storage import pg

        return [pg.connect(db.conn.raw.info.dsn) for _ in range(count)]
    from desktop_app.storage.db import connect

    path = db.execute("PRAGMA database_list").fetchone()[2]  # main's file
    return [connect(path) for _ in range(count)]
