"""The typed symbolic value layer: Python values as Z3 terms.

A :class:`SymValue` pairs a :class:`~codecot.solver.types.PyType` with its representation:

* ``int`` -> Z3 ``Int`` (unbounded); ``bool`` -> ``Bool``; ``float`` -> ``FPSort(11, 53)``
  (IEEE double, round-nearest-even); ``str`` -> Z3 ``String`` (code points up to ``0x2FFFF``,
  Z3's range; larger ones raise :class:`Unsupported`); ``None`` -> no term at all.
* ``list[E]`` -> ``Seq`` of the element sort (``E`` itself int, bool, float, str, a list or a
  tuple); a tuple *inside* a sequence is a Z3 tuple datatype value.
* ``tuple[T1, ..., Tn]`` on its own -> a fixed-length tuple of element :class:`SymValue` s.
* ``dict[K, V]`` (``K`` int or str, ``V`` anything a sequence holds) may be symbolic: its ``raw``
  is the pair (keys, values) of ``Seq`` terms in insertion order, of equal length, keys distinct
  (:func:`fresh` makes the constants ``name.keys`` and ``name.values``; :func:`dict_terms`).
* ``bytes``, ``set``, ``frozenset``, ``range``, iterators, dict views, builtins used as values
  (kind ``function``), other dicts and containers of mixed element types are *concrete-only*:
  they carry their Python value, every operation on them is folded in Python, and asking for
  their term raises :class:`Unsupported`.

A value may carry its concrete Python value (``py``), a term, or both; the term of a concrete
value is built lazily, the first time it is needed.  ``guards`` are conditions under which
computing the value does not raise in Python (each names the exception raised otherwise).
"""

from __future__ import annotations

import ctypes
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3
import z3.z3core as z3core

from codecot.solver.context import Z3Context, ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.raw import simplified_truth
from codecot.solver.types import ANY, PyType, infer, join, parse_tag

MAX_CODE_POINT = 0x2FFFF
#: Literal terms of scalars are cached per context, up to this many.
LITERAL_CACHE_SIZE = 4096


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Marker for "no concrete Python value known".
MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Guard:
    """``cond`` must hold, else Python raises ``exc`` (an exception class name)."""

    cond: z3.BoolRef
    exc: str


def new_guard(cond: Any, exc: str) -> Guard:
    """A guard for a new possible exception, checked at once: a condition that ``simplify``
    makes false (the operands are known and Python raises) raises :class:`PythonError`; one it
    makes true is kept as the literal ``True`` (and ignored by the decision procedures)."""
    known = literal_bool(cond)
    if known is False:
        raise PythonError(exc)
    return Guard(ctx().true if known else cond, exc)


def literal_bool(cond: Any) -> bool | None:
    """The truth value ``simplify`` gives a Bool term, or ``None`` if it is not a literal.

    Two passes, since one can leave e.g. ``Not("" == "1")`` for ``"" < "1"``.
    """
    return simplified_truth(cond)


@dataclass(frozen=True, slots=True, eq=False)
class SymValue:
    """A Python value of type ``type``: concrete (``py``), symbolic (``raw``), or both.

    ``raw`` is the Z3 term, or for a tuple the tuple of its item values.  Use :attr:`term` and
    :attr:`items` rather than ``raw``: they build the representation of a concrete value on
    first use.
    """

    type: PyType
    py: Any = MISSING
    raw: Any = None
    guards: tuple[Guard, ...] = ()

    @property
    def concrete(self) -> bool:
        """Whether the Python value is known without asking Z3."""
        return self.py is not MISSING

    @property
    def term(self) -> Any:
        """The Z3 term (not for tuples or ``None``); built on first use for concrete values."""
        if self.type.kind == "dict":
            raise Unsupported("a dict has no single term; use dict_terms")
        if self.raw is None:
            if self.type.kind == "tuple":
                raise Unsupported("a tuple has no single term; use items or elem_term")
            if self.py is MISSING:
                raise Unsupported(f"value of type {self.type} has no term")
            object.__setattr__(self, "raw", build_term(self.type, self.py))
        return self.raw

    @property
    def items(self) -> tuple[SymValue, ...]:
        """Item values of a tuple."""
        if self.type.kind != "tuple":
            raise TypeError("items of a non-tuple")
        if self.raw is None:
            object.__setattr__(self, "raw", tuple(
                SymValue(t, v) for t, v in zip(self.type.args, self.py, strict=True)))
        items: tuple[SymValue, ...] = self.raw
        return items

    def with_guards(self, guards: Sequence[Guard]) -> SymValue:
        if not guards:
            return self
        return SymValue(self.type, self.py, self.raw, self.guards + tuple(guards))


def concrete_value(v: SymValue) -> Any:
    """The Python value of ``v`` if it is known or Z3 simplifies it to a literal, else MISSING."""
    if v.py is not MISSING:
        return v.py
    kind = v.type.kind
    if kind == "None":
        return None
    if kind == "tuple":
        vals = [concrete_value(item) for item in v.items]
        if any(x is MISSING for x in vals):
            return MISSING
        out: Any = tuple(vals)
    elif kind == "dict":
        if v.raw is None:
            return MISSING
        try:
            ks, vs = (decode(z3.simplify(z3.simplify(x)), list_type)
                      for x, list_type in zip(v.raw, dict_list_types(v.type), strict=True))
        except Unsupported:
            return MISSING
        if len(ks) != len(vs):
            return MISSING
        out = dict(zip(ks, vs, strict=True))
    elif v.raw is None:
        return MISSING
    elif kind == "bool":
        out = simplified_truth(v.raw)
        if out is None:
            return MISSING
    else:
        simple = z3.simplify(v.raw)
        try:
            out = decode(simple, v.type)
        except Unsupported:
            try:  # a second pass finishes what the first leaves, e.g. Not("" == "1")
                out = decode(z3.simplify(simple), v.type)
            except Unsupported:
                return MISSING
    object.__setattr__(v, "py", out)
    return out


# --- sorts --------------------------------------------------------------------------------


def sort_of(t: PyType, c: Z3Context | None = None) -> Any:
    """Z3 sort of the term of a value of type ``t`` (tuples: their datatype sort)."""
    c = c or ctx()
    kind = t.kind
    if kind == "int" or kind == "?":
        return c.int_sort
    if kind == "bool":
        return c.bool_sort
    if kind == "float":
        return c.float_sort
    if kind == "str":
        return c.str_sort
    if kind == "list":
        key = ("seqsort", t)
        s = c.cache.get(key)
        if s is None:
            s = c.cache[key] = z3.SeqSort(sort_of(t.elem, c))
        return s
    if kind == "tuple":
        return _tuple_datatype(t, c)[0]
    raise Unsupported(f"no Z3 encoding for values of type {t}")


def _tuple_datatype(t: PyType, c: Z3Context) -> tuple[Any, Any, list[Any]]:
    key = ("tuplesort", t)
    found = c.cache.get(key)
    if found is None:
        sorts = [sort_of(a, c) for a in t.args]
        found = c.cache[key] = z3.TupleSort(f"tuple[{', '.join(map(str, t.args))}]", sorts, c.z3)
    return found


# --- concrete -> term ---------------------------------------------------------------------


def string_term(s: str, c: Z3Context | None = None) -> z3.SeqRef:
    """A Z3 string literal holding exactly the code points of ``s``."""
    c = c or ctx()
    codes = [ord(ch) for ch in s]
    if codes and max(codes) > MAX_CODE_POINT:
        raise Unsupported("string has a code point beyond Z3's range (0x2FFFF)")
    arr = (ctypes.c_uint * len(codes))(*codes)
    return z3.SeqRef(z3core.Z3_mk_u32string(c.z3.ref(), len(codes), arr), c.z3)


def build_term(t: PyType, py: Any) -> Any:
    """The Z3 term of the concrete value ``py`` of type ``t`` (tuples: a datatype value)."""
    c = ctx()
    kind = t.kind
    if kind == "bool":
        return c.true if py else c.false
    if kind in ("int", "float", "str"):
        key = (kind, py.hex() if kind == "float" else py)
        term = c.literals.get(key)
        if term is None:
            if len(c.literals) >= LITERAL_CACHE_SIZE:
                c.literals.clear()
            if kind == "int":
                term = z3.IntVal(int(py), c.z3)
            elif kind == "float":
                term = z3.FPVal(py, None, c.float_sort, c.z3)
            else:
                term = string_term(py, c)
            c.literals[key] = term
        return term
    if kind == "list":
        seq_sort = sort_of(t, c)
        if not py:
            return z3.Empty(seq_sort)
        units = [z3.Unit(build_term(t.elem, x)) for x in py]
        return units[0] if len(units) == 1 else z3.Concat(*units)
    if kind == "tuple":
        _, mk, _ = _tuple_datatype(t, c)
        return mk(*[build_term(a, x) for a, x in zip(t.args, py, strict=True)])
    raise Unsupported(f"no Z3 encoding for values of type {t}")


def dict_list_types(t: PyType) -> tuple[PyType, PyType]:
    """The list types of the keys and of the values of a dict type."""
    return PyType("list", (t.args[0],)), PyType("list", (t.args[1],))


def dict_terms(v: SymValue) -> tuple[Any, Any]:
    """The (keys, values) ``Seq`` terms of a dict value (built for a concrete one)."""
    if v.type.kind != "dict":
        raise TypeError("dict_terms of a non-dict")
    if v.raw is None:
        if v.py is MISSING:
            raise Unsupported(f"value of type {v.type} has no terms")
        kt, vt = dict_list_types(v.type)
        object.__setattr__(v, "raw", (build_term(kt, list(v.py)), build_term(vt, list(v.py.values()))))
    keys, values = v.raw
    return keys, values


def elem_term(v: SymValue) -> Any:
    """The term of ``v`` as an element of a sequence (tuples packed into their datatype)."""
    if v.type.kind != "tuple":
        return v.term
    if v.py is not MISSING:
        return build_term(v.type, v.py)
    _, mk, _ = _tuple_datatype(v.type, ctx())
    return mk(*[elem_term(i) for i in v.items])


def from_elem_term(t: PyType, term: Any, guards: tuple[Guard, ...] = ()) -> SymValue:
    """A value of type ``t`` from a sequence element term (tuples unpacked with accessors)."""
    if t.kind == "tuple":
        _, _, accessors = _tuple_datatype(t, ctx())
        items = tuple(from_elem_term(a, acc(term)) for a, acc in zip(t.args, accessors, strict=True))
        return SymValue(t, raw=items, guards=guards)
    return SymValue(t, raw=term, guards=guards)


def encode(value: object, type_tag: str | PyType | None = None) -> SymValue:
    """Encode a concrete Python value (optionally as the given type, e.g. ``[]`` as ``list[int]``).

    The term is built lazily; values that can never have one (dicts, sets, mixed containers)
    are still accepted as concrete-only values.  Objects of other classes raise
    :class:`Unsupported`.
    """
    actual = infer(value)
    if type_tag is None:
        return SymValue(actual, value)
    target = parse_tag(type_tag) if isinstance(type_tag, str) else type_tag
    if not fits(actual, target):
        raise Unsupported(f"value of type {actual} does not fit type {target}")
    return SymValue(target, value)


def opaque() -> SymValue:
    """A variable whose value has no encoding (e.g. an ``object:`` or ``omitted:`` trace value).

    The compiler raises :class:`Unsupported` when an expression reads it, so claims about it
    are unknown rather than false.
    """
    return SymValue(PyType("opaque"))


def encode_env(values: Mapping[str, object],
               types: Mapping[str, str] | None = None) -> dict[str, SymValue]:
    """Encode a map of concrete variables (with optional type tags); unencodable ones become
    :func:`opaque`."""
    out: dict[str, SymValue] = {}
    for name, value in values.items():
        try:
            out[name] = encode(value, None if types is None else types.get(name))
        except Unsupported:
            out[name] = opaque()
    return out


def fits(actual: PyType, target: PyType) -> bool:
    """Whether a value inferred as ``actual`` may be typed as ``target``."""
    return join(actual, target) == target


def coerce(v: SymValue, target: PyType) -> SymValue:
    """Retype ``v`` as ``target`` (only widening an unknown element type, e.g. ``list[]``)."""
    if v.type == target:
        return v
    if not fits(v.type, target):
        raise Unsupported(f"cannot use a value of type {v.type} as {target}")
    py = concrete_value(v)
    if py is MISSING:
        raise Unsupported(f"cannot retype a symbolic {v.type} as {target}")
    return SymValue(target, py, guards=v.guards)


def fresh(name: str, type_tag: str | PyType, *, length: int | None = None) -> SymValue:
    """A symbolic value named ``name`` (Z3 constant ``name``; tuple items ``name[i]``).

    ``length`` fixes the length of a list: its elements are then separate constants
    ``name[0]`` ... so that operations needing a concrete length can unroll.
    """
    c = ctx()
    t = parse_tag(type_tag) if isinstance(type_tag, str) else type_tag
    kind = t.kind
    if kind == "None":
        return SymValue(t, None)
    if kind == "tuple":
        return SymValue(t, raw=tuple(fresh(f"{name}[{i}]", a) for i, a in enumerate(t.args)))
    if kind == "dict":
        kt, vt = dict_list_types(t)
        if t.args[0].kind not in ("int", "str") or t.args[1] == ANY:
            raise Unsupported(f"no symbolic values of type {t}")
        return SymValue(t, raw=(z3.Const(f"{name}.keys", sort_of(kt, c)),
                                z3.Const(f"{name}.values", sort_of(vt, c))))
    if kind == "list" and length is not None:
        if t.elem == ANY:
            raise Unsupported("a fresh list needs an element type")
        if length == 0:
            return SymValue(t, raw=z3.Empty(sort_of(t, c)))
        units = [z3.Unit(elem_term(fresh(f"{name}[{i}]", t.elem))) for i in range(length)]
        return SymValue(t, raw=units[0] if length == 1 else z3.Concat(*units))
    if kind == "float":
        return SymValue(t, raw=z3.FP(name, c.float_sort))
    if kind in ("int", "bool", "str", "list"):
        if kind == "list" and t.elem == ANY:
            raise Unsupported("a fresh list needs an element type")
        return SymValue(t, raw=z3.Const(name, sort_of(t, c)))
    raise Unsupported(f"no symbolic values of type {t}")


def constants(v: SymValue) -> list[Any]:
    """The Z3 constants of a fresh value, matched item for item by :func:`binding_terms`."""
    if v.type.kind == "tuple":
        return [k for item in v.items for k in constants(item)]
    if v.type.kind == "None":
        return []
    if v.type.kind == "dict":
        return list(dict_terms(v))
    return [v.term]


def binding_terms(symbolic: SymValue, value: SymValue) -> list[tuple[Any, Any]]:
    """Pairs (constant, literal) binding the fresh value ``symbolic`` to the concrete ``value``."""
    if symbolic.type.kind == "tuple":
        if value.type.kind != "tuple" or len(value.type.args) != len(symbolic.type.args):
            raise Unsupported(f"cannot bind {symbolic.type} to {value.type}")
        return [p for s, v in zip(symbolic.items, value.items, strict=True)
                for p in binding_terms(s, v)]
    if symbolic.type.kind == "None":
        return []
    if symbolic.type.kind == "dict":
        value = coerce(value, symbolic.type)
        return list(zip(dict_terms(symbolic), dict_terms(value), strict=True))
    value = coerce(value, symbolic.type)
    return [(symbolic.term, value.term)]


# --- term -> Python -----------------------------------------------------------------------


def _string_value(term: Any) -> str:
    c = term.ctx
    n = z3core.Z3_get_string_length(c.ref(), term.as_ast())
    arr = (ctypes.c_uint * n)()
    z3core.Z3_get_string_contents(c.ref(), term.as_ast(), n, arr)
    return "".join(map(chr, arr))


def _float_value(term: Any) -> float:
    if z3.is_true(z3.simplify(z3.fpIsNaN(term, ctx=ctx().z3))):
        return math.nan
    bits = z3.simplify(z3.fpToIEEEBV(term, ctx=ctx().z3))
    if not z3.is_bv_value(bits):
        raise Unsupported("not a float literal")
    return float(struct.unpack(">d", bits.as_long().to_bytes(8, "big"))[0])


def _seq_items(term: Any) -> list[Any]:
    """Element terms of a sequence literal (iterative: simplified concatenations nest deeply)."""
    out: list[Any] = []
    stack = [term]
    while stack:
        node = stack.pop()
        if z3.is_app_of(node, z3.Z3_OP_SEQ_EMPTY):
            continue
        if z3.is_app_of(node, z3.Z3_OP_SEQ_UNIT):
            out.append(node.arg(0))
        elif z3.is_app_of(node, z3.Z3_OP_SEQ_CONCAT):
            stack.extend(reversed(node.children()))
        else:
            raise Unsupported("not a sequence literal")
    return out


def decode(term: Any, t: PyType) -> Any:
    """The Python value of a literal term of type ``t`` (from ``simplify`` or a model)."""
    kind = t.kind
    if kind == "None":
        return None
    if kind == "int":
        if not z3.is_int_value(term):
            raise Unsupported("not an int literal")
        return term.as_long()
    if kind == "bool":
        if z3.is_true(term):
            return True
        if z3.is_false(term):
            return False
        raise Unsupported("not a bool literal")
    if kind == "float":
        if not z3.is_fp_value(term):
            raise Unsupported("not a float literal")
        return _float_value(term)
    if kind == "str":
        if not z3.is_string_value(term):
            raise Unsupported("not a string literal")
        return _string_value(term)
    if kind == "list":
        return [decode(x, t.elem) for x in _seq_items(term)]
    if kind == "tuple":
        if not z3.is_app(term) or term.num_args() != len(t.args):
            raise Unsupported("not a tuple literal")
        return tuple(decode(x, a) for x, a in zip(term.children(), t.args, strict=True))
    raise Unsupported(f"cannot decode values of type {t}")


def decode_model(model: Any, v: SymValue) -> Any:
    """The value a Z3 model gives the (possibly symbolic) value ``v``."""
    if v.py is not MISSING:
        return v.py
    if v.type.kind == "tuple":
        return tuple(decode_model(model, i) for i in v.items)
    if v.type.kind == "None":
        return None
    if v.type.kind == "dict":
        ks, vs = (decode(model.eval(x, model_completion=True), lt)
                  for x, lt in zip(dict_terms(v), dict_list_types(v.type), strict=True))
        return dict(zip(ks, vs, strict=False))
    return decode(model.eval(v.term, model_completion=True), v.type)
