"""The search box's language: words, phrases, exclusions, filters; nothing is an error."""

from __future__ import annotations

import pytest

from desktop_app.core.search_query import SearchQuery, parse


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


def test_an_empty_query():
    assert parse("   ").empty and not parse("x").empty and not parse("status:pending").empty
