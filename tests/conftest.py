"""Shared test isolation: no real data folder, no real keychain, no paid endpoint.

Set before anything imports keyring or the app: a keyring backend in memory
(through keyring's own ``PYTHON_KEYRING_BACKEND``), the data folder and the XDG
folders under the test's tmp_path, provider keys removed from the environment,
and the gateway's local-only switch on.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memkeyring.MemoryKeyring"
os.environ["SIGNOFF_LOCAL_ONLY"] = "1"
os.environ["SIGNOFF_BACKOFF_BASE_S"] = "0.01"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

PROVIDER_KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "AZURE_API_KEY",
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# How many workflows Signoff ships (workflows/): the counts the tests expect follow it.
BUNDLED_WORKFLOWS = len(list((REPO_ROOT / "workflows").glob("*/workflow.toml")))

pytest_plugins = ["tests.helpers.fixtures", "tests.helpers.engines", "tests.helpers.mail"]


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
):
    """Every test gets its own data folder and XDG folders, and a fresh in-memory keyring.

    ``SIGNOFF_TEST_ENGINE=postgresql`` (the heavier suite in .ci/run) gives each test a new
    team database instead of the data folder's file (``SIGNOFF_DATABASE``)."""
    home = tmp_path / "signoff-home"
    monkeypatch.setenv("SIGNOFF_HOME", str(home))
    monkeypatch.delenv("SIGNOFF_WORKFLOWS", raising=False)
    monkeypatch.delenv("SIGNOFF_DATABASE", raising=False)
    if os.environ.get("SIGNOFF_TEST_ENGINE") == "postgresql":
        if request.node.get_closest_marker("sqlite_file"):
            pytest.skip("reads this computer's SQLite file: not a team database's test")
        monkeypatch.setenv("SIGNOFF_DATABASE", request.getfixturevalue("postgres_url"))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / var.lower()))
    for var in PROVIDER_KEY_VARS:
        monkeypatch.delenv(var, raising=False)

    import keyring

    from tests.helpers.memkeyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    yield home
