"""Rewriting user code so that literals and some builtins go through the shadow layer.

String literals become ``_cc_lit('...')``; calls of ``len str int float repr ord chr type`` (unless the
program binds those names) become the ``_cc_*`` helpers of :mod:`codecot.symbolic.builtins_`;
``a in b`` / ``a not in b`` become ``_cc_in(a, b)``; f-strings become ``_cc_fstr`` over
``_cc_fmt`` parts.  Unbound methods of ``str``, ``int`` and ``float`` (``str.lower``,
``map(str.upper, xs)``) become ``_cc_method(str, 'lower')``, which dispatches to the shadow's
method; the bare names of the rewritten builtins passed as functions (``map(int, s)``,
``key=len``) become their helpers.  Docstrings and ``match`` patterns are left alone.  Line numbers are kept.
"""

from __future__ import annotations

import ast

REWRITTEN_CALLS = ("len", "str", "int", "float", "repr", "ord", "chr", "type")
UNBOUND_TYPES = ("str", "int", "float")
#: calls whose first argument is a function applied to the items (``map(int, s)``)
FUNCTION_TAKING = ("map", "filter", "sorted", "min", "max")


def bound_names(tree: ast.AST) -> set[str]:
    """Names the program assigns, defines, imports or takes as parameters."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            out.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).split(".")[0])
    return out


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
    return ast.copy_location(node, like)


class _Rewriter(ast.NodeTransformer):
    def __init__(self, bound: set[str]) -> None:
        self.calls = {n: f"_cc_{n}" for n in REWRITTEN_CALLS if n not in bound}
        self.types = {n for n in UNBOUND_TYPES if n not in bound}
        self.bound = bound

    def _body(self, node: ast.AST) -> ast.AST:
        body = getattr(node, "body", [])
        doc = body[0] if body and isinstance(body[0], ast.Expr) and \
            isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str) \
            else None
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                new = [x if x is doc else self.visit(x) if isinstance(x, ast.AST) else x
                       for x in value]
                setattr(node, field, [x for x in new if x is not None])
            elif isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        return self._body(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._body(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._body(node)

    def visit_match_case(self, node: ast.match_case) -> ast.AST:
        if node.guard is not None:
            node.guard = self.visit(node.guard)
        node.body = [self.visit(s) for s in node.body]
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) is str:
            return _call("_cc_lit", [node], node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        parts: list[ast.expr] = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                spec = self.visit(v.format_spec) if v.format_spec is not None else \
                    ast.Constant(value=None)
                parts.append(_call("_cc_fmt", [self.visit(v.value),
                                               ast.Constant(value=v.conversion), spec], v))
            else:
                parts.append(v)
        return _call("_cc_fstr", parts, node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn):
            call = _call("_cc_in", [node.left, node.comparators[0]], node)
            if isinstance(node.ops[0], ast.NotIn):
                return ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=call), node)
            return call
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in self.types \
                and isinstance(node.ctx, ast.Load) and not node.attr.startswith("__"):
            return _call("_cc_method", [node.value, ast.Constant(value=node.attr)], node)
        return node

    def _as_function(self, arg: ast.expr) -> ast.expr:
        if isinstance(arg, ast.Name) and arg.id in self.calls:
            return ast.copy_location(ast.Name(id=self.calls[arg.id], ctx=ast.Load()), arg)
        return arg

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in FUNCTION_TAKING \
                and node.func.id not in self.bound:
            if node.func.id in ("map", "filter") and node.args:
                node.args[0] = self._as_function(node.args[0])
            for kw in node.keywords:
                if kw.arg == "key":
                    kw.value = self._as_function(kw.value)
        if isinstance(node.func, ast.Name) and node.func.id in self.calls:
            node.func = ast.copy_location(
                ast.Name(id=self.calls[node.func.id], ctx=ast.Load()), node.func)
        return node


def rewrite(source: str) -> ast.Module:
    """The rewritten module AST of ``source`` (raises SyntaxError like ``compile``)."""
    tree = ast.parse(source)
    out = _Rewriter(bound_names(tree)).visit(tree)
    assert isinstance(out, ast.Module)
    return ast.fix_missing_locations(out)
