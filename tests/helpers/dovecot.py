"""A real IMAP server for the tests: Dovecot (Debian's ``dovecot-imapd``; ``.ci/run``
installs it), started with its own configuration in a temporary folder: one passwd-file
user with a maildir, plain IMAP (STARTTLS offered) and IMAPS on free ports of 127.0.0.1,
a self-signed certificate made for the run (``openssl``).

Dovecot runs its mail processes as the mail user's uid, so the tests start it as root
(as ``.ci/run`` does) with the ``dovecot`` user as the mail user; elsewhere they skip,
naming what is needed.
"""

from __future__ import annotations

import atexit
import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.helpers.ports import free_port

INSTALL = (
    "Dovecot and openssl, run as root (Debian: apt install dovecot-imapd openssl; .ci/run does)"
)
USER = "shop"
PASSWORD = "imap-secret-31"


def missing() -> str | None:
    """Why a Dovecot cannot be started here, or None."""
    if shutil.which("dovecot") is None or shutil.which("openssl") is None:
        return f"needs {INSTALL}"
    if os.geteuid() != 0:
        return f"needs {INSTALL}"
    try:
        pwd.getpwnam("dovecot")
    except KeyError:
        return f"needs {INSTALL}"
    return None


_made: list[Path] = []


def _certificate() -> Path:
    """A folder with a self-signed certificate for 127.0.0.1 (``cert.pem``, ``key.pem``),
    made once a test session (an RSA key takes a moment)."""
    if not _made:
        folder = Path(tempfile.mkdtemp(prefix="signoff-cert-"))
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        _made.append(folder)
        atexit.register(shutil.rmtree, folder, True)
    return _made[0]


CONFIG = """
base_dir = {run}
state_dir = {state}
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_attribute_dict =
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {folder}/passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="signoff-imap-"))
        self.folder.chmod(0o755)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.home = self.folder / "home"
        self.maildir = self.home / "Maildir"
        self._process: subprocess.Popen[bytes] | None = None
        self._delivered = 0
        entry = pwd.getpwnam("dovecot")
        self._uid, self._gid = entry.pw_uid, entry.pw_gid

    def start(self) -> Dovecot:
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        for name in ("key.pem", "cert.pem"):
            shutil.copyfile(_certificate() / name, self.folder / name)
        (self.folder / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{self._uid}:{self._gid}::{self.home}\n", encoding="utf-8"
        )
        run, state = self.folder / "run", self.folder / "state"
        run.mkdir()
        state.mkdir()
        config = self.folder / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                folder=self.folder, run=run, state=state,
                imap_port=self.imap_port, imaps_port=self.imaps_port,
            ),
            encoding="utf-8",
        )  # fmt: skip
        self._chown(self.home)
        with (self.folder / "stdout.log").open("wb") as out:  # a file, not a pipe
            self._process = subprocess.Popen(
                ["dovecot", "-F", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s,
            ):
                if s.recv(100).startswith(b"* OK"):
                    return self
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        log = (
            (self.folder / "dovecot.log").read_text(errors="replace")
            if (self.folder / "dovecot.log").exists()
            else ""
        )
        self.stop()
        raise RuntimeError(f"Dovecot did not start: {log[-2000:]}")

    def _chown(self, top: Path) -> None:
        for path in (top, *top.rglob("*")):
            os.chown(path, self._uid, self._gid)

    def deliver(self, raw: bytes, folder: str = "") -> None:
        """One message into the user's maildir (``folder``: a subfolder, "" for INBOX), as a
        delivery agent puts it: written in tmp/, moved into new/."""
        box = self.maildir / f".{folder}" if folder else self.maildir
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        self._delivered += 1
        name = f"{time.time():.6f}.M{self._delivered}P{os.getpid()}.signoff-test"
        tmp = box / "tmp" / name
        tmp.write_bytes(raw)
        os.replace(tmp, box / "new" / name)
        self._chown(box)

    def stop(self) -> None:
        if self._process is not None:
            # Killed, not asked to stop (a clean stop waits a second for its clients): a
            # test server holds nothing to save, and its processes leave with their master.
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    @contextlib.contextmanager
    def reading(self, folder: str = "INBOX") -> Iterator[imaplib.IMAP4]:
        """The test user's ``folder``, selected read-only: a test's own look at the mailbox."""
        conn = imaplib.IMAP4("127.0.0.1", self.imap_port)
        conn.login(USER, PASSWORD)
        conn.select(folder, readonly=True)
        try:
            yield conn
        finally:
            conn.logout()

    @property
    def certificate(self) -> Path:
        return self.folder / "cert.pem"
