"""Typed claims: what one narration step asserts.

A parsed step becomes exactly one frozen :class:`Claim` subclass.  Every claim carries its step
``index`` (0-based position among the rationale's steps), its ``span`` (character offsets of the
step in the rationale text), the step ``text``, an optional program ``line`` reference and loop
``iteration``, and a :class:`Modality`.  The ``kind`` class attribute names the claim kind in
verdict records (``steps[].kind``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

from codecot.claims.expr import Expr


class Modality(Enum):
    """How strongly a step asserts its content (DESIGN.md §4).

    ``FACT``: forward statement about the traced run.  ``NECESSARY``: holds for every input that
    yields the output.  ``CONDITIONAL``: necessary given the choices made in earlier steps.
    ``CHOICE``: a choice that must be satisfiable with the goal and honoured by the final input.
    """

    FACT = "fact"
    NECESSARY = "must"
    CONDITIONAL = "then-must"
    CHOICE = "let"


@dataclass(frozen=True, kw_only=True)
class Claim:
    """Fields shared by every claim."""

    kind: ClassVar[str] = "claim"
    direction: ClassVar[str] = "forward"

    index: int = 0
    span: tuple[int, int] = (0, 0)
    text: str = field(default="", compare=False)
    line: int | None = None
    iteration: int | None = None
    modality: Modality = Modality.FACT


# --- forward -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CallClaim(Claim):
    """``Call f with text = 'ab' and value = 'q'.``"""

    kind: ClassVar[str] = "call"
    func: str
    args: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, kw_only=True)
class StateClaim(Claim):
    """``Line 5 (iteration 2): total becomes 2 + 4 = 6.`` / ``Line 2: xs = list(s), so xs is [...]``.

    ``target`` is what is described (usually a variable name, possibly any expression such as
    ``len(xs)``); ``chain`` holds the written values left to right, each of which must equal the
    target's value after the line runs (an arithmetic chain is checked link by link).  ``code`` is
    the echoed statement text, if the step quoted one.
    """

    kind: ClassVar[str] = "state"
    target: Expr
    chain: tuple[Expr, ...]
    code: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConditionClaim(Claim):
    """``Line 4: n % 2 == 0 is True, so the branch is taken.``

    ``taken`` is ``None`` when the step states only the truth value.  For ``while`` loops the
    surface says "the loop continues" / "the loop stops", which map to taken True / False.
    """

    kind: ClassVar[str] = "condition"
    condition: Expr
    truth: bool
    taken: bool | None = None


@dataclass(frozen=True, kw_only=True)
class LoopIterClaim(Claim):
    """``Line 3: iteration 2 of the loop begins with n = 2.`` (``iteration`` is set)."""

    kind: ClassVar[str] = "loop_iter"
    bindings: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, kw_only=True)
class LoopSkipClaim(Claim):
    """``Line 3: iterations 4 to 49 run the same way.`` (a checkable summary of a long loop)."""

    kind: ClassVar[str] = "loop_skip"
    first: int
    last: int


@dataclass(frozen=True, kw_only=True)
class LoopEndClaim(Claim):
    """``Line 3: the loop ends after 3 iterations.`` / ``... breaks out of the loop in iteration 2.``

    ``how`` is ``"exhausted"`` (the loop ended after that many iterations, by exhaustion or by a
    break) or ``"break"`` (it broke out in that iteration).
    """

    kind: ClassVar[str] = "loop_end"
    iterations: int
    how: str = "exhausted"


@dataclass(frozen=True, kw_only=True)
class CallResultClaim(Claim):
    """``Line 5: g(3) returns 9.`` — a call of a helper function and its result."""

    kind: ClassVar[str] = "call_result"
    call: Expr
    value: Expr


@dataclass(frozen=True, kw_only=True)
class ReturnClaim(Claim):
    """``Line 4: the function returns ''.join(xs), which is 'abq'.`` (``expr`` may be ``None``)."""

    kind: ClassVar[str] = "return"
    expr: Expr | None
    value: Expr
    func: str | None = None


@dataclass(frozen=True, kw_only=True)
class RaiseClaim(Claim):
    """``Line 4 raises ZeroDivisionError.``"""

    kind: ClassVar[str] = "raise"
    exc_type: str


@dataclass(frozen=True, kw_only=True)
class CatchClaim(Claim):
    """``Line 6: the except clause catches ZeroDivisionError.``"""

    kind: ClassVar[str] = "catch"
    exc_type: str


@dataclass(frozen=True, kw_only=True)
class AnswerClaim(Claim):
    """``So f('ab', 'q') returns 'abq'.`` — the final answer of a forward rationale."""

    kind: ClassVar[str] = "answer"
    call: Expr
    value: Expr


# --- backward ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GoalClaim(Claim):
    """``We need f(text, value) to return 'abq'.``"""

    kind: ClassVar[str] = "goal"
    direction: ClassVar[str] = "backward"
    call: Expr
    value: Expr


@dataclass(frozen=True, kw_only=True)
class ConditionOnInputClaim(Claim):
    """A necessity (``must``), conditional necessity (``then ... must``) or choice (``let``).

    ``condition`` is a boolean expression over the function's parameters and program
    expressions, e.g. ``''.join(xs) == 'abq'`` for ``''.join(xs) must be 'abq'`` or
    ``value == 'q'`` for ``Let value be 'q'``.  The modality field says which of the three.
    """

    kind: ClassVar[str] = "requirement"
    direction: ClassVar[str] = "backward"
    condition: Expr


@dataclass(frozen=True, kw_only=True)
class CheckClaim(Claim):
    """``Check: f('ab', 'q') returns 'abq'.``"""

    kind: ClassVar[str] = "check"
    direction: ClassVar[str] = "backward"
    call: Expr
    value: Expr


@dataclass(frozen=True, kw_only=True)
class InputClaim(Claim):
    """``So the input is 'ab', 'q'.`` — the final input of a backward rationale."""

    kind: ClassVar[str] = "input"
    direction: ClassVar[str] = "backward"
    args: tuple[Expr, ...]


FORWARD_KINDS = tuple(
    c.kind for c in (CallClaim, StateClaim, ConditionClaim, LoopIterClaim, LoopSkipClaim,
                     LoopEndClaim, CallResultClaim, ReturnClaim, RaiseClaim, CatchClaim,
                     AnswerClaim)
)
BACKWARD_KINDS = (GoalClaim.kind, "must", "then-must", "let", CheckClaim.kind, InputClaim.kind)


def kind_of(claim: Claim) -> str:
    """Name of the claim kind as written in verdict records.

    Requirements are reported by modality (``must``, ``then-must``, ``let``) since that is what
    the error-mode analysis groups by.
    """
    if isinstance(claim, ConditionOnInputClaim):
        return claim.modality.value
    return claim.kind
