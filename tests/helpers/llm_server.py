"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Serves ``POST /v1/chat/completions`` and ``GET /v1/models``. Each request takes the
next behaviour from a FIFO script (``server.script(...)``), or the default behaviour
when the script is empty (``server.default``; a canned reply unless changed)::

    server.script(status(429, retry_after=0), reply("hello", tokens_in=12, tokens_out=3))
    server.default = responder(lambda body: body["messages"][-1]["content"].upper())

Every request is recorded (``server.requests``: path, method, headers, parsed JSON body)
before its behaviour runs, so a test can count exactly how many HTTP requests reached it.
"""

from __future__ import annotations

import collections
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CANNED_TEXT = "Thank you for your message. We will get back to you shortly."

_REASONS = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    403: ("permission_error", "You are not allowed to use this model."),
    404: ("invalid_request_error", "The model does not exist."),
    429: ("rate_limit_error", "Rate limit reached. Please try again later."),
    500: ("server_error", "The server had an error while processing your request."),
    502: ("server_error", "Bad gateway."),
    503: ("server_error", "The server is overloaded. Please try again later."),
}


class Headers(dict):
    """Request headers; looked up without regard to case (clients send either)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__({str(k).lower(): v for k, v in dict(items).items()})

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@dataclass
class Request:
    """One HTTP request as the server saw it."""

    method: str
    path: str
    headers: Headers  # case-insensitive: headers.get("Authorization")
    body: Any  # parsed JSON, or None when there was no (valid) JSON body
    at: float = field(default_factory=time.monotonic)


# --- behaviours ------------------------------------------------------------------------------


class Behaviour:
    """How the server answers one chat-completion request."""

    def respond(self, handler: _Handler, body: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _prompt_tokens(body: Any) -> int:
    messages = body.get("messages", []) if isinstance(body, dict) else []
    return sum(_estimate_tokens(str(m.get("content", ""))) for m in messages if isinstance(m, dict))


def completion_body(
    body: Any,
    text: str,
    *,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """An OpenAI chat.completion object answering ``body`` with ``text``."""
    model = body.get("model", "test-model") if isinstance(body, dict) else "test-model"
    t_in = _prompt_tokens(body) if tokens_in is None else tokens_in
    t_out = _estimate_tokens(text) if tokens_out is None else tokens_out
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": t_in, "completion_tokens": t_out, "total_tokens": t_in + t_out},
    }


@dataclass(frozen=True)
class Reply(Behaviour):
    text: str = CANNED_TEXT
    tokens_in: int | None = None  # None: estimated from the prompt (~4 characters a token)
    tokens_out: int | None = None
    finish_reason: str = "stop"

    def respond(self, handler: _Handler, body: Any) -> None:
        payload = completion_body(
            body,
            self.text,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            finish_reason=self.finish_reason,
        )
        handler.send_json(200, payload)


@dataclass(frozen=True)
class Status(Behaviour):
    code: int
    message: str | None = None  # the error body's message; a stock one per code when None
    retry_after: float | None = None  # sent as a Retry-After header (seconds)
    raw_body: str | None = None  # sent as is (text/html) instead of an OpenAI error object

    def respond(self, handler: _Handler, body: Any) -> None:
        headers = {}
        if self.retry_after is not None:
            ra = self.retry_after
            headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        if self.raw_body is not None:
            handler.send_raw(self.code, self.raw_body.encode(), "text/html", headers)
            return
        err_type, stock = _REASONS.get(self.code, ("server_error", f"HTTP {self.code}"))
        payload = {
            "error": {
                "message": self.message if self.message is not None else stock,
                "type": err_type,
                "param": None,
                "code": str(self.code),
            }
        }
        handler.send_json(self.code, payload, headers)


@dataclass(frozen=True)
class Hang(Behaviour):
    """Say nothing for ``seconds`` (past the client's timeout), then close the connection."""

    seconds: float

    def respond(self, handler: _Handler, body: Any) -> None:
        handler.server.stopping.wait(self.seconds)  # cut short when the server stops
        handler.drop()


@dataclass(frozen=True)
class InvalidJson(Behaviour):
    def respond(self, handler: _Handler, body: Any) -> None:
        handler.send_raw(200, b"<html>this is not json{", "application/json")


@dataclass(frozen=True)
class EmptyChoices(Behaviour):
    def respond(self, handler: _Handler, body: Any) -> None:
        payload = completion_body(body, "", tokens_out=0)
        payload["choices"] = []
        handler.send_json(200, payload)


@dataclass(frozen=True)
class DropConnection(Behaviour):
    def respond(self, handler: _Handler, body: Any) -> None:
        handler.drop()


@dataclass(frozen=True)
class Responder(Behaviour):
    """Answer with ``fn(request_json)``: a string (a normal reply) or another Behaviour."""

    fn: Callable[[Any], str | Behaviour]

    def respond(self, handler: _Handler, body: Any) -> None:
        result = self.fn(body)
        behaviour = result if isinstance(result, Behaviour) else Reply(str(result))
        behaviour.respond(handler, body)


def reply(
    text: str = CANNED_TEXT,
    *,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    finish_reason: str = "stop",
) -> Reply:
    return Reply(text, tokens_in, tokens_out, finish_reason)


def status(
    code: int,
    *,
    message: str | None = None,
    retry_after: float | None = None,
    raw_body: str | None = None,
) -> Status:
    """An HTTP error with an OpenAI-style error body (``message``), or ``raw_body`` as is."""
    return Status(code, message, retry_after, raw_body)


def hang(seconds: float) -> Hang:
    return Hang(seconds)


def invalid_json() -> InvalidJson:
    return InvalidJson()


def empty_choices() -> EmptyChoices:
    return EmptyChoices()


def truncated(
    text: str = "This answer was cut off in the mid",
    *,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
) -> Reply:
    """A partial answer that stopped at the token limit (finish_reason "length")."""
    return Reply(text, tokens_in, tokens_out, "length")


def drop_connection() -> DropConnection:
    return DropConnection()


def responder(fn: Callable[[Any], str | Behaviour]) -> Responder:
    return Responder(fn)


# --- the server --------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses one connection per thread
    disable_nagle_algorithm = True
    timeout = 30  # an idle keep-alive connection is closed after this long
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: no line on stderr per request

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _record(self, body: Any) -> None:
        self.server.owner._record(
            Request(self.command, self.path, Headers(self.headers.items()), body)
        )

    def do_POST(self) -> None:
        body = self._read_body()
        self._record(body)
        if self.path.rstrip("/").endswith("/chat/completions"):
            behaviour = self.server.owner._next_behaviour()
            try:
                behaviour.respond(self, body)
            except OSError:
                self.close_connection = True  # the client gave up (e.g. its timeout)
            except Exception as exc:  # a broken responder: say so instead of hanging up
                self.server.owner.errors.append(exc)
                message = f"test server: {behaviour!r} raised {type(exc).__name__}: {exc}"
                Status(500, message=message).respond(self, body)
        else:
            Status(404, message=f"no route for POST {self.path}").respond(self, body)

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": "test-model", "object": "model", "owned_by": "signoff-tests"}]
            self.send_json(200, {"object": "list", "data": data})
        else:
            Status(404, message=f"no route for GET {self.path}").respond(self, None)

    # helpers used by behaviours
    def send_json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_raw(code, json.dumps(payload).encode(), "application/json", headers)

    def send_raw(
        self, code: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def drop(self) -> None:
        """Close the socket without a response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: LLMServer):
        self.owner = owner
        self.stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="llm-server-conn",
            daemon=True,
        )
        with self._conn_lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._connections.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is normal here (timeouts, dropped calls)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Cut every open keep-alive connection and wait for its thread to end."""
        with self._conn_lock:
            items = list(self._connections.items())
        for sock, _ in items:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in items:
            thread.join(max(0.0, deadline - time.monotonic()))


class LLMServer:
    """An OpenAI-compatible server in a background thread. Use as a context manager or
    call ``start()`` / ``stop()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: collections.deque[Behaviour] = collections.deque()
        self.default: Behaviour = Reply()
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []  # exceptions raised by responders
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> LLMServer:
        self._httpd = _Server(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="llm-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(5)
        self._httpd = self._thread = None

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The api base to give a client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # scripting
    def script(self, *behaviours: Behaviour) -> LLMServer:
        """Queue behaviours, consumed one per chat-completion request (FIFO)."""
        with self._lock:
            self._queue.extend(behaviours)
        return self

    @property
    def pending(self) -> int:
        """How many scripted behaviours have not been used yet."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Empty the script and the request log; back to the canned reply."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.errors.clear()
            self.default = Reply()

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def completions(self) -> list[Request]:
        """The chat-completion requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]


def closed_port() -> int:
    """A port on 127.0.0.1 on which nothing listens (connecting to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
