"""Money as people read it: the one place amounts in US dollars are formatted."""

from __future__ import annotations


def usd(value: float) -> str:
    """Dollars and cents, or four decimals for the small sums that cents would hide."""
    if value >= 1 or value == 0 or (value >= 0.01 and round(value, 2) == round(value, 6)):
        return f"${value:,.2f}"
    if value < 0.0001:
        return f"${value:.6f}"
    return f"${value:.4f}"
