"""Fixtures and helpers shared by the concolic-engine tests (``test_symbolic*.py``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from codecot.corpus import CorpusRecord
from codecot.pipeline.verify_stage import session_factory
from codecot.sandbox import Limits, SandboxPool
from codecot.symbolic.api import CONCOLIC_TASK, ConcolicRun, concolic_payload
from codecot.symbolic.rebuild import rebuild
from codecot.trace.tracer import trace_in_process
from codecot.verify.record import plan, verdict_record


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    """A sandbox pool running the concolic task."""
    with SandboxPool(jobs=2, task=CONCOLIC_TASK) as p:
        yield p


@pytest.fixture(scope="module")
def factory() -> Iterator[Any]:
    """A backward-session factory for ``verdict_record``."""
    with contextlib.ExitStack() as stack:
        yield session_factory(stack, 2, Limits())


def run(pool: SandboxPool, code: str, src: str, **kw: Any) -> ConcolicRun:
    """The concolic run of ``code`` on the argument list ``src``."""
    return rebuild(pool.run(concolic_payload(code, src, **kw)))


def call(code: str, args: list[object]) -> object:
    """``f(*args)`` in plain Python (dict arguments copied, so a model's dict stays intact)."""
    ns: dict[str, Any] = {}
    exec(code, ns)  # test programs written here, not corpus code
    return ns["f"](*[dict(a) if isinstance(a, dict) else a for a in args])


def check(factory: Any, code: str, output: str, text: str) -> dict[str, Any]:
    """The verdict record of a backward rationale ``text`` for ``code`` with ``output``."""
    rec = CorpusRecord(id="b", code=code, input="", output=output)
    p = plan({"id": "b", "direction": "backward", "narrator": "test", "text": text}, rec)
    traces = [None if s is None else trace_in_process(code, s, None, id="b") for s in p.inputs]
    return verdict_record(p, traces, backward=factory)
