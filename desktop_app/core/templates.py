"""Prompt and path templates: Jinja2 in a sandbox, where a misspelt variable is an error.

Specs get copied between businesses, so templates render in Jinja2's
``SandboxedEnvironment`` (no access to Python internals) with ``StrictUndefined``
(a missing value raises instead of becoming an empty string in a prompt).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

PROMPT_VARIABLES = frozenset({"input", "workflow", "criteria", "examples"})


class TemplateRenderError(KnownError):
    """A template that cannot be filled in for this input."""


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    return environment().from_string(source)


def context(spec: Spec, doc: InputDoc, **extra: Any) -> dict[str, Any]:
    from desktop_app.core import examples

    return {
        "input": {"text": doc.text, "name": doc.name, "fields": dict(doc.fields)},
        "workflow": spec.name,
        "criteria": list(spec.criteria),
        # the workflow's examples as few-shot cases (core/examples): "" when it has none
        "examples": examples.as_prompt_text(examples.load(spec.folder)),
        **extra,
    }


def render(source: str, variables: dict[str, Any]) -> str:
    from jinja2 import TemplateError, UndefinedError
    from jinja2.exceptions import SecurityError

    try:
        return _compiled(source).render(variables)
    except UndefinedError as exc:
        raise TemplateRenderError(
            f"the template uses a value this input does not have ({exc.message})"
        ) from None
    except SecurityError as exc:
        raise TemplateRenderError(
            f"the template tried something that is not allowed ({exc})"
        ) from None
    except TemplateError as exc:
        raise TemplateRenderError(f"the template failed: {exc}") from None


def render_messages(spec: Spec, doc: InputDoc) -> list[dict[str, str]]:
    """The chat messages for one input: the system prompt (if any) and the user prompt."""
    variables = context(spec, doc)
    messages = []
    if spec.prompt.system.strip():
        messages.append({"role": "system", "content": render(spec.prompt.system, variables)})
    messages.append({"role": "user", "content": render(spec.prompt.template, variables)})
    return messages


def render_path(source: str, spec: Spec, doc: InputDoc, **extra: Any) -> str:
    """An action's templated path (same sandbox as prompts)."""
    return render(source, context(spec, doc, **extra))
