"""Throughput of forward claim decisions: ``python -m codecot.solver.benchmark [SECONDS]``.

Decides a fixed mix of simple claims with concrete bindings (the forward checker's workload),
rebuilding the environment for every claim, and prints claims per second as JSON.  Also times
the same claims compiled once over fresh variables and decided by substitution.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from codecot.claims import expr as E
from codecot.solver.compile import compile_expr
from codecot.solver.decide import Truth, decide, decide_expr
from codecot.solver.errors import Unsupported
from codecot.solver.values import encode, fresh


def _eq(left: E.Expr, right: Any) -> E.Expr:
    return E.Compare(left, ("==",), (E.Const(right),))


#: (claim, variables, expected truth)
CLAIMS: list[tuple[E.Expr, dict[str, Any], Truth]] = [
    (E.Compare(E.Name("total"), ("==",), (E.BinOp("+", E.Const(2), E.Const(4)),)),
     {"total": 6}, Truth.TRUE),
    (_eq(E.Index(E.Name("xs"), E.UnaryOp("-", E.Const(1))), 3), {"xs": [1, 2, 3]}, Truth.TRUE),
    (_eq(E.Call("len", (E.Name("s"),)), 7), {"s": "abcdefg"}, Truth.TRUE),
    (_eq(E.MethodCall(E.Name("s"), "upper", ()), "AB"), {"s": "ab"}, Truth.TRUE),
    (E.Compare(E.BinOp("%", E.Name("n"), E.Const(2)), ("==",), (E.Const(0),)), {"n": 7},
     Truth.FALSE),
    (_eq(E.BinOp("+", E.Const(0.1), E.Const(0.2)), 0.3), {}, Truth.FALSE),
    (E.Compare(E.Name("xs"), ("==",), (E.ListExpr((E.Const(1), E.Const(2), E.Const(3))),)),
     {"xs": [1, 2, 3]}, Truth.TRUE),
    (_eq(E.MethodCall(E.Const(""), "join", (E.Name("ws"),)), "abq"), {"ws": ["a", "b", "q"]},
     Truth.TRUE),
]


def forward_rate(seconds: float) -> float:
    """Claims per second, concrete environments built per claim."""
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for claim, values, expected in CLAIMS:
            env = {k: encode(v) for k, v in values.items()}
            assert decide_expr(claim, env).truth is expected
        done += len(CLAIMS)
    return done / (time.perf_counter() - start)


def substitution_rate(seconds: float) -> float:
    """Claims per second, compiled once over fresh variables, decided by substitution
    (claims with no symbolic encoding, such as ``s.upper()``, are left out)."""
    compiled = []
    for claim, values, expected in CLAIMS:
        symbols = {k: fresh(k, encode(v).type) for k, v in values.items()}
        try:
            compiled.append((compile_expr(claim, symbols), symbols, values, expected))
        except Unsupported:
            continue
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for formula, symbols, values, expected in compiled:
            bindings = [(symbols[k], encode(v)) for k, v in values.items()]
            assert decide(formula, bindings).truth is expected
        done += len(compiled)
    return done / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    seconds = float(args[0]) if args else 2.0
    forward_rate(0.2)  # warm caches
    print(json.dumps({
        "claims": len(CLAIMS),
        "forward_claims_per_s": round(forward_rate(seconds)),
        "substitution_claims_per_s": round(substitution_rate(seconds)),
    }))


if __name__ == "__main__":
    main()
