"""Backward template narration: from the output back to an input.

Written from the output, the known input and its trace: the goal; what the returned expression
must equal (anchored to the return line, so it is a necessity on that path); one choice per
parameter (marked as a choice, never as a necessity); the check; the final input.  Stronger
necessities come from the backward engine once it exists (issue 5).
"""

from __future__ import annotations

import ast
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.narrate.pyexpr import expr_from_ast_or_none, value_to_expr
from codecot.narrate.source import Source
from codecot.narrate.template_forward import call_args
from codecot.trace.values import decode


def _literal(repr_text: str) -> E.Expr:
    return value_to_expr(decode(repr_text))


def backward_claims(code: str, trace: dict[str, Any]) -> list[M.Claim]:
    """Claims of a backward rationale for a successful trace."""
    src = Source(code)
    entry = str(trace.get("entry") or "f")
    args: dict[str, str] = dict(trace.get("args") or {})
    out = _literal(str(trace["output"]))
    values = call_args(src, entry, args)
    claims: list[M.Claim] = [
        M.GoalClaim(call=E.Call(entry, tuple(E.Name(p) for p in args)), value=out),
    ]
    ret = _final_return(trace)
    if ret is not None:
        line = int(ret["line"])
        stmt = src.statement(line)
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            expr = expr_from_ast_or_none(stmt.value)
            if expr is not None and expr != out:
                claims.append(M.ConditionOnInputClaim(
                    line=line, modality=M.Modality.NECESSARY,
                    condition=E.Compare(expr, ("==",), (out,))))
    for name, rep in args.items():
        claims.append(M.ConditionOnInputClaim(
            modality=M.Modality.CHOICE, condition=E.Compare(E.Name(name), ("==",), (_literal(rep),))))
    claims.append(M.CheckClaim(call=E.Call(entry, tuple(values)), value=out))
    claims.append(M.InputClaim(args=tuple(values)))
    return claims


def _final_return(trace: dict[str, Any]) -> dict[str, Any] | None:
    for ev in reversed(trace.get("events") or []):
        if ev.get("event") == "return" and ev.get("depth", 0) == 0:
            return ev
    return None
