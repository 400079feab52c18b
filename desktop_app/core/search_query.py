"""The search box's language, for the inbox, the activity log and the command line.

- plain words: each must appear (anywhere, any case, as part of a word too);
- ``"a quoted phrase"``: those words together;
- ``-word`` or ``-"a phrase"``: must not appear;
- filters: ``workflow:NAME``, ``status:STATUS``, ``model:TEXT``, ``by:PERSON``,
  ``after:YYYY-MM-DD`` (from that day on) and ``before:YYYY-MM-DD`` (up to the day
  before); a filter given twice allows either value (``status:pending status:escalated``).

Nothing is ever an error: text that does not parse (an unknown ``key:``, a date that is
not one, a quote left open) is searched for as it was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

FILTERS = ("workflow", "status", "model", "by", "after", "before")
STATUSES = ("pending", "escalated", "approved", "rejected", "expired")

_TOKEN = re.compile(
    r"""(?P<neg>-)?(?:(?P<key>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))|(?P<lone>")"""
)


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...] = ()  # every one must appear
    excluded: tuple[str, ...] = ()  # none may appear
    workflow: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    model: tuple[str, ...] = ()  # part of the model's name
    by: tuple[str, ...] = ()  # who decided
    after: str | None = None  # ISO date, inclusive
    before: str | None = None  # ISO date, exclusive
    text: str = field(default="", compare=False)  # as typed

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


@dataclass(frozen=True)
class FtsPlan:
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
        if key and not negative and _filter(key, value, filters):
            continue
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
    )


def _filter(key: str, value: str, filters: dict[str, list[str]]) -> bool:
    """Take ``key:value`` as a filter; False when it is not one (then it is searched as text)."""
    if key not in filters or not value.strip():
        return False
    value = value.strip()
    if key == "status":
        if value.lower() not in STATUSES:
            return False
        value = value.lower()
    if key in ("after", "before"):
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            return False
    filters[key].append(value)
    return True
