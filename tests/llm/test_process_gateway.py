"""The window's gateway: model calls made in a child process, against the real test server."""

from __future__ import annotations

import os
import signal
import threading
import time

import keyring
import pytest

from desktop_app.core.errors import ModelCallError
from desktop_app.core.spec_model import ModelSpec
from desktop_app.llm.process_gateway import ProcessGateway
from tests.helpers.llm_server import hang, reply, responder, status

MESSAGES = [{"role": "user", "content": "Hello there"}]


def spec(api_base: str, **kw) -> ModelSpec:
    kw.setdefault("name", "openai/test-model")
    kw.setdefault("retries", 1)
    kw.setdefault("timeout_s", 5.0)
    kw.setdefault("input_cost_per_mtok", 1.0)
    kw.setdefault("output_cost_per_mtok", 2.0)
    return ModelSpec(api_base=api_base, **kw)


def call_under_way(gw: ProcessGateway, server, model_spec: ModelSpec):
    """``gw.complete`` on a thread of its own, returned once its request has reached
    ``server``, with the list its answer (or its ``ModelCallError``) will be put in."""
    outcome: list = []

    def call() -> None:
        try:
            outcome.append(gw.complete(model_spec, MESSAGES))
        except ModelCallError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.completions and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.completions, "the call never reached the server"
    return thread, outcome


@pytest.fixture(scope="module")
def gateway():
    """One child for the module: each start imports litellm there (seconds)."""
    gw = ProcessGateway(idle_s=60)
    yield gw
    gw.close()
    assert not gw.running


def test_answer_cost_and_attempts_come_back_from_the_child(gateway, llm_server):
    llm_server.script(status(500), reply("Hi from the child", tokens_in=1000, tokens_out=500))
    result = gateway.complete(spec(llm_server.url), MESSAGES)
    assert result.text == "Hi from the child"
    assert (result.tokens_in, result.tokens_out) == (1000, 500)
    assert result.cost_usd == pytest.approx(0.001 + 0.001)
    assert [a.ok for a in result.attempts] == [False, True]
    assert result.attempts[0].status == 500
    assert gateway.running and gateway.pid != os.getpid()


def test_a_failed_call_raises_with_every_attempt(gateway, llm_server):
    llm_server.script(status(429, retry_after=0), status(429, retry_after=0))
    with pytest.raises(ModelCallError) as info:
        gateway.complete(spec(llm_server.url), MESSAGES)
    assert info.value.kind == "rate_limit"
    assert len(info.value.attempts) == 2 and "HTTP 429" in str(info.value)


def test_the_key_from_this_process_keychain_reaches_the_server_only(gateway, llm_server):
    secret = "sk-process-secret-0123456789abcdef"
    keyring.set_password("signoff", "openai", secret)
    llm_server.script(status(401))
    with pytest.raises(ModelCallError) as info:
        gateway.complete(spec(llm_server.url), MESSAGES)
    assert llm_server.completions[0].headers["Authorization"] == f"Bearer {secret}"
    assert secret not in str(info.value)


def test_concurrent_calls_share_one_child(gateway, llm_server):
    llm_server.default = reply("ok")
    gateway.complete(spec(llm_server.url), MESSAGES)
    started = gateway.started
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(gateway.complete(spec(llm_server.url), MESSAGES))
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 8 and all(r.text == "ok" for r in results)
    assert gateway.started == started


def test_the_child_exits_when_idle_and_a_new_call_starts_another(llm_server):
    gateway = ProcessGateway(idle_s=0.2)
    try:
        gateway.complete(spec(llm_server.url), MESSAGES)
        first = gateway.pid
        deadline = time.monotonic() + 10
        while gateway.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not gateway.running
        gateway.complete(spec(llm_server.url), MESSAGES)
        assert gateway.started == 2 and gateway.pid != first
    finally:
        gateway.close()


def test_a_child_that_dies_mid_call_fails_the_call_in_plain_words(gateway, llm_server):
    llm_server.script(hang(10))
    thread, errors = call_under_way(gateway, llm_server, spec(llm_server.url, timeout_s=30))
    os.kill(gateway.pid, signal.SIGKILL)
    thread.join(10)
    assert len(errors) == 1
    assert "model worker stopped unexpectedly" in str(errors[0])
    assert errors[0].kind == "connection"


def test_the_cost_estimate_is_made_in_the_child(gateway, llm_server):
    model_spec = spec(llm_server.url, max_tokens=100)  # $1 / $2 per million tokens
    tokens, cost = gateway.estimate(model_spec, [{"role": "user", "content": "one two three"}])
    assert 3 <= tokens <= 20
    assert cost == pytest.approx(tokens * 1e-6 + 100 * 2e-6)


def test_a_worker_that_cannot_start_escalates_the_items_of_the_run(tmp_path, llm_server):
    """No Python to start the worker with (a broken install, a frozen bundle gone wrong):
    each input becomes an escalated item that says so, and the run finishes."""
    from desktop_app.core.spec_loader import load_spec
    from desktop_app.services.inputs import from_text
    from desktop_app.services.runner import Runner
    from desktop_app.storage import item_rows
    from desktop_app.storage.db import connect
    from tests.helpers.specs import write_spec

    broken = ProcessGateway(command=[str(tmp_path / "no-such-python"), "-c", "pass"])
    spec = load_spec(write_spec(tmp_path / "wf", api_base=llm_server.url))
    db = connect(tmp_path / "signoff.db")
    try:
        summary = Runner(db, broken).run(spec, [from_text("Hello"), from_text("Hi again")])
        assert (summary.state, summary.escalated, summary.pending) == ("finished", 2, 0)
        for item_id in summary.item_ids:
            item = item_rows.get_item(db, item_id)
            assert item["status"] == "escalated"
            assert "model worker could not be started" in item["reason"]
        assert not llm_server.completions and broken.started == 0
    finally:
        db.conn.close()


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_a_warmed_child_loads_litellm_before_any_call_and_serves_the_first(llm_server, monkeypatch):
    """``warm()`` starts the child ahead of the first click (issue 25): it says when litellm
    is loaded, and the first call is made by that same child. The keychain, where each
    call's key is read in this process, is found then too."""
    import keyring.core

    keychain = keyring.core.get_keyring()
    searched = []
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(
        keyring.core,
        "init_backend",
        lambda limit=None: (searched.append(1), keyring.core.set_keyring(keychain)),
    )
    gateway = ProcessGateway(idle_s=60)
    try:
        assert not gateway.ready
        gateway.warm()
        assert searched == [1]
        gateway.warm()  # once is enough: no second child
        assert gateway.running and gateway.started == 1
        assert _wait_for(lambda: gateway.ready), "the child never said it was ready"
        llm_server.default = reply("Warm already")
        assert gateway.complete(spec(llm_server.url), MESSAGES).text == "Warm already"
        assert gateway.started == 1
    finally:
        gateway.close()
    assert not gateway.ready


def test_a_warmed_child_nobody_asks_exits_when_idle(llm_server):
    """The idle promise holds for a warm-up too: unasked, the child gives its memory back."""
    gateway = ProcessGateway(idle_s=0.5)
    try:
        gateway.warm()
        first = gateway.pid
        assert first is not None
        assert _wait_for(lambda: not gateway.running, 30), "a warmed child never left"
        gateway.complete(spec(llm_server.url), MESSAGES)  # the next call starts another
        assert gateway.started == 2 and gateway.pid != first
    finally:
        gateway.close()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="os.nice: Unix only")
def test_the_child_runs_below_the_window(gateway, llm_server):
    """The worker lowers its own priority: its import and parsing never take the window's core."""
    gateway.complete(spec(llm_server.url), MESSAGES)
    pid = gateway.pid
    assert pid is not None
    with open(f"/proc/{pid}/stat") as stat:  # field 19: the nice value
        child = int(stat.read().rsplit(")", 1)[1].split()[16])
    assert child >= os.nice(0) + 10


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_to_the_child_leaves_the_call_under_way_answered(gateway, llm_server, sig):
    """A terminal's Ctrl+C and systemd's stop signal the whole process group: stopping is
    the parent's decision, so the child answers what it was asked and stays."""

    def slow(_body):
        time.sleep(0.5)
        return reply("answered after the signal")

    llm_server.script(responder(slow))
    thread, results = call_under_way(gateway, llm_server, spec(llm_server.url))
    pid = gateway.pid
    os.kill(pid, sig)
    thread.join(15)
    assert [getattr(r, "text", r) for r in results] == ["answered after the signal"]
    assert gateway.running and gateway.pid == pid


def test_the_child_follows_this_process_environment_at_each_call(llm_server, monkeypatch):
    """Local-only mode (and the retries' wait) are read here at each call, not from the
    child's environment as it was when it started: a command line's worker lives on."""
    monkeypatch.delenv("SIGNOFF_LOCAL_ONLY")
    gw = ProcessGateway(idle_s=60)
    try:
        llm_server.default = reply("local answer")
        assert gw.complete(spec(llm_server.url), MESSAGES).text == "local answer"
        monkeypatch.setenv("SIGNOFF_LOCAL_ONLY", "1")
        with pytest.raises(ModelCallError) as info:
            gw.complete(spec("https://api.example.com/v1"), MESSAGES)
        assert "local-only" in str(info.value)
        assert gw.started == 1
    finally:
        gw.close()


def test_a_child_whose_parent_is_gone_leaves_at_once_and_calls_nobody(llm_server):
    """A killed `signoff run` closes its worker's stdin by dying: the call under way is
    abandoned there, never waited for nor retried for nobody (before, the worker finished
    a hanging call and retried it 20 s later, paying for an input its resumed run would
    pay for again)."""
    gw = ProcessGateway(idle_s=60)
    try:
        llm_server.script(hang(20), reply("a retry nobody reads"))
        model_spec = spec(llm_server.url, retries=1, timeout_s=1)
        thread, errors = call_under_way(gw, llm_server, model_spec)
        proc = gw._proc
        assert proc is not None and proc.stdin is not None
        proc.stdin.close()  # what the parent's death does to the pipe
        proc.wait(timeout=5)  # gone at once, not after the hanging call
        thread.join(10)
        assert len(errors) == 1 and "model worker stopped" in str(errors[0])
        time.sleep(2)  # past the call's timeout: a worker still there would have retried
        assert len(llm_server.completions) == 1
    finally:
        gw.close()
