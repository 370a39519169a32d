"""Solving a whole corpus: records in parallel, one `Solver` (and sandbox pool) per process.

`solve_records` yields one solution record per input record, in input order. With ``jobs=1``
everything runs in this process; otherwise ``jobs`` spawned processes each own a solver, so
every record gets one core of sandbox time for its own budget.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.solve.portfolio import SolveOptions, Solver

_SOLVER: Solver | None = None


def _init(options: SolveOptions) -> None:
    global _SOLVER
    _SOLVER = Solver(options)


def _solve_one(rec: CorpusRecord) -> dict[str, Any]:
    assert _SOLVER is not None
    return _SOLVER.solve(rec)


def bad_record(err: RecordError) -> dict[str, Any]:
    """The solution record of a corpus line that is not a valid record."""
    return {"id": err.id, "status": "error", "input": None, "seconds": 0.0, "reason": err.message}


def solve_records(records: Sequence[CorpusRecord | RecordError], options: SolveOptions, *,
                  jobs: int = 1) -> Iterator[dict[str, Any]]:
    """One solution record per input record, in input order."""
    good = [r for r in records if isinstance(r, CorpusRecord)]
    if jobs <= 1 or len(good) <= 1:
        with Solver(options) as solver:
            for rec in records:
                yield bad_record(rec) if isinstance(rec, RecordError) else solver.solve(rec)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init,
                             initargs=(options,)) as ex:
        results = ex.map(_solve_one, good)
        for rec in records:
            yield bad_record(rec) if isinstance(rec, RecordError) else next(results)


@dataclass
class SolveSummary:
    """Counts and times of a solve run."""

    statuses: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)

    def add(self, sol: dict[str, Any]) -> None:
        self.statuses[str(sol.get("status"))] += 1
        if sol.get("status") == "solved":
            self.seconds.append(float(sol.get("seconds") or 0.0))

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def line(self) -> str:
        import statistics

        total = self.total
        solved = self.statuses["solved"]
        rate = 100.0 * solved / total if total else 0.0
        med = statistics.median(self.seconds) if self.seconds else 0.0
        rest = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()) if k != "solved")
        return (f"solved {solved}/{total} records ({rate:.1f}%; median {med:.3f}s when solved)"
                + (f"; {rest}" if rest else ""))
