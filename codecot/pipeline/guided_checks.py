"""Step checkers for guided decoding (``--guided K``), built where sandbox pools may be opened.

:class:`GuidedCheckers` is the :data:`~codecot.narrate.guided.CheckerFactory` that ``codecot
narrate`` and ``codecot run`` give the HF narrator: forward rationales get a
:class:`~codecot.narrate.guided.ForwardStepChecker` over the record's trace; backward ones a
:class:`~codecot.narrate.guided.BackwardStepChecker` in a backward session made by the verify
stage's :func:`~codecot.pipeline.verify_stage.session_factory` (seeded with the record's own
input, every line recorded), whose concolic and trace pools are shared by all rationales and
opened on first use.  Use it as a context manager: leaving it closes the pools.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from codecot.corpus import CorpusRecord
from codecot.narrate.guided import BackwardStepChecker, ForwardStepChecker, StepChecker
from codecot.pipeline.verify_stage import session_factory
from codecot.sandbox import Limits
from codecot.verify.record import plan


class GuidedCheckers:
    """Step checkers per (record, trace, direction); see the module doc."""

    def __init__(self, jobs: int | None = None, limits: Limits | None = None) -> None:
        self._stack = contextlib.ExitStack()
        self._sessions = session_factory(self._stack, jobs, limits or Limits(), all_lines=True)

    def __call__(self, record: CorpusRecord, trace: dict[str, Any],
                 direction: str) -> StepChecker | None:
        if not trace.get("ok"):
            return None
        if direction == "forward":
            return ForwardStepChecker(record, trace)
        output = record.output if record.output is not None else trace.get("output")
        if output is None:
            return None
        if output != record.output:
            record = CorpusRecord(id=record.id, code=record.code, input=record.input,
                                  output=str(output), entry=record.entry, extra=record.extra)
        session = self._sessions(plan({"direction": "backward", "text": ""}, record))
        return BackwardStepChecker(record, trace, session) if session is not None else None

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> GuidedCheckers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def use_checkers(narrators: Sequence[Any], checkers: GuidedCheckers) -> None:
    """Give ``checkers`` to every narrator that decodes guided (an HF narrator with
    ``settings.guided`` > 0)."""
    for narrator in narrators:
        settings = getattr(narrator, "settings", None)
        if getattr(settings, "guided", 0) and hasattr(narrator, "step_checkers"):
            narrator.step_checkers = checkers
