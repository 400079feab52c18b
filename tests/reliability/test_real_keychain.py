"""The real keychain: a key stored, read and deleted through keyring's Secret Service
backend against a real gnome-keyring daemon, started and unlocked in a session D-Bus of
its own (a fresh home folder: the user's keychain is never touched). Elsewhere the tests
use an in-memory keyring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO_ROOT

NEEDED = ("dbus-run-session", "gnome-keyring-daemon")
missing = [tool for tool in NEEDED if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"needs {', '.join(missing)} (Debian: apt-get install dbus gnome-keyring)",
)

SESSION = """#!/bin/sh
# a keychain of its own: unlocked with a throwaway password, in a fresh home
echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
exec "$@"
"""

CODE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import keyring
    from desktop_app.llm import keys
    backend = keyring.get_keyring()
    print("backend:", type(backend).__module__)
    keys.set_key("openai", "sk-real-keychain-0123456789abcdef")
    print("read:", keys.get_key("openai"))
    keys.delete_key("openai")
    print("after delete:", keys.get_key("openai"))
    """
)


def test_a_key_is_stored_read_and_deleted_in_a_real_keychain(tmp_path):
    script = tmp_path / "session.sh"
    script.write_text(SESSION, encoding="utf-8")
    script.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "PYTHON_KEYRING"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_RUNTIME_DIR=str(tmp_path))
    env.pop("OPENAI_API_KEY", None)
    done = subprocess.run(
        [
            "dbus-run-session",
            "--",
            str(script),
            sys.executable,
            "-c",
            CODE.format(root=str(REPO_ROOT)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "backend: keyring.backends.SecretService" in out, out
    assert "read: sk-real-keychain-0123456789abcdef" in out
    assert "after delete: None" in out
