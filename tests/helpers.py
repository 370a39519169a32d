"""Shared test helpers: trace in-process and verify a rationale text against it."""

from __future__ import annotations

from typing import Any

from codecot.corpus import CorpusRecord
from codecot.trace.tracer import trace_in_process
from codecot.verify.record import plan, verdict_record


def record(code: str, input_src: str, rid: str = "t", output: str | None = None) -> CorpusRecord:
    return CorpusRecord(id=rid, code=code, input=input_src, output=output)


def trace_of(rec: CorpusRecord) -> dict[str, Any]:
    trace = trace_in_process(rec.code, rec.input, rec.entry, id=rec.id)
    assert trace["ok"], trace["error"]
    return trace


def verify_text(rec: CorpusRecord, text: str, direction: str = "forward",
                traces: list[dict[str, Any] | None] | None = None) -> dict[str, Any]:
    rationale = {"id": rec.id, "direction": direction, "narrator": "test", "text": text}
    return verdict_record(plan(rationale, rec), traces if traces is not None else [trace_of(rec)])


def verdicts(out: dict[str, Any]) -> list[str]:
    return [s["verdict"] for s in out["steps"]]
