"""Model calls (``model_calls``): one row per call a run, a profile or a comparison made,
and what they cost over a day or a month."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from desktop_app.core.stamps import stamp, utcnow
from desktop_app.storage.db import DatabaseLike


def record_model_call(db: DatabaseLike, **row: Any) -> None:
    row.setdefault("at", utcnow())
    cols = ", ".join(row)
    db.execute(
        f"INSERT INTO model_calls ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def day_start(now: datetime | None = None) -> str:
    """Local midnight today, as a stored (UTC) timestamp: where "today's spend" begins."""
    now = (now or datetime.now(timezone.utc)).astimezone()
    return stamp(now.replace(hour=0, minute=0, second=0, microsecond=0))


def month_start(now: datetime | None = None) -> str:
    """The first instant of this month (local time), as a stored (UTC) timestamp."""
    now = (now or datetime.now(timezone.utc)).astimezone()
    return stamp(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def cost_since(db: DatabaseLike, since: str, workflow: str | None = None) -> float:
    """What the recorded model calls cost from ``since`` on (runs, profiles, comparisons)."""
    sql = "SELECT coalesce(sum(cost_usd), 0) FROM model_calls WHERE at >= ?"
    args: list[Any] = [since]
    if workflow:
        sql += " AND workflow = ?"
        args.append(workflow)
    return float(db.execute(sql, args).fetchone()[0])


def month_cost(db: DatabaseLike, workflow: str | None = None) -> float:
    return cost_since(db, month_start(), workflow)
