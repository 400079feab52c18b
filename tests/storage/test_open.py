"""Opening the database: two connections opening a new one at the same moment (the window
and the command line on a first start) both get it, migrated once."""

from __future__ import annotations

import threading
from pathlib import Path

from desktop_app.storage.db import MIGRATIONS, connect, schema_version


def open_twice_at_once(path: Path) -> tuple[list[int], list[str]]:
    go, errors, opened = threading.Event(), [], []

    def open_it() -> None:
        go.wait()
        try:
            db = connect(path)
            opened.append(schema_version(db))
            db.conn.close()
        except Exception as exc:  # the test reports what went wrong, not a hang
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(60)
    return opened, errors


def test_two_first_opens_at_the_same_moment_both_succeed(tmp_path):
    for trial in range(20):
        opened, errors = open_twice_at_once(tmp_path / f"try-{trial}" / "signoff.db")
        assert errors == [] and opened == [len(MIGRATIONS)] * 2
