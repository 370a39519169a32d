"""The in-child tracer: run one corpus record under ``sys.settrace`` and build its trace record.

:func:`trace_job` is the task function the sandbox calls with a payload
``{"id", "code", "input", "entry"?, "max_events"?, "max_trace_chars"?}``; it returns the trace record described in
ARCHITECTURE.md ("Trace record").  :func:`trace_in_process` is the same with plain arguments.

The code is compiled once under the file name ``<codecot:ID>`` (by :func:`prepare_payload` in
the sandbox pool's process when it can, else in the child) and executed twice, each time in a
fresh namespace with a fresh copy of the builtins; the record is ``nondeterministic`` when the
two runs differ in output, error or events, except that a ``MemoryError`` (kind ``memory``) or a
``RecursionError`` (kind ``exception``) in either run decides the record, since resource
exhaustion may strike the two runs at different points.  While the code runs, ``sys.stdout`` and
``sys.stderr`` write into a buffer: the first run's output (at most :data:`MAX_STDOUT_CHARS`
characters, then a ``[... N chars cut]`` marker) is the record's ``stdout``; the second run's is
dropped.  Only frames whose code comes from that file are traced; comprehension, lambda and
generator frames are skipped.  Events stop being recorded (``events_truncated``) after
:data:`MAX_EVENTS` events or once the reprs they carry add up to :data:`MAX_TRACE_CHARS`
characters.  The per-frame bookkeeping lives in :mod:`codecot.trace.frames`.
"""

from __future__ import annotations

import ast
import binascii
import builtins
import marshal
import sys
import time
import warnings
from types import CodeType, ModuleType
from typing import Any

from codecot.trace import builtins_guard
from codecot.trace.analysis import CodeMap, analyze
from codecot.trace.frames import (
    Run,
    exception_message,
    statement_line,
    trace_off,
    trace_on,
)
from codecot.trace.values import encode_frozen, is_literal_tag

# Builtin names used in this module resolve in a private snapshot taken at import (functions
# capture their module's ``__builtins__`` when defined), so a traced program that patches the
# ``builtins`` module cannot change what the tracer's own code calls.
__builtins__ = ModuleType("builtins")
vars(__builtins__).update(vars(builtins))

MAX_EVENTS = 5_000
MAX_TRACE_CHARS = 2_000_000
"""Budget for the repr text (values of ``vars``/``args``/``value``) summed over all events."""
MAX_MESSAGE_CHARS = 500
MAX_STDOUT_CHARS = 10_000

# Captured at import so that a program patching ``builtins`` or ``sys`` cannot subvert tracing.
_settrace = sys.settrace
_gettrace = sys.gettrace
_exec = builtins.exec
_compile = builtins.compile
_eval = builtins.eval
_callable = builtins.callable
_type = builtins.type
_len = builtins.len
_perf_counter = time.perf_counter
_BaseException = builtins.BaseException
_KeyboardInterrupt = builtins.KeyboardInterrupt
_MemoryError = builtins.MemoryError
_RecursionError = builtins.RecursionError
_TypeError = builtins.TypeError
_type_name = type.__dict__["__name__"].__get__
_int_repr = int.__repr__
_exc_traceback = BaseException.__dict__["__traceback__"].__get__

_sys = sys
_str_join = str.join

SETTRACE_POLICY = (trace_off, trace_on, Run._global_trace)
"""Read by the sandbox worker: only these two functions may call ``sys.settrace`` in a child,
and ``trace_on`` only to install a bound ``Run._global_trace`` (``codecot.sandbox.audit``)."""

_CAPTURE = "__codecot_capture__"
_INPUT_FUNCTION = "__codecot_input__"


class _Captured:
    """The argument list of the entry call, as produced by evaluating the record's input."""

    __slots__ = ("args", "kwargs")

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args = args
        self.kwargs = kwargs


class _Output:
    """A text stream standing in for ``sys.stdout``/``sys.stderr`` during one run: keeps the
    first ``cap`` characters written and counts the rest."""

    __slots__ = ("cut", "parts", "room")

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, cap: int) -> None:
        self.parts: list[str] = []
        self.room = cap
        self.cut = 0

    def write(self, text: str) -> int:
        if _type(text) is not str:
            raise _TypeError("write() argument must be str, not " + _type_name(_type(text)))
        n = _len(text)
        if n <= self.room:
            self.parts.append(text)
            self.room -= n
        else:
            if self.room > 0:
                self.parts.append(text[: self.room])
            self.cut += n - self.room
            self.room = 0
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def text(self) -> str:
        text = _str_join("", self.parts)
        return text + "[... " + _int_repr(self.cut) + " chars cut]" if self.cut else text


class _Outcome:
    """What one execution produced; two outcomes are compared for determinism."""

    __slots__ = ("args", "error", "error_kind", "events", "exc_type", "globals", "output",
                 "output_type", "stdout", "truncated", "types")

    def __init__(self) -> None:
        self.args: dict[str, str] = {}
        self.types: dict[str, str] = {}
        self.globals: dict[str, str] = {}
        self.output: str | None = None
        self.output_type: str | None = None
        self.error: str | None = None
        self.error_kind: str | None = None
        self.events: list[dict[str, Any]] = []
        self.truncated = False
        self.stdout = ""
        self.exc_type: type[BaseException] | None = None

    def fail(self, kind: str, message: str) -> _Outcome:
        self.error_kind = kind
        self.error = " ".join(message.split())
        return self

    def key(self) -> tuple[object, ...]:
        return (self.output, self.output_type, self.error_kind, self.error, self.truncated,
                self.events)


def _error_line(exc: BaseException, filename: str, codemap: CodeMap | None) -> int | None:
    """The deepest line of the traced code in the traceback of ``exc``."""
    tb = _exc_traceback(exc)
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is not None and codemap is not None:
        return statement_line(codemap, line)
    return line


def _describe(exc: BaseException, line: int | None) -> str:
    name = _type_name(_type(exc))
    message = exception_message(exc, MAX_MESSAGE_CHARS)
    text = name + ": " + message if message else name
    return text + (f" (line {line})" if line is not None else "")


def _exception_kind(exc: BaseException) -> str:
    return "memory" if isinstance(exc, _MemoryError) else "exception"


def _exhausted(outcome: _Outcome) -> bool:
    """True when the run ran out of memory or stack (which may happen at a different point in
    each run, so it decides the record instead of making it nondeterministic)."""
    return outcome.error_kind == "memory" or (
        outcome.exc_type is not None and issubclass(outcome.exc_type, _RecursionError)
    )


def _module_globals(namespace: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        text, tag, _ = encode_frozen(value)
        if is_literal_tag(tag):
            found[name] = text
    return found


def _run_once(
    code: CodeType,
    codemap: CodeMap,
    filename: str,
    entry: str,
    limits: tuple[int, int],
    stdout_cap: int,
) -> _Outcome:
    """Execute the module, evaluate the input, call the entry under the tracer; what the code
    prints is kept (up to ``stdout_cap`` characters) in the outcome's ``stdout``."""
    clean, version = builtins_guard.snapshot()
    previous = _gettrace()  # a debugger's or coverage tool's tracer gets its place back
    sink = _Output(stdout_cap)
    saved = _sys.stdout, _sys.stderr
    _sys.stdout = _sys.stderr = sink
    try:
        outcome = _execute(code, codemap, filename, entry, limits)
    except _MemoryError:
        outcome = _Outcome().fail("memory", "MemoryError while tracing")
    finally:
        if previous is None:
            trace_off()
        else:  # in-process only: the sandbox never has a tracer here before ours
            _settrace(previous)
        _sys.stdout, _sys.stderr = saved
        builtins_guard.restore(clean, version)
    outcome.stdout = sink.text()
    return outcome


def _execute(
    code: CodeType,
    codemap: CodeMap,
    filename: str,
    entry: str,
    limits: tuple[int, int],
) -> _Outcome:
    outcome = _Outcome()
    namespace: dict[str, Any] = {
        "__builtins__": builtins_guard.take_copy(), "__name__": "__codecot__"
    }
    try:
        _exec(code, namespace)
    except _KeyboardInterrupt:
        raise
    except _BaseException as exc:
        outcome.exc_type = _type(exc)
        return outcome.fail(_exception_kind(exc), _describe(exc, _error_line(exc, filename, codemap)))
    arguments = namespace.pop(_INPUT_FUNCTION, None)
    outcome.globals = _module_globals(namespace)
    function = namespace.get(entry)
    if function is None or not _callable(function):
        return outcome.fail("bad_record", f"entry function {entry!r} is not defined by the code")
    namespace[_CAPTURE] = _Captured
    try:
        captured = arguments() if _callable(arguments) else None
    except _KeyboardInterrupt:
        raise
    except _BaseException as exc:
        return outcome.fail("bad_input", "bad input: " + _describe(exc, None))
    finally:
        namespace.pop(_CAPTURE, None)
    if _type(captured) is not _Captured:
        return outcome.fail("bad_input", "bad input: not an argument list")

    run = Run(filename, codemap, limits[0], limits[1])
    tracer = run.global_trace
    result: object = None
    error: BaseException | None = None
    trace_on(run)
    try:
        result = function(*captured.args, **captured.kwargs)
    except _KeyboardInterrupt:
        raise
    except _BaseException as exc:
        error = exc
    finally:
        interfered = _gettrace() is not tracer
        trace_off()
    outcome.events = run.events
    outcome.truncated = run.truncated
    if run.entry_args is not None:
        outcome.args, outcome.types = run.entry_args
    if error is not None:
        if not run.entered and isinstance(error, _TypeError):
            return outcome.fail("bad_input", "bad input: " + _describe(error, None))
        line = _error_line(error, filename, codemap)
        outcome.exc_type = _type(error)
        return outcome.fail(_exception_kind(error), _describe(error, line))
    if run.internal_error is not None:
        if run.internal_error is _MemoryError:
            return outcome.fail("memory", "MemoryError while tracing")
        return outcome.fail("crash", "tracer failed: " + _type_name(run.internal_error))
    if interfered and not run.truncated:
        return outcome.fail("exception", "program interfered with the tracer")
    text, tag, _ = encode_frozen(result)
    if not is_literal_tag(tag):
        return outcome.fail("unrepresentable_output", f"unrepresentable output: {text} ({tag})")
    outcome.output = text
    outcome.output_type = tag
    return outcome


def _entry_name(tree: ast.Module, entry: object) -> str:
    if isinstance(entry, str) and entry:
        return entry
    names = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name != _INPUT_FUNCTION
    ]
    return names[0] if _len(names) == 1 else "f"


def _record(
    record_id: object, outcome: _Outcome, entry: str | None, started: float
) -> dict[str, Any]:
    ok = outcome.error_kind is None
    return {
        "id": record_id,
        "ok": ok,
        "error": outcome.error,
        "error_kind": outcome.error_kind,
        "entry": entry,
        "args": outcome.args,
        "types": outcome.types,
        "output": outcome.output if ok else None,
        "output_type": outcome.output_type if ok else None,
        "globals": outcome.globals,
        "events": outcome.events,
        "events_truncated": outcome.truncated,
        "stdout": outcome.stdout,
        "seconds": round(_perf_counter() - started, 6),
    }


def _syntax_message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno is not None else ""
        return f"SyntaxError: {exc.msg}{where}"
    return f"SyntaxError: {_type_name(_type(exc))}: {exc}"


def combined_source(source: str, source_input: str) -> str:
    """The record's code followed by its input as the body of a function that returns the
    call's arguments, so that code and input compile in one pass."""
    return f"{source}\ndef {_INPUT_FUNCTION}():\n    return {_CAPTURE}({source_input}\n)\n"


def _compile_record(
    source: str, source_input: str, filename: str
) -> tuple[ast.Module, CodeType] | _Outcome:
    """Parse and compile the code with the input appended as a function returning the call's
    arguments, so that both compile in one pass; failures name which part is wrong."""
    lines = source.count("\n") + 1
    combined = combined_source(source, source_input)
    try:
        tree = ast.parse(combined, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        try:
            ast.parse(source, filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as own:
            return _Outcome().fail("syntax_error", _syntax_message(own))
        return _Outcome().fail("bad_input", "bad input: " + _syntax_message(exc).split(" (line")[0])
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, ast.FunctionDef) and last.name == _INPUT_FUNCTION
            and last.lineno == lines + 1):
        return _Outcome().fail("bad_input", "bad input: not an argument list")
    try:
        return tree, _compile(tree, filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return _Outcome().fail("syntax_error", _syntax_message(exc))


def _filename(record_id: object) -> str:
    """The file name a record's code is compiled under (see ``Run``: only it is traced)."""
    return f"<codecot:{record_id}>"


def _build(
    source: str, source_input: str, filename: str, entry: object
) -> tuple[CodeType, CodeMap, str] | _Outcome:
    """The record compiled, its code map and its entry function's name, or why it failed."""
    compiled = _compile_record(source, source_input, filename)
    if isinstance(compiled, _Outcome):
        return compiled
    tree, code = compiled
    return code, analyze(tree, source), _entry_name(tree, entry)


def _problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with the payload's fields, if anything."""
    source_input = payload.get("input")
    if not isinstance(payload.get("code"), str):
        return "'code' must be a string"
    if source_input is not None and not isinstance(source_input, str):
        return "'input' must be a string"
    for key in ("max_events", "max_trace_chars"):
        value = payload.get(key)
        if value is not None and (_type(value) is not int or value < 0):
            return f"'{key}' must be a non-negative int"
    return None


def _decide(first: _Outcome, second: _Outcome) -> _Outcome:
    """The outcome the record reports, given both runs."""
    if first.key() == second.key():
        return first
    for outcome in (first, second):
        if outcome.error_kind == "memory":
            return outcome
    for outcome in (first, second):
        if _exhausted(outcome):
            return outcome
    what = "output" if (first.output, first.error) != (second.output, second.error) else "events"
    return first.fail("nondeterministic", f"nondeterministic: two runs gave different {what}")


_COMPILED = "compiled"
PREPARE_MAX_CHARS = 65_536
"""Records whose code and input together are longer than this are compiled in the child only."""
_PYTHON = f"{sys.implementation.cache_tag}:{sys.hexversion:x}"
"""Compiled code travels as ``marshal`` data, which only the same interpreter version reads."""


def prepare_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Compile and analyse the record in the sandbox pool's own process, before it is sent.

    The sandbox pool calls this (see ``SandboxPool``) for every payload of this task.  It runs
    the parser and compiler on the record's code and input and :func:`analyze` on the tree;
    none of the record's code runs.  Parsing is the dearest step of a child's work: done in a
    freshly forked child it builds every AST node in pages copied from the worker, at several
    times the CPU it takes in a warm process.  Returns ``payload`` with a ``compiled`` field
    (the code object as ``marshal`` data in base 64, the code map, the entry function's name)
    when all of it went cleanly; otherwise (bad fields, a syntax or input error, any warning
    from the compiler, a record longer than :data:`PREPARE_MAX_CHARS`, an optimising
    interpreter) returns ``payload`` unchanged, and the child compiles the record and reports
    what is wrong exactly as it does without this step.
    """
    if type(payload) is not dict or _COMPILED in payload or _problem(payload) is not None:
        return payload
    source = payload["code"]
    source_input = payload.get("input") or ""
    if _len(source) + _len(source_input) > PREPARE_MAX_CHARS or _sys.flags.optimize:
        return payload
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = _build(source, source_input, _filename(payload.get("id")), payload.get("entry"))
    if caught or isinstance(built, _Outcome):
        return payload
    code, codemap, entry = built
    plan = {
        "python": _PYTHON,
        "code": binascii.b2a_base64(marshal.dumps(code), newline=False).decode("ascii"),
        "entry": entry,
        "map": codemap.to_json(),
    }
    return {**payload, _COMPILED: plan}


def _from_plan(plan: object, filename: str) -> tuple[CodeType, CodeMap, str] | None:
    """The code, code map and entry name of a ``compiled`` field, or None if it is not one
    that :func:`prepare_payload` made for this record on this interpreter."""
    if _type(plan) is not dict or plan.get("python") != _PYTHON:
        return None
    entry, data = plan.get("entry"), plan.get("code")
    if _type(entry) is not str or _type(data) is not str:
        return None
    try:
        code = marshal.loads(binascii.a2b_base64(data))
        codemap = CodeMap.from_json(plan.get("map"))
    except Exception:  # whatever is wrong with it, the child compiles the record itself
        return None
    if _type(code) is not CodeType or code.co_filename != filename:
        return None
    return code, codemap, entry


def trace_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Trace one record; ``payload`` is ``{"id", "code", "input", "entry"?, "max_events"?,
    "max_trace_chars"?, "compiled"?}`` (``compiled``: see :func:`prepare_payload`)."""
    started = _perf_counter()
    if not isinstance(payload, dict):
        return _record(None, _Outcome().fail("bad_record", "payload is not an object"), None,
                       started)
    record_id = payload.get("id")
    source = payload.get("code")
    source_input = payload.get("input")
    problem = _problem(payload)
    if problem is not None or not isinstance(source, str):
        return _record(record_id, _Outcome().fail("bad_record", problem or ""), None, started)
    max_events = payload.get("max_events")
    max_chars = payload.get("max_trace_chars")
    limits = (MAX_EVENTS if max_events is None else max_events,
              MAX_TRACE_CHARS if max_chars is None else max_chars)
    filename = _filename(record_id)
    built = _from_plan(payload.get(_COMPILED), filename) or _build(
        source, source_input or "", filename, payload.get("entry"))
    if isinstance(built, _Outcome):
        return _record(record_id, built, None, started)
    code, codemap, entry = built
    first = _run_once(code, codemap, filename, entry, limits, MAX_STDOUT_CHARS)
    if first.error_kind in ("bad_input", "bad_record"):
        return _record(record_id, first, entry, started)
    second = _run_once(code, codemap, filename, entry, limits, 0)
    chosen = _decide(first, second)
    chosen.stdout = first.stdout
    return _record(record_id, chosen, entry, started)


_WARM_UP = (
    ("def f(xs, k):\n    seen = {}\n    out = []\n    for i, x in enumerate(xs):\n"
     "        if x in seen:\n            continue\n        elif x > k:\n            out.append(x * 2)\n"
     "        else:\n            seen[x] = i\n    n = 0\n    while n < 3:\n        n += 1\n"
     "    try:\n        n = n // (k - k)\n    except ZeroDivisionError as e:\n        n = -1\n"
     "    s = ''.join(str(v) for v in out)\n    print(s)\n    return sorted(out), s, n, (1.5, None, True)",
     "[3, 1, 4, 1, 5, 9, 2, 6], 3"),
    ("def g(n):\n    return n if n < 2 else g(n - 1) + g(n - 2)\n\ndef f(n, w='ab'):\n"
     "    if n < 0: return None\n    words = [w * i for i in range(n)]\n"
     "    return {'fib': g(n), 'words': words, 'set': {1, 2}}", "6"),
    ("def f(s):\n    raise ValueError(s)", "'x'"),
)


def warm_up() -> None:
    """Trace a few fixed programs in this process: a sandbox worker calls this once before it
    forks any child, so that the tracer's code is already specialised (see
    ``codecot.sandbox.worker.warm_up``)."""
    for _ in range(3):
        for n, (code, args) in enumerate(_WARM_UP):
            trace_job({"id": f"warm{n}", "code": code, "input": args})
    builtins_guard.prepare_spares()


def trace_in_process(
    code: str,
    input: str,
    entry: str | None = None,
    id: str = "x",
    max_events: int = MAX_EVENTS,
    max_trace_chars: int = MAX_TRACE_CHARS,
) -> dict[str, Any]:
    """:func:`trace_job` with plain arguments (runs in this process, no sandbox)."""
    return trace_job({"id": id, "code": code, "input": input, "entry": entry,
                      "max_events": max_events, "max_trace_chars": max_trace_chars})
