"""The template narrator: deterministic rationales written from traces (the gold standard).

Wording varies between the grammar's variants, chosen by a random generator seeded with the
narrator's seed and the record id, so the same seed always gives the same text.
"""

from __future__ import annotations

import ast
import random
from typing import Any

from codecot.claims.model import Claim, ConditionClaim
from codecot.claims.render import render_variants
from codecot.claims.source import Source, source_of
from codecot.corpus import CorpusRecord
from codecot.narrate.base import NarrationError, Rationale
from codecot.narrate.template_backward import backward_claims
from codecot.narrate.template_forward import ForwardTemplate


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
                return ForwardTemplate(record.code, trace,
                                       max_iterations=self.max_iterations).claims_for_trace()
            if direction == "backward":
                return backward_claims(record.code, trace)
        except (ValueError, SyntaxError) as exc:
            raise NarrationError(f"record {record.id}: {exc}") from exc
        raise NarrationError(f"unknown direction {direction!r}")

    def narrate(self, record: CorpusRecord, trace: dict[str, Any], direction: str) -> Rationale:
        rng = random.Random(f"{self.seed}:{record.id}:{direction}")
        src = source_of(record.code)
        lines = [self._wording(c, src, rng) for c in self.claims(record, trace, direction)]
        return Rationale(id=record.id, direction=direction, narrator=self.name, text="\n".join(lines))

    def _wording(self, claim: Claim, src: Source, rng: random.Random) -> str:
        """One wording of ``claim``; a condition's wording matches its statement (loop or branch)."""
        variants = render_variants(claim)
        if isinstance(claim, ConditionClaim) and claim.line is not None:
            is_loop = isinstance(src.statement(claim.line), ast.While)
            fitting = [v for v in variants if ("loop" in v) == is_loop]
            variants = fitting or variants
        return variants[rng.randrange(len(variants))] if self.variety else variants[0]
