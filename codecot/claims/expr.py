"""Expression trees shared by the narration parser, the claim compiler and the reference evaluator.

An expression is the Python-like subset a narration may write: literals, variable names,
arithmetic, comparisons, boolean operators, indexing, slicing, calls of a fixed set of builtins
and method calls on values (with positional and keyword arguments).  Every node is a frozen
dataclass, so trees hash, compare by value and can be used as dictionary keys.  Nothing here
evaluates anything: evaluation lives in :mod:`codecot.claims.reference` (pure Python) and
:mod:`codecot.solver` (Z3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

#: Binary operators a narration may use, spelled as in Python.
BINARY_OPERATORS = ("+", "-", "*", "/", "//", "%", "**")
#: Comparison operators, spelled as in Python (``not in`` and ``is not`` included).
COMPARISON_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not")
#: Builtin functions a narration may call.
BUILTIN_FUNCTIONS = (
    "len", "sum", "min", "max", "abs", "sorted", "reversed", "list", "tuple", "set", "dict",
    "str", "int", "float", "bool", "range", "enumerate", "zip", "any", "all", "round", "ord",
    "chr", "repr", "divmod", "bytes", "frozenset", "bin", "hex", "oct",
)
#: Names that denote a builtin (function or type) where no program variable has the name, as
#: Python resolves them: ``len`` in ``sorted(xs, key=len)``, ``str`` in ``str.maketrans(...)``.
BUILTIN_NAMES = frozenset(BUILTIN_FUNCTIONS)
#: Method names that mutate a list, dict or set receiver (``xs.pop()``, ``d.setdefault(k, 0)``).
MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "popitem",
    "setdefault", "update", "add", "discard",
})


@dataclass(frozen=True, slots=True)
class Const:
    """A Python literal value (int, float, str, bool, None, bytes, or a tuple/frozenset of such).

    Mutable containers written as literals are :class:`ListExpr`, :class:`DictExpr` and
    :class:`SetExpr`, so that a tree stays hashable.
    """

    value: Any


@dataclass(frozen=True, slots=True)
class Name:
    """A program variable, resolved against the variables visible at the aligned trace point."""

    id: str


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class SetExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class DictExpr:
    keys: tuple[Expr, ...]
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class UnaryOp:
    """``-x``, ``+x`` or ``not x``."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``a and b and ...`` or ``a or b or ...`` (Python short-circuit value semantics)."""

    op: str
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison chain ``left op0 comparators[0] op1 comparators[1] ...``."""

    left: Expr
    ops: tuple[str, ...]
    comparators: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class IfExp:
    """``body if test else orelse``."""

    test: Expr
    body: Expr
    orelse: Expr


@dataclass(frozen=True, slots=True)
class Index:
    """``value[index]``."""

    value: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Slice:
    """``value[lower:upper:step]``; missing bounds are ``None``."""

    value: Expr
    lower: Expr | None
    upper: Expr | None
    step: Expr | None


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a builtin named in :data:`BUILTIN_FUNCTIONS`, or of a program function.

    ``kwargs`` are the keyword arguments ``(name, value)`` in the order written.
    """

    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class MethodCall:
    """``receiver.method(args..., name=value...)``, e.g. ``text.upper()``, ``', '.join(words)``
    or ``'{n}!'.format(n=3)``."""

    receiver: Expr
    method: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class Attribute:
    """``value.attr`` without a call (rare; kept so the parser never has to guess)."""

    value: Expr
    attr: str


@dataclass(frozen=True, slots=True)
class Lambda:
    """``lambda x: -x``: a function value, written where a call takes one (``key=...``) or
    where a call's argument is one.  It has no value a claim can compare; a call's argument
    written as a lambda is checked against the argument's source text."""

    params: tuple[str, ...]
    body: Expr


Expr = (
    Const | Name | ListExpr | TupleExpr | SetExpr | DictExpr | UnaryOp | BinOp | BoolOp
    | Compare | IfExp | Index | Slice | Call | MethodCall | Attribute | Lambda
)


def free_names(expr: Expr) -> frozenset[str]:
    """Return the names an expression reads (keyword argument values included).

    A name in :data:`BUILTIN_NAMES` is listed too: it is a variable where the program has one.
    """
    if expr.__class__ is Name:
        return frozenset((expr.id,))
    out: set[str] = set()
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        cls = node.__class__
        if cls is Name:
            out.add(node.id)
        elif cls is Const or node is None or cls is str:
            continue
        elif cls is Lambda:
            out.update(free_names(node.body) - frozenset(node.params))
        elif cls is tuple:
            stack.extend(node)
        else:
            for field in node.__slots__:
                stack.append(getattr(node, field))
    return frozenset(out)


def map_calls(expr: Expr, rewrite: Callable[[Call], Expr | None]) -> Expr:
    """``expr`` with each call ``f(...)`` (innermost first) replaced by ``rewrite(call)``, or
    kept where that is None."""
    def walk(node: Any) -> Any:
        cls = node.__class__
        if cls is tuple:
            return tuple(walk(x) for x in node)
        if node is None or cls is str or cls is Const or cls is Name:
            return node
        rebuilt = cls(*(walk(getattr(node, f)) for f in node.__slots__))
        if cls is Call:
            return rewrite(rebuilt) or rebuilt
        return rebuilt
    return cast(Expr, walk(expr))


def mutation_roots(expr: Expr) -> frozenset[str]:
    """Variables that a mutating method call in ``expr`` may change in place: the name at the
    root of the receiver of each ``receiver.m(...)`` with ``m`` in :data:`MUTATING_METHODS`,
    where the receiver is that name indexed or sliced any number of times (``d[k].append(x)``).
    """
    out: set[str] = set()
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        cls = node.__class__
        if cls is Const or cls is Name or node is None or cls is str:
            continue
        if cls is tuple:
            stack.extend(node)
            continue
        if cls is MethodCall and node.method in MUTATING_METHODS:
            root = receiver_root(node.receiver)
            if root is not None:
                out.add(root)
        for field in node.__slots__:
            stack.append(getattr(node, field))
    return frozenset(out)


def receiver_root(expr: Expr) -> str | None:
    """The variable ``expr`` reaches through indexing and slicing (``d[k][0]`` -> ``d``)."""
    while isinstance(expr, Index | Slice):
        expr = expr.value
    return expr.id if isinstance(expr, Name) else None
