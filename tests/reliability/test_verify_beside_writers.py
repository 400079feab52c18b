"""``log verify`` beside processes that append: it reads the events and the recorded head
in one snapshot, so an append between the two never looks like deleted events."""

from __future__ import annotations

import subprocess
import sys
import time

from desktop_app.storage import eventlog
from desktop_app.storage.db import connect, transaction
from tests.conftest import REPO_ROOT

WRITERS = 2
WRITE_S = 4.0
MIN_VERIFIES = 40

# Each writer appends in small transactions (one to three events) until its time is up.
WRITER = """
import sys, time
from desktop_app.storage import eventlog
from desktop_app.storage.db import connect, transaction

db = connect(sys.argv[1])
name, stop = sys.argv[2], time.monotonic() + float(sys.argv[3])
n = 0
while time.monotonic() < stop:
    with transaction(db):
        for _ in range(1 + n % 3):
            n += 1
            eventlog.append(db, "item.created", workflow=name, item_id=n, detail={"n": n})
db.conn.close()
print(n)
"""


def _seeded(path, count=300):
    db = connect(path)
    with transaction(db):
        for n in range(1, count + 1):
            eventlog.append(db, "item.created", workflow="seed", item_id=n, detail={"n": n})
    return db


def test_verify_beside_appending_processes_reports_no_tampering(tmp_path):
    path = tmp_path / "signoff.db"
    _seeded(path).conn.close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"writer-{w}", str(WRITE_S)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    db = connect(path)
    results: list[eventlog.VerifyResult] = []
    try:
        start = eventlog.head(db).seq
        deadline = time.monotonic() + WRITE_S + 5
        while eventlog.head(db).seq == start and time.monotonic() < deadline:
            time.sleep(0.01)  # the writers have started appending
        while (
            any(w.poll() is None for w in writers) or len(results) < MIN_VERIFIES
        ) and time.monotonic() < deadline:
            results.append(eventlog.verify(db))
            assert not db.conn.in_transaction  # verify's snapshot ended
    finally:
        outputs = [w.communicate(timeout=30) for w in writers]
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert int(out) > 0
    bad = [r.message for r in results if not r.ok]
    assert len(results) >= MIN_VERIFIES
    assert not bad, f"{len(bad)} of {len(results)} verifies reported tampering: {bad[:3]}"
    final = eventlog.verify(db)
    assert final.ok and final.checked == eventlog.head(db).seq, final.message
    db.conn.close()


def test_verify_inside_the_callers_transaction_reads_within_it(tmp_path):
    db = _seeded(tmp_path / "signoff.db", count=5)
    with transaction(db, immediate=False):
        eventlog.append(db, "item.approved", workflow="seed", item_id=1)
        result = eventlog.verify(db)
        assert db.conn.in_transaction  # verify neither committed nor ended it
    assert result.ok and result.checked == 6, result.message
    assert not db.conn.in_transaction
    db.conn.close()
