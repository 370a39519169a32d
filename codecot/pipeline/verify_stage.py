"""The ``verify`` stage: rationales + corpus in, verdict records out, one per rationale.

All executions the rationales need (the record's own input for forward rationales; final inputs
and checks for backward ones) run as one batch in the sandbox pool, deduplicated by
(record id, input).  Rationales whose record is missing from the corpus get a verdict record
with ``accepted: false`` and the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from codecot.corpus import CorpusRecord
from codecot.sandbox import Limits, SandboxPool
from codecot.solve.portfolio import SolveOptions, Solver
from codecot.symbolic.api import CONCOLIC_TASK, ConcolicRun, concolic_payload
from codecot.symbolic.rebuild import rebuild
from codecot.symbolic.session import BackwardSession
from codecot.trace.run import TRACE_TASK
from codecot.verify.free_record import (
    FreePlan,
    format_of,
    free_plan,
    free_verdict_record,
    with_text,
)
from codecot.verify.policy import Policy
from codecot.verify.record import (
    Plan,
    VerifySummary,
    claim_lines,
    plan,
    seed_input,
    verdict_record,
)

#: The search for other inputs that give the output, run when a necessity is proved only on
#: the explored paths: its finds are re-executed and tried as counterexamples.
ALTERNATIVES = SolveOptions(hint="types", timeout=1.5, alternatives=12, concolic=False)


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
    fmt: str = "steps",
    free_policy: Policy | None = None,
) -> VerifySummary:
    """Verify each rationale and pass its verdict record to ``sink``.

    ``fmt``: ``steps`` (the narration language, one step per line), ``free`` (free-form
    chain-of-thought, :mod:`codecot.verify.free_record`) or ``auto`` (steps when every line of
    the text parses as a step, else free).  ``free_policy`` applies to free-form rationales
    (default: ``policy``).
    """
    summary = VerifySummary()
    items: list[Plan | FreePlan | dict[str, Any]] = []
    for raw in rationales:
        rat = with_text(raw)
        rec = corpus.get(str(rat.get("id")))
        if rec is None:
            items.append(rat)
        elif format_of(rat, fmt) == "free":
            items.append(free_plan(rat, rec))
        else:
            items.append(plan(rat, rec))
    plans = [p for p in items if isinstance(p, Plan | FreePlan)]
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
    backward = any(p.rationale.get("direction") == "backward" for p in plans)
    with contextlib.ExitStack() as stack:
        factory = None
        if backward:
            factory = session_factory(stack, jobs, limits or Limits())
        for item in items:
            _finish(item, results, known_traces, free_policy or policy if isinstance(item, FreePlan)
                    else policy, factory, sink, summary)
            if on_done:
                on_done()
    return summary


def session_factory(stack: contextlib.ExitStack, jobs: int | None, limits: Limits,
                    all_lines: bool = False) -> Callable[[Plan], BackwardSession | None]:
    """Sessions for backward plans, sharing one concolic pool and one trace pool (opened on
    first use).  Concolic runs record the lines the plan's claims name, or every line with
    ``all_lines`` (for a rationale still being written: guided decoding)."""
    pools: dict[str, SandboxPool] = {}
    solvers: dict[str, Solver] = {}

    def pool(task: str) -> SandboxPool:
        if task not in pools:
            pools[task] = stack.enter_context(SandboxPool(jobs=jobs, limits=limits, task=task))
        return pools[task]

    def make(p: Plan) -> BackwardSession | None:
        rec = p.record
        if rec.output is None:
            return None
        lines = None if all_lines else claim_lines(p)

        def concolic(srcs: list[str], tags: dict[str, str]) -> list[ConcolicRun]:
            payloads = [concolic_payload(rec.code, s, rec.entry, lines=lines, tags=tags)
                        for s in srcs]
            return [rebuild(r) for r in pool(CONCOLIC_TASK).map(payloads)]

        def retrace(srcs: list[str]) -> list[dict[str, Any]]:
            payloads = [{"id": rec.id, "code": rec.code, "input": s, "entry": rec.entry}
                        for s in srcs]
            return list(pool(TRACE_TASK).map(payloads))

        def alternatives() -> list[str]:
            if "solver" not in solvers:
                solvers["solver"] = stack.enter_context(Solver(ALTERNATIVES, workers=1))
            found = solvers["solver"].solve(rec, seeds=(seed_input(p), rec.input))
            return [s for s in (found.get("input"), *found.get("alternatives", ())) if s]

        return BackwardSession(rec.code, rec.entry_name, rec.output, seed_input(p),
                               concolic, retrace, witnesses=(rec.input,),
                               alternatives=alternatives)

    return make


def _finish(item: Plan | FreePlan | dict[str, Any], results: dict[tuple[str, str], dict[str, Any]],
            known_traces: dict[str, dict[str, Any]] | None, policy: Policy,
            factory: Callable[[Plan], BackwardSession | None] | None,
            sink: Callable[[dict[str, Any]], None], summary: VerifySummary) -> None:
    if isinstance(item, FreePlan):
        out = free_verdict_record(item, _traces_of(item, results, known_traces), policy,
                                  backward=factory)
    elif isinstance(item, Plan):
        out = verdict_record(item, _traces_of(item, results, known_traces), policy,
                             backward=factory)
    else:
        out = {**item, "accepted": False, "steps": [], "policy": policy.name,
               "reason": f"no corpus record with id {item.get('id')!r}"}
        summary.errors += 1
    sink(out)
    summary.add(out)


def _traces_of(p: Plan | FreePlan, results: dict[tuple[str, str], dict[str, Any]],
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
