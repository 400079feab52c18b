"""Project rules that must hold without anyone remembering them: layers, lint and types."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def test_engine_layers_import_no_qt():
    """import-linter contracts from pyproject.toml: no PySide6 below the GUI, layers point down."""
    proc = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 3 kept, 0 broken" in proc.stdout


def test_ruff_clean():
    proc = subprocess.run(
        [_tool("ruff"), "check", "desktop_app", "tests", "benchmarks", "docs"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow  # ~30 s: a fresh cache every time, so nothing is written into the project
def test_mypy_clean(tmp_path: Path):
    """mypy as configured in pyproject.toml: the engine layers and the cli, every def typed."""
    proc = subprocess.run(
        [_tool("mypy"), "--cache-dir", str(tmp_path / "mypy_cache")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 100


def _oversized(root: Path) -> list[str]:
    """Modules over MAX_MODULE_LINES and functions over MAX_FUNCTION_LINES under ``root``."""
    import ast

    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(REPO_ROOT)
        if text.count("\n") > MAX_MODULE_LINES:
            found.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_module_or_function_is_too_long_to_read():
    """A newcomer reads a module in one sitting and a function on one screen or two."""
    assert _oversized(REPO_ROOT / "desktop_app") == []


def test_the_size_rule_finds_what_it_is_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The check above can fail: a long function and a long module are both named."""
    monkeypatch.setattr(sys.modules[__name__], "REPO_ROOT", tmp_path)
    body = "\n".join(f"    x = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n" + "\n" * MAX_MODULE_LINES)
    found = _oversized(tmp_path)
    assert any("long.py:1 long: 101 lines" in f for f in found), found
    assert any(f.startswith("long.py: ") for f in found), found
