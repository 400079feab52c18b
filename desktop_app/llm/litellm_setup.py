"""The one place litellm is imported: lazily, offline, quietly.

``import litellm`` takes seconds and ~200 MB, so nothing in ``desktop_app.llm`` imports it
at module level; callers that need it call ``load_litellm()`` (or ``warm_up()`` ahead of
time, off the UI thread).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, cast

from desktop_app.core import collector

if TYPE_CHECKING:
    from collections.abc import Callable

_lock = threading.Lock()
_litellm: ModuleType | None = None


class _FeatureModule(Protocol):
    """What is replaced of PySide6's ``shibokensupport.feature`` module."""

    _mod_uses_pyside: Callable[[ModuleType], bool]


def load_litellm() -> ModuleType:
    """Import and configure litellm once (thread-safe); later calls return it at once."""
    global _litellm
    module = _litellm
    if module is not None:
        return module
    with _lock:
        if _litellm is None:
            # Use the price map bundled with the package; never fetch it from the internet.
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
            # Its ~540,000 objects made without collections, then set aside (core.collector):
            # the import takes a quarter less, and later collections do not walk them.
            with _pyside_import_hook_tamed(), collector.paused(tidy=True):
                import litellm

            litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners
            if hasattr(litellm, "telemetry"):
                litellm.telemetry = False
            litellm.set_verbose = False
            _litellm = litellm
        return _litellm


@contextlib.contextmanager
def _pyside_import_hook_tamed() -> Iterator[None]:
    """Work around PySide6's import hook breaking ``import litellm``.

    Once PySide6 is loaded, its ``__feature__`` hook inspects every newly imported module
    with ``inspect.getsource``, which probes ``module.__wrapped__``. On pydantic's modules
    that probe runs pydantic's lazy ``__getattr__``, which imports a module that is still
    half-imported: ``ImportError: cannot import name 'import_string' from partially
    initialized module 'pydantic._internal._validators'``. It happens whenever some of
    pydantic was imported before PySide6 and litellm after (pytest's warning filters
    naming a pydantic class are enough). For the duration of the import, the hook's
    question "does this module use PySide6?" is answered by reading the module's file
    instead, which touches no module attribute. Nothing from Qt is imported here.
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        yield
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = module.__dict__.get("__file__")
        if not isinstance(path, str) or not path.endswith(".py"):
            return False
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return False

    hooked = cast(_FeatureModule, feature)  # it has the hook: ``original`` was read from it
    hooked._mod_uses_pyside = uses_pyside
    try:
        yield
    finally:
        hooked._mod_uses_pyside = original


def loaded() -> bool:
    """Whether litellm has been imported and configured already."""
    return _litellm is not None
