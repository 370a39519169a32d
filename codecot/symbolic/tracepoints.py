"""Trace points a forward claim can be aligned with.

A :class:`TraceView` lists the entry frame's events (depth 0) in order, each with the loop
iteration it belongs to and the variables visible there (the locals after the most recent line
event of the frame), plus the calls the frame made to functions (depth 1) with their results,
positioned at the depth-0 event that follows them.  Values are decoded and encoded for the
solver lazily, once per distinct (repr, type tag) pair.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from codecot.solver import SymValue, Unsupported, encode
from codecot.trace.values import decode, is_object_tag


@dataclass(slots=True, eq=False)
class Point:
    """One depth-0 event with its context (treat as read-only)."""

    pos: int
    event: dict[str, Any]
    iteration: int | None
    vars: dict[str, str]
    types: dict[str, str]
    #: the line event before the most recent one (the state before that line ran)
    before: Point | None = None
    #: the event's ``event`` field
    kind: str = ""
    #: the event's ``line`` field
    line: int = 0


@dataclass(frozen=True)
class HelperCall:
    """A call made by the entry frame: function, argument reprs, result repr (None if it raised)."""

    pos: int
    func: str
    args: tuple[str, ...]
    result: str | None


class TraceView:
    """Alignment targets and lazily encoded variable values of one trace."""

    def __init__(self, trace: dict[str, Any]) -> None:
        self.trace = trace
        self.entry = str(trace.get("entry") or "f")
        self.args: dict[str, str] = dict(trace.get("args") or {})
        self.globals: dict[str, str] = dict(trace.get("globals") or {})
        self.arg_types: dict[str, str] = dict(trace.get("types") or {})
        self.points: list[Point] = []
        self.calls: list[HelperCall] = []
        self._cache: dict[tuple[str, str | None], SymValue | None] = {}
        self._lines_run: set[int] | None = None
        #: positions of the points of each kind, ascending
        self._by_kind: dict[str, list[int]] = {}
        self._build(trace.get("events") or [])

    def _build(self, events: list[dict[str, Any]]) -> None:
        vars_: dict[str, str] = dict(self.args)
        types: dict[str, str] = dict(self.arg_types)
        iteration: int | None = None
        last_line: Point | None = None
        before: Point | None = None
        open_calls: list[tuple[str, tuple[str, ...]]] = []
        finished: list[tuple[str, tuple[str, ...], str | None]] = []
        points = self.points
        by_kind = self._by_kind
        for ev in events:
            depth = ev.get("depth", 0)
            if depth == 1:
                kind = ev.get("event")
                if kind == "call":
                    open_calls.append((str(ev.get("func")), tuple((ev.get("args") or {}).values())))
                elif kind == "return" and open_calls:
                    func, args = open_calls.pop()
                    finished.append((func, args, ev.get("value")))
                continue
            if depth != 0:
                continue
            if open_calls:  # calls still open at a depth-0 event ended by raising
                finished.extend((func, args, None) for func, args in reversed(open_calls))
                open_calls.clear()
            kind = str(ev.get("event"))
            if kind == "line":
                vars_ = ev.get("vars") or {}
                types = ev.get("types") or {}
                loops = ev.get("loops")
                iteration = int(loops[-1]["iteration"]) if loops else None
                before = last_line
            pos = len(points)
            if finished:
                for func, args, result in finished:
                    self.calls.append(HelperCall(pos, func, args, result))
                finished.clear()
            point = Point(pos, ev, iteration, vars_, types, before, kind, int(ev.get("line", 0)))
            points.append(point)
            positions = by_kind.get(kind)
            if positions is None:
                by_kind[kind] = [pos]
            else:
                positions.append(pos)
            if kind == "line":
                last_line = point

    # -- values ------------------------------------------------------------------------------

    def value(self, point: Point | None, name: str) -> SymValue | None:
        """The solver value of variable ``name`` at ``point`` (None: not visible or not encodable)."""
        reprs = point.vars if point else self.args
        types = point.types if point else self.arg_types
        if name not in reprs:
            if name not in self.globals:
                return None
            reprs, types = self.globals, {}
        text = reprs[name]
        tag = types.get(name)
        # the same repr with the same tag encodes to the same value at every point
        key = (text, tag)
        try:
            return self._cache[key]
        except KeyError:
            pass
        out: SymValue | None = None
        if not text.startswith("<"):
            try:
                out = encode(decoded(text), tag)
            except (ValueError, SyntaxError, Unsupported, RecursionError):
                try:
                    out = encode(decoded(text))
                except (ValueError, SyntaxError, Unsupported, RecursionError):
                    out = None
        self._cache[key] = out
        return out

    def env(self, point: Point | None, names: frozenset[str]) -> dict[str, SymValue]:
        out: dict[str, SymValue] = {}
        for name in names:
            v = self.value(point, name)
            if v is not None:
                out[name] = v
        return out

    # -- alignment ---------------------------------------------------------------------------

    def find(self, start: int, kinds: tuple[str, ...], line: int | None = None,
             iteration: int | None = None, head_iteration: int | None = None) -> Point | None:
        """First point at or after ``start`` of one of ``kinds`` matching line and iteration.

        ``iteration`` matches the innermost loop iteration of the point; ``head_iteration``
        matches the ``iteration`` field of ``loop_iter`` events.
        """
        points = self.points
        by_kind = self._by_kind
        candidates: Sequence[int]
        if len(kinds) == 1:
            candidates = by_kind.get(kinds[0], ())
            first = bisect_left(candidates, start)
        else:
            candidates = range(start, len(points))
            first = 0
        for i in range(first, len(candidates)):
            p = points[candidates[i]]
            if p.kind not in kinds:
                continue
            if line is not None and p.line != line:
                continue
            if iteration is not None and p.iteration != iteration:
                continue
            if head_iteration is not None and p.event.get("iteration") != head_iteration:
                continue
            return p
        return None

    def state_before(self, point: Point) -> Point | None:
        """The point whose variables are the state just before ``point``'s line ran."""
        last = point if point.kind == "line" else self._last_line(point.pos)
        if last is None:
            return None
        return last.before if last.line == point.line else last

    def _last_line(self, pos: int) -> Point | None:
        for p in reversed(self.points[: pos + 1]):
            if p.kind == "line":
                return p
        return None

    def lines_run(self) -> set[int]:
        """The lines the entry's frame ran (computed once; do not mutate)."""
        if self._lines_run is None:
            self._lines_run = {p.line for p in self.points if p.kind == "line"}
        return self._lines_run

    def holds_object(self, name: str) -> bool:
        """Whether the frame's variable ``name`` holds, at some point, an object with no literal
        repr (a function passed in or assigned, an instance)."""
        types = [self.arg_types, *(p.types for p in self.points)]
        return any(is_object_tag(t.get(name, "")) for t in types)

    def inner_function_of(self, line: int) -> str | None:
        """The function a line ran in when it ran only in frames below the entry's (a helper's
        body), else None."""
        if line in self.lines_run():
            return None
        return next((str(ev.get("func")) for ev in self.trace.get("events") or ()
                     if ev.get("depth", 0) > 0 and ev.get("event") == "line"
                     and ev.get("line") == line), None)


@lru_cache(maxsize=4096)
def decoded(repr_text: str) -> Any:
    """``decode`` with a cache; callers must not mutate the value they get."""
    return decode(repr_text)
