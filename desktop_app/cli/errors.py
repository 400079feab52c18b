"""What a command that failed says, and its exit status (qutebrowser's split): a known
problem — a spec, a model, a full disk, a read-only folder, a damaged database — is one
line on standard error and status 1 (a search that cannot mean anything: status 2, as a
mistyped command); a bug is one line, status 70, its traceback only
with ``--debug``."""

from __future__ import annotations

from desktop_app.cli.exit_codes import EXIT_BUG, EXIT_FAIL, EXIT_OK, EXIT_USAGE
from desktop_app.cli.output import err
from desktop_app.core.errors import KnownError, SpecError, UsageError


def exit_status(exc: Exception | KeyboardInterrupt, *, debug: bool) -> int:
    """Say what went wrong in one line; return the exit status for it."""
    if isinstance(exc, SpecError):
        problems = exc.problems
        more = f" (and {len(problems) - 1} more: run `signoff check`)" if len(problems) > 1 else ""
        err(f"signoff: error: {problems[0]}{more}")
        return EXIT_FAIL
    if isinstance(exc, UsageError):
        err(f"signoff: error: {exc}")
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        err("signoff: interrupted")
        return 130
    if isinstance(exc, BrokenPipeError):
        return EXIT_OK
    if not isinstance(exc, KnownError):
        from desktop_app.storage.health import explain

        known = explain(exc)  # a full disk, a read-only folder, a damaged file: one line
        if known is not None:
            err(f"signoff: error: {known}")
            return EXIT_FAIL
    if debug:
        import traceback

        traceback.print_exception(exc)
    if isinstance(exc, KnownError):
        err(f"signoff: error: {exc}")
        return EXIT_FAIL
    err(f"signoff: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
    return EXIT_BUG
