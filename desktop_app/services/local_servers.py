"""Find an OpenAI-compatible model server on this computer (Ollama, LM Studio, llama.cpp)."""

from __future__ import annotations

from dataclasses import dataclass

KNOWN_PORTS = {11434: "Ollama", 1234: "LM Studio", 8080: "llama.cpp server"}


@dataclass(frozen=True)
class LocalServer:
    name: str
    api_base: str
    models: tuple[str, ...]

    def litellm_model(self, model_id: str) -> str:
        """The model string for litellm: any OpenAI-compatible server takes the ``openai/`` prefix."""
        return f"openai/{model_id}"


def probe(ports: dict[int, str] | None = None, *, timeout_s: float = 0.5) -> list[LocalServer]:
    """Every server answering ``GET /v1/models`` on 127.0.0.1 at ``ports``, with its models."""
    import httpx

    found = []
    for port, name in (ports or KNOWN_PORTS).items():
        base = f"http://127.0.0.1:{port}/v1"
        try:
            response = httpx.get(f"{base}/models", timeout=timeout_s)
            payload = response.json()
        except (httpx.HTTPError, ValueError):
            continue
        if response.status_code != 200 or not isinstance(payload, dict):
            continue
        models = tuple(
            str(m.get("id")) for m in payload.get("data", []) if isinstance(m, dict) and m.get("id")
        )
        found.append(LocalServer(name, base, models))
    return found
