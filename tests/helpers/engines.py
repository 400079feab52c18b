"""Both engines for one test: ``any_db`` is a migrated, empty database on SQLite (a file
in ``tmp_path``) and on PostgreSQL (a new database on the tests' server), by parameter.

Register in a conftest with ``from tests.helpers.engines import any_db, postgres_server``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
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


def at_once(connections: list[Any], work: Callable[[Any, int], None]) -> list[BaseException]:
    """``work(db, n)`` on each connection, each in a thread of its own, all started together
    (several computers at the same moment); the connections closed after. What escaped
    ``work`` is returned."""
    start, errors = threading.Barrier(len(connections)), []

    def one(db: Any, n: int) -> None:
        start.wait()
        try:
            work(db, n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(db, n)) for n, db in enumerate(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for db in connections:
        db.conn.close()
    return errors
