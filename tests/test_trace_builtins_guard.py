"""The builtins guard: spare copies, change detection by version tag, restoring between runs."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

import pytest

from codecot.sandbox import Limits, SandboxPool
from codecot.trace import builtins_guard
from codecot.trace.tracer import trace_in_process

TRACE_TASK = "codecot.trace.tracer:trace_job"


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    limits = Limits(cpu_seconds=2, wall_seconds=6, memory_mb=512)
    with SandboxPool(jobs=1, limits=limits, task=TRACE_TASK) as p:
        yield p


def test_version_reader_sees_every_change() -> None:
    target: dict[str, int] = {"a": 1}
    version = builtins_guard.version_reader(target)
    assert version is not None  # CPython 3.11 dicts carry a PEP 509 version tag
    before = version()
    assert version() == before  # reading does not change it
    target["a"] = 1  # same object again: CPython keeps the version
    target["a"] = 2
    replaced = version()
    assert replaced != before
    target["b"] = 3
    added = version()
    assert added != replaced
    del target["b"]
    assert version() != added


def test_restore_undoes_added_replaced_and_removed_names() -> None:
    real = vars(builtins)
    original = dict(real)
    clean, version = builtins_guard.snapshot()
    try:
        builtins.len = lambda x: -1
        real["codecot_test_extra"] = 1
        del real["abs"]
        builtins_guard.restore(clean, version)
        assert real == original and len([1]) == 1 and abs(-2) == 2
    finally:
        real.update(original)
        real.pop("codecot_test_extra", None)


def test_restore_leaves_untouched_builtins_alone() -> None:
    clean, version = builtins_guard.snapshot()
    clean["len"] = None  # were restore to copy from `clean`, len would break
    builtins_guard.restore(clean, version)
    assert len([1, 2]) == 2


def test_spares_are_handed_out_while_current_and_dropped_when_stale() -> None:
    builtins_guard.prepare_spares(2)
    spare = builtins_guard.take_copy()
    assert spare == dict(vars(builtins)) and spare is not vars(builtins)
    builtins.codecot_test_flag = 1  # type: ignore[attr-defined]
    try:
        fresh = builtins_guard.take_copy()  # the remaining spare is stale now
        assert fresh["codecot_test_flag"] == 1
        assert builtins_guard.take_copy() is not fresh
    finally:
        del builtins.codecot_test_flag  # type: ignore[attr-defined]
    assert "codecot_test_flag" not in builtins_guard.take_copy()


FLAG_PROGRAM = """import builtins
seen = getattr(builtins, "codecot_seen", 0)
builtins.codecot_seen = seen + 1
def f(xs):
    builtins.len = lambda v: -1
    return seen, len(xs)
"""


def test_second_run_sees_the_builtins_of_the_first_in_process() -> None:
    record = trace_in_process(FLAG_PROGRAM, "[1, 2]")
    assert record["ok"] is True and record["output"] == "(0, 2)"
    assert not hasattr(builtins, "codecot_seen") and len([1]) == 1


def test_second_run_sees_the_builtins_of_the_first_in_the_sandbox(pool: SandboxPool) -> None:
    # The worker prepared spare copies before forking; the child still restores between runs.
    first, normal = pool.map(
        [
            {"id": "flag", "code": FLAG_PROGRAM, "input": "[1, 2]"},
            {"id": "normal", "code": "def f(xs):\n    return len(xs)", "input": "[1, 2, 3]"},
        ]
    )
    assert first["ok"] is True and first["output"] == "(0, 2)", first
    assert normal["ok"] is True and normal["output"] == "3"


def test_global_state_outside_builtins_is_still_nondeterministic(pool: SandboxPool) -> None:
    code = (
        "import json\n"
        "def f():\n"
        "    json.codecot_calls = getattr(json, 'codecot_calls', 0) + 1\n"
        "    return json.codecot_calls"
    )
    record = pool.run({"id": "g", "code": code, "input": ""})
    assert record["ok"] is False and record["error_kind"] == "nondeterministic"
