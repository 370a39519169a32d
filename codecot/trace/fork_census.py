"""Where a forked sandbox child's page faults come from, stage by stage of tracing a record.

``python -m codecot.trace.fork_census [N]`` prints one JSON object.  The process sets itself
up as a sandbox worker does (the tracer warmed up, the heap frozen, the allocator's pools
filled), then for each stage forks ``N`` children per program that trace a program up to
that stage and exit, and reports the children's mean minor page faults and CPU milliseconds,
cumulative and added by the stage.  In a forked child the first write to each page it shares
with its parent is a fault and a page copy, so faults measure what a stage costs in a child
beyond its work in a warm process.

Only the tracer's own fixed programs (its warm-up set and a one-line function) are traced:
this runs them in unguarded forks, which is never done with corpus code.
"""

from __future__ import annotations

import ast
import json
import os
import resource
import sys
from typing import Any

from codecot.sandbox.protocol import compact_encoder
from codecot.sandbox.worker import settle_heap
from codecot.trace import tracer
from codecot.trace.analysis import analyze

STAGES = ("fork and exit", "parse", "compile", "analyze", "first run", "second run",
          "trace record", "JSON encoding")
PROGRAMS = (("def f(x):\n    return x + 1", "1"), *tracer._WARM_UP)
_LIMITS = (tracer.MAX_EVENTS, tracer.MAX_TRACE_CHARS)


def _trace_up_to(stage: int, source: str, source_input: str) -> None:
    """Do the first ``stage`` steps of :func:`codecot.trace.tracer.trace_job` (0: none)."""
    if stage < 1:
        return
    filename = "<codecot:census>"
    tree = ast.parse(tracer.combined_source(source, source_input), filename)
    if stage < 2:
        return
    code = compile(tree, filename, "exec")
    if stage < 3:
        return
    codemap = analyze(tree, source)
    entry = tracer._entry_name(tree, None)
    if stage < 4:
        return
    first = tracer._run_once(code, codemap, filename, entry, _LIMITS, tracer.MAX_STDOUT_CHARS)
    if stage < 5:
        return
    second = tracer._run_once(code, codemap, filename, entry, _LIMITS, 0)
    if stage < 6:
        return
    record = tracer._record("census", tracer._decide(first, second), entry, 0.0)
    if stage < 7:
        return
    compact_encoder()(record).encode("ascii")


def _children() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_minflt


def census(forks: int = 40) -> dict[str, Any]:
    """Mean page faults and CPU ms of a forked child per stage (see the module docstring)."""
    tracer.warm_up()
    settle_heap()
    sink = os.open(os.devnull, os.O_WRONLY)
    rows: list[dict[str, Any]] = []
    before_faults = before_ms = 0.0
    for stage, name in enumerate(STAGES):
        cpu0, faults0 = _children()
        for _ in range(forks):
            for source, source_input in PROGRAMS:
                pid = os.fork()
                if pid == 0:  # the child: quiet, then straight out
                    try:
                        os.dup2(sink, 1)
                        _trace_up_to(stage, source, source_input)
                    finally:
                        os._exit(0)
                os.waitpid(pid, 0)
        cpu1, faults1 = _children()
        runs = forks * len(PROGRAMS)
        faults, ms = (faults1 - faults0) / runs, 1000 * (cpu1 - cpu0) / runs
        rows.append({"stage": name, "faults": round(faults, 1), "faults_added": round(
            faults - before_faults, 1), "cpu_ms": round(ms, 3),
            "cpu_ms_added": round(ms - before_ms, 3)})
        before_faults, before_ms = faults, ms
    os.close(sink)
    return {"programs": len(PROGRAMS), "forks_per_program": forks, "stages": rows}


if __name__ == "__main__":
    print(json.dumps(census(int(sys.argv[1]) if len(sys.argv) > 1 else 40), indent=1))
