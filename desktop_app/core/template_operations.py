"""Operators and methods a template calls, sized before they run.

``'x' * 10**9`` or ``'{:>999999999}'.format(x)`` asks for a gigabyte in one step, too soon
for any clock: so the result's size is worked out from the operands first and charged to
the render's ``Budget``. Here: the binary operators the sandbox intercepts (``*``, ``**``,
``+``, ``%``), the str and bytes methods that pad, join, replace or format
(``_METHOD_CHECKS``), what a list, dict or set is given to keep, and the printf, join and
replace arithmetic the filters (``core/template_filters``) share.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import BuiltinMethodType, FunctionType
from typing import Any

from desktop_app.core.template_budget import (
    MAX_NUMBER_BITS,
    Budget,
    int_or_zero,
    size_of,
    too_large_number,
)

_PRINTF = r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]"  # %(a)-9.5s (re caches it)
_SEQUENCES = (str, bytes, list, tuple)


def check_printf(budget: Budget, fmt: str, args: Any) -> None:
    """``fmt % args`` (and the ``format`` filter)."""
    values = (
        list(args.values())
        if isinstance(args, dict)
        else list(args)
        if isinstance(args, tuple)
        else [args]
    )
    fields = widest = 0
    for width, precision in re.findall(_PRINTF, fmt):
        fields += 1
        for number in (width, precision):
            if number == "*":
                widest = max([widest, *(v for v in values if isinstance(v, int))])
            elif number:
                widest = max(widest, int(number) if len(number) < 10 else budget.limit + 1)
    if fields:  # each field at most as long as all the values together, or its width
        budget.allow(len(fmt) + fields * max(widest, size_of(args, budget.limit)))


def _check_format(budget: Budget, fmt: str, args: tuple, kwargs: dict) -> None:
    """``fmt.format(*args, **kwargs)`` and ``format_map``."""
    from string import Formatter

    values = [*args, *kwargs.values()]
    fields = widest = 0
    for _text, name, spec, _conversion in Formatter().parse(fmt):
        if name is None:
            continue
        fields += 1
        if "{" in (spec or ""):  # a width given as an argument: {0:{1}}
            widest = max([widest, *(v for v in values if isinstance(v, int))])
        for number in re.findall(r"\d+", spec or ""):
            widest = max(widest, int(number) if len(number) < 10 else budget.limit + 1)
    if fields:
        budget.allow(len(fmt) + fields * max(widest, size_of(values, budget.limit)))


def joined(budget: Budget, items: Any, separator: Any) -> list:
    """``items`` as a list, once their join is known to fit (a generator is read once)."""
    if type(items) is not list:
        items = list(items)
    limit = budget.limit
    size = size_of(separator, limit) * max(len(items) - 1, 0)
    budget.allow(size)
    for item in items:
        size += len(item) if type(item) is str else size_of(item, limit)
        if size > limit:
            budget.allow(size)
    return items


def check_replace(budget: Budget, text: Any, old: Any, new: Any, count: Any) -> None:
    """``text.replace(old, new, count)``: every hit may lengthen the text by ``new``."""
    budget.allow(size_of(text, budget.limit))
    budget.allow(size_of(old, budget.limit))
    budget.allow(size_of(new, budget.limit))
    text, old, new = (x if isinstance(x, (str, bytes)) else str(x) for x in (text, old, new))
    if type(old) is not type(text) or type(new) is not type(text):
        return  # the call fails on its own
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    budget.allow(len(text) + hits * (len(new) - len(old)))


# Methods of str and bytes whose result can be far longer than the string: (budget, the
# string, args, kwargs) -> the arguments to call with.
def _method_pad(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    budget.allow(int_or_zero(args[0]) if args else 0)
    return args


def _method_expandtabs(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    size = int_or_zero(args[0] if args else kwargs.get("tabsize", 8))
    budget.allow(len(text) + text.count(b"\t" if isinstance(text, bytes) else "\t") * size)
    return args


def _method_join(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    return (joined(budget, args[0], text), *args[1:]) if args else args


def _method_replace(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    if len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        check_replace(budget, text, args[0], args[1], count)
    return args


def _method_translate(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    table = args[0] if args else None
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        budget.allow(len(text) * max(longest, 1))
    return args


def _method_format(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    _check_format(budget, text, args, kwargs)
    return args


def _method_format_map(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    if args and isinstance(args[0], dict):
        _check_format(budget, text, (), args[0])
    return args


_METHOD_CHECKS: dict[str, Callable[[Budget, Any, tuple, dict], tuple]] = {
    "center": _method_pad,
    "ljust": _method_pad,
    "rjust": _method_pad,
    "zfill": _method_pad,
    "expandtabs": _method_expandtabs,
    "join": _method_join,
    "replace": _method_replace,
    "translate": _method_translate,
    "format": _method_format,
    "format_map": _method_format_map,
}
_GROWS = frozenset({"append", "extend", "insert", "update", "setdefault", "add"})


def check_method(budget: Budget, obj: Any, args: tuple, kwargs: dict) -> tuple:
    """A method call's arguments, once it is known to fit (``_METHOD_CHECKS``); what a list,
    dict or set is given to keep is counted as made."""
    if type(obj) is FunctionType and obj.__name__ in ("format", "format_map"):
        obj = getattr(obj, "__wrapped__", obj)  # str.format, as the sandbox wraps it
    if type(obj) is not BuiltinMethodType:
        return args
    owner = obj.__self__
    if isinstance(owner, (str, bytes)):
        check = _METHOD_CHECKS.get(obj.__name__)
        return check(budget, owner, args, kwargs) if check is not None else args
    if isinstance(owner, (list, dict, set)) and obj.__name__ in _GROWS:
        if obj.__name__ == "extend" and args:
            args = (list(args[0]), *args[1:])
            budget.allow(len(owner) + len(args[0]))
        else:
            budget.allow(len(owner) + 1)
        budget.charge(sum(size_of(a, budget.limit) for a in (*args, *kwargs.values())))
    return args


def check_binop(budget: Budget, operator: str, left: Any, right: Any) -> None:
    """``left operator right`` (``*``, ``**``, ``+``, ``%``) sized before it runs."""
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
                raise too_large_number()
        elif isinstance(left, _SEQUENCES) and isinstance(right, int):
            budget.allow(len(left) * right)
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            budget.allow(len(right) * left)
    elif operator == "**":
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and left.bit_length() * right > MAX_NUMBER_BITS
        ):
            raise too_large_number()
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            budget.allow(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        check_printf(budget, left, right)
