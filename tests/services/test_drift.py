"""Drift: fires on a planted worsening, stays quiet on a stable history with noise."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest

from desktop_app.services import drift
from desktop_app.storage.db import transaction

START = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seed(db, reworked: list[bool], *, workflow: str = "wf", start: datetime = START) -> None:
    """Decided items in this order (the last is the newest): a rework is an edit or a
    rejection (alternately), else an approval as it was."""
    with transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO runs (id, workflow, state, started_at)"
            " VALUES (1, ?, 'finished', ?)",
            [workflow, _stamp(start)],
        )
        for n, bad in enumerate(reworked):
            made = start + timedelta(hours=n)
            status = "rejected" if bad and n % 2 else "approved"
            output = "edited text" if bad and status == "approved" else "model text"
            db.execute(
                "INSERT INTO items (workflow, run_id, status, input_name, input_text, output,"
                " original_output, created_at, decided_at) VALUES (?, 1, ?, 'in', 'x', ?,"
                " 'model text', ?, ?)",
                [workflow, status, output, _stamp(made), _stamp(made + timedelta(minutes=30))],
            )


def history(rng: random.Random, share: float, count: int) -> list[bool]:
    return [rng.random() < share for _ in range(count)]


def test_a_planted_worsening_fires_with_its_figures(db):
    rng = random.Random(1)
    seed(db, history(rng, 0.15, 200) + history(rng, 0.6, 30))
    (found,) = drift.drift(db, "wf")
    assert found.kind == "rework" and found.n_recent == 30 and found.n_before == 200
    assert found.recent > 0.45 and found.before < 0.2 and found.z >= drift.Z
    assert "'wf' is reworked more:" in found.message and "of its last 30 items" in found.message


@pytest.mark.parametrize("seed_number", range(40))
def test_a_stable_history_with_noise_stays_quiet(db, seed_number):
    seed(db, history(random.Random(seed_number), 0.2, 230))
    assert drift.drift(db, "wf") == []


def test_a_small_rise_or_a_young_workflow_is_not_drift(db):
    rng = random.Random(7)
    seed(db, history(rng, 0.15, 200) + history(rng, 0.22, 30))
    assert drift.rework_drift(db, "wf") is None
    seed(db, [False] * 30 + [True] * 20, workflow="young")  # bad days, but 30 before: too few
    assert drift.rework_drift(db, "young") is None


def test_two_proportion_z_by_hand():
    # 18/30 against 30/200: pooled 48/230; se = sqrt(p(1-p)(1/30 + 1/200))
    pooled = 48 / 230
    expected = (18 / 30 - 30 / 200) / ((pooled * (1 - pooled) * (1 / 30 + 1 / 200)) ** 0.5)
    assert drift.two_proportion_z(18, 30, 30, 200) == pytest.approx(expected)
    assert expected == pytest.approx(5.6556, abs=1e-3)
    assert drift.two_proportion_z(0, 30, 0, 200) == 0.0


def test_cost_per_approved_output_over_the_threshold(db):
    today = date(2026, 11, 27)
    made = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    seed(db, [False, False], start=made)
    with transaction(db):
        for cost in (0.03, 0.05):
            db.execute(
                "INSERT INTO model_calls (workflow, model, attempt, ok, cost_usd, at, purpose)"
                " VALUES ('wf', 'm', 1, 1, ?, ?, 'run')",
                [cost, _stamp(made)],
            )
    found = drift.cost_drift(db, "wf", 0.03, today=today)  # $0.08 over 2 approved: $0.04
    assert found is not None and found.kind == "cost" and found.recent == pytest.approx(0.04)
    assert "costs $0.04 per approved output over the last 7 days" in found.message
    assert drift.cost_drift(db, "wf", 0.05, today=today) is None
    assert drift.cost_drift(db, "wf", None, today=today) is None
