"""The model gateway: every model call goes through here, and through litellm.

``Gateway.complete`` tries the workflow's model, then each fallback in order. Each model
gets ``retries + 1`` attempts for errors that may pass (rate limit, server error, timeout,
connection error, an unusable answer), with exponential back-off and jitter; errors that
will not pass by waiting (bad key, bad request, unknown model) move straight on to the
next fallback. Every attempt is returned (or attached to the ``ModelCallError``) so the
runner can log each one.

Decisions worth knowing:

- The api base (the ``api_base`` argument, else the spec's) applies to every model in the
  chain, fallbacks included. A ``model`` override replaces the spec's main model only;
  the spec's fallbacks still follow it.
- litellm's and the OpenAI SDK's own retries are switched off (``num_retries=0``,
  ``max_retries=0``): by default the SDK silently retries twice, which would triple the
  requests behind each logged attempt.
- ``local_only`` (on in tests, ``SIGNOFF_LOCAL_ONLY=1``) refuses, before any network
  traffic, a call whose api base is not on this machine or that has no api base.
- Error texts are plain words for a non-programmer and pass through ``core.redact``.
"""

from __future__ import annotations

import functools
import math
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from desktop_app.core.errors import ModelCallError
from desktop_app.core.redact import redact
from desktop_app.core.spec_model import ModelSpec
from desktop_app.core.stamps import utcnow
from desktop_app.llm import keys, pricing
from desktop_app.llm.litellm_setup import load_litellm

RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection", "bad_answer"})
# What a server says when the prompt and the answer do not fit the model's context: asking
# again cannot help (llama.cpp answers HTTP 500 "Context size has been exceeded." when it
# runs out during the answer, 400 exceed_context_size_error before it).
_CONTEXT = re.compile(
    r"context (size|length|window)|exceed_context|maximum context|too many tokens"
    r"|prompt is too long|context_length_exceeded",
    re.I,
)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PLACEHOLDER_KEY = "signoff-no-key"  # local servers want *some* key and ignore its value
KEY_CACHE_S = 60.0  # how long a keychain answer is reused (a real keychain read can take ms)
MAX_WAIT_S = 30.0
_DETAIL_CHARS = 200


@dataclass
class Attempt:
    """One try of one model: one HTTP request (or none, when refused before sending)."""

    model: str
    attempt: int  # 1-based, counted over the whole call (fallbacks included)
    ok: bool
    started_at: str  # ISO 8601 UTC, e.g. 2026-11-24T09:15:02.123Z
    latency_ms: int
    text: str | None = None
    finish_reason: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    error: str | None = None  # plain words, redacted
    error_kind: str | None = (
        None  # rate_limit|server|timeout|connection|auth|bad_request|not_found|bad_answer|refused
    )
    status: int | None = None  # the HTTP status, when there was one
    wait_s: float | None = None  # back-off slept before the next attempt, if any
    api_base: str = ""


@dataclass
class CallResult:
    """The answer of a call, with every attempt it took.

    ``cost_usd`` sums every attempt with a known cost (an empty answer is billed too);
    None when the answering attempt's price is unknown. Tokens are the answering
    attempt's; ``latency_ms`` is the whole call's wall time, back-off included.
    """

    text: str
    model: str
    finish_reason: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    latency_ms: int
    attempts: list[Attempt] = field(default_factory=list)


def warm_up() -> None:
    """Import and configure litellm now (seconds), e.g. from a worker thread at start-up."""
    load_litellm()


def env_options() -> dict[str, Any]:
    """What the environment sets for a gateway: the first retry's wait
    (``SIGNOFF_BACKOFF_BASE_S``) and local-only mode (``SIGNOFF_LOCAL_ONLY=1``). Read at
    each use, so a model worker started earlier follows its parent's environment."""
    return {
        "backoff_base_s": _env_float("SIGNOFF_BACKOFF_BASE_S", 1.0),
        "local_only": os.environ.get("SIGNOFF_LOCAL_ONLY") == "1",
    }


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


@functools.lru_cache(maxsize=256)
def _host(api_base: str) -> str:
    try:
        return (urlsplit(api_base).hostname or "").lower()
    except ValueError:
        return ""


LOCAL_PROVIDERS = frozenset({"ollama", "ollama_chat", "lm_studio", "llamafile"})


def served_here(model: str, api_base: str) -> bool:
    """Whether ``model`` answers from this machine (a loopback ``api_base`` or a local-server
    provider such as ``ollama/``): nobody bills for it, whatever its price map says."""
    base = (api_base or "").strip()
    if base:
        return _host(base) in LOCAL_HOSTS
    return keys.split_model(model)[0] in LOCAL_PROVIDERS


@functools.lru_cache(maxsize=256)
def display_base(api_base: str) -> str:
    """``api_base`` without credentials or query (which may hold a key), for messages."""
    try:
        parts = urlsplit(api_base)
    except ValueError:
        return "the configured server"
    if not parts.hostname:
        return redact(api_base.split("?")[0])
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


def _seconds(s: float) -> str:
    return f"{s:g} second" + ("" if s == 1 else "s")


class _Failed(Exception):
    """An attempt that failed, classified. Internal to the gateway."""

    def __init__(
        self,
        kind: str,
        reason: str,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
        finish_reason: str | None = None,
    ):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.finish_reason = finish_reason


# --- classifying errors ------------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(seen) < 12 and not any(cur is s for s in seen):
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _has(chain: list[BaseException], *names: str) -> bool:
    """Whether any exception in the chain is (a subclass of) a class with one of ``names``."""
    return any(cls.__name__ in names for e in chain for cls in type(e).__mro__)


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:  # an HTTP date
            import email.utils  # 20 ms to import; rarely needed

            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - time.time()
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except Exception:  # a malformed header is not worth failing a call over
        return None


def _provider_detail(exc: BaseException) -> str:
    """The provider's own error message, short and redacted (for 4xx answers)."""
    body = getattr(exc, "body", None)
    text = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            text = str(inner.get("message") or "")
        elif isinstance(inner, str):
            text = inner
    if not text:
        text = str(getattr(exc, "message", "") or exc)
        marker = "Exception - "
        if marker in text:
            text = text.split(marker, 1)[1]
    text = " ".join(redact(text).split())
    if len(text) > _DETAIL_CHARS:
        text = text[: _DETAIL_CHARS - 1] + "…"
    return text


def _classify(
    exc: BaseException, *, model: str, provider: str, api_base: str, timeout_s: float
) -> _Failed:
    """Turn an exception from litellm into a ``_Failed`` with plain words, or re-raise it
    when it is not a model/network error at all (a bug: it must not pass as one)."""
    chain = _chain(exc)
    where = display_base(api_base) if api_base else f"the {provider} API"
    if _has(chain, "APITimeoutError", "TimeoutException", "Timeout", "TimeoutError"):
        return _Failed("timeout", f"no answer within {_seconds(timeout_s)} (the time limit)")
    if _has(chain, "JSONDecodeError"):
        return _Failed("bad_answer", "the server's answer was not valid JSON", 200)
    if _has(chain, "APIConnectionError", "TransportError", "ConnectionError", "gaierror"):
        if _has(chain, "ConnectionRefusedError") or any("refused" in str(e).lower() for e in chain):
            reason = f"nothing is listening at {where} (connection refused)"
        elif _has(chain, "gaierror") or any(
            "name or service not known" in str(e).lower() for e in chain
        ):
            reason = f"the server name in {where} could not be found"
        elif _has(chain, "RemoteProtocolError", "ConnectionResetError", "BrokenPipeError"):
            reason = f"{where} closed the connection without answering"
        elif _has(chain, "ConnectError"):
            reason = f"could not connect to {where}"
        else:
            reason = f"the connection to {where} failed"
        return _Failed("connection", reason)
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        if _has(chain, "OpenAIError", "HTTPError") or isinstance(exc, OSError):
            return _Failed("connection", f"the connection to {where} failed")
        raise exc
    retry_after = _retry_after(exc)
    if status == 429:
        return _Failed(
            "rate_limit",
            f"{where} is limiting requests (HTTP 429)",
            status,
            retry_after=retry_after,
        )
    if status in (401, 403):
        var = keys.env_var(provider)
        return _Failed(
            "auth",
            f"the API key was refused (HTTP {status}); store a new one with "
            f"`signoff key set {provider}` or set {var}",
            status,
        )
    if status == 404:
        return _Failed("not_found", f"{where} does not know the model {model} (HTTP 404)", status)
    if status == 408:
        return _Failed("timeout", f"no answer within {_seconds(timeout_s)} (the time limit)")
    detail = _provider_detail(exc)
    if detail and _CONTEXT.search(detail):
        return _Failed(
            "context",
            f"the prompt and the answer do not fit the model's context (HTTP {status}): {detail}",
            status,
        )
    if 400 <= status < 500:
        reason = f"the request was refused as invalid (HTTP {status})"
        return _Failed("bad_request", f"{reason}: {detail}" if detail else reason, status)
    response_headers = getattr(exc, "litellm_response_headers", None) or getattr(
        getattr(exc, "response", None), "headers", None
    )
    if not response_headers:
        # No HTTP answer behind it: litellm reports its own failures as HTTP 500.
        return _Failed("server", f"the call could not be made ({detail or type(exc).__name__})")
    if status == 503:
        reason = f"the server was overloaded (HTTP {status})"
    elif status in (502, 504):
        reason = f"a gateway in front of the model failed (HTTP {status})"
    else:
        reason = f"the server had an internal error (HTTP {status})"
    if detail and not detail.lower().startswith(("<", "internal server error")):
        reason += f": {detail}"  # the server's own words (redacted), not a stock phrase
    return _Failed("server", reason, status, retry_after=retry_after)


# --- the gateway ----------------------------------------------------------------------------------


def _needs_key(provider: str) -> bool:
    """Providers reached with an API key (others use cloud credentials or none)."""
    return provider in keys.ENV_VARS


class Gateway:
    """Makes model calls through litellm with retries, fallbacks, timeouts and costs.

    Safe to share between threads: it keeps no per-call state.
    """

    def __init__(
        self,
        *,
        backoff_base_s: float | None = None,
        local_only: bool | None = None,
        max_wait_s: float = MAX_WAIT_S,
        key_lookup: Callable[[str], str | None] | None = None,
    ):
        """``key_lookup(provider)`` replaces the keychain/environment lookup (the model
        worker process gets the keys its parent read)."""
        from_env = env_options()
        if backoff_base_s is None:
            backoff_base_s = from_env["backoff_base_s"]
        if local_only is None:
            local_only = from_env["local_only"]
        self.backoff_base_s = max(0.0, backoff_base_s)
        self.local_only = local_only
        self.max_wait_s = max_wait_s
        self._key_lookup = key_lookup or (lambda p: keys.get_key(p, max_age_s=KEY_CACHE_S))

    # public

    def complete(
        self,
        model_spec: ModelSpec,
        messages: list[dict],
        *,
        model: str | None = None,
        api_base: str | None = None,
    ) -> CallResult:
        """Ask the model (then its fallbacks) for an answer to ``messages``.

        ``model`` / ``api_base`` override the spec's (``--model`` / ``--api-base``).
        Raises ``ModelCallError`` (with ``.attempts``) when no model answered.
        """
        main = (model or model_spec.name).strip()
        chain = list(dict.fromkeys([main, *(m.strip() for m in model_spec.fallbacks if m.strip())]))
        base = (api_base or model_spec.api_base or "").strip()
        started = time.perf_counter()
        attempts: list[Attempt] = []

        refusal = self._refusal(base)
        if refusal is not None:
            attempts.append(
                Attempt(
                    main, 1, False, utcnow(), 0, error=refusal, error_kind="refused", api_base=base
                )
            )
            raise self._error(attempts, chain[:1])

        retries = max(0, model_spec.retries)
        tried: list[str] = []
        for name in chain:
            tried.append(name)
            for retry in range(retries + 1):
                attempt, retry_after = self._attempt(
                    model_spec, name, messages, base, len(attempts) + 1
                )
                attempts.append(attempt)
                if attempt.ok:
                    return self._result(attempt, attempts, started)
                if attempt.error_kind not in RETRYABLE or retry == retries:
                    break
                attempt.wait_s = self._backoff(retry, retry_after)
                time.sleep(attempt.wait_s)
        raise self._error(attempts, tried)

    def estimate(
        self, model_spec: ModelSpec, messages: list[dict], *, model: str | None = None
    ) -> tuple[int, float | None]:
        """(prompt tokens, most this call can cost) for the main model, before calling it:
        the prompt's tokens plus ``max_tokens`` of answer, at the model's price (None when
        the price is unknown). Fallbacks and retries are not included."""
        from desktop_app.llm.tokens import count_tokens

        name = (model or model_spec.name).strip()
        tokens_in = count_tokens(name, messages)
        return tokens_in, pricing.cost(name, tokens_in, model_spec.max_tokens, model_spec)

    # internals

    def _refusal(self, base: str) -> str | None:
        if not self.local_only:
            return None
        if not base:
            return (
                "model calls are limited to this machine (local-only mode), and no local "
                "api_base is set"
            )
        if _host(base) not in LOCAL_HOSTS:
            return (
                f"model calls are limited to this machine (local-only mode); "
                f"{display_base(base)} is not local"
            )
        return None

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry + 1``: exponential with jitter, at
        least the server's Retry-After, never more than ``max_wait_s``."""
        step = min(self.max_wait_s, self.backoff_base_s * (2**retry))
        wait = step / 2 + random.uniform(0, step / 2)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return round(min(wait, self.max_wait_s), 3)

    def _attempt(
        self, spec: ModelSpec, name: str, messages: list[dict], base: str, number: int
    ) -> tuple[Attempt, float | None]:
        """One request; returns the attempt and the server's Retry-After (seconds), if any."""
        provider, explicit = keys.split_model(name)
        litellm = load_litellm()  # seconds the first time: not part of the attempt's latency
        started_at = utcnow()
        t0 = time.perf_counter()
        try:
            kwargs = self._kwargs(spec, name, provider, explicit, messages, base)
            try:
                response = litellm.completion(**kwargs)
            except Exception as exc:
                raise _classify(
                    exc, model=name, provider=provider, api_base=base, timeout_s=spec.timeout_s
                ) from None
            text, finish, t_in, t_out = self._read(response)
        except _Failed as failed:
            latency = int((time.perf_counter() - t0) * 1000)
            attempt = Attempt(
                name,
                number,
                False,
                started_at,
                latency,
                finish_reason=failed.finish_reason,
                tokens_in=failed.tokens_in,
                tokens_out=failed.tokens_out,
                cost_usd=pricing.cost(name, failed.tokens_in, failed.tokens_out, spec),
                error=redact(failed.reason),
                error_kind=failed.kind,
                status=failed.status,
                api_base=base,
            )
            return attempt, failed.retry_after
        latency = int((time.perf_counter() - t0) * 1000)
        attempt = Attempt(
            name,
            number,
            True,
            started_at,
            latency,
            text=text,
            finish_reason=finish,
            tokens_in=t_in,
            tokens_out=t_out,
            cost_usd=pricing.cost(name, t_in, t_out, spec),
            status=200,
            api_base=base,
        )
        return attempt, None

    def _kwargs(
        self,
        spec: ModelSpec,
        name: str,
        provider: str,
        explicit: bool,
        messages: list[dict],
        base: str,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": name,
            "messages": messages,
            "temperature": spec.temperature,
            "max_tokens": spec.max_tokens,
            "timeout": spec.timeout_s,
            "num_retries": 0,  # litellm's own retries: off (we retry, and log each try)
            "max_retries": 0,  # the OpenAI SDK's hidden retries (2 by default): off
            "drop_params": True,  # a model that rejects e.g. temperature still answers
        }
        if not explicit:
            # A bare name: say which provider we mean (litellm refuses to guess for
            # names like "llama3" on a local server).
            kwargs["custom_llm_provider"] = provider
        if base:
            kwargs["api_base"] = base
        key = self._key_lookup(provider)
        if key:
            kwargs["api_key"] = key
        elif base:
            kwargs["api_key"] = PLACEHOLDER_KEY
        elif _needs_key(provider):
            raise _Failed(
                "auth",
                f"there is no API key for {provider}; store one with "
                f"`signoff key set {provider}` or set {keys.env_var(provider)}",
            )
        return kwargs

    @staticmethod
    def _read(response: Any) -> tuple[str, str | None, int | None, int | None]:
        usage = getattr(response, "usage", None)
        t_in = getattr(usage, "prompt_tokens", None) if usage is not None else None
        t_out = getattr(usage, "completion_tokens", None) if usage is not None else None
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise _Failed(
                "bad_answer", "the answer contained no text (no choices)", 200,
                tokens_in=t_in, tokens_out=t_out,
            )  # fmt: skip
        choice = choices[0]
        finish = getattr(choice, "finish_reason", None)
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None) if message is not None else None
        if not isinstance(text, str) or not text.strip():
            reason = "the answer was empty"
            if finish == "length":
                reason += " (the max_tokens limit was reached before any text)"
            raise _Failed(
                "bad_answer", reason, 200, tokens_in=t_in, tokens_out=t_out, finish_reason=finish
            )
        return text, finish, t_in, t_out

    @staticmethod
    def _result(ok: Attempt, attempts: list[Attempt], started: float) -> CallResult:
        if ok.cost_usd is None:
            total = None
        else:
            total = sum(a.cost_usd for a in attempts if a.cost_usd is not None)
        return CallResult(
            text=ok.text or "",
            model=ok.model,
            finish_reason=ok.finish_reason,
            tokens_in=ok.tokens_in,
            tokens_out=ok.tokens_out,
            cost_usd=total,
            latency_ms=int((time.perf_counter() - started) * 1000),
            attempts=attempts,
        )

    @staticmethod
    def _error(attempts: list[Attempt], tried: list[str]) -> ModelCallError:
        last = attempts[-1]
        n = len(attempts)
        if last.error_kind == "refused":
            message = f"The model {last.model} was not called: {last.error}."
        elif len(tried) == 1:
            message = f"The model {tried[0]} could not answer after {_tries(n)}: {last.error}."
        else:
            per_model = []
            for name in tried:
                mine = [a for a in attempts if a.model == name]
                if mine:
                    per_model.append(f"{name} ({_tries(len(mine))}): {mine[-1].error}")
            message = f"No model could answer after {_tries(n)}. " + "; ".join(per_model) + "."
        error = ModelCallError(redact(message), kind=last.error_kind or "error", status=last.status)
        error.attempts = attempts
        return error
