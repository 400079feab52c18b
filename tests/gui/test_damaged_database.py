"""The window on a damaged database: said in the banner, and nothing written into it."""

from __future__ import annotations

import hashlib

import pytest

from desktop_app.storage import health


def _damage(path):
    pages = path.stat().st_size // 4096
    with path.open("r+b") as fh:
        fh.seek(4096 * max(2, pages - 2))
        fh.write(bytes((i * 37 + 11) % 256 for i in range(4096)))


@pytest.fixture
def seeded(seeded):
    """The seeded database, with 4 KB of garbage over one of its pages."""
    _damage(seeded)
    return seeded


def test_the_window_says_the_database_is_damaged_and_writes_nothing(qtbot, window, seeded):
    before = hashlib.sha256(seeded.read_bytes()).hexdigest()
    assert health.damage(seeded)
    banner = window.banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)  # the check runs once the window is painted
    assert "damaged" in banner.text.text() and "signoff db recover" in banner.text.text()
    window.show_tab("activity")
    qtbot.wait(1500)  # the index builder, the counts, the schedule's first tick
    assert hashlib.sha256(seeded.read_bytes()).hexdigest() == before


@pytest.fixture
def deferred(monkeypatch):
    """As the window's start does: no quick check as connections open."""
    monkeypatch.setattr(health, "_deferred", [True])
    monkeypatch.setattr(health, "_reasons", {})


def test_the_check_put_off_at_the_start_runs_after_the_first_paint(deferred, qtbot, window, seeded):
    assert health.damage(seeded) is None  # opening did not check
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    assert "damaged" in window.banner.text.text() and health.damage(seeded)
