"""Notices: grouped per workflow, quiet hours across midnight, muted workflows."""

from __future__ import annotations

from datetime import datetime

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.services.notices import audible, from_runs, from_sweep, is_quiet, parse_quiet_hours
from desktop_app.services.review_timeouts import Swept
from desktop_app.services.runner import RunSummary


def test_new_items_are_grouped_and_point_at_the_first():
    runs = [RunSummary(1, "digest", item_ids=[4, 5, 6]), RunSummary(2, "digest", item_ids=[7])]
    statuses = {4: "pending", 5: "escalated", 6: "pending", 7: "pending"}
    new, attention = from_runs("digest", runs, statuses)
    assert (new.title, new.item_id) == ("3 new items to review", 4)
    assert (attention.title, attention.item_id) == ("1 item needs attention", 5)


def test_a_budget_block_is_a_notice_of_its_own():
    runs = [RunSummary(1, "digest", blocked="Budget: the daily cap of $0.50 for digest …")]
    (notice,) = from_runs("digest", runs, {})
    assert notice.kind == "budget" and notice.text.startswith("Budget: the daily cap")


def test_reminders_and_expiries():
    swept = Swept(reminded={"digest": [3, 4]}, expired={"reply": [9]})
    reminder, expired = from_sweep(swept)
    assert reminder.title == "2 items still wait" and reminder.item_id == 3
    assert expired.title == "1 item expired" and "never acted on" in expired.text


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [("21:59", False), ("22:00", True), ("23:30", True), ("03:00", True), ("07:00", False)],
)
def test_quiet_hours_across_midnight(clock, quiet):
    hour, minute = map(int, clock.split(":"))
    assert is_quiet(datetime(2026, 11, 25, hour, minute), "22:00-07:00") is quiet


def test_quiet_hours_within_a_day_and_bad_values():
    assert is_quiet(datetime(2026, 11, 25, 13, 0), "12:00-14:00")
    assert not is_quiet(datetime(2026, 11, 25, 13, 0), "")
    with pytest.raises(KnownError, match="should look like 22:00-07:00"):
        parse_quiet_hours("late")
    with pytest.raises(KnownError, match="not a time span"):
        parse_quiet_hours("25:00-07:00")


def test_muted_workflows_say_nothing():
    runs = [RunSummary(1, "digest", item_ids=[1])]
    notices = from_runs("digest", runs, {1: "pending"})
    assert audible(notices, {"digest"}) == [] and audible(notices, set()) == notices
