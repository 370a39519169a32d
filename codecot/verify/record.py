"""Verdict records (DESIGN.md §3): a rationale record plus ``accepted`` and per-step verdicts.

Verification of one rationale is split so a stage can batch sandbox work: :func:`plan` parses
the text and lists the executions it needs (the record's own input for forward rationales; the
final input and the checks' inputs for backward ones), and :func:`verdict_record` decides every
step once those executions' traces are available.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codecot.claims.model import Claim, kind_of
from codecot.claims.parse import StepParseError, parse_rationale
from codecot.claims.source import argument_sources, input_arguments
from codecot.corpus import CorpusRecord
from codecot.verify.backward import BackwardChecker, check_sources, final_input_source
from codecot.verify.forward import ForwardChecker
from codecot.verify.policy import Policy, get_policy
from codecot.verify.verdicts import StepVerdict, Verdict

if TYPE_CHECKING:
    from codecot.symbolic.session import BackwardSession


@dataclass(frozen=True)
class Plan:
    """A parsed rationale and the argument-list sources it needs executed."""

    rationale: dict[str, Any]
    record: CorpusRecord
    steps: list[Claim | StepParseError]
    inputs: tuple[str | None, ...]  # forward: (record input,); backward: (final, *checks)


def plan(rationale: dict[str, Any], record: CorpusRecord) -> Plan:
    steps = parse_rationale(str(rationale.get("text", "")))
    claims = [s for s in steps if not isinstance(s, StepParseError)]
    if rationale.get("direction") == "backward":
        found = input_arguments(record.input)
        own = found[0] if found and not found[1] else None
        inputs: tuple[str | None, ...] = (final_input_source(claims, own), *check_sources(claims, own))
    else:
        inputs = (record.input,)
    return Plan(rationale, record, steps, inputs)


def _step_text(step: Claim | StepParseError) -> str:
    return step.text if isinstance(step, Claim) else getattr(step, "text", "")


def verdict_record(p: Plan, traces: list[dict[str, Any] | None], policy: Policy | None = None,
                   *, backward: Callable[[Plan], BackwardSession | None] | None = None,
                   ) -> dict[str, Any]:
    """Decide every step of ``p`` given the traces of ``p.inputs`` (same order).

    ``backward`` makes the symbolic session that decides a backward rationale's necessities
    (see :mod:`codecot.symbolic.session`); without it they are unknown.
    """
    policy = policy or get_policy("strict")
    record = p.record
    direction = p.rationale.get("direction")
    results: list[StepVerdict] = []
    checker: Any
    if direction == "backward":
        checker = None
        if record.output is not None:
            checker = BackwardChecker(record.entry_name, [], record.output,
                                      traces[0] if traces else None, list(traces[1:]),
                                      code=record.code, record_input=record.input,
                                      session=backward(p) if backward is not None else None)
    else:
        trace = traces[0] if traces else None
        checker = ForwardChecker(record.code, trace, argument_sources(
            record.code, record.input, record.entry_name)) if trace and trace.get("ok") else None
    for i, step in enumerate(p.steps):
        if isinstance(step, StepParseError):
            results.append(StepVerdict(i, _step_text(step), "unparsed", Verdict.UNPARSED, step.message))
            continue
        if checker is None:
            why = "the record has no output" if direction == "backward" else "the record's trace failed"
            results.append(StepVerdict(i, step.text, kind_of(step), Verdict.UNKNOWN, why))
            continue
        verdict, detail = checker.check(step)
        results.append(StepVerdict(i, step.text, kind_of(step), verdict, detail))
    accepted, reason = policy.accepts(results)
    out = dict(p.rationale)
    out["accepted"] = accepted
    out["steps"] = [s.to_json() for s in results]
    if not accepted:
        out["reason"] = reason
    out["policy"] = policy.name
    return out


def claim_lines(p: Plan) -> list[int]:
    """Lines that the rationale's claims refer to (the points a concolic run must record)."""
    return sorted({s.line for s in p.steps if isinstance(s, Claim) and s.line is not None})


def seed_input(p: Plan) -> str:
    """The input whose path a backward rationale is checked around: its final input, else the
    record's own input."""
    final = p.inputs[0] if p.inputs else None
    return final if final is not None else p.record.input


@dataclass
class VerifySummary:
    """Counts over verdict records: acceptance and verdicts per claim kind."""

    rationales: int = 0
    accepted: int = 0
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    errors: int = 0

    def add(self, rec: dict[str, Any]) -> None:
        self.rationales += 1
        self.accepted += bool(rec.get("accepted"))
        for step in rec.get("steps", []):
            self.by_kind.setdefault(step["kind"], Counter())[step["verdict"]] += 1

    def line(self) -> str:
        rate = 100.0 * self.accepted / self.rationales if self.rationales else 0.0
        return (f"verified {self.rationales} rationales: {self.accepted} accepted ({rate:.1f}%), "
                f"{self.rationales - self.accepted} rejected")

    def table(self) -> str:
        words = ["verified", "proved", "proved_on_path", "consistent", "refuted", "unknown", "unparsed"]
        used = [w for w in words if any(c.get(w) for c in self.by_kind.values())]
        rows = [f"{'kind':<12}" + "".join(f"{w:>15}" for w in used)]
        for kind in sorted(self.by_kind):
            rows.append(f"{kind:<12}" + "".join(f"{self.by_kind[kind].get(w, 0):>15}" for w in used))
        return "\n".join(rows)

    def to_json(self) -> dict[str, Any]:
        return {"rationales": self.rationales, "accepted": self.accepted,
                "by_kind": {k: dict(v) for k, v in self.by_kind.items()}}
