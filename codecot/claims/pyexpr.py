"""Expression trees from program source and from traced values (for narrators and checkers).

``expr_from_source`` converts a Python expression taken from the *program* (never from a
narration) into a :mod:`codecot.claims.expr` tree, or returns ``None`` when it uses anything
outside the narration subset (lambdas, comprehensions, f-strings, ``*a`` and ``**d``
arguments, a program function used as a value, ...).  Keyword arguments are kept.
``value_to_expr`` writes a traced Python value as a literal tree.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from codecot.claims import expr as E

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**",
}
_CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}
_UNARY: dict[type[ast.unaryop], str] = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}


class _Unsupported(Exception):
    pass


def expr_from_source(src: str, functions: frozenset[str] = frozenset()) -> E.Expr | None:
    """Parse program expression text; ``functions`` are program functions that may be called."""
    try:
        tree = ast.parse(src.strip(), mode="eval")
        return expr_from_ast(tree.body, functions)
    except (SyntaxError, ValueError, _Unsupported, RecursionError):
        return None


def argument_from_source(src: str, functions: frozenset[str] = frozenset()) -> E.Expr | None:
    """Like :func:`expr_from_source`, for the text of a call's argument, where an attribute
    without a call names a method used as a value (``str.lower``)."""
    try:
        tree = ast.parse(src.strip(), mode="eval")
        return _argument(tree.body, functions)
    except (SyntaxError, ValueError, _Unsupported, RecursionError):
        return None


def expr_from_ast_or_none(node: ast.expr, functions: frozenset[str] = frozenset()) -> E.Expr | None:
    try:
        return expr_from_ast(node, functions)
    except (_Unsupported, RecursionError):
        return None


def expr_from_ast(node: ast.expr, functions: frozenset[str] = frozenset()) -> E.Expr:
    """Convert one ``ast`` expression node; raise ``_Unsupported`` outside the subset."""
    conv = lambda n: expr_from_ast(n, functions)  # noqa: E731
    if isinstance(node, ast.Constant):
        if isinstance(node.value, int | float | str | bool | bytes) or node.value is None:
            return E.Const(node.value)
        raise _Unsupported("constant")
    if isinstance(node, ast.Name):
        if node.id in functions:
            raise _Unsupported("a program function used as a value")
        return E.Name(node.id)
    if isinstance(node, ast.List):
        return E.ListExpr(tuple(conv(x) for x in node.elts))
    if isinstance(node, ast.Tuple):
        return E.TupleExpr(tuple(conv(x) for x in node.elts))
    if isinstance(node, ast.Set):
        return E.SetExpr(tuple(conv(x) for x in node.elts))
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _Unsupported("dict unpacking")
        return E.DictExpr(tuple(conv(k) for k in node.keys if k is not None),
                          tuple(conv(v) for v in node.values))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return E.BinOp(_BINOPS[type(node.op)], conv(node.left), conv(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return E.UnaryOp(_UNARY[type(node.op)], conv(node.operand))
    if isinstance(node, ast.BoolOp):
        return E.BoolOp("and" if isinstance(node.op, ast.And) else "or",
                        tuple(conv(v) for v in node.values))
    if isinstance(node, ast.Compare) and all(type(o) in _CMPOPS for o in node.ops):
        return E.Compare(conv(node.left), tuple(_CMPOPS[type(o)] for o in node.ops),
                         tuple(conv(c) for c in node.comparators))
    if isinstance(node, ast.IfExp):
        return E.IfExp(conv(node.test), conv(node.body), conv(node.orelse))
    if isinstance(node, ast.Lambda):
        a = node.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
            raise _Unsupported("lambda with special parameters")
        return E.Lambda(tuple(x.arg for x in a.args), conv(node.body))
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            s = node.slice
            return E.Slice(conv(node.value), conv(s.lower) if s.lower else None,
                           conv(s.upper) if s.upper else None, conv(s.step) if s.step else None)
        return E.Index(conv(node.value), conv(node.slice))
    if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args) \
            and all(k.arg is not None for k in node.keywords):
        args = tuple(_argument(a, functions) for a in node.args)
        kwargs = tuple((str(k.arg), _argument(k.value, functions)) for k in node.keywords)
        if isinstance(node.func, ast.Name):
            if node.func.id in E.BUILTIN_FUNCTIONS or node.func.id in functions:
                return E.Call(node.func.id, args, kwargs)
            raise _Unsupported("call of an unknown function")
        if isinstance(node.func, ast.Attribute):
            return E.MethodCall(conv(node.func.value), node.func.attr, args, kwargs)
    raise _Unsupported(type(node).__name__)


def _argument(node: ast.expr, functions: frozenset[str]) -> E.Expr:
    """A call argument: an attribute without a call is kept there only, where it names a
    method used as a value (``sorted(ws, key=str.lower)``, ``max(d, key=d.get)``)."""
    if isinstance(node, ast.Attribute):
        return E.Attribute(expr_from_ast(node.value, functions), node.attr)
    return expr_from_ast(node, functions)


def value_to_expr(value: Any) -> E.Expr:
    """A literal tree for ``value``; its rendering is ``repr(value)`` except that set elements are
    sorted (by type name, then repr) so the text does not depend on the hash seed."""
    if value is None or isinstance(value, bool | int | str | bytes):
        return E.Const(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return E.Const(value)
        return E.Const(value)
    if isinstance(value, list):
        return E.ListExpr(tuple(value_to_expr(v) for v in value))
    if isinstance(value, tuple):
        return E.TupleExpr(tuple(value_to_expr(v) for v in value))
    if isinstance(value, dict):
        return E.DictExpr(tuple(value_to_expr(k) for k in value),
                          tuple(value_to_expr(v) for v in value.values()))
    if isinstance(value, set | frozenset):
        # a stable order: iteration order depends on the process's hash seed
        items = tuple(value_to_expr(v) for v in sorted(value, key=lambda v: (type(v).__name__, repr(v))))
        if isinstance(value, frozenset):
            return E.Call("frozenset", (E.SetExpr(items),) if items else ())
        return E.SetExpr(items) if items else E.Call("set", ())
    if isinstance(value, range):
        bounds = (value.start, value.stop) + ((value.step,) if value.step != 1 else ())
        return E.Call("range", tuple(E.Const(b) for b in bounds))
    raise ValueError(f"cannot write a {type(value).__name__} as a literal")
