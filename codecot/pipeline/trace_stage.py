"""The ``trace`` stage: corpus records in, trace records out, one per input record, in order.

Records are traced by :func:`codecot.trace.run.trace_records` (the sandbox pool; malformed
lines become ``bad_record`` error records naming the line).  The stage passes each trace record
to a sink and returns a :class:`TraceSummary` for the final one-line summary.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.sandbox import Limits, SandboxPool
from codecot.trace.run import TRACE_TASK, trace_records


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
