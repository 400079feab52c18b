"""The search box's language, for the inbox, the activity log and the command line.

- plain words: each must appear (anywhere, any case, as part of a word too);
- ``"a quoted phrase"``: those words together;
- ``-word`` or ``-"a phrase"``: must not appear;
- filters: ``workflow:NAME``, ``status:STATUS``, ``model:TEXT``, ``by:PERSON``,
  ``after:YYYY-MM-DD`` (from that day on) and ``before:YYYY-MM-DD`` (up to the day
  before); a filter given twice allows either value (``status:pending status:escalated``);
  ``status:all`` is every status.

Parsing never raises (the window parses as the person types). What a filter cannot mean —
a status that is none, a date that is not one — is kept in ``problems``, one line each
naming what is valid, and searched for as typed (so it finds nothing); ``problem`` adds a
workflow nobody has, and the command line and the window show that line instead of
searching (a silent empty list would say "nothing matches"). Text that is not a filter (an
unknown ``key:``, a quote left open) is searched for as it was typed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import NamedTuple

FILTERS = ("workflow", "status", "model", "by", "after", "before")
STATUSES = ("pending", "escalated", "approved", "rejected", "expired")

_TOKEN = re.compile(
    r"""(?P<neg>-)?(?:(?P<key>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))|(?P<lone>")"""
)


class SearchQuery(NamedTuple):  # a tuple, not a dataclass: `dataclasses` costs the start 3 ms
    words: tuple[str, ...] = ()  # every one must appear
    excluded: tuple[str, ...] = ()  # none may appear
    workflow: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    model: tuple[str, ...] = ()  # part of the model's name
    by: tuple[str, ...] = ()  # who decided
    after: str | None = None  # ISO date, inclusive
    before: str | None = None  # ISO date, exclusive
    text: str = ""  # as typed
    problems: tuple[str, ...] = ()  # filters that mean nothing

    @property
    def empty(self) -> bool:
        return not any(
            (self.words, self.excluded, self.workflow, self.status, self.model, self.by)
        ) and not (self.after or self.before)

    @property
    def terms(self) -> tuple[str, ...]:
        """What to highlight in a match: the words and phrases looked for."""
        return self.words


TRIGRAM = 3  # the shortest text a trigram index can find; shorter words are matched with LIKE


class FtsPlan(NamedTuple):  # a tuple, not a dataclass (0.5 ms each): read at the window's start
    """How a query runs on an FTS5 trigram index: ``match`` for the index (None: nothing
    it can do), and the words and exclusions too short for it, left for LIKE."""

    match: str | None
    short_words: tuple[str, ...] = ()
    short_excluded: tuple[str, ...] = ()


def fts_plan(query: SearchQuery) -> FtsPlan:
    """The MATCH expression for ``query``'s words: each a quoted string (quotes doubled),
    AND between them, NOT for exclusions (FTS5 needs a word to exclude from first)."""
    long_words = [w for w in query.words if len(w) >= TRIGRAM]
    long_excluded = [w for w in query.excluded if len(w) >= TRIGRAM]
    short_words = tuple(w for w in query.words if len(w) < TRIGRAM)
    short_excluded = tuple(w for w in query.excluded if len(w) < TRIGRAM)
    if not long_words:  # nothing to match: every exclusion goes to LIKE too
        return FtsPlan(None, short_words, short_excluded + tuple(long_excluded))
    match = " AND ".join(_quoted(w) for w in long_words)
    for word in long_excluded:
        match += f" NOT {_quoted(word)}"
    return FtsPlan(match, short_words, short_excluded)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def parse(text: str) -> SearchQuery:
    words: list[str] = []
    excluded: list[str] = []
    filters: dict[str, list[str]] = {name: [] for name in FILTERS}
    problems: list[str] = []
    for found in _TOKEN.finditer(text):
        if found.group("lone"):  # a quote left open: the rest as typed
            rest = text[found.start() + 1 :].strip()
            if rest:
                words.append(rest)
            break
        value = found.group("quoted") if found.group("quoted") is not None else found.group("bare")
        key = (found.group("key") or "").lower()
        negative = bool(found.group("neg"))
        raw = found.group(0).lstrip("-") if negative else found.group(0)
        if key and not negative and key in FILTERS and value.strip():
            problem = _filter(key, value.strip(), filters)
            if not problem:
                continue
            problems.append(problem)  # and searched as typed, found nowhere
        if key:  # not a filter this language knows: the text itself, as typed
            value = raw if found.group("quoted") is None else f"{found.group('key')}:{value}"
        value = value.strip()
        if not value:
            continue
        (excluded if negative else words).append(value)
    return SearchQuery(
        words=tuple(words),
        excluded=tuple(excluded),
        workflow=tuple(filters["workflow"]),
        status=tuple(filters["status"]),
        model=tuple(filters["model"]),
        by=tuple(filters["by"]),
        after=filters["after"][-1] if filters["after"] else None,
        before=filters["before"][-1] if filters["before"] else None,
        text=text,
        problems=tuple(problems),
    )


def _filter(key: str, value: str, filters: dict[str, list[str]]) -> str:
    """Take ``key:value`` as a filter; the problem with it in one line ("" when none)."""
    if key == "status":
        wanted = value.lower()
        if wanted == "all":
            filters[key].extend(STATUSES)
            return ""
        if wanted not in STATUSES:
            return f"no status {value!r}: use one of {', '.join(STATUSES)}, all"
        value = wanted
    if key in ("after", "before"):
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            return (
                f"{key}:{value} is not a date: write it as {key}:YYYY-MM-DD, e.g. {key}:2026-11-01"
            )
    filters[key].append(value)
    return ""


def problem(query: SearchQuery, workflows: Collection[str] | None = None) -> str:
    """The first thing ``query`` asks that cannot be (its ``problems``, then a
    ``workflow:`` not among ``workflows``, when given), in one line; "" when none."""
    if query.problems:
        return query.problems[0]
    if workflows is not None:
        unknown = [name for name in query.workflow if name not in workflows]
        if unknown:
            known = ", ".join(sorted(workflows)) or "none yet"
            return f"no workflow named {unknown[0]!r}: the workflows are {known}"
    return ""


def nothing_found(query: SearchQuery, statuses: Collection[str], workflow: str | None) -> str:
    """The line for an empty result, saying what was searched: the statuses (the search's
    own ``status:`` over the view's), the workflow and the text, e.g. "no items rejected
    in 'review-reply' matching 'status:rejected cake'"."""
    wanted = set(query.status or statuses)
    if wanted == {"pending", "escalated"}:
        what = " awaiting a decision"
    elif wanted >= set(STATUSES):
        what = ""
    else:
        what = " " + " or ".join(s for s in STATUSES if s in wanted)
    place = f" in {workflow!r}" if workflow else ""
    text = query.text.strip()
    return f"no items{what}{place}" + (f" matching {text!r}" if text else "")
