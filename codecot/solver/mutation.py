"""Mutating method calls inside an expression: ``nums.pop(i)``, ``d.setdefault(k, [])``, ...

Python evaluates ``a.pop() + a.pop()`` left to right, and the second ``pop`` sees the first
one's effect.  The compiler gives such an expression its Python value: each variable a mutating
call may change (:func:`codecot.claims.expr.mutation_roots`) gets a :func:`private_copy` for the
rest of that one compilation, so the caller's values (which the trace view caches and shares
between claims) are never touched, and :func:`mutate` applies the method in place to the object
inside the copy.  Methods: list ``append extend insert pop remove clear sort reverse``; dict
``pop popitem setdefault update clear``; set ``add discard remove clear update pop`` (``pop``
only on a set of at most one element: which element Python pops from a larger set depends on
the history of its hash table, which no trace shows).  The trace does not show aliasing between
variables (each value is decoded on its own), so a mutation through one variable is not seen
through another.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from codecot.solver.errors import Unsupported
from codecot.solver.fold import apply, check_size, check_sizes
from codecot.solver.values import MISSING, SymValue, concrete_value

#: Mutating methods of each receiver type.
MUTATING: dict[type, frozenset[str]] = {
    list: frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}),
    dict: frozenset({"pop", "popitem", "setdefault", "update", "clear"}),
    set: frozenset({"add", "discard", "remove", "clear", "update", "pop"}),
}


def private_copy(value: SymValue) -> SymValue:
    """A deep copy of a concrete value, as a new value of the same type (a symbolic one is
    returned as it is: mutating it is unsupported)."""
    py = concrete_value(value)
    if py is MISSING:
        return value
    return SymValue(value.type, copy.deepcopy(py), guards=value.guards)


def mutates(receiver: Any, method: str) -> bool:
    """Whether ``receiver.method(...)`` is a mutating call this module applies."""
    return method in MUTATING.get(type(receiver), frozenset())


def mutate(receiver: Any, method: str, args: list[Any], kwargs: Mapping[str, Any]) -> SymValue:
    """Apply ``receiver.method(*args, **kwargs)`` in place (``receiver`` must be a private
    object: see the module docstring) and return its result."""
    if type(receiver) is set and method == "pop" and len(receiver) > 1:
        raise Unsupported("set.pop() of a set of more than one element (the element popped "
                          "depends on the set's history)")
    check_size(receiver)
    check_sizes(args, kwargs)
    result = apply(getattr(receiver, method), args, kwargs)
    check_size(receiver)
    return result
