"""Symbolic shadows for the sandbox child: :class:`SymInt`, helpers shared with strings.

A shadowed value is an instance of a subclass of its Python type (so ``isinstance`` and every
concrete operation behave as usual) that carries an SMT-LIB term ``_t`` over the input
constants.  Operations that the engine models return shadowed results; comparisons and truth
tests record the branch outcome in :data:`~codecot.symbolic.recorder.REC` and return plain
bools (eager branching).  Anything not modelled pins its symbolic operands to their concrete
values (a ``pin`` constraint) and returns the plain result, so nothing is dropped silently.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from codecot.symbolic import terms as tm
from codecot.symbolic.recorder import REC
from codecot.symbolic.terms import BOOL, INT, T, app, int_lit

_int_new = int.__new__
_int_index = int.__index__


def plain_int(x: int) -> int:
    return _int_index(x)


def is_sym(x: object) -> bool:
    return isinstance(x, SymInt) or (type(x).__name__ == "SymStr" and hasattr(x, "_t"))


def pin(x: Any) -> Any:
    """The plain value of ``x``; a symbolic ``x`` is pinned to it (recorded)."""
    t: T | None = getattr(x, "_t", None)
    if isinstance(x, SymInt):
        v: Any = _int_index(x)
        if t is not None and not t.lit:
            REC.pin(t, int_lit(v))
        return v
    if t is not None and isinstance(x, float):
        f = float.__float__(x)
        if not t.lit:
            REC.pin(t, tm.float_lit(f))
        return f
    if t is not None and isinstance(x, str):
        v = str.__str__(x)
        if not t.lit:
            lit = tm.str_lit(v)
            if lit is not None:
                REC.pin(t, lit)
        return v
    return x


def int_term(x: object) -> T | None:
    """The term of an int operand (bools count as 0/1); None if not an int."""
    if isinstance(x, SymInt):
        return x._t
    if isinstance(x, bool):
        return int_lit(int(x))
    if isinstance(x, int):
        return int_lit(_int_index(x))
    return None


def mk_int(value: int, term: T) -> int:
    """A shadowed int (pinned instead when the term grows too large)."""
    if term.lit or len(term.text) > tm.MAX_TERM_CHARS:
        if not term.lit:
            REC.pin(term, int_lit(value))
        return SymInt(value, int_lit(value))
    return SymInt(value, term)


def _binop(op: str, a: int, b: int, ta: T, tb: T) -> tuple[int, T] | None:
    if op == "+":
        return a + b, app(INT, "+", ta, tb)
    if op == "-":
        return a - b, app(INT, "-", ta, tb)
    if op == "*":
        return a * b, app(INT, "*", ta, tb)
    if op in ("//", "%"):
        if not tb.lit:
            REC.branch(app(BOOL, "=", tb, int_lit(0)), b == 0)
        if b == 0:
            raise ZeroDivisionError("integer division or modulo by zero")
        if tb.lit:
            q = app(INT, "div", ta, tb) if b > 0 else \
                app(INT, "div", app(INT, "-", ta), int_lit(-b))
        else:
            q = tm.ite(app(BOOL, ">", tb, int_lit(0)), app(INT, "div", ta, tb),
                       app(INT, "div", app(INT, "-", ta), app(INT, "-", tb)))
        if op == "//":
            return a // b, q
        return a % b, app(INT, "-", ta, app(INT, "*", tb, q))
    if op == "**":
        if b < 0 or b > 16:
            return None
        if not tb.lit:
            REC.pin(tb, int_lit(b))
        term = int_lit(1)
        for _ in range(b):
            term = app(INT, "*", term, ta) if term.text != "1" else ta
        return a ** b, term
    return None


_OPS: dict[str, Callable[[int, int], Any]] = {
    "+": int.__add__, "-": int.__sub__, "*": int.__mul__, "//": int.__floordiv__,
    "%": int.__mod__, "**": int.__pow__,
}
_PY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
    "%": operator.mod, "**": operator.pow,
}
_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


class ImmutableShadow:
    """A shadow of an immutable value: a copy is the value itself, and keeps its shadow
    (``copy.copy``/``copy.deepcopy`` would otherwise rebuild a plain value)."""

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: Any) -> Any:
        return self


class NumberShadow(ImmutableShadow):
    """The six rich comparisons routed to the class's ``_cmp(other, op)``, and ``+ - *``
    (both ways) to its ``_arith(other, op, reflected)``."""

    def _cmp(self, other: object, op: str) -> Any:
        raise NotImplementedError

    def _arith(self, other: object, op: str, reflected: bool = False) -> Any:
        raise NotImplementedError

    def __eq__(self, o: object) -> Any: return self._cmp(o, "==")
    def __ne__(self, o: object) -> Any: return self._cmp(o, "!=")
    def __lt__(self, o: object) -> Any: return self._cmp(o, "<")
    def __le__(self, o: object) -> Any: return self._cmp(o, "<=")
    def __gt__(self, o: object) -> Any: return self._cmp(o, ">")
    def __ge__(self, o: object) -> Any: return self._cmp(o, ">=")
    def __add__(self, o: object) -> Any: return self._arith(o, "+")
    def __radd__(self, o: object) -> Any: return self._arith(o, "+", True)
    def __sub__(self, o: object) -> Any: return self._arith(o, "-")
    def __rsub__(self, o: object) -> Any: return self._arith(o, "-", True)
    def __mul__(self, o: object) -> Any: return self._arith(o, "*")
    def __rmul__(self, o: object) -> Any: return self._arith(o, "*", True)


class SymInt(NumberShadow, int):
    """An int with a shadow term (sort Int)."""

    _t: T

    def __new__(cls, value: int, term: T) -> SymInt:
        obj = _int_new(cls, value)
        obj._t = term
        return obj

    # arithmetic --------------------------------------------------------------------------
    def _arith(self, other: object, op: str, reflected: bool = False) -> Any:
        tb = int_term(other)
        if tb is None:
            if isinstance(other, float) and op in ("+", "-", "*"):
                from codecot.symbolic.floats import FINITE_INT, as_float

                f = as_float(self, FINITE_INT)
                if f is not None:
                    return f._arith(other, op, reflected)
            if isinstance(other, float | complex):
                a = pin(self)
                fn = _PY_OPS[op]
                return fn(other, a) if reflected else fn(a, other)
            return NotImplemented
        a, b, ta = _int_index(self), _int_index(other), self._t  # type: ignore[arg-type]
        if reflected:
            a, b, ta, tb = b, a, tb, ta
        if ta.lit and tb.lit:
            return SymInt(_OPS[op](a, b), int_lit(_OPS[op](a, b)))
        res = _binop(op, a, b, ta, tb)
        if res is None:
            pa, pb = (pin(other), pin(self)) if reflected else (pin(self), pin(other))
            return _OPS[op](pa, pb)
        return mk_int(res[0], res[1])

    def __floordiv__(self, o: object) -> Any: return self._arith(o, "//")
    def __rfloordiv__(self, o: object) -> Any: return self._arith(o, "//", True)
    def __mod__(self, o: object) -> Any: return self._arith(o, "%")
    def __rmod__(self, o: object) -> Any: return self._arith(o, "%", True)

    def __divmod__(self, o: object) -> Any:
        q = self._arith(o, "//")
        return NotImplemented if q is NotImplemented else (q, self._arith(o, "%"))

    def __rdivmod__(self, o: object) -> Any:
        q = self._arith(o, "//", True)
        return NotImplemented if q is NotImplemented else (q, self._arith(o, "%", True))

    def __pow__(self, o: object, mod: object = None) -> Any:
        if mod is not None:
            return pow(pin(self), pin(o), pin(mod))
        return self._arith(o, "**")

    def __rpow__(self, o: object, mod: object = None) -> Any:
        return self._arith(o, "**", True)

    def __truediv__(self, o: object) -> Any:
        return self._div(o, False)

    def __rtruediv__(self, o: object) -> Any:
        return self._div(o, True)

    def _div(self, o: object, reflected: bool) -> Any:
        from codecot.symbolic.floats import FINITE_INT, as_float, int_div

        if int_term(o) is not None:
            return int_div(o, self) if reflected else int_div(self, o)
        if isinstance(o, float):
            f = as_float(self, FINITE_INT)
            if f is not None:
                return f._arith(o, "/", reflected)
        return pin(o) / pin(self) if reflected else pin(self) / pin(o)

    def __neg__(self) -> Any:
        return mk_int(-_int_index(self), app(INT, "-", self._t))

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        v = _int_index(self)
        return mk_int(abs(v), tm.ite(app(BOOL, "<", self._t, int_lit(0)), app(INT, "-", self._t), self._t))

    # comparisons and truth ---------------------------------------------------------------
    def _cmp(self, other: object, op: str) -> Any:
        tb = int_term(other)
        a = _int_index(self)
        if tb is None:
            if isinstance(other, float):
                from codecot.symbolic.floats import EXACT_INT, as_float

                f = as_float(self, EXACT_INT)
                if f is not None:
                    return f._cmp(other, op)
                return _cmp_plain(op, a if self._t.lit else pin(self), other)
            return NotImplemented
        b = _int_index(other)  # type: ignore[arg-type]
        result = _cmp_plain(op, a, b)
        if op == "==":
            cond = tm.eq(self._t, tb)
        elif op == "!=":
            cond = tm.not_(tm.eq(self._t, tb))
        else:
            cond = app(BOOL, _CMP[op], self._t, tb)
        return REC.branch(cond, result)

    def __bool__(self) -> bool:
        v = _int_index(self)
        return REC.branch(tm.not_(tm.eq(self._t, int_lit(0))), v != 0)

    def __hash__(self) -> int:
        return hash(pin(self))

    def __index__(self) -> int:
        return int(pin(self))

    def __int__(self) -> int:
        return int(pin(self))

    def __float__(self) -> float:
        return float(pin(self))

    def __repr__(self) -> str:
        return repr(_int_index(self) if not REC.active else pin(self))

    def __str__(self) -> str:
        from codecot.symbolic.strings import int_to_str

        return int_to_str(self)

    def __format__(self, spec: str) -> str:
        if spec == "":
            return str(self)
        return format(pin(self), spec)

    def __reduce__(self) -> Any:
        return (int, (_int_index(self),))


def _cmp_plain(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


_SAFE = frozenset({
    "__new__", "__init__", "__class__", "__getattribute__", "__setattr__", "__delattr__",
    "__init_subclass__", "__subclasshook__", "__reduce_ex__", "__getnewargs__", "__sizeof__",
    "__dir__", "__doc__", "__getstate__", "__dict__", "__weakref__", "__module__", "__slots__",
    "__class_getitem__", "__annotations__",
})


def install_fallbacks(cls: type, base: type) -> None:
    """Give ``cls`` a pinning wrapper for every method of ``base`` that neither ``cls`` nor a
    mixin it lists before ``base`` defines."""
    own = cls.__mro__[:cls.__mro__.index(base)]
    for name in dir(base):
        if name in _SAFE or any(name in k.__dict__ for k in own):
            continue
        attr = getattr(base, name)
        if not callable(attr) or isinstance(attr, type):
            continue
        if name in ("fromhex", "from_bytes", "maketrans"):
            continue  # class/static methods: nothing of the instance to pin
        setattr(cls, name, _fallback(attr))


def pin_deep(x: Any) -> Any:
    """``x`` with every shadowed value inside tuples, lists and dicts pinned."""
    if isinstance(x, tuple):
        return tuple(pin_deep(i) for i in x)
    if isinstance(x, list):
        return [pin_deep(i) for i in x]
    if isinstance(x, dict):
        return {pin_deep(k): pin_deep(v) for k, v in x.items()}
    return pin(x)


def _fallback(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(pin(self), *(pin_deep(a) for a in args),
                        **{k: pin_deep(v) for k, v in kwargs.items()})
        if type(result) is str:
            from codecot.symbolic.strings import lit

            return lit(result)
        return result

    wrapper.__name__ = getattr(method, "__name__", "method")
    return wrapper


install_fallbacks(SymInt, int)
