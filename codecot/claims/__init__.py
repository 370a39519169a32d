"""Claims: the narration language, parsed into typed claims.

``parse_step`` / ``parse_rationale`` turn narration text into :mod:`codecot.claims.model`
claims (``StepParseError`` for lines that are not steps); ``render_claim`` / ``render_expr``
write claims and expressions back as canonical text; ``literal_expr`` builds the canonical
expression of a Python value; ``extract_claims`` is the lenient reader for free-form
rationales.
"""

from codecot.claims.errors import StepParseError
from codecot.claims.lenient import LenientResult, extract_claims
from codecot.claims.literals import literal_expr
from codecot.claims.parse import parse_rationale, parse_step
from codecot.claims.render import render_claim, render_expr, render_variants, variant_count

__all__ = [
    "LenientResult", "StepParseError", "extract_claims", "literal_expr", "parse_rationale",
    "parse_step", "render_claim", "render_expr", "render_variants", "variant_count",
]
