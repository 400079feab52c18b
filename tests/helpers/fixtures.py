"""Shared fixtures, registered as a pytest plugin by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.llm_server import LLMServer, closed_port
from tests.helpers.specs import write_spec


@pytest.fixture(scope="session")
def llm_server_session() -> Iterator[LLMServer]:
    """One OpenAI-compatible server on 127.0.0.1 for the whole test session."""
    with LLMServer() as server:
        yield server


@pytest.fixture
def llm_server(llm_server_session: LLMServer) -> Iterator[LLMServer]:
    """The session's server with an empty script, the canned reply as default and an
    empty request log: what one test scripts does not leak into the next."""
    llm_server_session.reset()
    yield llm_server_session
    llm_server_session.reset()


@pytest.fixture
def refused_url() -> str:
    """An api base on 127.0.0.1 where nothing listens: connecting is refused."""
    return f"http://127.0.0.1:{closed_port()}/v1"


@pytest.fixture
def signoff(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``signoff ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from desktop_app.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def workflows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm_server: LLMServer) -> Path:
    """A workflows folder with one workflow, 'reply', answered by the test server."""
    folder = tmp_path / "my-workflows"
    write_spec(folder, "reply", api_base=llm_server.url)
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(folder))
    return folder
