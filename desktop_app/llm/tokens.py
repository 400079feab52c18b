"""Counting a prompt's tokens before the call, for the budget estimate.

litellm's counter uses the model's own tokenizer where it knows one and a generic one
otherwise; if it fails, about four characters make a token. The estimate only has to
be good enough to stop a call that would cross a cap.
"""

from __future__ import annotations

from desktop_app.llm.litellm_setup import load_litellm


def rough_count(messages: list[dict]) -> int:
    chars = sum(len(str(m.get("content") or "")) for m in messages)
    return chars // 4 + 4 * len(messages) + 3


def count_tokens(model: str, messages: list[dict]) -> int:
    """Tokens the prompt ``messages`` will cost as input to ``model``."""
    try:
        counted = load_litellm().token_counter(model=model, messages=messages)
    except Exception:  # an unknown model or tokenizer: the rough count is a fair estimate
        return rough_count(messages)
    return int(counted) if counted else rough_count(messages)
