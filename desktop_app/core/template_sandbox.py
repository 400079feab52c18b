"""The bounded Jinja2 sandbox every prompt and path template renders in.

Specs get copied between businesses, so templates render in Jinja2's
``SandboxedEnvironment`` (no access to Python internals) with ``StrictUndefined``
(a missing value raises instead of becoming an empty string in a prompt).

The sandbox keeps a template away from Python's internals, not from the machine's memory
and time: ``{{ 'x' * 10**9 }}`` asks for a gigabyte. So every render is bounded
(``_Budget``): its output (``MAX_RENDER_CHARS``, more when the input itself is long), the
text it builds along the way (``WORK_FACTOR`` outputs' worth), its loop iterations and
calls (``MAX_LOOP_STEPS``), its numbers (``MAX_NUMBER_BITS``) and its time
(``MAX_RENDER_SECONDS``). What could be huge is sized *before* it runs: ``*``, ``**``,
``+``, ``%`` (``_check_binop``), ``range``, the filters (``_FILTER_CHECKS``) and string
methods (``_METHOD_CHECKS``) that pad, join, replace or format. The compiled template
counts as it goes: every loop iteration, call, written value, ``set``-block or macro
buffer, ``~`` and slice (``_environment_class``). A greedy template, and any other failure
inside one, is a ``TemplateRenderError`` with the reason, never an unhandled exception.

Lists and dicts count too: one the template makes may not stand for more text than an
output (``[a, a]`` nested forty deep is a trillion characters, and Python compares and
hashes it without a clock). What is left unbounded is small: one operation on values
within these caps (sorting a long list) may run past the deadline by its own length.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from types import BuiltinMethodType, FunctionType
from typing import TYPE_CHECKING, Any

from desktop_app.core.errors import KnownError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

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
                raise _too_many_loops()
            if time.monotonic() > self.deadline:
                raise too_slow(self.seconds)


def too_slow(seconds: float = MAX_RENDER_SECONDS) -> TemplateRenderError:
    return TemplateRenderError(f"the template took longer than {seconds:g} s", TOO_MUCH)


def _too_many_loops() -> TemplateRenderError:
    return TemplateRenderError(f"the template loops more than {MAX_LOOP_STEPS:,} times", TOO_MUCH)


def _too_large_number() -> TemplateRenderError:
    return TemplateRenderError(
        f"the template makes a number too large (more than {MAX_NUMBER_BITS:,} bits)", TOO_MUCH
    )


ACTIVE: ContextVar[Budget | None] = ContextVar("signoff_template_budget", default=None)


def _budget() -> Budget:
    """The running render's budget; outside one (Jinja folding constants while it compiles)
    a fresh one with the plain caps and no clock."""
    return ACTIVE.get() or Budget()


# --- sizes --------------------------------------------------------------------------------

_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
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


def _int(value: Any) -> int:
    """``value`` as a size when it is a whole number (else 0: the call fails on its own)."""
    return value if isinstance(value, int) else 0


def _measure(value: Any, cap: float) -> tuple[int, int, int]:
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


def _size(value: Any, cap: float) -> int:
    if type(value) is str:
        return len(value)
    return _measure(value, cap)[0]


_CONTAINERS = (list, tuple, dict, set, frozenset)


def _made(budget: Budget, value: Any) -> None:
    """``value`` was just made by the template: text is counted as work; a list, dict or
    namespace must not stand for more text than one output (see the module's docstring)."""
    if isinstance(value, str):
        budget.charge(len(value))
    elif isinstance(value, _CONTAINERS) or type(value).__name__ == "Namespace":
        budget.allow(_size(value, budget.limit))
        budget.charge(len(value) if isinstance(value, _CONTAINERS) else 1)
    elif isinstance(value, bytes):
        budget.charge(len(value))


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


# --- sizing an operation before it runs ------------------------------------------------------

_PRINTF = r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]"  # %(a)-9.5s (re caches it)


def _check_printf(budget: Budget, fmt: str, args: Any) -> None:
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
        budget.allow(len(fmt) + fields * max(widest, _size(args, budget.limit)))


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
        budget.allow(len(fmt) + fields * max(widest, _size(values, budget.limit)))


def _joined(budget: Budget, items: Any, separator: Any) -> list:
    """``items`` as a list, once their join is known to fit (a generator is read once)."""
    if type(items) is not list:
        items = list(items)
    limit = budget.limit
    size = _size(separator, limit) * max(len(items) - 1, 0)
    budget.allow(size)
    for item in items:
        size += len(item) if type(item) is str else _size(item, limit)
        if size > limit:
            budget.allow(size)
    return items


def _check_replace(budget: Budget, text: Any, old: Any, new: Any, count: Any) -> None:
    budget.allow(_size(text, budget.limit))
    budget.allow(_size(old, budget.limit))
    budget.allow(_size(new, budget.limit))
    text, old, new = (x if isinstance(x, (str, bytes)) else str(x) for x in (text, old, new))
    if type(old) is not type(text) or type(new) is not type(text):
        return  # the call fails on its own
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    budget.allow(len(text) + hits * (len(new) - len(old)))


_Check = Callable[..., Any]
_SAME: Any = object()  # a check's answer when the call's arguments stand as they are


# Filters whose output can be far longer than their input: each check sees the filter's own
# arguments (after Jinja's context or environment) and may hand back a replacement for the
# value (a generator read into a list).
def _filter_center(budget: Budget, value: Any, width: Any = 80) -> Any:
    budget.allow(max(_size(value, budget.limit), _int(width)))
    return _SAME


def _filter_indent(
    budget: Budget, s: Any, width: Any = 4, first: Any = False, blank: Any = False
) -> Any:
    size = _size(s, budget.limit)
    budget.allow(size)
    indent = len(width) if isinstance(width, str) else _int(width)
    lines = s.count("\n") + 1 if isinstance(s, str) else size
    budget.allow(size + indent * lines)
    return _SAME


def _filter_format(budget: Budget, value: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(value, str):
        _check_printf(budget, value, kwargs or args)
    return _SAME


def _filter_replace(budget: Budget, s: Any, old: Any, new: Any, count: Any = None) -> Any:
    _check_replace(budget, s, old, new, -1 if count is None else count)
    return _SAME


def _filter_batch(budget: Budget, value: Any, linecount: Any, fill_with: Any = None) -> Any:
    if fill_with is not None:
        budget.allow(_int(linecount))
    return _SAME


def _filter_slice(budget: Budget, value: Any, slices: Any, fill_with: Any = None) -> Any:
    if _int(slices) > MAX_LOOP_STEPS:
        raise _too_many_loops()
    return _SAME


def _filter_wordwrap(
    budget: Budget,
    s: Any,
    width: Any = 79,
    break_long_words: Any = True,
    wrapstring: Any = None,
    break_on_hyphens: Any = True,
) -> Any:
    size = _size(s, budget.limit)
    budget.allow(size)
    wrap = 1 if wrapstring is None else _size(wrapstring, budget.limit)
    budget.allow(size + wrap * (size // max(_int(width), 1) + 1))
    return _SAME


def _filter_tojson(budget: Budget, value: Any, indent: Any = None) -> Any:
    size, depth, text = _measure(value, budget.limit)
    budget.allow(size)
    width = len(indent) if isinstance(indent, str) else _int(indent)
    # a character of text may become a \ud83d\ude00 escape; each item a line, indented
    budget.allow(size + 11 * text + width * depth * size)
    return _SAME


def _filter_pprint(budget: Budget, value: Any) -> Any:
    size, depth, text = _measure(value, budget.limit)
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
    budget.allow(_size(value, budget.limit))
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


def _guard_filter(name: str, func: Any) -> Any:
    """``func`` sized before it runs (``_FILTER_CHECKS``) and its result counted."""
    from functools import wraps

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
        _made(budget, result)
        return result

    return guarded


def _guard_join(func: Any) -> Any:
    """``join``, the filter most prompts use, without the general wrapper's cost."""
    from functools import wraps

    @wraps(func)
    def join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        budget = ACTIVE.get() or Budget()
        result = func(eval_ctx, _joined(budget, value, d), d, attribute)
        budget.charge(len(result))
        return result

    return join


# Methods of str and bytes whose result can be far longer than the string: (budget, the
# string, args, kwargs) -> the arguments to call with.
def _method_pad(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    budget.allow(_int(args[0]) if args else 0)
    return args


def _method_expandtabs(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    size = _int(args[0] if args else kwargs.get("tabsize", 8))
    budget.allow(len(text) + text.count(b"\t" if isinstance(text, bytes) else "\t") * size)
    return args


def _method_join(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    return (_joined(budget, args[0], text), *args[1:]) if args else args


def _method_replace(budget: Budget, text: Any, args: tuple, kwargs: dict) -> tuple:
    if len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        _check_replace(budget, text, args[0], args[1], count)
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


def _check_method(budget: Budget, obj: Any, args: tuple, kwargs: dict) -> tuple:
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
        budget.charge(sum(_size(a, budget.limit) for a in (*args, *kwargs.values())))
    return args


def _check_binop(budget: Budget, operator: str, left: Any, right: Any) -> None:
    """``left operator right`` (``*``, ``**``, ``+``, ``%``) sized before it runs."""
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
                raise _too_large_number()
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
            raise _too_large_number()
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            budget.allow(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        _check_printf(budget, left, right)


_SEQUENCES = (str, bytes, list, tuple)
_SHORT = (list, tuple, dict, str)  # for loops over these are counted in one go


def _checked_range(*args: Any) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:  # more than sys.maxsize
        count = MAX_LOOP_STEPS + 1
    if count > MAX_LOOP_STEPS:
        raise _too_many_loops()
    return numbers


def _guard_lipsum(func: Any) -> Any:
    def lipsum(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> Any:
        _budget().allow(_int(n) * _int(max) * 13)  # words of at most a dozen letters
        return func(n, html, min, max)

    return lipsum


# --- the environment ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined

    return _environment_class()(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def _environment_class() -> type[SandboxedEnvironment]:
    """Jinja's sandbox, bounded (defined here: Jinja is imported on first use, not at start)."""
    from jinja2 import nodes
    from jinja2.compiler import CodeGenerator, Frame, optimizeconst
    from jinja2.runtime import Context, LoopContext, markup_join, str_join
    from jinja2.sandbox import SandboxedEnvironment

    def counted(node: nodes.Node) -> nodes.Call:
        """``environment.checked_iter(node)``: each item a step (``BoundedCodeGenerator``)."""
        callee = nodes.EnvironmentAttribute("checked_iter", lineno=node.lineno)
        return nodes.Call(callee, [node], [], None, None, lineno=node.lineno)

    def is_counted(node: nodes.Node) -> bool:
        return (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.EnvironmentAttribute)
            and node.node.name == "checked_iter"
        )

    class BoundedCodeGenerator(CodeGenerator):
        """Jinja's compiler, counting what a template does as it runs: loop iterations,
        every value it writes, what it writes into a buffer (a macro, a ``set`` block),
        ``~`` joins and slices. It also notes the names a template reads without setting
        them (``undeclared``: what jinja2.meta finds, without a second pass)."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.undeclared: set[str] = set()

        def enter_frame(self, frame: Frame) -> None:
            super().enter_frame(frame)
            for action, name in frame.symbols.loads.values():
                if action == "resolve":
                    self.undeclared.add(name)

        def visit_For(self, node: nodes.For, frame: Frame) -> None:
            if not is_counted(node.iter):
                node.iter = counted(node.iter)
            super().visit_For(node, frame)

        @optimizeconst
        def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
            if not is_counted(node):
                super().visit_Call(node, frame, forward_caller=forward_caller)
                return
            self.write("environment.checked_iter(")  # directly: not a call from the template
            self.visit(node.args[0], frame)
            self.write(")")

        def buffer(self, frame: Frame) -> None:
            frame.buffer = self.temporary_identifier()
            self.writeline(f"{frame.buffer} = environment.checked_buffer()")

        def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
            super()._output_child_pre(node, frame, finalize)
            self.write("environment.checked_value(")

        def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
            self.write(")")
            super()._output_child_post(node, frame, finalize)

        def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
            if node.ctx != "load":  # a target: {% for a, b in ... %}
                super().visit_Tuple(node, frame)
            else:
                self._made(node, frame, super().visit_Tuple)

        def visit_List(self, node: nodes.List, frame: Frame) -> None:
            self._made(node, frame, super().visit_List)

        def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
            self._made(node, frame, super().visit_Dict)

        def _made(self, node: Any, frame: Frame, visit: Callable[[Any, Frame], None]) -> None:
            """A literal list, tuple or dict, sized as it is made unless it is constant."""
            try:
                node.as_const(frame.eval_ctx)
            except Exception:
                self.write("environment.checked_made(")
                visit(node, frame)
                self.write(")")
            else:
                visit(node, frame)

        @optimizeconst
        def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
            self.write("environment.checked_concat(context, (")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

        @optimizeconst
        def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
            if not isinstance(node.arg, nodes.Slice):
                super().visit_Getitem(node, frame)
                return
            self.write("environment.checked_slice(")
            self.visit(node.node, frame)
            self.write(", slice(")
            for part in (node.arg.start, node.arg.stop, node.arg.step):
                if part is None:
                    self.write("None")
                else:
                    self.visit(part, frame)
                self.write(", ")
            self.write("))")

    def counted_items(budget: Budget, iterable: Any) -> Any:
        for item in iterable:
            budget.step()
            if isinstance(item, _CONTAINERS):  # (a filter's batch may share its fill)
                budget.allow(_size(item, budget.limit))
            yield item

    class Buffer(list):
        """A buffer the compiled template writes into, counted."""

        __slots__ = ("budget", "size")

        def __init__(self) -> None:
            super().__init__()
            self.budget = _budget()
            self.size = 0

        def _count(self, size: int) -> None:
            self.size += size
            self.budget.allow(self.size)
            self.budget.charge(size)

        def append(self, text: Any) -> None:
            self._count(len(text))
            super().append(text)

        def extend(self, texts: Any) -> None:
            texts = tuple(texts)
            self._count(sum(len(t) for t in texts))
            super().extend(texts)

    class Environment(SandboxedEnvironment):
        """The sandbox with every render bounded (see the module's docstring)."""

        code_generator_class = BoundedCodeGenerator
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def __init__(self, **options: Any):
            super().__init__(**options)
            self.globals["range"] = _checked_range
            self.globals["lipsum"] = _guard_lipsum(self.globals["lipsum"])
            self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            budget = _budget()
            _check_binop(budget, operator, left, right)
            result = self.binop_table[operator](left, right)
            _made(budget, result)
            return result

        def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            budget = _budget()
            budget.step()
            if isinstance(obj, LoopContext) and args:  # a recursive loop's next level
                args = (self.checked_iter(args[0]), *args[1:])
            else:
                args = _check_method(budget, obj, args, kwargs)
            result = super().call(context, obj, *args, **kwargs)
            _made(budget, result)
            return result

        @staticmethod
        def checked_iter(iterable: Any) -> Any:
            """A for loop's iterable: a short list counted at once (and left as it is),
            anything else item by item."""
            budget = _budget()
            if type(iterable) in _SHORT and len(iterable) <= 16:
                budget.steps += len(iterable)
                if budget.steps > MAX_LOOP_STEPS:
                    raise _too_many_loops()
                if time.monotonic() > budget.deadline:
                    raise too_slow(budget.seconds)
                return iterable
            return counted_items(budget, iterable)

        @staticmethod
        def checked_buffer() -> list:
            return Buffer()

        @staticmethod
        def checked_value(value: Any) -> Any:
            """A value about to be written: text is counted where it is written, anything
            else (a list may hold one long text a million times) before it becomes text."""
            if type(value) is not str:
                budget = _budget()
                budget.allow(_size(value, budget.limit))
            return value

        @staticmethod
        def checked_concat(context: Context, values: tuple) -> str:
            budget = _budget()
            size = 0
            for value in values:
                size += _size(value, budget.limit)
                budget.allow(size)
            budget.charge(size)
            return markup_join(values) if context.eval_ctx.autoescape else str_join(values)

        @staticmethod
        def checked_slice(obj: Any, part: slice) -> Any:
            result = obj[part]
            _made(_budget(), result)
            return result

        @staticmethod
        def checked_made(value: Any) -> Any:
            """A list, tuple or dict the template writes out (``[a, b]``)."""
            _made(_budget(), value)
            return value

    return Environment
