"""Conformance: the Z3 compiler agrees with the pure-Python reference evaluator.

Hypothesis draws values for a fixed set of typed variables and a random expression over them
(ints, floats, strs, bools, lists of ints; well-typed most of the time, sometimes mixing
types so that Python raises).  The reference evaluator gives the value ``v`` (or the exception);
the claims ``expr == v``, ``expr == v2`` (``v2`` another value of the same type) and, for
boolean expressions, ``expr`` itself, are decided by the solver and must get exactly the
reference's truth value.  In concrete mode (variables bound with ``encode``) nothing may be
UNKNOWN; in symbolic mode (``fresh`` variables substituted by the same values) UNKNOWN is
allowed, a wrong answer never is.  An expression that raises must give a FALSE claim, never
TRUE.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codecot.claims import expr as E
from codecot.claims.reference import NotInSubset, TooExpensive, evaluate
from codecot.solver import Truth, decide_expr, encode, fresh

TYPES = {
    "i": "int",
    "j": "int",
    "f": "float",
    "g": "float",
    "s": "str",
    "t": "str",
    "xs": "list[int]",
    "ys": "list[int]",
    "b": "bool",
}

small_ints = st.integers(-12, 12)
some_ints = st.one_of(small_ints, st.integers(-(2**70), 2**70))
some_floats = st.one_of(
    st.sampled_from(
        [0.0, -0.0, 0.1, 0.2, 0.5, 1.0, -2.5, 1e308, math.inf, -math.inf, math.nan, 5e-324]
    ),
    st.floats(-1e6, 1e6),
    st.floats(),
)
some_strs = st.text(st.sampled_from("ab cA1-é\u4e2d"), max_size=6)
int_lists = st.lists(small_ints, max_size=5)

VALUES = {
    "int": some_ints,
    "float": some_floats,
    "str": some_strs,
    "list[int]": int_lists,
    "bool": st.booleans(),
}
envs = st.fixed_dictionaries({name: VALUES[tag] for name, tag in TYPES.items()})


def names_of(tag: str) -> list[str]:
    return [n for n, t in TYPES.items() if t == tag]


def leaf(tag: str) -> st.SearchStrategy[E.Expr]:
    consts: dict[str, st.SearchStrategy[Any]] = {
        "int": small_ints,
        "float": some_floats,
        "str": some_strs,
        "bool": st.booleans(),
        "list[int]": int_lists,
    }
    const = consts[tag].map(lambda v: literal(v))
    return st.one_of(st.sampled_from([E.Name(n) for n in names_of(tag)]), const)


def literal(v: Any) -> E.Expr:
    if isinstance(v, list):
        return E.ListExpr(tuple(literal(x) for x in v))
    if isinstance(v, tuple):
        return E.TupleExpr(tuple(literal(x) for x in v))
    return E.Const(v)


ARITH = ["+", "-", "*", "//", "%"]
CMP = ["==", "!=", "<", "<=", ">", ">="]


@st.composite
def expr_of(draw: st.DrawFn, tag: str, depth: int, top: bool = False) -> E.Expr:
    if depth <= 0 or (not top and draw(st.integers(0, 3)) == 0):
        return draw(leaf(tag))
    sub = depth - 1

    def of(t: str) -> E.Expr:
        return draw(expr_of(t, sub))

    choice = draw(st.integers(0, 11))
    if tag == "int":
        options = [
            lambda: E.BinOp(draw(st.sampled_from(ARITH)), of("int"), of("int")),
            lambda: E.BinOp(draw(st.sampled_from(["//", "%"])), of("int"), of("int")),
            lambda: E.BinOp(draw(st.sampled_from(ARITH)), of("int"), of("int")),
            lambda: E.BinOp("**", of("int"), E.Const(draw(st.integers(0, 4)))),
            lambda: E.Call("len", (of(draw(st.sampled_from(["str", "list[int]"]))),)),
            lambda: E.Index(of("list[int]"), of("int")),
            lambda: E.Call("abs", (of("int"),)),
            lambda: E.Call(draw(st.sampled_from(["sum", "min", "max"])), (of("list[int]"),)),
            lambda: E.MethodCall(
                of("str"), draw(st.sampled_from(["find", "count", "index"])), (of("str"),)
            ),
            lambda: E.UnaryOp("-", of("int")),
            lambda: E.IfExp(of("bool"), of("int"), of("int")),
            lambda: E.Call("int", (of(draw(st.sampled_from(["float", "bool", "str"]))),)),
        ]
    elif tag == "float":
        options = [
            lambda: E.BinOp(draw(st.sampled_from(["+", "-", "*", "/"])), of("float"), of("float")),
            lambda: E.BinOp(draw(st.sampled_from(["+", "-", "*", "/"])), of("float"), of("int")),
            lambda: E.BinOp(draw(st.sampled_from(["+", "-", "*", "/"])), of("int"), of("float")),
            lambda: E.BinOp("/", of("int"), of("int")),
            lambda: E.Call("float", (of("int"),)),
            lambda: E.Call("abs", (of("float"),)),
            lambda: E.UnaryOp("-", of("float")),
            lambda: E.IfExp(of("bool"), of("float"), of("float")),
            lambda: E.BinOp(draw(st.sampled_from(["//", "%"])), of("float"), of("float")),
            lambda: E.Call("max", (of("float"), of("float"))),
            lambda: E.Call("round", (of("float"), E.Const(draw(st.integers(0, 3))))),
        ]
    elif tag == "str":
        options = [
            lambda: E.BinOp("+", of("str"), of("str")),
            lambda: E.Slice(
                of("str"),
                draw(st.none() | expr_of("int", 0)),
                draw(st.none() | expr_of("int", 0)),
                None,
            ),
            lambda: E.BinOp("*", of("str"), E.Const(draw(st.integers(-1, 3)))),
            lambda: E.Index(of("str"), of("int")),
            lambda: E.Slice(
                of("str"),
                draw(st.none() | expr_of("int", 0)),
                draw(st.none() | expr_of("int", 0)),
                draw(st.sampled_from([None, E.Const(1), E.Const(-1), E.Const(2)])),
            ),
            lambda: E.Call("str", (of(draw(st.sampled_from(["int", "bool", "str"]))),)),
            lambda: E.MethodCall(
                of("str"),
                draw(st.sampled_from(["upper", "lower", "strip", "swapcase", "title"])),
                (),
            ),
            lambda: E.MethodCall(of("str"), "replace", (of("str"), of("str"))),
            lambda: E.MethodCall(
                E.Const(draw(st.sampled_from(["", "-", ", "]))),
                "join",
                (E.Call("list", (of("str"),)),),
            ),
            lambda: E.IfExp(of("bool"), of("str"), of("str")),
            lambda: E.Call("min", (of("str"), of("str"))),
        ]
    elif tag == "list[int]":
        options = [
            lambda: E.BinOp("+", of("list[int]"), of("list[int]")),
            lambda: E.Index(E.ListExpr((of("list[int]"),)), E.Const(draw(st.integers(-2, 1)))),
            lambda: E.BinOp("*", of("list[int]"), E.Const(draw(st.integers(-1, 3)))),
            lambda: E.Slice(
                of("list[int]"),
                draw(st.none() | expr_of("int", 0)),
                draw(st.none() | expr_of("int", 0)),
                draw(st.sampled_from([None, E.Const(1), E.Const(-1)])),
            ),
            lambda: E.Call("sorted", (of("list[int]"),)),
            lambda: E.Call("list", (E.Call("reversed", (of("list[int]"),)),)),
            lambda: E.ListExpr((of("int"), of("int"))),
            lambda: E.IfExp(of("bool"), of("list[int]"), of("list[int]")),
            lambda: E.Call("list", (E.Call("range", (of("int"),)),)),
            lambda: E.Slice(of("list[int]"), of("int"), None, None),
            lambda: E.ListExpr(()),
        ]
    else:  # bool

        def compare_same() -> E.Expr:
            t = draw(st.sampled_from(["int", "float", "str", "list[int]", "bool"]))
            return E.Compare(of(t), (draw(st.sampled_from(CMP)),), (of(t),))

        def compare_any() -> E.Expr:
            t1, t2 = draw(st.sampled_from(list(VALUES))), draw(st.sampled_from(list(VALUES)))
            return E.Compare(of(t1), (draw(st.sampled_from(CMP)),), (of(t2),))

        options = [
            compare_same,
            compare_same,
            compare_any,
            compare_same,
            lambda: E.Compare(of("int"), ("<", "<="), (of("int"), of("int"))),
            lambda: E.Compare(of("str"), (draw(st.sampled_from(["in", "not in"])),), (of("str"),)),
            lambda: E.Compare(
                of("int"), (draw(st.sampled_from(["in", "not in"])),), (of("list[int]"),)
            ),
            lambda: E.BoolOp(draw(st.sampled_from(["and", "or"])), (of("bool"), of("bool"))),
            lambda: E.UnaryOp("not", of(draw(st.sampled_from(list(VALUES))))),
            lambda: E.MethodCall(
                of("str"),
                draw(st.sampled_from(["startswith", "endswith", "isdigit", "isalpha", "isupper"])),
                (of("str"),) if draw(st.booleans()) else (),
            ),
            lambda: E.Call("bool", (of(draw(st.sampled_from(list(VALUES)))),)),
            lambda: E.IfExp(of("bool"), of("bool"), of("bool")),
        ]
    return options[choice % len(options)]()


mixed = st.sampled_from(list(VALUES)).flatmap(lambda t: expr_of(t, 3, top=True))


def other_value(v: Any) -> Any:
    """A different value of the same type."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v) or v + 1.0 == v:
            return 0.5
        return v + 1.0
    if isinstance(v, str):
        return v + "x"
    if isinstance(v, list):
        return [*v, 0] if len(v) < 3 else v[:-1]
    return None


def reference_truth(claim: E.Expr, env: dict[str, Any]) -> tuple[Truth, str | None]:
    try:
        return (Truth.TRUE if evaluate(claim, env) else Truth.FALSE), None
    except (NotInSubset, TooExpensive):
        raise
    except Exception as exc:
        return Truth.FALSE, type(exc).__name__


STATS: Counter[str] = Counter()


def check_case(expr: E.Expr, env: dict[str, Any]) -> None:
    try:
        value = evaluate(expr, env)
        raised = None
    except (NotInSubset, TooExpensive):
        assume(False)
        return
    except Exception as exc:
        value, raised = None, type(exc).__name__
    claims: list[E.Expr] = [E.Compare(expr, ("==",), (E.Const(0),))]
    if raised is None:
        if not isinstance(value, (int, float, str, list)):
            assume(False)
        claims = [
            E.Compare(expr, ("==",), (literal(value),)),
            E.Compare(expr, ("==",), (literal(other_value(value)),)),
        ]
        if isinstance(value, bool):
            claims.append(expr)
    concrete_env = {k: encode(v) for k, v in env.items()}
    symbols = {k: fresh(k, TYPES[k]) for k in env}
    bindings = [(symbols[k], encode(v, TYPES[k])) for k, v in env.items()]
    for claim in claims:
        try:
            expected, exc_type = reference_truth(claim, env)
        except (NotInSubset, TooExpensive):
            continue
        got = decide_expr(claim, concrete_env)
        assert got.truth is expected, (claim, env, got)
        if exc_type is not None and got.raised is not None:
            assert got.raised == exc_type, (claim, env, got)
        sym = decide_expr(claim, symbols, bindings)
        STATS["claims"] += 1
        STATS["symbolic_" + sym.truth.name] += 1
        assert sym.truth in (expected, Truth.UNKNOWN), (claim, env, sym)
        if raised is not None:
            STATS["raising"] += 1


def _run(expr: E.Expr, env: dict[str, Any]) -> None:
    check_case(expr, env)


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(mixed, envs)
def test_compiler_agrees_with_reference(expr: E.Expr, env: dict[str, Any]) -> None:
    _run(expr, env)


@pytest.mark.slow
@settings(
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(mixed, envs)
def test_compiler_agrees_with_reference_many(expr: E.Expr, env: dict[str, Any]) -> None:
    _run(expr, env)


# --- exhaustive grids: every small case of the arithmetic and slicing rules ---------------

GRID_INTS = range(-7, 8)
GRID_FLOATS = [0.0, -0.0, 0.1, -2.5, 3.0, 1e308, 5e-324, math.inf, -math.inf, math.nan]


def _agree(claim: E.Expr, env: dict[str, Any]) -> None:
    expected, exc_type = reference_truth(claim, env)
    got = decide_expr(claim, {k: encode(v) for k, v in env.items()})
    assert got.truth is expected and got.raised == exc_type, (claim, env, got)
    symbols = {k: fresh(k, str(encode(v).type)) for k, v in env.items()}
    sym = decide_expr(claim, symbols, [(symbols[k], encode(v)) for k, v in env.items()])
    assert sym.truth is expected, (claim, env, sym)


def _value_claim(expr: E.Expr, env: dict[str, Any]) -> E.Expr:
    try:
        value = evaluate(expr, env)
    except Exception:
        return E.Compare(expr, ("==",), (E.Const(0),))
    return E.Compare(expr, ("==",), (literal(value),))


@pytest.mark.parametrize("op", ["+", "-", "*", "//", "%", "/", "**"])
def test_int_arithmetic_grid(op: str) -> None:
    x, y = E.Name("x"), E.Name("y")
    for a in GRID_INTS:
        for b in GRID_INTS:
            if op == "**" and b < 0:
                continue
            expr = E.BinOp(op, x, y if op != "**" else E.Const(b))
            _agree(_value_claim(expr, {"x": a, "y": b}), {"x": a, "y": b})


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "==", "<", ">="])
def test_float_and_mixed_grid(op: str) -> None:
    x, y = E.Name("x"), E.Name("y")
    pairs = [(a, b) for a in GRID_FLOATS for b in GRID_FLOATS]
    pairs += [(a, b) for a in (-3, 0, 2**60 + 1, 10**400) for b in GRID_FLOATS]
    for a, b in pairs:
        env = {"x": a, "y": b}
        if op in ("==", "<", ">="):
            expr: E.Expr = E.Compare(x, (op,), (y,))
            _agree(expr, env)
            _agree(E.Compare(y, (op,), (x,)), env)
        else:
            _agree(_value_claim(E.BinOp(op, x, y), env), env)


def test_slicing_and_indexing_grid() -> None:
    bounds: list[int | None] = [None, -5, -3, -1, 0, 1, 2, 4]
    for value in ("abc", [4, 5, 6]):
        env = {"v": value}
        for k in range(-4, 4):
            _agree(_value_claim(E.Index(E.Name("v"), E.Const(k)), env), env)
        for lo in bounds:
            for hi in bounds:
                for step in (None, 1, -1, 2):
                    node = E.Slice(
                        E.Name("v"),
                        None if lo is None else E.Const(lo),
                        None if hi is None else E.Const(hi),
                        None if step is None else E.Const(step),
                    )
                    claim = _value_claim(node, env)
                    expected, _ = reference_truth(claim, env)
                    got = decide_expr(claim, {"v": encode(value)})
                    assert got.truth is expected, (claim, got)
                    symbols = {"v": fresh("v", str(encode(value).type))}
                    sym = decide_expr(claim, symbols, [(symbols["v"], encode(value))])
                    assert sym.truth in (expected, Truth.UNKNOWN), (claim, sym)
                    if step in (None, 1):
                        assert sym.truth is expected, (claim, sym)


# --- the reference evaluator itself ------------------------------------------------------


@pytest.mark.parametrize("expr, env, expected", [
    (E.BinOp("//", E.Const(-7), E.Const(2)), {}, -4),
    (E.Slice(E.Name("s"), E.Const(-3), None, None), {"s": "abcdef"}, "def"),
    (E.MethodCall(E.Const("-"), "join", (E.Name("xs"),)), {"xs": ["a", "b"]}, "a-b"),
    (E.BoolOp("or", (E.Const(""), E.Const(0), E.Const("x"))), {}, "x"),
    (E.Compare(E.Const(1), (">", "<"), (E.Const(2), E.BinOp("/", E.Const(1), E.Const(0)))), {},
     False),
])
def test_reference_values(expr: E.Expr, env: dict[str, Any], expected: Any) -> None:
    assert evaluate(expr, env) == expected


@pytest.mark.parametrize("expr, exc", [
    (E.BinOp("/", E.Const(1), E.Const(0)), ZeroDivisionError),
    (E.Index(E.ListExpr(()), E.Const(0)), IndexError),
    (E.Name("nope"), NameError),
    (E.MethodCall(E.Const(1), "upper", ()), AttributeError),
    # a mutation of a value that no variable holds and the expression did not build
    (E.MethodCall(E.IfExp(E.Name("b"), E.Name("xs"), E.ListExpr(())), "append", (E.Const(1),)),
     NotInSubset),
    (E.Call("f", ()), NotInSubset),
    (E.BinOp("*", E.Const("ab"), E.Const(10**9)), TooExpensive),
    (E.Call("sum", (E.Call("range", (E.Const(10**12),)),)), TooExpensive),
])
def test_reference_raises(expr: E.Expr, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        evaluate(expr, {"b": True, "xs": [1]})


def test_guards_of_a_known_operand_survive_short_circuit() -> None:
    # found by the slow run: `(i < s if bool(i) else False) or b` raises TypeError when i is
    # truthy; the first operand simplifies to the constant False, and its guard (the raise)
    # was dropped when `or` moved on to `b`
    inner = E.IfExp(E.Call("bool", (E.Name("i"),)),
                    E.Compare(E.Name("i"), ("<",), (E.Name("s"),)), E.Const(False))
    env = {"i": 1, "j": 0, "f": 0.0, "g": 0.0, "s": "", "t": "", "xs": [], "ys": [], "b": False}
    for op in ("or", "and"):
        check_case(E.BoolOp(op, (inner, E.Name("b"))), env)
        check_case(E.BoolOp(op, (inner, E.Name("b"))), {**env, "b": True})
