"""Backward checking of one rationale with the concolic engine (used by the verifier).

A :class:`BackwardSession` holds the record (code, entry, the output to reach), the seed input
(the rationale's final input, else the record's input), a runner for concolic runs and one for
re-executing inputs under the tracer.  :meth:`BackwardSession.necessity` decides a ``must``
claim given the choices so far:

* ``refuted`` -- an input known to give the output (the seed, or one of ``witnesses``, such as
  the record's own input) honours the choices and violates the claim on its trace; or some
  explored path has an input giving the output and violating the claim, and re-executing that
  input confirms both (output reproduced, claim false on the trace);
* ``proved`` -- no explored path has such an input and the exploration was exhaustive within
  its bounds (stated in the detail);
* ``proved_on_path`` -- no counterexample on the paths explored, including the seed's, but the
  exploration was not exhaustive;
* ``unknown`` -- the claim could not be compiled on the seed's path, or a solver counterexample
  did not survive re-execution.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from codecot.claims import expr as E
from codecot.claims.render import render_expr
from codecot.solver import Unsupported, encode
from codecot.symbolic.api import ConcolicRun, input_source
from codecot.symbolic.claims import (
    HOLDS,
    UNKNOWN,
    VIOLATED,
    PathCheck,
    check_on_run,
    compile_choice,
)
from codecot.symbolic.explore import Bounds, Exploration, explore
from codecot.trace.values import decode, same_value

ConcolicRunner = Callable[[list[str], dict[str, str]], list[ConcolicRun]]
TraceRunner = Callable[[list[str]], list[dict[str, Any]]]
MAX_COUNTEREXAMPLES = 3


@dataclass(frozen=True)
class Outcome:
    """A verdict word (``proved`` ...) and its detail."""

    word: str
    detail: str = ""
    counterexample: str | None = None


def evaluate_on_trace(trace: dict[str, Any], condition: E.Expr, line: int | None) -> bool | None:
    """The truth of ``condition`` on an executed trace: over the arguments, or over the state
    just before the last run of ``line``; None when it cannot be evaluated there (outside the
    expression subset, a name without a value there, or object identity, which decoded values
    do not keep).  An expression Python raises on is false."""
    from codecot.claims.reference import NotInSubset, TooExpensive, evaluate
    from codecot.symbolic.tracepoints import TraceView

    if _uses_identity(condition):
        return None

    view = TraceView(trace)
    reprs: dict[str, str] = {**view.globals, **view.args}
    if line is not None:
        hits = [p for p in view.points if p.line == line]
        if not hits:
            return None
        before = view.state_before(hits[-1])
        if before is not None:
            reprs = {**view.globals, **before.vars}
    try:
        env = {n: decode(reprs[n]) for n in E.free_names(condition) if n in reprs}
    except (ValueError, SyntaxError, RecursionError):
        return None
    try:
        return bool(evaluate(condition, env))
    except (NotInSubset, TooExpensive, NameError, RecursionError):
        return None
    except Exception:
        return False


def _uses_identity(expr: E.Expr) -> bool:
    """Whether ``expr`` compares with ``is``/``is not`` against anything but None or a bool."""
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, E.Compare) and any(op in ("is", "is not") for op in node.ops):
            sides = (node.left, *node.comparators)
            if not all(isinstance(x, E.Const) and (x.value is None or isinstance(x.value, bool))
                       for x in sides[1:]):
                return True
        if isinstance(node, tuple):
            stack.extend(node)
        elif hasattr(node, "__slots__") and not isinstance(node, E.Const | str):
            stack.extend(getattr(node, f) for f in node.__slots__)
    return False


@dataclass
class BackwardSession:
    """Symbolic backward checking of one rationale (see the module doc)."""

    code: str
    entry: str
    output: str
    seed_input: str
    concolic: ConcolicRunner
    retrace: TraceRunner
    bounds: Bounds = field(default_factory=Bounds)
    #: solving time per necessity after the seed's path (the rest is left unchecked): CPU time
    #: of this thread, so that a busy machine checks as many paths as an idle one
    check_seconds: float = 3.0
    #: other inputs that may give the output (e.g. the record's own), tried as counterexamples
    witnesses: tuple[str, ...] = ()
    #: a search for more inputs that give the output (argument-list sources), run at most once,
    #: when a necessity holds on the explored paths but the exploration was not exhaustive
    alternatives: Callable[[], list[str]] | None = None
    _seed: ConcolicRun | None = None
    _witness_traces: list[tuple[str, dict[str, Any]]] | None = None
    _alternative_traces: list[tuple[str, dict[str, Any]]] | None = None
    _explorations: dict[tuple[str, ...], Exploration | str] = field(default_factory=dict)

    def seed(self) -> ConcolicRun:
        if self._seed is None:
            self._seed = self.concolic([self.seed_input], {})[0]
        return self._seed

    def _goal(self) -> Any:
        return encode(decode(self.output))

    def exploration(self, choices: Sequence[E.Expr]) -> Exploration | str:
        """The exploration restricted by ``choices`` (cached), or why there is none."""
        key = tuple(render_expr(c) for c in choices)
        found = self._explorations.get(key)
        if found is None:
            seed = self.seed()
            try:
                extra = [compile_choice(seed, c) for c in choices]
            except Unsupported as exc:
                found = f"a choice cannot be expressed: {exc}"
            else:
                found = explore(seed, self.concolic, extra=extra, bounds=self.bounds)
            self._explorations[key] = found
        return found

    def _reproducing(self, sources: list[str]) -> list[tuple[str, dict[str, Any]]]:
        """The sources whose re-executed traces reproduce the output, with their traces."""
        want = decode(self.output)
        out = []
        for src, trace in zip(sources, self.retrace(sources), strict=True):
            try:
                same = trace.get("ok") and same_value(decode(str(trace["output"])), want)
            except Exception:
                same = False
            if same:
                out.append((src, trace))
        return out

    def witness_traces(self) -> list[tuple[str, dict[str, Any]]]:
        """Traces of the seed and the witnesses that reproduce the output (run once)."""
        if self._witness_traces is None:
            self._witness_traces = self._reproducing(
                list(dict.fromkeys((self.seed_input, *self.witnesses))))
        return self._witness_traces

    def alternative_traces(self) -> list[tuple[str, dict[str, Any]]]:
        """Traces of the inputs the alternatives search found that reproduce the output."""
        if self._alternative_traces is None:
            found: list[str] = []
            if self.alternatives is not None:
                try:
                    found = list(dict.fromkeys(self.alternatives()))
                except Exception:  # the search is an extra: without it nothing is refuted
                    found = []
            known = {src for src, _ in self.witness_traces()}
            self._alternative_traces = self._reproducing([s for s in found if s not in known])
        return self._alternative_traces

    def known_counterexample(self, condition: E.Expr, line: int | None,
                             choices: Sequence[E.Expr],
                             traces: list[tuple[str, dict[str, Any]]] | None = None,
                             ) -> Outcome | None:
        """``refuted`` when an input known to give the output honours ``choices`` and violates
        ``condition`` on its trace: no solver needed, and no bound can hide it."""
        for src, trace in self.witness_traces() if traces is None else traces:
            if any(evaluate_on_trace(trace, c, None) is not True for c in choices):
                continue
            if evaluate_on_trace(trace, condition, line) is False:
                where = f" at line {line}" if line is not None else ""
                return Outcome("refuted", f"counterexample: {self.entry}({src}) returns "
                               f"{self.output}, but {render_expr(condition)} is false{where}", src)
        return None

    def necessity(self, condition: E.Expr, line: int | None, iteration: int | None,
                  choices: Sequence[E.Expr]) -> Outcome:
        seed = self.seed()
        known = self.known_counterexample(condition, line, choices)
        if known is not None:
            return known
        if not seed.ok:
            return Outcome(UNKNOWN, f"the input {self.seed_input} does not run: {seed.error}")
        ex = self.exploration(choices)
        if isinstance(ex, str):
            return Outcome(UNKNOWN, ex)
        goal = self._goal()
        try:
            extra = [compile_choice(seed, c) for c in choices]
        except Unsupported as exc:
            return Outcome(UNKNOWN, f"a choice cannot be expressed: {exc}")
        assumptions = [*ex.domain, *extra]
        checks = []
        deadline = time.thread_time() + self.check_seconds
        for i, r in enumerate(ex.runs):
            if i and time.thread_time() > deadline:
                checks.append(PathCheck(UNKNOWN, reason=f"more than {self.check_seconds:g} s of "
                                        "solving"))
                break
            checks.append(check_on_run(r, condition, goal, line=line, iteration=iteration,
                                       assumptions=assumptions, timeout_ms=1000 if i == 0 else 300))
        violated = [c for c in checks if c.status == VIOLATED and c.inputs is not None]
        if violated:
            return self._confirm(condition, line, choices, violated)
        first = checks[0]
        if first.status == UNKNOWN:
            return Outcome(UNKNOWN, first.reason)
        unknown = [c for c in checks if c.status == UNKNOWN]
        paths = sum(1 for r in ex.runs if r.ok)
        given = " given the choices" if choices else ""
        if ex.exhaustive and not unknown:
            return Outcome("proved", f"holds{given} on all {paths} paths that run, with "
                           f"{ex.bounds}")
        why = "; ".join(x for x in (ex.reason, unknown[0].reason if unknown else "") if x)
        if first.status == HOLDS:
            found = self.known_counterexample(condition, line, choices, self.alternative_traces())
            if found is not None:
                return found
            tried = len(self.alternative_traces())
            also = f" and at {tried} other inputs that give the output" if tried else ""
            return Outcome("proved_on_path", f"holds{given} on the path of {self.seed_input} and "
                           f"{paths - 1} other paths{also}; not exhaustive: {why}")
        return Outcome(UNKNOWN, f"{first.reason}; not exhaustive: {why}")

    def _confirm(self, condition: E.Expr, line: int | None, choices: Sequence[E.Expr],
                 violated: list[Any]) -> Outcome:
        sources = list(dict.fromkeys(input_source(c.inputs) for c in violated))
        sources = sources[:MAX_COUNTEREXAMPLES]
        traces = self.retrace(sources)
        want = decode(self.output)
        for src, trace in zip(sources, traces, strict=True):
            if not trace.get("ok") or trace.get("output") is None:
                continue
            try:
                same = same_value(decode(str(trace["output"])), want)
            except Exception:
                same = False
            if not same:
                continue
            if any(evaluate_on_trace(trace, c, None) is not True for c in choices):
                continue
            truth = evaluate_on_trace(trace, condition, line)
            if truth is False:
                where = f" at line {line}" if line is not None else ""
                return Outcome("refuted", f"counterexample: {self.entry}({src}) also returns "
                               f"{self.output}, but {render_expr(condition)} is false{where}",
                               src)
        return Outcome(UNKNOWN, "the solver's counterexample did not survive re-execution: "
                       + "; ".join(f"{self.entry}({src})" for src in sources))
