"""Cost of a call: the spec's prices, else litellm's bundled map, else unknown (None)."""

from __future__ import annotations

import pytest

from desktop_app.core.spec_model import ModelSpec
from desktop_app.llm.litellm_setup import load_litellm
from desktop_app.llm.pricing import cost


def test_spec_prices_win_exactly():
    model_spec = ModelSpec(
        name="openai/gpt-4o-mini", input_cost_per_mtok=1.0, output_cost_per_mtok=2.0
    )
    assert cost("openai/gpt-4o-mini", 1000, 500, model_spec) == 2000 / 1_000_000
    assert cost("openai/gpt-4o-mini", 0, 0, model_spec) == 0.0


def test_spec_prices_need_both_halves():
    half = ModelSpec(name="openai/test-model", input_cost_per_mtok=1.0)
    assert cost("openai/test-model", 1000, 500, half) is None  # falls back to litellm: unknown


def test_spec_prices_belong_to_the_spec_model_only():
    model_spec = ModelSpec(
        name="openai/test-model", input_cost_per_mtok=1.0, output_cost_per_mtok=2.0
    )
    assert cost("openai/other-model", 1000, 500, model_spec) is None


@pytest.mark.parametrize("model", ["gpt-4o-mini", "openai/gpt-4o-mini"])
def test_litellm_price_map_for_a_known_model(model):
    entry = load_litellm().model_cost["gpt-4o-mini"]
    expected = 1000 * entry["input_cost_per_token"] + 500 * entry["output_cost_per_token"]
    assert cost(model, 1000, 500, None) == pytest.approx(expected)
    assert expected > 0


@pytest.mark.parametrize("model", ["openai/test-model", "test-model", "llama3", "nosuch/model"])
def test_unknown_model_is_none_never_zero(model):
    assert cost(model, 1000, 500, None) is None
    assert cost(model, 1000, 500, None) is None  # the remembered answer agrees


def test_missing_token_counts_are_unknown():
    model_spec = ModelSpec(
        name="openai/test-model", input_cost_per_mtok=1.0, output_cost_per_mtok=2.0
    )
    assert cost("openai/test-model", None, 5, model_spec) is None
    assert cost("openai/test-model", 5, None, model_spec) is None


def test_price_lookup_prints_nothing(capfd):
    cost("nosuch/model-xyz", 10, 10, None)
    assert capfd.readouterr() == ("", "")


def test_remembered_rates_agree_with_litellm_including_tiered_prices():
    litellm = load_litellm()
    tiered = [
        name
        for name, entry in litellm.model_cost.items()
        if entry.get("mode") == "chat"
        and "input_cost_per_token_above_200k_tokens" in entry
        and "/" in name
    ][:2]
    for model in ["openai/gpt-4o-mini", *tiered]:
        for tokens_in, tokens_out in [(1234, 567), (300_000, 1_000), (2_000_000, 10)]:
            expected = sum(
                litellm.cost_per_token(
                    model=model, prompt_tokens=tokens_in, completion_tokens=tokens_out
                )
            )
            assert cost(model, tokens_in, tokens_out) == pytest.approx(expected), model
