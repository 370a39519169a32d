"""A pure-Python reference evaluator for :mod:`codecot.claims.expr` trees.

``evaluate(expr, env)`` computes the value of an expression with plain Python operations on the
values in ``env``; only whitelisted builtins and non-mutating methods are called, nothing is
ever passed to ``eval``.  It raises exactly the exception the Python operation raises
(ZeroDivisionError, IndexError, TypeError, ...), :class:`NotInSubset` for a construct outside
the subset (program function calls, attributes, unlisted methods) and :class:`TooExpensive`
instead of building huge values.  It is the oracle of the solver's conformance test.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from codecot.claims import expr as E

#: Largest str/list/tuple/int (in bits) an operation may build.
MAX_SIZE = 100_000


class NotInSubset(Exception):
    """The expression uses something the narration subset does not include."""


class TooExpensive(Exception):
    """The operation would build a value beyond :data:`MAX_SIZE`."""


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
    "divmod": divmod,
}
_STR = frozenset({
    "upper", "lower", "swapcase", "capitalize", "title", "casefold", "strip", "lstrip", "rstrip",
    "split", "rsplit", "splitlines", "join", "replace", "count", "find", "rfind", "index",
    "rindex", "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isspace", "isupper",
    "islower", "isnumeric", "isdecimal", "istitle", "isidentifier", "isascii", "isprintable",
    "center", "ljust", "rjust", "zfill", "partition", "rpartition", "removeprefix",
    "removesuffix", "expandtabs",
})
_SETS = frozenset({"union", "intersection", "difference", "symmetric_difference", "issubset",
                   "issuperset", "isdisjoint", "copy"})
_METHODS: dict[type, frozenset[str]] = {
    str: _STR, list: frozenset({"count", "index", "copy"}), tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items", "copy"}), set: _SETS, frozenset: _SETS,
    range: frozenset({"count", "index"}),
}


def evaluate(expr: E.Expr, env: Mapping[str, object]) -> Any:
    """The Python value of ``expr`` with variables from ``env``."""
    return _Evaluator(env).run(expr)


def _size_check(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_SIZE:
        raise TooExpensive("value too large")
    if isinstance(value, int) and value.bit_length() > MAX_SIZE:
        raise TooExpensive("int too large")
    return value


def _too_large(op: str, a: Any, b: Any) -> bool:
    seqs = (str, list, tuple)
    if op == "*" and isinstance(a, seqs) and isinstance(b, int):
        return len(a) * b > MAX_SIZE
    if op == "*" and isinstance(b, seqs) and isinstance(a, int):
        return len(b) * a > MAX_SIZE
    if op == "**" and isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        return b * abs(a).bit_length() > MAX_SIZE
    return False


def _binary(op: str, a: Any, b: Any) -> Any:
    if _too_large(op, a, b):
        raise TooExpensive(f"result of {op} too large")
    return _size_check(_BINARY[op](a, b))


def _range_size(r: range) -> int:
    try:
        return len(r)
    except OverflowError:  # longer than sys.maxsize
        return MAX_SIZE + 1


def _consumes_huge(args: tuple[Any, ...]) -> bool:
    return any(isinstance(a, range) and _range_size(a) > MAX_SIZE for a in args)


class _Evaluator:
    def __init__(self, env: Mapping[str, object]) -> None:
        self.env = env

    def run(self, node: E.Expr) -> Any:
        if isinstance(node, E.Const):
            return node.value
        if isinstance(node, E.Name):
            if node.id not in self.env:
                raise NameError(f"name {node.id!r} is not defined")
            return self.env[node.id]
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

    def _call(self, node: E.Call) -> Any:
        fn = _BUILTINS.get(node.func)
        if fn is None:
            raise NotInSubset(f"call of {node.func}()")
        args = tuple(self.run(a) for a in node.args)
        if _consumes_huge(args) and node.func != "range":
            raise TooExpensive("iterating a huge range")
        return _size_check(fn(*args))

    def _method(self, node: E.MethodCall) -> Any:
        receiver = self.run(node.receiver)
        args = tuple(self.run(a) for a in node.args)
        if node.method not in _METHODS.get(type(receiver), frozenset()):
            if hasattr(receiver, node.method):
                raise NotInSubset(f"method {type(receiver).__name__}.{node.method}")
            raise AttributeError(f"{type(receiver).__name__!r} object has no attribute "
                                 f"{node.method!r}")
        if node.method in ("center", "ljust", "rjust", "zfill", "expandtabs") and any(
                isinstance(a, int) and a > MAX_SIZE for a in args):
            raise TooExpensive("padding too large")
        return _size_check(getattr(receiver, node.method)(*args))
