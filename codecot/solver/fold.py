"""Folding: computing an operation on concrete operands in Python and re-encoding the result.

Only whitelisted builtins and non-mutating methods are ever called (keyword arguments passed
through), on values the solver layer owns (never narration text).  Results that could be huge
(``'a' * 10**9``, ``range(10**12)`` consumed by ``sum``, ``'{:>999999999}'.format(1)``) are
refused with :class:`Unsupported` before they are computed (:mod:`codecot.claims.safety`).
Builtin functions, types and methods used as values are :class:`BuiltinFunction` objects whose
calls take the same checked path.  Iterator results (``reversed``, ``enumerate``, ``zip``) are
materialised into :class:`ConcreteIterator` so that they keep Python's observable behaviour:
iterable, no ``len``, no indexing, and equal to nothing but themselves.  ``MAX_SIZE`` (the
largest container or string a fold may build or consume) is ``safety.MAX_SIZE``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from codecot.claims.safety import MAX_SIZE, call_refusal, method_refusal
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.types import PyType, infer
from codecot.solver.values import MISSING, SymValue, concrete_value, encode

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
        "chr", "repr", "divmod", "bytes", "frozenset", "bin", "hex", "oct",
    )
}

_STR_METHODS = frozenset({
    "upper", "lower", "swapcase", "capitalize", "title", "casefold", "strip", "lstrip", "rstrip",
    "split", "rsplit", "splitlines", "join", "replace", "count", "find", "rfind", "index",
    "rindex", "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "isupper",
    "islower", "isnumeric", "isdecimal", "istitle", "isidentifier", "isascii", "isprintable",
    "center", "ljust", "rjust", "zfill", "partition", "rpartition", "removeprefix",
    "removesuffix", "expandtabs", "encode", "format", "translate", "maketrans",
})
_BYTES_METHODS = frozenset({
    "decode", "hex", "upper", "lower", "swapcase", "capitalize", "title", "strip", "lstrip",
    "rstrip", "split", "rsplit", "splitlines", "join", "replace", "count", "find", "rfind",
    "index", "rindex", "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace",
    "isupper", "islower", "istitle", "isascii", "center", "ljust", "rjust", "zfill",
    "partition", "rpartition", "removeprefix", "removesuffix", "expandtabs", "translate",
    "maketrans",
})
_SET_METHODS = frozenset({
    "union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset",
    "isdisjoint", "copy",
})
#: Non-mutating methods folded on values of each type.
METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    bytes: _BYTES_METHODS,
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items", "copy"}),
    set: _SET_METHODS,
    frozenset: _SET_METHODS,
    range: frozenset({"count", "index"}),
}
#: Static and class methods called on the type itself (``str.maketrans``, ``dict.fromkeys``).
TYPE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset({"maketrans"}),
    bytes: frozenset({"maketrans", "fromhex"}),
    dict: frozenset({"fromkeys"}),
}


class BuiltinFunction:
    """A builtin function, type or method used as a value (``len``, ``str``, ``str.lower``,
    ``d.get``), a concrete-only value of kind ``function``.

    Calling it runs ``invoke``, the same checked call as the call written out (whitelist and
    size checks), so ``sorted(xs, key=len)`` folds with Python's ``sorted``.  It compares and
    hashes like ``target``, the Python object it stands for; ``as_type`` is that object when it
    is a type (``str.maketrans`` is looked up on it).
    """

    __slots__ = ("_invoke", "as_type", "label", "target")

    def __init__(self, label: str, target: Any, invoke: Callable[..., Any],
                 as_type: type | None = None) -> None:
        self.label = label
        self.target = target
        self.as_type = as_type
        self._invoke = invoke

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._invoke(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BuiltinFunction) and bool(self.target == other.target)

    def __hash__(self) -> int:
        return hash(self.target)

    def __repr__(self) -> str:
        return f"<builtin {self.label}>"


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


_SIZED = (str, bytes, list, tuple, dict, set, frozenset, range)


def check_size(value: Any) -> None:
    """Raise :class:`Unsupported` for a container, string or int too large to fold."""
    if isinstance(value, _SIZED) and _size(value) > MAX_SIZE:
        raise Unsupported("value too large to fold")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise Unsupported("int too large to fold")


def check_sizes(args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """:func:`check_size` of every argument."""
    for a in args:
        check_size(a)
    for a in kwargs.values():
        check_size(a)


def concrete_args(values: Iterable[SymValue]) -> list[Any] | None:
    """Python values of all operands, or ``None`` if one is symbolic."""
    out = []
    for v in values:
        x = concrete_value(v)
        if x is MISSING:
            return None
        out.append(x)
    return out


def apply(fn: Callable[..., Any], args: list[Any],
          kwargs: Mapping[str, Any] | None = None) -> SymValue:
    """Call ``fn(*args, **kwargs)`` with Python semantics; exceptions become
    :class:`PythonError`, a result too large to keep :class:`Unsupported`."""
    for a in args:
        check_size(a)
    return _fold(lambda: fn(*args, **(kwargs or {})))


def _fold(call: Callable[[], Any]) -> SymValue:
    """Run ``call`` (which checks its own arguments) as :func:`apply` runs a function."""
    try:
        result = call()
    except (Unsupported, PythonError):
        raise
    except Exception as exc:
        raise PythonError.from_exception(exc) from None
    check_size(result)
    return wrap(result)


_NO_KWARGS: Mapping[str, Any] = {}


def call_builtin(name: str, args: list[Any], kwargs: Mapping[str, Any] | None = None) -> SymValue:
    """Fold the builtin ``name`` over concrete arguments."""
    return _fold(lambda: invoke_builtin(name, tuple(args), kwargs or _NO_KWARGS))


def invoke_builtin(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """``name(*args, **kwargs)`` for a whitelisted builtin, as a plain Python call (Python's
    exceptions propagate); :class:`Unsupported` for a call that must not run."""
    fn = BUILTINS.get(name)
    if fn is None:
        raise Unsupported(f"call of {name}()")
    check_sizes(args, kwargs)
    if name in _CHECKED_BUILTINS:
        if name in ("str", "repr") and args and _has_opaque_text(args[0]):
            raise Unsupported(f"{name}() of an iterator or function (its text names a memory "
                              "address)")
        if name == "reversed" and args and isinstance(args[0], ConcreteIterator):
            raise TypeError("'iterator' object is not reversible")
        reason = call_refusal(name, args, kwargs)
        if reason is not None:
            raise Unsupported(reason)
    return fn(*args, **kwargs)


#: Builtins with checks of their own before they run (see safety.call_refusal).
_CHECKED_BUILTINS = frozenset({"str", "repr", "reversed", "bytes"})


def _has_opaque_text(value: Any) -> bool:
    if isinstance(value, ConcreteIterator | BuiltinFunction):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_opaque_text(v) for v in value)
    if isinstance(value, dict):
        return any(_has_opaque_text(v) for v in value.values())
    return False


def call_method(receiver: Any, method: str, args: list[Any],
                kwargs: Mapping[str, Any] | None = None) -> SymValue:
    """Fold ``receiver.method(*args, **kwargs)`` for a whitelisted non-mutating method."""
    return _fold(lambda: invoke_method(receiver, method, tuple(args), kwargs or _NO_KWARGS))


def invoke_method(receiver: Any, method: str, args: tuple[Any, ...],
                  kwargs: Mapping[str, Any]) -> Any:
    """``receiver.method(*args, **kwargs)`` for a whitelisted non-mutating method, as a plain
    Python call; :class:`Unsupported` for another existing method or a call that must not run."""
    allowed = METHODS.get(type(receiver), frozenset())
    if method not in allowed:
        if hasattr(receiver, method):
            raise Unsupported(f"method {type(receiver).__name__}.{method}")
        raise AttributeError(f"{type(receiver).__name__!r} object has no attribute {method!r}")
    check_sizes(args, kwargs)
    reason = method_refusal(receiver, method, args, kwargs)
    if reason is not None:
        raise Unsupported(reason)
    if method == "format" and any(_has_opaque_text(v) for v in (*args, *kwargs.values())):
        raise Unsupported("format() of an iterator or function (its text names a memory address)")
    return getattr(receiver, method)(*args, **kwargs)


def invoke_type_method(owner: type, method: str, args: tuple[Any, ...],
                       kwargs: Mapping[str, Any]) -> Any:
    """``owner.method(...)``: a static method of a builtin type (``str.maketrans('ab', 'xy')``)
    or one of its whitelisted methods called unbound (``str.upper(s)``), as a plain call."""
    if method in TYPE_METHODS.get(owner, frozenset()):
        check_sizes(args, kwargs)
        return getattr(owner, method)(*args, **kwargs)
    if method in METHODS.get(owner, frozenset()):
        if not args:
            raise TypeError(f"unbound method {owner.__name__}.{method}() needs an argument")
        if not isinstance(args[0], owner):
            raise TypeError(f"descriptor {method!r} for {owner.__name__!r} objects doesn't "
                            f"apply to a {type(args[0]).__name__!r} object")
        return invoke_method(args[0], method, args[1:], kwargs)
    if hasattr(owner, method):
        raise Unsupported(f"{owner.__name__}.{method}")
    raise AttributeError(f"type object {owner.__name__!r} has no attribute {method!r}")
