"""Binary and unary operators with Python semantics.

Numbers: ints are unbounded; ``//`` and ``%`` round toward negative infinity; ``/`` gives a
correctly rounded float (int / int is rounded once, as CPython does); ``**`` needs a known
non-negative int exponent for a symbolic base; bool operands act as ints; an int meeting a float
is converted with Python's rounding (OverflowError beyond the float range); float ``+ - * /``
are IEEE operations in round-nearest-even.  Division by zero is a guard (ZeroDivisionError).
``+`` and ``*`` on str, list and tuple are concatenation and repetition (on bytes, known
operands only).  Float ``//``, ``%`` and ``**`` are folded when their operands are known and
unsupported otherwise.  printf-style ``%`` formatting of str and bytes is unsupported.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import z3

from codecot.solver import fp, raw
from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.fold import MAX_INT_BITS, apply, concrete_args
from codecot.solver.semantics import (
    FLOAT_OVERFLOW,
    bool_value,
    float_term,
    int_term,
    is_numeric,
    mk_not,
    truth,
)
from codecot.solver.sequences import concat, repeat
from codecot.solver.types import FLOAT, INT
from codecot.solver.values import MISSING, Guard, SymValue, new_guard

#: Largest exponent unrolled for a symbolic base.
MAX_UNROLLED_POWER = 64

_PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}


def binop(op: str, a: SymValue, b: SymValue) -> SymValue:
    """``a op b``."""
    guards = a.guards + b.guards
    if is_numeric(a) and is_numeric(b):
        return _numeric(op, a, b).with_guards(guards)
    seq_kinds = ("str", "list", "tuple")
    if op == "+" and a.type.kind in seq_kinds:
        return concat(a, b)
    if op == "*" and a.type.kind in seq_kinds and b.type.kind in ("int", "bool"):
        return _repeat(a, b)
    if op == "*" and b.type.kind in seq_kinds and a.type.kind in ("int", "bool"):
        return _repeat(b, a)
    if op == "%" and a.type.kind in ("str", "bytes"):
        raise Unsupported("printf-style string formatting")
    args = concrete_args((a, b))
    if args is not None:  # e.g. bytes + bytes, set - set, dict | dict: Python decides
        if op == "*" and _repetition_too_large(args[0], args[1]):
            raise Unsupported("repetition too large to fold")
        return apply(_PY_OPS[op], args)
    kinds = (a.type.kind, b.type.kind)
    if (op == "*" and "bytes" in kinds) or kinds == ("dict", "dict"):
        raise Unsupported(f"{a.type} {op} {b.type} with a symbolic operand")
    raise PythonError("TypeError", f"unsupported operand type(s) for {op}: {a.type} and {b.type}")


def _repetition_too_large(x: Any, y: Any) -> bool:
    """Whether ``x * y`` repeats a sequence (str, bytes, ...) beyond the folding limit."""
    seq, n = (x, y) if isinstance(y, int) else (y, x)
    if not isinstance(seq, str | bytes | list | tuple) or not isinstance(n, int):
        return False
    return len(seq) * max(n, 0) > 100_000


def _repeat(seq: SymValue, count: SymValue) -> SymValue:
    args = concrete_args((seq, count))
    if args is not None:
        n = len(args[0]) * max(int(args[1]), 0)
        if n > 100_000:
            raise Unsupported("repetition too large to fold")
        return apply(operator.mul, args)
    return repeat(seq, count)


def _numeric(op: str, a: SymValue, b: SymValue) -> SymValue:
    c = ctx()
    is_float = FLOAT in (a.type, b.type)
    if op == "/" and not is_float:
        return _int_true_div(a, b)
    if op == "**":
        return _power(a, b, is_float)
    if is_float:
        if op in ("//", "%"):
            return _fold_only(op, a, b)
        x, gx = float_term(a)
        y, gy = float_term(b)
        guards = gx + gy
        if op == "+":
            term = fp.add(c.rne, x, y)
        elif op == "-":
            term = fp.sub(c.rne, x, y)
        elif op == "*":
            term = fp.mul(c.rne, x, y)
        else:
            guards.append(new_guard(z3.Not(fp.is_zero(y)), "ZeroDivisionError"))
            term = fp.div(c.rne, x, y)
        return SymValue(FLOAT, raw=term, guards=tuple(guards))
    x, y = int_term(a), int_term(b)
    if raw.same_sort(x, y):  # two Int terms: build without z3's coercion layer
        return _int_numeric(op, x, y, b.py)
    if op == "+":
        return SymValue(INT, raw=x + y)
    if op == "-":
        return SymValue(INT, raw=x - y)
    if op == "*":
        return SymValue(INT, raw=x * y)
    divisor = b.py
    if divisor is MISSING:
        nonzero: tuple[Guard, ...] = (new_guard(y != 0, "ZeroDivisionError"),)
        # floor(x / y) == floor(-x / -y), and Z3's div is floor division for a positive divisor
        quotient = z3.If(y > 0, x / y, (-x) / (-y))
    elif divisor == 0:
        raise PythonError("ZeroDivisionError", "integer division or modulo by zero")
    else:
        nonzero = ()
        quotient = x / y if divisor > 0 else (-x) / (-y)
    if op == "//":
        return SymValue(INT, raw=quotient, guards=nonzero)
    return SymValue(INT, raw=x - y * quotient, guards=nonzero)


def _int_numeric(op: str, x: Any, y: Any, divisor: Any) -> SymValue:
    """``x op y`` for Int terms ``x`` and ``y`` (``divisor``: the Python value of ``y`` or
    MISSING), the same terms as the general case of :func:`_numeric` builds."""
    if op in ("+", "-", "*"):
        return SymValue(INT, raw=raw.int_arith(op, x, y))
    if divisor is MISSING or divisor == 0:
        return _numeric_division(op, x, y, divisor)
    nonzero: tuple[Guard, ...] = ()
    if divisor > 0:
        quotient = raw.int_arith("/", x, y)
    else:
        quotient = raw.int_arith("/", raw.int_neg(x), raw.int_neg(y))
    if op == "//":
        return SymValue(INT, raw=quotient, guards=nonzero)
    return SymValue(INT, raw=raw.int_arith("-", x, raw.int_arith("*", y, quotient)),
                    guards=nonzero)


def _numeric_division(op: str, x: Any, y: Any, divisor: Any) -> SymValue:
    """``x // y`` or ``x % y`` when ``y`` is symbolic or zero (see :func:`_numeric`)."""
    if divisor is MISSING:
        nonzero: tuple[Guard, ...] = (new_guard(y != 0, "ZeroDivisionError"),)
        quotient = z3.If(y > 0, x / y, (-x) / (-y))
    else:
        raise PythonError("ZeroDivisionError", "integer division or modulo by zero")
    if op == "//":
        return SymValue(INT, raw=quotient, guards=nonzero)
    return SymValue(INT, raw=x - y * quotient, guards=nonzero)


def _int_true_div(a: SymValue, b: SymValue) -> SymValue:
    c = ctx()
    x, y = int_term(a), int_term(b)
    q = z3.ToReal(x) / z3.ToReal(y)
    guards = (new_guard(y != 0, "ZeroDivisionError"),
              new_guard(z3.Or(y == 0, z3.And(q < FLOAT_OVERFLOW, q > -FLOAT_OVERFLOW)),
                    "OverflowError"))
    return SymValue(FLOAT, raw=z3.fpToFP(c.rne, q, c.float_sort, ctx=ctx().z3), guards=guards)


def _fold_only(op: str, a: SymValue, b: SymValue) -> SymValue:
    args = concrete_args((a, b))
    if args is None:
        raise Unsupported(f"float {op} of symbolic operands")
    return apply(_PY_OPS[op], args)


def _power(a: SymValue, b: SymValue, is_float: bool) -> SymValue:
    args = concrete_args((a, b))
    if args is not None:
        base, exp = args
        if not is_float and exp > 0 and abs(base) > 1 and exp * abs(base).bit_length() > MAX_INT_BITS:
            raise Unsupported("power too large")
        return apply(operator.pow, args)
    exp_value = concrete_args((b,))
    if is_float or exp_value is None or exp_value[0] < 0:
        raise Unsupported("power with a symbolic base needs a known non-negative int exponent")
    k = int(exp_value[0])
    if k > MAX_UNROLLED_POWER:
        raise Unsupported("exponent too large to unroll")
    x = int_term(a)
    term: Any = z3.IntVal(1, ctx().z3)
    for _ in range(k):
        term = term * x
    return SymValue(INT, raw=z3.simplify(term) if k == 0 else term)


def unary(op: str, v: SymValue) -> SymValue:
    """``-v``, ``+v`` or ``not v``."""
    if op == "not":
        return bool_value(mk_not(truth(v)), v.guards)
    kind = v.type.kind
    if kind not in ("int", "bool", "float"):
        args = concrete_args((v,))
        if args is not None:
            return apply(operator.neg if op == "-" else operator.pos, args)
        raise PythonError("TypeError", f"bad operand type for unary {op}: '{v.type}'")
    if kind == "float":
        term = fp.neg(v.term) if op == "-" else v.term
        return SymValue(FLOAT, raw=term, guards=v.guards)
    x = int_term(v)
    return SymValue(INT, raw=-x if op == "-" else x, guards=v.guards)
