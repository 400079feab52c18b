"""What one template render may do (``Budget``), and how much text a value stands for.

Every check the sandbox makes (``core/template_sandbox``) charges one ``Budget``: the
render's, found through ``ACTIVE`` so that filters, methods and the compiled template reach
it without being handed it. The sizes here are read before a value is turned into text: a
list may hold one long string a million times over, and ``str()`` of it would be the harm.
Imports nothing of Jinja's: the limits are plain arithmetic, usable before Jinja is loaded.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from desktop_app.core.errors import KnownError

# A prompt is a few thousand characters (the bundled specs' inputs are at most 15,000, the
# default input.max_chars 20,000): a million is far more than any prompt needs, and far
# less than hurts. A render may also repeat the text it is given twice over (``Budget``),
# so an input as long as its spec allows is never refused for its length.
MAX_RENDER_CHARS = 1_000_000
MAX_RENDER_SECONDS = 2.0
MAX_LOOP_STEPS = 100_000  # loop iterations and calls per render (Jinja's own range cap)
MAX_NUMBER_BITS = 100_000  # about 30,000 digits; Python prints at most 4,300
WORK_FACTOR = 10  # the text a render may build along the way, in outputs' worth

# Why a render failed (``TemplateRenderError.kind``): ``check`` reports only the last two.
MISSING = "missing"  # a value the input does not have (a sample input lacks most)
NOT_ALLOWED = "not allowed"  # the sandbox refused (at run time too: never silently)
TOO_MUCH = "too much"  # too long, too slow, too many loops, a number too large
FAILED = "failed"  # anything else raised inside the template


class TemplateRenderError(KnownError):
    """A template that cannot be filled in for this input."""

    def __init__(self, message: str, kind: str = FAILED):
        super().__init__(message)
        self.kind = kind


# --- the budget of one render -------------------------------------------------------------


class Budget:
    """What one render may still do; every check the sandbox makes goes through one."""

    __slots__ = ("deadline", "given", "limit", "seconds", "steps", "work", "work_limit")

    def __init__(self, seconds: float | None = None, given: dict[str, Any] | None = None):
        self.limit = MAX_RENDER_CHARS  # the longest output, and the longest single value
        self.work_limit = WORK_FACTOR * MAX_RENDER_CHARS
        self.given = given  # the render's variables: room for their text, when it is needed
        self.work = 0
        self.steps = 0
        self.seconds = seconds if seconds is not None else float("inf")
        self.deadline = time.monotonic() + self.seconds

    def allow(self, size: float) -> None:
        """One value (an output, a string about to be made) of ``size`` characters."""
        if size > self.limit:
            if self.given is not None:
                self._make_room()
                self.allow(size)
                return
            raise TemplateRenderError(
                f"the template would produce more than {self.limit:,} characters", TOO_MUCH
            )

    def _make_room(self) -> None:
        """Room for the text the render was given, twice over, and as much again of the
        template's own (a long input is no fault of the template's)."""
        self.limit = max(self.limit, 2 * _given(self.given or {}) + MAX_RENDER_CHARS // 10)
        self.work_limit = WORK_FACTOR * self.limit
        self.given = None

    def charge(self, size: int) -> None:
        """``size`` characters made: counted against the whole render's work (the clock is
        read at each step: anything repeated is a loop or a call)."""
        self.work += size
        if self.work > self.work_limit:
            if self.given is not None:
                self._make_room()
                self.charge(0)
                return
            raise TemplateRenderError(
                f"the template builds more than {self.work_limit:,} characters of text",
                TOO_MUCH,
            )

    def step(self) -> None:
        """One loop iteration or call; the clock is read every 16th (a step's own work is
        sized before it runs, so 16 of them are soon done)."""
        self.steps += 1
        if not self.steps & 15:
            if self.steps > MAX_LOOP_STEPS:
                raise too_many_loops()
            if time.monotonic() > self.deadline:
                raise too_slow(self.seconds)


def too_slow(seconds: float = MAX_RENDER_SECONDS) -> TemplateRenderError:
    return TemplateRenderError(f"the template took longer than {seconds:g} s", TOO_MUCH)


def too_many_loops() -> TemplateRenderError:
    return TemplateRenderError(f"the template loops more than {MAX_LOOP_STEPS:,} times", TOO_MUCH)


def too_large_number() -> TemplateRenderError:
    return TemplateRenderError(
        f"the template makes a number too large (more than {MAX_NUMBER_BITS:,} bits)", TOO_MUCH
    )


ACTIVE: ContextVar[Budget | None] = ContextVar("signoff_template_budget", default=None)


def current_budget() -> Budget:
    """The running render's budget; outside one (Jinja folding constants while it compiles)
    a fresh one with the plain caps and no clock."""
    return ACTIVE.get() or Budget()


def _given(variables: dict[str, Any]) -> int:
    """The characters of text a render is handed: text values, and the input's text."""
    total = 0
    for value in variables.values():
        if type(value) is str:
            total += len(value)
        elif type(value) is dict:
            text = value.get("text")
            if type(text) is str:
                total += len(text)
    return total


# --- sizes --------------------------------------------------------------------------------

# what ``str()`` shows item by item: sequences, sets and a dict's keys, values and items
_COLLECTIONS: Any = (
    list,
    tuple,
    set,
    frozenset,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
)
CONTAINERS = (list, tuple, dict, set, frozenset)


def int_or_zero(value: Any) -> int:
    """``value`` as a size when it is a whole number (else 0: the call fails on its own)."""
    return value if isinstance(value, int) else 0


def measure(value: Any, cap: float) -> tuple[int, int, int]:
    """(about how long ``str(value)`` is, how deeply it nests, how much of it is text
    inside strings), counting stopped soon after ``cap``: a list may hold one long string
    a million times over. Read a level at a time (no allocation per item)."""
    if isinstance(value, (str, bytes)):
        return len(value), 0, len(value)
    total = depth = text = 0
    level = [value]
    while level:
        deeper: list[Any] = []
        for item in level:
            if isinstance(item, (str, bytes, bytearray)):
                total += len(item) + 2
                text += len(item)
            elif isinstance(item, bool) or item is None:
                total += 5
            elif isinstance(item, int):
                total += item.bit_length() * 3 // 10 + 2
            elif isinstance(item, _COLLECTIONS):
                total += 2 + 2 * len(item)
                deeper.extend(item)
            elif isinstance(item, dict) or type(item).__name__ == "Namespace":
                if not isinstance(item, dict):
                    try:
                        item = object.__getattribute__(item, "_Namespace__attrs")
                    except AttributeError:
                        item = {}
                total += 2 + 4 * len(item)
                deeper.extend(item)
                deeper.extend(item.values())
            else:
                total += 24
            if total > cap:
                return total, depth + 1, text
        if deeper:
            depth += 1
        level = deeper
    return total, depth, text


def size_of(value: Any, cap: float) -> int:
    """About how long ``str(value)`` is (a plain string without the walk)."""
    if type(value) is str:
        return len(value)
    return measure(value, cap)[0]


def count_made(budget: Budget, value: Any) -> None:
    """``value`` was just made by the template: text is counted as work; a list, dict or
    namespace must not stand for more text than one output (see ``core/template_sandbox``)."""
    if isinstance(value, str):
        budget.charge(len(value))
    elif isinstance(value, CONTAINERS) or type(value).__name__ == "Namespace":
        budget.allow(size_of(value, budget.limit))
        budget.charge(len(value) if isinstance(value, CONTAINERS) else 1)
    elif isinstance(value, bytes):
        budget.charge(len(value))
