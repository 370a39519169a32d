"""Python semantics of scalars and comparisons over Z3 terms.

Numeric conversions (bool -> int, int -> float with Python's rounding and OverflowError),
Python equality and ordering (int/float compared exactly, IEEE comparisons for floats,
lexicographic strings, element-wise containers) and truthiness.  Comparison helpers return a
Z3 ``Bool`` term (or a Python ``bool`` when the answer follows from the types alone) plus the
guards it needs; a comparison Python rejects for the given types raises
``PythonError("TypeError")``.
"""

from __future__ import annotations

from typing import Any

import z3

from codecot.solver import fp, raw
from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.types import FLOAT, INT, NUMERIC_KINDS, PyType
from codecot.solver.values import (
    MISSING,
    Guard,
    SymValue,
    concrete_value,
    encode,
    from_elem_term,
    literal_bool,
    new_guard,
)

#: Smallest magnitude an int cannot be converted to float from (rounds to 2**1024).
FLOAT_OVERFLOW = 2**1024 - 2**970

BoolTerm = Any  # a z3.BoolRef or a Python bool


def mk_and(parts: list[BoolTerm]) -> BoolTerm:
    """Conjunction that stays a Python bool while every part is one."""
    terms = []
    for p in parts:
        if p is False:
            return False
        if p is not True:
            terms.append(p)
    if not terms:
        return True
    return terms[0] if len(terms) == 1 else raw.and_terms(terms)


def mk_or(parts: list[BoolTerm]) -> BoolTerm:
    terms = []
    for p in parts:
        if p is True:
            return True
        if p is not False:
            terms.append(p)
    if not terms:
        return False
    return terms[0] if len(terms) == 1 else z3.Or(*terms)


def mk_not(p: BoolTerm) -> BoolTerm:
    if isinstance(p, bool):
        return not p
    return raw.not_term(p)


def known_bool(p: BoolTerm) -> BoolTerm:
    """``p`` as a Python bool if it is one or simplifies to a literal, else the term."""
    if isinstance(p, bool):
        return p
    known = literal_bool(p)
    return p if known is None else known


def to_term(p: BoolTerm) -> z3.BoolRef:
    if isinstance(p, bool):
        c = ctx()
        return c.true if p else c.false
    return p


def bool_value(p: BoolTerm, guards: tuple[Guard, ...] = ()) -> SymValue:
    """A ``bool`` value from a term or Python bool."""
    from codecot.solver.types import BOOL

    if isinstance(p, bool):
        return SymValue(BOOL, p, guards=guards)
    return SymValue(BOOL, raw=p, guards=guards)


# --- numbers ------------------------------------------------------------------------------


def int_term(v: SymValue) -> Any:
    """Term of an int or bool value as a Z3 Int."""
    c = ctx()
    if v.type.kind == "bool":
        if v.py is not MISSING:
            return z3.IntVal(int(v.py), c.z3)
        return z3.If(v.term, z3.IntVal(1, c.z3), z3.IntVal(0, c.z3))
    return v.term


def float_term(v: SymValue) -> tuple[Any, list[Guard]]:
    """Term of a numeric value as a float, with Python's int -> float conversion."""
    c = ctx()
    if v.type.kind == "float":
        return v.term, []
    if v.py is not MISSING:
        try:
            return z3.FPVal(float(v.py), None, c.float_sort, c.z3), []
        except OverflowError as exc:
            raise PythonError.from_exception(exc) from None
    i = int_term(v)
    real = z3.ToReal(i)
    guard = new_guard(z3.And(i < FLOAT_OVERFLOW, i > -FLOAT_OVERFLOW), "OverflowError")
    return z3.fpToFP(c.rne, real, c.float_sort, ctx=ctx().z3), [guard]


def is_numeric(v: SymValue) -> bool:
    return v.type.kind in NUMERIC_KINDS


def numeric_result_type(a: SymValue, b: SymValue) -> PyType:
    return FLOAT if FLOAT in (a.type, b.type) else INT


_FP_ORDER = {"<": fp.lt, "<=": fp.le, ">": fp.gt, ">=": fp.ge}
_SWAP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def _cmp(op: str, x: Any, y: Any) -> Any:
    if op == "==":
        return x == y
    if op == "!=":
        return x != y
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def numeric_compare(op: str, a: SymValue, b: SymValue) -> tuple[BoolTerm, list[Guard]]:
    """``a op b`` for int/bool/float operands: exact int-float comparison, IEEE for floats."""
    fa, fb = a.type.kind == "float", b.type.kind == "float"
    if not fa and not fb:
        x, y = int_term(a), int_term(b)
        if raw.same_sort(x, y):  # two Int terms: build without z3's coercion layer
            return raw.int_compare(op, x, y), []
        return _cmp(op, x, y), []
    if fa and fb:
        x, y = a.term, b.term
        if op == "==":
            return fp.eq(x, y), []
        if op == "!=":
            return z3.Not(fp.eq(x, y)), []
        return _FP_ORDER[op](x, y), []
    if fa:  # put the int on the left
        return numeric_compare(_SWAP[op], b, a)
    i, f = int_term(a), b.term
    nan, inf = fp.is_nan(f), fp.is_inf(f)
    real_cmp = _cmp(op, z3.ToReal(i), fp.to_real(f))
    if op in ("==", "!="):
        eq = z3.And(z3.Not(nan), z3.Not(inf), z3.ToReal(i) == fp.to_real(f))
        return (eq if op == "==" else z3.Not(eq)), []
    int_below = fp.is_positive(f)  # an int is below +inf and above -inf
    inf_result = int_below if op in ("<", "<=") else z3.Not(int_below)
    return z3.And(z3.Not(nan), z3.If(inf, inf_result, real_cmp)), []


# --- truthiness ---------------------------------------------------------------------------


def truth(v: SymValue) -> BoolTerm:
    """``bool(v)`` as a term (Python bool when known)."""
    py = v.py
    if py is not MISSING:
        return bool(py)
    kind = v.type.kind
    if kind == "bool":
        return v.term
    if kind == "int":
        return v.term != 0
    if kind == "float":
        return z3.Not(fp.is_zero(v.term))
    if kind in ("str", "list"):
        return z3.Length(v.term) != 0
    if kind == "tuple":
        return bool(v.type.args)
    if kind == "None":
        return False
    if kind == "dict" and v.raw is not None:
        return z3.Length(v.raw[0]) != 0
    raise Unsupported(f"truth value of a symbolic {v.type}")


# --- equality and ordering ----------------------------------------------------------------


def structural(t: PyType) -> bool:
    """Whether Z3 term equality is Python equality for values of type ``t``."""
    if t.kind in ("int", "bool", "str"):
        return True
    if t.kind == "list":
        return structural(t.elem)
    if t.kind == "tuple":
        return all(structural(a) for a in t.args)
    return False


_CONTAINERS = frozenset({"list", "tuple"})
_ENCODABLE = frozenset({"int", "bool", "float", "str", "None", "list", "tuple"})


def encodable(t: PyType) -> bool:
    """Whether values of type ``t`` have a term representation."""
    if t.kind == "list":
        return t.elem.kind == "?" or (encodable(t.elem) and t.elem.kind != "None")
    if t.kind == "tuple":
        return all(encodable(a) for a in t.args)
    return t.kind in _ENCODABLE


def seq_length(v: SymValue) -> int | None:
    """The length of a str/list/tuple value when it is known (possibly via ``simplify``)."""
    if v.py is not MISSING:
        return len(v.py)
    if v.type.kind == "tuple":
        return len(v.type.args)
    n = z3.simplify(z3.Length(v.term))
    return n.as_long() if z3.is_int_value(n) else None


def seq_items(v: SymValue) -> list[SymValue] | None:
    """Item values of a list/tuple/str whose length is known, else ``None``."""
    kind = v.type.kind
    if kind == "tuple":
        return list(v.items)
    if v.py is not MISSING:
        if kind == "str":
            from codecot.solver.types import STR

            return [SymValue(STR, ch) for ch in v.py]
        if kind == "list":
            return [SymValue(v.type.elem, x) for x in v.py]
        return None
    n = seq_length(v)
    if n is None:
        return None
    if kind == "str":
        from codecot.solver.types import STR

        return [SymValue(STR, raw=z3.SubString(v.term, i, 1)) for i in range(n)]
    return [from_elem_term(v.type.elem, v.term[i]) for i in range(n)]


def _fold_compare(op: str, a: SymValue, b: SymValue) -> BoolTerm:
    x, y = concrete_value(a), concrete_value(b)
    if x is MISSING or y is MISSING:
        raise Unsupported(f"comparison of symbolic {a.type} and {b.type}")
    try:
        return bool(_cmp(op, x, y))
    except Exception as exc:  # the Python comparison itself raised
        raise PythonError.from_exception(exc) from None


def equal(a: SymValue, b: SymValue) -> tuple[BoolTerm, list[Guard]]:
    """Python ``a == b``."""
    ka, kb = a.type.kind, b.type.kind
    if ka == "None" or kb == "None":
        if ka == kb:
            return True, []
        if encodable(a.type) and encodable(b.type):
            return False, []
        return _fold_compare("==", a, b), []
    if ka in NUMERIC_KINDS and kb in NUMERIC_KINDS:
        return numeric_compare("==", a, b)
    if "dict" in (ka, kb):
        from codecot.solver import dicts

        found = dicts.equal(a, b)
        if found is not None:
            return found
    if ka in _CONTAINERS and kb in _CONTAINERS and a.py is not MISSING and b.py is not MISSING:
        return _fold_compare("==", a, b), []  # known containers: Python's == is exact and fast
    if (ka == "bytes") != (kb == "bytes") and (ka in _ENCODABLE or kb in _ENCODABLE):
        return False, []  # bytes equal no str, number, list or tuple
    if not (encodable(a.type) and encodable(b.type)):
        if ka in _CONTAINERS and kb in _CONTAINERS:
            return _container_equal(a, b)
        return _fold_compare("==", a, b), []
    if ka != kb:
        return False, []  # str, list, tuple and numbers never compare equal across kinds
    if ka == "str":
        if a.py is not MISSING and b.py is not MISSING:
            return raw.same_sort_eq(a.term, b.term), []  # two String literals
        return a.term == b.term, []
    if ka == "tuple":
        if len(a.type.args) != len(b.type.args):
            return False, []
        return _all_equal(a.items, b.items)
    # two lists
    ta, tb = a.type, b.type
    if ta.elem.kind == "?" and a.py is not MISSING:
        return _length_zero(b, not a.py)
    if tb.elem.kind == "?" and b.py is not MISSING:
        return _length_zero(a, not b.py)
    if ta == tb and structural(ta):
        return a.term == b.term, []
    return _itemwise_equal(seq_items(a), seq_items(b),
                           f"element-wise equality of {ta} and {tb} needs known lengths")


def _container_equal(a: SymValue, b: SymValue) -> tuple[BoolTerm, list[Guard]]:
    """``a == b`` for lists or tuples of which one has no term form (``[x, None]`` against a
    symbolic ``list[str]``): item by item when both lengths are known, each known item with its
    own type."""
    if a.type.kind != b.type.kind:
        return False, []  # a list never equals a tuple
    return _itemwise_equal(_items_of(a), _items_of(b),
                           f"comparison of symbolic {a.type} and {b.type}")


def _itemwise_equal(xs: list[SymValue] | None, ys: list[SymValue] | None,
                    unknown: str) -> tuple[BoolTerm, list[Guard]]:
    """Sequences equal item by item; :class:`Unsupported` (``unknown``) when a length is
    unknown."""
    if xs is None or ys is None:
        raise Unsupported(unknown)
    if len(xs) != len(ys):
        return False, []
    return _all_equal(tuple(xs), tuple(ys))


def _items_of(v: SymValue) -> list[SymValue] | None:
    if v.py is not MISSING:
        return [encode(x) for x in v.py]
    return seq_items(v)


def _length_zero(v: SymValue, other_empty: bool) -> tuple[BoolTerm, list[Guard]]:
    if not other_empty:
        raise Unsupported("comparison with a list of unknown element type")
    n = seq_length(v)
    if n is not None:
        return n == 0, []
    return z3.Length(v.term) == 0, []


def _all_equal(xs: tuple[SymValue, ...], ys: tuple[SymValue, ...]) -> tuple[BoolTerm, list[Guard]]:
    parts, guards = [], []
    for x, y in zip(xs, ys, strict=True):
        p, g = equal(x, y)
        parts.append(p)
        guards.extend(g)
    return mk_and(parts), guards


def order(op: str, a: SymValue, b: SymValue) -> tuple[BoolTerm, list[Guard]]:
    """Python ``a op b`` for ``op`` in ``< <= > >=``."""
    ka, kb = a.type.kind, b.type.kind
    if ka in NUMERIC_KINDS and kb in NUMERIC_KINDS:
        return numeric_compare(op, a, b)
    if ka == "str" and kb == "str":
        x, y = a.term, b.term
        if op in (">", ">="):
            x, y, op = y, x, _SWAP[op]
        return (x < y if op == "<" else x <= y), []
    if (a.py is not MISSING and b.py is not MISSING) or not (encodable(a.type) and encodable(b.type)):
        return _fold_compare(op, a, b), []
    if ka != kb or ka not in ("list", "tuple"):
        raise PythonError("TypeError", f"'{op}' not supported between {a.type} and {b.type}")
    xs, ys = seq_items(a), seq_items(b)
    if xs is None or ys is None:
        raise Unsupported("lexicographic comparison of sequences of unknown length")
    # Python: find the first index where items differ; compare there, else compare lengths.
    result: BoolTerm = _cmp(op, len(xs), len(ys))
    guards: list[Guard] = []
    for x, y in reversed(list(zip(xs, ys, strict=False))):
        eq, g1 = equal(x, y)
        try:
            lt, g2 = order(op, x, y)
        except PythonError:  # raised only if this position is reached: not modelled
            raise Unsupported("ordering of sequences with incomparable items") from None
        guards.extend(g1 + g2)
        if eq is True:
            continue
        result = lt if eq is False else z3.If(eq, to_term(result), to_term(lt))
    return result, guards
