"""Sequence operations on str, list and tuple values: length, indexing, slicing, ``+``, ``*``
and ``in``.

Every function here takes values of which at least one may be symbolic (the compiler folds the
all-concrete case before calling them).  Out-of-range indexing becomes a guard (IndexError);
slicing follows Python's clamping; a step other than 1 needs a known length and known bounds.
"""

from __future__ import annotations

import operator
from typing import Any

import z3

from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.fold import apply as fold_apply
from codecot.solver.semantics import (
    equal,
    int_term,
    mk_or,
    seq_items,
    seq_length,
    structural,
)
from codecot.solver.types import INT, PyType, join
from codecot.solver.values import (
    MISSING,
    Guard,
    SymValue,
    coerce,
    concrete_value,
    elem_term,
    from_elem_term,
    new_guard,
)

#: Largest repetition count unrolled for a symbolic ``seq * n``.
MAX_REPEAT = 64


def _is_index(v: SymValue) -> bool:
    return v.type.kind in ("int", "bool")


def _guards(*values: SymValue | None) -> tuple[Guard, ...]:
    return tuple(g for v in values if v is not None for g in v.guards)


def length(v: SymValue) -> SymValue:
    kind = v.type.kind
    if kind == "tuple":
        return SymValue(INT, len(v.type.args), guards=v.guards)
    if kind in ("str", "list"):
        return SymValue(INT, raw=z3.Length(v.term), guards=v.guards)
    if kind == "dict" and v.raw is not None:
        from codecot.solver import dicts

        return dicts.length(v)
    raise Unsupported(f"len() of a symbolic {v.type}")


def index(v: SymValue, i: SymValue) -> SymValue:
    """``v[i]`` for a str, list or tuple ``v``."""
    kind = v.type.kind
    if kind == "dict" and v.raw is not None:
        from codecot.solver import dicts

        return dicts.index(v, i)
    if kind not in ("str", "list", "tuple"):
        if kind in ("int", "bool", "float", "None"):
            raise PythonError("TypeError", f"'{v.type}' object is not subscriptable")
        raise Unsupported(f"indexing a symbolic {v.type}")
    if not _is_index(i):
        raise PythonError("TypeError", f"indices must be integers, not {i.type}")
    guards = _guards(v, i)
    k = concrete_value(i)
    if kind == "tuple":
        items = v.items
        if k is not MISSING:
            if not -len(items) <= k < len(items):
                raise PythonError("IndexError", "tuple index out of range")
            return items[k].with_guards(guards)
        return _select(items, int_term(i), guards)
    n = z3.Length(v.term)
    j = int_term(i)
    in_range = new_guard(z3.And(-n <= j, j < n), "IndexError")
    pos = z3.If(j < 0, j + n, j) if k is MISSING or k < 0 else j
    if kind == "str":
        return SymValue(v.type, raw=z3.SubString(v.term, pos, 1), guards=(*guards, in_range))
    return from_elem_term(v.type.elem, v.term[pos], (*guards, in_range))


def _select(items: tuple[SymValue, ...], j: Any, guards: tuple[Guard, ...]) -> SymValue:
    n = len(items)
    types = {item.type for item in items}
    if len(types) != 1 or next(iter(types)).kind == "tuple":
        raise Unsupported("symbolic index into a tuple of mixed item types")
    t = types.pop()
    in_range = new_guard(z3.And(-n <= j, j < n), "IndexError")
    pos = z3.If(j < 0, j + n, j)
    result = items[-1].term
    for k in range(n - 2, -1, -1):
        result = z3.If(pos == k, items[k].term, result)
    item_guards = tuple(g for item in items for g in item.guards)
    return SymValue(t, raw=result, guards=(*guards, *item_guards, in_range))


def _bound(v: SymValue | None) -> SymValue | None:
    if v is None or v.type.kind == "None":
        return None
    if not _is_index(v):
        raise PythonError("TypeError", "slice indices must be integers or None")
    return v


def slice_(v: SymValue, lower: SymValue | None, upper: SymValue | None,
           step: SymValue | None) -> SymValue:
    """``v[lower:upper:step]`` with Python's clamping (``None`` for a missing bound)."""
    kind = v.type.kind
    if kind not in ("str", "list", "tuple"):
        if kind in ("int", "bool", "float", "None"):
            raise PythonError("TypeError", f"'{v.type}' object is not subscriptable")
        raise Unsupported(f"slicing a symbolic {v.type}")
    lo, hi, st = _bound(lower), _bound(upper), _bound(step)
    guards = _guards(v, lo, hi, st)
    bounds = [None if b is None else concrete_value(b) for b in (lo, hi, st)]
    step_value = 1 if st is None else bounds[2]
    if step_value == 0:
        raise PythonError("ValueError", "slice step cannot be zero")
    if step_value is not MISSING and MISSING not in bounds:
        n = seq_length(v)
        if n is not None and (step_value != 1 or kind == "tuple"):
            positions = range(n)[slice(bounds[0], bounds[1], step_value)]
            return _gather(v, list(positions), guards)
    if step_value != 1 or kind == "tuple":
        raise Unsupported("slice with a step other than 1 of a sequence of unknown length")
    n_term = z3.Length(v.term)
    start = _clamp(lo, n_term, 0)
    stop = _clamp(hi, n_term, None)
    size = z3.If(stop > start, stop - start, 0)
    if kind == "str":
        return SymValue(v.type, raw=z3.SubString(v.term, start, size), guards=guards)
    return SymValue(v.type, raw=z3.Extract(v.term, start, size), guards=guards)


def _clamp(b: SymValue | None, n: Any, default: int | None) -> Any:
    if b is None:
        return z3.IntVal(default, ctx().z3) if default is not None else n
    x = int_term(b)
    return z3.If(x < 0, z3.If(x + n < 0, 0, x + n), z3.If(x > n, n, x))


def _gather(v: SymValue, positions: list[int], guards: tuple[Guard, ...]) -> SymValue:
    items = seq_items(v)
    assert items is not None
    picked = [items[p] for p in positions]
    if v.type.kind == "tuple":
        return SymValue(PyType("tuple", tuple(p.type for p in picked)), raw=tuple(picked),
                        guards=guards)
    return from_items(v.type, picked, guards)


def from_items(t: PyType, picked: list[SymValue], guards: tuple[Guard, ...] = ()) -> SymValue:
    """A str or list value of type ``t`` made of the given items."""
    extra = tuple(g for p in picked for g in p.guards)
    if t.kind == "str":
        if not picked:
            return SymValue(t, "", guards=guards + extra)
        term = picked[0].term if len(picked) == 1 else z3.Concat(*[p.term for p in picked])
        return SymValue(t, raw=term, guards=guards + extra)
    seq_sort = z3.SeqSort(_elem_sort(t))
    if not picked:
        return SymValue(t, raw=z3.Empty(seq_sort), guards=guards + extra)
    units = [z3.Unit(elem_term(coerce(p, t.elem))) for p in picked]
    return SymValue(t, raw=units[0] if len(units) == 1 else z3.Concat(*units),
                    guards=guards + extra)


def _elem_sort(t: PyType) -> Any:
    from codecot.solver.values import sort_of

    return sort_of(t.elem)


def concat(a: SymValue, b: SymValue) -> SymValue:
    """``a + b`` for two str, two list or two tuple values."""
    ka, kb = a.type.kind, b.type.kind
    guards = _guards(a, b)
    if ka != kb or ka not in ("str", "list", "tuple"):
        raise PythonError("TypeError", f"can only concatenate {a.type} (not {b.type}) to it")
    if ka != "str" and a.py is not MISSING and b.py is not MISSING:
        return fold_apply(operator.add, [a.py, b.py]).with_guards(guards)
    if ka == "tuple":
        items = a.items + b.items
        return SymValue(PyType("tuple", tuple(i.type for i in items)), raw=items, guards=guards)
    if ka == "list" and a.type != b.type:
        t = join(a.type, b.type)
        if t.elem.kind == "union":
            raise Unsupported("list concatenation giving mixed element types")
        a, b = coerce(a, t), coerce(b, t)
    return SymValue(a.type, raw=z3.Concat(a.term, b.term), guards=guards)


def repeat(seq: SymValue, count: SymValue) -> SymValue:
    """``seq * count`` with a known count (a symbolic count is unsupported)."""
    if seq.type.kind not in ("str", "list", "tuple") or not _is_index(count):
        raise PythonError("TypeError", f"can't multiply sequence by non-int of type {count.type}")
    k = concrete_value(count)
    if k is MISSING:
        raise Unsupported("repetition by a symbolic count")
    guards = _guards(seq, count)
    k = max(int(k), 0)
    if k > MAX_REPEAT:
        raise Unsupported("repetition count too large to unroll")
    if seq.type.kind == "tuple":
        items = seq.items * k
        return SymValue(PyType("tuple", tuple(i.type for i in items)), raw=items, guards=guards)
    if k == 0:
        return SymValue(seq.type, "" if seq.type.kind == "str" else [], guards=guards)
    term = seq.term if k == 1 else z3.Concat(*([seq.term] * k))
    return SymValue(seq.type, raw=term, guards=guards)


def contains(item: SymValue, container: SymValue) -> tuple[Any, list[Guard]]:
    """Python ``item in container`` for a str, list or tuple container."""
    kind = container.type.kind
    if kind != "str" and item.py is not MISSING and container.py is not MISSING:
        return bool(fold_apply(operator.contains, [container.py, item.py]).py), []
    if kind == "str":
        if item.type.kind != "str":
            raise PythonError("TypeError", "'in <string>' requires string as left operand")
        return z3.Contains(container.term, item.term), []
    if kind == "tuple":
        parts, guards = [], []
        for x in container.items:
            p, g = equal(item, x)
            parts.append(p)
            guards.extend(g)
        return mk_or(parts), guards
    if kind == "list":
        elem = container.type.elem
        if elem.kind == "?":
            return False, []
        if structural(elem) and item.type == elem:
            return z3.Contains(container.term, z3.Unit(elem_term(item))), []
        items = seq_items(container)
        if items is None:
            raise Unsupported(f"membership of {item.type} in a symbolic {container.type}")
        parts, guards = [], []
        for x in items:
            p, g = equal(item, x)
            parts.append(p)
            guards.extend(g)
        return mk_or(parts), guards
    if kind in ("int", "bool", "float", "None"):
        raise PythonError("TypeError", f"argument of type '{container.type}' is not iterable")
    raise Unsupported(f"membership in a symbolic {container.type}")
