"""Temporary: the former name of ``services/run_start``, while the window moves to it."""

from desktop_app.services.run_start import options, projected_cost, resume_all, run_workflow

__all__ = ["options", "projected_cost", "resume_all", "run_workflow"]
