"""Symbolic dicts: ``dict[K, V]`` values whose keys and values are ``Seq`` terms.

A symbolic dict (see :mod:`codecot.solver.values`) is the pair (keys, values) of sequences in
insertion order; the two have equal length and the keys are distinct (the concolic engine states
both as the domain of a dict parameter).  Modelled with symbolic operands: ``==``/``!=`` against
a dict of known length (Python's order-insensitive equality), ``len``, ``d[k]`` (KeyError as a
guard), ``k in d`` and ``d.get(k[, default])`` (default of the value type).  Everything else
raises :class:`Unsupported`.
"""

from __future__ import annotations

from typing import Any

import z3

from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.types import INT, PyType
from codecot.solver.values import (
    MISSING,
    Guard,
    SymValue,
    concrete_value,
    dict_terms,
    elem_term,
    from_elem_term,
    new_guard,
)


def _known_length(v: SymValue) -> int | None:
    if v.py is not MISSING:
        return len(v.py)
    n = z3.simplify(z3.Length(dict_terms(v)[0]))
    return n.as_long() if z3.is_int_value(n) else None


def _entries(v: SymValue, n: int) -> list[tuple[SymValue, SymValue]]:
    """The first ``n`` entries of ``v`` as (key, value) values."""
    if v.py is not MISSING:
        kt, vt = v.type.args
        return [(SymValue(kt, k), SymValue(vt, x)) for k, x in v.py.items()]
    keys, values = dict_terms(v)
    kt, vt = v.type.args
    return [(from_elem_term(kt, keys[i]), from_elem_term(vt, values[i])) for i in range(n)]


def equal(a: SymValue, b: SymValue) -> tuple[Any, list[Guard]] | None:
    """Python ``a == b`` when one operand is a symbolic dict (None: not a dict comparison)."""
    from codecot.solver.semantics import equal as eq
    from codecot.solver.semantics import mk_and, mk_or, to_term

    ka, kb = a.type.kind, b.type.kind
    if ka != "dict" and kb != "dict":
        return None
    if ka != kb:
        if "opaque" in (ka, kb) or "union" in (ka, kb):
            raise Unsupported(f"comparison of {a.type} and {b.type}")
        return False, []  # a dict equals no value of another type
    if a.py is not MISSING and b.py is not MISSING:
        return None
    n = _known_length(b)
    if n is None:
        a, b = b, a
        n = _known_length(b)
    if n is None:
        raise Unsupported("equality of two symbolic dicts of unknown sizes")
    a_keys, a_values = dict_terms(a)
    b_entries = _entries(b, n)
    a_entries = _entries(SymValue(a.type, raw=(a_keys, a_values)), n)
    guards: list[Guard] = []
    parts: list[Any] = [z3.Length(a_keys) == n, z3.Length(a_values) == n]
    for bk, bv in b_entries:
        options = []
        for ak, av in a_entries:
            k_eq, g1 = eq(ak, bk)
            if k_eq is False:
                continue
            v_eq, g2 = eq(av, bv)
            guards.extend(g1 + g2)
            options.append(mk_and([k_eq, v_eq]))
        parts.append(mk_or(options))
    return to_term(mk_and(parts)), guards


def length(v: SymValue) -> SymValue:
    return SymValue(INT, raw=z3.Length(dict_terms(v)[0]), guards=v.guards)


def _probe(d: SymValue, key: SymValue) -> Any:
    """The key sort term of ``key`` (None when no key of ``d`` can equal it)."""
    kt: PyType = d.type.args[0]
    kind = key.type.kind
    if kt.kind == "str":
        return elem_term(key) if kind == "str" else None
    if kind == "int":
        return key.term
    if kind == "bool":
        py = concrete_value(key)
        if py is not MISSING:
            return z3.IntVal(int(py), ctx().z3)
        return z3.If(key.term, 1, 0)
    if kind == "float":
        py = concrete_value(key)
        if py is MISSING:
            raise Unsupported("float lookup in a dict with int keys")
        return z3.IntVal(int(py), ctx().z3) if py == int(py) else None
    if kind in ("str", "None", "tuple", "list"):
        return None
    raise Unsupported(f"lookup of a {key.type} in a dict with {kt} keys")


def contains(key: SymValue, d: SymValue) -> tuple[Any, list[Guard]]:
    """``key in d``."""
    keys, _ = dict_terms(d)
    probe = _probe(d, key)
    if probe is None:
        return False, []
    return z3.Contains(keys, z3.Unit(probe)), []


def _lookup(d: SymValue, key: SymValue) -> tuple[Any, SymValue]:
    keys, values = dict_terms(d)
    probe = _probe(d, key)
    if probe is None:
        raise PythonError("KeyError", "the key cannot be in the dict")
    found = z3.Contains(keys, z3.Unit(probe))
    pos = z3.IndexOf(keys, z3.Unit(probe), 0)
    return found, from_elem_term(d.type.args[1], values[pos])


def index(d: SymValue, key: SymValue) -> SymValue:
    """``d[key]`` (KeyError unless the key is present)."""
    found, value = _lookup(d, key)
    return value.with_guards([*d.guards, *key.guards, new_guard(found, "KeyError")])


def get(d: SymValue, args: list[SymValue]) -> SymValue:
    """``d.get(key[, default])`` for a default of the value type."""
    if len(args) not in (1, 2):
        raise Unsupported(f"get() with {len(args)} arguments")
    if len(args) == 1 or args[1].type != d.type.args[1] or args[1].type.kind == "tuple":
        raise Unsupported("dict.get() with a default of another type")
    try:
        found, value = _lookup(d, args[0])
    except PythonError:
        return args[1]
    return SymValue(value.type, raw=z3.If(found, value.term, args[1].term),
                    guards=(*d.guards, *args[0].guards, *args[1].guards))
