"""A pure-Python reference evaluator for :mod:`codecot.claims.expr` trees.

``evaluate(expr, env)`` computes the value of an expression with plain Python operations on the
values in ``env``; only whitelisted builtins and methods are called (keyword arguments passed
through), nothing is ever passed to ``eval``.  It raises exactly the exception the Python
operation raises (ZeroDivisionError, IndexError, TypeError, ...), :class:`NotInSubset` for a
construct outside the subset (program function calls, unlisted attributes and methods) and
:class:`TooExpensive` instead of building huge values or running a call
:mod:`codecot.claims.safety` refuses.  It is the oracle of the solver's conformance test.

The same rules as the solver's compiler: a name that is no variable in ``env`` but names a
builtin (:data:`~codecot.claims.expr.BUILTIN_NAMES`) is that builtin, usable as a value
(``sorted(ws, key=len)``) and as the receiver of its type's methods (``str.maketrans('a', 'b')``);
``str.lower`` and ``d.get`` are methods as values.  Mutating methods (``nums.pop(1)``,
``d.setdefault(k, [])``) act on private deep copies of the variables they may change, made
before evaluation starts, so ``env`` is never changed; ``set.pop`` only on a set of at most one
element (otherwise the element popped depends on the set's history).
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any

from codecot.claims import expr as E
from codecot.claims.safety import MAX_SIZE, call_refusal, method_refusal


class NotInSubset(Exception):
    """The expression uses something the narration subset does not include."""


class TooExpensive(Exception):
    """The operation would build a value beyond :data:`MAX_SIZE` (or is refused as unsafe)."""


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "is": operator.is_, "is not": operator.is_not,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}
_BUILTINS: dict[str, Callable[..., Any]] = {
    "len": len, "sum": sum, "min": min, "max": max, "abs": abs, "sorted": sorted,
    "reversed": reversed, "list": list, "tuple": tuple, "set": set, "dict": dict, "str": str,
    "int": int, "float": float, "bool": bool, "range": range, "enumerate": enumerate,
    "zip": zip, "any": any, "all": all, "round": round, "ord": ord, "chr": chr, "repr": repr,
    "divmod": divmod, "bytes": bytes, "frozenset": frozenset, "bin": bin, "hex": hex, "oct": oct,
}
_TEXT_COMMON = frozenset({
    "upper", "lower", "swapcase", "capitalize", "title", "strip", "lstrip", "rstrip", "split",
    "rsplit", "splitlines", "join", "replace", "count", "find", "rfind", "index", "rindex",
    "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
    "istitle", "isascii", "center", "ljust", "rjust", "zfill", "partition", "rpartition",
    "removeprefix", "removesuffix", "expandtabs", "translate", "maketrans",
})
_STR = _TEXT_COMMON | {"casefold", "isnumeric", "isdecimal", "isidentifier", "isprintable",
                       "encode", "format"}
_BYTES = _TEXT_COMMON | {"decode", "hex"}
_SETS = frozenset({"union", "intersection", "difference", "symmetric_difference", "issubset",
                   "issuperset", "isdisjoint", "copy"})
_METHODS: dict[type, frozenset[str]] = {
    str: _STR, bytes: _BYTES, list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items", "copy"}), set: _SETS, frozenset: _SETS,
    range: frozenset({"count", "index"}),
}
_TYPE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset({"maketrans"}), bytes: frozenset({"maketrans", "fromhex"}),
    dict: frozenset({"fromkeys"}),
}
_MUTATING: dict[type, frozenset[str]] = {
    list: frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}),
    dict: frozenset({"pop", "popitem", "setdefault", "update", "clear"}),
    set: frozenset({"add", "discard", "remove", "clear", "update", "pop"}),
}
#: Calls whose result is a new container, which a mutating method may change in place.
_FRESH_CALLS = frozenset({"list", "dict", "set", "sorted"})


class Builtin:
    """A builtin function, type or method used as a value; calling it runs the same checked
    call as the call written out.  Compares and hashes like ``target``."""

    __slots__ = ("_call", "as_type", "target")

    def __init__(self, target: Any, call: Callable[..., Any], as_type: type | None = None) -> None:
        self.target = target
        self.as_type = as_type
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Builtin) and bool(self.target == other.target)

    def __hash__(self) -> int:
        return hash(self.target)


def evaluate(expr: E.Expr, env: Mapping[str, object]) -> Any:
    """The Python value of ``expr`` with variables from ``env`` (``env`` is never changed)."""
    roots = [n for n in E.mutation_roots(expr) if n in env]
    if roots:
        env = {**env, **{n: copy.deepcopy(env[n]) for n in roots}}
    return _Evaluator(env, frozenset(roots)).run(expr)


_SEQUENCES = (str, bytes, list, tuple)


def _size_check(value: Any) -> Any:
    if isinstance(value, (*_SEQUENCES, dict, set, frozenset)) and len(value) > MAX_SIZE:
        raise TooExpensive("value too large")
    if isinstance(value, int) and value.bit_length() > MAX_SIZE:
        raise TooExpensive("int too large")
    return value


def _too_large(op: str, a: Any, b: Any) -> bool:
    if op == "*" and isinstance(a, _SEQUENCES) and isinstance(b, int):
        return len(a) * b > MAX_SIZE
    if op == "*" and isinstance(b, _SEQUENCES) and isinstance(a, int):
        return len(b) * a > MAX_SIZE
    if op == "**" and isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        return b * abs(a).bit_length() > MAX_SIZE
    return False


def _binary(op: str, a: Any, b: Any) -> Any:
    if _too_large(op, a, b):
        raise TooExpensive(f"result of {op} too large")
    if op == "%" and isinstance(a, str | bytes):
        raise NotInSubset("printf-style formatting")
    return _size_check(_BINARY[op](a, b))


def _range_size(r: range) -> int:
    try:
        return len(r)
    except OverflowError:  # longer than sys.maxsize
        return MAX_SIZE + 1


def _consumes_huge(args: tuple[Any, ...]) -> bool:
    return any(isinstance(a, range) and _range_size(a) > MAX_SIZE for a in args)


def _call_builtin(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    if _consumes_huge((*args, *kwargs.values())) and name != "range":
        raise TooExpensive("iterating a huge range")
    reason = call_refusal(name, args, kwargs)
    if reason is not None:
        raise TooExpensive(reason)
    return _size_check(_BUILTINS[name](*args, **kwargs))


def _call_method(receiver: Any, method: str, args: tuple[Any, ...],
                 kwargs: Mapping[str, Any]) -> Any:
    if method not in _METHODS.get(type(receiver), frozenset()):
        if hasattr(receiver, method):
            raise NotInSubset(f"method {type(receiver).__name__}.{method}")
        raise AttributeError(f"{type(receiver).__name__!r} object has no attribute {method!r}")
    if method == "join" and args and iter(args[0]) is args[0]:  # a one-shot iterator
        items = list(islice(args[0], MAX_SIZE + 1))
        if len(items) > MAX_SIZE:
            raise TooExpensive("joining a huge iterator")
        args = (items, *args[1:])
    reason = method_refusal(receiver, method, args, kwargs)
    if reason is not None:
        raise TooExpensive(reason)
    return _size_check(getattr(receiver, method)(*args, **kwargs))


def _call_on_type(owner: type, method: str, args: tuple[Any, ...],
                  kwargs: Mapping[str, Any]) -> Any:
    if method in _TYPE_METHODS.get(owner, frozenset()):
        return _size_check(getattr(owner, method)(*args, **kwargs))
    if method not in _METHODS.get(owner, frozenset()):
        if hasattr(owner, method):
            raise NotInSubset(f"{owner.__name__}.{method}")
        raise AttributeError(f"type object {owner.__name__!r} has no attribute {method!r}")
    if args and isinstance(args[0], owner):
        return _call_method(args[0], method, args[1:], kwargs)
    return getattr(owner, method)(*args, **kwargs)  # Python's TypeError


def _builtin_value(name: str) -> Builtin:
    target = _BUILTINS[name]
    return Builtin(target, lambda *a, **k: _call_builtin(name, a, k),
                   target if isinstance(target, type) else None)


def _attribute(value: Any, attr: str) -> Builtin:
    owner = value.as_type if isinstance(value, Builtin) else None
    if owner is not None:
        if attr in _TYPE_METHODS.get(owner, frozenset()) | _METHODS.get(owner, frozenset()):
            return Builtin(getattr(owner, attr), lambda *a, **k: _call_on_type(owner, attr, a, k))
    elif not isinstance(value, Builtin) and attr in _METHODS.get(type(value), frozenset()):
        return Builtin(getattr(value, attr), lambda *a, **k: _call_method(value, attr, a, k))
    target = value.target if isinstance(value, Builtin) else value
    if hasattr(target, attr):
        raise NotInSubset(f"attribute .{attr}")
    raise AttributeError(f"{type(target).__name__!r} object has no attribute {attr!r}")


def _is_fresh(node: E.Expr) -> bool:
    if isinstance(node, E.ListExpr | E.DictExpr | E.SetExpr):
        return True
    return isinstance(node, E.Call) and node.func in _FRESH_CALLS


class _Evaluator:
    def __init__(self, env: Mapping[str, object], own: frozenset[str] = frozenset()) -> None:
        self.env = env
        #: variables holding private copies, which mutating methods may change
        self.own = own

    def run(self, node: E.Expr) -> Any:
        if isinstance(node, E.Const):
            return node.value
        if isinstance(node, E.Name):
            if node.id in self.env:
                return self.env[node.id]
            if node.id in E.BUILTIN_NAMES:
                return _builtin_value(node.id)
            raise NameError(f"name {node.id!r} is not defined")
        if isinstance(node, E.ListExpr):
            return [self.run(i) for i in node.items]
        if isinstance(node, E.TupleExpr):
            return tuple(self.run(i) for i in node.items)
        if isinstance(node, E.SetExpr):
            return {self.run(i) for i in node.items}
        if isinstance(node, E.DictExpr):
            return {self.run(k): self.run(v) for k, v in zip(node.keys, node.values, strict=True)}
        if isinstance(node, E.UnaryOp):
            v = self.run(node.operand)
            if node.op == "not":
                return not v
            return -v if node.op == "-" else +v
        if isinstance(node, E.BinOp):
            return _binary(node.op, self.run(node.left), self.run(node.right))
        if isinstance(node, E.BoolOp):
            return self._boolop(node)
        if isinstance(node, E.Compare):
            return self._compare(node)
        if isinstance(node, E.IfExp):
            return self.run(node.body) if self.run(node.test) else self.run(node.orelse)
        if isinstance(node, E.Index):
            return self.run(node.value)[self.run(node.index)]
        if isinstance(node, E.Slice):
            value = self.run(node.value)
            lo, hi, st = (None if b is None else self.run(b)
                          for b in (node.lower, node.upper, node.step))
            return value[lo:hi:st]
        if isinstance(node, E.Call):
            return self._call(node)
        if isinstance(node, E.MethodCall):
            return self._method(node)
        if isinstance(node, E.Attribute):
            return _attribute(self.run(node.value), node.attr)
        raise NotInSubset(f"{type(node).__name__} is outside the expression subset")

    def _boolop(self, node: E.BoolOp) -> Any:
        value = self.run(node.operands[0])
        for operand in node.operands[1:]:
            if (node.op == "and") != bool(value):
                return value
            value = self.run(operand)
        return value

    def _compare(self, node: E.Compare) -> Any:
        left = self.run(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self.run(comp)
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True

    def _kwargs(self, pairs: tuple[tuple[str, E.Expr], ...]) -> dict[str, Any]:
        if len({name for name, _ in pairs}) != len(pairs):
            raise TypeError("keyword argument repeated")
        return {name: self.run(value) for name, value in pairs}

    def _call(self, node: E.Call) -> Any:
        if node.func not in _BUILTINS:
            raise NotInSubset(f"call of {node.func}()")
        args = tuple(self.run(a) for a in node.args)
        return _call_builtin(node.func, args, self._kwargs(node.kwargs))

    def _method(self, node: E.MethodCall) -> Any:
        receiver = self.run(node.receiver)
        args = tuple(self.run(a) for a in node.args)
        kwargs = self._kwargs(node.kwargs)
        if isinstance(receiver, Builtin):
            if receiver.as_type is None:
                raise NotInSubset(f"attribute .{node.method} of a builtin function")
            return _call_on_type(receiver.as_type, node.method, args, kwargs)
        if node.method not in _MUTATING.get(type(receiver), frozenset()):
            return _call_method(receiver, node.method, args, kwargs)
        if E.receiver_root(node.receiver) not in self.own:
            if not _is_fresh(node.receiver):
                raise NotInSubset(f"mutating .{node.method}() of a value no variable holds")
            receiver = copy.deepcopy(receiver)
        if type(receiver) is set and node.method == "pop" and len(receiver) > 1:
            raise NotInSubset("set.pop() of a set of more than one element")
        result = getattr(receiver, node.method)(*args, **kwargs)
        _size_check(receiver)
        return _size_check(result)
