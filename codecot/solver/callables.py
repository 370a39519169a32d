"""Builtins as values: ``len`` in ``sorted(xs, key=len)``, ``str`` in ``str.maketrans(...)``,
``str.lower`` and ``d.get`` as key functions.

A name that is no variable at the point of a claim but names a builtin function or type
(:data:`codecot.claims.expr.BUILTIN_NAMES`) denotes that builtin, as Python resolves it; the
compiler asks :func:`builtin_value` for it only after the variables (a program variable with the
same name always wins).  The value is a concrete-only :class:`~codecot.solver.fold.BuiltinFunction`
of kind ``function``: passing it to a folded call lets Python call it, through the same checked
path as the call written out.  :func:`attribute_value` gives methods as values (an unbound
method of a builtin type, a static method, or a method bound to a concrete value: whitelisted
non-mutating methods only), and :func:`call_on` calls a method on a builtin type
(``str.maketrans('ab', 'xy')``, ``str.upper(s)``, ``dict.fromkeys(ks, 0)``,
``bytes.fromhex('ff')``).  Nothing here has a Z3 encoding: a symbolic operand is
:class:`Unsupported`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from codecot.claims.expr import BUILTIN_NAMES
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.fold import (
    BUILTINS,
    METHODS,
    TYPE_METHODS,
    BuiltinFunction,
    apply,
    invoke_builtin,
    invoke_method,
    invoke_type_method,
)
from codecot.solver.types import FUNCTION
from codecot.solver.values import MISSING, SymValue, concrete_value

_cache: dict[str, SymValue] = {}


def builtin_value(name: str) -> SymValue | None:
    """The builtin ``name`` as a value, or ``None`` if it names no builtin."""
    found = _cache.get(name)
    if found is None:
        if name not in BUILTIN_NAMES or name not in BUILTINS:
            return None
        target = BUILTINS[name]
        fn = BuiltinFunction(name, target, lambda *a, **k: invoke_builtin(name, a, k),
                             target if isinstance(target, type) else None)
        found = _cache[name] = SymValue(FUNCTION, fn)
    return found


def attribute_value(owner: SymValue, attr: str) -> SymValue:
    """``owner.attr`` without a call: a method as a value (see the module docstring)."""
    value = concrete_value(owner)
    if value is MISSING:
        raise Unsupported(f"attribute .{attr} of a symbolic {owner.type}")
    if isinstance(value, BuiltinFunction):
        return SymValue(FUNCTION, _type_attribute(value, attr))
    if attr not in METHODS.get(type(value), frozenset()):
        _missing(value, attr)
    bound = getattr(value, attr)
    fn = BuiltinFunction(f"{type(value).__name__}.{attr}", bound,
                         lambda *a, **k: invoke_method(value, attr, a, k))
    return SymValue(FUNCTION, fn)


def _type_attribute(fn: BuiltinFunction, attr: str) -> BuiltinFunction:
    owner = fn.as_type
    if owner is None:
        _missing(fn.target, attr)
    if attr in TYPE_METHODS.get(owner, frozenset()) or attr in METHODS.get(owner, frozenset()):
        return BuiltinFunction(f"{owner.__name__}.{attr}", getattr(owner, attr),
                               lambda *a, **k: invoke_type_method(owner, attr, a, k))
    _missing(owner, attr)


def _missing(obj: Any, attr: str) -> NoReturn:
    """Raise for an attribute outside the whitelist: unsupported if Python has it, else the
    AttributeError Python raises."""
    if hasattr(obj, attr):
        raise Unsupported(f"attribute .{attr} of {type(obj).__name__}")
    if isinstance(obj, type):
        raise PythonError("AttributeError",
                          f"type object {obj.__name__!r} has no attribute {attr!r}")
    raise PythonError("AttributeError", f"{type(obj).__name__!r} object has no attribute {attr!r}")


def call_on(receiver: BuiltinFunction, method: str, args: list[Any],
            kwargs: Mapping[str, Any]) -> SymValue:
    """``receiver.method(*args, **kwargs)`` where ``receiver`` is a builtin used as a value."""
    owner = receiver.as_type
    if owner is None:
        _missing(receiver.target, method)
    return apply(lambda *a, **k: invoke_type_method(owner, method, a, k), args, kwargs)
