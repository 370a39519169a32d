"""CrossHair as a baseline input solver, for `codecot bench solve --against crosshair`.

For a record, `wrapper_source` writes a module holding the record's code and a target function
whose parameters are annotated from the record input's type skeleton (the same information
``--hint types`` gives codecot) and which raises unless the entry function returns the output::

    def _codecot_target(a: int, b: str) -> None:
        if not (f(a, b) == _CODECOT_EXPECTED):
            raise AssertionError("not the output")

`crosshair search` looks for arguments that make such a function complete without error; it runs
in a subprocess confined by `codecot.sandbox.confine` (private temporary directory, rlimits,
Landlock, an empty network namespace where permitted; wall-clock kill) with
``--optimization none`` (report the first input found) and ``--per_condition_timeout`` set to
the budget. The reported arguments are turned into an argument list and re-executed in codecot's
sandbox: only an exact reproduction counts as solved.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from codecot.corpus import CorpusRecord
from codecot.sandbox.confine import confine_subprocess
from codecot.solve.evaluate import Evaluator
from codecot.solve.portfolio import param_types
from codecot.solve.types import Ty
from codecot.trace.values import decode

TARGET = "_codecot_target"
MODULE = "codecot_crosshair_target"
STARTUP_SLACK = 5.0
"""Seconds allowed beyond the budget for the CrossHair process to start and report."""


def crosshair_available() -> bool:
    """Whether a `crosshair` executable sits beside this Python."""
    return _crosshair_exe() is not None


def _crosshair_exe() -> str | None:
    local = os.path.join(os.path.dirname(sys.executable), "crosshair")
    return local if os.path.exists(local) else shutil.which("crosshair")


def annotation(t: Ty) -> str:
    """Python annotation text for a type (``list[int]``, ``int | str`` ...)."""
    k = t.kind
    if k == "union":
        return " | ".join(annotation(a) for a in t.args)
    if k == "any":
        return "int"
    if k == "None":
        return "None"
    if k in ("list", "set", "frozenset"):
        return f"{k}[{annotation(t.args[0])}]"
    if k == "dict":
        return f"dict[{annotation(t.args[0])}, {annotation(t.args[1])}]"
    if k == "tuple":
        return f"tuple[{', '.join(annotation(a) for a in t.args)}]" if t.args else "tuple[()]"
    return k


def wrapper_source(rec: CorpusRecord) -> tuple[str, list[str]] | None:
    """The wrapper module's source and the target's parameter names; None if no skeleton."""
    params = param_types(rec, "types")
    if params is None or rec.output is None:
        return None
    names = [f"a{i}" for i in range(len(params))]
    sig = ", ".join(f"{n}: {annotation(p.types[0])}" for n, p in zip(names, params, strict=True))
    call = ", ".join(f"{p.keyword}={n}" if p.keyword else n
                     for n, p in zip(names, params, strict=True))
    src = (f"{rec.code}\n\n\n_CODECOT_EXPECTED = {rec.output}\n\n\n"
           f"def {TARGET}({sig}) -> None:\n"
           f"    if not ({rec.entry_name}({call}) == _CODECOT_EXPECTED):\n"
           f"        raise AssertionError('not the output')\n")
    return src, names


@dataclass(frozen=True)
class CrosshairResult:
    """One CrossHair search: status solved/timeout/wrong/error, the input, wall seconds."""

    status: str
    input: str | None
    seconds: float
    detail: str = ""


def run_crosshair(rec: CorpusRecord, timeout: float, evaluator: Evaluator | None) -> CrosshairResult:
    """Search with CrossHair for an input of `rec`, then confirm it in the sandbox."""
    start = time.monotonic()
    built = wrapper_source(rec)
    exe = _crosshair_exe()
    if built is None or exe is None:
        return CrosshairResult("error", None, 0.0, "no type skeleton" if exe else "no crosshair")
    src, names = built
    with tempfile.TemporaryDirectory(prefix="codecot-crosshair-") as tmp, \
            confine_subprocess(tmp, cpu_seconds=int(timeout + STARTUP_SLACK) + 1) as confine:
        with open(os.path.join(tmp, f"{MODULE}.py"), "w", encoding="utf-8") as fh:
            fh.write(src)
        cmd = [exe, "search", f"{MODULE}.{TARGET}", "--optimization", "none",
               "--per_condition_timeout", str(timeout)]
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": tmp, "PYTHONHASHSEED": "0",
               "HOME": tmp}
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                                  timeout=timeout + STARTUP_SLACK,
                                  preexec_fn=confine)
        except subprocess.TimeoutExpired:
            return CrosshairResult("timeout", None, time.monotonic() - start)
    seconds = time.monotonic() - start
    text = proc.stdout.strip().splitlines()
    if not text:
        crashed = "Traceback" in proc.stderr
        return CrosshairResult("error" if crashed else "timeout", None, seconds,
                               proc.stderr.strip()[-200:])
    try:
        found = decode(text[-1])
    except ValueError:
        return CrosshairResult("error", None, seconds, f"unreadable: {text[-1][:200]}")
    if not isinstance(found, dict) or any(n not in found for n in names):
        return CrosshairResult("error", None, seconds, f"unexpected: {text[-1][:200]}")
    params = param_types(rec, "types") or []
    input_src = ", ".join(f"{p.keyword}={found[n]!r}" if p.keyword else repr(found[n])
                          for n, p in zip(names, params, strict=True))
    if evaluator is not None and not evaluator.verify(input_src):
        return CrosshairResult("wrong", input_src, seconds, "does not reproduce exactly")
    return CrosshairResult("solved", input_src, seconds)
