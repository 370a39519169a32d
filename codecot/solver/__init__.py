"""The only package that imports z3: value encoding, the expression compiler, decisions.

Public API::

    encode(value, type_tag=None) -> SymValue        # concrete Python value
    encode_env(values, types=None) -> dict          # a trace point's variables (opaque if not)
    fresh(name, type_tag, length=None) -> SymValue  # symbolic value (Z3 constants)
    decode(term, PyType) / decode_model(model, v)   # back to Python values
    compile_expr(expr, env) -> SymValue             # Python semantics of codecot.claims.expr
    decide(formula, bindings=()) -> Decision        # TRUE / FALSE / UNKNOWN (+ model)
    decide_expr(expr, env) -> Decision
    check_sat(formulas) / prove(formula, assumptions) -> Decision

Errors: :class:`Unsupported` (no faithful encoding: the claim is unknown) and
:class:`PythonError` (Python would raise: the claim is false).
"""

from codecot.solver.compile import compile_expr
from codecot.solver.decide import (
    Decision,
    Truth,
    check_sat,
    decide,
    decide_expr,
    holds,
    prove,
)
from codecot.solver.errors import PythonError, Unsupported
from codecot.solver.types import PyType, infer, parse_tag
from codecot.solver.values import (
    MISSING,
    Guard,
    SymValue,
    binding_terms,
    concrete_value,
    decode,
    decode_model,
    encode,
    encode_env,
    fresh,
    opaque,
)

__all__ = [
    "MISSING", "Decision", "Guard", "PyType", "PythonError", "SymValue", "Truth", "Unsupported",
    "binding_terms", "check_sat", "compile_expr", "concrete_value", "decide", "decide_expr",
    "decode", "decode_model", "encode", "encode_env", "fresh", "holds", "infer", "opaque",
    "parse_tag", "prove",
]
