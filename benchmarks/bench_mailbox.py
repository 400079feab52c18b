"""Taking new messages from a real IMAP server (issue 27): Signoff's mailbox input against
``imaplib`` alone fetching the same messages whole. Goal: <= 1.2x with business e-mail
(text and HTML alternatives, a PDF on every third); the 1 KB text-only case is printed
too, as the worst case. Memory: what the fetch holds stays one chunk of messages,
whatever the folder's size.

    python benchmarks/bench_mailbox.py [--messages 1000] [--rounds 3]

Needs Dovecot and openssl, as root (Debian: apt install dovecot-imapd openssl): the test
suite's server (tests/helpers/dovecot.py), started for the run on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.helpers.memkeyring.MemoryKeyring")

from benchmarks.figures import record  # noqa: E402
from desktop_app.core.spec_loader import load_spec  # noqa: E402
from desktop_app.services import mailbox  # noqa: E402
from desktop_app.storage.db import connect  # noqa: E402
from tests.helpers.dovecot import PASSWORD, USER, Dovecot, missing  # noqa: E402
from tests.helpers.mail import MailServers, add_account, message, write_mail_spec  # noqa: E402
from tests.helpers.smtp_server import SmtpServer  # noqa: E402

if TYPE_CHECKING:
    from desktop_app.core.inputdoc import InputDoc
    from desktop_app.core.spec_model import Spec
    from desktop_app.storage.db import DatabaseLike


def plain_imaplib(imap: Dovecot) -> int:
    """What any IMAP client does to take every message since a day: log in, search, fetch
    each message whole in chunks of 200 (STARTTLS, as the account does)."""
    import ssl

    conn = imaplib.IMAP4("127.0.0.1", imap.imap_port)
    context = ssl.create_default_context(cafile=str(imap.certificate))
    conn.starttls(ssl_context=context)
    conn.login(USER, PASSWORD)
    conn.select("INBOX")
    _, data = conn.uid("SEARCH", "SINCE", "01-Jan-2026")
    uids = data[0].split()
    taken = 0
    for start in range(0, len(uids), mailbox.CHUNK):
        chunk = b",".join(uids[start : start + mailbox.CHUNK]).decode()
        _, parts = conn.uid("FETCH", chunk, "(UID BODY.PEEK[])")
        taken += sum(1 for p in parts if isinstance(p, tuple))
    conn.logout()
    return taken


def realistic(n: int) -> bytes:
    """A supplier's e-mail as mail programs send them: text and HTML, sometimes a PDF."""
    import random
    from email.message import EmailMessage

    rng = random.Random(n)
    words = [
        "price",
        "delivery",
        "order",
        "invoice",
        "week",
        "pallet",
        "coffee",
        "milk",
        "crate",
        "thanks",
        "please",
    ]
    lines = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(40)]
    msg = EmailMessage()
    msg["From"] = f"Supplier {n} <orders{n}@example.net>"
    msg["To"] = "cafe@example.com"
    msg["Subject"] = f"Order {n}: {rng.choice(words)}"
    msg["Message-ID"] = f"<bench-{n}@example.net>"
    msg.set_content("\n".join(lines) + "\n")
    html = "".join(f"<p style='font-family:Arial;color:#333'>{line}</p>\n" for line in lines)
    msg.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    if n % 3 == 0:
        msg.add_attachment(rng.randbytes(60_000), maintype="application", subtype="pdf",
                           filename=f"invoice-{n}.pdf")  # fmt: skip
    return bytes(msg)


class Measured(NamedTuple):
    imaplib_s: float  # medians
    signoff_s: float
    peak: int  # traced bytes while taking them
    held: int  # the inputs' text, bytes
    poll_s: float  # a poll of the same folder once every message was processed


def measure(messages: int, rounds: int, business: bool) -> Measured:
    """``messages`` new messages on a fresh Dovecot: imaplib alone against Signoff's input,
    then a poll with nothing new."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        imap = Dovecot().start()
        smtp = SmtpServer(USER, PASSWORD, certificate=imap.certificate,
                          key=imap.folder / "key.pem").start()  # fmt: skip
        try:
            data = tmp_path / "data"
            add_account(data, MailServers(imap, smtp))
            for n in range(messages):
                imap.deliver(realistic(n) if business else message(
                    n, body=f"Dear café, our prices rise by {n}%.\n" * 20))  # fmt: skip
            spec = load_spec(write_mail_spec(tmp_path / "wf"))
            plain_imaplib(imap)  # the server's index built before timing
            times: dict[str, list[float]] = {"imaplib": [], "signoff": []}
            peak = held = 0
            for round_ in range(rounds + 1):  # the last one traced, for memory only
                traced = round_ == rounds
                start = time.perf_counter()
                taken = plain_imaplib(imap)
                if not traced:
                    times["imaplib"].append(time.perf_counter() - start)
                db = connect(tmp_path / f"round{round_}.db")  # nothing processed yet
                if traced:
                    tracemalloc.start()
                start = time.perf_counter()
                docs = mailbox.new_messages(db, spec, data)
                if traced:
                    peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
                else:
                    times["signoff"].append(time.perf_counter() - start)
                held = sum(len(d.text) for d in docs)
                assert taken == len(docs) == messages, (taken, len(docs))
                if traced:
                    poll = _poll_when_all_processed(db, spec, data, docs)
                db.conn.close()
        finally:
            smtp.stop()
            imap.stop()
    plain, ours = (statistics.median(times[k]) for k in ("imaplib", "signoff"))
    return Measured(plain, ours, peak, held, poll)


def _poll_when_all_processed(
    db: DatabaseLike, spec: Spec, data: Path, docs: list[InputDoc]
) -> float:
    """The time of a poll once every message was processed (best of 3): the steady state of
    a workflow reading its mailbox every few minutes."""
    from desktop_app.storage import input_rows

    for doc in docs:
        input_rows.known_as(db, spec.name, doc.key, doc.content_hash)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        assert mailbox.new_messages(db, spec, data) == []
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    why = missing()
    if why:
        raise SystemExit(why)
    for business in (True, False):
        plain, ours, peak, held, poll = measure(args.messages, args.rounds, business)
        ratio = ours / plain
        kind = (
            "business e-mail (a plain and an HTML part, about 3 and 9 KB; a 60 KB PDF on"
            " every third)" if business else "1 KB text-only e-mail (the worst case: nothing"
            " to leave unfetched, the reading is all Signoff adds)"
        )  # fmt: skip
        goal = " (goal <= 1.2)" if business else ""
        print(
            f"{args.messages:,} new messages of {kind}, median of {args.rounds}: imaplib alone"
            f" {plain:.3f} s, Signoff's mailbox input {ours:.3f} s (read, checked against what"
            f" was processed, made inputs): ratio {ratio:.2f}{goal}"
        )
        print(
            f"  memory: peak {peak / 1e6:.1f} MB traced while taking them"
            f" ({peak / args.messages:,.0f} B a message), of which the inputs' text (kept for"
            f" the run) {held / 1e6:.1f} MB"
        )
        print(f"  a poll once all {args.messages:,} were processed: {poll * 1000:.1f} ms")
        record("mailbox input / imaplib alone" + ("" if business else " (1 KB text-only)"),
               ratio, "x", 1.2 if business else None,
               size=f"{args.messages:,} messages" + (", business sizes" if business else ""))  # fmt: skip


if __name__ == "__main__":
    main()
