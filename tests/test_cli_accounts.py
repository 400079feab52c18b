"""``signoff account add|test|list|remove`` (issue 27): the password from standard input
into the keychain and nowhere else; TLS unless the server is this computer; a self-signed
certificate refused with the way to trust it; a wrong password one line."""

from __future__ import annotations

import io
import json
import sys

import keyring

from tests.helpers.dovecot import PASSWORD, USER
from tests.helpers.ports import free_port


def _stdin(monkeypatch, text):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text + "\n"))


def _add(signoff, monkeypatch, password, *args):
    _stdin(monkeypatch, password)
    return signoff("account", "add", *args)


def test_add_list_and_remove_keep_the_password_in_the_keychain_only(
    signoff, monkeypatch, _isolated_environment
):
    code, out, err = _add(
        signoff, monkeypatch, "s3cret-pw-77", "shop", "--imap", "imap.example.com",
        "--smtp", "smtp.example.com:587", "--user", "cafe@example.com",
    )  # fmt: skip
    assert code == 0, err
    assert "IMAP imap.example.com:993, SMTP smtp.example.com:587 (ssl)" in out
    assert keyring.get_password("signoff", "account:shop") == "s3cret-pw-77"
    code, out, _ = signoff("account", "list", "--json")
    (listed,) = json.loads(out)
    assert listed["name"] == "shop" and listed["address"] == "cafe@example.com"
    assert "s3cret" not in out
    stored = next(_isolated_environment.rglob("accounts.json")).read_text()
    assert "s3cret" not in stored
    code, out, _ = signoff("account", "list")
    assert out.startswith("shop: cafe@example.com · IMAP imap.example.com:993")
    assert signoff("account", "remove", "shop")[0] == 0
    assert keyring.get_password("signoff", "account:shop") is None
    assert json.loads(signoff("account", "list", "--json")[1]) == []
    code, _, err = signoff("account", "remove", "shop")
    assert code != 0 and "no mail account named 'shop'" in err


def test_no_tls_only_for_a_server_on_this_computer(signoff, monkeypatch):
    code, _, err = _add(
        signoff, monkeypatch, "pw", "shop", "--imap", "imap.example.com", "--smtp",
        "smtp.example.com", "--user", "me@example.com", "--security", "none",
    )  # fmt: skip
    assert code != 0 and "only for a server on this computer" in err and "pw" not in err.split()
    code, _, err = _add(
        signoff, monkeypatch, "pw", "local", "--imap", "127.0.0.1:1143", "--smtp",
        "localhost:2525", "--user", "me@example.com", "--security", "none",
    )  # fmt: skip
    assert code == 0, err


def test_an_address_is_needed_and_a_name_is_a_name(signoff, monkeypatch):
    code, _, err = _add(
        signoff, monkeypatch, "pw", "shop", "--imap", "h", "--smtp", "h", "--user", "cafe",
    )  # fmt: skip
    assert code != 0 and "--from ADDRESS" in err
    code, _, err = _add(
        signoff, monkeypatch, "pw", "my shop", "--imap", "h", "--smtp", "h", "--user", "a@b.c"
    )
    assert code != 0 and "is not an account name" in err


def test_test_logs_in_to_both_servers(signoff, monkeypatch, mail_servers):
    imap, smtp = mail_servers
    code, _, err = _add(
        signoff, monkeypatch, PASSWORD, "shop", "--imap", f"127.0.0.1:{imap.imap_port}",
        "--smtp", f"127.0.0.1:{smtp.port}", "--user", USER, "--from", "cafe@example.com",
        "--security", "starttls", "--trust-certificate", str(imap.certificate),
    )  # fmt: skip
    assert code == 0, err
    code, out, err = signoff("account", "test", "shop")
    assert code == 0, err
    assert f"IMAP 127.0.0.1:{imap.imap_port}: logged in, INBOX holds 0" in out
    assert f"SMTP 127.0.0.1:{smtp.port}: logged in" in out


def test_a_self_signed_certificate_is_refused_with_the_way_to_trust_it(
    signoff, monkeypatch, mail_servers
):
    imap, smtp = mail_servers
    _add(
        signoff, monkeypatch, PASSWORD, "shop", "--imap", f"127.0.0.1:{imap.imaps_port}",
        "--smtp", f"127.0.0.1:{smtp.port}", "--user", USER, "--from", "cafe@example.com",
    )  # fmt: skip
    code, out, err = signoff("account", "test", "shop")
    assert code != 0 and out == ""
    assert "certificate this computer does not trust (self-signed certificate)" in err
    assert "--trust-certificate FILE" in err and len(err.strip().splitlines()) == 1


def test_a_wrong_password_is_one_line_and_never_shown(signoff, monkeypatch, mail_servers):
    imap, smtp = mail_servers
    _add(
        signoff, monkeypatch, "not-the-password-42", "shop", "--imap",
        f"127.0.0.1:{imap.imaps_port}", "--smtp", f"127.0.0.1:{smtp.port}", "--user", USER,
        "--from", "cafe@example.com", "--trust-certificate", str(imap.certificate),
    )  # fmt: skip
    code, out, err = signoff("account", "test", "shop")
    assert code != 0 and "IMAP server of mail account 'shop' refused the login" in err
    assert "not-the-password-42" not in err + out and len(err.strip().splitlines()) == 1


def test_an_unreachable_server_is_one_line(signoff, monkeypatch):
    port = free_port()  # nothing listens there
    _add(
        signoff, monkeypatch, "pw", "shop", "--imap", f"127.0.0.1:{port}", "--smtp",
        f"127.0.0.1:{port}", "--user", "a@b.c",
    )  # fmt: skip
    code, _, err = signoff("account", "test", "shop")
    assert code != 0 and "is not reachable: nothing answers on that port" in err


def test_a_trusted_certificate_is_read_once_until_its_file_is_written_again(tmp_path):
    """The TLS context an account's connections use is made once a process (the system's
    certificates take 20 ms to load), and made again when the trusted file changes."""
    import os
    import shutil

    import pytest

    from desktop_app.services import mail_accounts
    from tests.helpers.dovecot import _certificate

    if shutil.which("openssl") is None:
        pytest.skip("needs openssl (Debian: apt install openssl; .ci/run does)")
    trusted = tmp_path / "server.pem"
    shutil.copy(_certificate() / "cert.pem", trusted)
    account = mail_accounts.make("shop", imap="127.0.0.1:993", smtp="127.0.0.1:465",
                                 user=USER, address="cafe@example.com", trust=str(trusted))  # fmt: skip
    first = mail_accounts.tls_context(account)
    assert mail_accounts.tls_context(account) is first
    assert len(first.get_ca_certs()) == 1  # pinned: that certificate alone
    stat = trusted.stat()
    os.utime(trusted, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert mail_accounts.tls_context(account) is not first
