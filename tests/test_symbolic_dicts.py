"""The concolic engine on dict parameters (codecot.symbolic.dicts, solver.dicts).

A dict parameter with n entries is two sequences (keys, values) with the length pinned and the
keys distinct; lookups record what decided them.  Asserted here: differential soundness (another
input on the same path, with a different dict, gives the symbolic output -- a lookup whose
outcome were not recorded would let the solver move a key under it), decoded dicts are real
dicts of the pinned size, backward necessities about dict values are proved and refuted, and the
solver finds a dict input by concolic search that it re-executes.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import z3

from codecot.claims import expr as E
from codecot.sandbox import SandboxPool
from codecot.solve.concolic import ConcolicSearch
from codecot.solve.evaluate import SOLVE_TASK, Evaluator
from codecot.solver import Truth, check_sat, compile_expr
from codecot.solver.values import decode_model, dict_terms
from codecot.symbolic.api import CONCOLIC_TASK, ConcolicRun, concolic_payload, model_to_inputs
from codecot.symbolic.explore import Bounds, domain_of
from codecot.symbolic.rebuild import rebuild
from tests import concolic_helpers
from tests.concolic_helpers import call, check, run

factory = concolic_helpers.factory  # a fixture
pool = concolic_helpers.pool  # a fixture


def another_input(r: ConcolicRun, name: str) -> tuple[list[object], object] | None:
    """Another input on ``r``'s path (``name`` differs) and the symbolic output under it."""
    differ = compile_expr(E.Compare(E.Name(name), ("!=",), (E.Const(r.concrete[name]),)),
                          r.params)
    assert r.output is not None
    domain, _ = domain_of(r, Bounds())
    d = check_sat([*domain, *r.pc, differ], symbols={**r.params, "__out": r.output},
                  timeout_ms=5000)
    if d.truth is not Truth.TRUE:
        return None
    assert d.model is not None
    return [d.model[n] for n in r.params], d.model["__out"]


SOUND = [
    # items / keys / values, arithmetic on values
    ("def f(d):\n    return [k + str(v) for k, v in d.items() if v % 2]\n", "{'a': 1, 'b': 2}"),
    ("def f(d):\n    return sum(d.values()) * 2\n", "{'a': 1, 'b': 2, 'c': 4}"),
    ("def f(d):\n    return sorted(d.keys())\n", "{'b': 1, 'a': 2}"),
    ("def f(d):\n    return max(d, key=d.get)\n", "{'x': 3, 'y': 7}"),
    # lookups found and not found
    ("def f(d):\n    return d['a'] + 1\n", "{'a': 4, 'b': 0}"),
    ("def f(d):\n    return d.get('a', 0) + 1\n", "{'b': 1}"),
    ("def f(d, k):\n    return d[k] * 3 if k in d else -1\n", "{'x': 2, 'y': 5}, 'y'"),
    ("def f(d, k):\n    return d[k] * 3 if k in d else -1\n", "{'x': 2}, 'z'"),
    # mutation
    ("def f(d):\n    v = d.pop('a', 10)\n    return v, sorted(d.values())\n", "{'a': 1, 'b': 2}"),
    ("def f(d):\n    d.setdefault('n', 5)\n    return [k + str(v) for k, v in d.items()]\n",
     "{'a': 1}"),
    ("def f(d):\n    d.update({'a': 9})\n    return d\n", "{'a': 1, 'b': 2}"),
    ("def f(d):\n    k, v = d.popitem()\n    return k * 2, v, d\n", "{'a': 1, 'b': 2}"),
    ("def f(d):\n    d['c'] = d['a'] * 2\n    del d['a']\n    return d\n", "{'a': 3, 'b': 1}"),
    # int keys, list values, two dicts compared
    ("def f(d):\n    return [d[i] for i in range(3) if i in d]\n", "{0: 'x', 2: 'y'}"),
    ("def f(d):\n    return [len(v) + v[0] for v in d.values()]\n", "{'a': [1, 2], 'b': [3]}"),
    ("def f(a, b):\n    return a == b, list(a) == list(b)\n", "{'x': 1, 'y': 2}, {'y': 2, 'x': 1}"),
]


@pytest.mark.parametrize(("code", "src"), SOUND)
def test_dict_paths_are_sound(pool: SandboxPool, code: str, src: str) -> None:
    r = run(pool, code, src)
    assert r.ok, r.error
    assert r.complete, r.notes
    assert "d" in r.symbolic_params or "a" in r.symbolic_params
    name = "d" if "d" in r.params else "a"
    assert r.params[name].type.kind == "dict"
    found = another_input(r, name)
    assert found is not None, "the values stay symbolic: another dict takes the same path"
    inputs, symbolic_out = found
    assert inputs[list(r.params).index(name)] != r.concrete[name]
    assert call(code, inputs) == symbolic_out


def test_dict_parameter_encoding(pool: SandboxPool) -> None:
    r = run(pool, "def f(d):\n    return sum(d.values())\n", "{'a': 1, 'b': 2, 'c': 3}")
    assert r.symbolic_params == ("d",)
    assert str(r.params["d"].type) == "dict[str, int]"
    kinds = [k for k, _ in r.constraints]
    assert kinds[:3] == ["assume", "pin", "assume"]  # equal lengths, size 3, distinct keys
    keys, _ = dict_terms(r.params["d"])
    # no model may repeat a key: the path condition itself says they differ
    same_key = check_sat([*r.pc, keys[0] == keys[1]], timeout_ms=2000)
    assert same_key.truth is Truth.FALSE
    # a decoded model is a real dict of the pinned size, in insertion order
    s = z3.Solver(ctx=keys.ctx)
    assert r.output is not None
    s.add(*r.pc, r.output.term == 60)
    assert s.check() == z3.sat
    (d,) = model_to_inputs(r, s.model())
    assert isinstance(d, dict) and len(d) == 3 and sum(d.values()) == 60
    assert decode_model(s.model(), r.params["d"]) == d


def test_hashing_a_key_elsewhere_pins_it(pool: SandboxPool) -> None:
    r = run(pool, "def f(d):\n    return dict.fromkeys(d, 0), {v: k for k, v in d.items()}\n",
            "{'a': 1, 'b': 2}")
    assert r.ok and r.complete
    pins = [str(c) for k, c in r.constraints if k == "pin"]
    assert 'Nth(d.keys, 0) == "a"' in pins and "Nth(d.values, 1) == 2" in pins
    assert another_input(r, "d") is None  # everything that decides the output is pinned


def test_empty_dict_with_a_type_hint_is_symbolic(pool: SandboxPool) -> None:
    payload = concolic_payload("def f(d):\n    return len(d)\n", "{}",
                               tags={"d": "dict[str, int]"})
    r = rebuild(pool.run(payload))
    assert r.symbolic_params == ("d",)


def test_type_of_a_dict_parameter_is_dict(pool: SandboxPool) -> None:
    r = run(pool, "def f(d, n):\n    return type(d) is dict, type(n) is int\n", "{'a': 1}, 3")
    assert r.output_repr == "(True, True)"


DICT_CODE = "def f(d):\n    return d['a'] * 2\n"


def test_dict_value_necessity_proved_and_refuted(factory: Any) -> None:
    ending = "Check: f({'a': 3, 'b': 1}) returns 6.\nSo the input is {'a': 3, 'b': 1}."
    out = check(factory, DICT_CODE, "6", f"We need f(d) to return 6.\nd['a'] must be 3.\n{ending}")
    assert out["accepted"], out["steps"]
    assert out["steps"][1]["verdict"] == "proved"
    assert "len(d) <= 4" in out["steps"][1]["detail"]
    out = check(factory, DICT_CODE, "6", f"We need f(d) to return 6.\n'a' must be in d.\n{ending}")
    assert out["steps"][1]["verdict"] == "proved"
    # other entries do not matter: the whole dict is not necessary
    text = f"We need f(d) to return 6.\nd must be {{'a': 3, 'b': 1}}.\n{ending}"
    out = check(factory, DICT_CODE, "6", text)
    step = out["steps"][1]
    assert step["verdict"] == "refuted", step
    src = step["detail"].split("f(", 1)[1].split(") also", 1)[0]
    d = eval(src)  # a literal written by the checker
    assert isinstance(d, dict) and d != {"a": 3, "b": 1} and call(DICT_CODE, [d]) == 6
    # a choice of the whole dict is consistent
    out = check(factory, DICT_CODE, "6", f"We need f(d) to return 6.\nLet d be {{'a': 3, 'b': 1}}."
                f"\n{ending}")
    assert out["accepted"], out["steps"]


FORCED = ("def f(d):\n    out = []\n    for k, v in d.items():\n        if v > 100:\n"
          "            out.append(k + k + str(v - 7))\n    return out\n")


def test_concolic_search_finds_a_dict_input() -> None:
    target = "['zqzq9993']"
    with SandboxPool(jobs=1, task=CONCOLIC_TASK) as cpool, \
            SandboxPool(jobs=1, task=SOLVE_TASK) as spool:
        search = ConcolicSearch(cpool, FORCED, None, target)
        evaluator = Evaluator(spool, FORCED, None, target)
        deadline = time.monotonic() + 20
        seeds = ["{'a': 1, 'b': 2}"]
        found = None
        while found is None and time.monotonic() < deadline:
            new = search.step(seeds, deadline, set())
            seeds = []
            if not new and not search.queue:
                break
            found = next((s for s in new if evaluator.verify(s)), None)
    assert found is not None
    d = eval(found)
    assert d["zq"] == 10000 and call(FORCED, [d]) == ["zqzq9993"]
