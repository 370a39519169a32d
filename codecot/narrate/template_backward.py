"""Backward template narration: from the output back to an input.

Written from the output, the known input and its trace: the goal; what the returned expression
must equal (anchored to the return line, a necessity on every path that returns there); then
one step per parameter, in order: ``x must be V`` (or ``Then x must be V`` after choices) when
the backward engine proves it necessary given the choices so far (see
:class:`codecot.symbolic.session.BackwardSession`), else the properties of ``V`` it does prove
(``len(x) must be 7``, ``x must satisfy x.startswith('ab')``, ``x must be greater than 0``:
:func:`property_candidates`) followed by the choice ``Let x be V``; the check; the final
input.  Without an engine every parameter step is a choice.
"""

from __future__ import annotations

import ast
import atexit
import os
from collections.abc import Callable
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.pyexpr import expr_from_ast_or_none, value_to_expr
from codecot.claims.source import Source
from codecot.narrate.template_forward import call_args
from codecot.solver import Truth, Unsupported, decide_expr, encode
from codecot.symbolic.explore import Bounds
from codecot.trace.values import decode
from codecot.verify.backward import is_literal

#: decides whether ``condition`` (over the parameters) is necessary given the choices
Necessity = Callable[[E.Expr, list[E.Expr]], bool]


def _literal(repr_text: str) -> E.Expr:
    return value_to_expr(decode(repr_text))


def backward_claims(code: str, trace: dict[str, Any],
                    necessary: Necessity | bool | None = True,
                    arg_sources: dict[str, str] | None = None) -> list[M.Claim]:
    """Claims of a backward rationale for a successful trace.

    ``necessary`` decides parameter necessities; ``True`` (the default) uses the concolic
    engine in a shared sandbox pool, ``None``/``False`` writes choices only.
    """
    src = Source(code)
    entry = str(trace.get("entry") or "f")
    args: dict[str, str] = dict(trace.get("args") or {})
    out = _literal(str(trace["output"]))
    values = call_args(src, entry, args, arg_sources)
    claims: list[M.Claim] = [
        M.GoalClaim(call=E.Call(entry, tuple(E.Name(p) for p in args)), value=out),
    ]
    ret = _final_return(trace)
    if ret is not None:
        line = int(ret["line"])
        stmt = src.statement(line)
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            expr = expr_from_ast_or_none(stmt.value)
            if expr is not None and expr != out and is_literal(out):
                claims.append(M.ConditionOnInputClaim(
                    line=line, modality=M.Modality.NECESSARY,
                    condition=E.Compare(expr, ("==",), (out,))))
    oracle: Necessity | None = None
    if necessary is True:
        oracle = engine_oracle(code, trace)
    elif callable(necessary):
        oracle = necessary
    choices: list[E.Expr] = []
    for name, rep in args.items():
        if not _decidable_at(name, rep):
            continue  # a value without a literal form: no step can state it
        cond = E.Compare(E.Name(name), ("==",), (_literal(rep),))
        necessity = M.Modality.CONDITIONAL if choices else M.Modality.NECESSARY
        if oracle is not None and oracle(cond, list(choices)):
            claims.append(M.ConditionOnInputClaim(modality=necessity, condition=cond))
            continue
        if oracle is not None:
            for prop in proved_properties(name, decode(rep), oracle, list(choices)):
                claims.append(M.ConditionOnInputClaim(modality=necessity, condition=prop))
        choices.append(cond)
        claims.append(M.ConditionOnInputClaim(modality=M.Modality.CHOICE, condition=cond))
    claims.append(M.CheckClaim(call=E.Call(entry, tuple(values)), value=out))
    claims.append(M.InputClaim(args=tuple(values)))
    return claims


def _decidable_at(name: str, rep: str) -> bool:
    """Whether ``name == <its value>`` is decided at the known input (the check a choice gets)."""
    try:
        value = decode(rep)
        cond = E.Compare(E.Name(name), ("==",), (value_to_expr(value),))
        return decide_expr(cond, {name: encode(value)}).truth is Truth.TRUE
    except (ValueError, SyntaxError, Unsupported):
        return False


#: at most this many property necessities per parameter
MAX_PROPERTIES = 3


def property_candidates(name: str, value: object) -> list[list[E.Expr]]:
    """Groups of properties of the value of parameter ``name`` worth stating as necessities,
    most general first within a group: its length; for a string, growing prefixes and
    suffixes; for an int, its sign.  A group is tried until one of its claims fails."""
    subject = E.Name(name)
    groups: list[list[E.Expr]] = []
    if isinstance(value, str | list | tuple):
        groups.append([E.Compare(E.Call("len", (subject,)), ("==",), (E.Const(len(value)),))])
    if isinstance(value, str) and len(value) > 1:
        sizes = sorted({1, 2, len(value) // 2, len(value) - 1} - {0})
        for method, part in (("startswith", lambda k: value[:k]),
                             ("endswith", lambda k: value[-k:])):
            groups.append([E.MethodCall(subject, method, (E.Const(part(k)),)) for k in sizes])
    if type(value) is int and value != 0:
        groups.append([E.Compare(subject, (">" if value > 0 else "<",), (E.Const(0),))])
    return groups


def proved_properties(name: str, value: object, oracle: Necessity,
                      choices: list[E.Expr]) -> list[E.Expr]:
    """The properties of ``name``'s value that ``oracle`` proves necessary given ``choices``
    (of each group of prefixes or suffixes only the longest proved one)."""
    out: list[E.Expr] = []
    for group in property_candidates(name, value):
        best: E.Expr | None = None
        for prop in group:
            if not oracle(prop, choices):
                break
            best = prop
        if best is not None:
            out.append(best)
        if len(out) >= MAX_PROPERTIES:
            break
    return out


def _final_return(trace: dict[str, Any]) -> dict[str, Any] | None:
    for ev in reversed(trace.get("events") or []):
        if ev.get("event") == "return" and ev.get("depth", 0) == 0:
            return ev
    return None


# --- the engine, in pools shared by every narration of this process -------------------------

_POOLS: dict[str, Any] = {}
#: The narrator's exploration budget (smaller than the verifier's: it only claims what it
#: proves, and the verifier, with more room, proves at least as much on the same paths).
NARRATOR_BOUNDS = Bounds(max_runs=16, max_queries=60, max_seconds=1.5)


def _pool(task: str) -> Any:
    from codecot.sandbox import Limits, SandboxPool

    if task not in _POOLS:
        if not _POOLS:
            atexit.register(close_pools)
        jobs = max(1, min(8, os.cpu_count() or 1))
        _POOLS[task] = SandboxPool(jobs=jobs, limits=Limits(), task=task)
    return _POOLS[task]


def close_pools() -> None:
    """Close the sandbox pools the engine oracle opened."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.close()


def engine_oracle(code: str, trace: dict[str, Any]) -> Necessity | None:
    """A necessity oracle backed by the concolic engine (None without an output)."""
    from codecot.symbolic.api import CONCOLIC_TASK, ConcolicRun, concolic_payload
    from codecot.symbolic.rebuild import rebuild
    from codecot.symbolic.session import BackwardSession

    if trace.get("output") is None:
        return None
    entry = str(trace.get("entry") or "f")
    seed = ", ".join(str(v) for v in (trace.get("args") or {}).values())

    def concolic(srcs: list[str], tags: dict[str, str]) -> list[ConcolicRun]:
        payloads = [concolic_payload(code, s, entry, tags=tags, lines=[]) for s in srcs]
        return [rebuild(r) for r in _pool(CONCOLIC_TASK).map(payloads)]

    def retrace(srcs: list[str]) -> list[dict[str, Any]]:
        payloads = [{"id": None, "code": code, "input": s, "entry": entry} for s in srcs]
        return list(_pool("codecot.trace.tracer:trace_job").map(payloads))

    session = BackwardSession(code, entry, str(trace["output"]), seed, concolic, retrace,
                              bounds=NARRATOR_BOUNDS, check_seconds=1.5)

    def necessary(condition: E.Expr, choices: list[E.Expr]) -> bool:
        try:
            ex = session.exploration(choices)
            if isinstance(ex, str) or not ex.exhaustive:
                return False  # "proved" needs an exhaustive exploration: spare the solver
            return session.necessity(condition, None, None, choices).word == "proved"
        except Exception:
            return False

    return necessary
