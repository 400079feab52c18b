"""The data folder: Signoff's own answer for the usual Linux cases is platformdirs' answer."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from desktop_app.core.paths import user_data_dir

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the fast path is Linux's"
)


@pytest.mark.parametrize(
    ("xdg", "home"),
    [
        ("/srv/data", "/home/ana"),  # XDG_DATA_HOME wins
        ("/srv/data/", "/home/ana"),
        (None, "/home/ana"),  # unset: ~/.local/share
        ("", "/home/ana/"),  # empty: ~/.local/share, HOME's trailing slash dropped
        ("relative/data", "/home/ana"),  # not absolute: ignored
        (None, "/"),
        (None, "relative-home"),  # not absolute: platformdirs' own rules
    ],
)
def test_the_fast_answer_is_platformdirs_answer(
    monkeypatch: pytest.MonkeyPatch, xdg: str | None, home: str
) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    monkeypatch.setenv("HOME", home)
    assert user_data_dir() == platformdirs.user_data_dir("Signoff", appauthor=False)


def test_the_answer_moves_with_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/one")
    first = user_data_dir()
    monkeypatch.setenv("XDG_DATA_HOME", "/two")
    assert (first, user_data_dir()) == ("/one/Signoff", "/two/Signoff")
