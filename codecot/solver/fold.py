"""Folding: computing an operation on concrete operands in Python and re-encoding the result.

Only whitelisted builtins and non-mutating methods are ever called, on values the solver layer
owns (never narration text).  Results that could be huge (``'a' * 10**9``, ``range(10**12)``
consumed by ``sum``) are refused with :class:`Unsupported` before they are computed.  Iterator
results (``reversed``, ``enumerate``, ``zip``) are materialised into :class:`ConcreteIterator`
so that they keep Python's observable behaviour: iterable, no ``len``, no indexing, and equal to
nothing but themselves.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.types import PyType, infer
from codecot.solver.values import MISSING, SymValue, concrete_value, encode

#: Largest container or string a fold may build or consume.
MAX_SIZE = 100_000
#: Largest number of bits of an int a fold may build.
MAX_INT_BITS = 100_000


class ConcreteIterator:
    """A materialised iterator (items already computed); compares by identity like Python's."""

    __slots__ = ("_items",)

    def __init__(self, values: tuple[Any, ...]) -> None:
        self._items = values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


ITERATOR = PyType("iterator")
_VIEW_TYPES: dict[type, str] = {
    type({}.keys()): "dict_keys", type({}.values()): "dict_values", type({}.items()): "dict_items",
}

BUILTINS: dict[str, Callable[..., Any]] = {
    name: getattr(builtins, name) for name in (
        "len", "sum", "min", "max", "abs", "sorted", "reversed", "list", "tuple", "set", "dict",
        "str", "int", "float", "bool", "range", "enumerate", "zip", "any", "all", "round", "ord",
        "chr", "repr", "divmod",
    )
}

_STR_METHODS = frozenset({
    "upper", "lower", "swapcase", "capitalize", "title", "casefold", "strip", "lstrip", "rstrip",
    "split", "rsplit", "splitlines", "join", "replace", "count", "find", "rfind", "index",
    "rindex", "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "isupper",
    "islower", "isnumeric", "isdecimal", "istitle", "isidentifier", "isascii", "isprintable",
    "center", "ljust", "rjust", "zfill", "partition", "rpartition", "removeprefix",
    "removesuffix", "expandtabs",
})
_SET_METHODS = frozenset({
    "union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset",
    "isdisjoint", "copy",
})
METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items", "copy"}),
    set: _SET_METHODS,
    frozenset: _SET_METHODS,
    range: frozenset({"count", "index"}),
}
#: Methods whose int arguments set the size of the result.
_SIZING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def wrap(result: Any) -> SymValue:
    """Encode a folded Python result (iterators materialised, dict views kept as they are)."""
    view_kind = _VIEW_TYPES.get(type(result))
    if view_kind is not None:
        return SymValue(PyType(view_kind), result)
    if isinstance(result, Iterator):
        values = tuple(islice(result, MAX_SIZE + 1))
        if len(values) > MAX_SIZE:
            raise Unsupported("iterator too long to materialise")
        return SymValue(ITERATOR, ConcreteIterator(values))
    if isinstance(result, ConcreteIterator):
        return SymValue(ITERATOR, result)
    infer(result)  # raises Unsupported for anything outside the value model
    return encode(result)


def _size(value: Any) -> int:
    try:
        return len(value)
    except OverflowError:  # a range longer than sys.maxsize
        return MAX_SIZE + 1


def _check_size(value: Any) -> None:
    if isinstance(value, (str, list, tuple, dict, set, frozenset, range)) and _size(value) > MAX_SIZE:
        raise Unsupported("value too large to fold")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise Unsupported("int too large to fold")


def concrete_args(values: Iterable[SymValue]) -> list[Any] | None:
    """Python values of all operands, or ``None`` if one is symbolic."""
    out = []
    for v in values:
        x = concrete_value(v)
        if x is MISSING:
            return None
        out.append(x)
    return out


def apply(fn: Callable[..., Any], args: list[Any]) -> SymValue:
    """Call ``fn(*args)`` with Python semantics; exceptions become :class:`PythonError`."""
    for a in args:
        _check_size(a)
    try:
        result = fn(*args)
    except (Unsupported, PythonError):
        raise
    except Exception as exc:
        raise PythonError.from_exception(exc) from None
    _check_size(result)
    return wrap(result)


def call_builtin(name: str, args: list[Any]) -> SymValue:
    """Fold the builtin ``name`` over concrete arguments."""
    fn = BUILTINS.get(name)
    if fn is None:
        raise Unsupported(f"call of {name}()")
    if name in ("str", "repr") and args and _has_iterator(args[0]):
        raise Unsupported(f"{name}() of an iterator (its text names a memory address)")
    if name == "reversed" and args and isinstance(args[0], ConcreteIterator):
        raise PythonError("TypeError", "'iterator' object is not reversible")
    return apply(fn, args)


def _has_iterator(value: Any) -> bool:
    if isinstance(value, ConcreteIterator):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_iterator(v) for v in value)
    if isinstance(value, dict):
        return any(_has_iterator(v) for v in value.values())
    return False


def call_method(receiver: Any, method: str, args: list[Any]) -> SymValue:
    """Fold ``receiver.method(*args)`` for a whitelisted non-mutating method."""
    allowed = METHODS.get(type(receiver), frozenset())
    if method not in allowed:
        if hasattr(receiver, method):
            raise Unsupported(f"method {type(receiver).__name__}.{method}")
        raise PythonError("AttributeError", f"{type(receiver).__name__!r} object has no "
                                            f"attribute {method!r}")
    if method in _SIZING_METHODS and any(isinstance(a, int) and a > MAX_SIZE for a in args):
        raise Unsupported("result too large to fold")
    return apply(getattr(receiver, method), args)
