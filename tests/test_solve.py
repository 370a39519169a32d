"""Tests of `codecot solve`: type skeletons, inference, exact reproduction, budgets, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.corpus import CorpusRecord
from codecot.sandbox import SandboxPool
from codecot.solve.crosshair_compare import crosshair_available, run_crosshair, wrapper_source
from codecot.solve.evaluate import SOLVE_TASK, Evaluator, reproduces
from codecot.solve.infer import infer_params
from codecot.solve.portfolio import SolveOptions, Solver, param_types
from codecot.solve.types import ANY, Ty, parse_tag, skeleton
from codecot.trace.values import decode


def rec(code: str, output: str, input_src: str = "", rid: str = "r") -> CorpusRecord:
    return CorpusRecord(id=rid, code=code, input=input_src, output=output)


@pytest.fixture(scope="module")
def solver() -> Iterator[Solver]:
    with Solver(SolveOptions(timeout=4.0, concolic=False)) as s:
        yield s


@pytest.fixture(scope="module")
def quick() -> Iterator[Solver]:
    """A solver with a short budget, for records that must not be solved."""
    with Solver(SolveOptions(timeout=1.0, concolic=False)) as s:
        yield s


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(jobs=1, task=SOLVE_TASK) as p:
        yield p


def reproduces_in_sandbox(pool: SandboxPool, r: CorpusRecord, src: str) -> bool:
    return Evaluator(pool, r.code, r.entry, str(r.output)).verify(src)


# -- type skeletons ------------------------------------------------------------------------


def test_skeleton_keeps_types_only() -> None:
    skel = skeleton("[1, 2]")
    assert skel is not None and [str(p.types[0]) for p in skel] == ["list[int]"]
    skel = skeleton("'ab', (1, 'x'), {'k': [1.5]},")
    assert skel is not None
    assert [str(p.types[0]) for p in skel] == ["str", "tuple[int, str]", "dict[str, list[float]]"]
    assert [str(p.types[0]) for p in skeleton("3 * 19") or []] == ["int"]
    # an empty list does not leak its length: its element type is unknown
    empty = skeleton("[]")
    assert empty is not None and empty[0].types[0] == Ty("list", (ANY,))
    assert skeleton("x=1") is not None and (skeleton("x=1") or [])[0].keyword == "x"


def test_parse_tag_round_trips() -> None:
    for tag in ("int", "list[int | str]", "dict[str, list[int]]", "tuple[int, str]"):
        assert str(parse_tag(tag)) == tag
    assert parse_tag("object:Foo") == ANY


def test_solver_sees_only_the_skeleton(solver: Solver) -> None:
    code = "def f(xs):\n    return sum(xs) * 2"
    a = solver.solve(rec(code, "14", "[3, 4]", rid="same"))
    b = solver.solve(rec(code, "14", "[100, -93, 0, 0, 0]", rid="same"))
    assert a["status"] == b["status"] == "solved"
    assert a["input"] == b["input"]


# -- type inference (--hint none) ----------------------------------------------------------


def first_types(code: str, entry: str = "f") -> list[str]:
    params = infer_params(code, entry)
    assert params is not None
    return [str(p.types[0]) for p in params]


def test_infer_from_usage() -> None:
    assert first_types("def f(s):\n    return s.upper()") == ["str"]
    assert first_types("def f(n):\n    return n + 1") == ["int"]
    assert first_types("def f(d):\n    return [k for k, v in d.items()]") == ["dict[str, int]"]
    loop = infer_params("def f(xs):\n    for x in xs:\n        print(x.lower())\n    return 1", "f")
    assert loop is not None and [str(t) for t in loop[0].types][:2] == ["str", "list[str]"]
    assert first_types("def f(xs):\n    return sum(x * 2 for x in xs)") == ["list[int]"]


def test_infer_from_annotations_and_defaults() -> None:
    code = "from typing import List\ndef g(a: List[int], b: str, c=3):\n    return a"
    assert first_types(code, "g") == ["list[int]", "str"]  # c has a default: not required
    assert param_types(rec("def f(q):\n    return q * 2", "4", "2"), "none") is not None


def test_hint_none_solves(solver: Solver) -> None:
    r = rec("def f(s):\n    return s.swapcase() + '!'", "'aBc!'", "'x'")
    opts = SolveOptions(hint="none", timeout=4.0, concolic=False)
    with Solver(opts) as s:
        out = s.solve(r)
    assert out["status"] == "solved" and decode(out["input"]) == "AbC"


# -- exact reproduction --------------------------------------------------------------------


def test_reproduces_keeps_types_apart() -> None:
    assert reproduces("1", "1")
    assert not reproduces("True", "1")
    assert not reproduces("1.0", "1")
    assert reproduces("{'b': 2, 'a': 1}", "{'a': 1, 'b': 2}")
    assert not reproduces(None, "1")


def test_bool_is_not_an_int(solver: Solver, quick: Solver) -> None:
    r = rec("def f(x):\n    return x > 0", "1", "5")
    out = quick.solve(r)
    assert out["status"] == "timeout" and out["input"] is None
    ok = solver.solve(rec("def f(x):\n    return x > 0", "True", "5"))
    assert ok["status"] == "solved"


def test_float_is_not_an_int(solver: Solver, quick: Solver) -> None:
    out = quick.solve(rec("def f(x):\n    return x / 2", "3", "6"))
    assert out["status"] == "timeout"
    ok = solver.solve(rec("def f(x):\n    return x / 2", "3.0", "6"))
    assert ok["status"] == "solved" and decode(ok["input"]) in (6, 6.0)


def test_mutating_function_is_judged_on_fresh_input(solver: Solver, pool: SandboxPool) -> None:
    r = rec("def f(xs):\n    xs.reverse()\n    xs.append(0)\n    return xs", "[1, 2, 3, 0]", "[1]")
    out = solver.solve(r)
    assert out["status"] == "solved"
    assert decode(out["input"]) == [3, 2, 1]
    assert reproduces_in_sandbox(pool, r, out["input"])
    assert not reproduces_in_sandbox(pool, r, "[1, 2, 3]")


def test_timeout_holds_on_a_looping_program(quick: Solver) -> None:
    r = rec("def f(x):\n    while True:\n        x += 1\n    return x", "3", "1")
    out = quick.solve(r)
    assert out["status"] == "timeout"
    assert out["seconds"] < 1.0 + 1.0


def test_alternatives_are_distinct_and_verified(pool: SandboxPool) -> None:
    r = rec("def f(n):\n    return n % 5 == 2", "True", "7")
    with Solver(SolveOptions(timeout=4.0, alternatives=3, concolic=False)) as s:
        out = s.solve(r)
    inputs = [out["input"], *out["alternatives"]]
    assert out["status"] == "solved" and len(inputs) == 3 and len(set(inputs)) == 3
    for src in inputs:
        n = decode(src)
        assert isinstance(n, int) and n % 5 == 2
        assert reproduces_in_sandbox(pool, r, src)


def test_bad_records(solver: Solver) -> None:
    assert solver.solve(rec("def f(x:\n", "1", "1"))["status"] == "error"
    assert solver.solve(CorpusRecord(id="n", code="def f(x):\n    return x", input="1"))["status"] \
        == "unsupported"


# -- the CLI -------------------------------------------------------------------------------


def test_cli_solve_end_to_end(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    rows = [
        {"id": "a", "code": "def f(s):\n    return s[::-1].upper()", "input": "'x'", "output": "'CBA'"},
        {"id": "b", "code": "def f(a, b):\n    return a * 10 + b", "input": "1, 2", "output": "47"},
        {"id": "c", "code": "def f(xs):\n    return [x * 2 for x in xs]", "input": "[1]",
         "output": "[2, 8]"},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "sol.jsonl"
    res = CliRunner().invoke(app, ["solve", str(corpus), "-o", str(out), "--timeout", "4",
                                   "--jobs", "1", "--no-concolic"])
    assert res.exit_code == 0, res.output
    sols = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["id"] for s in sols] == ["a", "b", "c"]
    assert all(s["status"] == "solved" for s in sols)
    assert str(decode(sols[0]["input"])).upper() == "ABC"
    assert decode(sols[2]["input"]) == [1, 4]
    assert "solved 3/3" in res.output


def test_cli_solve_rejects_bad_hint(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "code": "def f(x):\\n    return x", "input": "1", "output": "1"}\n')
    res = CliRunner().invoke(app, ["solve", str(corpus), "-o", str(tmp_path / "o"), "--hint", "bad"])
    assert res.exit_code != 0


# -- CrossHair comparison ------------------------------------------------------------------


def test_crosshair_wrapper_uses_the_skeleton() -> None:
    built = wrapper_source(rec("def f(a, b):\n    return a + len(b)", "5", "2, ['x']"))
    assert built is not None
    src, names = built
    assert names == ["a0", "a1"]
    assert "def _codecot_target(a0: int, a1: list[str]) -> None:" in src
    assert "if not (f(a0, a1) == _CODECOT_EXPECTED):" in src


@pytest.mark.slow
@pytest.mark.skipif(not crosshair_available(), reason="crosshair-tool is not installed")
def test_crosshair_finds_and_is_confirmed(pool: SandboxPool) -> None:
    r = rec("def f(a, b):\n    return a * 3 + b", "14", "1, 2")
    res = run_crosshair(r, 8.0, Evaluator(pool, r.code, r.entry, "14"))
    assert res.status == "solved" and res.input is not None
    pair = decode(f"({res.input})")
    assert isinstance(pair, tuple) and pair[0] * 3 + pair[1] == 14
