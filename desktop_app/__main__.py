"""``python -m desktop_app`` and the ``signoff`` entry point."""

from __future__ import annotations

import sys


def open_window(paths, argv) -> int:
    from desktop_app.app import run_app

    return run_app(paths, argv)


def main() -> None:
    from desktop_app.cli import main as cli_main

    sys.exit(cli_main(open_window=open_window))


if __name__ == "__main__":
    main()
