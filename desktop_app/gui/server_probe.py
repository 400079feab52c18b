"""The Settings tab's two model checks, run on its ``Job`` (off the UI thread): finding a
model server on this computer (Ollama, LM Studio, llama.cpp answering on 127.0.0.1), and
testing a model with a one-word question (which imports litellm, there and not here).

Each returns ``(kind, result)``: the tab's one job carries both, and ``kind`` says which
check answered. The ``*_line`` functions say what was found in the tab's status line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.gui.tasks import Report
    from desktop_app.services.local_servers import LocalServer
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.storage.db import DatabaseLike


def find_servers(db: DatabaseLike, report: Report) -> tuple[str, Any]:
    """``("probe", [LocalServer, …])``: every server that answered, with its models."""
    from desktop_app.services.local_servers import probe

    return ("probe", probe())


def test_model(
    db: DatabaseLike, report: Report, model: str, api_base: str, gateway: ModelGateway | None
) -> tuple[str, Any]:
    """``("test", (worked?, what happened))`` after asking ``model`` for one word."""
    from desktop_app.services.connection import test_connection

    return ("test", test_connection(model, api_base or None, gateway))


def found_line(servers: list[LocalServer]) -> str:
    count = sum(len(s.models) for s in servers)
    return (
        f"Found {count} model(s) on {len(servers)} server(s)."
        if servers
        else "No model server answered on this computer. Start Ollama or LM Studio, or use an API key."
    )


def tested_line(outcome: tuple[bool, str]) -> str:
    ok, text = outcome
    return ("It works: " if ok else "It did not work: ") + text
