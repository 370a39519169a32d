"""Parse-tree callbacks of the narration grammar: rules -> claim drafts.

:class:`Builder` has one callback per rule of ``grammars/narration.lark``: the expression rules
come from :class:`~codecot.claims.build_expr.ExprBuilder`, the step rules are here and return a
:class:`Draft` (claim class and fields) that :func:`codecot.claims.parse.parse_step` completes
with index, span and text.  The parsers of :mod:`codecot.claims.parse` run the callbacks while
parsing (no tree is built).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Token

from codecot.claims import errors
from codecot.claims.build_expr import (
    BOOLEAN_FUNCTIONS,
    ExprBuilder,
    SemanticError,
    SliceParts,
    Unsupported,
    exprs_of,
    ints_of,
    is_boolean_shaped,
)
from codecot.claims.expr import BinOp, Call, Compare, Const, Expr, MethodCall, Name, UnaryOp
from codecot.claims.model import (
    AnswerClaim,
    CallClaim,
    CallResultClaim,
    CatchClaim,
    CheckClaim,
    Claim,
    ConditionClaim,
    ConditionOnInputClaim,
    GoalClaim,
    InputClaim,
    LoopEndClaim,
    LoopIterClaim,
    LoopSkipClaim,
    Modality,
    RaiseClaim,
    ReturnClaim,
    StateClaim,
)

__all__ = [
    "BOOLEAN_FUNCTIONS", "Builder", "Draft", "SemanticError", "SliceParts", "Unsupported",
    "apply_relation", "is_boolean_shaped",
]


@dataclass
class Draft:
    """A claim before it has its place in the rationale."""

    cls: type[Claim]
    fields: dict[str, Any]
    modality: Modality = Modality.FACT
    line: int | None = None
    iteration: int | None = None
    code_end: int | None = None
    code_start: int = 0


@dataclass(frozen=True)
class _Relation:
    op: str
    operand: Expr | None = None


class Builder(ExprBuilder):
    """Callbacks for every rule of ``narration.lark``: the expression rules of
    :class:`~codecot.claims.build_expr.ExprBuilder` plus the step rules (see the module
    docstring)."""

    # ---- pieces of steps --------------------------------------------------------------------

    def chain(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def line_ref(self, c: list[Token]) -> tuple[int, int | None]:
        line = int(str(c[0]).split()[-1])
        ints = ints_of(c[1:])
        return line, (ints[0] if ints else None)

    def iteration_header(self, c: list[Token]) -> tuple[int | None, int | None]:
        return None, ints_of(c)[0]

    def exc(self, c: list[Any]) -> str:
        return "".join(str(t) for t in c)

    def taken(self, c: list[Any]) -> bool:
        return True

    def skipped(self, c: list[Any]) -> bool:
        return False

    def ret_value(self, c: list[Any]) -> tuple[Any, Any]:
        return None, c[0]

    def ret_which(self, c: list[Any]) -> tuple[Any, Any]:
        return c[0], c[1]

    def binding(self, c: list[Any]) -> tuple[str, Any]:
        return str(c[0]), c[1]

    def binding_list(self, c: list[Any]) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for item in c:
            if isinstance(item, list):
                out.extend(item)
            elif isinstance(item, tuple):
                out.append(item)
        return out

    bindings = binding_list

    def no_bindings(self, c: list[Any]) -> list[tuple[str, Any]]:
        return []

    def answer_body(self, c: list[Any]) -> tuple[Any, Any]:
        if len(c) == 2:
            return c[0], c[1]
        expr = c[0]
        if isinstance(expr, Compare) and expr.ops == ("==",):
            return expr.left, expr.comparators[0]
        raise SemanticError("an answer reads 'f(...) returns VALUE' or 'f(...) == VALUE'",
                            errors.BAD_ANSWER)

    def no_args(self, c: list[Any]) -> tuple[Any, ...]:
        return ()

    def args(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(exprs_of(c))

    # ---- relations (must / let / can) ------------------------------------------------------

    def rel_eq(self, c: list[Any]) -> _Relation:
        return _Relation("==", c[-1])

    def rel_ne(self, c: list[Any]) -> _Relation:
        return _Relation("!=", c[-1])

    def rel_gt(self, c: list[Any]) -> _Relation:
        return _Relation(">", c[-1])

    def rel_lt(self, c: list[Any]) -> _Relation:
        return _Relation("<", c[-1])

    def rel_ge(self, c: list[Any]) -> _Relation:
        return _Relation(">=", c[-1])

    def rel_le(self, c: list[Any]) -> _Relation:
        return _Relation("<=", c[-1])

    def rel_in(self, c: list[Any]) -> _Relation:
        return _Relation("in", c[-1])

    def rel_contains(self, c: list[Any]) -> _Relation:
        return _Relation("contains", c[-1])

    def rel_not_contains(self, c: list[Any]) -> _Relation:
        return _Relation("not contains", c[-1])

    def rel_satisfy(self, c: list[Any]) -> _Relation:
        return _Relation("satisfy", c[-1])

    def rel_length(self, c: list[Any]) -> _Relation:
        return _Relation("length", c[-1])

    def rel_startswith(self, c: list[Any]) -> _Relation:
        return _Relation("startswith", c[-1])

    def rel_endswith(self, c: list[Any]) -> _Relation:
        return _Relation("endswith", c[-1])

    def rel_divisible(self, c: list[Any]) -> _Relation:
        return _Relation("divisible", c[-1])

    def rel_even(self, c: list[Any]) -> _Relation:
        return _Relation("even")

    def rel_odd(self, c: list[Any]) -> _Relation:
        return _Relation("odd")

    def rel_empty(self, c: list[Any]) -> _Relation:
        return _Relation("empty")

    def rel_nonempty(self, c: list[Any]) -> _Relation:
        return _Relation("nonempty")

    def rel_positive(self, c: list[Any]) -> _Relation:
        return _Relation("positive")

    def rel_negative(self, c: list[Any]) -> _Relation:
        return _Relation("negative")

    def rel_not(self, c: list[Any]) -> _Relation:
        inner: _Relation = c[-1]
        return _Relation("not " + inner.op, inner.operand)

    def requirement(self, c: list[Any]) -> Expr:
        return apply_relation(c[0], c[1])

    # ---- steps ----------------------------------------------------------------------------

    def with_header(self, c: list[Any]) -> Draft:
        (line, iteration), colon, draft = c
        _set_position(draft, line, iteration)
        draft.code_start = colon.end_pos
        return draft

    def line_raises(self, c: list[Any]) -> Draft:
        return _at(c[0], Draft(RaiseClaim, {"exc_type": c[1]}))

    def line_returns(self, c: list[Any]) -> Draft:
        return _at(c[0], Draft(ReturnClaim, {"expr": None, "value": c[1]}))

    def line_returns_which(self, c: list[Any]) -> Draft:
        return _at(c[0], Draft(ReturnClaim, {"expr": c[1], "value": c[2]}))

    def line_returns_must(self, c: list[Any]) -> Draft:
        return _at(c[0], _requirement(c[2], Modality.NECESSARY))

    def after_line(self, c: list[Any]) -> Draft:
        return _at(c[0], c[1])

    def state(self, c: list[Any]) -> Draft:
        return Draft(StateClaim, {"target": c[0], "chain": c[1]})

    def state_or_condition(self, c: list[Any]) -> Draft:
        target, chain = c
        if (len(chain) == 1 and isinstance(chain[0], Const) and isinstance(chain[0].value, bool)
                and is_boolean_shaped(target)):
            return Draft(ConditionClaim, {"condition": target, "truth": chain[0].value})
        return Draft(StateClaim, {"target": target, "chain": chain})

    def condition(self, c: list[Any]) -> Draft:
        exprs = exprs_of(c)
        target, chain = exprs[0], exprs[1]
        taken = exprs[2] if len(exprs) > 2 else None
        if not (len(chain) == 1 and isinstance(chain[0], Const)
                and isinstance(chain[0].value, bool)):
            raise SemanticError("a branch outcome follows 'is True' or 'is False'",
                                errors.NOT_A_TRUTH_VALUE)
        return Draft(ConditionClaim, {"condition": target, "truth": chain[0].value,
                                      "taken": taken})

    condition_explicit = condition

    def echo_step(self, c: list[Any]) -> Draft:
        comma, draft = c
        if draft.cls is StateClaim:
            draft.code_end = comma.start_pos
        return draft

    def echo_expr(self, c: list[Any]) -> Token:
        tok: Token = c[-1]
        return tok

    echo_assign = echo_expr
    echo_augassign = echo_expr

    def clist(self, c: list[Any]) -> None:
        return None

    def assign_lhs(self, c: list[Any]) -> None:
        return None

    def loop_iter(self, c: list[Any]) -> Draft:
        (iteration,) = ints_of(c)
        bindings = next((x for x in c if isinstance(x, list)), [])
        draft = Draft(LoopIterClaim, {"bindings": tuple(bindings)})
        draft.iteration = iteration
        return draft

    def loop_skip(self, c: list[Any]) -> Draft:
        first, last = ints_of(c)
        return Draft(LoopSkipClaim, {"first": first, "last": last})

    def loop_end(self, c: list[Any]) -> Draft:
        return Draft(LoopEndClaim, {"iterations": ints_of(c)[0], "how": "exhausted"})

    def loop_break(self, c: list[Any]) -> Draft:
        return Draft(LoopEndClaim, {"iterations": ints_of(c)[0], "how": "break"})

    def subject_returns(self, c: list[Any]) -> Draft:
        subject, (expr, value) = c
        if isinstance(subject, Name):
            return Draft(ReturnClaim, {"expr": expr, "value": value, "func": subject.id})
        if isinstance(subject, Call | MethodCall) and expr is None:
            return Draft(CallResultClaim, {"call": subject, "value": value})
        raise SemanticError("'returns' follows a function name or a call such as g(3)",
                            errors.BAD_RETURNS)

    def function_returns(self, c: list[Any]) -> Draft:
        expr, value = c[0]
        return Draft(ReturnClaim, {"expr": expr, "value": value})

    def this_raises(self, c: list[Any]) -> Draft:
        return Draft(RaiseClaim, {"exc_type": c[0]})

    def catch(self, c: list[Any]) -> Draft:
        return Draft(CatchClaim, {"exc_type": c[0]})

    def call_args(self, c: list[Any]) -> list[tuple[str, Any]]:
        result: list[tuple[str, Any]] = c[0]
        return result

    def call_step(self, c: list[Any]) -> Draft:
        return Draft(CallClaim, {"func": str(c[0]), "args": tuple(c[1])})

    def answer(self, c: list[Any]) -> Draft:
        call, value = c[-1]
        return Draft(AnswerClaim, {"call": call, "value": value})

    def check(self, c: list[Any]) -> Draft:
        call, value = c[-1]
        return Draft(CheckClaim, {"call": call, "value": value})

    def goal(self, c: list[Any]) -> Draft:
        call, value = exprs_of(c)
        return Draft(GoalClaim, {"call": call, "value": value})

    def input_step(self, c: list[Any]) -> Draft:
        return Draft(InputClaim, {"args": c[-1]})

    def must(self, c: list[Any]) -> Draft:
        return _requirement(c[-1], Modality.NECESSARY)

    def then_must(self, c: list[Any]) -> Draft:
        return _requirement(c[-1], Modality.CONDITIONAL)

    def let(self, c: list[Any]) -> Draft:
        subject, relation = exprs_of(c)
        return _requirement(apply_relation(subject, relation), Modality.CHOICE)

    def let_satisfy(self, c: list[Any]) -> Draft:
        return _requirement(c[-1], Modality.CHOICE)

    def let_eq(self, c: list[Any]) -> Draft:
        subject, value = exprs_of(c)
        return _requirement(Compare(subject, ("==",), (value,)), Modality.CHOICE)


def apply_relation(subject: Expr, relation: _Relation) -> Expr:
    """The boolean condition ``subject <relation>`` (e.g. even -> ``subject % 2 == 0``)."""
    op, operand = relation.op, relation.operand
    negated = op.startswith("not ")
    if negated:
        op = op[4:]
        if op in ("==", "in"):
            return _compare(subject, "!=" if op == "==" else "not in", operand)
        if op == "contains":
            return _compare(_need(operand), "not in", subject)
        return UnaryOp("not", apply_relation(subject, _Relation(op, operand)))
    if op in ("==", "!=", "<", "<=", ">", ">=", "in"):
        return _compare(subject, op, operand)
    if op == "contains":
        return _compare(_need(operand), "in", subject)
    if op == "satisfy":
        return _need(operand)
    if op == "length":
        return _compare(Call("len", (subject,)), "==", operand)
    if op in ("startswith", "endswith"):
        return MethodCall(subject, op, (_need(operand),))
    if op in ("even", "odd"):
        return _compare(BinOp("%", subject, Const(2)), "==", Const(0 if op == "even" else 1))
    if op == "divisible":
        return _compare(BinOp("%", subject, _need(operand)), "==", Const(0))
    if op in ("empty", "nonempty"):
        return _compare(Call("len", (subject,)), "==" if op == "empty" else ">", Const(0))
    return _compare(subject, ">" if op == "positive" else "<", Const(0))


def _need(operand: Expr | None) -> Expr:
    assert operand is not None
    return operand


def _compare(left: Expr, op: str, right: Expr | None) -> Expr:
    return Compare(left, (op,), (_need(right),))


def _requirement(condition: Any, modality: Modality) -> Draft:
    return Draft(ConditionOnInputClaim, {"condition": condition}, modality=modality)


def _set_position(draft: Draft, line: int | None, iteration: int | None) -> None:
    draft.line = line
    if iteration is not None:
        if draft.iteration is not None and draft.iteration != iteration:
            raise SemanticError(f"the step names iteration {iteration} and iteration "
                                f"{draft.iteration}", errors.CONFLICTING_ITERATION)
        draft.iteration = iteration


def _at(line_ref: tuple[int, int | None], draft: Draft) -> Draft:
    _set_position(draft, *line_ref)
    return draft
