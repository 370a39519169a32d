"""Builtin calls and method calls.

With concrete arguments every whitelisted builtin and method is folded in Python
(:mod:`codecot.solver.fold`).  With symbolic arguments the following have Z3 encodings:
``len``, ``abs``, ``min``/``max`` (of scalars of one type, or of a sequence of known length),
``sum`` (ints, known length), ``str`` (of int, bool, str), ``int`` (of int, bool, float),
``float`` (of int, float), ``bool``, ``ord``, ``divmod`` (ints), ``list``/``tuple`` (known
length); str ``startswith``/``endswith``/``find``/``index`` (one argument), ``replace`` (known
non-empty pattern, every occurrence), ``join`` (known length), ``count``/``index`` of lists and
tuples of known length.  Everything else is :class:`Unsupported` when symbolic.  (Calls with
keyword arguments, on builtin types, and mutating calls are folded by the compiler only.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3
import z3.z3core as z3core

from codecot.solver import fp
from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.fold import call_builtin, call_method, concrete_args
from codecot.solver.semantics import (
    bool_value,
    equal,
    float_term,
    int_term,
    order,
    seq_items,
    to_term,
    truth,
)
from codecot.solver.sequences import from_items, length
from codecot.solver.types import FLOAT, INT, STR, PyType, list_of
from codecot.solver.values import Guard, SymValue, new_guard, string_term


def _guards(args: list[SymValue]) -> tuple[Guard, ...]:
    return tuple(g for a in args for g in a.guards)


def call(name: str, args: list[SymValue]) -> SymValue:
    """``name(*args)`` for a builtin name."""
    values = concrete_args(args)
    if values is not None:
        return call_builtin(name, values)
    handler = _BUILTIN_HANDLERS.get(name)
    if handler is None:
        raise Unsupported(f"{name}() of symbolic arguments")
    return handler(args).with_guards(_guards(args))


def method(receiver: SymValue, name: str, args: list[SymValue]) -> SymValue:
    """``receiver.name(*args)``."""
    values = concrete_args([receiver, *args])
    if values is not None:
        return call_method(values[0], name, values[1:])
    handler = _METHOD_HANDLERS.get((receiver.type.kind, name))
    if handler is None:
        raise Unsupported(f"{receiver.type}.{name}() with symbolic operands")
    return handler(receiver, args).with_guards(_guards([receiver, *args]))


def _arity(args: list[SymValue], n: int, name: str) -> None:
    if len(args) != n:
        raise Unsupported(f"{name}() with {len(args)} arguments")


# --- builtins -----------------------------------------------------------------------------


def _len(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "len")
    if args[0].type.kind in ("int", "bool", "float", "None"):
        raise PythonError("TypeError", f"object of type '{args[0].type}' has no len()")
    return length(args[0])


def _abs(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "abs")
    v = args[0]
    if v.type.kind == "float":
        return SymValue(FLOAT, raw=fp.abs_(v.term))
    if v.type.kind in ("int", "bool"):
        x = int_term(v)
        return SymValue(INT, raw=z3.If(x < 0, -x, x))
    raise PythonError("TypeError", f"bad operand type for abs(): '{v.type}'")


def _extremum(pick_later: str) -> Callable[[list[SymValue]], SymValue]:
    """``max`` keeps the first item unless a later one is strictly greater (``min``: less)."""

    def run(args: list[SymValue]) -> SymValue:
        items: list[SymValue] | None = args
        if len(args) == 1:
            items = seq_items(args[0]) if args[0].type.kind in ("list", "tuple", "str") else None
            if items is None:
                raise Unsupported("min()/max() of a sequence of unknown length")
            if not items:
                raise PythonError("ValueError", "arg is an empty sequence")
        assert items is not None
        types = {i.type for i in items}
        if len(types) != 1 or next(iter(types)).kind not in ("int", "float", "str", "bool"):
            raise Unsupported("min()/max() over items of mixed or container types")
        best = items[0]
        term = best.term
        for item in items[1:]:
            better, _ = order(pick_later, item, SymValue(best.type, raw=term))
            term = z3.If(to_term(better), item.term, term)
        return SymValue(best.type, raw=term, guards=_guards(items))

    return run


def _sum(args: list[SymValue]) -> SymValue:
    if len(args) not in (1, 2):
        raise Unsupported("sum() arity")
    items = seq_items(args[0]) if args[0].type.kind in ("list", "tuple") else None
    if items is None:
        raise Unsupported("sum() of a sequence of unknown length")
    start = args[1] if len(args) == 2 else SymValue(INT, 0)
    if any(i.type.kind not in ("int", "bool") for i in [*items, start]):
        raise Unsupported("symbolic sum() of non-int items")
    total = int_term(start)
    for item in items:
        total = total + int_term(item)
    return SymValue(INT, raw=total, guards=_guards(items))


def _int_to_str(x: Any) -> Any:
    c = ctx()
    minus = string_term("-", c)
    return z3.If(x >= 0, z3.IntToStr(x), z3.Concat(minus, z3.IntToStr(-x)))


def _str(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "str")
    v = args[0]
    if v.type.kind == "str":
        return SymValue(STR, raw=v.term)
    if v.type.kind == "int":
        return SymValue(STR, raw=_int_to_str(v.term))
    if v.type.kind == "bool":
        return SymValue(STR, raw=z3.If(v.term, string_term("True"), string_term("False")))
    raise Unsupported(f"str() of a symbolic {v.type}")


def _int(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "int")
    v = args[0]
    if v.type.kind in ("int", "bool"):
        return SymValue(INT, raw=int_term(v))
    if v.type.kind == "float":
        f = v.term
        real = fp.to_real(f)
        guards = (new_guard(z3.Not(fp.is_nan(f)), "ValueError"),
                  new_guard(z3.Not(fp.is_inf(f)), "OverflowError"))
        truncated = z3.If(real >= 0, z3.ToInt(real), -z3.ToInt(-real))
        return SymValue(INT, raw=truncated, guards=guards)
    raise Unsupported(f"int() of a symbolic {v.type}")


def _float(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "float")
    v = args[0]
    if v.type.kind in ("int", "bool", "float"):
        term, guards = float_term(v)
        return SymValue(FLOAT, raw=term, guards=tuple(guards))
    raise Unsupported(f"float() of a symbolic {v.type}")


def _bool(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "bool")
    return bool_value(truth(args[0]))


def _ord(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "ord")
    v = args[0]
    if v.type.kind != "str":
        raise PythonError("TypeError", f"ord() expected string of length 1, but {v.type} found")
    guard = new_guard(z3.Length(v.term) == 1, "TypeError")
    return SymValue(INT, raw=z3.StrToCode(v.term), guards=(guard,))


def _divmod(args: list[SymValue]) -> SymValue:
    from codecot.solver.arith import binop

    _arity(args, 2, "divmod")
    if not all(a.type.kind in ("int", "bool") for a in args):
        raise Unsupported("symbolic divmod() of non-ints")
    q, r = binop("//", args[0], args[1]), binop("%", args[0], args[1])
    return SymValue(PyType("tuple", (INT, INT)), raw=(q, r))


def _list(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "list")
    v = args[0]
    if v.type.kind == "list":
        return SymValue(v.type, raw=v.term)
    items = seq_items(v) if v.type.kind in ("str", "tuple") else None
    if items is None:
        raise Unsupported(f"list() of a symbolic {v.type}")
    types = {i.type for i in items}
    if len(types) > 1:
        raise Unsupported("list() of a tuple with mixed item types")
    elem = types.pop() if types else PyType("?")
    return from_items(list_of(elem), items)


def _tuple(args: list[SymValue]) -> SymValue:
    _arity(args, 1, "tuple")
    items = seq_items(args[0]) if args[0].type.kind in ("str", "list", "tuple") else None
    if items is None:
        raise Unsupported(f"tuple() of a symbolic {args[0].type}")
    return SymValue(PyType("tuple", tuple(i.type for i in items)), raw=tuple(items))


_BUILTIN_HANDLERS: dict[str, Callable[[list[SymValue]], SymValue]] = {
    "len": _len, "abs": _abs, "max": _extremum(">"), "min": _extremum("<"), "sum": _sum,
    "str": _str, "int": _int, "float": _float, "bool": _bool, "ord": _ord, "divmod": _divmod,
    "list": _list, "tuple": _tuple,
}


# --- methods ------------------------------------------------------------------------------


def _str_arg(args: list[SymValue], name: str) -> SymValue:
    if len(args) != 1:
        raise Unsupported(f"str.{name}() with {len(args)} arguments")
    if args[0].type.kind != "str":
        raise PythonError("TypeError", f"str.{name}() argument must be str, not {args[0].type}")
    return args[0]


def _startswith(s: SymValue, args: list[SymValue]) -> SymValue:
    return bool_value(z3.PrefixOf(_str_arg(args, "startswith").term, s.term))


def _endswith(s: SymValue, args: list[SymValue]) -> SymValue:
    return bool_value(z3.SuffixOf(_str_arg(args, "endswith").term, s.term))


def _find(s: SymValue, args: list[SymValue]) -> SymValue:
    sub = _str_arg(args, "find")
    return SymValue(INT, raw=z3.IndexOf(s.term, sub.term, 0))


def _str_index(s: SymValue, args: list[SymValue]) -> SymValue:
    found = _find(s, args)
    return SymValue(INT, raw=found.term, guards=(new_guard(found.term >= 0, "ValueError"),))


def _replace(s: SymValue, args: list[SymValue]) -> SymValue:
    if len(args) != 2 or any(a.type.kind != "str" for a in args):
        raise Unsupported("str.replace() with a count or non-str arguments")
    old = concrete_args(args[:1])
    if old is None or old[0] == "":
        raise Unsupported("str.replace() of a symbolic or empty pattern")
    c = ctx()
    ast = z3core.Z3_mk_seq_replace_all(c.z3.ref(), s.term.as_ast(), args[0].term.as_ast(),
                                       args[1].term.as_ast())
    return SymValue(STR, raw=z3.SeqRef(ast, c.z3))


def _join(sep: SymValue, args: list[SymValue]) -> SymValue:
    _arity(args, 1, "join")
    v = args[0]
    items = seq_items(v) if v.type.kind in ("list", "tuple", "str") else None
    if items is None:
        raise Unsupported("str.join() of a sequence of unknown length")
    if any(i.type.kind != "str" for i in items):
        raise PythonError("TypeError", "sequence item: expected str instance")
    parts: list[SymValue] = []
    for k, item in enumerate(items):
        if k:
            parts.append(sep)
        parts.append(item)
    return from_items(STR, parts)


def _seq_count(v: SymValue, args: list[SymValue]) -> SymValue:
    _arity(args, 1, "count")
    items = seq_items(v)
    if items is None:
        raise Unsupported("count() of a sequence of unknown length")
    total: Any = z3.IntVal(0, ctx().z3)
    guards: list[Guard] = []
    for item in items:
        eq, g = equal(item, args[0])
        guards.extend(g)
        total = total + z3.If(to_term(eq), 1, 0)
    return SymValue(INT, raw=total, guards=tuple(guards))


def _seq_index(v: SymValue, args: list[SymValue]) -> SymValue:
    _arity(args, 1, "index")
    items = seq_items(v)
    if items is None:
        raise Unsupported("index() of a sequence of unknown length")
    c = ctx()
    result: Any = z3.IntVal(-1, c.z3)
    for k in range(len(items) - 1, -1, -1):
        eq, _ = equal(items[k], args[0])
        result = z3.If(to_term(eq), z3.IntVal(k, c.z3), result)
    return SymValue(INT, raw=result, guards=(new_guard(result >= 0, "ValueError"),))


_METHOD_HANDLERS: dict[tuple[str, str], Callable[[SymValue, list[SymValue]], SymValue]] = {
    ("str", "startswith"): _startswith, ("str", "endswith"): _endswith, ("str", "find"): _find,
    ("str", "index"): _str_index, ("str", "replace"): _replace, ("str", "join"): _join,
    ("list", "count"): _seq_count, ("list", "index"): _seq_index,
    ("tuple", "count"): _seq_count, ("tuple", "index"): _seq_index,
    ("dict", "get"): lambda d, args: _dict_get(d, args),
}


def _dict_get(d: SymValue, args: list[SymValue]) -> SymValue:
    from codecot.solver import dicts

    return dicts.get(d, args)
