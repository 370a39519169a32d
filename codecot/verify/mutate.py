"""Error injection: mutants of forward rationales that model real narrator mistakes.

Each operator changes one step (or swaps two) of a parsed rationale and keeps the mutant only
when it is *certified wrong by construction*: the mutated claim contradicts the trace at every
point it could be aligned with (every line event with its line and iteration, every loop end
of its loop, ...), checked with plain Python values, independently of the verifier.  A mutant
is the rationale record with the new ``text`` and a ``mutation`` key ``{"operator", "step",
"original", "detail"}`` (``step`` indexes the changed step in the mutant).

Operators: ``off_by_one``, ``wrong_element``, ``stale_value``, ``other_variable``,
``wrong_branch``, ``wrong_loop_count``, ``skipped_update``, ``swapped_steps``,
``wrong_line``, ``wrong_answer``.
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
from codecot.claims.render import render_claim
from codecot.symbolic.tracepoints import Point, TraceView
from codecot.trace.values import decode, same_value

OPERATORS = ("off_by_one", "wrong_element", "stale_value", "other_variable", "wrong_branch",
             "wrong_loop_count", "skipped_update", "swapped_steps", "wrong_line", "wrong_answer")

MISSING = object()


def _lit(expr: E.Expr) -> Any:
    try:
        return evaluate(expr, {})
    except Exception:
        return MISSING


def decoded_value(rep: str | None) -> Any:
    """The value a trace representation holds (:data:`MISSING` when it has none)."""
    if rep is None or rep.startswith("<"):
        return MISSING
    try:
        return decode(rep)
    except (ValueError, SyntaxError):
        return MISSING


class _Certifier:
    """Plain-Python facts about a trace used to certify mutants as wrong."""

    def __init__(self, trace: dict[str, Any]) -> None:
        self.view = TraceView(trace)
        self.output = decoded_value(trace.get("output"))

    def line_points(self, line: int | None, iteration: int | None) -> list[Point]:
        return [p for p in self.view.points if p.kind == "line" and (line is None or p.line == line)
                and (iteration is None or p.iteration == iteration)]

    def state_wrong(self, name: str, value: Any, line: int | None, iteration: int | None) -> bool:
        """True when no line event at (line, iteration) has ``name == value``."""
        for p in self.line_points(line, iteration):
            actual = decoded_value(p.vars.get(name, self.view.globals.get(name)))
            if actual is MISSING or same_value(actual, value):
                return False
        return True

    def iter_wrong(self, name: str, value: Any, line: int | None, iteration: int | None) -> bool:
        for p in self.view.points:
            if p.kind == "loop_iter" and p.line == line and p.event.get("iteration") == iteration:
                # a loop whose body shares the head's line reports the state after the body: the
                # state before that line is a candidate too
                head = self.view.points[p.pos - 1] if p.pos else None
                states = [p.vars] + ([head.before.vars] if head and head.before else [])
                for state in states:
                    actual = decoded_value(state.get(name))
                    if actual is MISSING or same_value(actual, value):
                        return False
        return True


def different_values(value: Any, rng: random.Random) -> list[Any]:
    """Plausible wrong values of the same type, most natural first."""
    out: list[Any] = []
    if isinstance(value, bool):
        out.append(not value)
    elif isinstance(value, int):
        out += [value + 1, value - 1]
    elif isinstance(value, float):
        out += [value + 1.0, round(value, 1) + 0.1]
    elif isinstance(value, str):
        if value:
            i = rng.randrange(len(value))
            ch = "x" if value[i] != "x" else "y"
            out += [value[:i] + ch + value[i + 1:], value[:-1], value + value[-1]]
        else:
            out.append("a")
    elif isinstance(value, list | tuple):
        seq = list(value)
        if len(seq) >= 2 and seq[0] != seq[-1]:
            swapped = seq[:]
            swapped[0], swapped[-1] = swapped[-1], swapped[0]
            out.append(type(value)(swapped))
        if seq and isinstance(seq[-1], int) and not isinstance(seq[-1], bool):
            out.append(type(value)([*seq[:-1], seq[-1] + 1]))
        out.append(type(value)(seq[:-1]) if seq else type(value)([0]))
    elif isinstance(value, dict) and value:
        k = next(iter(value))
        v = value[k]
        if isinstance(v, int) and not isinstance(v, bool):
            out.append({**value, k: v + 1})
        out.append({kk: vv for kk, vv in value.items() if kk != k})
    elif value is None:
        out.append(0)
    return out


def _with_value(claim: M.Claim, new: Any) -> M.Claim | None:
    """The claim with its (last) stated value replaced by ``new``."""
    expr = value_to_expr(new)
    if isinstance(claim, M.StateClaim):
        return dataclasses.replace(claim, chain=(expr,))
    if isinstance(claim, M.ReturnClaim):
        return dataclasses.replace(claim, value=expr, expr=None)
    if isinstance(claim, M.AnswerClaim | M.CallResultClaim):
        return dataclasses.replace(claim, value=expr)
    return None


class Operators:
    """Runs a mutator's operators in turn (each a method yielding at most one mutant), for
    rationales of its ``direction``."""

    direction = "forward"
    ok: bool
    rationale: dict[str, Any]

    def mutants(self, operators: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        if not self.ok or self.rationale.get("direction") != self.direction:
            return
        for op in operators:
            gen: Callable[[], Iterator[dict[str, Any]]] = getattr(self, op)
            yield from gen()


class Mutator(Operators):
    """Generates certified mutants of one forward rationale."""

    def __init__(self, rationale: dict[str, Any], trace: dict[str, Any], seed: int) -> None:
        self.rationale = rationale
        self.lines = [ln for ln in str(rationale.get("text", "")).splitlines() if ln.strip()]
        steps = parse_rationale(str(rationale.get("text", "")))
        self.ok = len(steps) == len(self.lines) and not any(isinstance(s, StepParseError) for s in steps)
        self.claims: list[M.Claim] = [s for s in steps if not isinstance(s, StepParseError)]
        self.cert = _Certifier(trace)
        self.rng = random.Random(f"{seed}:{rationale.get('id')}:{rationale.get('direction')}")

    def _emit(self, op: str, index: int, claim: M.Claim, detail: str,
              lines: list[str] | None = None) -> dict[str, Any]:
        new_lines = list(self.lines) if lines is None else lines
        original = self.lines[index] if lines is None else self.rationale.get("text", "")
        if lines is None:
            new_lines[index] = render_claim(claim)
        out = dict(self.rationale)
        out["text"] = "\n".join(new_lines)
        out["mutation"] = {"operator": op, "step": index,
                           "original": original if lines is None else self.lines[index],
                           "detail": detail}
        return out

    def _pick(self, candidates: list[int]) -> list[int]:
        self.rng.shuffle(candidates)
        return candidates

    # each operator yields at most one mutant

    def off_by_one(self) -> Iterator[dict[str, Any]]:
        for i in self._pick([i for i, c in enumerate(self.claims) if isinstance(c, M.StateClaim)]):
            c = self.claims[i]
            assert isinstance(c, M.StateClaim)
            v = _lit(c.chain[-1])
            if isinstance(v, int) and not isinstance(v, bool) and isinstance(c.target, E.Name):
                new = v + self.rng.choice((1, -1))
                if self.cert.state_wrong(c.target.id, new, c.line, c.iteration):
                    mutated = _with_value(c, new)
                    if mutated is not None:
                        yield self._emit("off_by_one", i, mutated, f"{v} -> {new}")
                        return

    def wrong_element(self) -> Iterator[dict[str, Any]]:
        for i in self._pick([i for i, c in enumerate(self.claims) if isinstance(c, M.StateClaim)]):
            c = self.claims[i]
            assert isinstance(c, M.StateClaim)
            v = _lit(c.chain[-1])
            if not isinstance(v, str | list | tuple | dict) or not isinstance(c.target, E.Name):
                continue
            for new in different_values(v, self.rng):
                if not same_value(new, v) and self.cert.state_wrong(c.target.id, new, c.line, c.iteration):
                    mutated = _with_value(c, new)
                    if mutated is not None:
                        yield self._emit("wrong_element", i, mutated, f"{v!r} -> {new!r}")
                        return

    def stale_value(self) -> Iterator[dict[str, Any]]:
        seen: dict[str, list[Any]] = {}
        options: list[tuple[int, Any]] = []
        for i, c in enumerate(self.claims):
            if isinstance(c, M.StateClaim) and isinstance(c.target, E.Name):
                v = _lit(c.chain[-1])
                for old in seen.get(c.target.id, []):
                    if not same_value(old, v):
                        options.append((i, old))
                seen.setdefault(c.target.id, []).append(v)
        self.rng.shuffle(options)
        for i, old in options:
            c = self.claims[i]
            assert isinstance(c, M.StateClaim) and isinstance(c.target, E.Name)
            if self.cert.state_wrong(c.target.id, old, c.line, c.iteration):
                mutated = _with_value(c, old)
                if mutated is not None:
                    yield self._emit("stale_value", i, mutated, f"earlier value {old!r}")
                    return

    def other_variable(self) -> Iterator[dict[str, Any]]:
        for i in self._pick([i for i, c in enumerate(self.claims) if isinstance(c, M.StateClaim)]):
            c = self.claims[i]
            assert isinstance(c, M.StateClaim)
            if not isinstance(c.target, E.Name):
                continue
            points = self.cert.line_points(c.line, c.iteration)
            if not points:
                continue
            for other, rep in points[0].vars.items():
                v = decoded_value(rep)
                if other == c.target.id or v is MISSING:
                    continue
                if self.cert.state_wrong(c.target.id, v, c.line, c.iteration):
                    mutated = _with_value(c, v)
                    if mutated is not None:
                        yield self._emit("other_variable", i, mutated, f"value of {other}")
                        return

    def wrong_branch(self) -> Iterator[dict[str, Any]]:
        for i in self._pick([i for i, c in enumerate(self.claims) if isinstance(c, M.ConditionClaim)]):
            c = self.claims[i]
            assert isinstance(c, M.ConditionClaim)
            outcomes = {bool(p.event.get("taken")) for p in self.cert.view.points
                        if p.kind == "branch" and p.line == c.line
                        and (c.iteration is None or p.iteration == c.iteration)}
            if len(outcomes) == 1 and c.taken is not None:
                flipped = dataclasses.replace(c, truth=not c.truth, taken=not c.taken)
                yield self._emit("wrong_branch", i, flipped, "branch outcome flipped")
                return

    def wrong_loop_count(self) -> Iterator[dict[str, Any]]:
        for i in self._pick([i for i, c in enumerate(self.claims) if isinstance(c, M.LoopEndClaim)]):
            c = self.claims[i]
            assert isinstance(c, M.LoopEndClaim)
            new = c.iterations + self.rng.choice((1, -1))
            counts = {p.event.get("iterations") for p in self.cert.view.points
                      if p.kind == "loop_end" and p.line == c.line}
            if new >= 0 and new not in counts:
                yield self._emit("wrong_loop_count", i, dataclasses.replace(c, iterations=new),
                                 f"{c.iterations} -> {new}")
                return

    def skipped_update(self) -> Iterator[dict[str, Any]]:
        last: dict[str, tuple[int, Any]] = {}
        options: list[tuple[int, int, Any]] = []
        prev_value: dict[str, Any] = {}
        for i, c in enumerate(self.claims):
            if isinstance(c, M.StateClaim) and isinstance(c.target, E.Name):
                name = c.target.id
                if name in last and name in prev_value:
                    j, _ = last[name]
                    options.append((j, i, prev_value[name]))
                if name in last:
                    prev_value[name] = last[name][1]
                last[name] = (i, _lit(c.chain[-1]))
        self.rng.shuffle(options)
        for j, i, stale in options:
            c = self.claims[i]
            assert isinstance(c, M.StateClaim) and isinstance(c.target, E.Name)
            if stale is MISSING or not self.cert.state_wrong(c.target.id, stale, c.line, c.iteration):
                continue
            mutated = _with_value(c, stale)
            if mutated is None:
                continue
            lines = list(self.lines)
            lines[i] = render_claim(mutated)
            del lines[j]
            out = self._emit("skipped_update", i - 1, mutated, f"step {j} skipped", lines=lines)
            out["mutation"]["original"] = self.lines[i]
            yield out
            return

    def swapped_steps(self) -> Iterator[dict[str, Any]]:
        for i in self._pick(list(range(len(self.claims) - 1))):
            a, b = self.claims[i], self.claims[i + 1]
            if not (isinstance(a, M.StateClaim) and isinstance(b, M.StateClaim)):
                continue
            if a.line is None or b.line is None or a.line == b.line:
                continue
            pa = [p.pos for p in self.cert.line_points(a.line, a.iteration)]
            pb = [p.pos for p in self.cert.line_points(b.line, b.iteration)]
            if pa and pb and max(pa) < min(pb):
                lines = list(self.lines)
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
                out = self._emit("swapped_steps", i + 1, a, f"steps {i} and {i + 1} swapped", lines=lines)
                out["mutation"]["original"] = self.lines[i]
                yield out
                return

    def wrong_line(self) -> Iterator[dict[str, Any]]:
        lines_run = sorted(self.cert.view.lines_run())
        for i in self._pick([i for i, c in enumerate(self.claims) if isinstance(c, M.StateClaim)]):
            c = self.claims[i]
            assert isinstance(c, M.StateClaim)
            v = _lit(c.chain[-1])
            if c.line is None or not isinstance(c.target, E.Name) or v is MISSING:
                continue
            for new_line in self._pick([ln for ln in lines_run if ln != c.line]):
                if self.cert.state_wrong(c.target.id, v, new_line, c.iteration):
                    mutated = dataclasses.replace(c, line=new_line, code=None)
                    yield self._emit("wrong_line", i, mutated, f"line {c.line} -> {new_line}")
                    return

    def wrong_answer(self) -> Iterator[dict[str, Any]]:
        for i, c in enumerate(self.claims):
            if isinstance(c, M.AnswerClaim) and self.cert.output is not MISSING:
                for new in different_values(self.cert.output, self.rng):
                    if not same_value(new, self.cert.output):
                        mutated = _with_value(c, new)
                        if mutated is not None:
                            yield self._emit("wrong_answer", i, mutated, f"answer {new!r}")
                            return



def mutate_rationale(rationale: dict[str, Any], trace: dict[str, Any], seed: int = 0,
                     operators: tuple[str, ...] = OPERATORS) -> list[dict[str, Any]]:
    """Certified mutants of one forward rationale (at most one per operator)."""
    return list(Mutator(rationale, trace, seed).mutants(operators))
