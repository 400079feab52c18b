"""Jinja's filters and the globals ``range`` and ``lipsum``, sized before they run.

A filter such as ``center(10**9)``, ``indent`` or ``tojson(indent=...)`` can make far
more text than it is given, in one call too soon for any clock: so each is wrapped
(``guard_filter``) to check its arguments against the render's ``Budget`` first
(``_FILTER_CHECKS``) and to count what it returns. Imports nothing of Jinja's: the
environment (``core/template_environment``) hands its filters and globals in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from desktop_app.core.template_budget import (
    ACTIVE,
    MAX_LOOP_STEPS,
    Budget,
    count_made,
    current_budget,
    int_or_zero,
    measure,
    size_of,
    too_many_loops,
)
from desktop_app.core.template_operations import check_printf, check_replace, joined

_Check = Callable[..., Any]
_SAME: Any = object()  # a check's answer when the call's arguments stand as they are
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)


# Filters whose output can be far longer than their input: each check sees the filter's own
# arguments (after Jinja's context or environment) and may hand back a replacement for the
# value (a generator read into a list).
def _filter_center(budget: Budget, value: Any, width: Any = 80) -> Any:
    budget.allow(max(size_of(value, budget.limit), int_or_zero(width)))
    return _SAME


def _filter_indent(
    budget: Budget, s: Any, width: Any = 4, first: Any = False, blank: Any = False
) -> Any:
    size = size_of(s, budget.limit)
    budget.allow(size)
    indent = len(width) if isinstance(width, str) else int_or_zero(width)
    lines = s.count("\n") + 1 if isinstance(s, str) else size
    budget.allow(size + indent * lines)
    return _SAME


def _filter_format(budget: Budget, value: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(value, str):
        check_printf(budget, value, kwargs or args)
    return _SAME


def _filter_replace(budget: Budget, s: Any, old: Any, new: Any, count: Any = None) -> Any:
    check_replace(budget, s, old, new, -1 if count is None else count)
    return _SAME


def _filter_batch(budget: Budget, value: Any, linecount: Any, fill_with: Any = None) -> Any:
    if fill_with is not None:
        budget.allow(int_or_zero(linecount))
    return _SAME


def _filter_slice(budget: Budget, value: Any, slices: Any, fill_with: Any = None) -> Any:
    if int_or_zero(slices) > MAX_LOOP_STEPS:
        raise too_many_loops()
    return _SAME


def _filter_wordwrap(
    budget: Budget,
    s: Any,
    width: Any = 79,
    break_long_words: Any = True,
    wrapstring: Any = None,
    break_on_hyphens: Any = True,
) -> Any:
    size = size_of(s, budget.limit)
    budget.allow(size)
    wrap = 1 if wrapstring is None else size_of(wrapstring, budget.limit)
    budget.allow(size + wrap * (size // max(int_or_zero(width), 1) + 1))
    return _SAME


def _filter_tojson(budget: Budget, value: Any, indent: Any = None) -> Any:
    size, depth, text = measure(value, budget.limit)
    budget.allow(size)
    width = len(indent) if isinstance(indent, str) else int_or_zero(indent)
    # a character of text may become a \ud83d\ude00 escape; each item a line, indented
    budget.allow(size + 11 * text + width * depth * size)
    return _SAME


def _filter_pprint(budget: Budget, value: Any) -> Any:
    size, depth, text = measure(value, budget.limit)
    budget.allow(size)
    budget.allow(size + 9 * text + depth * size)  # \U0001f600; each item a line, indented
    return _SAME


def _filter_sum(budget: Budget, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if not isinstance(start, (list, tuple, str)):
        return _SAME  # numbers
    items = list(iterable)
    size = len(start) + sum(len(x) for x in items if isinstance(x, _SIZED))
    budget.allow(size)
    budget.charge(size * len(items) // 2)  # each addition copies what came before
    return items


def _filter_text(budget: Budget, value: Any, *args: Any, **kwargs: Any) -> Any:
    """A filter that turns its value into text first (``string``, ``upper``...)."""
    budget.allow(size_of(value, budget.limit))
    return _SAME


_FILTER_CHECKS: dict[str, _Check] = {
    "center": _filter_center,
    "indent": _filter_indent,
    "format": _filter_format,
    "replace": _filter_replace,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "wordwrap": _filter_wordwrap,
    "tojson": _filter_tojson,
    "pprint": _filter_pprint,
    "sum": _filter_sum,
    **{
        name: _filter_text
        for name in (
            "capitalize", "e", "escape", "forceescape", "lower", "string", "striptags",
            "title", "trim", "truncate", "upper", "urlencode", "urlize", "wordcount", "xmlattr",
        )
    },
}  # fmt: skip


def guard_filter(name: str, func: Any) -> Any:
    """``func`` sized before it runs (``_FILTER_CHECKS``) and its result counted."""
    if name == "join":
        return _guard_join(func)
    check = _FILTER_CHECKS.get(name)
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @wraps(func)  # keeps jinja_pass_arg: Jinja still passes the context or environment
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = ACTIVE.get() or Budget()
        if check is not None and len(args) > skip:
            value = check(budget, *args[skip:], **kwargs)
            if value is not _SAME:
                args = (*args[:skip], value, *args[skip + 1 :])
        result = func(*args, **kwargs)
        count_made(budget, result)
        return result

    return guarded


def _guard_join(func: Any) -> Any:
    """``join``, the filter most prompts use, without the general wrapper's cost."""

    @wraps(func)
    def join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        budget = ACTIVE.get() or Budget()
        result = func(eval_ctx, joined(budget, value, d), d, attribute)
        budget.charge(len(result))
        return result

    return join


# --- globals ------------------------------------------------------------------------------


def checked_range(*args: Any) -> range:
    """``range``, refused past ``MAX_LOOP_STEPS`` numbers before a loop over it starts."""
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:  # more than sys.maxsize
        count = MAX_LOOP_STEPS + 1
    if count > MAX_LOOP_STEPS:
        raise too_many_loops()
    return numbers


def guard_lipsum(func: Any) -> Any:
    """``lipsum``, sized before it runs (``lipsum(10**9)`` is a lot of Latin)."""

    def lipsum(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> Any:
        # words of at most a dozen letters
        current_budget().allow(int_or_zero(n) * int_or_zero(max) * 13)
        return func(n, html, min, max)

    return lipsum
