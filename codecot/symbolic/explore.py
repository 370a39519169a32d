"""Exploring the paths of a function around a seed input (generational concolic search).

Each explored run covers the inputs of its path condition; every other input in its region is
reached by negating one of its constraints (after the already fixed prefix).  A query that is
satisfiable gives a new input, run concolically (one sandbox batch per generation); a run whose
constraints do not start with the prefix it was meant to follow makes the exploration
non-exhaustive.  The exploration is *exhaustive* when every query is unsatisfiable or explored,
no budget ran out, every run was complete and every parameter symbolic.  The domain is bounded:
strings and lists of at most ``max_len`` items (at least the seed's lengths), dicts of at most
``max_entries`` entries with distinct keys, and ASCII strings (dict keys included);
``extra`` formulas (e.g. choices) restrict it further.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from codecot.solver import SymValue, budget
from codecot.solver.context import ctx
from codecot.solver.values import dict_terms
from codecot.symbolic.api import ASSUME, ConcolicRun, input_source, model_to_inputs, param_tags

#: runs a batch of argument-list sources concolically (one sandbox batch), with parameter tags
Runner = Callable[[list[str], dict[str, str]], list[ConcolicRun]]


@dataclass(frozen=True)
class Bounds:
    """Limits of one exploration."""

    max_len: int = 8
    #: entries of a dict parameter (at least the seed's)
    max_entries: int = 4
    max_runs: int = 24
    max_queries: int = 80
    solver_ms: int = 150
    max_seconds: float = 3.0


@dataclass
class Exploration:
    """The runs found (the seed first), whether they cover the bounded domain, and why not."""

    runs: list[ConcolicRun]
    exhaustive: bool
    bounds: str
    reason: str = ""
    domain: list[Any] = field(default_factory=list)


def domain_of(run: ConcolicRun, bounds: Bounds) -> tuple[list[Any], str]:
    """Bounding formulas over the symbolic parameters, and their description."""
    c = ctx()
    out: list[Any] = []
    words: list[str] = []
    regex = z3.Star(z3.Range(chr(0), chr(127), ctx=c.z3))
    for name in run.symbolic_params:
        v = run.params[name]
        if v.type.kind == "dict":
            seen_dict = run.concrete.get(name)
            n = max(bounds.max_entries, len(seen_dict) if isinstance(seen_dict, dict) else 0)
            out.extend(dict_domain(v, n, regex))
            words.append(f"len({name}) <= {n}")
            continue
        items = list(v.items) if v.type.kind == "tuple" else [v]
        for item in items:
            kind = item.type.kind
            if kind not in ("str", "list"):
                continue
            term = item.term
            seen = run.concrete.get(name)
            n = max(bounds.max_len, len(seen) if isinstance(seen, str | list) else 0,
                    max((len(s) for s in seen if isinstance(s, str)), default=0)
                    if isinstance(seen, tuple) else 0)
            out.append(z3.Length(term) <= n)
            if kind == "str":
                out.append(z3.InRe(term, regex))
            words.append(f"len({name}) <= {n}")
    if any(run.params[n].type.kind == "str" or (run.params[n].type.kind == "dict" and
                                               run.params[n].type.args[0].kind == "str")
           for n in run.symbolic_params):
        words.append("ASCII strings")
    return out, ", ".join(words) if words else "no bounds needed"


def _non_ascii(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, list | tuple | set | frozenset):
        return any(_non_ascii(v) for v in value)
    if isinstance(value, dict):
        return any(_non_ascii(k) for k in value)
    return False


def dict_domain(v: SymValue, n: int, ascii_re: Any) -> list[Any]:
    """A dict parameter's domain: at most ``n`` entries, as many values as keys, distinct
    (ASCII, for strings) keys."""
    keys, values = dict_terms(v)
    size = z3.Length(keys)
    out = [size <= n, z3.Length(values) == size]
    for i in range(n):
        if v.type.args[0].kind == "str":
            out.append(z3.Implies(i < size, z3.InRe(keys[i], ascii_re)))
        for j in range(i + 1, n):
            out.append(z3.Implies(j < size, keys[i] != keys[j]))
    return out


def explore(seed: ConcolicRun, runner: Runner, *, extra: Sequence[Any] = (),
            bounds: Bounds | None = None) -> Exploration:
    """Explore the paths of the domain (bounded, restricted by ``extra``) from ``seed``."""
    bounds = bounds or Bounds()
    domain, words = domain_of(seed, bounds)
    base = domain + list(extra)
    runs = [seed]
    reasons: list[str] = []
    if not seed.complete:
        reasons.append("the seed run is not fully symbolic: " + "; ".join(seed.notes))
    if "ASCII strings" in words and any(_non_ascii(seed.concrete.get(n)) for n in seed.symbolic_params):
        # the bounded domain leaves out the seed itself: it proves nothing about its region
        reasons.append("the seed input has non-ASCII strings, outside the ASCII bound")
    # work items: (run, prefix formulas, start index)
    frontier: list[tuple[ConcolicRun, list[Any], int]] = [(seed, [], 0)]
    queries = 0
    deadline = time.monotonic() + bounds.max_seconds
    seen_inputs: set[str] = set()
    while frontier:
        pending: list[tuple[str, ConcolicRun, list[Any], int]] = []
        for run, prefix, start in frontier:
            if not run.ok and not run.constraints:
                continue
            kept = list(prefix)
            for j in range(start, len(run.constraints)):
                kind, cond = run.constraints[j]
                if kind == ASSUME:
                    kept.append(cond)
                    continue
                if queries >= bounds.max_queries:
                    reasons.append(f"more than {bounds.max_queries} solver queries")
                    break
                if time.monotonic() > deadline:
                    reasons.append(f"more than {bounds.max_seconds:g} s of exploration")
                    break
                queries += 1
                s = z3.Solver(ctx=ctx().z3)
                s.add(*base, *kept, z3.Not(cond))
                result = budget.check(s, bounds.solver_ms)
                if result == z3.sat:
                    try:
                        src = input_source(model_to_inputs(run, s.model()))
                    except Exception as exc:  # a model value that cannot be written back
                        reasons.append(f"model not decodable: {exc}")
                        src = None
                    if src is not None and src not in seen_inputs:
                        seen_inputs.add(src)
                        pending.append((src, run, [*kept, z3.Not(cond)], j))
                    elif src is not None:
                        reasons.append("a query repeated an explored input")
                elif result != z3.unsat:
                    reasons.append("a solver query timed out")
                kept.append(cond)
        frontier = []
        if not pending:
            break
        room = bounds.max_runs - len(runs)
        if room <= 0:
            reasons.append(f"more than {bounds.max_runs} paths")
            break
        if len(pending) > room:
            reasons.append(f"more than {bounds.max_runs} paths")
            pending = pending[:room]
        results = runner([p[0] for p in pending], param_tags(seed))
        for (_, parent, prefix, j), child in zip(pending, results, strict=True):
            runs.append(child)
            if child.signature[:j] != parent.signature[:j]:
                reasons.append("a run left the path it was meant to follow")
                continue
            if not child.complete:
                why = "; ".join(child.notes) or str(child.error)
                reasons.append(f"a run is not fully symbolic: {why}")
            frontier.append((child, prefix, j))
    missing = [n for n in seed.params if n not in seed.symbolic_params]
    if missing:
        reasons.append("parameters not symbolic: " + ", ".join(missing))
    reasons = list(dict.fromkeys(reasons))
    return Exploration(runs, not reasons, words, "; ".join(reasons), domain)


def output_equals(run: ConcolicRun, value: SymValue) -> Any:
    """The z3 formula ``run.output == value`` (False when the run has no output)."""
    from codecot.solver.semantics import equal, to_term

    c = ctx()
    if not run.ok or run.output is None:
        return c.false
    p, guards = equal(run.output, value)
    conds = [g.cond for g in guards]
    return z3.And(*conds, to_term(p)) if conds else to_term(p)
