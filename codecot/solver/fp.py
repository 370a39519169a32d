"""Thin, fast constructors for floating-point terms.

z3py's ``fpAdd``, ``fpEQ``, ... coerce and re-check their arguments on every call, which
dominated the forward fast path; these call the C API directly on terms that are already
``Float64`` terms of one context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3
import z3.z3core as core


def _binary(fn: Callable[..., Any]) -> Callable[[Any, Any, Any], Any]:
    def make(rm: Any, a: Any, b: Any) -> Any:
        c = a.ctx
        return z3.FPRef(fn(c.ref(), rm.as_ast(), a.as_ast(), b.as_ast()), c)

    return make


def _predicate2(fn: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    def make(a: Any, b: Any) -> Any:
        c = a.ctx
        return z3.BoolRef(fn(c.ref(), a.as_ast(), b.as_ast()), c)

    return make


def _predicate1(fn: Callable[..., Any]) -> Callable[[Any], Any]:
    def make(a: Any) -> Any:
        c = a.ctx
        return z3.BoolRef(fn(c.ref(), a.as_ast()), c)

    return make


def _unary(fn: Callable[..., Any]) -> Callable[[Any], Any]:
    def make(a: Any) -> Any:
        c = a.ctx
        return z3.FPRef(fn(c.ref(), a.as_ast()), c)

    return make


add = _binary(core.Z3_mk_fpa_add)
sub = _binary(core.Z3_mk_fpa_sub)
mul = _binary(core.Z3_mk_fpa_mul)
div = _binary(core.Z3_mk_fpa_div)
eq = _predicate2(core.Z3_mk_fpa_eq)
lt = _predicate2(core.Z3_mk_fpa_lt)
le = _predicate2(core.Z3_mk_fpa_leq)
gt = _predicate2(core.Z3_mk_fpa_gt)
ge = _predicate2(core.Z3_mk_fpa_geq)
is_nan = _predicate1(core.Z3_mk_fpa_is_nan)
is_inf = _predicate1(core.Z3_mk_fpa_is_infinite)
is_zero = _predicate1(core.Z3_mk_fpa_is_zero)
is_positive = _predicate1(core.Z3_mk_fpa_is_positive)
neg = _unary(core.Z3_mk_fpa_neg)
abs_ = _unary(core.Z3_mk_fpa_abs)


def to_real(a: Any) -> Any:
    c = a.ctx
    return z3.ArithRef(core.Z3_mk_fpa_to_real(c.ref(), a.as_ast()), c)
