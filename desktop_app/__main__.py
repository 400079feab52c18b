"""``python -m desktop_app`` and the ``signoff`` entry point."""

from __future__ import annotations

import sys


def main() -> None:
    from desktop_app.cli import main as cli_main

    sys.exit(cli_main())


if __name__ == "__main__":
    main()
