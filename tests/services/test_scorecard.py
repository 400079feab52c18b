"""The scorecard's figures from a seeded history, against figures worked out by hand."""

from __future__ import annotations

import json

import pytest

from desktop_app.services.scorecard import edit_size, nearest_rank, scorecard, week_of
from desktop_app.storage.db import transaction

A, B = "2026-11-03T10:00:00.000Z", "2026-11-10T09:00:00.000Z"  # weeks of 2 and 9 November


def _at(stamp: str, minutes: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def history(db):
    # (run, created, status, original, output, escalation reason, reject reason, minutes)
    items = [
        (1, A, "approved", "Fine.", "Fine.", None, None, 30),
        (1, A, "approved", "Hello world", "Hello there world", None, None, 90),  # 6 inserted
        (2, A, "approved", "abc", "abd", None, None, 10),  # a word of 3 replaced
        (2, A, "rejected", "x", "x", "check failed", "Too formal.", 60),
        (2, A, "expired", "x", "x", "rule", None, None),
        (3, B, "rejected", "y", "y", None, "too  formal", 20),
        (3, B, "rejected", "y", "y", None, "Wrong customer", 40),
        (3, B, "pending", "y", "y", None, None, None),
        (3, B, "escalated", "y", "y", "needs a person", None, None),
        (3, B, "approved", "elsewhere", "elsewhere", None, None, 5),  # another workflow's
    ]
    runs = [(1, "2026-11-03T09:59:00.000Z"), (2, "2026-11-03T15:00:00.000Z"), (3, _at(B, -1))]
    calls = [  # (at, purpose, ok, cost)
        (A, "run", 1, 0.01),
        (A, "run", 1, 0.02),
        (A, "run", 1, 0.03),
        (A, "run", 0, None),  # failed: not charged
        (A, "profile", 1, 1.00),  # a cost profile's call: no output of the workflow
        (B, "run", 1, 0.04),
        (B, "run", 1, None),  # a model with no known price
    ]
    with transaction(db):
        for run_id, started in runs:
            db.execute(
                "INSERT INTO runs (id, workflow, state, started_at) VALUES (?, 'wf', 'finished', ?)",
                [run_id, started],
            )
        for n, (run, created, status, original, output, reason, rejected, minutes) in enumerate(
            items
        ):
            db.execute(
                "INSERT INTO items (workflow, run_id, status, input_name, input_text, output,"
                " original_output, reason, reject_reason, created_at, decided_at)"
                " VALUES (?, ?, ?, 'in', 'text', ?, ?, ?, ?, ?, ?)",
                [
                    "other" if n == 9 else "wf",
                    run,
                    status,
                    output,
                    original,
                    reason,
                    rejected,
                    created,
                    None if minutes is None else _at(created, minutes),
                ],
            )
        for at, purpose, ok, cost in calls:
            db.execute(
                "INSERT INTO model_calls (workflow, model, attempt, ok, cost_usd, at, purpose)"
                " VALUES ('wf', 'm', 1, ?, ?, ?, ?)",
                [ok, cost, at, purpose],
            )
    return db


def test_week_by_week_figures_are_the_ones_worked_out_by_hand(history):
    card = scorecard(history, "wf", since="2026-11-01")
    first, second = card.weeks
    assert (first.start, second.start) == ("2026-11-02", "2026-11-09")
    counts = ("made", "approved", "edited", "rejected", "expired", "open", "escalated")
    assert [getattr(first, c) for c in counts] == [5, 1, 2, 1, 1, 0, 2]
    assert [getattr(second, c) for c in counts] == [4, 0, 0, 2, 0, 2, 1]
    assert first.rate(first.edited) == 0.4 and second.rate(second.open) == 0.5
    assert (first.edit_chars_median, first.edit_chars_p90) == (4.5, 6)
    assert (second.edit_chars_median, second.edit_chars_p90) == (None, None)
    assert first.decision_minutes_median == 45  # 10, 30, 60, 90
    assert second.decision_minutes_median == 30  # 20, 40
    assert first.runs == 2 and first.cost_usd == pytest.approx(0.06)
    assert first.cost_per_run == pytest.approx(0.03)
    assert first.cost_per_approved == pytest.approx(0.02)  # three approved, one edited or not
    assert second.runs == 1 and second.cost_usd is None  # a price unknown: never $0
    assert second.cost_per_run is None and second.cost_per_approved is None


def test_the_whole_period_and_the_rejection_reasons(history):
    card = scorecard(history, "wf", since="2026-11-01")
    total = card.total
    assert (total.made, total.approved, total.edited, total.rejected) == (9, 1, 2, 3)
    assert (total.expired, total.open, total.escalated) == (1, 2, 3)
    assert total.decision_minutes_median == 35  # 10, 20, 30, 40, 60, 90
    assert (total.edit_chars_median, total.edit_chars_p90, total.runs) == (4.5, 6, 3)
    assert total.cost_usd is None
    assert card.rejection_reasons == [("Too formal.", 2), ("Wrong customer", 1)]
    data = json.loads(json.dumps(card.as_dict()))  # the --json shape
    assert data["weeks"][0]["edited_rate"] == 0.4 and data["weeks"][0]["cost_per_run_usd"] == 0.03
    assert data["rejection_reasons"][0] == {"reason": "Too formal.", "count": 2}


def test_a_period_counts_only_what_was_made_in_it(history):
    card = scorecard(history, "wf", since="2026-11-09", until="2026-11-16")
    assert [w.start for w in card.weeks] == ["2026-11-09"] and card.total.made == 4
    assert scorecard(history, "nothing-here", since="2026-11-01").total.made == 0


@pytest.mark.parametrize(
    ("before", "after", "size"),
    [
        ("same", "same", 0),
        ("Hello world", "Hello there world", 6),
        ("abc", "abd", 3),  # a word replaced: its longer side
        ("abc", "", 3),
        ("", "new text", 8),
        ("one two", "one three", 5),  # "two" -> "three"
        ("Dear Anna, thanks.", "Dear Anna, many thanks!", 6),  # "many " inserted, "." -> "!"
    ],
)
def test_edit_size_counts_characters_changed(before, after, size):
    assert edit_size(before, after) == size


def test_nearest_rank_percentile_and_weeks():
    assert nearest_rank(list(range(1, 11)), 0.9) == 9
    assert nearest_rank([5], 0.9) == 5
    assert week_of("2026-11-08T23:59:59.000Z") == "2026-11-02"  # a Sunday: its Monday
    assert week_of("2026-11-09") == "2026-11-09"
