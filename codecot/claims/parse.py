"""Narration text -> typed claims.

:func:`parse_step` parses one step with the LALR parser of ``grammars/narration.lark``; the
:class:`Builder` transformer runs inside the parser (no tree is built).  Expression rules
return :mod:`codecot.claims.expr` nodes; step rules return a :class:`Draft` (claim class and
fields) that :func:`parse_step` completes with index, span and text.  Constructs the grammar
accepts only so that echoed statements parse (comprehensions, lambdas, keyword arguments,
``@``, f-strings) become :class:`Unsupported`; a claim that would hold one is rejected.

:func:`parse_rationale` splits a rationale into steps (one per non-blank line), strips
optional numbering (``1.``, ``1)``, ``Step 1:``, ``- ``, ``* ``) and parses each step.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from codecot.claims import errors
from codecot.claims.errors import StepParseError
from codecot.claims.expr import (
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    DictExpr,
    Expr,
    IfExp,
    Index,
    ListExpr,
    MethodCall,
    Name,
    SetExpr,
    Slice,
    TupleExpr,
    UnaryOp,
)
from codecot.claims.grammar import FastParseFailed, FastParser, build_parser
from codecot.claims.literals import (
    LiteralError,
    decode_float,
    decode_imag,
    decode_int,
    decode_string,
    float_word,
)
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

#: Calls whose result is a truth value; with them ``X is True`` reads as a branch condition.
BOOLEAN_FUNCTIONS = frozenset({"any", "all", "bool", "isinstance", "callable", "hasattr"})


@dataclass(frozen=True)
class Unsupported:
    """A construct the expression model cannot hold; ``reason`` names it."""

    reason: str


class SemanticError(Exception):
    """A step that parses but means nothing valid; ``pos`` is an offset in the step text."""

    def __init__(self, message: str, label: str, pos: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.label = label
        self.pos = pos


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
class _SliceParts:
    lower: Expr | None
    upper: Expr | None
    step: Expr | None


@dataclass(frozen=True)
class _Relation:
    op: str
    operand: Expr | None = None


def is_boolean_shaped(expr: Expr) -> bool:
    """Whether ``expr`` reads as a condition: a comparison, ``and``/``or``, ``not``, a call of a
    truth-valued builtin, or a method named ``is...``/``startswith``/``endswith``."""
    if isinstance(expr, Compare | BoolOp):
        return True
    if isinstance(expr, UnaryOp):
        return expr.op == "not"
    if isinstance(expr, Call):
        return expr.func in BOOLEAN_FUNCTIONS
    if isinstance(expr, MethodCall):
        return expr.method.startswith("is") or expr.method in ("startswith", "endswith")
    return False


def _first_unsupported(items: Any) -> Unsupported | None:
    for item in items:
        if isinstance(item, Unsupported):
            return item
    return None


def _exprs(children: list[Any]) -> list[Any]:
    return [c for c in children if not isinstance(c, str)]


def _ints(children: list[Any]) -> list[int]:
    # callers pass children whose only strings are INT tokens
    return [decode_int(c) for c in children if isinstance(c, str)]


_UNSUPPORTED_OPS = {"@": "matrix multiplication"}


class Builder(Transformer[Token, Any]):
    """Callbacks for every rule of ``narration.lark`` (see the module docstring).

    Terminals reach the callbacks as :class:`~lark.Token` objects from Lark's parser but as
    plain strings from :class:`~codecot.claims.grammar.FastParser`, except for those in
    :attr:`POSITIONED`, whose offsets the callbacks read.
    """

    POSITIONED = frozenset({"STRING", "COMMA", "COLON"})

    # ---- expressions ----------------------------------------------------------------------

    def name(self, c: list[Token]) -> Expr:
        word = str(c[0])
        if word in ("inf", "nan"):
            value = float_word(word)
            assert value is not None
            return Const(value)
        return Name(word)

    def int_lit(self, c: list[Token]) -> Expr:
        return Const(decode_int(c[0]))

    def float_lit(self, c: list[Token]) -> Expr:
        return Const(decode_float(c[0]))

    def imag_lit(self, c: list[Token]) -> Expr:
        return Const(decode_imag(c[0]))

    def string_lit(self, c: list[Token]) -> Expr | Unsupported:
        parts: list[str | bytes] = []
        for tok in c:
            if tok.lstrip("rRbBuU")[:1] not in "'\"":
                return Unsupported("f-string")
            try:
                parts.append(decode_string(tok))
            except LiteralError as err:
                raise SemanticError(f"invalid string literal: {err}", errors.BAD_LITERAL,
                                    (tok.start_pos or 0) + err.offset) from None
        if all(isinstance(p, str) for p in parts):
            return Const("".join(p for p in parts if isinstance(p, str)))
        if all(isinstance(p, bytes) for p in parts):
            return Const(b"".join(p for p in parts if isinstance(p, bytes)))
        raise SemanticError("cannot mix bytes and str literals", errors.BAD_LITERAL,
                            c[0].start_pos or 0)

    def true_lit(self, c: list[Token]) -> Expr:
        return Const(True)

    def false_lit(self, c: list[Token]) -> Expr:
        return Const(False)

    def none_lit(self, c: list[Token]) -> Expr:
        return Const(None)

    def empty_tuple(self, c: list[Any]) -> Expr:
        return TupleExpr(())

    def tuple_lit(self, c: list[Any]) -> Expr | Unsupported:
        items = _exprs(c)
        return _first_unsupported(items) or TupleExpr(tuple(items))

    def tuple_index(self, c: list[Any]) -> Expr | Unsupported:
        return self.tuple_lit(c)

    def list_lit(self, c: list[Any]) -> Expr | Unsupported:
        items = _exprs(c)
        return _first_unsupported(items) or ListExpr(tuple(items))

    def set_lit(self, c: list[Any]) -> Expr | Unsupported:
        items = _exprs(c)
        return _first_unsupported(items) or SetExpr(tuple(items))

    def dict_item(self, c: list[Any]) -> tuple[Any, Any]:
        return (c[0], c[1])

    def dict_lit(self, c: list[Any]) -> Expr | Unsupported:
        pairs = _exprs(c)
        keys = tuple(k for k, _ in pairs)
        values = tuple(v for _, v in pairs)
        return _first_unsupported(keys + values) or DictExpr(keys, values)

    def listcomp(self, c: list[Any]) -> Unsupported:
        return Unsupported("list comprehension")

    def setcomp(self, c: list[Any]) -> Unsupported:
        return Unsupported("set comprehension")

    def dictcomp(self, c: list[Any]) -> Unsupported:
        return Unsupported("dict comprehension")

    def genexp(self, c: list[Any]) -> Unsupported:
        return Unsupported("generator expression")

    def lambdef(self, c: list[Any]) -> Unsupported:
        return Unsupported("lambda")

    def kwarg(self, c: list[Any]) -> Unsupported:
        return Unsupported(f"keyword argument {c[0]}=")

    def star_arg(self, c: list[Any]) -> Unsupported:
        return Unsupported("starred argument")

    def comp_for(self, c: list[Any]) -> None:
        return None

    def comp_if(self, c: list[Any]) -> None:
        return None

    def comp_target(self, c: list[Any]) -> None:
        return None

    def lambda_params(self, c: list[Any]) -> None:
        return None

    def arglist(self, c: list[Any]) -> list[Any]:
        return _exprs(c)

    def call_expr(self, c: list[Any]) -> Expr | Unsupported:
        func, args_list = c[0], c[1]
        args = tuple(args_list or ())
        bad = _first_unsupported((func, *args))
        if bad is not None:
            return bad
        if isinstance(func, Name):
            return _fold_call(func.id, args)
        if isinstance(func, Attribute):
            return MethodCall(func.value, func.attr, args)
        return Unsupported("call of a computed function")

    def attribute(self, c: list[Any]) -> Expr | Unsupported:
        value = c[0]
        if isinstance(value, Unsupported):
            return value
        return Attribute(value, str(c[1])[1:])

    def getitem(self, c: list[Any]) -> Expr | Unsupported:
        value, index = c[0], c[1]
        if isinstance(index, _SliceParts):
            bad = _first_unsupported((value, index.lower, index.upper, index.step))
            return bad or Slice(value, index.lower, index.upper, index.step)
        return _first_unsupported((value, index)) or Index(value, index)

    def slice_parts(self, c: list[Any]) -> _SliceParts | Unsupported:
        parts = [*c, None, None, None][:3]
        return _first_unsupported(parts) or _SliceParts(parts[0], parts[1], parts[2])

    def binop(self, c: list[Any]) -> Expr | Unsupported:
        left, op, right = c
        bad = _first_unsupported((left, right))
        if bad is not None:
            return bad
        if op in _UNSUPPORTED_OPS:
            return Unsupported(_UNSUPPORTED_OPS[op])
        return BinOp(str(op), left, right)

    def unary(self, c: list[Any]) -> Expr | Unsupported:
        op, operand = str(c[0]), c[1]
        if isinstance(operand, Unsupported):
            return operand
        if (op == "-" and isinstance(operand, Const) and not isinstance(operand.value, bool)
                and isinstance(operand.value, int | float | complex)):
            return Const(-operand.value)
        return UnaryOp(op, operand)

    def not_op(self, c: list[Any]) -> Expr | Unsupported:
        operand = c[-1]
        return operand if isinstance(operand, Unsupported) else UnaryOp("not", operand)

    def and_op(self, c: list[Any]) -> Expr | Unsupported:
        items = _exprs(c)
        return _first_unsupported(items) or BoolOp("and", tuple(items))

    def or_op(self, c: list[Any]) -> Expr | Unsupported:
        items = _exprs(c)
        return _first_unsupported(items) or BoolOp("or", tuple(items))

    def ifexp(self, c: list[Any]) -> Expr | Unsupported:
        body, test, orelse = _exprs(c)
        return _first_unsupported((body, test, orelse)) or IfExp(test, body, orelse)

    def comp_op(self, c: list[Token]) -> str:
        return " ".join(str(t).lower() for t in c)

    tcomp_op = comp_op

    def compare(self, c: list[Any]) -> Expr | Unsupported:
        bad = _first_unsupported(c)
        if bad is not None:
            return bad
        return Compare(c[0], tuple(c[1::2]), tuple(c[2::2]))

    # ---- pieces of steps --------------------------------------------------------------------

    def chain(self, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def line_ref(self, c: list[Token]) -> tuple[int, int | None]:
        line = int(str(c[0]).split()[-1])
        ints = _ints(c[1:])
        return line, (ints[0] if ints else None)

    def iteration_header(self, c: list[Token]) -> tuple[int | None, int | None]:
        return None, _ints(c)[0]

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
        return tuple(_exprs(c))

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
        exprs = _exprs(c)
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
        (iteration,) = _ints(c)
        bindings = next((x for x in c if isinstance(x, list)), [])
        draft = Draft(LoopIterClaim, {"bindings": tuple(bindings)})
        draft.iteration = iteration
        return draft

    def loop_skip(self, c: list[Any]) -> Draft:
        first, last = _ints(c)
        return Draft(LoopSkipClaim, {"first": first, "last": last})

    def loop_end(self, c: list[Any]) -> Draft:
        return Draft(LoopEndClaim, {"iterations": _ints(c)[0], "how": "exhausted"})

    def loop_break(self, c: list[Any]) -> Draft:
        return Draft(LoopEndClaim, {"iterations": _ints(c)[0], "how": "break"})

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
        call, value = _exprs(c)
        return Draft(GoalClaim, {"call": call, "value": value})

    def input_step(self, c: list[Any]) -> Draft:
        return Draft(InputClaim, {"args": c[-1]})

    def must(self, c: list[Any]) -> Draft:
        return _requirement(c[-1], Modality.NECESSARY)

    def then_must(self, c: list[Any]) -> Draft:
        return _requirement(c[-1], Modality.CONDITIONAL)

    def let(self, c: list[Any]) -> Draft:
        subject, relation = _exprs(c)
        return _requirement(apply_relation(subject, relation), Modality.CHOICE)

    def let_satisfy(self, c: list[Any]) -> Draft:
        return _requirement(c[-1], Modality.CHOICE)

    def let_eq(self, c: list[Any]) -> Draft:
        subject, value = _exprs(c)
        return _requirement(Compare(subject, ("==",), (value,)), Modality.CHOICE)


def _fold_call(func: str, args: tuple[Expr, ...]) -> Expr:
    """``float('inf')`` and ``frozenset({...})`` of constants become constants."""
    if func == "float" and len(args) == 1 and isinstance(args[0], Const) and isinstance(
            args[0].value, str):
        value = float_word(args[0].value)
        if value is not None:
            return Const(value)
    if func == "frozenset":
        if not args:
            return Const(frozenset())
        if len(args) == 1 and isinstance(args[0], SetExpr | ListExpr | TupleExpr) and all(
                isinstance(i, Const) for i in args[0].items):
            try:
                return Const(frozenset(i.value for i in args[0].items if isinstance(i, Const)))
            except TypeError:
                pass
    return Call(func, args)


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


# ---- entry points ---------------------------------------------------------------------------

#: Deepest expression nesting a claim may have (Python's own parser stops near 200).
MAX_DEPTH = 100

_NUMBERING = re.compile(r"[ \t]*(?:(?:step[ \t]+)?\d+[ \t]*[.):]|[-*\u2022])[ \t]+", re.I)


@functools.cache
def _parser() -> Lark:
    return build_parser(Builder())


@functools.cache
def _fast_parser() -> FastParser:
    return FastParser(_parser(), positioned=Builder.POSITIONED)


def step_bounds(line: str) -> tuple[int, int]:
    """Offsets ``(start, end)`` of the step inside ``line``: leading whitespace and numbering
    (``1.``, ``1)``, ``Step 1:``, ``- ``, ``* ``, a bullet) and trailing whitespace removed."""
    match = _NUMBERING.match(line)
    start = match.end() if match else 0
    while start < len(line) and line[start] in " \t\f\r\u00a0":
        start += 1
    end = len(line.rstrip())
    return start, max(start, end)


def parse_step(text: str, index: int = 0, offset: int = 0, *, explain: bool = True) -> Claim:
    """Parse one step into its claim.

    ``text`` is a single line; numbering and surrounding whitespace are ignored.  ``index`` is
    the step's position among the rationale's steps; ``offset`` is where ``text`` starts in
    the rationale, so that ``span`` holds offsets into the whole rationale.  Raises
    :class:`StepParseError` (and nothing else) when the step is not in the language; with
    ``explain=False`` the error is not analysed (a bare "not a step" with column 1), which
    is much cheaper when most candidates are expected to fail (lenient mode).
    """
    start, end = step_bounds(text)
    step = text[start:end]
    span = (offset + start, offset + end)

    if "\n" in step:
        raise _error("a step is a single line", step.index("\n"), errors.NOT_A_STEP,
                     frozenset(), start, offset, index, span, step)
    parser = _parser()
    try:
        try:
            draft: Draft = _fast_parser().parse(step)
        except FastParseFailed:
            if not explain:
                raise _error("not a step", 0, None, frozenset(), start, offset, index, span,
                             step) from None
            draft = cast(Draft, parser.parse(step))
        _check_exprs(draft, len(step))
    except UnexpectedInput as err:
        message, _column, pos, expected, label = errors.describe(parser, err, step)
        raise _error(message, pos, label, expected, start, offset, index, span, step) from None
    except SemanticError as err:
        raise _error(f"{err.label}: {err.message}", err.pos, err.label, frozenset(), start,
                     offset, index, span, step) from None
    except RecursionError:
        raise _error("expression nested too deeply", 0, errors.TOO_DEEP, frozenset(), start,
                     offset, index, span, step) from None
    fields = draft.fields
    if draft.code_end is not None:
        fields["code"] = step[draft.code_start:draft.code_end].strip()
    return draft.cls(index=index, span=span, text=step, line=draft.line,
                     iteration=draft.iteration, modality=draft.modality, **fields)


def _error(message: str, pos: int, label: str | None, expected: frozenset[str], start: int,
           offset: int, index: int, span: tuple[int, int], step: str) -> StepParseError:
    return StepParseError(message, column=start + pos + 1, pos=offset + start + pos,
                          expected=expected, label=label, index=index, span=span, text=step)


def parse_rationale(text: str) -> list[Claim | StepParseError]:
    """Parse every non-blank line of ``text`` as a step (see :func:`parse_step`).

    Lines are split on ``\\n`` only (a carriage return before it is whitespace).  The result
    has one entry per non-blank line: the claim, or the :class:`StepParseError` explaining why
    the line is not a step.  Indices count steps; spans are offsets into ``text``.
    """
    out: list[Claim | StepParseError] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            try:
                out.append(parse_step(line, index=len(out), offset=pos))
            except StepParseError as err:
                out.append(err)
        pos += len(line) + 1
    return out


def _check_exprs(draft: Draft, length: int) -> None:
    """Reject drafts holding unsupported constructs or absurdly deep expressions.

    Expression builders propagate :class:`Unsupported` upwards, so only the fields (and the
    items of tuple fields) need a look; a step shorter than :data:`MAX_DEPTH` characters
    cannot nest deeper than that, so only longer steps are walked in full.
    """
    for value in draft.fields.values():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            for part in parts:
                if isinstance(part, Unsupported | _SliceParts):
                    reason = part.reason if isinstance(part, Unsupported) else "a bare slice"
                    raise SemanticError(f"{reason} cannot appear in a claim",
                                        errors.UNSUPPORTED)
    if length <= MAX_DEPTH:
        return
    stack: list[tuple[Any, int]] = [(v, 0) for v in draft.fields.values()]
    while stack:
        node, depth = stack.pop()
        if node is None or isinstance(node, str | int | bool | Const):
            continue
        if isinstance(node, Unsupported):
            raise SemanticError(f"{node.reason} cannot appear in a claim", errors.UNSUPPORTED)
        if depth > MAX_DEPTH:
            raise SemanticError("expression nested too deeply", errors.TOO_DEEP)
        if isinstance(node, tuple):
            stack.extend((item, depth) for item in node)
        elif isinstance(node, _SliceParts):
            raise SemanticError("a slice needs brackets", errors.UNSUPPORTED)
        else:
            stack.extend((getattr(node, f), depth + 1) for f in node.__slots__)
