"""Step verdicts (DESIGN.md §3) as an ordered enum, and the per-step verdict record."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Verdict(IntEnum):
    """Outcome of checking one step, ordered from worst to best.

    Forward steps end ``verified``, ``refuted``, ``unknown`` or ``unparsed``; backward steps
    ``proved``, ``proved_on_path``, ``consistent``, ``refuted``, ``unknown`` or ``unparsed``.
    """

    UNPARSED = 0
    REFUTED = 1
    UNKNOWN = 2
    CONSISTENT = 3
    PROVED_ON_PATH = 4
    PROVED = 5
    VERIFIED = 6

    @property
    def word(self) -> str:
        """The verdict word written in verdict records."""
        return self.name.lower()


@dataclass(frozen=True)
class StepVerdict:
    """One step's verdict: ``detail`` says, for a refuted step, what is true instead."""

    index: int
    text: str
    kind: str
    verdict: Verdict
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "text": self.text, "kind": self.kind,
                "verdict": self.verdict.word, "detail": self.detail}
