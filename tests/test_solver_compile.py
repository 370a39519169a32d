"""The expression compiler: one table of true and false claims per operation, in both modes.

Claims are written as Python source and turned into expression trees by a small converter in
this file (test-only; narrations are parsed by the grammar, never by ``ast``).  Every claim is
decided with concrete bindings (``encode``) and again with symbolic variables (``fresh``)
substituted by the same values; the symbolic mode may say UNKNOWN, never the wrong answer.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import pytest

from codecot.claims import expr as E
from codecot.solver import (
    PythonError,
    Truth,
    Unsupported,
    check_sat,
    compile_expr,
    decide,
    decide_expr,
    encode,
    encode_env,
    fresh,
    infer,
    prove,
)

_BIN = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_CMP = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_UN = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}


def to_expr(node: ast.AST) -> E.Expr:
    if isinstance(node, ast.Constant):
        return E.Const(node.value)
    if isinstance(node, ast.Name):
        return E.Name(node.id)
    if isinstance(node, ast.List):
        return E.ListExpr(tuple(map(to_expr, node.elts)))
    if isinstance(node, ast.Tuple):
        return E.TupleExpr(tuple(map(to_expr, node.elts)))
    if isinstance(node, ast.Set):
        return E.SetExpr(tuple(map(to_expr, node.elts)))
    if isinstance(node, ast.Dict):
        return E.DictExpr(
            tuple(to_expr(k) for k in node.keys if k is not None), tuple(map(to_expr, node.values))
        )
    if isinstance(node, ast.UnaryOp):
        return E.UnaryOp(_UN[type(node.op)], to_expr(node.operand))
    if isinstance(node, ast.BinOp):
        return E.BinOp(_BIN[type(node.op)], to_expr(node.left), to_expr(node.right))
    if isinstance(node, ast.BoolOp):
        return E.BoolOp(
            "and" if isinstance(node.op, ast.And) else "or", tuple(map(to_expr, node.values))
        )
    if isinstance(node, ast.Compare):
        return E.Compare(
            to_expr(node.left),
            tuple(_CMP[type(o)] for o in node.ops),
            tuple(map(to_expr, node.comparators)),
        )
    if isinstance(node, ast.IfExp):
        return E.IfExp(to_expr(node.test), to_expr(node.body), to_expr(node.orelse))
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            s = node.slice
            lo, hi, st = (None if b is None else to_expr(b) for b in (s.lower, s.upper, s.step))
            return E.Slice(to_expr(node.value), lo, hi, st)
        return E.Index(to_expr(node.value), to_expr(node.slice))
    if isinstance(node, ast.Call):
        args = tuple(map(to_expr, node.args))
        if isinstance(node.func, ast.Name):
            return E.Call(node.func.id, args)
        assert isinstance(node.func, ast.Attribute)
        return E.MethodCall(to_expr(node.func.value), node.func.attr, args)
    if isinstance(node, ast.Attribute):
        return E.Attribute(to_expr(node.value), node.attr)
    raise ValueError(f"not in the test subset: {ast.dump(node)}")


def P(src: str) -> E.Expr:
    return to_expr(ast.parse(src, mode="eval").body)


ENV: dict[str, Any] = {
    "total": 6,
    "n": -7,
    "xs": [1, 2, 3],
    "ws": ["ab", "c"],
    "s": "abcdefg",
    "t": "ab",
    "f": 0.1,
    "b": True,
    "e": [],
    "d": {"a": 1, "b": 2},
    "p": (1, "x"),
    "u": "héllo",
}


def concrete(src: str) -> Truth:
    return decide_expr(P(src), {k: encode(v) for k, v in ENV.items()}).truth


def symbolic(src: str) -> Truth:
    syms, binds = {}, []
    for k, v in ENV.items():
        try:
            syms[k] = fresh(k, infer(v))
        except Unsupported:
            syms[k] = encode(v)
            continue
        binds.append((syms[k], encode(v, syms[k].type)))
    return decide_expr(P(src), syms, binds).truth


T, F = Truth.TRUE, Truth.FALSE

CLAIMS: list[tuple[str, Truth]] = [
    # int arithmetic: Python floor division and modulo
    ("total == 2 + 4", T),
    ("total == 2 + 5", F),
    ("n // 2 == -4", T),
    ("n // 2 == -3", F),
    ("n % 3 == 2", T),
    ("n % -3 == -1", T),
    ("7 % -3 == -2", T),
    ("n % 3 == -1", F),
    ("-n // -2 == -4", T),
    ("2 ** 10 == 1024", T),
    ("n ** 2 == 49", T),
    ("n ** 3 == 343", F),
    ("n / 2 == -3.5", T),
    ("total / 4 == 1", F),
    ("total / 4 == 1.5", T),
    ("abs(n) == 7", T),
    ("abs(n) == -7", F),
    ("-n == 7", T),
    ("+n == -7", T),
    ("True + True == 2", T),
    ("b * 3 == 3", T),
    ("b + 1 == 1", F),
    # floats: IEEE doubles
    ("0.1 + 0.2 == 0.3", F),
    ("0.1 + 0.2 == 0.30000000000000004", T),
    ("f * 3 == 0.3", F),
    ("-0.0 == 0.0", T),
    ("float('nan') == float('nan')", F),
    ("float('nan') != float('nan')", T),
    ("1e308 * 10 == float('inf')", T),
    ("1 == 1.0", T),
    ("2**53 + 1 == float(2**53)", F),
    ("2**53 + 1 > float(2**53)", T),
    ("f < 1", T),
    ("f > 1", F),
    ("int(2.9) == 2", T),
    ("int(-2.9) == -2", T),
    ("int(-2.9) == -3", F),
    ("10**30 / 3 == 3.333333333333333e+29", T),
    # strings
    ("s + t == 'abcdefgab'", T),
    ("t * 2 == 'abab'", T),
    ("t * 2 == 'ab'", F),
    ("len(s) == 7", T),
    ("len(s) == 6", F),
    ("len(u) == 5", T),
    ("u[1] == 'é'", T),
    ("'abc' < 'abd'", T),
    ("'b' < 'abc'", F),
    ("'Z' < 'a'", T),
    ("t <= 'ab' < s", T),
    ("'cd' in s", T),
    ("'dc' in s", F),
    ("'x' not in s", T),
    ("str(n) == '-7'", T),
    ("str(total) == '6'", T),
    ("int('12') == 12", T),
    ("list(t) == ['a', 'b']", T),
    ("s.upper() == 'ABCDEFG'", T),
    ("s.upper() == 'abcdefg'", F),
    ("s.find('cd') == 2", T),
    ("s.find('z') == -1", T),
    ("s.startswith(t)", T),
    ("s.endswith(t)", F),
    ("s.replace('c', 'zz') == 'abzzdefg'", T),
    ("'aXbXc'.replace('X', '') == 'abc'", T),
    ("'-'.join(ws) == 'ab-c'", T),
    ("'-'.join(ws) == 'abc'", F),
    ("s.count('a') == 1", T),
    ("' a b '.strip().split() == ['a', 'b']", T),
    ("'12'.isdigit()", T),
    ("'1a'.isdigit()", F),
    # lists, tuples, negative indices and slices
    ("xs[-1] == 3", T),
    ("xs[-1] == 1", F),
    ("xs[0] == 1", T),
    ("xs[n + 8] == 2", T),
    ("xs[1:] == [2, 3]", T),
    ("xs[:-1] == [1, 2]", T),
    ("xs[-2:] == [2, 3]", T),
    ("xs[5:] == []", T),
    ("xs[1:100] == [2, 3]", T),
    ("xs[::-1] == [3, 2, 1]", T),
    ("s[::2] == 'aceg'", T),
    ("s[-3:] == 'efg'", T),
    ("s[n:] == s", T),
    ("s[1:n + 10] == 'bc'", T),
    ("s[1:n + 10] == 'bcd'", F),
    ("xs + [4] == [1, 2, 3, 4]", T),
    ("xs * 2 == [1, 2, 3] * 2", T),
    ("xs == [1, 2, 3.0]", T),
    ("xs == [1, 2]", F),
    ("xs == (1, 2, 3)", F),
    ("e == []", T),
    ("xs != e", T),
    ("2 in xs", T),
    ("5 in xs", F),
    ("len(e) == 0", T),
    ("sum(xs) == total", T),
    ("max(xs) == 3", T),
    ("min(xs) == 3", F),
    ("sorted([3, 1, 2]) == xs", T),
    ("list(reversed(xs)) == [3, 2, 1]", T),
    ("xs.index(2) == 1", T),
    ("xs.count(2) == 1", T),
    ("xs < [1, 2, 4]", T),
    ("[1, 2] < [1]", F),
    ("p == (1, 'x')", T),
    ("p[1] == 'x'", T),
    ("p[-1] == 'y'", F),
    ("(1, 'a') < (1, 'b')", T),
    ("divmod(n, 2) == (-4, 1)", T),
    # dicts, sets (folded)
    ("d['a'] == 1", T),
    ("d.get('z') is None", T),
    ("list(d.keys()) == ['a', 'b']", T),
    ("d.keys() == {'a', 'b'}", T),
    ("d.keys() == ['a', 'b']", F),
    ("'a' in d", T),
    ("{1, 2} == {2, 1}", T),
    ("3 in {1, 2}", F),
    ("d == {'b': 2, 'a': 1}", T),
    # iterators compare by identity, as in Python
    ("reversed(xs) == [3, 2, 1]", F),
    ("range(3) == range(3)", T),
    ("list(range(3)) == [0, 1, 2]", T),
    # booleans, conditionals, chains, identity
    ("b and total > 5", T),
    ("not b", F),
    ("b or 1 / 0", T),
    ("total > 5 and n < 0", T),
    ("(1 if xs else 2) == 1", T),
    ("(1 if e else 2) == 1", F),
    ("1 < 2 < 3", T),
    ("1 < 3 < 2", F),
    ("None is None", T),
    ("n is None", F),
    ("b is True", T),
]


@pytest.mark.parametrize("src, expected", CLAIMS)
def test_concrete_claims(src: str, expected: Truth) -> None:
    assert concrete(src) is expected


@pytest.mark.parametrize("src, expected", CLAIMS)
def test_symbolic_claims_never_disagree(src: str, expected: Truth) -> None:
    assert symbolic(src) in (expected, Truth.UNKNOWN)


SYMBOLIC_DECIDED = [
    "total == 2 + 4",
    "n // 2 == -4",
    "n % 3 == 2",
    "n / 2 == -3.5",
    "abs(n) == 7",
    "0.1 + 0.2 == 0.3",
    "f * 3 == 0.3",
    "len(s) == 7",
    "s + t == 'abcdefgab'",
    "'cd' in s",
    "xs[-1] == 3",
    "xs[1:] == [2, 3]",
    "s[1:n + 10] == 'bc'",
    "str(n) == '-7'",
    "2 in xs",
    "s.find('cd') == 2",
    "s.startswith(t)",
    "s.replace('c', 'zz') == 'abzzdefg'",
    "p[1] == 'x'",
    "(1 if xs else 2) == 1",
    "b and total > 5",
    "int(f * 100) == 10",
]


@pytest.mark.parametrize("src", SYMBOLIC_DECIDED)
def test_symbolic_mode_decides_theory_operations(src: str) -> None:
    assert symbolic(src) is not Truth.UNKNOWN


@pytest.mark.parametrize(
    "src, exc",
    [
        ("xs[3] == 1", "IndexError"),
        ("xs[-4] == 1", "IndexError"),
        ("1 / 0 == 1", "ZeroDivisionError"),
        ("n // 0 == 1", "ZeroDivisionError"),
        ("f / 0 == 1", "ZeroDivisionError"),
        ("s.index('z') == 0", "ValueError"),
        ("d['z'] == 1", "KeyError"),
        ("1 < 'a'", "TypeError"),
        ("'a' + 1 == 2", "TypeError"),
        ("len(n) == 1", "TypeError"),
        ("10**400 + 0.5 > 1", "OverflowError"),
        ("undefined == 1", "NameError"),
        ("max(e) == 1", "ValueError"),
        ("xs[::0] == xs", "ValueError"),
        ("n.upper() == 'A'", "AttributeError"),
        ("int('x') == 1", "ValueError"),
    ],
)
def test_raising_expressions_make_claims_false(src: str, exc: str) -> None:
    d = decide_expr(P(src), {k: encode(v) for k, v in ENV.items()})
    assert d.truth is Truth.FALSE and d.raised == exc
    with pytest.raises(PythonError) as info:
        compile_expr(P(src), {k: encode(v) for k, v in ENV.items()})
    assert info.value.exc_type == exc


def test_symbolic_guards_name_the_exception() -> None:
    xs, i = fresh("xs", "list[int]"), fresh("i", "int")
    claim = compile_expr(P("xs[i] == 1"), {"xs": xs, "i": i})
    assert [g.exc for g in claim.guards] == ["IndexError"]
    d = decide(claim, [(xs, encode([1, 2])), (i, encode(5))])
    assert d.truth is Truth.FALSE and d.raised == "IndexError"
    assert decide(claim, [(xs, encode([1, 2])), (i, encode(-2))]).truth is Truth.TRUE


def test_short_circuit_guards_only_apply_when_evaluated() -> None:
    x = fresh("x", "int")
    claim = compile_expr(P("x == 0 or 10 // x == 2"), {"x": x})
    assert decide(claim, [(x, encode(0))]).truth is Truth.TRUE
    assert decide(claim, [(x, encode(5))]).truth is Truth.TRUE
    assert decide(claim, [(x, encode(3))]).truth is Truth.FALSE


@pytest.mark.parametrize(
    "src",
    [
        "s.upper() == 'A'",
        "sorted(xs) == xs",
        "s[::-1] == s",
        "xs.count(1) == 1",
        "program_function(1) == 2",
        "xs.index.__name__ == 'index'",
    ],
)
def test_unsupported_symbolic_operations_are_unknown(src: str) -> None:
    assert symbolic(src) is Truth.UNKNOWN or src.startswith(("program", "xs.index"))
    if src.startswith(("program", "xs.index")):
        assert concrete(src) is Truth.UNKNOWN


def test_attributes_python_lacks_raise() -> None:
    # a str has no .real: Python raises AttributeError, so the claim is false
    assert concrete("s.real == 1") is Truth.FALSE


def test_prove_and_check_sat_for_backward_reasoning() -> None:
    x, s = fresh("x", "int"), fresh("s", "str")
    env = {"x": x, "s": s}
    goal = compile_expr(P("s + 'q' == 'abq'"), env)
    must = compile_expr(P("s == 'ab'"), env)
    assert prove(must, [goal]).truth is Truth.TRUE
    wrong = compile_expr(P("len(s) == 3"), env)
    refuted = prove(wrong, [goal], symbols=env)
    assert refuted.truth is Truth.FALSE and refuted.model is not None
    assert refuted.model["s"] == "ab"
    both = check_sat(
        [compile_expr(P("x * x == 49"), env), compile_expr(P("x < 0"), env)], symbols=env
    )
    assert both.truth is Truth.TRUE and both.model == {"x": -7, "s": both.model["s"]}
    assert check_sat([compile_expr(P("x // 2 == 3 and x % 2 == 5"), env)]).truth is Truth.FALSE


def test_decide_reports_a_counterexample_for_open_formulas() -> None:
    x = fresh("x", "int")
    d = decide(compile_expr(P("x * 2 > x"), {"x": x}), symbols={"x": x})
    assert d.truth is Truth.FALSE and d.model is not None and d.model["x"] <= 0
    assert decide(compile_expr(P("x + 1 > x"), {"x": x})).truth is Truth.TRUE


def test_float_symbolic_semantics() -> None:
    f = fresh("f", "float")
    nan_ne = compile_expr(P("f != f"), {"f": f})
    assert decide(nan_ne, [(f, encode(math.nan))]).truth is Truth.TRUE
    assert decide(nan_ne, [(f, encode(1.5))]).truth is Truth.FALSE
    d = check_sat([compile_expr(P("f + 1.0 == f and f == f"), {"f": f})], symbols={"f": f})
    assert d.truth is Truth.TRUE and d.model is not None
    assert d.model["f"] + 1.0 == d.model["f"]


def test_opaque_variables_make_claims_unknown_not_false() -> None:
    env = encode_env({"o": object(), "x": 1})
    assert decide_expr(P("o + 1 == 2"), env).truth is Truth.UNKNOWN
    assert decide_expr(P("x == 1 or o"), env).truth is Truth.TRUE


def test_benchmark_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from codecot.solver.benchmark import main

    main(["0.05"])
    out = capsys.readouterr().out
    assert '"forward_claims_per_s"' in out
