"""Replacements the rewritten user code calls instead of some builtins (in the child).

:mod:`codecot.symbolic.rewrite` turns string literals into :func:`cc_lit`, calls of ``len``,
``str``, ``int``, ``float``, ``repr``, ``ord`` and ``chr`` into the functions here, ``a in b`` into
:func:`cc_in` and f-strings into :func:`cc_fstr`/:func:`cc_fmt`, so that values built from plain
literals still carry shadow terms and symbolic operands are modelled rather than read directly
by C code.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any

from codecot.symbolic import terms as tm
from codecot.symbolic.floats import FINITE_INT, SymFloat, as_float
from codecot.symbolic.recorder import REC
from codecot.symbolic.shadows import SymInt, mk_int, pin
from codecot.symbolic.strings import SymStr, int_to_str, lit, mk_str
from codecot.symbolic.terms import BOOL, INT, STR, app, int_lit

_DIGITS = re.compile(r"[0-9]+")
_plain = str.__str__


def cc_lit(value: str) -> Any:
    return lit(value)


def cc_len(x: Any) -> Any:
    if isinstance(x, SymStr):
        return x.sym_len()
    return len(x)


def cc_str(*args: Any, **kwargs: Any) -> Any:
    if not args and not kwargs:
        return lit("")
    if len(args) != 1 or kwargs:
        return str(*args, **kwargs)
    x = args[0]
    if isinstance(x, SymStr):
        return x
    if isinstance(x, SymInt):
        return int_to_str(x)
    out = str(x)
    return lit(out) if type(out) is str else out


def cc_repr(x: Any) -> Any:
    if isinstance(x, SymInt):
        return int_to_str(x)
    if isinstance(x, SymStr):
        return lit(repr(pin(x)))
    return lit(repr(x))


def cc_int(*args: Any, **kwargs: Any) -> Any:
    if len(args) != 1 or kwargs:
        return int(*(pin(a) for a in args), **{k: pin(v) for k, v in kwargs.items()})
    x = args[0]
    if isinstance(x, SymInt):
        return x
    if isinstance(x, SymFloat):
        return x.sym_int()
    if isinstance(x, SymStr):
        v = _plain(x)
        if x._t.lit:
            return int(v)
        if _DIGITS.fullmatch(v):
            REC.branch(tm.in_re(x._t, "(re.+ (re.range \"0\" \"9\"))"), True)
            return mk_int(int(v), app(INT, "str.to_int", x._t))
        return int(pin(x))
    return int(x)


def cc_float(*args: Any) -> Any:
    if len(args) == 1 and isinstance(args[0], SymFloat):
        return args[0]
    if len(args) == 1 and isinstance(args[0], SymInt):
        found = as_float(args[0], FINITE_INT)
        if found is not None:
            return found
    return float(*(pin(a) for a in args))


def cc_ord(c: Any) -> Any:
    if isinstance(c, SymStr):
        v = _plain(c)
        if len(v) != 1 or c._t.lit:
            return ord(v)
        REC.pin(tm.length(c._t), int_lit(1))
        return mk_int(ord(v), tm.code_of(c._t))
    return ord(c)


def cc_chr(i: Any) -> Any:
    if isinstance(i, SymInt) and not i._t.lit:
        v = int.__index__(i)
        if 0 <= v <= tm.MAX_CODE_POINT:
            REC.branch(tm.and_(app(BOOL, ">=", i._t, int_lit(0)),
                               app(BOOL, "<=", i._t, int_lit(tm.MAX_CODE_POINT))), True)
            return mk_str(chr(v), app(STR, "str.from_code", i._t))
        return lit(chr(pin(i)))
    out = chr(i)
    return lit(out)


def cc_in(item: Any, container: Any) -> bool:
    if type(container) is str:
        container = lit(container)
    return item in container


def cc_fmt(value: Any, conversion: int, spec: Any) -> Any:
    if conversion == ord("s"):
        value = cc_str(value)
    elif conversion == ord("r"):
        value = cc_repr(value)
    elif conversion == ord("a"):
        value = lit(ascii(pin(value)))
    if spec is None or _plain(spec) == "":
        if isinstance(value, SymStr):
            return value
        if isinstance(value, SymInt):
            return int_to_str(value)
        return lit(format(value, ""))
    return lit(format(pin(value), pin(spec)))


def cc_fstr(*parts: Any) -> Any:
    out: Any = lit("")
    for p in parts:
        out = out + (lit(p) if type(p) is str else p)
    return out


_DESCRIPTORS = (types.MethodDescriptorType, types.WrapperDescriptorType)


def cc_method(cls: type, name: str) -> Any:
    """``cls.name`` (e.g. ``str.lower``), calling the shadow's own method on a shadowed
    ``self`` so that the call is modelled (or pins) instead of reading the raw value."""
    attr = getattr(cls, name)
    if not isinstance(attr, _DESCRIPTORS):
        return attr  # class and static methods (str.maketrans, int.from_bytes)

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self, cls) and type(self) is not cls:
            method: Callable[..., Any] = getattr(self, name)
            return method(*args, **kwargs)
        return attr(self, *args, **kwargs)

    call.__name__ = name
    call.__qualname__ = f"{cls.__name__}.{name}"
    return call


def cc_type(*args: Any, **kwargs: Any) -> Any:
    """``type(x)`` as the program would see it without shadows (``type(name, bases, ns)``
    unchanged)."""
    if len(args) == 1 and not kwargs:
        from codecot.symbolic.dicts import sym_type

        return sym_type(args[0])
    return type(*args, **kwargs)


HELPERS = {
    "_cc_lit": cc_lit, "_cc_len": cc_len, "_cc_str": cc_str, "_cc_repr": cc_repr,
    "_cc_int": cc_int, "_cc_ord": cc_ord, "_cc_chr": cc_chr, "_cc_in": cc_in,
    "_cc_fmt": cc_fmt, "_cc_fstr": cc_fstr, "_cc_method": cc_method,
    "_cc_float": cc_float, "_cc_type": cc_type,
}
