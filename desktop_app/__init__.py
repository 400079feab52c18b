"""Signoff: a supervisor's desk for small, narrowly scoped AI workflows."""

__version__ = "0.1.0"
