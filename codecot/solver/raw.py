"""Thin calls into Z3's C API for the hottest term operations.

The ``z3`` Python layer checks and converts its arguments on every call (sort checks, coercion,
AST kind dispatch), which costs several times what Z3 itself spends on a small ground term.
These helpers build the same terms and ask the same questions with one C call each, for
operands whose sorts are already known to match.  They never change what Z3 decides.
"""

from __future__ import annotations

from typing import Any

import z3
import z3.z3core as z3core

_simplify = z3core.Z3_simplify
_inc_ref = z3core.Z3_inc_ref
_dec_ref = z3core.Z3_dec_ref
_bool_value = z3core.Z3_get_bool_value
_L_TRUE = z3.Z3_L_TRUE
_L_FALSE = z3.Z3_L_FALSE

_ARITH_CMP = {
    "==": z3core.Z3_mk_eq, "<": z3core.Z3_mk_lt, "<=": z3core.Z3_mk_le,
    ">": z3core.Z3_mk_gt, ">=": z3core.Z3_mk_ge,
}


def simplified_truth(cond: Any) -> bool | None:
    """The truth value Z3's ``simplify`` gives the Bool term ``cond``, or ``None`` if the result
    is not ``true``/``false``.

    Two passes, since one can leave e.g. ``Not("" == "1")`` for ``"" < "1"``.  Equivalent to
    ``z3.simplify`` followed by ``z3.is_true``/``z3.is_false``, without building Python
    wrappers for the intermediate terms.  A Python bool is its own truth value.
    """
    if isinstance(cond, bool):
        return cond
    ref = cond.ctx_ref()
    first = _simplify(ref, cond.as_ast())
    _inc_ref(ref, first)
    try:
        value = _bool_value(ref, first)
        if value != _L_TRUE and value != _L_FALSE:
            second = _simplify(ref, first)
            _inc_ref(ref, second)
            value = _bool_value(ref, second)
            _dec_ref(ref, second)
    finally:
        _dec_ref(ref, first)
    if value == _L_TRUE:
        return True
    if value == _L_FALSE:
        return False
    return None


_ARITH_NARY = {"+": z3core.Z3_mk_add, "-": z3core.Z3_mk_sub, "*": z3core.Z3_mk_mul}


def same_sort(a: Any, b: Any) -> bool:
    """Whether the terms ``a`` and ``b`` (of one context) have the same sort."""
    ref = a.ctx_ref()
    return bool(z3core.Z3_is_eq_sort(ref, z3core.Z3_get_sort(ref, a.as_ast()),
                                     z3core.Z3_get_sort(ref, b.as_ast())))


def int_arith(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for two Int terms, ``op`` one of ``+ - * /`` (``/`` is Z3's integer ``div``),
    built as ``z3``'s operators build it."""
    c = a.ctx
    ref = c.ref()
    if op == "/":
        return z3.ArithRef(z3core.Z3_mk_div(ref, a.as_ast(), b.as_ast()), c)
    arr = (z3.Ast * 2)()
    arr[0] = a.as_ast()
    arr[1] = b.as_ast()
    return z3.ArithRef(_ARITH_NARY[op](ref, 2, arr), c)


def int_neg(a: Any) -> Any:
    """``-a`` for an Int term (as ``z3`` builds it)."""
    return z3.ArithRef(z3core.Z3_mk_unary_minus(a.ctx_ref(), a.as_ast()), a.ctx)


def same_sort_eq(a: Any, b: Any) -> Any:
    """``a == b`` for two terms of the same sort (as ``z3``'s ``==`` builds it)."""
    return z3.BoolRef(z3core.Z3_mk_eq(a.ctx_ref(), a.as_ast(), b.as_ast()), a.ctx)


def int_compare(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for two Int terms, ``op`` one of ``== != < <= > >=`` (as ``z3`` builds it)."""
    mk = _ARITH_CMP.get(op)
    if mk is None:  # "!=": z3 writes it as distinct
        return a != b
    return z3.BoolRef(mk(a.ctx_ref(), a.as_ast(), b.as_ast()), a.ctx)


def and_terms(terms: list[Any]) -> Any:
    """``z3.And(*terms)`` for two or more Bool terms of one context.

    Falls back to ``z3.And`` (which checks and coerces) unless every term is a plain ``BoolRef``
    of the first term's context.
    """
    c = terms[0].ctx
    for t in terms:
        if t.__class__ is not z3.BoolRef or t.ctx is not c:
            return z3.And(*terms)
    n = len(terms)
    arr = (z3.Ast * n)()
    for i, t in enumerate(terms):
        arr[i] = t.as_ast()
    return z3.BoolRef(z3core.Z3_mk_and(c.ref(), n, arr), c)


def not_term(term: Any) -> Any:
    """``z3.Not(term)`` for a Bool term (``z3.Not`` itself for anything but a plain BoolRef)."""
    if term.__class__ is not z3.BoolRef:
        return z3.Not(term)
    return z3.BoolRef(z3core.Z3_mk_not(term.ctx_ref(), term.as_ast()), term.ctx)
