"""Typed, read-only view of a trace record for consumers (narrators, verifiers).

``Trace.from_record(record)`` turns the JSON trace record (ARCHITECTURE.md, "Trace record") into
frozen dataclasses.  Values stay as their repr text; :meth:`Event.value` and
:meth:`Trace.output_value` decode them on demand with :func:`codecot.trace.values.decode`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from codecot.trace.values import decode

EVENT_KINDS = ("call", "line", "branch", "loop_iter", "loop_end", "return", "exception", "caught")


@dataclass(frozen=True, slots=True)
class LoopPosition:
    """An enclosing loop of a line event: its head line and the iteration in progress."""

    head: int
    iteration: int


@dataclass(frozen=True, slots=True)
class Event:
    """One trace event; fields that do not apply to its kind are ``None`` (or empty)."""

    event: str
    func: str
    depth: int
    line: int
    vars: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    loops: tuple[LoopPosition, ...] = ()
    args: Mapping[str, str] = field(default_factory=dict)
    kind: str | None = None
    taken: bool | None = None
    iteration: int | None = None
    iterations: int | None = None
    reason: str | None = None
    value_repr: str | None = None
    type: str | None = None
    message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build an event from its JSON form; unknown keys are ignored."""
        loops = tuple(
            LoopPosition(head=int(loop["head"]), iteration=int(loop["iteration"]))
            for loop in data.get("loops") or ()
        )
        return cls(
            event=str(data["event"]),
            func=str(data.get("func", "")),
            depth=int(data.get("depth", 0)),
            line=int(data.get("line", 0)),
            vars=dict(data.get("vars") or {}),
            types=dict(data.get("types") or {}),
            loops=loops,
            args=dict(data.get("args") or {}),
            kind=data.get("kind"),
            taken=data.get("taken"),
            iteration=data.get("iteration"),
            iterations=data.get("iterations"),
            reason=data.get("reason"),
            value_repr=data.get("value"),
            type=data.get("type"),
            message=data.get("message"),
        )

    def value(self, name: str) -> object:
        """The decoded value of variable (or, on a ``call`` event, argument) ``name``.

        ``KeyError`` if the event does not carry it; ``ValueError`` if it is not a literal
        (an ``object:`` or ``omitted:`` value).
        """
        if name in self.vars:
            return decode(self.vars[name])
        return decode(self.args[name])

    def returned(self) -> object:
        """The decoded return value of a ``return`` event."""
        if self.value_repr is None:
            raise ValueError(f"a {self.event} event carries no return value")
        return decode(self.value_repr)

    def loop_iteration(self, head: int | None = None) -> int | None:
        """Iteration of the loop with head ``head`` (innermost loop if ``None``) at this event."""
        for loop in reversed(self.loops):
            if head is None or loop.head == head:
                return loop.iteration
        return None


@dataclass(frozen=True, slots=True)
class Frame:
    """The events of one activation of a traced function, in order (its ``call`` first)."""

    func: str
    depth: int
    events: tuple[Event, ...]

    def lines(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.event == "line")


@dataclass(frozen=True, slots=True)
class Trace:
    """A trace record; ``events`` in execution order."""

    id: object
    ok: bool
    error: str | None
    error_kind: str | None
    entry: str | None
    args: Mapping[str, str]
    output: str | None
    events: tuple[Event, ...]
    types: Mapping[str, str] = field(default_factory=dict)
    output_type: str | None = None
    globals: Mapping[str, str] = field(default_factory=dict)
    events_truncated: bool = False
    stdout: str = ""
    seconds: float = 0.0

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Trace:
        """Build a trace from a trace record (a dict as written by ``codecot trace``)."""
        return cls(
            id=record.get("id"),
            ok=bool(record.get("ok")),
            error=record.get("error"),
            error_kind=record.get("error_kind"),
            entry=record.get("entry"),
            args=dict(record.get("args") or {}),
            output=record.get("output"),
            events=tuple(Event.from_dict(e) for e in record.get("events") or ()),
            types=dict(record.get("types") or {}),
            output_type=record.get("output_type"),
            globals=dict(record.get("globals") or {}),
            events_truncated=bool(record.get("events_truncated")),
            stdout=record.get("stdout") or "",
            seconds=float(record.get("seconds") or 0.0),
        )

    def output_value(self) -> object:
        """The decoded output; ``ValueError`` when the record has none."""
        if self.output is None:
            raise ValueError(f"record {self.id!r} has no output ({self.error_kind})")
        return decode(self.output)

    def arg_values(self) -> dict[str, object]:
        """The decoded arguments of the entry call, by parameter name."""
        return {name: decode(text) for name, text in self.args.items()}

    def of_kind(self, *kinds: str, depth: int | None = None) -> Iterator[Event]:
        """Events of the given kinds (all kinds if none given), optionally at one depth."""
        for event in self.events:
            if (not kinds or event.event in kinds) and (depth is None or event.depth == depth):
                yield event

    def steps(self) -> tuple[Event, ...]:
        """The line events of the entry call itself (depth 0), in order."""
        return tuple(self.of_kind("line", depth=0))

    def frames(self) -> list[Frame]:
        """Split the events into function activations, in the order the calls started."""
        done: list[tuple[int, Frame]] = []
        stack: list[tuple[int, str, int, list[Event]]] = []
        order = 0

        def close(above: int) -> None:
            while stack and stack[-1][2] >= above:
                index, func, depth, events = stack.pop()
                done.append((index, Frame(func=func, depth=depth, events=tuple(events))))

        for event in self.events:
            if event.event == "call":
                close(event.depth)
                stack.append((order, event.func, event.depth, [event]))
                order += 1
                continue
            close(event.depth + 1)
            if stack:
                stack[-1][3].append(event)
            if event.event == "return":
                close(event.depth)
        close(0)
        return [frame for _, frame in sorted(done, key=lambda item: item[0])]
