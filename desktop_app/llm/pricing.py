"""What a model call cost, in USD.

The spec's own prices (``input_cost_per_mtok`` / ``output_cost_per_mtok``, USD per
million tokens) win for the spec's model (``ModelSpec.name``); both must be given. For
any other model (a ``--model`` override, a fallback) or without both prices, litellm's
bundled price map is used (offline). A model nobody has a price for costs ``None``
(unknown), never 0.
"""

from __future__ import annotations

import math
import threading

from desktop_app.core.spec_model import ModelSpec
from desktop_app.llm.keys import split_model
from desktop_app.llm.litellm_setup import load_litellm

_LINEAR_UP_TO = 1_000_000  # tokens; checked per model, see _rates

_lock = threading.Lock()
# (model, provider) -> (USD per input token, per output token, linear up to 1M tokens),
# or None when litellm has no price for it.
_rates_cache: dict[tuple[str, str | None], tuple[float, float, bool] | None] = {}


def _litellm_cost(model: str, custom: str | None, tokens_in: int, tokens_out: int) -> float:
    prompt_cost, completion_cost = load_litellm().cost_per_token(
        model=model,
        prompt_tokens=tokens_in,
        completion_tokens=tokens_out,
        custom_llm_provider=custom,
    )
    return float(prompt_cost) + float(completion_cost)


def _rates(model: str, custom: str | None) -> tuple[float, float, bool] | None:
    """litellm's per-token prices for ``model``, looked up once (a lookup costs ~0.3 ms,
    an unknown model more). ``linear`` says whether the price stays per-token flat up to
    a million tokens; models with tiered prices are asked every time."""
    key = (model, custom)
    with _lock:
        if key in _rates_cache:
            return _rates_cache[key]
    try:
        per_in = _litellm_cost(model, custom, 1, 0)
        per_out = _litellm_cost(model, custom, 0, 1)
        big_in = _litellm_cost(model, custom, _LINEAR_UP_TO, 0)
        big_out = _litellm_cost(model, custom, 0, _LINEAR_UP_TO)
    except Exception:  # litellm raises several types for "not in the map"
        rates = None
    else:
        linear = math.isclose(big_in, per_in * _LINEAR_UP_TO, rel_tol=1e-9) and math.isclose(
            big_out, per_out * _LINEAR_UP_TO, rel_tol=1e-9
        )
        rates = (per_in, per_out, linear)
    with _lock:
        _rates_cache[key] = rates
    return rates


def cost(
    model: str,
    tokens_in: int | None,
    tokens_out: int | None,
    model_spec: ModelSpec | None = None,
) -> float | None:
    """USD for ``tokens_in`` prompt and ``tokens_out`` completion tokens of ``model``.

    None when the price is unknown or the token counts are (a server that sent no usage).
    ``model_spec``'s prices are used only when ``model`` is the spec's own model.
    """
    if tokens_in is None or tokens_out is None:
        return None
    if model_spec is not None and model_spec.name.strip() == model.strip():
        spec_in, spec_out = model_spec.input_cost_per_mtok, model_spec.output_cost_per_mtok
        if spec_in is not None and spec_out is not None:
            return (tokens_in * spec_in + tokens_out * spec_out) / 1_000_000
    provider, explicit = split_model(model)
    # A bare name is priced as the gateway calls it (e.g. "llama3" -> openai).
    custom = None if explicit else provider
    rates = _rates(model, custom)
    if rates is None:
        return None
    per_in, per_out, linear = rates
    if linear and tokens_in <= _LINEAR_UP_TO and tokens_out <= _LINEAR_UP_TO:
        return tokens_in * per_in + tokens_out * per_out
    return _litellm_cost(model, custom, tokens_in, tokens_out)
