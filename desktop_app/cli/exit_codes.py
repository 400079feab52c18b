"""The command line's exit statuses: 0 done, 1 a known problem (said in one line), 2 a
mistyped command (argparse's own), 70 a bug in Signoff; a signal's is 128 + its number."""

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 70
