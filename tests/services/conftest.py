"""Fixtures the services' tests share: ``db`` on each engine (issue 26: the services run on
SQLite and on PostgreSQL alike; a machine without PostgreSQL skips those, naming it)."""

from __future__ import annotations

import pytest

from desktop_app.storage.db import connect


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """The database the services see: a file in ``tmp_path/data`` (the data folder), or a
    new database on the tests' PostgreSQL server (the data folder still ``tmp_path/data``)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    if request.param == "sqlite":
        database = connect(tmp_path / "data" / "signoff.db")
    else:
        from desktop_app.storage import pg

        database = pg.connect(request.getfixturevalue("postgres_url"))
    yield database
    database.conn.close()
