"""The ``trace`` stage: corpus records in, trace records out, one per input record, in order.

Well-formed records are traced in the sandbox pool (``codecot.trace.tracer:trace_job``);
malformed lines become ``bad_record`` error records naming the line.  The stage reports
progress on stderr and returns a :class:`TraceSummary` for the final one-line summary.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.sandbox import Limits, SandboxPool

TRACE_TASK = "codecot.trace.tracer:trace_job"


@dataclass
class TraceSummary:
    """Counts of a trace run."""

    total: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    sandbox: str = ""  # the pool's confinement layers (SandboxPool.confinement_line)

    def add(self, rec: dict[str, Any]) -> None:
        self.total += 1
        if rec.get("ok"):
            self.ok += 1
        else:
            self.errors[str(rec.get("error_kind") or "unknown")] += 1

    @property
    def rate(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0

    def line(self, what: str = "traced") -> str:
        errs = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items()))
        tail = f" ({errs})" if errs else ""
        return (f"{what} {self.total} records: {self.ok} ok, {self.total - self.ok} error{tail} "
                f"in {self.seconds:.1f}s ({self.rate:.0f} records/s)")

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "ok": self.ok, "errors": dict(self.errors),
                "seconds": round(self.seconds, 3), "records_per_s": round(self.rate, 1),
                "sandbox": self.sandbox}


def trace_records(
    records: Sequence[CorpusRecord | RecordError],
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
    pool: SandboxPool | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one trace record per input record, in input order."""
    own_pool = pool is None
    if pool is None:
        pool = SandboxPool(jobs=jobs, limits=limits or Limits(), task=TRACE_TASK)
    try:
        good = [r for r in records if isinstance(r, CorpusRecord)]
        results = pool.map(r.payload() for r in good)
        for rec in records:
            if isinstance(rec, RecordError):
                yield rec.to_json()
            else:
                yield _finish(rec, next(results))
    finally:
        if own_pool:
            pool.close()


def _finish(rec: CorpusRecord, result: dict[str, Any]) -> dict[str, Any]:
    """Make a sandbox result a well-formed trace record for ``rec``."""
    result = dict(result)
    result["id"] = rec.id
    result.setdefault("ok", False)
    result.setdefault("error", None)
    result.setdefault("error_kind", None)
    result.setdefault("output", None)
    result.setdefault("events", [])
    if result["ok"] and rec.output is not None and result.get("output") != rec.output:
        result["expected_output"] = rec.output
    return result


def run_trace_stage(
    records: Sequence[CorpusRecord | RecordError],
    sink: Callable[[dict[str, Any]], None],
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
) -> TraceSummary:
    """Trace ``records`` and pass each trace record to ``sink(record)``; return the summary."""
    summary = TraceSummary()
    start = time.perf_counter()
    with SandboxPool(jobs=jobs, limits=limits or Limits(), task=TRACE_TASK) as pool:
        for rec in trace_records(records, pool=pool):
            sink(rec)
            summary.add(rec)
        summary.sandbox = pool.confinement_line()
    summary.seconds = time.perf_counter() - start
    return summary
