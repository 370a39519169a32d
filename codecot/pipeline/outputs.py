"""Compute missing ``output`` fields by running records in the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codecot.sandbox import Limits, SandboxPool

EXEC_TASK = "codecot.sandbox.tasks:exec_call"


def fill_outputs(
    rows: list[dict[str, Any]],
    *,
    jobs: int | None = None,
    limits: Limits | None = None,
    on_done: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Return the rows whose code ran on their input, each with ``output`` set, and the drop count.

    Rows that already have an output are run too, and keep theirs only when it reproduces.
    """
    kept: list[dict[str, Any]] = []
    dropped = 0
    with SandboxPool(jobs=jobs, limits=limits or Limits(wall_seconds=10), task=EXEC_TASK) as pool:
        payloads = ({"id": r["id"], "code": r["code"], "input": r["input"], "entry": r.get("entry")}
                    for r in rows)
        for row, res in zip(rows, pool.map(payloads), strict=True):
            if on_done is not None:
                on_done()
            if not res.get("ok") or res.get("output") is None:
                dropped += 1
                continue
            if row.get("output") is not None and row["output"] != res["output"]:
                dropped += 1
                continue
            kept.append({**row, "output": res["output"]})
    return kept, dropped
