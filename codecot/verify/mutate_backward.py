"""Error injection for backward rationales: mutants that model wrong backward reasoning.

Each operator changes one step of a parsed backward rationale and keeps the mutant only when it
is *certified wrong independently of the verifier*: by the record's own output, by the known
input (which yields the output and honours every choice the template makes, since its choices
are the known values), evaluated with the plain-Python reference evaluator, or by executing
other inputs in the sandbox (``run``) and comparing their outputs with the record's.  No solver
is consulted.  A mutant has the same ``mutation`` key as a forward one
(:mod:`codecot.verify.mutate`).

Operators:

* ``overclaimed_necessity``: a choice ``Let x be V`` rewritten as ``x must be V`` (``Then x must
  be V`` after earlier choices), kept only when an executed input that honours the earlier
  choices gives the output with ``x != V``;
* ``wrong_necessity``: a necessity's value changed (``len(s) must be 8`` for 7), kept when the
  known input violates the new statement;
* ``wrong_goal``: the necessity about the returned expression (else the goal) given a value the
  known run does not return;
* ``wrong_final_input``: one argument of the final input changed, kept when executing the new
  input does not reproduce the output;
* ``lying_check``: the check's call given another input, kept when executing it does not
  reproduce the output.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.parse import StepParseError, parse_rationale
from codecot.claims.pyexpr import value_to_expr
from codecot.claims.reference import evaluate
from codecot.claims.render import render_claim, render_expr
from codecot.trace.values import same_value
from codecot.verify.backward import is_literal
from codecot.verify.mutate import MISSING, Operators, decoded_value, different_values

BACKWARD_OPERATORS = ("overclaimed_necessity", "wrong_necessity", "wrong_goal",
                      "wrong_final_input", "lying_check")

#: executes argument-list sources in the sandbox and returns their trace records, in order
Runner = Callable[[list[str]], list[dict[str, Any]]]

#: most alternative inputs tried when looking for a counterexample to an over-claimed necessity
MAX_ALTERNATIVES = 24

def _literal(expr: E.Expr) -> Any:
    """The value a literal expression writes (``MISSING`` for anything else, e.g. ``abs``)."""
    if not is_literal(expr):
        return MISSING
    try:
        return evaluate(expr, {})
    except Exception:
        return MISSING


def alternatives(value: Any, rng: random.Random) -> list[Any]:
    """Other values of the same type as ``value``, nearest first, for searching inputs."""
    out = list(different_values(value, rng))
    if isinstance(value, int) and not isinstance(value, bool):
        out += [value + 2, value - 2, -value, 0, 2 * value, value + 10]
    elif isinstance(value, str):
        out += [value[1:], value[::-1], value.upper(), value.lower(), value.swapcase(),
                value + "a", "a" + value, value * 2, ""]
    elif isinstance(value, list):
        out += [value[::-1], sorted(value, key=repr), value + value[-1:], value[1:], []]
    elif isinstance(value, tuple):
        out += [value[::-1], value[1:]]
    seen: list[Any] = []
    for v in out:
        if not same_value(v, value) and not any(same_value(v, s) for s in seen):
            seen.append(v)
    return seen


class BackwardMutator(Operators):
    """Generates certified mutants of one backward rationale about a record with a known input."""

    direction = "backward"

    def __init__(self, rationale: dict[str, Any], trace: dict[str, Any], output: str,
                 run: Runner, seed: int) -> None:
        self.rationale = rationale
        self.lines = [ln for ln in str(rationale.get("text", "")).splitlines() if ln.strip()]
        steps = parse_rationale(str(rationale.get("text", "")))
        self.ok = (bool(trace.get("ok")) and len(steps) == len(self.lines)
                   and not any(isinstance(s, StepParseError) for s in steps))
        self.claims: list[M.Claim] = [s for s in steps if not isinstance(s, StepParseError)]
        self.trace = trace
        self.output = output
        self.output_value = decoded_value(output)
        self.args: dict[str, Any] = {k: decoded_value(v) for k, v in (trace.get("args") or {}).items()}
        self.run = run
        self.rng = random.Random(f"{seed}:{rationale.get('id')}:backward")

    # -- certificates ---------------------------------------------------------------------------

    def _reproduces(self, trace: dict[str, Any]) -> bool:
        if not trace.get("ok"):
            return False
        got = trace.get("output")
        if got == self.output:
            return True
        value = decoded_value(got)
        return value is not MISSING and same_value(value, self.output_value)

    def _source(self, values: list[Any]) -> str:
        return ", ".join(render_expr(value_to_expr(v)) for v in values)

    def _holds_on_known_input(self, condition: E.Expr) -> bool | None:
        """The condition's truth at the known input (plain Python), None if it cannot say."""
        if any(v is MISSING for v in self.args.values()):
            return None
        try:
            return bool(evaluate(condition, dict(self.args)))
        except Exception:
            return None

    def _emit(self, op: str, index: int, claim: M.Claim, detail: str) -> dict[str, Any]:
        lines = list(self.lines)
        lines[index] = render_claim(claim)
        out = dict(self.rationale)
        out["text"] = "\n".join(lines)
        out["mutation"] = {"operator": op, "step": index, "original": self.lines[index],
                           "detail": detail}
        return out

    def _pick(self, candidates: list[int]) -> list[int]:
        self.rng.shuffle(candidates)
        return candidates

    @staticmethod
    def _equality(condition: E.Expr) -> tuple[E.Expr, Any] | None:
        """``(subject, value)`` of ``subject == <literal>``."""
        if isinstance(condition, E.Compare) and condition.ops == ("==",):
            value = _literal(condition.comparators[0])
            if value is not MISSING:
                return condition.left, value
        return None

    # -- operators (each yields at most one mutant) ----------------------------------------------

    def overclaimed_necessity(self) -> Iterator[dict[str, Any]]:
        params = list(self.args)
        choices = [i for i, c in enumerate(self.claims) if isinstance(c, M.ConditionOnInputClaim)
                   and c.modality is M.Modality.CHOICE]
        for i in self._pick(choices):
            c = self.claims[i]
            assert isinstance(c, M.ConditionOnInputClaim)
            eq = self._equality(c.condition)
            if eq is None or not isinstance(eq[0], E.Name) or eq[0].id not in self.args:
                continue
            name, value = eq[0].id, eq[1]
            earlier = any(isinstance(x, M.ConditionOnInputClaim) and x.modality is M.Modality.CHOICE
                          for x in self.claims[:i])
            known = [self.args[p] for p in params]
            if any(k is MISSING for k in known):
                return  # an argument without a literal value (a function): no other input to write
            candidates = alternatives(value, self.rng)[:MAX_ALTERNATIVES]
            # the other parameters keep their known values: the earlier choices are honoured
            sources = [self._source([v if p == name else k for p, k in zip(params, known, strict=True)])
                       for v in candidates]
            for source, trace in zip(sources, self.run(sources), strict=True):
                if self._reproduces(trace):
                    modality = M.Modality.CONDITIONAL if earlier else M.Modality.NECESSARY
                    mutated = dataclasses.replace(c, modality=modality)
                    yield self._emit("overclaimed_necessity", i, mutated,
                                     f"the input {source} also gives {self.output}")
                    return

    def wrong_necessity(self) -> Iterator[dict[str, Any]]:
        necessities = [i for i, c in enumerate(self.claims) if isinstance(c, M.ConditionOnInputClaim)
                       and c.modality is not M.Modality.CHOICE and c.line is None]
        for i in self._pick(necessities):
            c = self.claims[i]
            assert isinstance(c, M.ConditionOnInputClaim)
            eq = self._equality(c.condition)
            if eq is None:
                continue
            subject, value = eq
            for new in different_values(value, self.rng):
                condition = E.Compare(subject, ("==",), (value_to_expr(new),))
                if self._holds_on_known_input(condition) is False:
                    yield self._emit("wrong_necessity", i,
                                     dataclasses.replace(c, condition=condition),
                                     f"{value!r} -> {new!r}")
                    return

    def wrong_goal(self) -> Iterator[dict[str, Any]]:
        returned = decoded_value(self._returned())
        for i, c in enumerate(self.claims):
            if (isinstance(c, M.ConditionOnInputClaim) and c.line is not None
                    and returned is not MISSING):
                eq = self._equality(c.condition)
                if eq is None or not same_value(eq[1], returned):
                    continue
                for new in different_values(eq[1], self.rng):
                    if not same_value(new, returned):
                        condition = E.Compare(eq[0], ("==",), (value_to_expr(new),))
                        yield self._emit("wrong_goal", i, dataclasses.replace(c, condition=condition),
                                         f"returned value {new!r}")
                        return
        for i, c in enumerate(self.claims):
            if isinstance(c, M.GoalClaim) and self.output_value is not MISSING:
                for new in different_values(self.output_value, self.rng):
                    yield self._emit("wrong_goal", i, dataclasses.replace(c, value=value_to_expr(new)),
                                     f"goal {new!r}")
                    return

    def _returned(self) -> str | None:
        for ev in reversed(self.trace.get("events") or []):
            if ev.get("event") == "return" and ev.get("depth", 0) == 0:
                return str(ev.get("value"))
        return None

    def _other_input(self, args: tuple[E.Expr, ...]) -> tuple[tuple[E.Expr, ...], str] | None:
        """``args`` with one argument changed so that the new input does not give the output."""
        values = [_literal(a) for a in args]
        if not values or any(v is MISSING for v in values):
            return None
        options: list[list[Any]] = []
        for k in self._pick(list(range(len(values)))):
            for new in alternatives(values[k], self.rng)[:4]:
                options.append([new if j == k else v for j, v in enumerate(values)])
        sources = [self._source(o) for o in options]
        for option, trace in zip(options, self.run(sources), strict=True):
            if not self._reproduces(trace):
                got = trace.get("output") if trace.get("ok") else trace.get("error")
                return tuple(value_to_expr(v) for v in option), f"it gives {got}"
        return None

    def wrong_final_input(self) -> Iterator[dict[str, Any]]:
        for i, c in enumerate(self.claims):
            if isinstance(c, M.InputClaim):
                found = self._other_input(c.args)
                if found is not None:
                    yield self._emit("wrong_final_input", i, dataclasses.replace(c, args=found[0]),
                                     found[1])
                    return

    def lying_check(self) -> Iterator[dict[str, Any]]:
        for i, c in enumerate(self.claims):
            if isinstance(c, M.CheckClaim) and isinstance(c.call, E.Call):
                found = self._other_input(c.call.args)
                if found is not None:
                    call = dataclasses.replace(c.call, args=found[0])
                    yield self._emit("lying_check", i, dataclasses.replace(c, call=call), found[1])
                    return


def mutate_backward(rationale: dict[str, Any], trace: dict[str, Any], output: str, run: Runner,
                    seed: int = 0,
                    operators: tuple[str, ...] = BACKWARD_OPERATORS) -> list[dict[str, Any]]:
    """Certified mutants of one backward rationale (at most one per operator)."""
    return list(BackwardMutator(rationale, trace, output, run, seed).mutants(operators))


def pool_runner(code: str, entry: str | None, pool: Any) -> Runner:
    """A :data:`Runner` tracing inputs of ``code`` in ``pool`` (a tracing sandbox pool)."""
    from codecot.corpus import CorpusRecord
    from codecot.trace.run import trace_records

    def run(sources: list[str]) -> list[dict[str, Any]]:
        records = [CorpusRecord(id=f"alt{k}", code=code, input=s, entry=entry)
                   for k, s in enumerate(sources)]
        return list(trace_records(records, pool=pool))

    return run
