"""Durations as written in specs: ``90s``, ``15m``, ``1h``, ``3d``, ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(
            f"'{text}' is not a duration: write a whole number and a unit, e.g. 90s, 15m, 1h, 3d, 2w"
        )
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise ValueError(f"'{text}' must be longer than zero")
    return timedelta(**{_UNITS[unit]: amount})
