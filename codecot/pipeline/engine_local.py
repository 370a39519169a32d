"""The local engine: one sandbox process pool, chunks processed in turn in this process."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from codecot.narrate.base import Narrator
from codecot.pipeline.chunk import (
    FileRationales,
    Item,
    Row,
    Slots,
    narrate_ready,
    split_ready,
    trace_items,
    verify_rationales_of,
)
from codecot.pipeline.guided_checks import GuidedCheckers, use_checkers
from codecot.sandbox import Limits, SandboxPool
from codecot.trace.run import TRACE_TASK
from codecot.verify.policy import Policy

ChunkResult = tuple[Sequence[Item], list[Row], dict[str, float]]


class LocalEngine:
    """Trace, narrate and verify chunks with a sandbox pool of ``jobs`` workers.

    Narrators are built once, on the first chunk; guided ones get step checkers whose sandbox
    pools live as long as :meth:`process`.  With ``rationales`` set, the rationales come from
    that file instead of the narrators.  ``fmt`` and ``free_policy`` go to the verifier
    (:func:`codecot.pipeline.verify_stage.verify_rationales`).
    """

    def __init__(self, slots: Slots, narrator_factory: Any, policy: Policy, *,
                 jobs: int | None = None, limits: Limits | None = None,
                 rationales: FileRationales | None = None, fmt: str = "steps",
                 free_policy: Policy | None = None) -> None:
        self.slots = slots
        self.narrator_factory = narrator_factory
        self.policy = policy
        self.jobs = jobs
        self.limits = limits or Limits()
        self.rationales = rationales
        self.fmt = fmt
        self.free_policy = free_policy
        self._narrators: list[Narrator] | None = None

    def process(self, chunks: Iterable[Sequence[Item]]) -> Iterator[ChunkResult]:
        """Yield ``(chunk, rows, stage_seconds)`` per chunk, in order."""
        with SandboxPool(jobs=self.jobs, limits=self.limits, task=TRACE_TASK) as pool, \
                GuidedCheckers(self.jobs, self.limits) as checkers:
            for chunk in chunks:
                yield self._one(chunk, pool, checkers)

    def _one(self, chunk: Sequence[Item], pool: SandboxPool,
             checkers: GuidedCheckers) -> ChunkResult:
        secs: dict[str, float] = {}
        t0 = time.perf_counter()
        traces = trace_items(chunk, pool)
        t1 = time.perf_counter()
        secs["trace"] = t1 - t0
        if self.rationales is not None:
            ready, rows = split_ready(chunk, traces, self.rationales.errors)
            rats = self.rationales.rationales(ready)
        else:
            ready, rows = split_ready(chunk, traces, self.slots.errors)
            if self._narrators is None:
                self._narrators = list(self.narrator_factory())
                secs["narrator_load"] = time.perf_counter() - t1
            use_checkers(self._narrators, checkers)
            t1b = time.perf_counter()
            rats, more = narrate_ready(ready, self._narrators, self.slots.directions, self.slots)
            rows += more
            secs["narrate"] = time.perf_counter() - t1b
        t2 = time.perf_counter()
        rows += verify_rationales_of(rats, ready, self.policy, self.jobs, fmt=self.fmt,
                                     free_policy=self.free_policy)
        secs["verify"] = time.perf_counter() - t2
        return chunk, rows, secs
