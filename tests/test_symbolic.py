"""The concolic engine: shadows follow the concrete run, path conditions are sound.

The differential tests take a path condition, ask the solver for *another* input on the same
path, run the function on it in Python and compare with the symbolic output under the model.
"""

from __future__ import annotations

import pytest

from codecot.claims import expr as E
from codecot.sandbox import SandboxPool
from codecot.solver import Truth, check_sat, compile_expr, encode
from codecot.symbolic.api import (
    ConcolicRun,
    concolic_payload,
    input_source,
    run_concolic,
)
from codecot.symbolic.claims import HOLDS, VIOLATED, check_on_run
from codecot.symbolic.explore import explore
from codecot.symbolic.rebuild import rebuild
from codecot.symbolic.rewrite import rewrite
from tests import concolic_helpers
from tests.concolic_helpers import call, run

pool = concolic_helpers.pool  # a fixture


def other_input_same_path(r: ConcolicRun, avoid: str) -> tuple[list[object], object] | None:
    """Another input on ``r``'s path (differing in parameter ``avoid``) and the symbolic output
    under that model."""
    differ = compile_expr(E.Compare(E.Name(avoid), ("!=",), (E.Const(r.concrete[avoid]),)),
                          r.params)
    assert r.output is not None
    symbols = {**r.params, "__out": r.output}
    d = check_sat([*r.pc, differ], symbols=symbols, timeout_ms=5000)
    if d.truth is not Truth.TRUE:
        return None
    assert d.model is not None
    return [d.model[n] for n in r.params], d.model["__out"]


STRING_PROGRAMS = [
    ("def f(s):\n    return s.upper()\n", "'abC1'"),
    ("def f(s):\n    return s.lower() + s.swapcase()\n", "'aB-z'"),
    ("def f(s):\n    return s.capitalize()\n", "'hELLO'"),
    ("def f(s):\n    return s.title()\n", "'ab cD'"),
    ("def f(s):\n    return s.strip()\n", "'  ab '"),
    ("def f(s):\n    return s.rstrip('x') + '|' + s.lstrip('ab')\n", "'abcxx'"),
    ("def f(s):\n    return s.split(',')\n", "'a,bc,'"),
    ("def f(s):\n    return s.split()\n", "' a  bc'"),
    ("def f(s):\n    return s.replace('ab', 'X')\n", "'cabab'"),
    ("def f(s):\n    return s.count('a'), s.find('b')\n", "'abca'"),
    ("def f(s):\n    return s[1:-1] + s[::-1] + s[-1]\n", "'hello'"),
    ("def f(s):\n    return '-'.join(sorted(s))\n", "'cab'"),
    ("def f(s):\n    return s.isdigit(), s.isalpha(), s.isupper(), s.islower(), s.isspace()\n", "'AB'"),
    ("def f(s):\n    return int(s) * 2 if s.isdigit() else len(s)\n", "'12'"),
    ("def f(s):\n    return [c for c in s if c in 'aeiou']\n", "'banana'"),
    ("def f(s):\n    return s.startswith('ab') and s.endswith('z')\n", "'abz'"),
    ("def f(s):\n    return f'<{s}>{len(s)}'\n", "'hi'"),
    ("def f(s):\n    return str(len(s)) + s.zfill(4)\n", "'7'"),
    ("def f(s):\n    d = {}\n    for c in s:\n        d[c] = d.get(c, 0) + 1\n    return max(d.values())\n", "'abca'"),
]


@pytest.mark.parametrize(("code", "src"), STRING_PROGRAMS)
def test_string_paths_are_sound(pool: SandboxPool, code: str, src: str) -> None:
    r = run(pool, code, src)
    assert r.ok, r.error
    assert r.output_repr == repr(call(code, [eval(src)]))
    found = other_input_same_path(r, "s")
    if found is None:
        return  # the path admits only this input
    inputs, symbolic_out = found
    assert call(code, inputs) == symbolic_out


INT_LIST_PROGRAMS = [
    ("def f(xs):\n    t = 0\n    for x in xs:\n        if x % 3 == 1:\n            t += x // 2\n    return t\n",
     "[4, -5, 7]", "xs"),
    ("def f(xs):\n    xs.sort()\n    xs.append(xs.pop(0))\n    return xs\n", "[3, 1, 2]", "xs"),
    ("def f(n):\n    bits = []\n    while n:\n        bits.append(n % 2)\n        n //= 2\n    return ''.join(str(b) for b in reversed(bits))\n",
     "37", "n"),
    ("def f(a, b):\n    return (a // b, a % b, abs(a - b), -a)\n", "-17, 5", "a"),
    ("def f(words):\n    return [w.upper() for w in words if len(w) > 2]\n", "['ab', 'cde']", "words"),
    # copies of immutable shadows are the shadows themselves, as in Python
    ("import copy\ndef f(xs, s):\n    ys = copy.deepcopy(xs)\n    return [y * 2 for y in ys], copy.copy(s) + '!'\n",
     "[3, 4], 'ab'", "xs"),
    ("import copy\ndef f(xs, s):\n    return copy.deepcopy(s).upper() + str(copy.copy(xs)[0] + 1.5)\n",
     "[3.0], 'ab'", "s"),
]


@pytest.mark.parametrize(("code", "src", "vary"), INT_LIST_PROGRAMS)
def test_int_and_list_paths_are_sound(pool: SandboxPool, code: str, src: str, vary: str) -> None:
    r = run(pool, code, src)
    assert r.ok, r.error
    found = other_input_same_path(r, vary)
    assert found is not None
    inputs, symbolic_out = found
    assert call(code, inputs) == symbolic_out


def test_shapes_of_parameters_and_unsupported_ones(pool: SandboxPool) -> None:
    r = run(pool, "def f(a, b, c, d):\n    return a\n", "3, 'x', {1.5: 2}, (1, 'y')")
    assert r.symbolic_params == ("a", "b", "d")
    assert r.concrete == {"a": 3, "b": "x", "c": {1.5: 2}, "d": (1, "y")}
    assert not r.complete and "parameter c is not symbolic" in r.notes[0]


def test_exceptions_and_points(pool: SandboxPool) -> None:
    r = run(pool, "def f(x):\n    y = x + 1\n    return 10 // (y - 3)\n", "2")
    assert not r.ok and r.error is not None and r.error.startswith("ZeroDivisionError")
    r = run(pool, "def f(x):\n    y = x + 1\n    z = y * 2\n    return z\n", "4", lines=[3, 4])
    assert [p.line for p in r.points] == [3, 4]
    y = r.points[0].locals["y"]
    assert not y.concrete  # symbolic: x + 1
    cond = E.Compare(E.Name("y"), ("==",), (E.Const(5),))
    assert check_on_run(r, cond, encode(10), line=3).status == HOLDS
    wrong = E.Compare(E.Name("y"), ("==",), (E.Const(6),))
    check = check_on_run(r, wrong, encode(10), line=3)
    assert check.status == VIOLATED and check.inputs == [4]


def test_exploration_covers_lengths_and_branches(pool: SandboxPool) -> None:
    code = "def f(text, value):\n    xs = list(text)\n    xs.append(value)\n    return ''.join(xs)\n"

    def runner(srcs: list[str], tags: dict[str, str]) -> list[ConcolicRun]:
        return [rebuild(x) for x in pool.map([concolic_payload(code, s, tags=tags) for s in srcs])]

    seed = runner(["'bcksrut', 'q'"], {})[0]
    ex = explore(seed, runner)
    assert ex.exhaustive, ex.reason
    assert sorted(len(r.concrete["text"]) for r in ex.runs) == list(range(9))  # type: ignore[arg-type]
    assert "len(text) <= 8" in ex.bounds
    goal = encode("bcksrutq")
    claim = E.Compare(E.Name("value"), ("==",), (E.Const("q"),))
    bad = [c for c in (check_on_run(r, claim, goal, assumptions=ex.domain) for r in ex.runs)
           if c.status == VIOLATED]
    assert bad and all(call(code, c.inputs or []) == "bcksrutq" for c in bad)


def test_run_concolic_without_a_pool_and_helpers() -> None:
    r = run_concolic("def f(x):\n    return x * 2\n", "21")
    assert r.ok and r.output_repr == "42"
    assert input_source([1, "a", [2]]) == "1, 'a', [2]"
    d = check_sat([*r.pc, compile_expr(E.Compare(E.Name("x"), ("==",), (E.Const(5),)), r.params)],
                  timeout_ms=2000)
    assert d.truth is Truth.TRUE


def test_rewrite_keeps_docstrings_and_lines() -> None:
    tree = rewrite('def f(s):\n    """doc"""\n    return len(s) + ("a" in s)\n')
    fn = tree.body[0]
    import ast

    assert isinstance(fn, ast.FunctionDef)
    assert isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant)
    text = ast.unparse(fn.body[1])
    assert "_cc_len(s)" in text and "_cc_in(_cc_lit('a'), s)" in text
    assert fn.body[1].lineno == 3
