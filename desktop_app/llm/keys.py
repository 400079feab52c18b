"""API keys: the OS keychain (through ``keyring``) first, then the provider's usual env variable.

Keys live under keyring service ``signoff`` with the provider name as user. Every key
handed out is registered with ``core.redact`` so it can never reach a log, an export or an
error message. Storing a key never falls back to a plain-text file: without a usable
keychain, ``set_key`` refuses and names the environment variable to use instead.

Nothing here imports litellm (``provider_of`` decides from the model string alone), and
``keyring`` itself is imported only when a key is read or written.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.redact import register_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "signoff"

# The provider's usual environment variable (the one litellm itself reads).
ENV_VARS: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "codestral": "CODESTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "cohere": "COHERE_API_KEY",
    "cohere_chat": "COHERE_API_KEY",
    "xai": "XAI_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "deepinfra": "DEEPINFRA_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
    "azure": "AZURE_API_KEY",
    "azure_ai": "AZURE_AI_API_KEY",
    "huggingface": "HUGGINGFACE_API_KEY",
    "replicate": "REPLICATE_API_KEY",
    "nvidia_nim": "NVIDIA_NIM_API_KEY",
    "sambanova": "SAMBANOVA_API_KEY",
    "ai21": "AI21_API_KEY",
}

# Other names some providers' keys commonly go by; read after the main one.
_ALT_ENV_VARS: dict[str, tuple[str, ...]] = {
    "gemini": ("GOOGLE_API_KEY",),
    "together_ai": ("TOGETHER_API_KEY",),
    "huggingface": ("HF_TOKEN",),
}

# litellm provider prefixes recognised in "provider/model" strings. A subset of
# ``litellm.provider_list`` (a test checks it stays one), kept here so that naming a
# provider does not cost a 3-second litellm import.
KNOWN_PROVIDERS: frozenset[str] = frozenset(
    {
        *ENV_VARS,
        "ollama",
        "ollama_chat",
        "lm_studio",
        "llamafile",
        "hosted_vllm",
        "vllm",
        "openai_like",
        "custom_openai",
        "text-completion-openai",
        "vertex_ai",
        "bedrock",
        "sagemaker",
        "databricks",
        "watsonx",
        "cloudflare",
        "github",
        "litellm_proxy",
        "xinference",
        "nebius",
        "novita",
        "moonshot",
        "dashscope",
        "volcengine",
        "lambda_ai",
        "hyperbolic",
        "featherless_ai",
        "nscale",
        "ovhcloud",
        "scaleway",
        "friendliai",
        "baseten",
        "predibase",
        "triton",
        "oobabooga",
        "petals",
        "meta_llama",
        "zai",
        "minimax",
    }
)

# Bare model names (no "provider/" prefix) that litellm maps to a provider by name.
_BARE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("davinci", "openai"),
    ("babbage", "openai"),
    ("claude", "anthropic"),
    ("gemini", "gemini"),
    ("mistral-", "mistral"),
    ("open-mistral", "mistral"),
    ("open-mixtral", "mistral"),
    ("codestral", "mistral"),
    ("command", "cohere_chat"),
    ("deepseek-", "deepseek"),
    ("grok-", "xai"),
)

# A provider's name; a mail account's password is kept as ``account:NAME``.
_PROVIDER_NAME = re.compile(r"(account:)?[a-z0-9][a-z0-9_-]{0,63}")

_cache_lock = threading.Lock()
# provider -> (backend, when read, key); an entry counts only for the same backend object.
_cache: dict[str, tuple[KeyringBackend, float, str | None]] = {}


def split_model(model: str) -> tuple[str, bool]:
    """``(provider, explicit)``: the provider of ``model`` and whether the string names it
    as a ``provider/`` prefix (``False``: inferred from a bare name, default ``openai``)."""
    model = model.strip()
    head, sep, _ = model.partition("/")
    if sep and head.lower() in KNOWN_PROVIDERS:
        return head.lower(), True
    lowered = model.lower()
    for prefix, provider in _BARE_PREFIXES:
        if lowered.startswith(prefix):
            return provider, False
    # Anything else (e.g. "llama3" or "meta-llama/Llama-3-8B" on a local server) is
    # spoken to in the OpenAI dialect, which every local server understands.
    return "openai", False


def provider_of(model: str) -> str:
    """The litellm provider of a model string: ``"anthropic/claude-x"`` -> ``"anthropic"``,
    bare ``"gpt-4o-mini"`` -> ``"openai"``, bare ``"claude-..."`` -> ``"anthropic"``."""
    return split_model(model)[0]


# Secrets kept like keys that are not a model provider's.
OTHER_ENV_VARS = {"database": "SIGNOFF_DATABASE_PASSWORD"}  # the team database's password


def env_var(provider: str) -> str:
    """The environment variable a key for ``provider`` is usually kept in."""
    known = ENV_VARS.get(provider) or OTHER_ENV_VARS.get(provider)
    if provider.startswith("account:"):  # a mail account's password
        return f"SIGNOFF_ACCOUNT_{provider[8:].upper().replace('-', '_')}_PASSWORD"
    return known or f"{provider.upper().replace('-', '_')}_API_KEY"


def check_provider(provider: str) -> str:
    """``provider`` normalised (stripped, lower-case), or a KnownError if it is not a name."""
    name = provider.strip().lower()
    if not _PROVIDER_NAME.fullmatch(name):
        raise KnownError(
            f"{provider!r} is not a provider name: use letters, digits, '_' or '-' "
            "(for example openai, anthropic, gemini)"
        )
    return name


def _env_key(provider: str) -> str | None:
    for var in (env_var(provider), *_ALT_ENV_VARS.get(provider, ())):
        value = os.environ.get(var, "").strip()
        if value:
            return value
    return None


_backend_lock = threading.Lock()


def backend() -> KeyringBackend:
    """keyring's backend, found by one thread at a time. keyring finds it once, unguarded:
    it imports keyring (~140 ms here) and reads every installed distribution's entry points
    (~100 ms), all of it holding the interpreter's lock. Eight runs' first calls at once
    each did that search, and the window's UI thread waited behind them (issue 25's stall).
    ``ProcessGateway.warm`` calls this too, so the first click finds it done."""
    with _backend_lock:
        import keyring

        return keyring.get_keyring()


def _keyring_read(provider: str, max_age_s: float) -> str | None:
    try:
        backend_now = backend()
        if max_age_s > 0:
            with _cache_lock:
                hit = _cache.get(provider)
            if hit is not None and hit[0] is backend_now and time.monotonic() - hit[1] < max_age_s:
                return hit[2]
        value = None if _unusable(backend_now) else backend_now.get_password(SERVICE, provider)
    except Exception as exc:  # any backend failure (locked, no D-Bus, ...) must not stop a run
        log.debug("keychain read for %s failed: %s", provider, type(exc).__name__)
        return None
    with _cache_lock:
        _cache[provider] = (backend_now, time.monotonic(), value)
    return value


def get_key(provider: str, *, max_age_s: float = 0.0) -> str | None:
    """The API key for ``provider``: the keychain first, then its environment variable.

    ``max_age_s > 0`` allows a keychain answer that old to be reused (a real keychain can
    take milliseconds per read; the gateway asks on every call). The environment is always
    read fresh. Returns None when neither has a key.
    """
    provider = check_provider(provider)
    key = _keyring_read(provider, max_age_s) or _env_key(provider)
    if key:
        key = key.strip()
        register_secret(key)
        return key
    return None


def _unusable(found: KeyringBackend) -> bool:
    from keyring.backends import fail

    null_keyring: type[KeyringBackend] | None
    try:
        from keyring.backends import null
    except ImportError:  # pragma: no cover - very old keyring
        null_keyring = None
    else:
        null_keyring = null.Keyring
    if isinstance(found, fail.Keyring):
        return True
    if null_keyring is not None and isinstance(found, null_keyring):
        return True
    try:
        return float(getattr(type(found), "priority", 1)) <= 0
    except Exception:
        return False


def _no_keychain(provider: str) -> KnownError:
    return KnownError(
        f"no OS keychain is available on this machine; "
        f"set {env_var(provider)} in the environment instead"
    )


def _usable_backend(provider: str) -> KeyringBackend:
    try:
        found = backend()
    except Exception:
        raise _no_keychain(provider) from None
    if _unusable(found):
        raise _no_keychain(provider)
    return found


def _forget(provider: str) -> None:
    with _cache_lock:
        _cache.pop(provider, None)


def set_key(provider: str, secret: str) -> None:
    """Store ``secret`` in the OS keychain for ``provider``; refuses without a keychain."""
    from keyring.errors import KeyringError

    provider = check_provider(provider)
    secret = secret.strip()
    if not secret:
        raise KnownError(f"no key given for {provider}")
    register_secret(secret)
    backend = _usable_backend(provider)
    try:
        backend.set_password(SERVICE, provider, secret)
    except KeyringError as exc:
        raise KnownError(
            f"the OS keychain refused to store the key for {provider} ({type(exc).__name__}); "
            f"set {env_var(provider)} in the environment instead"
        ) from None
    finally:
        _forget(provider)


def delete_key(provider: str) -> None:
    """Remove the stored key for ``provider``; KnownError if there is none."""
    from keyring.errors import KeyringError, PasswordDeleteError

    provider = check_provider(provider)
    backend = _usable_backend(provider)
    try:
        if backend.get_password(SERVICE, provider) is None:
            raise KnownError(f"no key stored for {provider}")
        backend.delete_password(SERVICE, provider)
    except PasswordDeleteError:
        raise KnownError(f"no key stored for {provider}") from None
    except KeyringError as exc:
        raise KnownError(
            f"the OS keychain refused to delete the key for {provider} ({type(exc).__name__})"
        ) from None
    finally:
        _forget(provider)
