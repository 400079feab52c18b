"""The model worker: a child process that makes the model calls of every front end (the
window, ``signoff serve``, the command line).

Why a process: litellm costs ~200 MB and seconds to import, and parsing its answers holds
the GIL, which stalls the UI thread of the process that makes the calls and holds up a
run's writing of what came back. In a child, the window stays responsive, a run's writing
goes on beside the calls, and the memory is given back when the child exits after being
idle (``ProcessGateway`` closes its stdin).

Protocol: one JSON object per line. Requests on stdin::

    {"id": 7, "op": "complete", "model_spec": {...}, "messages": [...], "model": null,
     "api_base": null, "keys": {"openai": "sk-..."}, "options": {"backoff_base_s": 1.0}}
    {"id": 8, "op": "estimate", "model_spec": {...}, "messages": [...], "model": null}

Answers on the original stdout (anything else printed is sent to stderr), and once
litellm is loaded, ``{"ready": true}`` (no id)::

    {"id": 7, "ok": true, "result": {...CallResult...}}
    {"id": 7, "ok": false, "error": {"message": "...", "kind": "...", "status": null,
                                     "attempts": [...]}}

Keys come from the parent, which reads the keychain; they live only in this process's
memory and in the pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from desktop_app.core.errors import ModelCallError
from desktop_app.core.spec_model import ModelSpec

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_THREADS = 16


def model_spec_from(data: dict[str, Any]) -> ModelSpec:
    return ModelSpec(**{**data, "fallbacks": tuple(data.get("fallbacks") or ())})


def _complete(request: dict[str, Any]) -> dict[str, Any]:
    from desktop_app.llm import keys
    from desktop_app.llm.gateway import Gateway

    given = {k: v for k, v in (request.get("keys") or {}).items() if v}
    for secret in given.values():
        keys.register_secret(secret)
    options = request.get("options") or {}
    gateway = Gateway(
        backoff_base_s=options.get("backoff_base_s"),
        local_only=options.get("local_only"),
        key_lookup=given.get,
    )
    try:
        result = gateway.complete(
            model_spec_from(request["model_spec"]),
            request["messages"],
            model=request.get("model"),
            api_base=request.get("api_base"),
        )
    except ModelCallError as exc:
        attempts = [asdict(a) for a in getattr(exc, "attempts", [])]
        error = {"message": str(exc), "kind": exc.kind, "status": exc.status, "attempts": attempts}
        return {"ok": False, "error": error}
    return {"ok": True, "result": asdict(result)}


def _estimate(request: dict[str, Any]) -> dict[str, Any]:
    from desktop_app.llm.gateway import Gateway

    tokens, cost = Gateway().estimate(
        model_spec_from(request["model_spec"]), request["messages"], model=request.get("model")
    )
    return {"ok": True, "result": [tokens, cost]}


OPS = {"complete": _complete, "estimate": _estimate}


def _handle(request: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
    try:
        answer = OPS[request["op"]](request)
    except Exception as exc:  # a bug: reported to the waiting caller, never a silent hang
        answer = {
            "ok": False,
            "error": {"message": f"the model worker failed: {type(exc).__name__}: {exc}",
                      "kind": "error", "status": None, "attempts": []},
        }  # fmt: skip
    send({"id": request.get("id"), **answer})


def main() -> None:
    # Stopping is the parent's to decide: a Ctrl+C in a terminal, or systemd stopping
    # `serve`, signals the whole process group, and the calls under way here must still be
    # answered (the parent keeps them, then ends the run as interrupted). The worker leaves
    # when its requests end (the parent closes its stdin, or dies).
    for stop in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(OSError, ValueError):  # not the main thread / no such signal
            signal.signal(stop, signal.SIG_IGN)
    # Keep the protocol channel to ourselves: stray prints (a library's banner) go to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False)
        with lock:
            channel.write(line + "\n")
            channel.flush()

    from desktop_app.llm.litellm_setup import load_litellm

    def warm_up() -> None:
        load_litellm()
        send({"ready": True})

    # Below the window in the scheduler's eyes: the import (seconds of CPU) and the parsing
    # of answers never take a core the window wants. (No os.nice on Windows.)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="call")
    for line in sys.stdin:
        if line.strip():
            pool.submit(_handle, json.loads(line), send)
    # The parent closed our stdin: it waits for no answer any more, or it died (a killed
    # `signoff run`). Leave at once. A call still under way is abandoned: finished or
    # retried for nobody, its answer would be lost and its input paid for again when the
    # run is resumed. No teardown either (litellm's is ~0.9 s, and a closing parent waits
    # for us); nothing here has anything left to write.
    pool.shutdown(wait=False, cancel_futures=True)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
