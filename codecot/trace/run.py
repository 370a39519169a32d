"""Tracing corpus records in the sandbox pool: one trace record per input record, in order.

Well-formed records are traced by the pool's workers (task ``codecot.trace.tracer:trace_job``);
malformed corpus lines (:class:`codecot.corpus.RecordError`) become ``bad_record`` error
records naming the line.  The ``trace`` stage of the pipeline and the narrators' example pool
both trace through :func:`trace_records`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.sandbox import Limits, SandboxPool

TRACE_TASK = "codecot.trace.tracer:trace_job"


def trace_records(
    records: Sequence[CorpusRecord | RecordError],
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
    pool: SandboxPool | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one trace record per input record, in input order.

    Uses ``pool`` when given (left open); otherwise starts a pool of ``jobs`` workers with
    ``limits`` and closes it when the iteration ends.
    """
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
