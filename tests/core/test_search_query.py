"""The search box's language: words, phrases, exclusions, filters; nothing is an error."""

from __future__ import annotations

import pytest

from desktop_app.core.search_query import SearchQuery, nothing_found, parse
from desktop_app.core.search_query import problem as search_problem


def test_plain_words_must_all_match():
    assert parse("late  delivery").words == ("late", "delivery")


def test_a_quoted_phrase_stays_together():
    assert parse('"cold coffee" refund').words == ("cold coffee", "refund")


def test_minus_excludes_a_word_or_a_phrase():
    q = parse('refund -voucher -"gift card"')
    assert q.words == ("refund",) and q.excluded == ("voucher", "gift card")


def test_filters():
    q = parse(
        "workflow:review-reply status:Escalated model:gpt-4o by:maria "
        "after:2026-11-01 before:2026-12-01 cake"
    )
    assert q == SearchQuery(
        words=("cake",),
        workflow=("review-reply",),
        status=("escalated",),
        model=("gpt-4o",),
        by=("maria",),
        after="2026-11-01",
        before="2026-12-01",
        text=q.text,
    )


def test_a_filter_twice_allows_either_value():
    assert parse("status:pending status:escalated").status == ("pending", "escalated")


def test_a_quoted_filter_value():
    assert parse('by:"Maria Rossi"').by == ("Maria Rossi",)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("after:yesterday", ("after:yesterday",)),  # not a date: searched as typed
        ("status:lost", ("status:lost",)),  # not a status
        ("http://example.com/x", ("http://example.com/x",)),  # not a filter at all
        ('"open quote', ("open quote",)),  # a quote left open: the rest as typed
        ("-", ("-",)),
        ("e-mail", ("e-mail",)),
        ("Zürich 東京 ok", ("Zürich", "東京", "ok")),
    ],
)
def test_what_does_not_parse_is_searched_literally(typed, words):
    assert parse(typed).words == words


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("status:lost", "no status 'lost': use one of pending, escalated, approved, rejected, expired, all"),
        ("after:yesterday", "after:yesterday is not a date: write it as after:YYYY-MM-DD, e.g. after:2026-11-01"),
        ("cake before:2026-02-30", "before:2026-02-30 is not a date: write it as before:YYYY-MM-DD, e.g. before:2026-11-01"),
        ("workflow:nope", "no workflow named 'nope': the workflows are a, b"),
        ("status:all workflow:a after:2026-02-28 -status:lost", ""),  # all fine (-x is a word)
    ],
)  # fmt: skip
def test_a_filter_that_cannot_mean_anything_is_named_with_what_is_valid(typed, problem):
    assert search_problem(parse(typed), ["b", "a"]) == problem


def test_status_all_is_every_status():
    assert parse("status:all").status == ("pending", "escalated", "approved", "rejected", "expired")
    assert parse("status:ALL status:pending").status[:5] == parse("status:all").status


@pytest.mark.parametrize(
    ("typed", "statuses", "workflow", "line"),
    [
        ("", ("pending", "escalated"), None, "no items awaiting a decision"),
        ("cake", ("pending", "escalated"), "w", "no items awaiting a decision in 'w' matching 'cake'"),
        ("status:rejected cake", ("pending", "escalated"), None, "no items rejected matching 'status:rejected cake'"),
        ("status:all", ("pending",), None, "no items matching 'status:all'"),
        ("", ("approved", "expired"), None, "no items approved or expired"),
    ],
)  # fmt: skip
def test_an_empty_result_says_what_was_searched(typed, statuses, workflow, line):
    assert nothing_found(parse(typed), statuses, workflow) == line


def test_an_empty_query():
    assert parse("   ").empty and not parse("x").empty and not parse("status:pending").empty


def test_the_fts_plan_quotes_words_and_leaves_short_ones_to_like():
    from desktop_app.core.search_query import fts_plan

    plan = fts_plan(parse('refund "cold coffee" -voucher ok -no'))
    assert plan.match == '"refund" AND "cold coffee" NOT "voucher"'
    assert (plan.short_words, plan.short_excluded) == (("ok",), ("no",))
    assert fts_plan(parse('say "hi"')).match == '"say"'
    quoted = fts_plan(SearchQuery(words=('say "hi" now',)))
    assert quoted.match == '"say ""hi"" now"'  # a quote inside is doubled
    only_excluded = fts_plan(parse("-voucher status:pending"))
    assert only_excluded.match is None and only_excluded.short_excluded == ("voucher",)


def test_the_fts_plan_is_valid_fts5(tmp_path):
    """Every plan runs on a real FTS5 trigram table and finds what LIKE would."""
    import sqlite3

    from desktop_app.core.search_query import fts_plan

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    rows = ["Cold coffee, no refund", 'He said "quoted" words', "Voucher and refund", "ok"]
    conn.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", enumerate(rows, start=1))
    for typed, expected in (
        ("refund", [1, 3]),
        ("refund -voucher", [1]),
        ('"cold coffee"', [1]),
        ('said "quoted', [2]),
        ("REFUND", [1, 3]),
    ):
        plan = fts_plan(parse(typed))
        assert plan.match is not None
        found = [
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", [plan.match]
            )
        ]
        assert found == expected, typed
