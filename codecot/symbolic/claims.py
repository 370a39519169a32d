"""Deciding backward claims on explored paths (the z3 side of backward checking).

Formulas over the parameters are compiled with the claim compiler over a run's symbolic
parameters, or over the symbolic locals of a point of the run (a claim anchored to a line).
:func:`check_on_run` asks whether ``PC ∧ out = y ∧ choices ∧ domain ∧ ¬C`` is satisfiable on
one run's path; a model is turned back into concrete inputs for re-execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3

from codecot.claims.expr import Expr
from codecot.solver import PythonError, SymValue, Unsupported, budget, compile_expr, holds
from codecot.solver.context import ctx
from codecot.symbolic.api import ConcolicRun, model_to_inputs
from codecot.symbolic.explore import output_equals

HOLDS, VIOLATED, UNKNOWN, IRRELEVANT = "holds", "violated", "unknown", "irrelevant"


@dataclass(frozen=True)
class PathCheck:
    """Outcome on one path: ``status`` and, when violated, a counterexample input."""

    status: str
    inputs: list[object] | None = None
    reason: str = ""


def env_at(run: ConcolicRun, line: int | None, iteration: int | None) -> dict[str, SymValue] | None:
    """The symbolic environment of a claim: the parameters, or the locals just before ``line``
    runs (the visit ``iteration``, else the last visit); None if the path never reaches it."""
    if line is None:
        return dict(run.params)
    visits = [p for p in run.points if p.line == line]
    if iteration is not None:
        visits = [p for p in visits if p.iteration == iteration]
    if not visits:
        return None
    return {**run.params, **visits[-1].locals}


def compile_choice(run: ConcolicRun, expr: Expr) -> Any:
    """The z3 formula of a choice over ``run``'s parameters (raises Unsupported)."""
    try:
        return holds(compile_expr(expr, run.params))
    except PythonError:
        return ctx().false


def satisfiable(formulas: Sequence[Any], timeout_ms: int = 1000) -> bool | None:
    s = z3.Solver(ctx=ctx().z3)
    s.add(*formulas)
    r = budget.check(s, timeout_ms)
    return True if r == z3.sat else False if r == z3.unsat else None


def check_on_run(run: ConcolicRun, condition: Expr, goal: SymValue, *, line: int | None = None,
                 iteration: int | None = None, assumptions: Sequence[Any] = (),
                 timeout_ms: int = 1000) -> PathCheck:
    """Does ``condition`` hold for every input on ``run``'s path that yields ``goal``?"""
    if not run.ok:
        return PathCheck(IRRELEVANT, reason="the path raises")
    env = env_at(run, line, iteration)
    if env is None:
        return PathCheck(IRRELEVANT, reason=f"the path does not reach line {line}")
    try:
        claim = holds(compile_expr(condition, env))
    except PythonError:
        claim = ctx().false
    except Unsupported as exc:
        return PathCheck(UNKNOWN, reason=f"unsupported: {exc}")
    s = z3.Solver(ctx=ctx().z3)
    s.add(*run.pc, output_equals(run, goal), *assumptions, z3.Not(claim))
    r = budget.check(s, timeout_ms)
    if r == z3.unsat:
        return PathCheck(HOLDS)
    if r == z3.sat:
        try:
            return PathCheck(VIOLATED, model_to_inputs(run, s.model()))
        except Exception as exc:
            return PathCheck(UNKNOWN, reason=f"counterexample not decodable: {exc}")
    return PathCheck(UNKNOWN, reason=f"solver: {budget.unknown_reason(s)}")
