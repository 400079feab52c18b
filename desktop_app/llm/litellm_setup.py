"""The one place litellm is imported: lazily, offline, quietly.

``import litellm`` takes seconds and ~200 MB, so nothing in ``desktop_app.llm`` imports it
at module level; callers that need it call ``load_litellm()`` (or ``warm_up()`` ahead of
time, off the UI thread).
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

from desktop_app.core import collector, pyside_hook

_lock = threading.Lock()
_litellm: ModuleType | None = None


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
            with pyside_hook.answered_cheaply(), collector.paused(tidy=True):
                import litellm

            litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners
            if hasattr(litellm, "telemetry"):
                litellm.telemetry = False
            litellm.set_verbose = False
            _litellm = litellm
        return _litellm


def loaded() -> bool:
    """Whether litellm has been imported and configured already."""
    return _litellm is not None
