"""The expression compiler: :mod:`codecot.claims.expr` trees -> :class:`SymValue`.

``compile_expr(expr, env)`` gives the value of ``expr`` with Python semantics, where ``env``
maps variable names to values (concrete ones from :func:`~codecot.solver.values.encode`,
symbolic ones from :func:`~codecot.solver.values.fresh`).

Policy:

* Operators (arithmetic, comparisons, ``and``/``or``/``not``, conditional expressions) become
  Z3 terms whenever their operands have a Z3 encoding, concrete or not, so that Z3 decides
  arithmetic and comparisons.
* Indexing, slicing, builtin and method calls on concrete operands are folded in Python
  (exact semantics, whitelisted operations only); on symbolic operands they use Z3's theories
  or raise :class:`Unsupported`.
* If Python would raise for concrete operands, the compiler raises :class:`PythonError`; for
  symbolic operands the possible exception becomes a :class:`Guard` on the result (guards of
  short-circuited operands only apply when they are evaluated).  A claim whose expression
  raises is false.
* Keyword arguments are passed to the folded call; with a symbolic operand a call with keyword
  arguments is unsupported.
* A name that is no variable in ``env`` but names a builtin denotes that builtin, as a
  concrete-only value (:mod:`codecot.solver.callables`); so do attributes naming methods
  (``str.lower``, ``d.get``), and methods called on builtin types (``str.maketrans(...)``).
* Mutating method calls (``nums.pop(i)``, ``d.setdefault(k, [])``) act on private copies of the
  variables they may change, made before anything is evaluated (an expression with such a call
  is compiled a second time for that), so that every operand sees the mutation as in Python and
  the caller's values stay as they were
  (:mod:`codecot.solver.mutation`); the receiver must be a variable (indexed or sliced) or a
  value built by the expression itself (``[3, 1].pop()``, ``sorted(xs).pop()``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import z3

from codecot.claims import expr as E
from codecot.solver import arith, calls, mutation, sequences
from codecot.solver.callables import attribute_value, builtin_value, call_on
from codecot.solver.context import ctx
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.fold import apply, call_builtin, call_method, concrete_args
from codecot.solver.semantics import (
    bool_value,
    encodable,
    equal,
    known_bool,
    mk_and,
    mk_not,
    order,
    to_term,
    truth,
)
from codecot.solver.types import PyType, infer, join_all, list_of
from codecot.solver.values import MISSING, Guard, SymValue, concrete_value, encode


def compile_expr(expr: E.Expr, env: Mapping[str, SymValue]) -> SymValue:
    """The value of ``expr`` under ``env`` (raises PythonError / Unsupported, see module doc)."""
    try:
        return _Compiler(env).run(expr)
    except _Restart:
        # a mutating call met a variable: compile again with private copies made up front,
        # so that reads before the mutation see the very object it changes (`a + [a.pop()]`)
        compiler = _Compiler(env)
        for name in E.mutation_roots(expr):
            if name in env:
                compiler.own[name] = mutation.private_copy(env[name])
        compiler.copied = True
        return compiler.run(expr)


class _Restart(Exception):
    """Raised when a mutating call needs the private copies :func:`compile_expr` makes."""


#: Calls whose result is a new container, which a mutating method may change in place.
_FRESH_CALLS = frozenset({"list", "dict", "set", "sorted"})


#: compile method of each expression node class, filled on first use
_METHODS: dict[type, Callable[[_Compiler, E.Expr], SymValue]] = {}


class _Compiler:
    def __init__(self, env: Mapping[str, SymValue]) -> None:
        self.env = env
        #: private copies of the variables mutating calls may change (see compile_expr)
        self.own: dict[str, SymValue] = {}
        self.copied = False

    def run(self, node: E.Expr) -> SymValue:
        method = _METHODS.get(node.__class__)
        if method is None:
            method = getattr(_Compiler, "c_" + type(node).__name__, None)
            if method is None:
                raise Unsupported(f"expression node {type(node).__name__}")
            _METHODS[node.__class__] = method
        result: SymValue = method(self, node)
        return result

    # --- leaves and literals ----------------------------------------------------------------

    def c_Const(self, node: E.Const) -> SymValue:
        return encode(node.value)

    def c_Name(self, node: E.Name) -> SymValue:
        own = self.own
        try:
            value = own[node.id] if own and node.id in own else self.env[node.id]
        except KeyError:
            builtin = builtin_value(node.id)
            if builtin is not None:
                return builtin
            raise PythonError("NameError", f"name {node.id!r} is not defined") from None
        if value.type.kind == "opaque":
            raise Unsupported(f"variable {node.id} has no encoding")
        return value

    def c_ListExpr(self, node: E.ListExpr) -> SymValue:
        items = [self.run(i) for i in node.items]
        values = concrete_args(items)
        if values is not None:
            return encode(values).with_guards([g for i in items for g in i.guards])
        t = list_of(join_all([i.type for i in items]))
        if t.elem.kind == "union":
            raise Unsupported("list literal with mixed symbolic item types")
        return sequences.from_items(t, items)

    def c_TupleExpr(self, node: E.TupleExpr) -> SymValue:
        items = tuple(self.run(i) for i in node.items)
        return SymValue(PyType("tuple", tuple(i.type for i in items)), raw=items)

    def c_SetExpr(self, node: E.SetExpr) -> SymValue:
        items = [self.run(i) for i in node.items]
        values = concrete_args(items)
        if values is None:
            raise Unsupported("set literal with symbolic items")
        return apply(lambda *xs: set(xs), values)

    def c_DictExpr(self, node: E.DictExpr) -> SymValue:
        keys = [self.run(k) for k in node.keys]
        vals = [self.run(v) for v in node.values]
        k_values, v_values = concrete_args(keys), concrete_args(vals)
        if k_values is None or v_values is None:
            raise Unsupported("dict literal with symbolic items")
        return apply(lambda ks, vs: dict(zip(ks, vs, strict=True)), [k_values, v_values])

    # --- operators -------------------------------------------------------------------------

    def c_UnaryOp(self, node: E.UnaryOp) -> SymValue:
        operand = node.operand
        if node.op == "-" and isinstance(operand, E.Const) and type(operand.value) in (int, float):
            return encode(-operand.value)  # a negative literal such as -1, not an operation
        return arith.unary(node.op, self.run(operand))

    def c_BinOp(self, node: E.BinOp) -> SymValue:
        return arith.binop(node.op, self.run(node.left), self.run(node.right))

    def c_BoolOp(self, node: E.BoolOp) -> SymValue:
        """Python value semantics: ``a and b`` is ``a`` if ``a`` is falsy, else ``b``."""
        is_and = node.op == "and"
        first = self.run(node.operands[0])
        result, rest = first, node.operands[1:]
        while rest:
            value = concrete_value(result)
            if value is not MISSING:  # short-circuit on a known operand
                decided = bool(value)
                if decided is not is_and:
                    return result
                # the known operand was evaluated first: whatever it could raise still counts
                result = self.run(rest[0]).with_guards(result.guards)
                rest = rest[1:]
                continue
            if result.type.kind != "bool":
                raise Unsupported("and/or over symbolic non-bool operands")
            cond = result.term
            right = self._guarded(rest[0], cond if is_and else z3.Not(cond))
            if right.type.kind != "bool":
                raise Unsupported("and/or over symbolic non-bool operands")
            term = z3.And(cond, to_term(truth(right))) if is_and else \
                z3.Or(cond, to_term(truth(right)))
            result = bool_value(term, result.guards + right.guards)
            rest = rest[1:]
        return result

    def _guarded(self, node: E.Expr, when: z3.BoolRef) -> SymValue:
        """Compile an operand evaluated only when ``when`` holds; its guards become implied."""
        try:
            v = self.run(node)
        except PythonError as exc:
            return SymValue(PyType("bool"), raw=ctx().false,
                            guards=(Guard(z3.Not(when), exc.exc_type),))
        guards = tuple(Guard(z3.Implies(when, g.cond), g.exc) for g in v.guards)
        return SymValue(v.type, v.py, v.raw, guards)

    def c_IfExp(self, node: E.IfExp) -> SymValue:
        test = self.run(node.test)
        cond = known_bool(truth(test))
        if isinstance(cond, bool):
            return self.run(node.body if cond else node.orelse).with_guards(test.guards)
        body = self._guarded(node.body, cond)
        orelse = self._guarded(node.orelse, z3.Not(cond))
        guards = test.guards + body.guards + orelse.guards
        if body.type != orelse.type:
            raise Unsupported("conditional expression with branches of different types")
        if body.type.kind == "tuple":
            raise Unsupported("conditional expression over tuples")
        if body.type.kind == "None":
            return SymValue(body.type, None, guards=guards)
        return SymValue(body.type, raw=z3.If(cond, body.term, orelse.term), guards=guards)

    def c_Compare(self, node: E.Compare) -> SymValue:
        left = self.run(node.left)
        guards: list[Guard] = list(left.guards)
        parts: list[object] = []
        for op, comp_node in zip(node.ops, node.comparators, strict=True):
            so_far = known_bool(mk_and(parts))
            if so_far is False:
                break  # Python stops at the first false link
            if so_far is True:
                right = self.run(comp_node)
            else:
                right = self._guarded(comp_node, to_term(so_far))
            guards.extend(right.guards)
            link, extra = _compare(op, left, right)
            if so_far is not True:
                extra = [Guard(z3.Implies(to_term(so_far), g.cond), g.exc) for g in extra]
            guards.extend(extra)
            parts.append(link)
            left = right
        return bool_value(mk_and(parts), tuple(guards))

    # --- subscripts and calls ---------------------------------------------------------------

    def c_Index(self, node: E.Index) -> SymValue:
        v, i = self.run(node.value), self.run(node.index)
        args = concrete_args((v, i))
        if args is not None:
            return apply(lambda x, k: x[k], args).with_guards(v.guards + i.guards)
        return sequences.index(v, i)

    def c_Slice(self, node: E.Slice) -> SymValue:
        v = self.run(node.value)
        bounds = [None if b is None else self.run(b) for b in (node.lower, node.upper, node.step)]
        present = [b for b in bounds if b is not None]
        args = concrete_args([v, *present])
        if args is not None:
            it = iter(args[1:])
            lo, hi, st = (None if b is None else next(it) for b in bounds)
            guards = tuple(g for x in (v, *present) for g in x.guards)
            return apply(lambda x: x[lo:hi:st], [args[0]]).with_guards(guards)
        return sequences.slice_(v, *bounds)

    def c_Call(self, node: E.Call) -> SymValue:
        if node.func not in E.BUILTIN_FUNCTIONS:
            raise Unsupported(f"call of the program function {node.func}()")
        args = [self.run(a) for a in node.args]
        if node.kwargs:
            kwargs = self._kwargs(node.kwargs)
            values, kw_values = concrete_args(args), _concrete_kwargs(kwargs)
            if values is None or kw_values is None:
                raise Unsupported(f"{node.func}() with keyword arguments and symbolic operands")
            guards = tuple(g for a in (*args, *kwargs.values()) for g in a.guards)
            return call_builtin(node.func, values, kw_values).with_guards(guards)
        values = concrete_args(args)
        if values is not None:
            guards = tuple(g for a in args for g in a.guards)
            return call_builtin(node.func, values).with_guards(guards)
        return calls.call(node.func, args)

    def c_MethodCall(self, node: E.MethodCall) -> SymValue:
        receiver = self.run(node.receiver)
        args = [self.run(a) for a in node.args]
        if node.kwargs or receiver.type.kind == "function" or node.method in E.MUTATING_METHODS:
            return self._concrete_method(node, receiver, args, self._kwargs(node.kwargs))
        return calls.method(receiver, node.method, args)

    def _concrete_method(self, node: E.MethodCall, receiver: SymValue, args: list[SymValue],
                         kwargs: dict[str, SymValue]) -> SymValue:
        """A method call that is folded only: keyword arguments, a builtin type as the
        receiver (``str.maketrans(...)``), or a mutating method."""
        values = concrete_args([receiver, *args])
        kw_values = _concrete_kwargs(kwargs)
        if values is None or kw_values is None:
            raise Unsupported(f".{node.method}() with keyword arguments, a builtin receiver or "
                              "a mutation, and symbolic operands")
        guards = tuple(g for a in (receiver, *args, *kwargs.values()) for g in a.guards)
        obj, rest = values[0], values[1:]
        if receiver.type.kind == "function":
            return call_on(obj, node.method, rest, kw_values).with_guards(guards)
        if not mutation.mutates(obj, node.method):
            return call_method(obj, node.method, rest, kw_values).with_guards(guards)
        root = E.receiver_root(node.receiver)
        if root is not None and root in self.env and not self.copied:
            raise _Restart()
        if root is None or root not in self.own:
            if not _is_fresh(node.receiver):
                raise Unsupported(f"mutating .{node.method}() of a value no variable holds")
            obj = copy.deepcopy(obj)
        result = mutation.mutate(obj, node.method, rest, kw_values)
        if root is not None and root in self.own:
            held = self.own[root].py
            self.own[root] = SymValue(infer(held), held)  # its type may have changed
        return result.with_guards(guards)

    def _kwargs(self, pairs: tuple[tuple[str, E.Expr], ...]) -> dict[str, SymValue]:
        """Keyword argument values, evaluated in the order written."""
        out: dict[str, SymValue] = {}
        if not pairs:
            return out
        if len({name for name, _ in pairs}) != len(pairs):
            raise PythonError("TypeError", "keyword argument repeated")
        for name, expr in pairs:
            out[name] = self.run(expr)
        return out

    def c_Lambda(self, node: E.Lambda) -> SymValue:
        raise Unsupported("a lambda is a function: its value cannot be compared")

    def c_Attribute(self, node: E.Attribute) -> SymValue:
        value = self.run(node.value)
        return attribute_value(value, node.attr).with_guards(value.guards)


def _concrete_kwargs(kwargs: dict[str, SymValue]) -> dict[str, Any] | None:
    """Python values of keyword arguments, or ``None`` if one is symbolic."""
    if not kwargs:
        return {}
    values = concrete_args(kwargs.values())
    return None if values is None else dict(zip(kwargs, values, strict=True))


def _is_fresh(node: E.Expr) -> bool:
    """Whether ``node`` builds a new container that nothing else holds."""
    if isinstance(node, E.ListExpr | E.DictExpr | E.SetExpr):
        return True
    return isinstance(node, E.Call) and node.func in _FRESH_CALLS


def _compare(op: str, a: SymValue, b: SymValue) -> tuple[object, list[Guard]]:
    if op == "==":
        return equal(a, b)
    if op == "!=":
        p, g = equal(a, b)
        return mk_not(p), g
    if op in ("<", "<=", ">", ">="):
        return order(op, a, b)
    if op in ("in", "not in"):
        p, g = _contains(a, b)
        return (p if op == "in" else mk_not(p)), g
    if op in ("is", "is not"):
        p = _identity(a, b)
        return (p if op == "is" else mk_not(p)), []
    raise Unsupported(f"comparison operator {op}")


def _contains(item: SymValue, container: SymValue) -> tuple[object, list[Guard]]:
    kind = container.type.kind
    if kind in ("int", "bool", "float", "None"):
        raise PythonError("TypeError", f"argument of type '{container.type}' is not iterable")
    if kind in ("str", "list", "tuple") and encodable(item.type) and encodable(container.type):
        return sequences.contains(item, container)
    if kind == "dict" and container.py is MISSING:
        from codecot.solver import dicts

        return dicts.contains(item, container)
    return _fold_in(item, container), []


def _fold_in(item: SymValue, container: SymValue) -> bool:
    args = concrete_args((item, container))
    if args is None:
        raise Unsupported(f"membership in a symbolic {container.type}")
    result = apply(lambda x, c: x in c, args)
    return bool(result.py)


def _identity(a: SymValue, b: SymValue) -> object:
    """``is`` is only decided where Python's answer does not depend on object identity."""
    ka, kb = a.type.kind, b.type.kind
    if ka == "None" or kb == "None":
        return ka == kb
    if ka == "bool" and kb == "bool":
        return equal(a, b)[0]
    if (ka == "bool" or kb == "bool") and ka != kb:
        return False
    raise Unsupported("'is' between values whose identity Python does not fix")


