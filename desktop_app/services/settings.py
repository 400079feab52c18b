"""Settings that apply to every workflow: the model and server to use, kept in ``settings.json``.

A workflow names its own model; a small business usually wants one switch for
all of them ("use the Ollama on this computer"). When set here, ``model`` and
``api_base`` replace each spec's own for every run, unless a run names its own
(``--model``/``--api-base``, or the run panel). API keys are never stored here:
they live in the OS keychain (see ``llm.keys``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from desktop_app.core.errors import KnownError

FILENAME = "settings.json"


class Settings(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    model: str = (
        ""  # e.g. "openai/llama3.1" for a local server, "anthropic/claude-3-5-haiku-latest"
    )
    api_base: str = ""  # e.g. "http://127.0.0.1:11434/v1"
    fallbacks: tuple[str, ...] = ()  # when set, replace every spec's fallbacks, tried in order
    monthly_budget_usd: float | None = None  # a cap on all workflows' spend this month
    # a drift alert when a workflow's cost per approved output passes it (services/drift)
    max_cost_per_approved_usd: float | None = None
    quiet_hours: str = ""  # e.g. "22:00-07:00": no pop-up notifications (the banner still shows)
    muted: tuple[str, ...] = ()  # workflows whose notifications are silenced
    start_at_login: bool = False
    # a run over more new inputs than this asks first (the window) or needs --yes (the CLI)
    ask_over_inputs: int = 1000
    # the name this computer's decisions carry ("": the login name); --by overrides it once
    name: str = ""
    # a team's PostgreSQL database (its URL, never a password: that is in the keychain);
    # "": this computer's SQLite file. --database / SIGNOFF_DATABASE override it.
    database: str = ""

    def decider(self, given: str | None = None) -> str | None:
        """Who a decision is by: ``given`` (``--by``), else this computer's name, else None
        (``services.decisions``: the login name)."""
        return (given or "").strip() or self.name.strip() or None

    def run_model(self, override: str | None) -> str | None:
        return override or self.model or None

    def run_api_base(self, override: str | None) -> str | None:
        return override or self.api_base or None

    def run_fallbacks(self) -> tuple[str, ...] | None:
        """The fallbacks every run uses, or None: each spec's own."""
        return self.fallbacks or None


def parse_models(text: str) -> tuple[str, ...]:
    """``"a, b"`` (as typed in a field or on the command line) -> ``("a", "b")``."""
    return tuple(dict.fromkeys(m.strip() for m in text.replace("\n", ",").split(",") if m.strip()))


def parse_money(text: str) -> float | None:
    """``"20"``, ``"$7.50"`` -> a number of USD; empty -> None (no cap)."""
    cleaned = text.strip().lstrip("$").strip()
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise KnownError(f"'{text.strip()}' is not an amount in USD, e.g. 20 or 7.50") from None


def load(data_dir: Path) -> Settings:
    path = data_dir / FILENAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        raise KnownError(f"cannot read the settings in {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise KnownError(f"cannot read the settings in {path}: expected a JSON object")
    known = set(Settings._fields)
    values = {k: v for k, v in raw.items() if k in known and v is not None}
    fallbacks = values.pop("fallbacks", ())
    if isinstance(fallbacks, str):
        fallbacks = parse_models(fallbacks)
    if not isinstance(fallbacks, (list, tuple)):
        raise KnownError(f"cannot read the settings in {path}: fallbacks must be a list of models")
    muted = values.pop("muted", ())
    start_at_login = bool(values.pop("start_at_login", False))
    ask_over = _whole(values.pop("ask_over_inputs", 1000), "ask_over_inputs", path)
    cap = _amount(values.pop("monthly_budget_usd", None), "monthly_budget_usd", path)
    alert = _amount(
        values.pop("max_cost_per_approved_usd", None), "max_cost_per_approved_usd", path
    )
    return Settings(
        **{k: str(v) for k, v in values.items()},
        fallbacks=tuple(str(m).strip() for m in fallbacks if str(m).strip()),
        monthly_budget_usd=cap,
        max_cost_per_approved_usd=alert,
        muted=tuple(str(m) for m in muted) if isinstance(muted, (list, tuple)) else (),
        start_at_login=start_at_login,
        ask_over_inputs=ask_over,
    )


def _whole(value: object, name: str, path: Path) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise KnownError(
            f"cannot read the settings in {path}: {name} must be a whole number"
        ) from None
    if number < 1:
        raise KnownError(f"cannot read the settings in {path}: {name} must be at least 1")
    return number


def _amount(value: object, name: str, path: Path) -> float | None:
    try:
        return None if value in (None, "") else float(str(value))
    except (TypeError, ValueError):
        raise KnownError(f"cannot read the settings in {path}: {name} must be a number") from None


def save(data_dir: Path, settings: Settings) -> None:
    """Write atomically: a crash never leaves half a settings file."""
    if settings.api_base and not settings.api_base.startswith(("http://", "https://")):
        raise KnownError(
            f"the API base must start with http:// or https:// (it is '{settings.api_base}')"
        )
    if settings.monthly_budget_usd is not None and settings.monthly_budget_usd < 0:
        raise KnownError("the monthly budget cannot be negative")
    if settings.max_cost_per_approved_usd is not None and settings.max_cost_per_approved_usd < 0:
        raise KnownError("the cost alert cannot be negative")
    if len(settings.name) > 100 or any(ch < " " for ch in settings.name):
        raise KnownError("a name is one line of at most 100 characters")
    if settings.ask_over_inputs < 1:
        raise KnownError("the number of inputs a run may take without asking must be at least 1")
    if settings.quiet_hours:
        from desktop_app.services.notices import parse_quiet_hours

        parse_quiet_hours(settings.quiet_hours)  # raises KnownError with the reason
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILENAME
    tmp = path.with_name(FILENAME + ".tmp")
    tmp.write_text(json.dumps(settings._asdict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def needs_setup(data_dir: Path) -> bool:
    """First start: no model chosen here and no key for the bundled workflows' provider (OpenAI).

    Reads the keychain, which can be slow: call it off the UI thread.
    """
    try:
        chosen = load(data_dir)
    except KnownError:
        return False
    if chosen.model or chosen.api_base:
        return False
    from desktop_app.llm import keys

    try:
        return keys.get_key("openai") is None
    except KnownError:
        return True
