from desktop_app.core.money import usd, usd_or_unknown


def test_dollars_and_cents():
    assert usd(0) == "$0.00"
    assert usd(1234.5) == "$1,234.50"
    assert usd(0.25) == "$0.25"


def test_small_sums_keep_four_decimals():
    assert usd(0.0123) == "$0.0123"
    assert usd(0.0004) == "$0.0004"


def test_a_tiny_cost_never_reads_as_free():
    assert usd(0.000008) == "$0.0000080"
    assert usd(0.00000004) == "$0.000000040"
    assert usd(1e-12) == "<$0.0000000001"
    assert usd(0.00005) != "$0.0000"


def test_unknown_stays_unknown():
    assert usd_or_unknown(None) == "unknown"
    assert usd_or_unknown(None, "cost unknown") == "cost unknown"
    assert usd_or_unknown(0.5) == "$0.50"


def test_negative_amounts():
    assert usd(-2.5) == "-$2.50"


def test_nothing_spent_because_nothing_answered_says_so():
    from desktop_app.core.money import cost_text, item_answered

    assert cost_text(0.0, answered=False) == "$0.00 (no model answered)"
    assert cost_text(None, answered=False) == "$0.00 (no model answered)"
    assert cost_text(0.0) == "$0.00"  # a free model that answered
    assert cost_text(0.000008) == "$0.0000080" and cost_text(None) == "unknown"
    assert not item_answered({"tokens_out": None, "cost_usd": 0.0})
    assert item_answered({"tokens_out": 12, "cost_usd": 0.0})
