"""Acceptance policies: when a checked rationale is accepted.

``strict`` (the default, DESIGN.md §5): every step parses, no step is refuted or unknown, and
the rationale states a final answer (forward) or final input (backward) that was verified by
execution.  ``no-refuted``: unknown and unparsed steps are tolerated, refuted ones are not, and
the final answer must still be verified.  ``answer-only``: only the final answer or input is
required to be verified — the weak check public pipelines use, kept for comparison.
``free`` (the default for free-form rationales): the final answer or input verified by
execution, no statement refuted, and at least one other statement verified (unknown statements
and prose are tolerated: free text says much that cannot be placed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from codecot.verify.verdicts import StepVerdict, Verdict

FINAL_KINDS = frozenset({"answer", "input"})
GOOD = frozenset({Verdict.VERIFIED, Verdict.PROVED, Verdict.PROVED_ON_PATH, Verdict.CONSISTENT})


@dataclass(frozen=True)
class Policy:
    name: str
    allow_unknown: bool
    allow_unparsed: bool
    allow_refuted: bool
    #: verified steps needed besides the final answer or input
    min_checked: int = 0

    def accepts(self, steps: Sequence[StepVerdict]) -> tuple[bool, str]:
        """Whether the steps are accepted, and the reason when not."""
        finals = [s for s in steps if s.kind in FINAL_KINDS]
        if not finals:
            return False, "no final answer or input"
        if finals[-1].verdict not in GOOD:
            return False, f"final {finals[-1].kind} is {finals[-1].verdict.word}"
        for s in steps:
            if s.verdict is Verdict.REFUTED and not self.allow_refuted:
                return False, f"step {s.index} is refuted"
            if s.verdict is Verdict.UNKNOWN and not self.allow_unknown:
                return False, f"step {s.index} is unknown"
            if s.verdict is Verdict.UNPARSED and not self.allow_unparsed:
                return False, f"step {s.index} does not parse"
        checked = sum(1 for s in steps if s.verdict in GOOD and s.kind not in FINAL_KINDS)
        if checked < self.min_checked:
            return False, "no checkable statement besides the final one"
        return True, ""


POLICIES = {
    "strict": Policy("strict", allow_unknown=False, allow_unparsed=False, allow_refuted=False),
    "no-refuted": Policy("no-refuted", allow_unknown=True, allow_unparsed=True, allow_refuted=False),
    "answer-only": Policy("answer-only", allow_unknown=True, allow_unparsed=True, allow_refuted=True),
    "free": Policy("free", allow_unknown=True, allow_unparsed=True, allow_refuted=False,
                   min_checked=1),
}


def get_policy(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown acceptance policy {name!r}; choose one of {', '.join(POLICIES)}") from None
