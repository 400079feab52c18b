"""How the scorecard's figures read, the same in the window, the command line and the
report; and its default period. Light on imports: the command line reads it to build
its help."""

from __future__ import annotations

from datetime import date, timedelta

WEEKS_SHOWN = 8  # the default period: this week and the seven before


def weeks_back(weeks: int = WEEKS_SHOWN, today: date | None = None) -> str:
    """The Monday ``weeks - 1`` weeks before this week's: the first day of the last
    ``weeks`` weeks."""
    today = today or date.today()
    return (today - timedelta(days=today.weekday(), weeks=weeks - 1)).isoformat()


def percent(share: float | None) -> str:
    """A rate as the scorecard says it everywhere (``-``: nothing to divide by)."""
    return "-" if share is None else f"{share:.0%}"


def duration(minutes: float | None) -> str:
    """A time to a decision as the scorecard says it everywhere."""
    if minutes is None:
        return "-"
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h" if minutes < 48 * 60 else f"{minutes / 1440:.1f} d"
