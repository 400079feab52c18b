"""The bounded Jinja2 sandbox every prompt and path template renders in.

Specs get copied between businesses, so templates render in Jinja2's
``SandboxedEnvironment`` (no access to Python internals) with ``StrictUndefined``
(a missing value raises instead of becoming an empty string in a prompt).

The sandbox keeps a template away from Python's internals, not from the machine's memory
and time: ``{{ 'x' * 10**9 }}`` asks for a gigabyte. So every render is bounded
(``Budget``, in ``core/template_budget``): its output (``MAX_RENDER_CHARS``, more when the
input itself is long), the text it builds along the way (``WORK_FACTOR`` outputs' worth),
its loop iterations and calls (``MAX_LOOP_STEPS``), its numbers (``MAX_NUMBER_BITS``) and
its time (``MAX_RENDER_SECONDS``). What could be huge is sized *before* it runs: ``*``,
``**``, ``+``, ``%`` and the string methods that pad, join, replace or format
(``core/template_operations``), ``range`` and the filters (``core/template_filters``). The
compiled template counts as it goes: every loop iteration, call, written value,
``set``-block or macro buffer, ``~`` and slice (``core/template_environment``). A greedy
template, and any other failure inside one, is a ``TemplateRenderError`` with the reason,
never an unhandled exception.

Lists and dicts count too: one the template makes may not stand for more text than an
output (``[a, a]`` nested forty deep is a trillion characters, and Python compares and
hashes it without a clock). What is left unbounded is small: one operation on values
within these caps (sorting a long list) may run past the deadline by its own length.

This module is the entry point (``environment``, and the limits and errors re-exported);
Jinja itself is imported on first use, not at start.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from desktop_app.core.template_budget import (
    ACTIVE,
    FAILED,
    MAX_LOOP_STEPS,
    MAX_NUMBER_BITS,
    MAX_RENDER_CHARS,
    MAX_RENDER_SECONDS,
    MISSING,
    NOT_ALLOWED,
    TOO_MUCH,
    WORK_FACTOR,
    Budget,
    TemplateRenderError,
    too_slow,
)

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "ACTIVE", "FAILED", "MAX_LOOP_STEPS", "MAX_NUMBER_BITS", "MAX_RENDER_CHARS",
    "MAX_RENDER_SECONDS", "MISSING", "NOT_ALLOWED", "TOO_MUCH", "WORK_FACTOR", "Budget",
    "TemplateRenderError", "environment", "too_slow",
]  # fmt: skip


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    """The one bounded sandbox every template renders in, made (and Jinja imported) on
    first use."""
    from jinja2 import StrictUndefined

    from desktop_app.core.template_environment import BoundedEnvironment

    return BoundedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
