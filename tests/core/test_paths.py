"""The data and cache folders: Signoff's own answer for the usual Linux cases is platformdirs'."""

from __future__ import annotations

import sys
from collections.abc import Callable

import platformdirs
import pytest

from desktop_app.core.paths import user_cache_dir, user_data_dir

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the fast path is Linux's"
)


FOLDERS = [
    ("XDG_DATA_HOME", user_data_dir, platformdirs.user_data_dir),
    ("XDG_CACHE_HOME", user_cache_dir, platformdirs.user_cache_dir),
]


@pytest.mark.parametrize(("variable", "signoffs", "theirs"), FOLDERS)
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
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    signoffs: Callable[[], str],
    theirs: Callable[..., str],
    xdg: str | None,
    home: str,
) -> None:
    if xdg is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, xdg)
    monkeypatch.setenv("HOME", home)
    assert signoffs() == theirs("Signoff", appauthor=False)


@pytest.mark.parametrize(("variable", "signoffs"), [folder[:2] for folder in FOLDERS])
def test_the_answer_moves_with_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, signoffs: Callable[[], str]
) -> None:
    monkeypatch.setenv(variable, "/one")
    first = signoffs()
    monkeypatch.setenv(variable, "/two")
    assert (first, signoffs()) == ("/one/Signoff", "/two/Signoff")
