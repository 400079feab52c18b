"""The frozen bundle against a plain install: size on disk, and the window's cold start.

    python packaging/build.py            # first: dist/signoff/
    python benchmarks/bench_bundle.py [--dist dist] [--rounds 10]

Size: ``dist/signoff/`` against a fresh virtual environment with ``pip install .`` (what
``pipx install .`` makes: Signoff and its dependencies, no test tools). Start: from
launching the process until the window is on the screen (mapped, as ``xdotool search
--onlyvisible`` sees it, asked every few milliseconds) on Xvfb, 100,000 items in the database, the frozen
launcher and the venv's ``signoff`` taken in turn; best of ``--rounds``.
Goals (issue 17): the bundle not larger than the venv; its start <= 1.2x the venv's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_gui import seed_items  # noqa: E402
from benchmarks.figures import record  # noqa: E402


def size_mb(path: Path) -> float:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6
    )


def plain_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    subprocess.run([str(where / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
    return where


def start_s(command: list[str], env: dict[str, str]) -> float:
    """Launch, wait until the window is mapped, stop the app."""
    launched = time.perf_counter()
    app = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = launched + 60
        while time.perf_counter() < deadline:  # (xdotool's own --sync looks every 0.5 s)
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "^Signoff$"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            if found.stdout.strip():
                return time.perf_counter() - launched
            time.sleep(0.002)
        raise RuntimeError(f"no window from {command[0]} within 60 s")
    finally:
        app.kill()
        app.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    bundle = args.dist / "signoff"
    if not (bundle / "signoff").exists():
        raise SystemExit(f"no bundle in {bundle}: run python packaging/build.py first")
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: apt-get install xvfb xdotool")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        venv = plain_venv(tmp_path / "venv")
        venv_mb, bundle_mb = size_mb(venv), size_mb(bundle)
        print(f"size on disk: bundle {bundle_mb:.0f} MB · venv (pip install .) {venv_mb:.0f} MB"
              f" · ratio {bundle_mb / venv_mb:.2f} (goal <= 1)")  # fmt: skip
        record("bundle size / venv size", bundle_mb / venv_mb, "x", 1.0,
               size=f"{bundle_mb:.0f} MB vs {venv_mb:.0f} MB")  # fmt: skip

        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert xvfb.stdout is not None
        display = ":" + xvfb.stdout.readline().strip()
        data = tmp_path / "data"
        seed_items(data / "signoff.db", args.items)
        env = {
            "PATH": os.environ.get("PATH", ""), "DISPLAY": display, "HOME": str(tmp_path),
            "SIGNOFF_HOME": str(data), "LANG": "C.UTF-8",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }  # fmt: skip
        commands = {"venv": [str(venv / "bin" / "signoff")], "bundle": [str(bundle / "signoff")]}
        try:
            for command in commands.values():  # first starts: compiled modules, caches
                start_s(command, env)
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.rounds):
                for name, command in commands.items():
                    times[name].append(start_s(command, env))
        finally:
            xvfb.terminate()
        best = {name: min(got) for name, got in times.items()}
        ratio = best["bundle"] / best["venv"]
        print(f"cold start to a mapped window ({args.items:,} items, best of {args.rounds}):"
              f" bundle {best['bundle']:.3f} s · venv {best['venv']:.3f} s · ratio {ratio:.2f}"
              " (goal <= 1.2)")  # fmt: skip
        record("bundle start / venv start", ratio, "x", 1.2,
               size=f"{best['bundle']:.3f} s vs {best['venv']:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
