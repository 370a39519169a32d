"""The concolic engine on bool and float parameters and on unbound methods (``str.lower(s)``).

Differential soundness as in test_symbolic.py (another input on the same path must give the
symbolic output), and backward necessities on these types asserted both ways: a true one is
proved, a false one is refuted with a counterexample that the checker re-executed.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from codecot.claims import expr as E
from codecot.sandbox import SandboxPool
from codecot.solver import Truth, check_sat, compile_expr
from codecot.symbolic.api import ConcolicRun, input_source
from tests import concolic_helpers
from tests.concolic_helpers import call, check, run

factory = concolic_helpers.factory  # a fixture
pool = concolic_helpers.pool  # a fixture


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def another_input(r: ConcolicRun, name: str) -> tuple[list[object], object] | None:
    """Another input on ``r``'s path (``name`` differs) and the symbolic output under it."""
    differ = compile_expr(E.Compare(E.Name(name), ("!=",), (E.Const(r.concrete[name]),)),
                          r.params)
    assert r.output is not None
    d = check_sat([*r.pc, differ], symbols={**r.params, "__out": r.output}, timeout_ms=5000)
    if d.truth is not Truth.TRUE:
        return None
    assert d.model is not None
    return [d.model[n] for n in r.params], d.model["__out"]


SOUND = [
    ("def f(x, flag):\n    if flag:\n        return x * 2.5\n    return x - 1.0\n", "2.0, True", "x"),
    ("def f(xs):\n    return sum(xs) / len(xs)\n", "[1, 2, 4]", "xs"),
    ("def f(a, b):\n    return a / b if b > 1 else float(a)\n", "7, 2", "a"),
    ("def f(x):\n    return int(x * 0.5)\n", "7.0", "x"),
    ("def f(x):\n    return abs(-x) if x < 3 else x / 4\n", "5.5", "x"),
    ("def f(bs, n):\n    return [n if b else -n for b in bs]\n", "[True, False], 3", "n"),
    ("def f(p):\n    a, b = p\n    return a * 2 if b else a\n", "(4, True)", "p"),
    ("def f(s):\n    return str.upper(s) + str.lower(s)\n", "'aB'", "s"),
    ("def f(xs):\n    return list(map(str.swapcase, xs))\n", "['aB', 'c']", "xs"),
    ("def f(s):\n    return sum(map(int, s))\n", "'123'", "s"),
    ("def f(xs):\n    return sorted(xs, key=len)\n", "['abc', 'd']", "xs"),
    ("def f(n):\n    m, s = divmod(n, 60)\n    return divmod(m, 60) + (s,)\n", "7384", "n"),
]


@pytest.mark.parametrize(("code", "src", "vary"), SOUND)
def test_paths_are_sound(pool: SandboxPool, code: str, src: str, vary: str) -> None:
    r = run(pool, code, src)
    assert r.ok, r.error
    assert r.complete, r.notes
    assert vary in r.symbolic_params
    found = another_input(r, vary)
    assert found is not None
    inputs, symbolic_out = found
    assert same(call(code, inputs), symbolic_out)


def test_bool_and_float_parameters_are_symbolic(pool: SandboxPool) -> None:
    r = run(pool, "def f(a, b, c):\n    return a\n", "True, 1.5, [False]")
    assert r.symbolic_params == ("a", "b", "c")
    assert r.complete
    assert [str(r.params[n].type) for n in "abc"] == ["bool", "float", "list[bool]"]


def test_unbound_method_is_modelled_not_read_raw(pool: SandboxPool) -> None:
    r = run(pool, "def f(s):\n    return str.lower(s)\n", "'AB'")
    assert r.output is not None and not r.output.concrete  # symbolic: lower(s)


def test_float_inputs_with_non_finite_values_are_written_as_source() -> None:
    assert input_source([float("nan"), [float("-inf")], 0.5]) == \
        "float('nan'), [float('-inf')], 0.5"


BOOLS = "def f(n, flag):\n    if flag:\n        return n * 2\n    return n + 1\n"


def test_bool_necessity_proved_and_refuted(factory: Any) -> None:
    # 7 is odd: only the flag=False branch (n + 1 = 7) gives it
    text = ("We need f(n, flag) to return 7.\nflag must be False.\n"
            "Check: f(6, False) returns 7.\nSo the input is 6, False.")
    out = check(factory, BOOLS, "7", text)
    assert out["accepted"], out["steps"]
    assert out["steps"][1]["verdict"] == "proved"
    # 8 comes from both branches (4 * 2, 7 + 1): "flag must be True" over-claims
    text = ("We need f(n, flag) to return 8.\nflag must be True.\n"
            "Check: f(4, True) returns 8.\nSo the input is 4, True.")
    out = check(factory, BOOLS, "8", text)
    step = out["steps"][1]
    assert step["verdict"] == "refuted", step
    assert "f(7, False) also returns 8" in step["detail"]


FLOATS = "def f(x):\n    if x > 0:\n        return x * 2.0\n    return 3.0\n"


def test_float_necessity_proved_and_refuted(factory: Any) -> None:
    text = ("We need f(x) to return 5.0.\nx must be 2.5.\n"
            "Check: f(2.5) returns 5.0.\nSo the input is 2.5.")
    out = check(factory, FLOATS, "5.0", text)
    assert out["accepted"], out["steps"]
    assert out["steps"][1]["verdict"] == "proved"
    # 3.0 comes from x = 1.5 and from every x <= 0
    text = ("We need f(x) to return 3.0.\nx must be 1.5.\n"
            "Check: f(1.5) returns 3.0.\nSo the input is 1.5.")
    out = check(factory, FLOATS, "3.0", text)
    step = out["steps"][1]
    assert step["verdict"] == "refuted", step
    src = step["detail"].split("f(", 1)[1].split(") also", 1)[0]
    x = eval(src, {"float": float})  # a literal written by the checker
    assert call(FLOATS, [x]) == 3.0 and x != 1.5
