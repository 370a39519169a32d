"""Symbolic floats for the sandbox child: :class:`SymFloat`, a ``float`` with a shadow term.

Terms are IEEE doubles (``(_ FloatingPoint 11 53)``, round-nearest-even), the solver layer's
encoding of ``float``.  Modelled: ``+ - * /`` (division records that the divisor is not zero),
unary ``- + abs``, comparisons and truth tests (IEEE semantics: NaN is unequal to itself,
``-0.0 == 0.0``), ``int(x)`` (truncation, recording that ``x`` is finite), and ints mixed in
(converted as Python does; the path records that the int is small enough for the conversion
to be exact or correctly rounded).  Everything else (``//``, ``%``, ``**``, ``round``,
``str``, hashing ...) pins the float to its concrete value.
"""

from __future__ import annotations

import operator
from typing import Any

from codecot.symbolic import terms as tm
from codecot.symbolic.recorder import REC
from codecot.symbolic.shadows import (
    NumberShadow,
    SymInt,
    install_fallbacks,
    int_term,
    mk_int,
    pin,
)
from codecot.symbolic.terms import BOOL, FLOAT, INT, T, app, float_lit, int_lit

_INF = float("inf")
_float_new = float.__new__
_plain = float.__float__
#: ints with |i| <= this convert to float exactly (so comparisons, exact in Python, agree)
EXACT_INT = 2 ** 53
#: ints beyond this magnitude are not converted symbolically (they are pinned instead)
FINITE_INT = 2 ** 1000


def _within(t: T, bound: int) -> T:
    return tm.and_(app(BOOL, "<=", int_lit(-bound), t), app(BOOL, "<=", t, int_lit(bound)))


def _finite(f: T, value: float) -> T:
    """``f``, recording that it is finite (Python raises OverflowError where the conversion or
    quotient it stands for overflows)."""
    REC.branch(tm.not_(app(BOOL, "fp.isInfinite", f)), value not in (_INF, -_INF))
    return f


def int_as_float(t: T, value: int, bound: int) -> T:
    """The float conversion of the int term ``t`` (whose value is ``value``).  With ``bound``
    :data:`EXACT_INT` the path records ``|t| <= bound`` (the conversion is exact), else that
    the conversion does not overflow."""
    if t.lit:
        return float_lit(float(value))
    f = app(FLOAT, "(_ to_fp 11 53) RNE", app("Real", "to_real", t))
    if bound <= EXACT_INT:
        REC.branch(_within(t, bound), -bound <= value <= bound)
        return f
    return _finite(f, float(value))


def _operand(x: object, bound: int) -> tuple[float, T] | None:
    """(value, term) of a float or int operand; None for other types and ints beyond
    ``bound``."""
    if isinstance(x, SymFloat):
        return _plain(x), x._t
    if isinstance(x, float):
        return x, float_lit(x)
    t = int_term(x)
    if t is None:
        return None
    v = int.__index__(x)  # type: ignore[arg-type]
    if abs(v) > bound:
        return None
    return float(v), int_as_float(t, v, bound)


def mk_float(value: float, term: T) -> Any:
    if term.lit:
        return SymFloat(value, float_lit(value))
    if len(term.text) > tm.MAX_TERM_CHARS:
        REC.pin(term, float_lit(value))
        return SymFloat(value, float_lit(value))
    return SymFloat(value, term)


def _is_zero(t: T) -> T:
    return app(BOOL, "fp.isZero", t)


def int_div(a: Any, b: Any) -> Any:
    """``a / b`` for ints with at least one shadowed operand.  Both are converted exactly
    (the path records ``|a|, |b| <= 2**53``) and divided as doubles: Python's correctly
    rounded int quotient is then the IEEE quotient.  Larger operands are pinned."""
    ta, tb = int_term(a), int_term(b)
    va, vb = int.__index__(a), int.__index__(b)
    assert ta is not None and tb is not None
    if not tb.lit:
        REC.branch(tm.not_(tm.eq(tb, int_lit(0))), vb != 0)
    if ta.lit and tb.lit:
        return va / vb
    if abs(va) > EXACT_INT or abs(vb) > EXACT_INT:
        return pin(a) / pin(b)
    result = va / vb
    fa, fb = int_as_float(ta, va, EXACT_INT), int_as_float(tb, vb, EXACT_INT)
    return mk_float(result, app(FLOAT, "fp.div RNE", fa, fb))


class SymFloat(NumberShadow, float):
    """A float with a shadow term (an IEEE double)."""

    _t: T

    def __new__(cls, value: float, term: T) -> SymFloat:
        obj = _float_new(cls, value)
        obj._t = term
        return obj

    def _arith(self, other: object, op: str, reflected: bool = False) -> Any:
        found = _operand(other, FINITE_INT)
        if found is None:
            if isinstance(other, int):  # too large to convert: Python raises OverflowError
                return _PY[op](pin(other), _plain(self)) if reflected else \
                    _PY[op](_plain(self), pin(other))
            return NotImplemented
        vb, tb = found
        va, ta = _plain(self), self._t
        if reflected:
            va, vb, ta, tb = vb, va, tb, ta
        if op == "/" and not tb.lit:
            REC.branch(tm.not_(_is_zero(tb)), vb != 0.0)
        result = _PY[op](va, vb)  # raises ZeroDivisionError as Python does
        return mk_float(result, app(FLOAT, f"{_FP[op]} RNE", ta, tb))

    def __truediv__(self, o: object) -> Any: return self._arith(o, "/")
    def __rtruediv__(self, o: object) -> Any: return self._arith(o, "/", True)

    def __neg__(self) -> Any:
        return mk_float(-_plain(self), app(FLOAT, "fp.neg", self._t))

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return mk_float(abs(_plain(self)), app(FLOAT, "fp.abs", self._t))

    def _cmp(self, other: object, op: str) -> Any:
        found = _operand(other, EXACT_INT)
        if found is None:
            if isinstance(other, int):  # a huge int: Python compares exactly; pin
                return _CMP_PY[op](_plain(pin(self)), pin(other))
            return NotImplemented
        vb, tb = found
        va = _plain(self)
        result = _CMP_PY[op](va, vb)
        if op == "!=":
            cond = tm.not_(app(BOOL, "fp.eq", self._t, tb))
        else:
            cond = app(BOOL, _CMP_FP[op], self._t, tb)
        return REC.branch(cond, result)

    def __bool__(self) -> bool:
        return REC.branch(tm.not_(_is_zero(self._t)), _plain(self) != 0.0)

    def __hash__(self) -> int:
        return hash(_plain(pin(self)))

    def sym_int(self) -> Any:
        """``int(self)``: truncation toward zero, on a finite value."""
        v = _plain(self)
        finite = tm.not_(tm.or_(app(BOOL, "fp.isNaN", self._t), app(BOOL, "fp.isInfinite",
                                                                   self._t)))
        REC.branch(finite, v == v and v not in (_INF, -_INF))
        result = int(v)  # raises ValueError / OverflowError as Python does
        whole = app(FLOAT, "fp.roundToIntegral RTZ", self._t)
        return mk_int(result, app(INT, "to_int", app("Real", "fp.to_real", whole)))

    def __repr__(self) -> str:
        return float.__repr__(_plain(self) if not REC.active else _plain(pin(self)))

    def __str__(self) -> str:
        from codecot.symbolic.strings import lit

        return lit(float.__repr__(_plain(pin(self)))) if REC.active else \
            float.__repr__(_plain(self))

    def __format__(self, spec: str) -> str:
        return format(_plain(pin(self)), spec)

    def __reduce__(self) -> Any:
        return (float, (_plain(self),))


_FP = {"+": "fp.add", "-": "fp.sub", "*": "fp.mul", "/": "fp.div"}
_PY: dict[str, Any] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}
_CMP_FP = {"==": "fp.eq", "<": "fp.lt", "<=": "fp.leq", ">": "fp.gt", ">=": "fp.geq"}
_CMP_PY: dict[str, Any] = {
    "==": float.__eq__, "!=": float.__ne__, "<": float.__lt__, "<=": float.__le__,
    ">": float.__gt__, ">=": float.__ge__,
}


def as_float(x: SymInt, bound: int) -> SymFloat | None:
    """The shadowed int ``x`` converted to a shadowed float (None beyond ``bound``)."""
    v = int.__index__(x)
    if abs(v) > bound:
        return None
    return mk_float(float(v), int_as_float(x._t, v, bound))


install_fallbacks(SymFloat, float)
