"""API keys: keychain first, then the environment; never a plain-text fallback."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringError, PasswordSetError

from desktop_app.core.errors import KnownError
from desktop_app.core.redact import redact
from desktop_app.llm import keys


class BrokenKeyring(KeyringBackend):
    """A keychain that fails every operation, as a locked or half-configured one does."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the keychain is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"cannot store {password}")  # a careless backend echoing it

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("the keychain is locked")


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("openai/gpt-4o-mini", "openai"),
        ("anthropic/claude-3-5-haiku-latest", "anthropic"),
        ("ollama/llama3", "ollama"),
        ("gemini/gemini-2.0-flash", "gemini"),
        ("openrouter/anthropic/claude-3.5-sonnet", "openrouter"),
        ("together_ai/meta-llama/Llama-3-8b", "together_ai"),
        ("gpt-4o-mini", "openai"),
        ("o3-mini", "openai"),
        ("claude-3-5-sonnet-20241022", "anthropic"),
        ("llama3", "openai"),  # a bare name on a local server speaks the OpenAI dialect
        ("meta-llama/Llama-3-8B", "openai"),  # a hub id, not a provider prefix
    ],
)
def test_provider_of(model, provider):
    assert keys.provider_of(model) == provider


def test_split_model_says_whether_the_provider_was_named():
    assert keys.split_model("openai/gpt-4o-mini") == ("openai", True)
    assert keys.split_model("gpt-4o-mini") == ("openai", False)


def test_known_providers_are_litellm_providers():
    from desktop_app.llm.litellm_setup import load_litellm

    litellm = load_litellm()
    names = {getattr(p, "value", p) for p in litellm.provider_list}
    assert names >= keys.KNOWN_PROVIDERS, keys.KNOWN_PROVIDERS - names


def test_env_var_names():
    assert keys.env_var("openai") == "OPENAI_API_KEY"
    assert keys.env_var("together_ai") == "TOGETHERAI_API_KEY"
    assert keys.env_var("someprovider") == "SOMEPROVIDER_API_KEY"


def test_keychain_first_then_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-0123456789")
    assert keys.get_key("openai") == "env-key-0123456789"
    keys.set_key("openai", "keychain-key-0123456789")
    assert keyring.get_password("signoff", "openai") == "keychain-key-0123456789"
    assert keys.get_key("openai") == "keychain-key-0123456789"
    assert keys.get_key("anthropic") is None


def test_alternative_environment_variable(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key-0123456789")
    assert keys.get_key("gemini") == "google-key-0123456789"


def test_every_key_handed_out_is_registered_for_redaction(monkeypatch):
    monkeypatch.setenv("MISTRAL_API_KEY", "mistral-secret-42424242")
    key = keys.get_key("mistral")
    assert redact(f"the key {key} was wrong") == "the key [redacted] was wrong"


def test_unreadable_keychain_falls_back_to_the_environment(monkeypatch):
    keyring.set_keyring(BrokenKeyring())
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-after-failure")
    assert keys.get_key("openai") == "env-key-after-failure"


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_no_keychain_refuses_to_store_and_names_the_env_var(monkeypatch, backend):
    keyring.set_keyring(backend())
    with pytest.raises(KnownError) as info:
        keys.set_key("openai", "sk-never-in-a-message-0123456789")
    message = str(info.value)
    assert message == (
        "no OS keychain is available on this machine; set OPENAI_API_KEY in the environment instead"
    )
    with pytest.raises(KnownError, match="ANTHROPIC_API_KEY"):
        keys.delete_key("anthropic")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-0123456789")
    assert keys.get_key("openai") == "env-key-0123456789"  # reading still works


def test_failing_keychain_error_never_contains_the_secret():
    keyring.set_keyring(BrokenKeyring())
    secret = "very-secret-value-13579"
    with pytest.raises(KnownError) as info:
        keys.set_key("openai", secret)
    assert secret not in str(info.value)
    assert "OPENAI_API_KEY" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_delete_key():
    keys.set_key("groq", "groq-key-0123456789")
    keys.delete_key("groq")
    assert keyring.get_password("signoff", "groq") is None
    with pytest.raises(KnownError, match=r"^no key stored for groq$"):
        keys.delete_key("groq")


@pytest.mark.parametrize("name", ["", "open ai", "../etc", "openai/gpt", "x" * 80])
def test_provider_names_are_validated(name):
    with pytest.raises(KnownError, match="not a provider name"):
        keys.set_key(name, "secret-0123456789")


def test_provider_name_is_normalised():
    keys.set_key(" OpenAI ", "secret-0123456789")
    assert keyring.get_password("signoff", "openai") == "secret-0123456789"


def test_empty_secret_is_refused():
    with pytest.raises(KnownError, match="no key given"):
        keys.set_key("openai", "   ")


def test_cached_read_is_refreshed_by_set_and_by_a_new_backend():
    keys.set_key("openai", "first-key-0123456789")
    assert keys.get_key("openai", max_age_s=60) == "first-key-0123456789"
    keyring.set_password("signoff", "openai", "changed-behind-our-back")
    assert keys.get_key("openai", max_age_s=60) == "first-key-0123456789"  # cached
    assert keys.get_key("openai") == "changed-behind-our-back"  # fresh read
    keys.set_key("openai", "second-key-0123456789")
    assert keys.get_key("openai", max_age_s=60) == "second-key-0123456789"

    from tests.helpers.memkeyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    assert keys.get_key("openai", max_age_s=60) is None


def test_calls_at_once_find_the_keychain_once(monkeypatch):
    """keyring finds its backend once but unguarded (~0.2 s of work holding the interpreter's
    lock): eight runs' first calls at once each searched, and the window's UI thread waited
    behind them. Here the first one searches and the others wait for its answer."""
    import threading
    import time

    import keyring.core

    from tests.helpers.memkeyring import MemoryKeyring

    found = MemoryKeyring()
    found.set_password("signoff", "openai", "sk-test-0123456789")
    searches = []

    def slow_search(limit=None):
        searches.append(threading.get_ident())
        time.sleep(0.2)  # as reading every distribution's entry points takes
        keyring.core.set_keyring(found)

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(keyring.core, "init_backend", slow_search)
    answers = []
    callers = [
        threading.Thread(target=lambda: answers.append(keys.get_key("openai", max_age_s=60)))
        for _ in range(8)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=10)
    assert answers == ["sk-test-0123456789"] * 8
    assert len(searches) == 1
