"""Judge an input before the model call and an answer after it, by the spec's rules.

Pure functions: the spec's output contract and failure modes in, a verdict out
(what to do, and why in words a non-programmer understands). The runner acts
on the verdict; nothing here calls a model or writes anything.

Precedence when several rules fire: ``retry`` first (once), then ``escalate``
over ``skip`` — a person should see anything a rule flagged for attention
rather than have it dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.core.checks import CheckResult, failed, matches, normalise_output, run_checks
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import FailureMode, Spec

OK, RETRY, ESCALATE, SKIP = "ok", "retry", "escalate", "skip"


@dataclass(frozen=True)
class Finding:
    """One thing wrong, what the spec says to do about it, and the rule that said so."""

    reason: str
    then: str
    rule: str | None = None  # the failure mode's name, when a declared one applied
    when: str = ""

    def as_dict(self) -> dict:
        return {"reason": self.reason, "then": self.then, "rule": self.rule, "when": self.when}


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    output: str = ""

    @property
    def action(self) -> str:
        thens = {f.then for f in self.findings}
        for then in (RETRY, ESCALATE, SKIP):
            if then in thens:
                return then
        return OK

    def reasons(self, then: str | None = None) -> list[str]:
        return [f.reason for f in self.findings if then is None or f.then == then]

    @property
    def reason(self) -> str | None:
        """The escalation reason shown in the inbox: every finding, one sentence each."""
        reasons = self.reasons()
        return " ".join(reasons) if reasons else None


def _with_rule(reason: str, mode: FailureMode | None) -> str:
    return f"{reason} (rule: {mode.name})" if mode else reason


def judge_input(spec: Spec, doc: InputDoc) -> Verdict:
    """Before any model call: ``input_invalid`` and ``input_matches``."""
    findings: list[Finding] = []
    problem = None
    length = len(doc.text)
    if doc.problem:
        problem = f"The input could not be read: {doc.problem}"
    elif not doc.text.strip():
        problem = "The input is empty."
    elif length > spec.input.max_chars:
        problem = f"The input is {length:,} characters long; the limit is {spec.input.max_chars:,}."
    if problem:
        modes = spec.modes("input_invalid")
        mode = modes[0] if modes else None
        then = mode.then if mode and mode.then in (ESCALATE, SKIP) else ESCALATE
        findings.append(
            Finding(_with_rule(problem, mode), then, mode.name if mode else None, "input_invalid")
        )
        return Verdict(tuple(findings))
    if doc.note:  # read with a caveat: answered, then shown to a person with it
        findings.append(Finding(doc.note, ESCALATE, None, "input_read"))
    for mode in spec.modes("input_matches"):
        if mode.pattern and matches(mode.pattern, doc.text):
            then = mode.then if mode.then in (ESCALATE, SKIP) else ESCALATE
            findings.append(
                Finding(
                    f"The input matches the rule '{mode.name}'.", then, mode.name, "input_matches"
                )
            )
    return Verdict(tuple(findings))


def judge_output(
    spec: Spec, raw_text: str, *, finish_reason: str | None = None, retried: bool = False
) -> Verdict:
    """After a model answer: the output contract, ``check_failed`` and ``output_matches``.

    ``retried`` is True for the answer to a retry: a rule that says ``retry``
    then escalates instead, since a retry happens once.
    """
    text = normalise_output(spec.output, raw_text)
    results = run_checks(spec.output, text, finish_reason=finish_reason)
    findings: list[Finding] = []
    for result in failed(results):
        mode = next(
            (m for m in spec.modes("check_failed") if not m.check or m.check == result.name), None
        )
        then = mode.then if mode else ESCALATE
        if then == RETRY and retried:
            then = ESCALATE
        findings.append(
            Finding(
                _with_rule(result.message, mode), then, mode.name if mode else None, "check_failed"
            )
        )
    for mode in spec.modes("output_matches"):
        if mode.pattern and matches(mode.pattern, text):
            then = ESCALATE if (mode.then == RETRY and retried) else mode.then
            findings.append(
                Finding(
                    f"The answer matches the rule '{mode.name}'.", then, mode.name, "output_matches"
                )
            )
    return Verdict(tuple(findings), tuple(results), text)


def model_error_then(spec: Spec) -> tuple[str, str | None]:
    """What to do when the model call failed after retries and fallbacks, and the rule's name."""
    modes = spec.modes("model_error")
    if not modes:
        return ESCALATE, None
    return modes[0].then, modes[0].name


def over_budget_then(spec: Spec) -> tuple[str, str | None]:
    """What to do with an input a budget cap stopped (default: escalate), and the rule's name."""
    modes = spec.modes("over_budget")
    if not modes:
        return ESCALATE, None
    then = SKIP if modes[0].then == SKIP else ESCALATE  # asking again cannot lower a cap
    return then, modes[0].name


def feedback_message(verdict: Verdict) -> str:
    """The user turn of a retry: tell the model exactly what was wrong with its answer."""
    problems = "\n".join(f"- {r}" for r in verdict.reasons(RETRY))
    return (
        "Your previous answer was not acceptable:\n"
        f"{problems}\n"
        "Answer again, following every instruction exactly. Reply with the corrected answer only."
    )
