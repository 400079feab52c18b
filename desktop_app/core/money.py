"""Money as people read it: the one place amounts in US dollars are formatted.

Every amount shown anywhere (command line, window, messages) goes through ``usd``, so a
tiny cost never reads as a free one: a call of $0.000008 shows as that, not as $0.0000.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

UNKNOWN = "unknown"


def usd(value: float) -> str:
    """Dollars and cents; small sums with two significant digits (at most ten decimals)."""
    if value < 0:
        return "-" + usd(-value)
    if value >= 1 or value == 0 or (value >= 0.01 and round(value, 2) == round(value, 6)):
        return f"${value:,.2f}"
    if value >= 0.0001:
        return f"${value:.4f}"
    if value < 1e-10:
        return "<$0.0000000001"
    decimals = min(10, 1 - math.floor(math.log10(value)))
    return f"${value:.{decimals}f}"


def usd_or_unknown(value: float | None, unknown: str = UNKNOWN) -> str:
    """``usd``, or ``unknown`` where no price is known (never shown as $0)."""
    return unknown if value is None else usd(value)


def cost_text(value: float | None, *, answered: bool = True) -> str:
    """A cost as ``usd_or_unknown``; nothing spent because no model answered says so, so
    it does not read as a free answer."""
    if not answered and not value:
        return f"{usd(0)} (no model answered)"
    return usd_or_unknown(value)


def item_answered(item: Mapping[str, object]) -> bool:
    """Whether a model answered for this item (the answering call's tokens are kept)."""
    return item.get("tokens_out") is not None or bool(item.get("cost_usd"))
