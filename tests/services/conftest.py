"""Fixtures the services' tests share."""

from __future__ import annotations

import pytest

from desktop_app.storage.db import connect


@pytest.fixture
def db(tmp_path):
    """The database in ``tmp_path/data``, the data folder the services see."""
    database = connect(tmp_path / "data" / "signoff.db")
    yield database
    database.conn.close()
