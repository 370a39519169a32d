"""Records compiled ahead in the sandbox pool's process (``prepare_payload``), and the census
of a forked child's page faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codecot.corpus import CorpusRecord, load_records
from codecot.sandbox import Limits, SandboxPool
from codecot.trace import trace_job
from codecot.trace.analysis import CodeMap, analyze
from codecot.trace.fork_census import STAGES, census
from codecot.trace.run import TRACE_TASK
from codecot.trace.tracer import PREPARE_MAX_CHARS, prepare_payload

ROOT = Path(__file__).resolve().parent.parent
TWO = "def g(x):\n    return -x\n\ndef f(x):\n    if x > 1:\n        return x * 2\n    return g(x)"


def steady(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "seconds": 0}


def payload(code: str = TWO, args: str = "3", **extra: Any) -> dict[str, Any]:
    return {"id": "p", "code": code, "input": args, "entry": "f", **extra}


def test_prepared_records_trace_like_the_starter_corpus_does_unprepared() -> None:
    records = [r for r in load_records(ROOT / "corpora" / "starter.jsonl")
               if isinstance(r, CorpusRecord)]
    assert len(records) >= 150
    for rec in records:
        plain = rec.payload()
        ahead = prepare_payload(plain)
        assert "compiled" in ahead, rec.id
        assert steady(trace_job(ahead)) == steady(trace_job(plain)), rec.id


@pytest.mark.parametrize(("code", "args", "why"), [
    ("def f(x)\n    return x", "1", "syntax error"),
    ("def f(x):\n    return x", "1,,", "bad input"),
    ("def f(x):\n    return x is 1", "1", "compiler warning"),
    ("def f(x):\n    return x", "'" + "a" * PREPARE_MAX_CHARS + "'", "too long"),
])
def test_only_clean_records_are_compiled_ahead(code: str, args: str, why: str) -> None:
    assert "compiled" in prepare_payload(payload("def f(x):\n    return x", "1"))
    plain = payload(code, args)
    assert prepare_payload(plain) is plain, why
    assert prepare_payload({**payload(), "max_events": -1}).get("compiled") is None


def test_the_child_uses_the_plan_and_ignores_one_not_made_for_the_record() -> None:
    plain = payload()
    ahead = prepare_payload(plain)
    assert trace_job(ahead)["output"] == "6"
    # the plan decides the entry function: a plan naming g is followed...
    to_g = {**ahead, "compiled": {**ahead["compiled"], "entry": "g"}}
    assert trace_job(to_g)["output"] == "-3"
    # ...unless it is not this interpreter's, not this record's, or not well formed
    spoiled: list[dict[str, Any]] = [
        {**to_g["compiled"], "python": "cpython-00:0"},
        {**to_g["compiled"], "code": "not base 64!"},
        {**to_g["compiled"], "code": prepare_payload(payload(args="4"))["compiled"]["code"][:-8]},
        {**to_g["compiled"], "map": {"heads": [[1, "loop", 1, 2, 2, False, [2, 0, 2, 1], False]],
                                     "handlers": [], "statements": []}},
        {**to_g["compiled"], "entry": None},
        "compiled",
    ]
    for plan in spoiled:
        assert steady(trace_job({**plain, "compiled": plan})) == steady(trace_job(plain)), plan
    other_record = {**to_g, "id": "q"}  # compiled under another record's file name
    assert trace_job(other_record)["output"] == "6"


def test_code_map_json_round_trip_and_rejections() -> None:
    import ast

    source = ("def f(xs):\n    for x in xs:\n        if x: break\n    while xs:\n"
              "        xs.pop()\n    try:\n        1 / 0\n    except ZeroDivisionError:\n"
              "        pass\n    return (1 +\n            2)")
    codemap = analyze(ast.parse(source), source)
    again = CodeMap.from_json(codemap.to_json())
    assert (again.heads, again.handlers, again.statements) == (
        codemap.heads, codemap.handlers, codemap.statements)
    assert codemap.heads and codemap.handlers and codemap.statements[11] == 10
    good = codemap.to_json()
    for bad in ([], {**good, "statements": [1]}, {**good, "handlers": [[1, 2]]},
                {**good, "heads": [[1, "if", 1, 2, 2, "no", [2, 0, 2, 1], False]]},
                {**good, "statements": [1, "1"]}):
        with pytest.raises(ValueError):
            CodeMap.from_json(bad)


def test_pool_compiles_ahead_and_sends_the_payload_as_is_when_that_fails() -> None:
    with SandboxPool(jobs=1, limits=Limits(), task=TRACE_TASK) as pool:
        assert pool._prepare is prepare_payload
        ahead = pool.run(payload())

        def broken(_: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("prepare failed")

        pool._prepare = broken
        plain = pool.run(payload())
    assert ahead["ok"] and ahead["output"] == "6"
    assert steady(plain) == steady(ahead)


def test_fork_census_counts_faults_stage_by_stage() -> None:
    figures = census(forks=1)
    stages = figures["stages"]
    assert [s["stage"] for s in stages] == list(STAGES)
    assert stages[0]["faults"] > 0  # a forked child faults even to exit
    # each stage does the previous ones and more: parsing in a fresh fork touches new pages
    assert stages[1]["faults_added"] > 0
    assert stages[-1]["faults"] >= stages[1]["faults"]
