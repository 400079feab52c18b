"""The ``signoff`` parser: the options every command takes, then each group's commands
(each group's module adds its own)."""

from __future__ import annotations

import argparse

from desktop_app.cli import accounts, items, log, quality, runs, serve, setup, workflows


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="data folder (default: $SIGNOFF_HOME, else the platform's user data folder)",
    )
    common.add_argument(
        "--workflows",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="workflows folder (default: $SIGNOFF_WORKFLOWS, else DATA/workflows)",
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show a traceback on errors"
    )
    common.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="a team's PostgreSQL database, postgresql://USER@HOST[:PORT]/DATABASE (default:"
        " $SIGNOFF_DATABASE, else Settings, else this computer's file); its password: `signoff"
        " key set database`",
    )

    parser = argparse.ArgumentParser(
        prog="signoff",
        parents=[common],
        description="Run small AI workflows and approve, edit or reject every output. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="the version, the data folder, its schema, and the litellm and Qt versions",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for group in (workflows, runs, items, log, quality, setup, serve, accounts):
        group.add_parsers(sub, common)
    return parser
