"""``codecot bench solve``: input-solving figures, optionally side by side with CrossHair.

Runs the solver portfolio on a corpus (or a seeded sample of it) with a per-record budget and
reports the success rate, median seconds, and the split between case-mapping/character-class
programs and the rest. Every solved input is re-executed once more in the sandbox here, so
``wrong`` counts inputs that do not reproduce the output exactly (it must be 0). With
``against="crosshair"`` the same records are given to ``crosshair search`` with the same budget
and the same type skeleton (`codecot.solve.crosshair_compare`), its inputs confirmed in the
sandbox the same way.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from codecot.bench.common import valid_records
from codecot.corpus import CorpusRecord
from codecot.sandbox import SandboxPool
from codecot.solve.evaluate import SOLVE_TASK, Evaluator
from codecot.solve.portfolio import SolveOptions
from codecot.solve.run import solve_records

CASE_CLASS = re.compile(
    r"\.(upper|lower|swapcase|casefold|capitalize|title|isupper|islower|isdigit|isalpha|"
    r"isalnum|isspace|isnumeric|isdecimal|istitle)\(")


def is_case_or_class(code: str) -> bool:
    """True for programs that use case mapping or character-class tests."""
    return bool(CASE_CLASS.search(code))


def _figures(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    solved = [r for r in rows if r["status"] == "solved"]
    all_secs = [float(r["seconds"]) for r in rows]
    return {
        "records": n,
        "solved": len(solved),
        "rate": round(len(solved) / n, 4) if n else 0.0,
        "wrong": sum(r["status"] == "wrong" for r in rows),
        "median_seconds_solved": round(statistics.median(float(r["seconds"]) for r in solved), 4)
        if solved else None,
        "median_seconds_all": round(statistics.median(all_secs), 4) if all_secs else None,
        "statuses": {s: sum(r["status"] == s for r in rows) for s in sorted({r["status"] for r in rows})},
    }


def _split(rows: Sequence[dict[str, Any]], records: Sequence[CorpusRecord]) -> dict[str, Any]:
    case = [r for r, rec in zip(rows, records, strict=True) if is_case_or_class(rec.code)]
    rest = [r for r, rec in zip(rows, records, strict=True) if not is_case_or_class(rec.code)]
    return {"all": _figures(rows), "case_or_char_class": _figures(case), "rest": _figures(rest)}


def _recheck(records: Sequence[CorpusRecord], rows: list[dict[str, Any]]) -> None:
    """Re-execute every solved input once more; a miss becomes status ``wrong``."""
    with SandboxPool(jobs=1, task=SOLVE_TASK) as pool:
        for rec, row in zip(records, rows, strict=True):
            if row["status"] == "solved" and row.get("input") is not None:
                ev = Evaluator(pool, rec.code, rec.entry, str(rec.output), rec.id)
                if not ev.verify(str(row["input"])):
                    row["status"] = "wrong"


def select(corpus: str | Path, sample: int | None, seed: int) -> list[CorpusRecord]:
    """The corpus records with an output, or a seeded random sample of `sample` of them."""
    records = [r for r in valid_records(corpus) if r.output is not None]
    if sample is not None and sample < len(records):
        picked = sorted(random.Random(seed).sample(range(len(records)), sample))
        records = [records[i] for i in picked]
    return records


def bench_solve(corpus: str | Path, *, timeout: float = 10.0, against: str | None = None,
                jobs: int | None = None, sample: int | None = None, seed: int = 0,
                hint: str = "types", on_done: Callable[[], None] | None = None) -> dict[str, Any]:
    """Figures for codecot (and CrossHair when `against` is ``crosshair``) on the same records."""
    import os

    records = select(corpus, sample, seed)
    workers = jobs or os.cpu_count() or 1
    options = SolveOptions(hint=hint, timeout=timeout)
    start = time.monotonic()
    ours: list[dict[str, Any]] = []
    for sol in solve_records(records, options, jobs=workers):
        ours.append(dict(sol))
        if on_done:
            on_done()
    ours_wall = time.monotonic() - start
    _recheck(records, ours)
    figures: dict[str, Any] = {
        "corpus": str(corpus), "records": len(records), "sample": sample, "seed": seed,
        "timeout": timeout, "hint": hint, "jobs": workers,
        "codecot": {**_split(ours, records), "wall_seconds": round(ours_wall, 1),
                    "unsolved": {r["id"]: r["status"] for r in ours if r["status"] != "solved"}},
    }
    if against == "crosshair":
        from codecot.solve.crosshair_compare import crosshair_available, run_crosshair

        if not crosshair_available():
            figures["crosshair"] = {"error": "crosshair is not installed (pip install crosshair-tool)"}
            return figures
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as ex:
            results = []
            for res in ex.map(lambda r: run_crosshair(r, timeout, None), records):
                results.append(res)
                if on_done:
                    on_done()
        theirs = [{"id": rec.id, "status": res.status, "input": res.input, "seconds": res.seconds}
                  for rec, res in zip(records, results, strict=True)]
        ch_wall = time.monotonic() - start
        _recheck(records, theirs)
        figures["crosshair"] = {**_split(theirs, records), "wall_seconds": round(ch_wall, 1)}
        figures["both_solved"] = sum(a["status"] == b["status"] == "solved"
                                     for a, b in zip(ours, theirs, strict=True))
        figures["only_codecot"] = [a["id"] for a, b in zip(ours, theirs, strict=True)
                                   if a["status"] == "solved" and b["status"] != "solved"][:50]
        figures["only_crosshair"] = [a["id"] for a, b in zip(ours, theirs, strict=True)
                                     if a["status"] != "solved" and b["status"] == "solved"]
    return figures
