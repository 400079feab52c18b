"""Schedule arithmetic with a fake clock: slots, missed slots per catch-up rule, DST, cron edges."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop_app.core.schedule import (
    MAX_CATCH_UP,
    Schedule,
    plan,
    runs_per_month,
    validate,
)
from desktop_app.core.spec_model import ScheduleSpec

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # when the workflow was enabled


def every(text: str, catch_up: str = "latest", anchor: datetime = T0) -> Schedule:
    return Schedule.from_spec(ScheduleSpec(every=text, catch_up=catch_up), anchor)


def cron(expr: str, catch_up: str = "latest", anchor: datetime = T0) -> Schedule:
    return Schedule.from_spec(ScheduleSpec(cron=expr, catch_up=catch_up), anchor, tz=BERLIN)


def test_every_slots_count_from_the_enable_time():
    s = every("1h")
    assert s.next_after(T0) == T0 + timedelta(hours=1)  # not at once
    assert s.next_after(T0 + timedelta(minutes=59)) == T0 + timedelta(hours=1)
    assert s.next_after(T0 + timedelta(hours=1)) == T0 + timedelta(hours=2)  # strictly after
    slots = s.slots_between(T0, T0 + timedelta(hours=3))
    assert slots == [T0 + timedelta(hours=h) for h in (1, 2, 3)]
    assert s.describe() == "every 1h" and every("90m").describe() == "every 90m"


@pytest.mark.parametrize(
    ("text", "runs"), [("1h", 720.0), ("15m", 2880.0), ("1d", 30.0), ("1w", 30 / 7)]
)
def test_runs_per_month_for_every(text, runs):
    assert runs_per_month(ScheduleSpec(every=text)) == pytest.approx(runs)


def test_runs_per_month_for_a_weekday_cron_over_a_known_window():
    start = datetime(2026, 6, 1, 0, 0, tzinfo=BERLIN)  # a Monday; 30 days = June 1..30
    assert runs_per_month(ScheduleSpec(cron="0 8 * * 1-5"), start) == 22.0
    assert runs_per_month(ScheduleSpec(cron="0 8 * * *"), start) == 30.0


def test_app_closed_five_hours_catch_up_latest_runs_once():
    now = T0 + timedelta(hours=5, minutes=10)
    p = plan(every("1h"), None, now)
    assert p.slots == (T0 + timedelta(hours=5),)
    assert p.missed == 5 and p.catch_up
    assert p.last_slot == T0 + timedelta(hours=5)
    assert p.next_at == T0 + timedelta(hours=6)
    again = plan(every("1h"), p.last_slot, now + timedelta(minutes=1))
    assert again.slots == () and again.missed == 0  # nothing twice


def test_catch_up_all_runs_each_missed_slot_bounded():
    now = T0 + timedelta(hours=5, minutes=10)
    p = plan(every("1h", "all"), None, now)
    assert p.slots == tuple(T0 + timedelta(hours=h) for h in range(1, 6))
    long = plan(every("1h", "all"), None, T0 + timedelta(hours=100))
    assert p.catch_up and long.missed == 100 and len(long.slots) == MAX_CATCH_UP
    assert long.slots[-1] == T0 + timedelta(hours=100)  # the most recent ones


def test_catch_up_none_drops_missed_slots_but_advances():
    now = T0 + timedelta(hours=5, minutes=10)
    p = plan(every("1h", "none"), None, now)
    assert p.slots == () and p.missed == 5
    assert p.last_slot == T0 + timedelta(hours=5)


def test_a_timer_firing_late_still_runs_the_slot():
    late = T0 + timedelta(hours=1, seconds=30)
    for rule in ("none", "latest", "all"):
        p = plan(every("1h", rule), None, late)
        assert p.slots == (T0 + timedelta(hours=1),) and not p.catch_up, rule
    too_late = plan(every("1h", "none"), None, T0 + timedelta(hours=1, minutes=10))
    assert too_late.slots == ()  # ten minutes late under "none" is a missed slot


def test_cron_keeps_local_time_across_both_dst_changes():
    s = cron("0 8 * * *", anchor=datetime(2026, 3, 27, 12, tzinfo=UTC))
    slots = s.slots_between(s.anchor, datetime(2026, 3, 31, 12, tzinfo=UTC))
    assert [x.astimezone(BERLIN).hour for x in slots] == [8, 8, 8, 8]
    # 08:00 Berlin is 07:00 UTC in winter and 06:00 UTC in summer
    assert [x.astimezone(UTC).hour for x in slots] == [7, 6, 6, 6]
    autumn = cron("0 8 * * *", anchor=datetime(2026, 10, 23, tzinfo=UTC))
    slots = autumn.slots_between(autumn.anchor, datetime(2026, 10, 28, tzinfo=UTC))
    assert [x.astimezone(BERLIN).hour for x in slots] == [8] * 5
    assert [x.astimezone(UTC).hour for x in slots] == [6, 6, 7, 7, 7]


def test_a_cron_time_that_does_not_exist_on_the_spring_day_is_not_run_twice():
    # 02:30 does not exist in Berlin on 2026-03-29 (clocks jump 02:00 -> 03:00)
    s = cron("30 2 * * *", anchor=datetime(2026, 3, 27, 12, tzinfo=UTC))
    slots = s.slots_between(s.anchor, datetime(2026, 3, 31, 12, tzinfo=UTC))
    days = [x.astimezone(BERLIN).date().isoformat() for x in slots]
    assert len(days) == len(set(days))  # at most once a day
    assert {"2026-03-28", "2026-03-30", "2026-03-31"} <= set(days)


def test_cron_edge_cases_leap_day_and_day_31():
    leap = cron("0 0 29 2 *", anchor=datetime(2026, 3, 1, tzinfo=BERLIN))
    assert leap.next_after(datetime(2026, 3, 1, tzinfo=BERLIN)) == datetime(
        2028, 2, 29, tzinfo=BERLIN
    )
    day31 = cron("0 9 31 * *", anchor=datetime(2026, 4, 1, tzinfo=BERLIN))
    nxt = day31.next_after(datetime(2026, 4, 1, tzinfo=BERLIN))
    assert (nxt.month, nxt.day, nxt.hour) == (5, 31, 9)  # April has no 31st


def test_cron_catch_up_counts_missed_slots():
    anchor = datetime(2026, 11, 2, 7, tzinfo=BERLIN)
    s = cron("0 8 * * *", anchor=anchor)
    p = plan(s, None, datetime(2026, 11, 5, 9, tzinfo=BERLIN))  # 2, 3, 4 and 5 Nov at 08:00
    assert p.missed == 4 and p.catch_up and len(p.slots) == 1
    assert p.slots[0] == datetime(2026, 11, 5, 8, tzinfo=BERLIN)


def test_slots_between_with_a_limit_is_arithmetic_for_every():
    s = every("1m")
    slots = s.slots_between(T0, T0 + timedelta(days=365), limit=3)
    assert slots == [T0 + timedelta(days=365) - timedelta(minutes=m) for m in (2, 1, 0)]
    c = cron("* * * * *")
    assert len(c.slots_between(T0, T0 + timedelta(days=365), limit=3)) == 3


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (ScheduleSpec(), "exactly one of every"),
        (ScheduleSpec(every="1h", cron="0 8 * * *"), "exactly one of every"),
        (ScheduleSpec(every="soon"), "'soon' is not a duration"),
        (ScheduleSpec(cron="0 25 * * *"), "cron '0 25 * * *' is not a cron expression"),
        (ScheduleSpec(cron="0 8 * *"), "five fields"),
        (ScheduleSpec(every="1h", catch_up="some"), "catch_up 'some'"),
    ],
)
def test_invalid_schedules_say_what_is_wrong(spec, words):
    assert words in validate(spec)
    with pytest.raises(ValueError, match="schedule"):
        Schedule.from_spec(spec, T0)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        every("1h", anchor=datetime(2026, 11, 2, 9))
    with pytest.raises(ValueError, match="time zone"):
        every("1h").next_after(datetime(2026, 11, 2, 9))
