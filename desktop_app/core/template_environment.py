"""Jinja's sandbox and compiler, bounded: the classes ``core/template_sandbox`` builds on.

Imports Jinja at the top, so it is itself imported only when the first template is
compiled (``template_sandbox.environment``), not when the app starts. The compiled
template counts what it does as it runs (``BoundedCodeGenerator`` writes calls to the
environment's ``checked_*`` methods into it); the environment sizes every call, operator,
filter and global before it runs (``core/template_operations``, ``core/template_filters``)
and counts what each made against the render's ``Budget``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment

from desktop_app.core.template_budget import (
    CONTAINERS,
    MAX_LOOP_STEPS,
    Budget,
    count_made,
    current_budget,
    size_of,
    too_many_loops,
    too_slow,
)
from desktop_app.core.template_filters import checked_range, guard_filter, guard_lipsum
from desktop_app.core.template_operations import check_binop, check_method

_SHORT = (list, tuple, dict, str)  # for loops over these are counted in one go

# --- the compiler ---------------------------------------------------------------------------


def _counted(node: nodes.Node) -> nodes.Call:
    """``environment.checked_iter(node)``: each item a step (``BoundedCodeGenerator``)."""
    callee = nodes.EnvironmentAttribute("checked_iter", lineno=node.lineno)
    return nodes.Call(callee, [node], [], None, None, lineno=node.lineno)


def _is_counted(node: nodes.Node) -> bool:
    """Is ``node`` already wrapped by ``_counted`` (a template compiled twice)?"""
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
        if not _is_counted(node.iter):
            node.iter = _counted(node.iter)
        super().visit_For(node, frame)

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if not _is_counted(node):
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


# --- what the compiled template calls -------------------------------------------------------


def _counted_items(budget: Budget, iterable: Iterable[Any]) -> Iterator[Any]:
    """A long loop's items, each a step (and a container item sized: a filter's batch may
    share its fill)."""
    for item in iterable:
        budget.step()
        if isinstance(item, CONTAINERS):
            budget.allow(size_of(item, budget.limit))
        yield item


class CountedBuffer(list):
    """A buffer the compiled template writes into (a macro, a ``set`` block), counted."""

    __slots__ = ("budget", "size")

    def __init__(self) -> None:
        super().__init__()
        self.budget = current_budget()
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


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox with every render bounded (see ``core/template_sandbox``)."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals["range"] = checked_range
        self.globals["lipsum"] = guard_lipsum(self.globals["lipsum"])
        self.filters = {name: guard_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = current_budget()
        check_binop(budget, operator, left, right)
        result = self.binop_table[operator](left, right)
        count_made(budget, result)
        return result

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.step()
        if isinstance(obj, LoopContext) and args:  # a recursive loop's next level
            args = (self.checked_iter(args[0]), *args[1:])
        else:
            args = check_method(budget, obj, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        count_made(budget, result)
        return result

    @staticmethod
    def checked_iter(iterable: Any) -> Any:
        """A for loop's iterable: a short list counted at once (and left as it is),
        anything else item by item."""
        budget = current_budget()
        if type(iterable) in _SHORT and len(iterable) <= 16:
            budget.steps += len(iterable)
            if budget.steps > MAX_LOOP_STEPS:
                raise too_many_loops()
            if time.monotonic() > budget.deadline:
                raise too_slow(budget.seconds)
            return iterable
        return _counted_items(budget, iterable)

    @staticmethod
    def checked_buffer() -> list:
        return CountedBuffer()

    @staticmethod
    def checked_value(value: Any) -> Any:
        """A value about to be written: text is counted where it is written, anything
        else (a list may hold one long text a million times) before it becomes text."""
        if type(value) is not str:
            budget = current_budget()
            budget.allow(size_of(value, budget.limit))
        return value

    @staticmethod
    def checked_concat(context: Context, values: tuple) -> str:
        """``a ~ b ~ c``: sized as it grows, before the join is made."""
        budget = current_budget()
        size = 0
        for value in values:
            size += size_of(value, budget.limit)
            budget.allow(size)
        budget.charge(size)
        return markup_join(values) if context.eval_ctx.autoescape else str_join(values)

    @staticmethod
    def checked_slice(obj: Any, part: slice) -> Any:
        """``value[a:b:c]``: the slice made, then counted."""
        result = obj[part]
        count_made(current_budget(), result)
        return result

    @staticmethod
    def checked_made(value: Any) -> Any:
        """A list, tuple or dict the template writes out (``[a, b]``)."""
        count_made(current_budget(), value)
        return value
