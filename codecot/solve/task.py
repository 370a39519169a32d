"""The sandbox task of the solver: try a batch of candidate inputs, or verify one input.

Runs inside a sandboxed child (`codecot.sandbox.SandboxPool` with task
`codecot.solve.task:solve_job`); it must stay light to import (no z3).

A batch payload is ``{"mode": "batch", "code", "entry", "inputs": [src, ...], "target": repr,
"per_call": s, "budget": s, "deadline": t?}`` (``t`` on the system-wide monotonic clock: a batch
queued behind others stops there too). Every input is evaluated fresh in a fresh namespace of ``code``
(so mutated arguments or globals never leak between candidates), the entry function is called
under a per-call wall-clock alarm (cut so that no call runs past ``budget``), and the result's
repr is compared with ``target``. The child stops when ``budget`` seconds have passed; the reply
says how many inputs it tried.

A verify payload (``"mode": "verify"``) is handed to the sandbox's own `exec_call` task.
"""

from __future__ import annotations

import signal
import time
import types
from typing import Any

from codecot.sandbox.tasks import USER_FILENAME, entry_name, evaluate_arguments, exec_call
from codecot.trace.values import decode, same_value

OUTPUT_CHARS = 400
"""Reprs of candidate outputs longer than this are cut (they only guide the search)."""


class _Alarm(BaseException):
    """The per-call wall-clock alarm fired."""


def _on_alarm(signum: int, frame: types.FrameType | None) -> None:
    raise _Alarm()


def matches(value: Any, out_repr: str, target_repr: str, target: Any) -> bool:
    """True when a result reproduces the target exactly: same repr, or `==` with same types."""
    if out_repr == target_repr:
        return True
    return target is not _NO_TARGET and same_value(value, target)


_NO_TARGET: Any = object()


def _run_one(code: types.CodeType, entry: str | None, src: str, per_call: float,
             target_repr: str, target: Any) -> tuple[str | None, str | None, bool]:
    """(output repr, error, match) for one candidate input."""
    namespace: dict[str, Any] = {"__name__": "__codecot_user__", "__builtins__": __builtins__}
    signal.setitimer(signal.ITIMER_REAL, per_call)
    try:
        exec(code, namespace)
        args, kwargs = evaluate_arguments(src, namespace)
        func = namespace[entry or entry_name({}, namespace)]
        value = func(*args, **kwargs)
        out = repr(value)
        hit = matches(value, out, target_repr, target)
    except _Alarm:
        return None, "timeout", False
    except MemoryError:
        return None, "MemoryError", False
    except BaseException as exc:  # user code may raise anything
        return None, type(exc).__name__, False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return out[:OUTPUT_CHARS], None, hit


def try_batch(payload: dict[str, Any]) -> dict[str, Any]:
    """Run every input of the batch (until the budget ends); report outputs and matches."""
    start = time.monotonic()
    try:
        code = compile(str(payload.get("code", "")), USER_FILENAME, "exec")
    except (SyntaxError, ValueError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "error_kind": "syntax_error"}
    target_repr = str(payload["target"])
    try:
        target = decode(target_repr)
    except ValueError:
        target = _NO_TARGET
    per_call = float(payload.get("per_call", 0.5))
    budget = float(payload.get("budget", 1.0))
    entry = payload.get("entry")
    signal.signal(signal.SIGALRM, _on_alarm)
    outputs: list[str | None] = []
    errors: list[str | None] = []
    hits: list[int] = []
    stop = start + budget
    deadline = float(payload.get("deadline") or 0.0)
    # time.monotonic() is system-wide on Linux; a deadline far off means another clock
    shared_clock = abs(deadline - start) < 3600
    if shared_clock:
        stop = min(stop, deadline)
    for i, src in enumerate(payload.get("inputs", [])):
        now = time.monotonic()
        if now > stop and (i or shared_clock):
            break
        left = max(0.01, min(per_call, stop - now))
        out, err, hit = _run_one(code, entry, str(src), left, target_repr, target)
        outputs.append(out)
        errors.append(err)
        if hit:
            hits.append(i)
    return {"ok": True, "tried": len(outputs), "outputs": outputs, "errors": errors,
            "matches": hits}


def solve_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Dispatch: ``mode`` ``verify`` runs `exec_call`, anything else `try_batch`."""
    if payload.get("mode") == "verify":
        return exec_call(payload)
    return try_batch(payload)
