""" "Test connection": one tiny model call, reported in plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.core.errors import ModelCallError
from desktop_app.core.spec_model import ModelSpec

if TYPE_CHECKING:
    from desktop_app.services.pipeline import ModelGateway


def test_connection(
    model: str, api_base: str | None, gateway: ModelGateway | None = None
) -> tuple[bool, str]:
    """(worked?, what happened) after asking ``model`` for a one-word answer."""
    if not model:
        return False, "Choose a model first."
    if gateway is None:
        from desktop_app.llm.gateway import Gateway

        gateway = Gateway()
    spec = ModelSpec(
        name=model, api_base=api_base or "", max_tokens=8, timeout_s=20, retries=0, temperature=0
    )
    messages = [{"role": "user", "content": "Reply with the single word OK."}]
    try:
        result = gateway.complete(spec, messages)
    except ModelCallError as exc:
        return False, str(exc)
    answer = " ".join((result.text or "").split())[:40]
    return True, f"{result.model} answered in {result.latency_ms} ms: \u201c{answer}\u201d"
