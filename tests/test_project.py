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
