"""PySide6's import hook, asked its one question more cheaply.

Once PySide6 is loaded, its ``__feature__`` hook asks of every module imported afterwards
"does this module use PySide6?" (``shibokensupport.feature._mod_uses_pyside``), by reading
the module's source with ``inspect.getsource``: the file decoded and split into lines, and
``module.__wrapped__`` probed. Here the same question is answered from the file's bytes:
the same answer for a module from a ``.py`` file (a module without one: False, as before),
and no module attribute touched. The answer only chooses between "no feature" and "ignore
this module" for ``from __feature__ import``, which Signoff never uses.

- The window's start imports some twenty of its modules after PySide6: 2.0–2.5 ms of the
  start went to the question (docs/performance.md, stop 36).
- litellm's import beside PySide6 (the test session's process) broke on the probe: on
  pydantic's modules it runs pydantic's lazy ``__getattr__``, which imports a module that is
  still half-imported (``ImportError: cannot import name 'import_string' from partially
  initialized module 'pydantic._internal._validators'``).

Nothing from Qt is imported here: a process without PySide6 is left as it is.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Protocol, cast


class _FeatureModule(Protocol):
    """What is replaced of PySide6's ``shibokensupport.feature`` module."""

    _mod_uses_pyside: Callable[[ModuleType], bool]


def uses_pyside(module: ModuleType) -> bool:
    """Whether ``module``'s source file names PySide6 (False without a ``.py`` file)."""
    path = module.__dict__.get("__file__")
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def _hook() -> _FeatureModule | None:
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or getattr(feature, "_mod_uses_pyside", None) is None:
        return None
    return cast(_FeatureModule, feature)


def answer_cheaply() -> None:
    """From now on, in this process (the window's, once PySide6 is imported)."""
    hook = _hook()
    if hook is not None:
        hook._mod_uses_pyside = uses_pyside


@contextlib.contextmanager
def answered_cheaply() -> Iterator[None]:
    """Within the block only (litellm's import, in a process that may have PySide6)."""
    hook = _hook()
    if hook is None:
        yield
        return
    original = hook._mod_uses_pyside
    hook._mod_uses_pyside = uses_pyside
    try:
        yield
    finally:
        hook._mod_uses_pyside = original
