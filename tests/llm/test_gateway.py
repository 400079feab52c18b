"""The gateway against a real OpenAI-compatible server on 127.0.0.1, through real litellm."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import keyring
import pytest

from desktop_app.core.errors import ModelCallError
from desktop_app.core.spec_model import ModelSpec
from desktop_app.llm import gateway as gateway_module
from desktop_app.llm.gateway import Attempt, CallResult, Gateway, warm_up
from tests.conftest import REPO_ROOT
from tests.helpers.llm_server import (
    drop_connection,
    empty_choices,
    hang,
    invalid_json,
    reply,
    responder,
    status,
    truncated,
)

MESSAGES = [
    {"role": "system", "content": "You reply politely."},
    {"role": "user", "content": "Hello there"},
]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def spec(api_base: str, **kw) -> ModelSpec:
    kw.setdefault("name", "openai/test-model")
    kw.setdefault("retries", 2)
    kw.setdefault("timeout_s", 5.0)
    kw.setdefault("input_cost_per_mtok", 1.0)
    kw.setdefault("output_cost_per_mtok", 2.0)
    return ModelSpec(api_base=api_base, **kw)


def chats(server) -> list:
    return server.completions


def failure(gateway: Gateway, model_spec: ModelSpec, **kw) -> ModelCallError:
    with pytest.raises(ModelCallError) as info:
        gateway.complete(model_spec, MESSAGES, **kw)
    return info.value


@pytest.fixture
def gateway() -> Gateway:
    return Gateway()  # local-only and a 10 ms back-off base, from the test environment


@pytest.fixture
def slept(monkeypatch) -> list[float]:
    """The seconds the gateway asks ``time.sleep`` for, in order (it still sleeps them)."""
    calls: list[float] = []

    class Clock:
        """The gateway's ``time`` module, with ``sleep`` recorded."""

        def __getattr__(self, name: str):
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            calls.append(seconds)
            time.sleep(seconds)

    monkeypatch.setattr(gateway_module, "time", Clock())
    return calls


def test_success_records_tokens_and_exact_cost_from_spec_prices(gateway, llm_server):
    llm_server.script(reply("Dear Anna, thank you!", tokens_in=1000, tokens_out=500))
    result = gateway.complete(spec(llm_server.url, temperature=0.3, max_tokens=77), MESSAGES)

    assert isinstance(result, CallResult)
    assert result.text == "Dear Anna, thank you!"
    assert result.model == "openai/test-model"
    assert (result.tokens_in, result.tokens_out, result.finish_reason) == (1000, 500, "stop")
    assert result.cost_usd == (1000 * 1.0 + 500 * 2.0) / 1_000_000
    [attempt] = result.attempts
    assert isinstance(attempt, Attempt)
    assert attempt.ok and attempt.attempt == 1 and attempt.status == 200
    assert attempt.error is None and attempt.error_kind is None and attempt.wait_s is None
    assert attempt.cost_usd == result.cost_usd
    assert attempt.api_base == llm_server.url
    assert ISO_UTC.match(attempt.started_at)
    assert 0 <= attempt.latency_ms <= result.latency_ms

    [request] = chats(llm_server)
    assert request.body["model"] == "test-model"
    assert request.body["messages"] == MESSAGES
    assert request.body["temperature"] == 0.3 and request.body["max_tokens"] == 77
    # No key stored: a placeholder goes to the local server, which needs none.
    assert request.headers.get("Authorization", "").startswith("Bearer ")


def test_unknown_price_is_none_not_zero(gateway, llm_server):
    llm_server.script(reply("Hi", tokens_in=10, tokens_out=2))
    model_spec = spec(llm_server.url, input_cost_per_mtok=None, output_cost_per_mtok=None)
    result = gateway.complete(model_spec, MESSAGES)
    assert result.cost_usd is None
    assert result.attempts[0].cost_usd is None
    assert result.tokens_in == 10


def test_exactly_one_http_request_per_attempt_no_hidden_retries(gateway, llm_server, capfd):
    llm_server.script(status(500))
    error = failure(gateway, spec(llm_server.url, retries=0))
    [request] = chats(llm_server)  # neither litellm nor the OpenAI SDK retried behind our back
    assert request.headers.get("x-stainless-retry-count") == "0"
    assert len(error.attempts) == 1
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # litellm printed no banner or help text


def test_rate_limit_then_success_backs_off_and_honours_retry_after(gateway, llm_server, slept):
    llm_server.script(status(429, retry_after=0.2), reply("Now it works"))
    result = gateway.complete(spec(llm_server.url), MESSAGES)

    assert result.text == "Now it works"
    first, second = result.attempts
    assert (first.ok, first.error_kind, first.status) == (False, "rate_limit", 429)
    assert "429" in first.error
    assert first.wait_s is not None and first.wait_s >= 0.2  # at least the server's Retry-After
    assert second.ok and second.attempt == 2 and second.wait_s is None
    assert slept == [first.wait_s]  # it did wait, once, what it decided, before the 2nd try
    assert len(chats(llm_server)) == 2


def test_retry_after_is_capped(llm_server):
    gateway = Gateway(max_wait_s=0.05)
    llm_server.script(status(429, retry_after=30), reply("ok"))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    assert result.attempts[0].wait_s == 0.05


def test_backoff_grows_exponentially_with_jitter(llm_server):
    gateway = Gateway(backoff_base_s=0.02)
    llm_server.default = status(500)
    error = failure(gateway, spec(llm_server.url, retries=3))
    waits = [a.wait_s for a in error.attempts]
    assert waits[-1] is None  # no wait after the last try
    for n, wait in enumerate(waits[:-1]):
        step = 0.02 * 2**n
        assert step / 2 <= wait <= step + 1e-9


@pytest.mark.parametrize(
    ("code", "words"),
    [(503, "the server was overloaded (HTTP 503)"), (500, "internal error (HTTP 500)")],
)
def test_server_errors_exhaust_retries_with_a_plain_message(gateway, llm_server, code, words):
    llm_server.default = status(code)
    error = failure(gateway, spec(llm_server.url, retries=2))

    assert error.kind == "server" and error.status == code
    assert str(error).startswith("The model openai/test-model could not answer after 3 tries: ")
    assert words in str(error)
    assert "Traceback" not in str(error) and "litellm" not in str(error).lower()
    assert [a.attempt for a in error.attempts] == [1, 2, 3]
    assert all(not a.ok and a.error_kind == "server" and a.status == code for a in error.attempts)
    assert [a.wait_s is not None for a in error.attempts] == [True, True, False]
    assert len(chats(llm_server)) == 3


def test_timeout(gateway, llm_server):
    # Silent for far longer than the 1 s limit: without the limit applied, the server's
    # hang-up would end the call as a connection error, not a timeout.
    llm_server.script(hang(10.0))
    error = failure(gateway, spec(llm_server.url, retries=0, timeout_s=1))

    assert error.kind == "timeout" and error.status is None
    assert "no answer within 1 second" in str(error)
    [attempt] = error.attempts
    assert (attempt.ok, attempt.error_kind, attempt.wait_s) == (False, "timeout", None)
    assert len(chats(llm_server)) == 1


def test_connection_refused_is_retried_then_explained(gateway, refused_url, capfd):
    error = failure(gateway, spec(refused_url, retries=1))
    assert capfd.readouterr() == ("", "")  # nothing printed by litellm
    assert error.kind == "connection"
    assert "connection refused" in str(error) and refused_url in str(error)
    assert "after 2 tries" in str(error)
    assert [a.error_kind for a in error.attempts] == ["connection", "connection"]


def test_dropped_connection_is_retried(gateway, llm_server):
    llm_server.script(drop_connection(), reply("second time lucky"))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    first = result.attempts[0]
    assert first.error_kind == "connection" and "closed the connection" in first.error
    assert result.text == "second time lucky"
    assert len(chats(llm_server)) == 2


def test_invalid_json_is_a_bad_answer_and_retried(gateway, llm_server):
    llm_server.script(invalid_json(), reply("valid now"))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    first = result.attempts[0]
    assert (first.ok, first.error_kind, first.status) == (False, "bad_answer", 200)
    assert "not valid JSON" in first.error
    assert result.text == "valid now"
    assert len(chats(llm_server)) == 2


def test_invalid_json_every_time_fails_as_bad_answer(gateway, llm_server):
    llm_server.default = invalid_json()
    error = failure(gateway, spec(llm_server.url, retries=1))
    assert error.kind == "bad_answer"
    assert "not valid JSON" in str(error)
    assert len(chats(llm_server)) == 2


def test_empty_choices_is_a_bad_answer_and_its_tokens_are_still_paid(gateway, llm_server):
    llm_server.script(empty_choices(), reply("here it is", tokens_in=100, tokens_out=10))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    first, second = result.attempts
    assert first.error_kind == "bad_answer" and "no choices" in first.error
    assert first.tokens_in is not None and first.cost_usd is not None and first.cost_usd > 0
    assert second.cost_usd == (100 * 1.0 + 10 * 2.0) / 1_000_000
    assert result.cost_usd == pytest.approx(first.cost_usd + second.cost_usd)
    assert len(chats(llm_server)) == 2


def test_empty_text_is_a_bad_answer(gateway, llm_server):
    llm_server.script(reply("   "), reply("text"))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    assert result.attempts[0].error == "the answer was empty"
    assert result.text == "text"


def test_truncated_answer_is_a_success_that_keeps_its_finish_reason(gateway, llm_server):
    llm_server.script(truncated("Half an ans"))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    assert result.text == "Half an ans"
    assert result.finish_reason == "length"
    assert len(result.attempts) == 1 and result.attempts[0].ok
    assert len(chats(llm_server)) == 1


@pytest.mark.parametrize(
    ("code", "kind"), [(401, "auth"), (400, "bad_request"), (404, "not_found")]
)
def test_non_retryable_error_goes_straight_to_the_fallback(gateway, llm_server, code, kind):
    llm_server.script(status(code), reply("from the backup"))
    model_spec = spec(llm_server.url, retries=2, fallbacks=("openai/backup-model",))
    result = gateway.complete(model_spec, MESSAGES)

    assert result.text == "from the backup"
    assert result.model == "openai/backup-model"
    first, second = result.attempts
    assert (first.model, first.error_kind, first.status, first.wait_s) == (
        "openai/test-model",
        kind,
        code,
        None,
    )
    assert (second.model, second.attempt, second.ok) == ("openai/backup-model", 2, True)
    # The spec's prices are for its own model; litellm has no price for the backup.
    assert result.cost_usd is None
    assert [r.body["model"] for r in chats(llm_server)] == ["test-model", "backup-model"]


def test_fallback_answers_after_the_main_model_used_up_its_retries(gateway, llm_server):
    llm_server.script(status(503), status(503), status(503), reply("backup speaking"))
    model_spec = spec(llm_server.url, retries=2, fallbacks=("openai/backup-model",))
    result = gateway.complete(model_spec, MESSAGES)

    assert result.text == "backup speaking"
    assert [(a.model, a.attempt, a.ok) for a in result.attempts] == [
        ("openai/test-model", 1, False),
        ("openai/test-model", 2, False),
        ("openai/test-model", 3, False),
        ("openai/backup-model", 4, True),
    ]
    # Back-off between tries of one model; none when moving on to the next model.
    assert [a.wait_s is not None for a in result.attempts] == [True, True, False, False]
    assert [r.body["model"] for r in chats(llm_server)] == ["test-model"] * 3 + ["backup-model"]


def test_every_model_failing_names_each_in_the_message(gateway, llm_server):
    llm_server.script(status(401), status(503), status(503))
    model_spec = spec(llm_server.url, retries=1, fallbacks=("openai/backup-model",))
    error = failure(gateway, model_spec)
    message = str(error)
    assert message.startswith("No model could answer after 3 tries.")
    assert "openai/test-model (1 try): the API key was refused (HTTP 401)" in message
    assert "openai/backup-model (2 tries): the server was overloaded (HTTP 503)" in message
    assert error.kind == "server" and error.status == 503
    assert len(error.attempts) == 3 == len(chats(llm_server))


def test_model_and_api_base_overrides(gateway, llm_server, refused_url):
    model_spec = spec(refused_url, retries=0)
    result = gateway.complete(model_spec, MESSAGES, model="openai/other", api_base=llm_server.url)
    assert result.model == "openai/other"
    assert result.attempts[0].api_base == llm_server.url
    assert [r.body["model"] for r in chats(llm_server)] == ["other"]
    assert result.cost_usd is None  # the spec's prices belong to its own model


def test_bare_model_name_on_a_local_server(gateway, llm_server):
    result = gateway.complete(spec(llm_server.url, name="llama3"), MESSAGES)
    assert result.model == "llama3"
    assert chats(llm_server)[0].body["model"] == "llama3"
    assert result.cost_usd is not None  # the spec's prices apply to its (bare) model


@pytest.mark.parametrize("api_base", ["https://api.openai.com/v1", "http://10.0.0.5:8080/v1", ""])
def test_local_only_refuses_without_any_network(llm_server, api_base):
    gateway = Gateway(local_only=True)
    error = failure(gateway, spec(api_base, fallbacks=("openai/backup-model",)))
    assert error.kind == "refused"
    assert "local-only" in str(error)
    [attempt] = error.attempts
    assert (attempt.ok, attempt.error_kind, attempt.latency_ms) == (False, "refused", 0)
    assert chats(llm_server) == []


def test_local_only_is_the_test_default_and_allows_localhost(llm_server):
    assert Gateway().local_only is True
    local = llm_server.url.replace("127.0.0.1", "localhost")
    result = Gateway(local_only=True).complete(spec(local), MESSAGES)
    assert result.text


def test_missing_key_for_a_remote_provider_fails_before_the_network():
    gateway = Gateway(local_only=False)
    error = failure(gateway, ModelSpec(name="openai/gpt-4o-mini", retries=2))
    assert error.kind == "auth"
    assert "OPENAI_API_KEY" in str(error) and "signoff key set openai" in str(error)
    assert len(error.attempts) == 1  # not retried: waiting will not make a key appear


def test_stored_key_is_sent_and_never_appears_in_errors(gateway, llm_server):
    secret = "plain-secret-7f3a9c2e1b77"  # not shaped like a provider key: redacted by registration
    keyring.set_password("signoff", "openai", secret)
    llm_server.script(
        status(400, message=f"Malformed request for key {secret}"),
        status(401, message=f"Incorrect API key provided: {secret}"),
    )
    model_spec = spec(llm_server.url, retries=0, fallbacks=("openai/backup-model",))
    error = failure(gateway, model_spec)

    sent = chats(llm_server)
    assert len(sent) == 2 and all(r.headers["authorization"] == f"Bearer {secret}" for r in sent)
    assert secret not in str(error)
    assert secret not in repr(error.attempts)
    assert "[redacted]" in error.attempts[0].error  # the provider's words were kept, minus the key


def test_key_from_the_environment_is_used(gateway, llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-secret-123456")
    gateway.complete(spec(llm_server.url), MESSAGES)
    assert chats(llm_server)[0].headers["Authorization"] == "Bearer env-secret-123456"


def test_concurrent_calls_from_several_threads(gateway, llm_server):
    llm_server.default = responder(lambda body: "echo: " + body["messages"][-1]["content"])
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(15):
                prompt = f"worker {worker} message {n}"
                result = gateway.complete(
                    spec(llm_server.url), [{"role": "user", "content": prompt}]
                )
                assert result.text == f"echo: {prompt}"
                results[worker * 100 + n] = result.text
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(results) == 90 == len(chats(llm_server))


def test_importing_the_llm_package_does_not_import_litellm():
    code = (
        "import sys\n"
        "import desktop_app.llm.gateway, desktop_app.llm.keys, desktop_app.llm.pricing\n"
        "assert 'litellm' not in sys.modules, 'litellm imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, timeout=60)


def test_warm_up_imports_and_configures_litellm():
    warm_up()
    import litellm

    assert litellm.suppress_debug_info is True
    assert getattr(litellm, "telemetry", False) is False


# --- the test server itself ---------------------------------------------------------------------


def test_server_lists_models_and_records_requests(llm_server):
    import httpx

    with httpx.Client() as client:
        models = client.get(f"{llm_server.url}/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == "test-model"
    [request] = llm_server.requests
    assert (request.method, request.path, request.body) == ("GET", "/v1/models", None)
    assert chats(llm_server) == []


def test_server_reports_a_broken_responder_as_a_500(gateway, llm_server):
    llm_server.default = responder(lambda body: body["no such key"])
    error = failure(gateway, spec(llm_server.url, retries=0))
    assert error.status == 500
    assert isinstance(llm_server.errors[0], KeyError)


def test_server_stops_promptly_mid_hang_and_leaves_no_threads():
    from tests.helpers.llm_server import LLMServer

    before = set(threading.enumerate())
    server = LLMServer().start()
    server.script(reply("kept alive"), hang(30))
    gateway = Gateway()
    gateway.complete(spec(server.url, retries=0), MESSAGES)  # leaves a keep-alive connection
    outcome: list[BaseException] = []

    def call_into_the_hang() -> None:
        try:
            gateway.complete(spec(server.url, retries=0, timeout_s=20), MESSAGES)
        except ModelCallError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call_into_the_hang)
    caller.start()
    deadline = time.monotonic() + 5
    while len(server.completions) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(server.completions) == 2  # the second call is in the hang
    server.stop()
    caller.join(5)  # the hang lasts 30 s and the call's limit is 20 s
    assert not caller.is_alive()
    assert outcome and outcome[0].kind == "connection"  # the hang was cut, not waited out
    [attempt] = outcome[0].attempts  # one try: the cut call was not retried
    assert attempt.error_kind == "connection"
    assert len(server.completions) == 2
    leftover = [t for t in set(threading.enumerate()) - before if t.name.startswith("llm-server")]
    assert leftover == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (500, "Context size has been exceeded."),  # llama.cpp, out of room while answering
        (
            400,
            "request (4100 tokens) exceeds the available context size (4096 tokens), "
            "try increasing it",  # llama.cpp's exceed_context_size_error
        ),
        (400, "This model's maximum context length is 8192 tokens."),  # OpenAI's words
    ],
)
def test_a_prompt_that_does_not_fit_is_not_retried_and_the_server_is_quoted(
    gateway, llm_server, code, message
):
    llm_server.default = status(code, message=message)
    error = failure(gateway, spec(llm_server.url, retries=3))
    assert len(chats(llm_server)) == 1  # asking again cannot make it fit
    (attempt,) = error.attempts
    assert attempt.error_kind == "context" and attempt.status == code
    assert attempt.error == (
        f"the prompt and the answer do not fit the model's context (HTTP {code}): {message}"
    )


def test_a_server_error_carries_the_servers_own_words_redacted(gateway, llm_server):
    planted = "sk-proj-" + "x" * 40
    llm_server.default = status(500, message=f"GPU out of memory while serving {planted}")
    error = failure(gateway, spec(llm_server.url, retries=1))
    assert len(chats(llm_server)) == 2  # a server error may pass: tried again
    assert error.attempts[-1].error.startswith(
        "the server had an internal error (HTTP 500): GPU out of memory while serving"
    )
    assert planted not in str(error) and all(planted not in a.error for a in error.attempts)
