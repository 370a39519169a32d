"""The concolic strategy of the portfolio, on top of `codecot.symbolic` (run_concolic).

Each `ConcolicSearch.step` takes one seed input (the closest misses of the other strategies
first, then inputs found by earlier steps), runs it concolically in the sandbox, and asks the
solver for

* an input on the same path whose symbolic output equals the target (``PC and out == y``), and
* inputs that flip one branch decision after the path's prefix (generational search), or one
  of the pins fixing the parameters' sizes (list lengths, dict entry counts), which become
  later seeds.

Inputs are bounded as the engine's explorer bounds them (short ASCII strings and lists). The
step returns the new argument-list sources; the portfolio runs and verifies them like any other
candidate, so the solver's word alone never makes a solution.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from codecot.sandbox import SandboxPool
from codecot.solver import Truth, check_sat, encode
from codecot.solver.semantics import mk_not
from codecot.symbolic.api import BRANCH, PIN, ConcolicRun, concolic_payload, input_source
from codecot.symbolic.explore import Bounds, domain_of, output_equals
from codecot.symbolic.rebuild import rebuild
from codecot.trace.values import decode

SOLVER_MS = 200
FLIPS_PER_STEP = 8
#: extra flips for the pins that fix parameter sizes (list lengths, dict entry counts)
SIZE_FLIPS = 2


class ConcolicSearch:
    """Generational concolic search towards one record's output."""

    def __init__(self, pool: SandboxPool, code: str, entry: str | None, target: str) -> None:
        self.pool = pool
        self.code = code
        self.entry = entry
        try:
            self.target: Any = encode(decode(target))
        except Exception:  # an output the solver cannot encode: only branch flips remain
            self.target = None
        self.queue: deque[str] = deque()
        self.expanded: set[str] = set()
        self.paths: set[tuple[str, ...]] = set()
        self.runs = 0

    def _run(self, src: str) -> ConcolicRun | None:
        try:
            result = self.pool.run(concolic_payload(self.code, src, self.entry))
            return rebuild(result)
        except Exception:  # an engine failure costs this step only
            return None

    def _model_source(self, run: ConcolicRun, formulas: list[Any], deadline: float) -> str | None:
        left_ms = int(1000 * (deadline - time.monotonic()))
        if left_ms < 20:
            return None
        symbols = {n: run.params[n] for n in run.symbolic_params}
        try:
            decision = check_sat(formulas, timeout_ms=min(SOLVER_MS, left_ms), symbols=symbols)
        except Exception:  # unsupported terms: no input from this query
            return None
        if decision.truth is not Truth.TRUE or decision.model is None:
            return None
        values = []
        for name in run.params:
            if name in run.symbolic_params:
                value = decision.model.get(name)
                if value is None:
                    return None
                values.append(value)
            else:
                values.append(run.concrete[name])
        try:
            return input_source(values)
        except Exception:
            return None

    def step(self, seeds: Iterable[str], deadline: float, seen: set[str]) -> list[str]:
        """New candidate inputs from one concolic run of the best unexpanded seed."""
        for s in seeds:
            if s not in self.expanded:
                self.queue.appendleft(s)
        while self.queue and self.queue[0] in self.expanded:
            self.queue.popleft()
        if not self.queue or time.monotonic() > deadline - 0.1:
            return []
        src = self.queue.popleft()
        self.expanded.add(src)
        run = self._run(src)
        self.runs += 1
        if run is None or not run.symbolic_params or run.signature in self.paths:
            return []
        self.paths.add(run.signature)
        try:
            domain, _ = domain_of(run, Bounds())
        except Exception:
            domain = []
        out: list[str] = []
        if run.ok and run.output is not None and self.target is not None:
            try:
                goal = output_equals(run, self.target)
            except Exception:
                goal = None
            if goal is not None:
                found = self._model_source(run, [*domain, *run.pc, goal], deadline)
                if found is not None:
                    out.append(found)
        kept: list[Any] = []
        flips = 0
        branches = [j for j, (kind, _) in enumerate(run.constraints) if kind == BRANCH]
        last = set(branches[-FLIPS_PER_STEP:])
        # the sizes the parameters were given (pins before the first branch): other sizes too
        first = branches[0] if branches else len(run.constraints)
        last |= set([j for j, (kind, _) in enumerate(run.constraints[:first])
                     if kind == PIN][:SIZE_FLIPS])
        for j, (_, cond) in enumerate(run.constraints):
            if j in last and flips < FLIPS_PER_STEP + SIZE_FLIPS:
                flips += 1
                new = self._model_source(run, [*domain, *kept, mk_not(cond)], deadline)
                if new is not None and new not in seen and new not in self.expanded:
                    out.append(new)
                    self.queue.append(new)
            kept.append(cond)
        return list(dict.fromkeys(out))
