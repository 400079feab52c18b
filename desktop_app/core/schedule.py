"""Schedule arithmetic: when an enabled workflow runs, and what to do about missed slots.

Pure functions of explicit times (no clock, no Qt), so a fake clock tests them and the
app's QTimer only asks ``plan`` what is due. ``every`` slots are the enable time plus whole
intervals (the first run comes one interval after enabling, not at once); ``cron`` is read
in the local time zone (or the one given), so "0 8 * * 1-5" stays at 08:00 across DST.

Catch-up after the app was closed or the machine slept: ``latest`` runs once for all
missed slots, ``all`` once per missed slot (the most recent 24 at most), ``none`` drops
them (a slot only just due, within ``GRACE``, still runs: a timer firing late is not a
missed slot).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from desktop_app.core.durations import parse_duration
from desktop_app.core.spec_model import ScheduleSpec

CATCH_UP = ("latest", "all", "none")
MAX_CATCH_UP = 24  # runs at most for catch_up = "all"
GRACE = timedelta(minutes=2)
MONTH = timedelta(days=30)


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone (got {value.isoformat()})")
    return value


def _local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None  # astimezone() always gives an aware time
    return zone


@dataclass(frozen=True)
class Schedule:
    anchor: datetime  # when the workflow was enabled: every-slots count from here
    every: timedelta | None = None
    cron: str = ""
    catch_up: str = "latest"
    tz: tzinfo | None = None  # where cron is read; None: the machine's local zone

    @classmethod
    def from_spec(
        cls, spec: ScheduleSpec, anchor: datetime, *, tz: tzinfo | None = None
    ) -> Schedule:
        problem = validate(spec)
        if problem:
            raise ValueError(problem)
        every = parse_duration(spec.every) if spec.every else None
        return cls(_aware(anchor, "the anchor"), every, spec.cron.strip(), spec.catch_up, tz)

    def describe(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {_words(self.every)}"

    def _zone(self) -> tzinfo:
        return self.tz or _local_zone()

    def next_after(self, t: datetime) -> datetime:
        """The first slot strictly after ``t``."""
        t = _aware(t, "the time")
        if self.every is not None:
            if t < self.anchor:
                return self.anchor + self.every
            k = (t - self.anchor) // self.every + 1
            return self.anchor + k * self.every
        from croniter import croniter

        start = max(t, self.anchor).astimezone(self._zone())
        return croniter(self.cron, start).get_next(datetime)

    def slots_between(
        self, after: datetime, until: datetime, limit: int | None = None
    ) -> list[datetime]:
        """Slots s with after < s <= until, oldest first; with ``limit``, the most recent only."""
        after, until = _aware(after, "the start"), _aware(until, "the end")
        if until <= after:
            return []
        if self.every is not None:
            first = self.next_after(after)
            if first > until:
                return []
            count = (until - first) // self.every + 1
            skip = max(0, count - limit) if limit is not None else 0
            return [first + (skip + i) * self.every for i in range(count - skip)]
        from croniter import croniter

        zone = self._zone()
        lower = max(after, self.anchor)
        if limit is not None:  # walk back from the end: a year of minutes is never listed
            it = croniter(self.cron, until.astimezone(zone) + timedelta(microseconds=1))
            found: list[datetime] = []
            while len(found) < limit:
                slot = it.get_prev(datetime)
                if slot <= lower:
                    break
                if slot <= until:
                    found.append(slot)
            return sorted(found)
        it = croniter(self.cron, lower.astimezone(zone))
        slots: list[datetime] = []
        while True:
            slot = it.get_next(datetime)
            if slot > until:
                return slots
            slots.append(slot)


@dataclass(frozen=True)
class Plan:
    slots: tuple[datetime, ...]  # run once for each, oldest first
    missed: int  # due slots since the last one handled (cron: at most MAX_CATCH_UP + 1)
    catch_up: bool  # making up for time the app was closed or asleep
    next_at: datetime  # the next slot after now
    last_slot: datetime | None  # store this as the last slot handled


def plan(schedule: Schedule, last_slot: datetime | None, now: datetime) -> Plan:
    """What is due at ``now`` given the last slot handled (None: none since enabling)."""
    now = _aware(now, "now")
    after = last_slot if last_slot is not None else schedule.anchor
    due = schedule.slots_between(after, now, limit=MAX_CATCH_UP + 1)
    if schedule.every is not None and due:
        missed = (now - schedule.next_after(after)) // schedule.every + 1
    else:
        missed = len(due)  # for cron, counted up to MAX_CATCH_UP + 1 ("more than 24")
    next_at = schedule.next_after(now)
    if not due:
        return Plan((), 0, False, next_at, last_slot)
    latest = due[-1]
    if schedule.catch_up == "latest":
        slots: tuple[datetime, ...] = (latest,)
    elif schedule.catch_up == "all":
        slots = tuple(due[-MAX_CATCH_UP:])
    else:  # none: only a slot that is just due, and only when nothing was missed before it
        slots = (latest,) if missed == 1 and now - latest <= GRACE else ()
    return Plan(slots, missed, missed > 1, next_at, latest)


def runs_per_month(spec: ScheduleSpec, start: datetime | None = None) -> float:
    """Runs in 30 days: every = "1h" -> 720; cron counts its slots in the 30 days after
    ``start`` (default now, local time)."""
    problem = validate(spec)
    if problem:
        raise ValueError(problem)
    if spec.every:
        return MONTH / parse_duration(spec.every)
    start = start or datetime.now().astimezone()
    sched = Schedule(_aware(start, "the start"), None, spec.cron.strip(), spec.catch_up)
    return float(len(sched.slots_between(start, start + MONTH)))


def validate(spec: ScheduleSpec) -> str | None:
    """What is wrong with a [schedule] table, in one sentence, or None."""
    every, cron = spec.every.strip(), spec.cron.strip()
    if bool(every) == bool(cron):
        return '[schedule] needs exactly one of every (e.g. "1h") or cron (e.g. "0 8 * * 1-5")'
    if spec.catch_up not in CATCH_UP:
        return f"[schedule] catch_up '{spec.catch_up}' is not one of: {', '.join(CATCH_UP)}"
    if every:
        try:
            parse_duration(every)
        except ValueError as exc:
            return f"[schedule] every: {exc}"
        return None
    from croniter import croniter

    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        return (
            f"[schedule] cron '{cron}' is not a cron expression: five fields, minute hour "
            'day-of-month month day-of-week, e.g. "0 8 * * 1-5"'
        )
    return None


def _words(every: timedelta | None) -> str:
    if every is None:
        return ""
    seconds = int(every.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
