"""The ``verify`` stage: rationales + corpus in, verdict records out, one per rationale.

All executions the rationales need (the record's own input for forward rationales; final inputs
and checks for backward ones) run as one batch in the sandbox pool, deduplicated by
(record id, input).  Rationales whose record is missing from the corpus get a verdict record
with ``accepted: false`` and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from codecot.corpus import CorpusRecord
from codecot.sandbox import Limits, SandboxPool
from codecot.verify.policy import Policy
from codecot.verify.record import Plan, VerifySummary, plan, verdict_record

TRACE_TASK = "codecot.trace.tracer:trace_job"


def verify_rationales(
    rationales: Iterable[dict[str, Any]],
    corpus: dict[str, CorpusRecord],
    sink: Callable[[dict[str, Any]], None],
    *,
    policy: Policy,
    jobs: int | None = None,
    limits: Limits | None = None,
    known_traces: dict[str, dict[str, Any]] | None = None,
    on_done: Callable[[], None] | None = None,
) -> VerifySummary:
    """Verify each rationale and pass its verdict record to ``sink``."""
    summary = VerifySummary()
    items: list[Plan | dict[str, Any]] = []
    for rat in rationales:
        rec = corpus.get(str(rat.get("id")))
        items.append(rat if rec is None else plan(rat, rec))
    plans = [p for p in items if isinstance(p, Plan)]
    needed: dict[tuple[str, str], dict[str, Any]] = {}
    for p in plans:
        for src in p.inputs:
            if src is None:
                continue
            key = (p.record.id, src)
            if known_traces and src == p.record.input and p.record.id in known_traces:
                continue
            needed.setdefault(key, {"id": p.record.id, "code": p.record.code, "input": src,
                                    "entry": p.record.entry})
    results: dict[tuple[str, str], dict[str, Any]] = {}
    if needed:
        with SandboxPool(jobs=jobs, limits=limits or Limits(), task=TRACE_TASK) as pool:
            for key, res in zip(needed, pool.map(needed.values()), strict=True):
                results[key] = res
    for item in items:
        if isinstance(item, Plan):
            out = verdict_record(item, _traces_of(item, results, known_traces), policy)
        else:
            out = {**item, "accepted": False, "steps": [], "policy": policy.name,
                   "reason": f"no corpus record with id {item.get('id')!r}"}
            summary.errors += 1
        sink(out)
        summary.add(out)
        if on_done:
            on_done()
    return summary


def _traces_of(p: Plan, results: dict[tuple[str, str], dict[str, Any]],
               known: dict[str, dict[str, Any]] | None) -> list[dict[str, Any] | None]:
    traces: list[dict[str, Any] | None] = []
    for src in p.inputs:
        if src is None:
            traces.append(None)
        elif known and src == p.record.input and p.record.id in known:
            traces.append(known[p.record.id])
        else:
            traces.append(results.get((p.record.id, src)))
    return traces
