"""Parse-tree callbacks of the narration grammar's expression rules.

:class:`ExprBuilder` turns the expression rules of ``grammars/narration.lark`` into
:mod:`codecot.claims.expr` nodes; :class:`codecot.claims.build.Builder` adds the step rules.
Constructs the grammar accepts only so that echoed statements parse (comprehensions, lambdas,
starred arguments, ``@``, f-strings) become :class:`Unsupported`, which propagates upwards;
a claim that would hold one is rejected.  Keyword arguments (``f(x, key=len)``) are kept in
the call's ``kwargs``; one written before a positional argument is kept there too (the
positional arguments keep their order), and a repeated keyword is left for evaluation to
reject, as Python's call would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer

from codecot.claims import errors
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
    Lambda,
    ListExpr,
    MethodCall,
    Name,
    SetExpr,
    Slice,
    TupleExpr,
    UnaryOp,
)
from codecot.claims.literals import (
    LiteralError,
    decode_float,
    decode_imag,
    decode_int,
    decode_string,
    float_word,
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


@dataclass(frozen=True)
class Keyword:
    """A keyword argument ``name=value`` before it meets the call it belongs to."""

    name: str
    value: Expr


@dataclass(frozen=True)
class SliceParts:
    """The bounds of ``[lower:upper:step]`` before they meet the value they slice."""

    lower: Expr | None
    upper: Expr | None
    step: Expr | None


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


def first_unsupported(items: Any) -> Unsupported | None:
    for item in items:
        if isinstance(item, Unsupported):
            return item
    return None


def exprs_of(children: list[Any]) -> list[Any]:
    return [c for c in children if not isinstance(c, str)]


def ints_of(children: list[Any]) -> list[int]:
    # callers pass children whose only strings are INT tokens
    return [decode_int(c) for c in children if isinstance(c, str)]


_UNSUPPORTED_OPS = {"@": "matrix multiplication"}


class ExprBuilder(Transformer[Token, Any]):
    """Callbacks for the expression rules of ``narration.lark`` (see the module docstring).

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
        items = exprs_of(c)
        return first_unsupported(items) or TupleExpr(tuple(items))

    def tuple_index(self, c: list[Any]) -> Expr | Unsupported:
        return self.tuple_lit(c)

    def list_lit(self, c: list[Any]) -> Expr | Unsupported:
        items = exprs_of(c)
        return first_unsupported(items) or ListExpr(tuple(items))

    def set_lit(self, c: list[Any]) -> Expr | Unsupported:
        items = exprs_of(c)
        return first_unsupported(items) or SetExpr(tuple(items))

    def dict_item(self, c: list[Any]) -> tuple[Any, Any]:
        return (c[0], c[1])

    def dict_lit(self, c: list[Any]) -> Expr | Unsupported:
        pairs = exprs_of(c)
        keys = tuple(k for k, _ in pairs)
        values = tuple(v for _, v in pairs)
        return first_unsupported(keys + values) or DictExpr(keys, values)

    def listcomp(self, c: list[Any]) -> Unsupported:
        return Unsupported("list comprehension")

    def setcomp(self, c: list[Any]) -> Unsupported:
        return Unsupported("set comprehension")

    def dictcomp(self, c: list[Any]) -> Unsupported:
        return Unsupported("dict comprehension")

    def genexp(self, c: list[Any]) -> Unsupported:
        return Unsupported("generator expression")

    def lambdef(self, c: list[Any]) -> Expr | Unsupported:
        body = c[-1]
        if isinstance(body, Unsupported):
            return body
        params = c[0] if len(c) == 2 and isinstance(c[0], list) else []
        if len(set(params)) != len(params):
            return Unsupported("lambda with a repeated parameter")
        return Lambda(tuple(params), body)

    def kwarg(self, c: list[Any]) -> Keyword | Unsupported:
        value = c[-1]
        if isinstance(value, Unsupported):
            return value
        return Keyword(str(c[0]), value)

    def star_arg(self, c: list[Any]) -> Unsupported:
        return Unsupported("starred argument")

    def comp_for(self, c: list[Any]) -> None:
        return None

    def comp_if(self, c: list[Any]) -> None:
        return None

    def comp_target(self, c: list[Any]) -> None:
        return None

    def lambda_params(self, c: list[Any]) -> list[str]:
        return [str(x) for x in c]

    def arglist(self, c: list[Any]) -> list[Any]:
        return exprs_of(c)

    def call_expr(self, c: list[Any]) -> Expr | Unsupported:
        func, arguments = c[0], tuple(c[1] or ())
        bad = first_unsupported((func, *arguments))
        if bad is not None:
            return bad
        args = tuple(a for a in arguments if not isinstance(a, Keyword))
        kwargs = tuple((a.name, a.value) for a in arguments if isinstance(a, Keyword))
        if isinstance(func, Name):
            return _fold_call(func.id, args) if not kwargs else Call(func.id, args, kwargs)
        if isinstance(func, Attribute):
            return MethodCall(func.value, func.attr, args, kwargs)
        return Unsupported("call of a computed function")

    def attribute(self, c: list[Any]) -> Expr | Unsupported:
        value = c[0]
        if isinstance(value, Unsupported):
            return value
        return Attribute(value, str(c[1])[1:])

    def getitem(self, c: list[Any]) -> Expr | Unsupported:
        value, index = c[0], c[1]
        if isinstance(index, SliceParts):
            bad = first_unsupported((value, index.lower, index.upper, index.step))
            return bad or Slice(value, index.lower, index.upper, index.step)
        return first_unsupported((value, index)) or Index(value, index)

    def slice_parts(self, c: list[Any]) -> SliceParts | Unsupported:
        parts = [*c, None, None, None][:3]
        return first_unsupported(parts) or SliceParts(parts[0], parts[1], parts[2])

    def binop(self, c: list[Any]) -> Expr | Unsupported:
        left, op, right = c
        bad = first_unsupported((left, right))
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
        items = exprs_of(c)
        return first_unsupported(items) or BoolOp("and", tuple(items))

    def or_op(self, c: list[Any]) -> Expr | Unsupported:
        items = exprs_of(c)
        return first_unsupported(items) or BoolOp("or", tuple(items))

    def ifexp(self, c: list[Any]) -> Expr | Unsupported:
        body, test, orelse = exprs_of(c)
        return first_unsupported((body, test, orelse)) or IfExp(test, body, orelse)

    def comp_op(self, c: list[Token]) -> str:
        return " ".join(str(t).lower() for t in c)

    tcomp_op = comp_op

    def compare(self, c: list[Any]) -> Expr | Unsupported:
        bad = first_unsupported(c)
        if bad is not None:
            return bad
        return Compare(c[0], tuple(c[1::2]), tuple(c[2::2]))


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
