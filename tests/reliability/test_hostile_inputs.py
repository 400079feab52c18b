"""One bad input never stops its source, and inputs are read carefully (issue 23, 1 and 9).

A watched folder of e-mails with a few broken ones (a malformed From:, a binary file named
.eml, an unknown charset, a MIME structure that does not hold together) makes an item for
each good one and a reason for each bad one; a CSV with a field over csv's 128 KB limit,
or rows wider or narrower than the header, goes on past them. A fuzzed corpus of generated
headers and MIME structures goes through the reader: only ``InputError`` may escape.
"""

from __future__ import annotations

import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import run_start
from desktop_app.services.email_reader import read_email
from desktop_app.services.inputs import InputError, from_csv, from_eml, from_path
from desktop_app.storage import run_rows
from desktop_app.storage.db import connect
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec

GOOD = "From: Anna <anna@example.com>\nTo: shop@example.com\nSubject: Order {n}\n\nWhere is order {n}?\n"
MALFORMED_FROM = "From: :;>\xe9q>\nSubject: Hello\n\nA message with a broken sender.\n"
UNKNOWN_CHARSET = (
    "From: b@example.com\nSubject: Gruss\nContent-Type: text/plain; charset=x-unknown-42\n"
    "Content-Transfer-Encoding: 8bit\n\nViele Gr\u00fc\u00dfe aus Wien\n"
)
BROKEN_MIME = (
    "From: c@example.com\nSubject: parts\nContent-Type: multipart/mixed; boundary=\n\n"
    "--\nContent-Type: text/plain; charset=utf-8\n\nbody\n--\n"
)


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "data" / "signoff.db")
    yield database
    database.conn.close()


def folder_spec(tmp_path, llm_server, *, glob="*.eml", max_chars=20000):
    path = write_spec(
        tmp_path / "wf", "mail", api_base=llm_server.url, kind="folder",
        input_extra=f'path = "mail"\nglob = "{glob}"', max_chars=max_chars, retries=0,
    )  # fmt: skip
    return load_spec(path)


def items(db):
    rows = db.execute("SELECT input_name, status, reason, input_text FROM items ORDER BY id")
    return {name: (status, reason, text) for name, status, reason, text in rows}


def test_a_folder_of_mail_with_broken_ones_makes_an_item_for_each_good_one(
    tmp_path, db, llm_server
):
    llm_server.default = reply("Thank you for writing; we are on it.")
    count = int(os.environ.get("SIGNOFF_HOSTILE_MAILS", "300"))
    mail = tmp_path / "data" / "mail"
    mail.mkdir(parents=True)
    for n in range(count):
        (mail / f"m{n:04d}.eml").write_text(GOOD.format(n=n), encoding="utf-8")
    (mail / "bad-from.eml").write_bytes(MALFORMED_FROM.encode("utf-8"))
    (mail / "binary.eml").write_bytes(bytes(range(256)) * 64)
    (mail / "charset.eml").write_bytes(UNKNOWN_CHARSET.encode("utf-8"))
    (mail / "mime.eml").write_bytes(BROKEN_MIME.encode("utf-8"))
    spec = folder_spec(tmp_path, llm_server)

    done = run_start.run_workflow(
        db, spec, tmp_path / "data", confirmed=True
    )  # 1,004 in the heavy suite
    (summary,) = done.summaries
    assert summary.state == "finished" and summary.inputs == count + 4
    assert summary.unreadable == 1  # the binary file; the others are read as well as they can be
    made = items(db)
    assert len(made) == count + 4
    assert sum(1 for s, _, _ in made.values() if s == "pending") == count + 2
    # the broken sender is kept as written; the e-mail is answered like the others
    assert made["bad-from"][0] == "pending" and ":;>\xe9q>" in made["bad-from"][2]
    # the binary file: escalated with the reason, never sent to the model
    status, reason, _ = made["binary"]
    assert status == "escalated" and "not a text file" in reason
    prompts = [json.dumps(r.body) for r in llm_server.requests]
    assert len(prompts) == count + 3 and not any("\\u0000" in p for p in prompts)
    # the unknown charset: decoded as UTF-8 (no replacement characters), and said so
    status, reason, text = made["charset"]
    assert "Gr\u00fc\u00dfe" in text and "\ufffd" not in text
    assert status == "escalated" and "x-unknown-42" in reason and "UTF-8" in reason
    # every input was taken once: a second run finds nothing new
    again = run_start.run_workflow(db, spec, tmp_path / "data")
    assert again.nothing_new and len(items(db)) == count + 4


def test_a_csv_goes_on_past_a_huge_field_and_rows_of_the_wrong_width(tmp_path, db, llm_server):
    llm_server.default = reply("Category: office supplies")
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    huge = "x" * 200_000  # over csv's own 131,072-character field limit
    (data / "rows.csv").write_text(
        "date,amount,payee\n"
        "2026-12-01,12.50,Paper shop\n"
        f'2026-12-02,99.00,"{huge}"\n'
        "2026-12-03,7.00\n"
        "2026-12-04,8.00,Cafe,surprise column\n"
        "2026-12-05,3.20,Bakery,\n",
        encoding="utf-8",
    )
    path = write_spec(
        tmp_path / "wf", "rows", api_base=llm_server.url, kind="csv",
        input_extra='path = "rows.csv"', retries=0,
    )  # fmt: skip
    done = run_start.run_workflow(db, load_spec(path), data)
    (summary,) = done.summaries
    assert summary.inputs == 5 and summary.unreadable == 2
    made = items(db)
    assert made["rows row 1"][0] == "pending" and made["rows row 5"][0] == "pending"
    status, reason, _ = made["rows row 2"]
    assert status == "escalated" and "limit is 2,000" in reason  # too long for the spec: said
    status, reason, _ = made["rows row 3"]
    assert status == "escalated" and "has 2 fields; its header has 3" in reason
    status, reason, text = made["rows row 4"]
    assert status == "escalated" and "has 4 fields" in reason and "surprise column" in reason
    assert "surprise column" in text  # the extra value is kept, not dropped
    assert len(llm_server.requests) == 2  # only the two good rows reached the model


def test_a_csv_row_the_csv_module_cannot_read_is_one_bad_input(tmp_path, monkeypatch):
    """A field over even the raised limit (16 MB; 1,000 characters here) is one bad row."""
    import csv

    from desktop_app.services import inputs

    monkeypatch.setattr(inputs, "CSV_FIELD_LIMIT", 1000)
    before = csv.field_size_limit(1000)
    try:
        path = tmp_path / "rows.csv"
        path.write_text("a,b\n1,2\n" + "y" * 1500 + ",3\n4,5\n", encoding="utf-8")
        docs = list(from_csv(path))
    finally:
        csv.field_size_limit(before)
    assert [bool(d.problem) for d in docs] == [False, True, False]
    assert "field larger than field limit" in docs[1].problem and "line 3" in docs[1].problem
    assert docs[2].fields == {"a": "4", "b": "5"} and docs[2].name == "rows row 3"


def test_binary_files_in_a_folder_are_refused_with_a_reason(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (tmp_path / "c.eml").write_bytes(b"\x7fELF" + bytes(range(32)) * 50)
    docs = {d.name: d for d in from_path(tmp_path)}
    assert not docs["a"].problem
    assert "not a text file" in docs["b"].problem and "not a text file" in docs["c"].problem
    with pytest.raises(InputError, match="not a text file"):
        list(from_path(tmp_path / "c.eml"))  # one file given on its own: a clear error


HEADER_NAMES = ["From", "To", "Cc", "Subject", "Date", "Content-Type",
                "Content-Transfer-Encoding", "MIME-Version", "Reply-To", "Message-ID"]  # fmt: skip
NASTY = ["", ":", ";", "<", ">", "@", '"', "=?", "?=", "=?utf-8?b?", "=?x-bogus?q?", "=?utf-8?q?=ff",
         "(", ")", ",", "\\", "\t", " ", "\xe9", "\u202e", "multipart/mixed", "boundary=",
         "charset=", "x-unknown", "base64", "quoted-printable", "--", "\r", "\x00",
         "a@b", "text/plain", "text/html", "message/rfc822", "=", "'"]  # fmt: skip


def mail_bytes(draw_headers, parts, body):
    lines = [f"{name}: {value}" for name, value in draw_headers]
    text = "\n".join(lines) + "\n\n" + body + "".join(parts)
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def e_mails(draw):
    headers = draw(
        st.lists(
            st.tuples(
                st.sampled_from(HEADER_NAMES),
                st.lists(st.sampled_from(NASTY) | st.text(max_size=6), max_size=8).map("".join),
            ),
            max_size=8,
        )
    )
    boundary = draw(st.sampled_from(["", "b", "--", "=?"]))
    parts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["text/plain", "text/html", "multipart/alternative", "x/y", ""]),
                st.sampled_from(["utf-8", "x-unknown", "us-ascii", "", "utf-16", "latin-1"]),
                st.sampled_from(["", "base64", "quoted-printable", "8bit", "x-nope"]),
                st.text(max_size=40),
            ).map(
                lambda p: (
                    f"\n--{boundary}\nContent-Type: {p[0]}; charset={p[1]}\n"
                    f"Content-Transfer-Encoding: {p[2]}\n\n{p[3]}"
                )
            ),
            max_size=4,
        )
    )
    body = draw(st.text(max_size=60))
    return mail_bytes(headers, parts, body)


@given(e_mails())
@settings(
    max_examples=int(os.environ.get("SIGNOFF_FUZZ_MAILS", "800")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_exception_escapes_the_mail_reader(tmp_path_factory, raw):
    mail = read_email(raw)
    assert isinstance(mail.body, str) and all(isinstance(v, str) for v in mail.headers.values())
    path = tmp_path_factory.getbasetemp() / "fuzz.eml"
    path.write_bytes(raw)
    try:
        doc = from_eml(path)
    except InputError as exc:
        assert "not a text file" in str(exc)  # the only refusal: a NUL or control bytes
    else:
        assert isinstance(doc.text, str)


def test_random_byte_mutations_of_a_real_mail_never_escape(tmp_path):
    rng = random.Random(23)
    base = bytearray((GOOD.format(n=1) + UNKNOWN_CHARSET).encode("utf-8"))
    for _ in range(max(2000, int(os.environ.get("SIGNOFF_FUZZ_MAILS", "0")))):
        mutated = bytearray(base)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(len(mutated))
            mutated[at] = rng.choice(b':;<>@=?\r\n\t"\\-\xe9\xff ')
        read_email(bytes(mutated))


def test_a_resumed_run_judges_an_unreadable_input_as_the_first_did(tmp_path, db, llm_server):
    """The reason is stored with the run's input, so a crash does not send it to the model."""
    mail = tmp_path / "data" / "mail"
    mail.mkdir(parents=True)
    (mail / "binary.eml").write_bytes(bytes(range(256)) * 8)
    spec = folder_spec(tmp_path, llm_server)
    docs = list(from_path(mail, "*.eml"))
    from desktop_app.core.states import RunState
    from desktop_app.storage.db import transaction

    with transaction(db):
        run_id, _ = run_rows.create_run(
            db, workflow=spec.name, version_id=None, trigger="source", model="m",
            api_base=None, inputs=docs, reads_source=True,
        )  # fmt: skip
        run_rows.set_run_state(db, run_id, RunState.INTERRUPTED)
    done = run_start.run_workflow(db, spec, tmp_path / "data")
    assert done.summaries[0].resumed and done.summaries[0].unreadable == 1
    assert items(db)["binary"][0] == "escalated" and llm_server.requests == []
