"""The Narrator protocol and the rationale record (DESIGN.md §3, §7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from codecot.corpus import CorpusRecord

DIRECTIONS = ("forward", "backward")


class NarrationError(Exception):
    """A record cannot be narrated (e.g. its trace is an error); the message says why."""


@dataclass(frozen=True)
class Rationale:
    """One rationale: ``text`` holds one step per line."""

    id: str
    direction: str
    narrator: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "direction": self.direction, "narrator": self.narrator,
                "text": self.text, **self.extra}


class Narrator(Protocol):
    """Writes rationales; ``name`` goes into the record's ``narrator`` key."""

    name: str

    def narrate(self, record: CorpusRecord, trace: dict[str, Any], direction: str) -> Rationale:
        """Write one rationale or raise :class:`NarrationError`."""
        ...
