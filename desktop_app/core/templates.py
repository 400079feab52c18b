"""Prompt and path templates: Jinja2 in a sandbox, where a misspelt variable is an error.

Specs get copied between businesses, so templates render in Jinja2's
``SandboxedEnvironment`` (no access to Python internals) with ``StrictUndefined``
(a missing value raises instead of becoming an empty string in a prompt), bounded in
what a render may produce and how long it may take (``core/template_sandbox``): a greedy
template, and any failure inside one, is a ``TemplateRenderError`` with the reason.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec
from desktop_app.core.template_sandbox import (
    ACTIVE,
    FAILED,
    MAX_RENDER_SECONDS,
    MISSING,
    NOT_ALLOWED,
    TOO_MUCH,
    Budget,
    TemplateRenderError,
    environment,
    too_slow,
)

if TYPE_CHECKING:
    from jinja2 import Template

__all__ = [
    "FAILED", "MISSING", "NOT_ALLOWED", "PROMPT_VARIABLES", "TOO_MUCH", "TemplateRenderError",
    "compile_checked", "context", "environment", "render", "render_messages", "render_path",
]  # fmt: skip

PROMPT_VARIABLES = frozenset({"input", "workflow", "criteria", "examples"})


# Compiled templates by source, with the names each reads (the oldest dropped past 512).
_COMPILED: dict[str, tuple[Template, frozenset[str]]] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(source: str) -> Template:
    known = _COMPILED.get(source)
    return known[0] if known is not None else _compile(source)[0]


def compile_checked(source: str) -> frozenset[str]:
    """Compile ``source`` (once: ``render`` uses it) and return the names it reads without
    setting them (what ``jinja2.meta.find_undeclared_variables`` finds, in the same pass).
    Raises TemplateSyntaxError, for an unknown filter or test too."""
    known = _COMPILED.get(source)
    return known[1] if known is not None else _compile(source)[1]


def _compile(source: str) -> tuple[Template, frozenset[str]]:
    env = environment()
    generator = env.code_generator_class(env, None, None, None, False, env.optimized)
    generator.visit(env.parse(source))
    code = env._compile(generator.stream.getvalue(), "<template>")  # type: ignore[attr-defined]
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    compiled = (template, frozenset(getattr(generator, "undeclared", ())))
    with _COMPILED_LOCK:
        _COMPILED[source] = compiled
        while len(_COMPILED) > 512:
            del _COMPILED[next(iter(_COMPILED))]
    return compiled


def context(
    spec: Spec, doc: InputDoc, *, sources: tuple[str, ...] | None = None, **extra: Any
) -> dict[str, Any]:
    """What a template of ``spec`` may read for ``doc``. With ``sources`` (the templates
    about to be rendered), the workflow's examples are looked up only if one of them reads
    them: that look-up checks the examples' folder on disk, for every input of a run."""
    variables = {
        "input": {"text": doc.text, "name": doc.name, "fields": dict(doc.fields)},
        "workflow": spec.name,
        "criteria": list(spec.criteria),
        **extra,
    }
    if sources is None or any("examples" in _reads(source) for source in sources):
        from desktop_app.core import examples

        # the workflow's examples as few-shot cases (core/examples): "" when it has none
        variables["examples"] = examples.as_prompt_text(examples.load(spec.folder))
    return variables


def _reads(source: str) -> frozenset[str]:
    """The names ``source`` reads; every prompt variable when it does not compile (its
    render then says why, as it always did)."""
    try:
        return compile_checked(source)
    except Exception:  # any failure is the render's to report
        return PROMPT_VARIABLES


def _short(exc: BaseException) -> str:
    """An exception's message on one line, cut short (it may quote a value)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def render(source: str, variables: dict[str, Any], *, seconds: float = MAX_RENDER_SECONDS) -> str:
    """``source`` filled in with ``variables``, bounded (in time by ``seconds``); any
    failure is a TemplateRenderError."""
    budget = Budget(seconds, variables)
    token = ACTIVE.set(budget)
    chunks: Any = None  # the compiled generator, closed however the render ends
    try:
        template = _compiled(source)
        # What Template.render does, a chunk at a time: the output is counted as it grows.
        chunks = template.root_render_func(template.new_context(variables))
        parts = []
        size = 0
        limit = budget.limit
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                budget.allow(size)  # (which may make room for a long input)
                limit = budget.limit
            parts.append(chunk)
        if time.monotonic() > budget.deadline:
            raise too_slow(budget.seconds)
        return "".join(parts)
    except TemplateRenderError:
        raise
    except Exception as exc:  # OverflowError, ZeroDivisionError, TypeError... inside it
        raise _failure(exc) from None
    finally:
        ACTIVE.reset(token)
        if chunks is not None:
            chunks.close()


def _failure(exc: Exception) -> TemplateRenderError:
    from jinja2 import TemplateError, UndefinedError
    from jinja2.exceptions import SecurityError

    if isinstance(exc, UndefinedError):
        return TemplateRenderError(
            f"the template uses a value this input does not have ({exc.message})", MISSING
        )
    if isinstance(exc, SecurityError):
        return TemplateRenderError(
            f"the template tried something that is not allowed ({exc})", NOT_ALLOWED
        )
    if isinstance(exc, TemplateError):
        return TemplateRenderError(f"the template failed: {_short(exc)}")
    if isinstance(exc, RecursionError):
        return TemplateRenderError("the template is nested, or calls itself, too deeply", TOO_MUCH)
    if isinstance(exc, MemoryError):
        return TemplateRenderError("the template needs too much memory", TOO_MUCH)
    return TemplateRenderError(f"the template failed: {_short(exc)} ({type(exc).__name__})")


def render_messages(spec: Spec, doc: InputDoc) -> list[dict[str, str]]:
    """The chat messages for one input: the system prompt (if any) and the user prompt."""
    variables = context(spec, doc, sources=(spec.prompt.system, spec.prompt.template))
    messages = []
    if spec.prompt.system.strip():
        messages.append({"role": "system", "content": render(spec.prompt.system, variables)})
    messages.append({"role": "user", "content": render(spec.prompt.template, variables)})
    return messages


def render_path(source: str, spec: Spec, doc: InputDoc, **extra: Any) -> str:
    """An action's templated path (same sandbox as prompts)."""
    return render(source, context(spec, doc, **extra))
