"""PySide6's import hook asked its question from the file's bytes (core.pyside_hook): the
same answers as PySide6's own ``inspect``-based check, for the modules a window imports."""

from __future__ import annotations

import importlib
import sys
import types

import PySide6.QtWidgets  # noqa: F401  -- the hook exists once PySide6 is loaded

from desktop_app.core import pyside_hook

MODULES = [
    "desktop_app.gui.main_window",  # names PySide6
    "desktop_app.gui.inbox_view",
    "desktop_app.core.money",  # does not
    "desktop_app.storage.item_pages",
    "json",  # the standard library, from a .py file
    "_json",  # a compiled extension: no source
    "sys",  # built in
]


def feature() -> types.ModuleType:
    return sys.modules["shibokensupport.feature"]


def test_the_same_answer_as_pyside6s_own_check():
    original = feature()._mod_uses_pyside
    assert original is not pyside_hook.uses_pyside  # this test runs PySide's own
    for name in MODULES:
        module = importlib.import_module(name)
        assert pyside_hook.uses_pyside(module) == original(module), name
    assert pyside_hook.uses_pyside(importlib.import_module("desktop_app.gui.main_window"))
    assert not pyside_hook.uses_pyside(importlib.import_module("desktop_app.core.money"))
    nameless = types.ModuleType("made_here")  # no __file__ at all
    assert pyside_hook.uses_pyside(nameless) is original(nameless) is False


def test_answered_cheaply_only_inside_the_block_and_for_good_after_answer_cheaply(monkeypatch):
    original = feature()._mod_uses_pyside
    monkeypatch.setattr(feature(), "_mod_uses_pyside", original)  # put back after the test
    with pyside_hook.answered_cheaply():
        assert feature()._mod_uses_pyside is pyside_hook.uses_pyside
    assert feature()._mod_uses_pyside is original
    pyside_hook.answer_cheaply()
    assert feature()._mod_uses_pyside is pyside_hook.uses_pyside
