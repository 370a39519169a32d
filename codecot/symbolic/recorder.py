"""The path condition being recorded in the sandbox child (one run per process)."""

from __future__ import annotations

from codecot.symbolic.terms import T, eq, not_

#: Past this many constraints the run stops recording and is marked incomplete.
MAX_CONSTRAINTS = 4000


class Recorder:
    """Constraints of the current run, in execution order, as (kind, term)."""

    def __init__(self) -> None:
        self.constraints: list[tuple[str, T]] = []
        self.seen: set[str] = set()
        self.active = False
        self.complete = True
        self.notes: list[str] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def add(self, kind: str, cond: T) -> None:
        if not self.active or cond.lit:
            return
        if cond.text in self.seen:
            return  # already part of the path condition
        if len(self.constraints) >= MAX_CONSTRAINTS:
            self.incomplete(f"more than {MAX_CONSTRAINTS} constraints")
            return
        self.seen.add(cond.text)
        self.constraints.append((kind, cond))

    def branch(self, cond: T, taken: bool) -> bool:
        """Record that ``cond`` evaluated to ``taken``; returns ``taken``."""
        self.add("branch", cond if taken else not_(cond))
        return taken

    def pin(self, term: T, literal: T) -> None:
        self.add("pin", eq(term, literal))

    def assume(self, cond: T) -> None:
        self.add("assume", cond)

    def incomplete(self, why: str) -> None:
        self.complete = False
        if why not in self.notes and len(self.notes) < 20:
            self.notes.append(why)


REC = Recorder()
