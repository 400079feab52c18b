"""A gateway that makes its model calls in a child process (``desktop_app.llm.worker``).

Same ``complete`` as ``Gateway``, so the runner does not know the difference. Every
front end uses it (the window, ``serve``, the command line through ``shared``): litellm is
never imported into their processes, the window's UI thread keeps the GIL to itself during
runs, a run's writing goes on beside its calls, and after ``idle_s`` without a call the
child is told to exit, which gives its memory back. The next call starts a new one.

``warm()`` starts the child ahead of a call (the window does it a few seconds after its
first paint, and again when a person opens what leads to a call), so the first click does
not wait for litellm's import; ``ready`` says whether that import is done, for a window
that shows the wait. A child warmed and never asked still exits after ``idle_s``.

Keys are read here (the keychain belongs to this process; tests put an in-memory one
in it) and sent to the child with each request.
"""

from __future__ import annotations

import collections
import contextlib
import json
import subprocess
import sys
import threading
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any

from desktop_app.core.errors import KnownError, ModelCallError
from desktop_app.core.spec_model import ModelSpec
from desktop_app.llm import keys
from desktop_app.llm.gateway import KEY_CACHE_S, Attempt, CallResult, env_options

IDLE_S = 300.0  # an idle child's ~210 MB given back after 5 minutes (the idle goal: 10)
WORKER_ARG = "--model-worker"  # the frozen app's own executable runs the worker with it
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from desktop_app.llm.worker import main; main()"
)


def worker_command() -> list[str]:
    """How to start the worker: this Python on ``llm.worker``; in a frozen bundle (no
    separate Python inside) its own executable, which ``desktop_app.__main__`` hands to
    the worker when given ``WORKER_ARG``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_ARG]
    return [sys.executable, "-c", _BOOT, _PACKAGE_ROOT]


class ProcessGateway:
    """Thread-safe: many runner threads may call ``complete`` at once."""

    def __init__(
        self,
        *,
        idle_s: float = IDLE_S,
        backoff_base_s: float | None = None,
        local_only: bool | None = None,
        command: list[str] | None = None,
    ):
        """``command`` starts the worker (default: this Python running ``llm.worker``)."""
        self.idle_s = idle_s
        self.command = command or worker_command()
        self._options = {"backoff_base_s": backoff_base_s, "local_only": local_only}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._threads: list[threading.Thread] = []
        self._pending: dict[int, tuple[subprocess.Popen, Future]] = {}
        self._next_id = 0
        self._idle_timer: threading.Timer | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._ready = threading.Event()  # the current child has loaded litellm
        self.started = 0  # how many child processes were started (for tests and benchmarks)

    # --- the gateway interface ---

    def complete(
        self,
        model_spec: ModelSpec,
        messages: list[dict],
        *,
        model: str | None = None,
        api_base: str | None = None,
    ) -> CallResult:
        chain = [model or model_spec.name, *model_spec.fallbacks]
        request = {
            "op": "complete",
            "model_spec": asdict(model_spec),
            "messages": messages,
            "model": model,
            "api_base": api_base,
            "keys": _keys_for(chain),
            "options": self._request_options(),
        }
        answer = self._ask(request)
        if answer["ok"]:
            data = answer["result"]
            attempts = [Attempt(**a) for a in data.pop("attempts")]
            return CallResult(**data, attempts=attempts)
        raise _error(answer["error"])

    def estimate(
        self, model_spec: ModelSpec, messages: list[dict], *, model: str | None = None
    ) -> tuple[int, float | None]:
        """As ``Gateway.estimate``, counted by the child (the tokenizer lives with litellm)."""
        request = {
            "op": "estimate",
            "model_spec": asdict(model_spec),
            "messages": messages,
            "model": model,
        }
        answer = self._ask(request)
        if not answer["ok"]:
            raise _error(answer["error"])
        tokens, cost = answer["result"]
        return int(tokens), cost

    def warm(self) -> None:
        """Start the child now if none runs (it loads litellm at once); it exits after
        ``idle_s`` unless asked something. Starting a process does not wait for it. Then the
        keychain is found here, where each call's key is read (``keys.backend``: ~0.2 s the
        first time in a process)."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            try:
                self._ensure_started()
            except ModelCallError:
                return  # the next call says why, as an escalated item
            if not self._pending:
                self._start_idle_timer()
        with contextlib.suppress(Exception):  # no keychain: each call says so, as now
            keys.backend()

    @property
    def ready(self) -> bool:
        """A child runs and has loaded litellm: a call now waits only for the model."""
        return self.running and self._ready.is_set()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None else None

    def close(self, timeout: float = 10.0) -> None:
        """Tell the child to leave (it does at once: a call still under way there is
        abandoned, and its caller told the worker stopped); stop our threads."""
        with self._lock:
            timer = self._cancel_idle_timer()
            proc, threads = self._proc, self._threads
            self._proc, self._threads = None, []
        if timer is not None:
            timer.join()
        _stop(proc, threads, timeout)

    def _request_options(self) -> dict[str, Any]:
        """The options given here, else this process's environment now (not the child's,
        which was read when it started)."""
        from_env = env_options()
        return {k: from_env[k] if v is None else v for k, v in self._options.items()}

    # --- the pipe ---

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        future: Future = Future()
        with self._lock:
            self._cancel_idle_timer()
            proc = self._ensure_started()
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = (proc, future)
            assert proc.stdin is not None  # started with stdin=PIPE
            try:
                proc.stdin.write(json.dumps({"id": request_id, **request}) + "\n")
                proc.stdin.flush()
            except (OSError, ValueError):
                self._pending.pop(request_id, None)
                raise ModelCallError(self._died_message(proc), kind="connection") from None
        return future.result()

    def _ensure_started(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        try:
            proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as exc:  # a model error like any other: the input is escalated, not lost
            raise ModelCallError(
                f"The model worker could not be started: {exc.strerror or exc}", kind="connection"
            ) from None
        self.started += 1
        self._stderr.clear()
        self._ready = threading.Event()
        reader = threading.Thread(
            target=self._read, args=(proc,), name="signoff-model-worker", daemon=True
        )
        drain = threading.Thread(
            target=self._drain, args=(proc,), name="signoff-model-worker-stderr", daemon=True
        )
        self._proc, self._threads = proc, [reader, drain]
        reader.start()
        drain.start()
        return proc

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None  # started with stdout=PIPE
        ready = self._ready
        for line in proc.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if answer.get("ready"):
                ready.set()
                continue
            with self._lock:
                _, future = self._pending.pop(answer.get("id"), (None, None))
                if not self._pending and self._proc is proc:
                    self._start_idle_timer()
            if future is not None:
                future.set_result(answer)
        proc.wait()
        with self._lock:  # the child is gone: nobody will answer what is still waiting
            lost = [i for i, (owner, _) in self._pending.items() if owner is proc]
            orphans = [self._pending.pop(i)[1] for i in lost]
            for stream in (proc.stdin, proc.stdout):
                assert stream is not None  # started with stdin=PIPE, stdout=PIPE
                with contextlib.suppress(OSError):
                    stream.close()
        message = self._died_message(proc)
        for future in orphans:
            future.set_result(
                {"ok": False, "error": {"message": message, "kind": "connection", "status": None,
                                        "attempts": []}}
            )  # fmt: skip

    def _drain(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None  # started with stderr=PIPE
        for line in proc.stderr:
            if line.strip():
                self._stderr.append(line.rstrip())
        proc.stderr.close()

    def _died_message(self, proc: subprocess.Popen) -> str:
        code = proc.poll()
        last = self._stderr[-1] if self._stderr else ""
        text = "The model worker stopped unexpectedly"
        if code is not None:
            text += f" (exit code {code})"
        return text + (f": {last}" if last else ".")

    # --- idle exit ---

    def _start_idle_timer(self) -> None:
        self._cancel_idle_timer()
        timer = threading.Timer(self.idle_s, self._close_if_idle)
        timer.name = "signoff-model-worker-idle"
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _cancel_idle_timer(self) -> threading.Timer | None:
        timer, self._idle_timer = self._idle_timer, None
        if timer is not None:
            timer.cancel()
        return timer

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._pending or self._proc is None or self._idle_timer is None:
                return
            self._idle_timer = None
            proc, threads = self._proc, self._threads
            self._proc, self._threads = None, []
        _stop(proc, threads, 10.0)


def _stop(proc: subprocess.Popen | None, threads: list[threading.Thread], timeout: float) -> None:
    if proc is None:
        return
    assert proc.stdin is not None  # started with stdin=PIPE
    with contextlib.suppress(OSError):  # end of requests: the child answers them, then exits
        proc.stdin.close()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for thread in threads:
        if thread is not threading.current_thread():
            thread.join(timeout)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


_shared: ProcessGateway | None = None
_shared_lock = threading.Lock()


def shared() -> ProcessGateway:
    """This process's model worker for the command line: one for every command a process
    runs (a test session runs many), told to leave when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            import atexit

            _shared = ProcessGateway()
            atexit.register(_shared.close)
        return _shared


def _keys_for(models: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in models:
        try:
            provider, _ = keys.split_model(name)
            if provider not in found:
                found[provider] = keys.get_key(provider, max_age_s=KEY_CACHE_S)
        except KnownError:  # a provider name the keychain cannot hold: the worker will say so
            continue
    return found


def _error(data: dict[str, Any]) -> ModelCallError:
    error = ModelCallError(
        data["message"], kind=data.get("kind") or "error", status=data.get("status")
    )
    error.attempts = [Attempt(**a) for a in data.get("attempts") or []]
    return error
