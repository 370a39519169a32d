"""Public interface of the concolic engine.

:func:`run_concolic` runs the entry function of ``code`` on the argument list ``input_src`` in
the sandbox (task :func:`codecot.symbolic.task.concolic_job`), with symbolic shadows on the
parameters, and rebuilds in the parent the path condition and the symbolic values as Z3 terms
of the solver layer's encoding (so :func:`codecot.solver.compile_expr` works over
``params``, ``output`` and the locals of ``points``).

Encoding of parameters (the names are the Z3 constants): ``int`` -> ``Int`` named after the
parameter, ``str`` -> ``String``, ``float`` -> an IEEE double, ``bool`` -> ``Bool`` (a bool
cannot carry a shadow, so its value is recorded as a branch of the path: exploration flips it),
``list[E]`` -> ``Seq`` (its length is pinned by the first constraint of the run), a tuple -> one
constant per item (``p[0]``, ...), ``dict[K, V]`` (K int or str, V a type a list may hold) ->
two ``Seq`` constants ``d.keys`` and ``d.values`` in insertion order: equal lengths and distinct
keys are recorded as assumptions, the number of entries is pinned, and keys stay symbolic --
every lookup records the key comparison that decided it (:mod:`codecot.symbolic.dicts`);
hashing a key anywhere else (a plain dict or set built from it) pins it.  Parameters of other
types (sets, dicts with other or mixed key/value types, empty or mixed lists) stay concrete:
``params`` holds their encoded concrete value and :attr:`ConcolicRun.symbolic_params` leaves
them out (sets: their iteration order follows the hashes, so their elements would be pinned
at once; they are left concrete).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codecot.sandbox import Limits, SandboxPool
from codecot.solver import SymValue, decode_model

CONCOLIC_TASK = "codecot.symbolic.task:concolic_job"

#: Kinds of constraint in :attr:`ConcolicRun.constraints`: a branch outcome, a pin (a value or
#: length made concrete: the run is only valid where it holds) and a domain assumption
#: (e.g. a string is ASCII before case mapping is modelled per character).
BRANCH, PIN, ASSUME = "branch", "pin", "assume"


@dataclass(frozen=True)
class SymbolicPoint:
    """The state of the entry frame just before line ``line`` runs.

    ``iteration`` counts how often this line has been reached in the run (1-based); for a line
    inside one loop it is that loop's iteration.  ``locals`` maps every local variable to its
    value: symbolic where the run tracked it, else concrete, else opaque.
    """

    line: int
    iteration: int
    locals: dict[str, SymValue]


@dataclass(frozen=True)
class ConcolicRun:
    """One concolic execution of ``entry`` on a concrete input, in the parent process after the
    sandboxed run (z3 terms re-built in the parent from SMT-LIB text)."""

    ok: bool                     # the concrete run returned normally
    error: str | None            # e.g. "ZeroDivisionError: ..." / "timeout" when not ok
    params: dict[str, SymValue]  # symbolic inputs, one per parameter (fresh(); concrete if not)
    concrete: dict[str, object]  # the concrete input values (decoded)
    output: SymValue | None      # symbolic return value (None if not ok / not representable)
    output_repr: str | None      # repr of the concrete return value
    path: tuple[Any, ...]        # z3 BoolRefs: branch decisions in execution order, as taken
    concretized: tuple[Any, ...]  # z3 BoolRefs: pins and assumptions added by concretisation
    points: tuple[SymbolicPoint, ...]  # per traced line event of the entry frame
    complete: bool               # False when something could not be tracked symbolically
    #: every constraint in execution order as (kind, BoolRef); kind is BRANCH, PIN or ASSUME
    constraints: tuple[tuple[str, Any], ...] = ()
    #: names of the parameters that are symbolic (the others are fixed concrete values)
    symbolic_params: tuple[str, ...] = ()
    #: the SMT-LIB text of each constraint (same order): a path's identity across runs
    signature: tuple[str, ...] = ()
    #: why the run is incomplete, or other remarks, for details
    notes: tuple[str, ...] = field(default=())

    @property
    def pc(self) -> tuple[Any, ...]:
        """All constraints of the run (branches, pins, assumptions) in execution order."""
        return tuple(c for _, c in self.constraints)


def run_concolic(code: str, input_src: str, entry: str | None = None, *,
                 limits: Limits | None = None, pool: SandboxPool | None = None,
                 lines: Sequence[int] | None = None) -> ConcolicRun:
    """Run ``entry`` on ``input_src`` concolically in the sandbox and rebuild its terms.

    ``pool`` must run :data:`CONCOLIC_TASK`; without one a one-off pool is started.
    ``lines`` limits the recorded :attr:`ConcolicRun.points` to those lines (default: all,
    up to a cap).
    """
    from codecot.symbolic.rebuild import rebuild

    payload = concolic_payload(code, input_src, entry, lines=lines)
    if pool is None:
        with SandboxPool(jobs=1, limits=limits or Limits(), task=CONCOLIC_TASK) as own:
            result = own.run(payload)
    else:
        result = pool.run(payload)
    return rebuild(result)


def concolic_payload(code: str, input_src: str, entry: str | None = None, *,
                     lines: Sequence[int] | None = None, record_id: object = None,
                     tags: dict[str, str] | None = None) -> dict[str, Any]:
    """The sandbox payload for one concolic run (for batching with ``pool.map``).

    ``tags`` gives parameter types to use when a value does not show its own (an empty list
    explored from a seed whose list was ``list[int]``).
    """
    return {"id": record_id, "code": code, "input": input_src, "entry": entry,
            "lines": None if lines is None else sorted(set(lines)), "tags": tags or {}}


def param_tags(run: ConcolicRun) -> dict[str, str]:
    """Type tags of the symbolic parameters of ``run`` (for :func:`concolic_payload`)."""
    return {n: str(run.params[n].type) for n in run.symbolic_params}


def input_source(values: Sequence[object]) -> str:
    """Argument-list source text for concrete values (their reprs, comma-separated; NaN and the
    infinities as ``float('nan')`` ...)."""
    return ", ".join(value_source(v) for v in values)


def value_source(v: object) -> str:
    """Python source text that evaluates to ``v`` (``repr`` except for non-finite floats)."""
    if isinstance(v, float) and not math.isfinite(v):
        return f"float('{v!r}')" if v == v else "float('nan')"
    if type(v) is list:
        return "[" + ", ".join(value_source(i) for i in v) + "]"
    if type(v) is tuple:
        inner = ", ".join(value_source(i) for i in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if type(v) is dict:
        return "{" + ", ".join(f"{value_source(k)}: {value_source(x)}" for k, x in v.items()) + "}"
    return repr(v)


def model_to_inputs(run: ConcolicRun, model: Any) -> list[object]:
    """Concrete parameter values (in parameter order) from a z3 model over ``run``'s terms.

    Symbolic parameters take the model's value (model completion fills the rest); concrete
    parameters keep their value.
    """
    out: list[object] = []
    for name, value in run.params.items():
        if name in run.symbolic_params:
            out.append(decode_model(model, value))
        else:
            out.append(run.concrete[name])
    return out
