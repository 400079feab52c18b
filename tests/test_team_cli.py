"""The command line on a team database (issue 26): ``--database URL`` or
``SIGNOFF_DATABASE`` puts items, runs, decisions and the log in a PostgreSQL database
that several computers (here: two data folders) share; the URL never holds a password."""

from __future__ import annotations

import json

import pytest

from tests.helpers.llm_server import reply


def test_two_computers_share_one_inbox(signoff, workflows, llm_server, postgres_url, tmp_path):
    anna, tom = tmp_path / "anna", tmp_path / "tom"  # two computers' data folders
    on_anna = ["--data-dir", str(anna), "--database", postgres_url]
    on_tom = ["--data-dir", str(tom), "--database", postgres_url]
    llm_server.default = reply("Dear customer, thank you!")
    code, out, err = signoff("run", "reply", "--text", "Lovely cake", *on_anna)
    assert code == 0, err
    assert "1 pending" in out
    code, out, _ = signoff("inbox", "--json", *on_tom)  # made on Anna's, seen on Tom's
    (item,) = json.loads(out)
    assert item["status"] == "pending"
    code, _, err = signoff("approve", str(item["id"]), "--by", "Tom", *on_tom)
    assert code == 0, err
    code, _, err = signoff("reject", str(item["id"]), "--reason", "no", "--by", "Anna", *on_anna)
    assert code == 1
    assert "was already approved" in err and "(by Tom, " in err
    code, out, _ = signoff("log", "verify", *on_anna)
    assert code == 0 and "the log is intact" in out
    assert not (anna / "signoff.db").exists() and not (tom / "signoff.db").exists()
    code, out, _ = signoff("db", "info", *on_tom)
    assert out.startswith("engine:   PostgreSQL")


def test_the_team_database_from_the_environment(
    signoff, workflows, llm_server, postgres_url, monkeypatch, _isolated_environment
):
    monkeypatch.setenv("SIGNOFF_DATABASE", postgres_url)
    llm_server.default = reply("Dear customer")
    assert signoff("run", "reply", "--text", "Hello")[0] == 0
    assert len(json.loads(signoff("inbox", "--json")[1])) == 1
    assert not (_isolated_environment / "signoff.db").exists()
    monkeypatch.delenv("SIGNOFF_DATABASE")
    assert json.loads(signoff("inbox", "--json")[1]) == []  # this computer's own file


def test_a_url_with_a_password_is_refused_and_never_repeated(signoff, _isolated_environment):
    code, out, err = signoff("inbox", "--database", "postgresql://anna:s3cret-pw@db.example/shop")
    assert code == 1 and out == ""
    assert err.strip() == (
        "signoff: error: the database URL holds a password: give the URL without it, and"
        " store the password in the keychain with `signoff key set database` (read from"
        " standard input)"
    )
    assert "s3cret-pw" not in err


def test_an_unreachable_team_database_is_one_line(signoff, _isolated_environment):
    code, _, err = signoff("inbox", "--database", "postgresql://anna@127.0.0.1:1/shop")
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("signoff: error: cannot reach the team database: ")


@pytest.mark.sqlite_file
def test_a_computers_history_moves_into_the_team_database_and_back_out(
    signoff, workflows, llm_server, postgres_url, tmp_path, _isolated_environment
):
    llm_server.default = reply("Dear customer, thank you!")
    for n in range(3):
        signoff("run", "reply", "--text", f"Hello {n}")
    first = json.loads(signoff("inbox", "--json")[1])[0]["id"]
    signoff("approve", str(first), "--by", "Anna")
    code, before, _ = signoff("log", "verify")
    assert code == 0
    code, out, err = signoff("db", "copy", "--to", postgres_url)
    assert code == 0, err
    assert "copied 3 items, 3 runs and" in out and "(the same as the source's)" in out
    assert before.strip() in out  # the same last hash
    on_team = ["--database", postgres_url]
    assert len(json.loads(signoff("inbox", "--json", *on_team)[1])) == 2
    code, out, err = signoff("run", "reply", "--text", "After the move", *on_team)
    assert code == 0, err  # numbering goes on after the copied rows
    code, out, _ = signoff("log", "verify", *on_team)
    assert code == 0
    code, _, err = signoff("db", "copy", "--to", postgres_url)
    assert code == 1 and "already has a history" in err  # never two mixed
    other = ["--data-dir", str(tmp_path / "new-computer")]
    code, out, err = signoff("db", "copy", "--from", postgres_url, *other)
    assert code == 0, err
    assert "copied 4 items" in out
    assert len(json.loads(signoff("inbox", "--json", *other)[1])) == 3


def _roles_sql() -> str:
    """The ``sql`` block of docs/team.md that makes the people's role (run as written)."""
    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "docs" / "team.md").read_text(encoding="utf-8")
    block = text.split("```sql\n-- team-roles.sql", 1)[1].split("```", 1)[0]
    return "-- team-roles.sql" + block


def test_the_peoples_role_adds_to_the_log_and_the_server_refuses_it_a_change(
    signoff, workflows, llm_server, postgres_url
):
    import psycopg

    llm_server.default = reply("Dear customer")
    assert signoff("run", "reply", "--text", "Hello", "--database", postgres_url)[0] == 0
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        owner.execute(_roles_sql())
    people = postgres_url.replace("://signoff@", "://signoff_people@")
    as_person = ["--database", people]
    code, _, err = signoff("run", "reply", "--text", "Hello again", *as_person)
    assert code == 0, err
    item = json.loads(signoff("inbox", "--json", *as_person)[1])[0]["id"]
    code, _, err = signoff("approve", str(item), "--by", "Tom", *as_person)
    assert code == 0, err
    assert signoff("log", "verify", *as_person)[0] == 0
    with psycopg.connect(people, autocommit=True) as person:
        for change in ("UPDATE events SET kind = 'x'", "DELETE FROM events", "TRUNCATE events"):
            try:
                person.execute(change)
            except psycopg.errors.InsufficientPrivilege as refused:
                assert "permission denied for table events" in str(refused)
            else:
                raise AssertionError(f"{change} was allowed")


def test_two_computers_with_different_specs_are_told_so(
    signoff, workflows, llm_server, postgres_url, tmp_path
):
    """Each run records the spec version it used; a computer whose file differs from the
    one another computer last ran is told, in ``signoff workflows`` (and the window)."""
    from desktop_app.storage import pg
    from desktop_app.storage.db import transaction

    llm_server.default = reply("Dear customer")
    team = ["--database", postgres_url]
    assert signoff("run", "reply", "--text", "Hello", *team)[0] == 0
    db = pg.connect(postgres_url)
    with transaction(db):  # that run was Anna's laptop's
        db.execute("UPDATE runs SET host = 'annas-laptop'")
    code, out, _ = signoff("workflows", *team)
    assert "spec:" not in out  # the same file here: nothing to say
    spec = workflows / "reply" / "workflow.toml"
    spec.write_text(
        spec.read_text().replace("You reply politely", "You answer kindly"), encoding="utf-8"
    )
    code, out, _ = signoff("workflows", *team)
    assert code == 0
    assert "spec: annas-laptop ran another version of this workflow's spec (" in out
    rows = json.loads(signoff("workflows", "--json", *team)[1])
    assert rows[0]["elsewhere"].startswith("annas-laptop ran another version")
    db.conn.close()
