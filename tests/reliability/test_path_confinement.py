"""No input can place a file outside the folder its spec names (issue 23, defect 2).

An input's first line, file name, CSV field or subject, and the model's output, all reach
an action's path template; whoever wrote the input chose them. Checked over generated
names (hypothesis), and end to end: the bundled review-reply's path with a review whose
first line climbs out of the data folder, a symlink inside the folder pointing out, and an
e-mail draft whose sender tries to add a header.
"""

from __future__ import annotations

import json
from email import message_from_string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.safe_paths import PathEscapeError, confine, folder_of, safe_name
from desktop_app.core.spec_loader import load_spec
from desktop_app.services import actions, decisions
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner
from desktop_app.storage.db import connect
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec

HOSTILE = [
    "../../../../../tmp/x/PWNED",
    "..",
    ".",
    "/etc/passwd",
    "\\..\\..\\windows\\system32",
    "~/.bashrc",
    "a/../../b",
    "CON",
    "nul.txt",
    "\x00\x01\n\r",
    "",
    "   ",
    "é" * 500,
    "..\u2215..\u2215x",  # a division slash is not a separator: stays one name
]


@given(st.text(max_size=300))
@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_safe_name_is_always_one_component_inside_the_folder(tmp_path_factory, value):
    data = tmp_path_factory.getbasetemp() / "confine-data"
    name = safe_name(value)
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")
    assert len(name) <= 121 and all(c.isprintable() for c in name)
    path = confine(f"replies/{name}.txt", "replies/{{ input.name }}.txt", data)
    assert path.parent == (data / "replies").resolve()


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_names_stay_in_their_folder(tmp_path, value):
    path = confine(f"replies/x/{safe_name(value)}.txt", "replies/x/{{ input.name }}.txt", tmp_path)
    assert path.parent == (tmp_path / "replies" / "x").resolve()


@given(st.lists(st.sampled_from(["..", ".", "a", "/", "\\", "~", "b c", ""]), max_size=12))
@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_raw_rendered_path_is_confined_or_refused(tmp_path_factory, parts):
    """Whatever a template renders to, the result is inside its folder or refused."""
    data = tmp_path_factory.getbasetemp() / "confine-raw"
    root = (data / "out").resolve()
    try:
        path = confine("out/" + "".join(parts), "out/{{ input.name }}", data)
    except PathEscapeError as exc:
        assert "outside the folder" in str(exc) or "empty" in str(exc)
    else:
        assert path.is_relative_to(root) and path != root


def test_the_folder_a_template_names(tmp_path):
    assert folder_of("replies/review-reply/{{ input.name }}.txt", tmp_path) == (
        tmp_path / "replies" / "review-reply"
    )
    assert folder_of("{{ input.name }}.txt", tmp_path) == tmp_path
    assert folder_of("log/approved.csv", tmp_path) == tmp_path / "log"
    assert folder_of("/srv/out/{{ item.id }}.txt", tmp_path) == Path("/srv/out")
    assert folder_of("out/{{ today }}/{{ item.id }}.txt", tmp_path) == tmp_path / "out"


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "data" / "signoff.db")
    yield database
    database.conn.close()


def approved(tmp_path, db, llm_server, action: str, doc, output="Thank you for the review!"):
    llm_server.default = reply(output)
    path = write_spec(tmp_path / "wf", api_base=llm_server.url)
    path.write_text(path.read_text() + "\n[action]\n" + action + "\n")
    spec = load_spec(path)
    (item_id,) = Runner(db).run(spec, [doc]).item_ids
    decisions.approve(db, item_id, by="rosa")
    return spec, item_id


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_review_whose_first_line_climbs_out_writes_inside_the_data_folder(
    tmp_path, db, llm_server
):
    """The reported attack: review-reply's path, a review starting with ../../…/tmp/x/PWNED."""
    data = tmp_path / "data"
    outside = tmp_path / "outside"
    depth = len(data.resolve().parts) + 2
    first = "../" * depth + str(outside).lstrip("/") + "/PWNED"
    doc = from_text(first + "\nGreat coffee, slow service.")
    assert doc.name.startswith("../")  # the name really is the hostile first line
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "file"\npath = "replies/review-reply/{{ input.name }}.txt"',
        doc,
    )  # fmt: skip
    result = actions.perform(db, item_id, spec, data)
    assert result.state == "done"
    assert not outside.exists()
    (written,) = files_under(data / "replies")
    assert written.parent == (data / "replies" / "review-reply").resolve()
    assert written.read_text() == "Thank you for the review!"


def test_a_field_naming_a_symlink_out_of_the_folder_is_refused_and_logged(tmp_path, db, llm_server):
    data = tmp_path / "data"
    outside = tmp_path / "outside"
    outside.mkdir()
    (data / "out").mkdir(parents=True)
    (data / "out" / "shared").symlink_to(outside, target_is_directory=True)
    doc = from_text("A question about opening hours", name="shared")
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "file"\npath = "out/{{ input.name }}/reply.txt"', doc
    )
    result = actions.perform(db, item_id, spec, data)
    assert result.state == "failed"
    assert "outside the folder its spec names" in result.message
    assert list(outside.iterdir()) == []
    (detail,) = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'action.failed'")
    ]
    assert "refused, nothing written" in detail["error"]
    again = actions.retry(db, item_id, spec, data)  # retried from the inbox: refused again
    assert again.state == "failed" and list(outside.iterdir()) == []


def test_the_model_output_in_a_path_is_a_safe_name_too(tmp_path, db, llm_server):
    data = tmp_path / "data"
    doc = from_text("Categorise this receipt", name="receipt")
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "file"\npath = "sorted/{{ output }}.txt"', doc,
        output="../../../../escaped",
    )  # fmt: skip
    result = actions.perform(db, item_id, spec, data)
    assert result.state == "done"
    (written,) = files_under(data / "sorted")
    assert written.name == "_.._.._.._escaped.txt"
    assert not (tmp_path.parent / "escaped.txt").exists()


@pytest.mark.parametrize(
    "sender",
    [
        "anna@example.com\nBcc: everyone@example.com",
        "anna@example.com, everyone@example.com",
        ":;>éq>",
        "Anna <anna@example.com>\r\nX-Evil: 1",
        "",
    ],
)
def test_an_email_draft_takes_no_recipients_or_headers_from_its_input(
    tmp_path, db, llm_server, sender
):
    data = tmp_path / "data"
    doc = from_text("Where is my order?", name="order")
    doc.fields.update({"from": sender, "subject": "Order\nBcc: everyone@example.com"})
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "email_draft"\npath = "drafts/{{ item.id }}.eml"', doc
    )
    result = actions.perform(db, item_id, spec, data)
    assert result.state == "done"
    message = message_from_string(Path(result.target).read_text())
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "everyone" not in (message["To"] or "")
    assert message["Subject"].startswith("Re: Order")
