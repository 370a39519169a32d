"""Per-frame trace bookkeeping: turn ``sys.settrace`` callbacks into contract events.

A :class:`Run` owns the event list of one execution and is the global trace function; every
traced frame gets a :class:`FrameTracer` as its local trace function.  A line event is held back
(*pending*) until the frame's next event, so that its ``vars`` are the locals after the line ran;
the outcome of a pending ``if``/``while``/``for`` head is decided by that same next event (see
:mod:`codecot.trace.analysis`).  Lines are reported as the first line of their statement; a
statement spread over several lines yields one line event.
"""

from __future__ import annotations

import builtins
import dis
import sys
from types import CodeType, FrameType, ModuleType
from typing import Any

from codecot.trace.analysis import CodeMap, Handler, Head
from codecot.trace.values import encode_frozen, fingerprint, unchanged

# Builtin names used in this module resolve in a private snapshot taken at import (functions
# capture their module's ``__builtins__`` when defined), so a traced program that patches the
# ``builtins`` module cannot change what the tracer's own code calls.
__builtins__ = ModuleType("builtins")
vars(__builtins__).update(vars(builtins))

_settrace = sys.settrace
_type = builtins.type
_len = builtins.len
_type_name = type.__dict__["__name__"].__get__
_exc_args = BaseException.__dict__["args"].__get__
_exc_str = BaseException.__str__
_dict_items = dict.items
_dict_values = dict.values
_sum = builtins.sum
_map = builtins.map
_BaseException = builtins.BaseException
_MemoryError = builtins.MemoryError
_KeyboardInterrupt = builtins.KeyboardInterrupt
_BUILTIN_EXCEPTIONS = frozenset(
    v for v in vars(builtins).values() if isinstance(v, type) and issubclass(v, BaseException)
)
_RETURN_OPS = frozenset(dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap)
_SKIP_FLAGS = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coroutine, async gen
_Tracefunc = Any


def trace_off() -> None:
    """Stop tracing.  With :func:`trace_on`, the only code allowed to call ``sys.settrace`` in
    the sandbox (see ``SETTRACE_POLICY`` in :mod:`codecot.trace.tracer`)."""
    _settrace(None)


def trace_on(run: Run) -> None:
    """Trace with ``run``'s global trace function (the sandbox checks that ``fn`` is a bound
    :meth:`Run._global_trace` with its original code)."""
    fn = run.global_trace
    _settrace(fn)


def statement_line(codemap: CodeMap, line: int) -> int:
    """The first line of the statement that ``line`` belongs to."""
    return codemap.statements.get(line, line)


def exception_message(exc: BaseException, limit: int) -> str:
    """``str(exc)`` computed without running user code; cut to ``limit`` characters."""
    args = _exc_args(exc)
    literal = all(encode_frozen(a)[1].find("object:") < 0 for a in args)
    t = _type(exc)
    if t in _BUILTIN_EXCEPTIONS and literal:
        text = t.__str__(exc)
    elif _len(args) == 1 and _type(args[0]) is str:
        text = args[0]
    elif not args:
        text = ""
    elif _len(args) == 1:
        text = encode_frozen(args[0])[0]
    else:
        text = encode_frozen(args)[0]
    return text if _len(text) <= limit else text[:limit] + "..."


class _Loop:
    """An active loop in a frame: its head and the number of iterations started."""

    __slots__ = ("head", "iteration")

    def __init__(self, head: Head) -> None:
        self.head = head
        self.iteration = 0


class Run:
    """One traced execution: the global trace function and the events it collected.

    Recording stops (``truncated``) after ``max_events`` events, or once the repr text that the
    events carry (``chars``: values of ``vars``, ``args`` and returned values) exceeds
    ``max_chars``; the program then runs on untraced.
    """

    def __init__(self, filename: str, codemap: CodeMap, max_events: int,
                 max_chars: int = 2_000_000) -> None:
        self.filename = filename
        self.codemap = codemap
        self.max_events = max_events
        self.max_chars = max_chars
        self.chars = 0
        self.events: list[dict[str, Any]] = []
        self.truncated = False
        self.entered = False
        self.depth = 0
        self.entry_args: tuple[dict[str, str], dict[str, str]] | None = None
        self.internal_error: type[BaseException] | None = None
        self.return_codes: dict[CodeType, bytes] = {}
        self.global_trace = self._global_trace

    def emit(self, event: dict[str, Any]) -> None:
        if _len(self.events) < self.max_events and self.chars <= self.max_chars:
            self.events.append(event)
        elif not self.truncated:
            self.truncated = True
            trace_off()

    def _global_trace(self, frame: FrameType, event: str, arg: object) -> _Tracefunc:
        code = frame.f_code
        # The literal prefix keeps every real file (the sandbox's own code) untraced, whatever
        # a program does to this object or module.
        if code.co_filename[:9] != "<codecot:" or code.co_filename != self.filename:
            return None
        self.entered = True
        if self.truncated or code.co_flags & _SKIP_FLAGS or code.co_name.startswith("<"):
            return None
        try:
            tracer = FrameTracer(self, frame, code)
        except _KeyboardInterrupt:
            raise
        except _BaseException as err:
            self.internal_error = _type(err)
            return None
        return tracer.local_trace

    def returns_normally(self, frame: FrameType) -> bool:
        """True when ``frame`` stopped on a return instruction (not by an exception)."""
        code = frame.f_code
        raw = self.return_codes.get(code)
        if raw is None:
            raw = self.return_codes[code] = code.co_code
        lasti = frame.f_lasti
        return 0 <= lasti < _len(raw) and raw[lasti] in _RETURN_OPS


class FrameTracer:
    """The local trace function of one traced frame."""

    __slots__ = ("cache", "code", "depth", "events", "exc_candidate", "exc_type", "func",
                 "handlers", "heads", "inline_hit", "inline_offsets", "last_lasti", "last_raw",
                 "local_trace", "loops", "loops_view", "pending_head", "pending_line", "run",
                 "statements")

    def __init__(self, run: Run, frame: FrameType, code: CodeType) -> None:
        self.run = run
        self.events = run.events
        self.statements = run.codemap.statements
        self.heads = run.codemap.heads
        self.handlers = run.codemap.handlers
        self.code = code
        self.func = code.co_name
        self.depth = run.depth
        run.depth += 1
        self.cache: dict[str, tuple[object, str, str, tuple[object, ...] | None]] = {}
        self.loops: list[_Loop] = []
        self.loops_view: list[dict[str, int]] | None = []
        self.pending_line: int | None = None
        self.pending_head: Head | None = None
        self.last_lasti = -1
        self.last_raw = -1
        self.inline_hit = False
        self.inline_offsets: frozenset[int] = frozenset()
        self.exc_type: str | None = None
        self.exc_candidate: Handler | None = None
        self.local_trace = self._trace
        values, types = self._vars(frame)
        if self.depth == 0 and run.entry_args is None:
            run.entry_args = (values, types)
        line = frame.f_lineno
        run.emit({"event": "call", "func": self.func, "depth": self.depth,
                  "line": self.statements.get(line, line), "args": values, "types": types})

    # --- helpers ---------------------------------------------------------------------------

    def _vars(self, frame: FrameType) -> tuple[dict[str, str], dict[str, str]]:
        cache = self.cache
        values: dict[str, str] = {}
        types: dict[str, str] = {}
        for name, value in _dict_items(frame.f_locals):
            hit = cache.get(name)
            if hit is not None and hit[0] is value and (hit[3] is None or unchanged(value, hit[3])):
                values[name] = hit[1]
                types[name] = hit[2]
                continue
            text, tag, frozen = encode_frozen(value)
            if frozen:
                cache[name] = (value, text, tag, None)
            else:
                snapshot = fingerprint(value, tag)
                if snapshot is not None:
                    cache[name] = (value, text, tag, snapshot)
                elif hit is not None:
                    del cache[name]
            values[name] = text
            types[name] = tag
        self.run.chars += _sum(_map(_len, _dict_values(values)))
        return values, types

    def _loops(self) -> list[dict[str, int]]:
        view = self.loops_view
        if view is None:
            view = self.loops_view = [
                {"head": loop.head.line, "iteration": loop.iteration} for loop in self.loops
            ]
        return view

    def _event(self, name: str, line: int, /, **extra: Any) -> dict[str, Any]:
        event = {"event": name, "func": self.func, "depth": self.depth, "line": line}
        event.update(extra)
        return event

    def _flush_line(self, frame: FrameType) -> None:
        """Emit the pending line event with the locals as they are now."""
        line = self.pending_line
        if line is None:
            return
        self.pending_line = None
        values, types = self._vars(frame)
        event = {"event": "line", "func": self.func, "depth": self.depth, "line": line,
                 "vars": values, "types": types, "loops": self.loops_view or self._loops()}
        run = self.run
        if _len(self.events) < run.max_events and run.chars <= run.max_chars:
            self.events.append(event)
        else:
            run.emit(event)

    def _resolve_head(self, frame: FrameType, line: int | None) -> list[dict[str, Any]]:
        """Decide the pending head's outcome from the frame's next line (``None``: no line);
        returns the events to emit after the head's own line event."""
        head = self.pending_head
        after: list[dict[str, Any]] = []
        if head is None:
            return after
        self.pending_head = None
        if head.inline:
            frame.f_trace_opcodes = False
            taken = self.inline_hit
        else:
            taken = line is not None and head.body_first <= line <= head.body_last
        if head.kind != "for":
            after.append(self._event("branch", head.line, kind=head.kind, taken=taken))
        if not head.is_loop:
            return after
        loops = self.loops
        if not loops or loops[-1].head is not head:
            return after
        self.loops_view = None
        loop = loops[-1]
        if taken:
            loop.iteration += 1
            after.append(self._event("loop_iter", head.line, iteration=loop.iteration))
        else:
            loops.pop()
            after.append(self._event("loop_end", head.line, iterations=loop.iteration,
                                     reason="exhausted"))
        return after

    def _end_loops(self, reason: str, line: int | None) -> None:
        """Close the innermost loops that ``line`` is outside of (all loops if ``line`` is None)."""
        loops = self.loops
        while loops and (line is None or not loops[-1].head.in_loop(line)):
            loop = loops.pop()
            head = loop.head
            self.loops_view = None
            why = reason
            if why == "break" and head.inline and not head.inline_break:
                # an inline loop's last, failing test runs without a line event of its own
                why = "exhausted"
                if head.kind == "while":
                    self.run.emit(self._event("branch", head.line, kind="while", taken=False))
            self.run.emit(self._event("loop_end", head.line, iterations=loop.iteration,
                                      reason=why))

    def _caught(self) -> None:
        handler = self.exc_candidate
        if handler is not None and self.exc_type is not None:
            self.run.emit(self._event("caught", handler.line, type=self.exc_type))
        self.exc_type = None
        self.exc_candidate = None

    # --- trace callbacks -------------------------------------------------------------------

    def _trace(self, frame: FrameType, event: str, arg: Any) -> _Tracefunc:
        if self.run.truncated:
            frame.f_trace = None
            frame.f_trace_opcodes = False
            return None
        try:
            if event == "line":
                self._on_line(frame)
            elif event == "opcode":
                if frame.f_lasti in self.inline_offsets:
                    self.inline_hit = True
                    frame.f_trace_opcodes = False
            elif event == "return":
                self._on_return(frame, arg)
            elif event == "exception":
                self._on_exception(frame, arg)
        except _KeyboardInterrupt:
            raise
        except _BaseException as err:
            if self.run.internal_error is None:
                self.run.internal_error = _type(err)
        return self.local_trace

    def _on_line(self, frame: FrameType) -> None:
        raw = frame.f_lineno
        line = self.statements.get(raw, raw)
        lasti = frame.f_lasti
        if line == self.pending_line and raw != self.last_raw and lasti > self.last_lasti:
            # the same statement continues on another physical line
            self.last_lasti = lasti
            self.last_raw = raw
            return
        after = self._resolve_head(frame, line) if self.pending_head is not None else None
        if self.exc_type is not None:
            self._exception_line(line)
        if self.pending_line is not None:
            self._flush_line(frame)
        if after:
            for event in after:
                self.run.emit(event)
        if self.loops:
            self._end_loops("exception" if self.exc_type else "break", line)
        self.pending_line = line
        self.last_lasti = lasti
        self.last_raw = raw
        head = self.heads.get(line)
        if head is None:
            return
        if head.is_loop and (not self.loops or self.loops[-1].head is not head):
            self.loops.append(_Loop(head))
            self.loops_view = None
        self.pending_head = head
        if head.inline:
            offsets = self.run.codemap.inline_offsets(self.code).get(head.line)
            self.inline_hit = False
            if offsets:
                self.inline_offsets = offsets
                frame.f_trace_opcodes = True

    def _exception_line(self, line: int) -> None:
        """Follow an exception being handled: ``except`` lines tried, then the one that ran."""
        handler = self.handlers.get(line)
        candidate = self.exc_candidate
        if handler is not None:
            self.exc_candidate = handler
        elif candidate is not None:
            if candidate.in_body(line) or candidate.body_first == candidate.line:
                self._caught()
            else:
                self.exc_candidate = None

    def _on_return(self, frame: FrameType, value: object) -> None:
        run = self.run
        run.depth -= 1
        normal = run.returns_normally(frame)
        after = self._resolve_head(frame, None)
        if normal and self.exc_type is not None:
            self._caught()
        self._flush_line(frame)
        for event in after:
            run.emit(event)
        self._end_loops("return" if normal else "exception", None)
        if normal:
            text, tag, _ = encode_frozen(value)
            run.chars += _len(text)
            line = frame.f_lineno
            run.emit(self._event("return", self.statements.get(line, line), value=text, type=tag))

    def _on_exception(self, frame: FrameType, arg: tuple[type, BaseException, object]) -> None:
        exc_class, exc, _ = arg
        line = frame.f_lineno
        line = self.statements.get(line, line)
        head = self.pending_head
        if head is not None and head.kind == "for" and exc_class is StopIteration:
            return  # a user iterator's __next__ signalled exhaustion to this frame's for loop
        after: list[dict[str, Any]] = []
        if head is not None:
            if head.inline and self.inline_hit:
                after = self._resolve_head(frame, None)  # the inline body ran and raised
            else:
                if head.inline:
                    frame.f_trace_opcodes = False
                self.pending_head = None
        self._flush_line(frame)
        for event in after:
            self.run.emit(event)
        name = _type_name(exc_class)
        self.exc_type = name
        self.exc_candidate = None
        self.run.emit(self._event("exception", line, type=name,
                                  message=exception_message(exc, 200)))
