"""Tasks that run inside a sandboxed child.

`exec_call` is the sandbox's own simple task (used by its tests and as the pool's default):
run a corpus record's function on its input and report `repr` of the result. The real
pipeline uses the tracer (`codecot.trace.tracer:trace_job`) instead.
"""

from __future__ import annotations

import types
from typing import Any

USER_FILENAME = "<codecot:user>"
INPUT_FILENAME = "<codecot:input>"
_COLLECT = "__codecot_collect_args__"


def _collect_args(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return args, kwargs


def evaluate_arguments(
    source: str, namespace: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Evaluate the argument-list text `source` (e.g. `"'ab', 2,"` or `"x=1"`) in `namespace`.

    The text is wrapped in a call, so a trailing comma, an empty list and keyword
    arguments all work; it may name globals that the record's code defined.
    """
    namespace[_COLLECT] = _collect_args
    try:
        code = compile(f"{_COLLECT}(\n{source}\n)", INPUT_FILENAME, "eval")
        args, kwargs = eval(code, namespace)
    finally:
        namespace.pop(_COLLECT, None)
    return args, kwargs


def entry_name(payload: dict[str, Any], namespace: dict[str, Any]) -> str:
    """The function to call: `entry` if given, else the only top-level function, else `f`."""
    entry = payload.get("entry")
    if entry:
        return str(entry)
    defined = [
        name
        for name, value in namespace.items()
        if isinstance(value, types.FunctionType) and value.__code__.co_filename == USER_FILENAME
    ]
    return defined[0] if len(defined) == 1 else "f"


def _failure(record_id: Any, kind: str, error: str) -> dict[str, Any]:
    return {"id": record_id, "ok": False, "output": None, "error": error, "error_kind": kind}


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def exec_call(payload: dict[str, Any]) -> dict[str, Any]:
    """Run `payload["code"]`, call its entry function on `payload["input"]`, report the repr.

    Returns `{"id", "ok": True, "output": repr(result), "error": None, "error_kind": None}`,
    or `ok: False` with `error_kind` `syntax_error` (code does not compile), `bad_input`
    (the input does not evaluate), `exception` (the call, or repr of its result, raised;
    `error` is `"TypeName: message"`; SystemExit and KeyboardInterrupt count too) or
    `memory` (MemoryError).
    """
    record_id = payload.get("id")
    namespace: dict[str, Any] = {"__name__": "__codecot_user__", "__builtins__": __builtins__}
    try:
        code = compile(str(payload.get("code", "")), USER_FILENAME, "exec")
    except (SyntaxError, ValueError) as exc:
        return _failure(record_id, "syntax_error", _describe(exc))
    try:
        exec(code, namespace)
        try:
            args, kwargs = evaluate_arguments(str(payload.get("input", "")), namespace)
        except MemoryError:
            raise
        except BaseException as exc:  # a bad input is reported, not raised
            return _failure(record_id, "bad_input", _describe(exc))
        func = namespace[entry_name(payload, namespace)]
        output = repr(func(*args, **kwargs))
    except MemoryError:
        return _failure(record_id, "memory", "MemoryError")
    except BaseException as exc:  # user code may raise anything
        return _failure(record_id, "exception", _describe(exc))
    return {"id": record_id, "ok": True, "output": output, "error": None, "error_kind": None}
