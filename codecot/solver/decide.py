"""Deciding formulas: the forward fast path and solver calls for backward checking.

A formula is a ``bool`` :class:`SymValue` (its guards are part of it: a formula whose evaluation
raises is false), a Z3 ``Bool`` term of this thread's context, or a Python bool.

* :func:`decide` -- is the formula true?  Bindings (fresh value, concrete value) are substituted
  first; a formula that ``simplify`` reduces to a literal is decided without a solver call,
  otherwise a solver with a CPU-time budget (:mod:`codecot.solver.budget`) looks for a
  counterexample.
* :func:`check_sat` -- are the formulas satisfiable together (model if so)?
* :func:`prove` -- do the assumptions imply the formula (counterexample if not)?
* :func:`decide_expr` -- compile an expression over an environment and decide it, mapping
  :class:`PythonError` to FALSE and :class:`Unsupported` to UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeAlias

import z3

from codecot.claims.expr import Expr
from codecot.solver import budget
from codecot.solver.compile import compile_expr
from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.semantics import to_term, truth
from codecot.solver.values import MISSING, SymValue, binding_terms, decode_model, literal_bool

DEFAULT_TIMEOUT_MS = 200


class Truth(IntEnum):
    """Ordered outcome: FALSE < UNKNOWN < TRUE (so ``min`` over steps is the weakest)."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


@dataclass(frozen=True)
class Decision:
    """A truth value, a model (witness or counterexample) when one exists, and a reason.

    ``model`` maps the names in ``symbols`` to Python values; ``raised`` names the exception
    the expression raises when that is why it is false.
    """

    truth: Truth
    model: dict[str, Any] | None = None
    reason: str = ""
    raised: str | None = None

    def __bool__(self) -> bool:
        return self.truth is Truth.TRUE


#: A bool SymValue, a Z3 Bool term or a Python bool (z3 is untyped, hence Any).
Formula: TypeAlias = Any
Binding = tuple[SymValue, SymValue]


def holds(formula: Formula) -> Any:
    """The Z3 term saying ``formula`` evaluates without raising and is truthy."""
    if isinstance(formula, bool):
        return to_term(formula)
    if not isinstance(formula, SymValue):
        return formula
    body = truth(formula)
    conds = _open_guards(formula)
    if not conds:
        return to_term(body)
    return z3.And(*conds, to_term(body))


def _open_guards(formula: SymValue) -> list[Any]:
    return [g.cond for g in formula.guards if not z3.is_true(g.cond)]


def _substitute(term: Any, bindings: Iterable[Binding]) -> Any:
    pairs = [p for fresh_value, value in bindings for p in binding_terms(fresh_value, value)]
    return z3.substitute(term, *pairs) if pairs else term


def _failed_guard(formula: Formula, bindings: Iterable[Binding]) -> str | None:
    if not isinstance(formula, SymValue):
        return None
    for g in formula.guards:
        if literal_bool(_substitute(g.cond, bindings)) is False:
            return g.exc
    return None


def _model(model: Any, symbols: Mapping[str, SymValue] | None) -> dict[str, Any]:
    if not symbols:
        return {}
    out = {}
    for name, v in symbols.items():
        try:
            out[name] = decode_model(model, v)
        except Unsupported:
            out[name] = None
    return out


def decide(formula: Formula, bindings: Iterable[Binding] = (), *,
           timeout_ms: int = DEFAULT_TIMEOUT_MS,
           symbols: Mapping[str, SymValue] | None = None) -> Decision:
    """Is ``formula`` true (for every value of its remaining free constants)?"""
    bindings = list(bindings)
    if isinstance(formula, SymValue) and formula.py is not MISSING and not _open_guards(formula):
        return Decision(Truth.TRUE if formula.py else Truth.FALSE)
    term = _substitute(holds(formula), bindings) if bindings else holds(formula)
    known = literal_bool(term)
    if known is True:
        return Decision(Truth.TRUE)
    if known is False:
        raised = _failed_guard(formula, bindings)
        return Decision(Truth.FALSE, reason=f"raises {raised}" if raised else "", raised=raised)
    s = z3.Solver(ctx=ctx().z3)
    s.add(z3.Not(term))
    result = budget.check(s, timeout_ms)
    if result == z3.unsat:
        return Decision(Truth.TRUE)
    if result == z3.sat:
        return Decision(Truth.FALSE, model=_model(s.model(), symbols), reason="counterexample")
    return Decision(Truth.UNKNOWN, reason=f"solver: {budget.unknown_reason(s)}")


def check_sat(formulas: Iterable[Formula], *, timeout_ms: int = DEFAULT_TIMEOUT_MS,
              symbols: Mapping[str, SymValue] | None = None) -> Decision:
    """TRUE (with a model) if the formulas can hold together, FALSE if not, else UNKNOWN."""
    s = z3.Solver(ctx=ctx().z3)
    for f in formulas:
        s.add(holds(f))
    result = budget.check(s, timeout_ms)
    if result == z3.sat:
        return Decision(Truth.TRUE, model=_model(s.model(), symbols))
    if result == z3.unsat:
        return Decision(Truth.FALSE, reason="unsatisfiable")
    return Decision(Truth.UNKNOWN, reason=f"solver: {budget.unknown_reason(s)}")


def prove(formula: Formula, assumptions: Iterable[Formula] = (), *,
          timeout_ms: int = DEFAULT_TIMEOUT_MS,
          symbols: Mapping[str, SymValue] | None = None) -> Decision:
    """TRUE if the assumptions imply ``formula``; FALSE with a counterexample model if not."""
    s = z3.Solver(ctx=ctx().z3)
    for a in assumptions:
        s.add(holds(a))
    s.add(z3.Not(holds(formula)))
    result = budget.check(s, timeout_ms)
    if result == z3.unsat:
        return Decision(Truth.TRUE)
    if result == z3.sat:
        return Decision(Truth.FALSE, model=_model(s.model(), symbols), reason="counterexample")
    return Decision(Truth.UNKNOWN, reason=f"solver: {budget.unknown_reason(s)}")


def decide_expr(expr: Expr, env: Mapping[str, SymValue], bindings: Iterable[Binding] = (), *,
                timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Decision:
    """Compile ``expr`` over ``env`` and decide it (raising -> FALSE, unsupported -> UNKNOWN)."""
    try:
        formula = compile_expr(expr, env)
    except PythonError as exc:
        return Decision(Truth.FALSE, reason=f"raises {exc.exc_type}", raised=exc.exc_type)
    except Unsupported as exc:
        return Decision(Truth.UNKNOWN, reason=f"unsupported: {exc}")
    try:
        return decide(formula, bindings, timeout_ms=timeout_ms)
    except PythonError as exc:
        return Decision(Truth.FALSE, reason=f"raises {exc.exc_type}", raised=exc.exc_type)
    except Unsupported as exc:
        return Decision(Truth.UNKNOWN, reason=f"unsupported: {exc}")
