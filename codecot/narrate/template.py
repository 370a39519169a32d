"""The template narrator: deterministic rationales written from traces (the gold standard).

Wording varies between the grammar's variants, chosen by a random generator seeded with the
narrator's seed and the record id, so the same seed always gives the same text.

Every forward claim is checked before it is written (:class:`codecot.verify.forward.
ForwardChecker`, the verifier's own checker, advancing with the rationale): a claim the checker
cannot decide (``unknown``: an expression the claim compiler does not support, a value it cannot
encode) is replaced by a decidable form of it (the value alone, without the echoed statement,
the arithmetic or the returned expression; a loop step without the bindings it cannot decide)
or left out.  A refuted claim is kept: it would be a bug, and the verifier must say so.  Every
written step is also parsed back, and a wording that does not read as its claim is not used.
Backward claims are checked the same way by the backward narrator (see
:func:`codecot.narrate.template_backward.backward_claims`).
"""

from __future__ import annotations

import ast
import dataclasses
import random
from collections.abc import Iterator
from typing import Any

from codecot.claims import model as M
from codecot.claims.model import Claim, ConditionClaim
from codecot.claims.parse import StepParseError, parse_step
from codecot.claims.render import render_variants
from codecot.claims.source import Source, argument_sources, source_of
from codecot.corpus import CorpusRecord
from codecot.narrate.base import NarrationError, Rationale
from codecot.narrate.template_backward import backward_claims
from codecot.narrate.template_forward import ForwardTemplate
from codecot.verify.forward import ForwardChecker
from codecot.verify.verdicts import Verdict


class TemplateNarrator:
    """Forward and backward rationales written from the trace."""

    name = "template"

    def __init__(self, seed: int = 0, max_iterations: int = 5, variety: bool = True) -> None:
        self.seed = seed
        self.max_iterations = max_iterations
        self.variety = variety

    def claims(self, record: CorpusRecord, trace: dict[str, Any], direction: str) -> list[Claim]:
        if not trace.get("ok"):
            raise NarrationError(f"record {record.id}: trace failed ({trace.get('error')})")
        try:
            if direction == "forward":
                sources = argument_sources(record.code, record.input, record.entry_name)
                claims = ForwardTemplate(record.code, trace, max_iterations=self.max_iterations,
                                         arg_sources=sources).claims_for_trace()
                return decidable_forward(record.code, trace, claims, sources)
            if direction == "backward":
                return backward_claims(record.code, trace, arg_sources=argument_sources(
                    record.code, record.input, record.entry_name))
        except (ValueError, SyntaxError) as exc:
            raise NarrationError(f"record {record.id}: {exc}") from exc
        raise NarrationError(f"unknown direction {direction!r}")

    def narrate(self, record: CorpusRecord, trace: dict[str, Any], direction: str) -> Rationale:
        rng = random.Random(f"{self.seed}:{record.id}:{direction}")
        src = source_of(record.code)
        lines = [self._written(c, src, rng) for c in self.claims(record, trace, direction)]
        return Rationale(id=record.id, direction=direction, narrator=self.name, text="\n".join(lines))

    def _written(self, claim: Claim, src: Source, rng: random.Random) -> str:
        """A wording of ``claim``, else of its first weaker form, that parses back to itself."""
        for candidate in fallbacks(claim):
            text = self._wording(candidate, src, rng)
            if text is not None:
                return text
        raise NarrationError(f"no wording of a {claim.kind} step reads back as itself: "
                             f"{render_variants(claim)[0]!r}")

    def _wording(self, claim: Claim, src: Source, rng: random.Random) -> str | None:
        """One wording of ``claim`` that parses back to it, or None; a condition's wording
        matches its statement (loop or branch)."""
        variants = render_variants(claim)
        if isinstance(claim, ConditionClaim) and claim.line is not None:
            is_loop = isinstance(src.statement(claim.line), ast.While)
            fitting = [v for v in variants if ("loop" in v) == is_loop]
            variants = fitting or variants
        first = rng.randrange(len(variants)) if self.variety else 0
        for k in range(len(variants)):
            text = variants[(first + k) % len(variants)]
            if _reads_as(text, claim):
                return text
        return None


def _reads_as(text: str, claim: Claim) -> bool:
    """Whether ``text`` parses as ``claim``: the same kind of claim, written the same way in the
    canonical wording (so ``-1`` and ``-(1)``, or a name echoed in parentheses, count as one)."""
    try:
        parsed = parse_step(text)
    except StepParseError:
        return False
    return type(parsed) is type(claim) and render_variants(parsed)[0] == render_variants(claim)[0]


def fallbacks(claim: Claim) -> Iterator[Claim]:
    """``claim``, then weaker forms of it that a checker is more likely to decide."""
    yield claim
    if isinstance(claim, M.StateClaim):
        if claim.code is not None:
            yield dataclasses.replace(claim, code=None)
        if len(claim.chain) > 1:
            yield dataclasses.replace(claim, code=None, chain=claim.chain[-1:])
    elif isinstance(claim, M.ReturnClaim) and claim.expr is not None:
        yield dataclasses.replace(claim, expr=None)
    elif isinstance(claim, M.LoopIterClaim) and claim.bindings:
        for k in range(len(claim.bindings) - 1, -1, -1):
            yield dataclasses.replace(claim, bindings=claim.bindings[:k])


#: Claims a rationale cannot leave out (its start and its answer), even when undecidable.
_REQUIRED = (M.CallClaim, M.AnswerClaim)


def decidable_forward(code: str, trace: dict[str, Any], claims: list[Claim],
                      arg_sources: dict[str, str] | None = None) -> list[Claim]:
    """``claims`` with each undecidable one replaced by its first decidable fallback, or left
    out (see the module doc); the checker advances over the kept claims as the verifier will."""
    checker = ForwardChecker(code, trace, arg_sources)
    out: list[Claim] = []
    for claim in claims:
        for candidate in fallbacks(claim):
            cursor = checker.cursor
            verdict, _ = checker.check(candidate)
            if verdict is not Verdict.UNKNOWN:
                out.append(candidate)
                break
            checker.cursor = cursor
        else:
            if isinstance(claim, _REQUIRED):
                out.append(claim)
    return out
