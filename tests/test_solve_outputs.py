"""`codecot solve` on container outputs: every container type, empty and nested (issue 14.5).

Each record's input is a different value from the one the solver must find (the solver reads
only its type skeleton). A solved record's input is re-executed here, independently of the
solver, and must reproduce the output with the same types.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.corpus import CorpusRecord
from codecot.sandbox import SandboxPool
from codecot.solve.gen import Generator, hashable
from codecot.solve.mine import mine
from codecot.solve.portfolio import SolveOptions, Solver
from codecot.solve.types import ANY, Ty
from codecot.trace.values import decode, same_value

EXEC_TASK = "codecot.sandbox.tasks:exec_call"

# (name, code, input whose types the solver may read, output to reproduce)
SOLVABLE = [
    ("dict", "def f(words):\n    return {w: len(w) for w in words}",
     "['x']", "{'ab': 2, 'c': 1}"),
    ("empty_dict", "def f(d, n):\n    while len(d) > n:\n        d.popitem()\n    return d",
     "{'a': [1], 'b': []}, 1", "{}"),
    ("dict_untyped", "def f(d):\n    return {k: v for k, v in d.items() if v != 0}", "{}",
     "{1: 2}"),
    ("list", "def f(xs):\n    return [x * x for x in xs]", "[5]", "[1, 4, 9]"),
    ("empty_list", "def f(xs):\n    return [x for x in xs if x > 3]", "[5, 6]", "[]"),
    ("set", "def f(xs):\n    return {x % 5 for x in xs}", "[1]", "{0, 3}"),
    ("empty_set", "def f(xs):\n    return set(xs) - {1, 2}", "[3]", "set()"),
    ("frozenset", "def f(xs):\n    return frozenset(x * 2 for x in xs)", "[5]",
     "frozenset({2, 6})"),
    ("empty_frozenset", "def f(a, b):\n    return frozenset(a) & frozenset(b)", "[1], [1]",
     "frozenset()"),
    ("tuple", "def f(a, b):\n    return (a + b, a - b)", "1, 1", "(7, 3)"),
    ("empty_tuple", "def f(xs):\n    return tuple(x for x in xs if x < 0)", "[-1]", "()"),
    ("dict_in_list", "def f(names):\n    return [{'name': n, 'len': len(n)} for n in names]",
     "['x']", "[{'name': 'ab', 'len': 2}]"),
    ("list_in_dict", "def f(xs):\n    out = {'even': [], 'odd': []}\n    for x in xs:\n"
     "        out['even' if x % 2 == 0 else 'odd'].append(x)\n    return out",
     "[1, 2]", "{'even': [4], 'odd': [3]}"),
    ("tuple_of_dicts", "def f(d):\n    return (d, {v: k for k, v in d.items()})",
     "{'x': 2}", "({'a': 1}, {1: 'a'})"),
    ("set_of_tuples", "def f(xs):\n    return {(x, x * x) for x in xs}", "[1]",
     "{(2, 4), (3, 9)}"),
    ("nested_empty", "def f(d):\n    return [d, [d]]", "{'k': 1}", "[{}, [{}]]"),
    ("bytes", "def f(s):\n    return s.encode()[::-1]", "'x'", "b'olleh'"),
    ("bytes_in", "def f(b):\n    return b.upper() + b'!'", "b'z'", "b'HI!'"),
    ("empty_bytes", "def f(b):\n    return b.strip()", "b'x'", "b''"),
]

# the generator makes no complex numbers, and only a complex argument gives float parts here
UNSOLVABLE = [
    ("complex_parts", "def f(z):\n    return {'re': [z.real], 'im': (z.imag,)}",
     "1j", "{'re': [1.5], 'im': (2.0,)}"),
]


@pytest.fixture(scope="module")
def solver() -> Iterator[Solver]:
    with Solver(SolveOptions(timeout=1.0, concolic=False)) as s:
        yield s


@pytest.fixture(scope="module")
def runner_pool() -> Iterator[SandboxPool]:
    with SandboxPool(jobs=1, task=EXEC_TASK) as p:
        yield p


def record(name: str, code: str, input_src: str, output: str) -> CorpusRecord:
    return CorpusRecord(id=name, code=code, input=input_src, output=output, entry="f")


def reproduces(pool: SandboxPool, rec: CorpusRecord, src: str) -> bool:
    """Run `f(src)` fresh in the sandbox; True iff it returns the record's output exactly."""
    res = pool.run({"id": rec.id, "code": rec.code, "input": src, "entry": "f"})
    return bool(res.get("ok")) and same_value(decode(str(res["output"])),
                                              decode(str(rec.output)))


@pytest.mark.parametrize(("name", "code", "input_src", "output"), SOLVABLE,
                         ids=[case[0] for case in SOLVABLE])
def test_container_output_is_solved(solver: Solver, runner_pool: SandboxPool, name: str,
                                    code: str, input_src: str, output: str) -> None:
    rec = record(name, code, input_src, output)
    sol = solver.solve(rec)
    assert sol["status"] == "solved", sol
    assert sol["id"] == name and isinstance(sol["input"], str)
    assert reproduces(runner_pool, rec, sol["input"])
    # the record's own input gives another output: the solver found an input of its own
    assert not reproduces(runner_pool, rec, input_src)


@pytest.mark.parametrize(("name", "code", "input_src", "output"), UNSOLVABLE,
                         ids=[case[0] for case in UNSOLVABLE])
def test_unreachable_container_output_ends_without_error(
        solver: Solver, name: str, code: str, input_src: str, output: str) -> None:
    sol = solver.solve(record(name, code, input_src, output))
    assert sol["status"] in ("timeout", "unsupported"), sol
    assert sol["input"] is None


def test_same_value_check_refuses_a_near_miss(runner_pool: SandboxPool) -> None:
    rec = record("near", "def f(xs):\n    return set(xs)", "[1]", "frozenset({1})")
    assert not reproduces(runner_pool, rec, "[1]")  # a set, not a frozenset
    rec = record("near", "def f(xs):\n    return frozenset(xs)", "[1]", "frozenset({1})")
    assert reproduces(runner_pool, rec, "[1]")


def test_hashable() -> None:
    assert hashable((1, "a")) and hashable(frozenset({1})) and hashable(b"x")
    assert not hashable({}) and not hashable([1]) and not hashable((1, [2]))


@pytest.mark.parametrize("target", ["{}", "[{}]", "({'a': 1}, {'b': [2]})", "{(1, 2)}",
                                    "[set()]", "{1: {2: {}}}"])
def test_untyped_dict_candidates_have_hashable_keys(target: str) -> None:
    """An untyped dict (skeleton of ``{}``) has the output among its key candidates."""
    gen = Generator(mine("def f(d):\n    return d", target))
    untyped = Ty("dict", (ANY, ANY))
    dicts = gen.stream(untyped)
    assert {} in dicts and len(dicts) > 1
    assert all(type(d) is dict and all(hashable(k) for k in d) for d in dicts)
    assert any(same_value(v, decode(target)) for d in dicts for v in d.values())
    for _ in range(50):
        assert type(gen.random(untyped)) is dict
        assert type(gen.mutate(untyped, {1: 2})) is dict
        assert type(gen.mutate(Ty("set", (ANY,)), {1, 2})) is set


def test_bytes_output_is_mined_as_text() -> None:
    pools = mine("def f(s):\n    return s.encode() + b'\\xff!'", "b'ok\\xe9'")
    assert "oké" in pools.strs and "ÿ!" in pools.strs
    assert b"ok\xe9" in Generator(pools).stream(Ty("bytes"))


def test_cli_solve_writes_solved_for_empty_dict_output(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    code = "def f(d):\n    while len(d) > 1:\n        d.popitem()\n    return [d]"
    corpus.write_text(json.dumps({"id": "pop", "code": code, "input": "{}", "output": "[{}]",
                                  "entry": "f"}) + "\n", encoding="utf-8")
    out = tmp_path / "s.jsonl"
    res = CliRunner().invoke(app, ["solve", str(corpus), "-o", str(out), "--timeout", "1",
                                   "-j", "1", "--no-concolic"])
    assert res.exit_code == 0, res.output
    sol = json.loads(out.read_text(encoding="utf-8"))
    assert sol["status"] == "solved" and sol["input"] == "{}"
