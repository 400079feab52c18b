"""A realistic history for the search benchmarks: years of items and their activity log.

    python benchmarks/history.py OUT.db [--items 1000000] [--seed 7]

Sizes as measured on real work (issue 16): an e-mail of about 1.5 KB in, about 500 B
out. Six workflows, one run per workflow and day; the newest items await a decision
(pending or escalated), the rest were approved (some after an edit), rejected or left to
expire. Each item has the events the runner and the decisions write: ``model.call``
(with the prompt's messages and the answer), ``item.created``, ``item.escalated`` for
escalated ones, then ``item.edited``/``item.approved``, ``item.rejected`` or
``item.expired``; each run has ``run.started`` and ``run.finished``. Three in a hundred
items are in German, French or Japanese.

Words follow a Zipf law over a few thousand words, so common words are in most items and
customer names in a few dozen: the shapes a search meets. The file is made with
Signoff's own schema (``storage.db.connect``) and its hash-chained log, so
``signoff log verify`` passes on it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.storage import eventlog  # noqa: E402
from desktop_app.storage.db import connect, transaction  # noqa: E402

WORKFLOWS = (
    "review-reply",
    "invoice-reminder",
    "support-digest",
    "bank-categorise",
    "meeting-actions",
    "product-description",
)
MODELS = ("openai/gpt-4o-mini", "anthropic/claude-3-5-haiku", "ollama/llama3.1")
PEOPLE = ("maria", "tom", "aisha", "lars")

COMMON = [
    "the",
    "to",
    "and",
    "of",
    "a",
    "in",
    "for",
    "is",
    "on",
    "that",
    "your",
    "we",
    "you",
    "with",
    "this",
    "it",
    "be",
    "as",
    "are",
    "have",
    "at",
    "order",
    "please",
    "thank",
    "invoice",
    "payment",
    "delivery",
    "customer",
    "account",
    "refund",
    "product",
    "service",
    "support",
    "team",
    "would",
    "could",
    "about",
    "our",
    "from",
    "will",
    "can",
    "if",
    "not",
    "any",
    "time",
    "week",
    "today",
    "help",
    "need",
    "received",
    "review",
    "message",
    "price",
    "total",
    "due",
    "date",
    "reference",
    "number",
    "item",
    "return",
    "shipping",
    "question",
    "problem",
    "issue",
    "reply",
    "update",
    "request",
    "confirm",
    "sorry",
    "again",
    "best",
    "regards",
    "dear",
    "hello",
    "late",
    "damaged",
    "missing",
    "package",
    "box",
    "size",
    "colour",
    "quality",
    "fast",
    "slow",
    "great",
    "good",
    "bad",
    "happy",
]

FOREIGN = (
    "Sehr geehrte Damen und Herren, die Lieferung ist leider beschädigt angekommen. "
    "Bitte erstatten Sie den Betrag für die Rechnung. Mit freundlichen Grüßen",
    "Bonjour, je n'ai pas reçu ma commande et la facture indique déjà le paiement. "
    "Pourriez-vous vérifier la livraison ? Merci beaucoup, cordialement",
    "お世話になっております。注文した商品がまだ届いておりません。請求書の金額も確認してください。"
    "よろしくお願いいたします。",
)

SYSTEM = (
    "You are a careful assistant for a small business. Answer in the customer's language, "
    "be brief and polite, never promise refunds or dates the business has not confirmed, "
    "and return only the text of the reply without any preamble. " * 3
)


def _vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    syllables = [
        "ba",
        "be",
        "bi",
        "bo",
        "ku",
        "la",
        "le",
        "li",
        "lo",
        "ma",
        "me",
        "mi",
        "mo",
        "na",
        "ne",
        "ni",
        "no",
        "ra",
        "re",
        "ri",
        "ro",
        "sa",
        "se",
        "so",
        "ta",
        "te",
        "ti",
        "to",
        "va",
        "ve",
        "vo",
        "za",
    ]
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    # sorted first: a set's order changes from one process to the next (hash seeds)
    return sorted(sorted(words), key=lambda w: (w not in COMMON, rng.random()))


class Text:
    """Zipf-distributed words, customer names and file names."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.words = _vocabulary(rng)
        weights = [1 / (rank + 1) for rank in range(len(self.words))]
        total = sum(weights)
        self.cumulative = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)
        first = [
            "anna",
            "ben",
            "clara",
            "david",
            "eva",
            "felix",
            "greta",
            "hugo",
            "ida",
            "jonas",
            "kim",
            "lena",
            "max",
            "nora",
            "otto",
            "paula",
            "quinn",
            "rosa",
            "sven",
            "tara",
        ]
        self.names = [
            f"{rng.choice(first).title()} {''.join(rng.choice('bcdfghklmnprstvwz') + rng.choice('aeiou') for _ in range(3)).title()}"
            for _ in range(30_000)
        ]

    def sentence(self, n: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        return " ".join(words).capitalize() + "."

    def paragraph(self, chars: int) -> str:
        parts: list[str] = []
        length = 0
        while length < chars:
            s = self.sentence(self.rng.randint(6, 16))
            parts.append(s)
            length += len(s) + 1
        return " ".join(parts)

    def email(self, number: int) -> tuple[str, str, str]:
        """(input name, input text, customer) for one item."""
        name = self.rng.choice(self.names)
        ref = f"INV-{self.rng.randint(10000, 99999)}"
        if self.rng.random() < 0.03:
            body = self.rng.choice(FOREIGN) + " " + ref
        else:
            body = self.paragraph(1350)
        text = f"From: {name} <{name.split()[0].lower()}@example.com>\nSubject: {ref}\n\n{body}\n\n{name}"
        return f"mail-{number:07d}.eml", text, name


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def make(path: Path, items: int, seed: int = 7, *, progress: bool = True) -> None:
    rng = random.Random(seed)
    text = Text(rng)
    db = connect(path)
    db.conn.execute("PRAGMA cache_size=-200000")
    per_run = 25
    runs = items // per_run + 1
    start = datetime(2026, 11, 27, tzinfo=timezone.utc) - timedelta(days=runs // len(WORKFLOWS))
    open_from = items - max(50, items // 500)  # the newest 0.2 % await a decision
    item_id = 0
    started = time.perf_counter()
    for run in range(1, runs + 1):
        if item_id >= items:
            break
        workflow = WORKFLOWS[run % len(WORKFLOWS)]
        model = MODELS[run % 7 % len(MODELS)]
        when = start + timedelta(days=run // len(WORKFLOWS), hours=7 + run % len(WORKFLOWS))
        rows, events = [], []
        events.append(
            (
                "run.started",
                workflow,
                run,
                None,
                {"trigger": "schedule", "inputs": per_run},
                _stamp(when),
            )
        )
        for _ in range(min(per_run, items - item_id)):
            item_id += 1
            when += timedelta(seconds=rng.randint(2, 9))
            input_name, input_text, customer = text.email(item_id)
            output = f"Dear {customer.split()[0]}, " + text.paragraph(450)
            roll = rng.random()
            if item_id > open_from:
                status = "escalated" if roll < 0.15 else "pending"
            elif roll < 0.80:
                status = "approved"
            elif roll < 0.88:
                status = "edited"
            elif roll < 0.94:
                status = "rejected"
            else:
                status = "expired"
            escalated = status == "escalated" or (status != "pending" and rng.random() < 0.06)
            reason = (
                f"check failed: {rng.choice(['the reply names a price', 'too long', 'no greeting', 'mentions a refund'])}"
                if escalated
                else None
            )
            final = output
            diff = None
            if status == "edited":
                final = output.replace(",", ", kindly", 1) + " " + text.sentence(6)
                diff = f"--- original\n+++ edited\n@@\n-{output[:60]}\n+{final[:60]}"
            decided = status not in ("pending", "escalated")
            decided_at = _stamp(when + timedelta(hours=rng.randint(1, 30))) if decided else None
            by = rng.choice(PEOPLE) if decided and status != "expired" else None
            reject_reason = (
                rng.choice(["wrong customer", "tone too formal", "promises a date", "duplicate"])
                if status == "rejected"
                else None
            )
            cost = round(rng.uniform(0.00005, 0.0004), 7)
            rows.append(
                (
                    item_id,
                    workflow,
                    run,
                    "approved" if status == "edited" else status,
                    input_name,
                    input_text,
                    final,
                    output,
                    reason,
                    reject_reason,
                    model,
                    cost,
                    rng.randint(400, 3000),
                    420,
                    130,
                    _stamp(when),
                    decided_at,
                    by,
                    diff,
                )
            )
            ts = _stamp(when)
            messages = [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": input_text},
            ]
            events.append(
                (
                    "model.call",
                    workflow,
                    run,
                    None,
                    {
                        "model": model,
                        "attempt": 1,
                        "purpose": "answer",
                        "for": "run",
                        "started_at": ts,
                        "latency_ms": 900,
                        "messages": messages,
                        "response": output,
                        "finish_reason": "stop",
                        "tokens_in": 420,
                        "tokens_out": 130,
                        "cost_usd": cost,
                    },
                    ts,
                )
            )
            events.append(
                (
                    "item.created",
                    workflow,
                    run,
                    item_id,
                    {
                        "status": "escalated" if escalated else "pending",
                        "input": input_name,
                        "model": model,
                        "cost_usd": cost,
                        "output_chars": len(output),
                    },
                    ts,
                )
            )
            if escalated:
                events.append(("item.escalated", workflow, run, item_id, {"reason": reason}, ts))
            if decided:
                if status == "edited":
                    events.append(
                        (
                            "item.edited",
                            workflow,
                            run,
                            item_id,
                            {
                                "by": by,
                                "diff": diff,
                                "chars_before": len(output),
                                "chars_after": len(final),
                            },
                            decided_at,
                        )
                    )
                if status in ("approved", "edited"):
                    events.append(
                        (
                            "item.approved",
                            workflow,
                            run,
                            item_id,
                            {"by": by, "edited": status == "edited", "was": "pending"},
                            decided_at,
                        )
                    )
                elif status == "rejected":
                    events.append(
                        (
                            "item.rejected",
                            workflow,
                            run,
                            item_id,
                            {"by": by, "reason": reject_reason, "was": "pending"},
                            decided_at,
                        )
                    )
                else:
                    events.append(
                        ("item.expired", workflow, run, item_id, {"after_days": 7}, decided_at)
                    )
        events.append(
            (
                "run.finished",
                workflow,
                run,
                None,
                {"items": len(rows), "state": "finished"},
                _stamp(when),
            )
        )
        events.sort(key=lambda e: e[5])  # the log is in time order
        with transaction(db):
            db.conn.execute(
                "INSERT INTO runs (id, workflow, trigger, state, model, started_at, finished_at, n_inputs, n_items)"
                " VALUES (?, ?, 'schedule', 'finished', ?, ?, ?, ?, ?)",
                (run, workflow, model, rows[0][15], _stamp(when), len(rows), len(rows)),
            )
            db.conn.executemany(
                "INSERT INTO items (id, workflow, run_id, status, input_name, input_text, output,"
                " original_output, reason, reject_reason, model, cost_usd, latency_ms, tokens_in,"
                " tokens_out, created_at, decided_at, decided_by, diff)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            eventlog.append_many(db, events)
        if progress and run % 2000 == 0:
            rate = item_id / (time.perf_counter() - started)
            print(f"  {item_id:,} items ({rate:,.0f}/s)", file=sys.stderr)
    db.conn.execute(
        "INSERT OR IGNORE INTO workflow_versions (workflow, hash, path, spec_text, created_at)"
        " SELECT DISTINCT workflow, 'bench', '', '', '2026-01-01' FROM runs"
    )
    db.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists: give a new file")
    started = time.perf_counter()
    make(args.out, args.items, args.seed)
    size = args.out.stat().st_size / 1e6
    print(
        f"{args.items:,} items in {time.perf_counter() - started:.0f} s, {size:,.0f} MB: {args.out}"
    )


if __name__ == "__main__":
    main()
