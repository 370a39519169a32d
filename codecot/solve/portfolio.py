"""The solver portfolio: find inputs that make a record's function return its output.

`Solver.solve(record)` works within a per-record wall-clock budget and interleaves three
strategies over one sandbox pool:

1. constant-mined typed enumeration (`codecot.solve.gen`): the output, its inverse-transform
   variants and mined constants first, then small containers of them, over all parameters
   diagonally;
2. output-guided mutation: the candidates whose outputs came closest to the target are mutated
   (numbers step towards the target, strings and lists get edits from mined characters/values),
   mixed with random values;
3. concolic search (`codecot.solve.concolic`, when the symbolic engine is available): solve
   ``PC and out == y`` on the path of promising seeds, and negate branch decisions to reach
   new paths.

Types come from the record input's type skeleton (``hint="types"``, values never read) or from
the code (``hint="none"``). Every reported input was re-executed with the sandbox's
`exec_call` task, evaluated fresh, and reproduces the output exactly.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from codecot.corpus import CorpusRecord
from codecot.sandbox import Limits, SandboxPool
from codecot.solve.evaluate import FAILED, SOLVE_TASK, Evaluator, Outcome, distance, numeric_gap
from codecot.solve.gen import Generator, combos
from codecot.solve.infer import fill_unknown, infer_params
from codecot.solve.mine import mine
from codecot.solve.types import Param, Ty, skeleton
from codecot.trace.values import decode

HINTS = ("types", "none")
DETERMINISTIC_LIMIT = 20_000
BATCH = 200
ELITES = 16
CONCOLIC_SECONDS = 1.5
"""Wall-clock limit of one concolic run; no run starts with less than this left."""


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: type hint source, per-record budget, alternatives wanted, strategies."""

    hint: str = "types"
    timeout: float = 10.0
    alternatives: int = 1
    concolic: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.hint not in HINTS:
            raise ValueError(f"hint must be one of {', '.join(HINTS)}, got {self.hint!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        if self.alternatives < 1:
            raise ValueError(f"alternatives must be >= 1, got {self.alternatives!r}")


def param_types(rec: CorpusRecord, hint: str) -> list[Param] | None:
    """The parameters to solve for: the input's type skeleton (gaps inferred), or inferred."""
    inferred = infer_params(rec.code, rec.entry_name)
    if hint == "none":
        return inferred
    skel = skeleton(rec.input)
    if skel is None:
        return inferred
    return fill_unknown(skel, inferred)


def render(params: Sequence[Param], args: Sequence[Any]) -> str:
    """Argument-list source for `args` (keyword slots as ``name=value``)."""
    return ", ".join(f"{p.keyword}={v!r}" if p.keyword else repr(v)
                     for p, v in zip(params, args, strict=True))


def slot_type(p: Param) -> Ty:
    """One type for a slot: its only candidate, or the union of its candidates."""
    return p.types[0] if len(p.types) == 1 else Ty("union", p.types)


class Bisect:
    """Bracketing search on a function of one int with a numeric output: between two tried
    inputs whose outputs lie on either side of the target, try the interpolated point, its
    neighbours and the midpoint; with no such pair yet,
    move away from the closest input by doubling (counting functions like ``fizz_buzz(n)``
    reach large outputs only at large inputs)."""

    def __init__(self, target: float) -> None:
        self.target = target
        self.points: dict[int, float] = {}

    def add(self, x: int, y: float) -> None:
        self.points[x] = y

    def proposals(self, limit: int = 12) -> list[int]:
        t = self.target
        pts = sorted(self.points.items())
        out: list[int] = []
        for (x1, y1), (x2, y2) in itertools.pairwise(pts):
            if (y1 - t) * (y2 - t) < 0 and x2 - x1 > 1:
                # interpolate (outputs often grow about linearly), hedged by the midpoint
                xi = x1 + round((t - y1) * (x2 - x1) / (y2 - y1))
                step = max(1, (x2 - x1) // 64)
                out += [v for v in (xi, xi - step, xi + step, (x1 + x2) // 2, xi - 1, xi + 1)
                        if x1 < v < x2]
        if not out and pts:
            x, _ = min(pts, key=lambda p: (abs(p[1] - t), abs(p[0])))
            out += [x * 2, x * 4, x * 2 + 1] if x else [1, -1]
        return [x for x in dict.fromkeys(out) if x not in self.points][:limit]


class _Search:
    """Enumeration and guided mutation over one record's parameter slots."""

    def __init__(self, params: list[Param], gen: Generator) -> None:
        self.params = params
        self.types = [slot_type(p) for p in params]
        self.gen = gen
        target = gen.pools.target if gen.pools.has_target else None
        self.bisect: Bisect | None = None
        if isinstance(target, int | float) and not isinstance(target, bool) \
                and len(params) == 1 and self.types[0].kind == "int" and not params[0].keyword:
            with contextlib.suppress(OverflowError):
                self.bisect = Bisect(float(target))
        self.seen: set[str] = set()
        self.args_of: dict[str, tuple[Any, ...]] = {}
        self.elites: list[tuple[float, str]] = []
        self._gaps: dict[str, float | None] = {}
        streams = [gen.stream(t) for t in self.types]
        self._det: Iterator[tuple[Any, ...]] = combos(streams, DETERMINISTIC_LIMIT)
        self.det_done = False

    def _take(self, args: tuple[Any, ...], out: list[str]) -> None:
        try:
            src = render(self.params, args)
        except (ValueError, RecursionError):
            return
        if src not in self.seen:
            self.seen.add(src)
            self.args_of[src] = args
            out.append(src)

    def adopt(self, srcs: Sequence[str]) -> list[str]:
        """Take candidates found elsewhere (concolic models): mark them seen, keep their values
        for mutation when they are literals; returns the ones not tried before."""
        out: list[str] = []
        for src in srcs:
            if src in self.seen:
                continue
            self.seen.add(src)
            out.append(src)
            try:
                call = ast.parse(f"f({src})", mode="eval").body
                assert isinstance(call, ast.Call) and not call.keywords
                args = tuple(decode(ast.unparse(a)) for a in call.args)
            except (AssertionError, SyntaxError, ValueError, RecursionError):
                continue
            if len(args) == len(self.params):
                self.args_of[src] = args
        return out

    def deterministic(self, n: int) -> list[str]:
        out: list[str] = []
        for args in self._det:
            self._take(args, out)
            if len(out) >= n:
                return out
        self.det_done = True
        return out

    def guided(self, n: int, target: Any) -> list[str]:
        out: list[str] = []
        gen = self.gen
        if self.bisect is not None:
            for x in self.bisect.proposals():
                self._take((x,), out)
        for _ in range(n * 3):
            if len(out) >= n:
                break
            if self.elites and gen.rng.random() < 0.85:
                pick = min(gen.rng.randrange(len(self.elites)) for _ in range(2))
                _, src = self.elites[pick]
                base = self.args_of[src]
                gap = self._gaps.get(src)
                args = list(base)
                for i in range(len(args)):
                    if len(args) == 1 or gen.rng.random() < 0.6:
                        args[i] = gen.mutate(self.types[i], args[i], gap)
                self._take(tuple(args), out)
            else:
                self._take(tuple(gen.random(t) for t in self.types), out)
        return out

    def learn(self, outcomes: Sequence[Outcome], target: Any, has_target: bool) -> None:
        if self.bisect is not None:
            for o in outcomes:
                args = self.args_of.get(o.src)
                if args is None or o.output is None or type(args[0]) is not int:
                    continue
                try:
                    y = decode(o.output)
                except ValueError:
                    continue
                if isinstance(y, int | float) and not isinstance(y, bool) and y == y:
                    with contextlib.suppress(OverflowError):
                        self.bisect.add(args[0], float(y))
        for o in outcomes:
            d = distance(o.output, target, has_target)
            if d >= FAILED:
                continue
            if o.src in self.args_of:
                self._gaps[o.src] = numeric_gap(o.output, target)
                self.elites.append((d, o.src))
        self.elites.sort(key=lambda e: e[0])
        del self.elites[ELITES:]


def concolic_available() -> bool:
    """Whether the concolic engine (`codecot.symbolic`) and its solver strategy are installed."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(m) is not None for m in (
            "codecot.symbolic.api", "codecot.symbolic.task", "codecot.symbolic.rebuild",
            "codecot.solve.concolic"))
    except (ImportError, ValueError):
        return False


class Solver:
    """Solves records one at a time with its own sandbox pool(s); close it when done."""

    def __init__(self, options: SolveOptions, workers: int = 1) -> None:
        self.options = options
        per_batch = max(1.0, min(3.0, options.timeout))
        self.pool = SandboxPool(jobs=workers, task=SOLVE_TASK,
                                limits=Limits(wall_seconds=per_batch, cpu_seconds=per_batch))
        self._concolic_pool: SandboxPool | None = None
        self._concolic_failed = not options.concolic
        self.concolic_pool()  # started now, outside any record's budget

    def close(self) -> None:
        self.pool.close()
        if self._concolic_pool is not None:
            self._concolic_pool.close()

    def __enter__(self) -> Solver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def concolic_pool(self) -> SandboxPool | None:
        """The pool for concolic runs, started on first use; None if the engine is missing."""
        if self._concolic_pool is None and not self._concolic_failed:
            self._concolic_failed = True
            if not concolic_available():
                return None
            from codecot.symbolic.api import CONCOLIC_TASK

            try:
                self._concolic_pool = SandboxPool(
                    jobs=1, task=CONCOLIC_TASK,
                    limits=Limits(wall_seconds=CONCOLIC_SECONDS, cpu_seconds=CONCOLIC_SECONDS))
            except Exception:  # the engine is optional: the portfolio works without it
                return None
            self._concolic_failed = False
        return self._concolic_pool

    def solve(self, rec: CorpusRecord, seeds: Sequence[str] = ()) -> dict[str, Any]:
        """The solution record for `rec` (DESIGN §3).  ``seeds`` are argument-list sources tried
        first and then mutated (e.g. inputs known to give the output, when looking for others)."""
        start = time.monotonic()
        try:
            result = self._solve(rec, start, tuple(seeds))
        except Exception as exc:  # a solver bug costs one error record, never the run
            result = {"id": rec.id, "status": "error", "input": None,
                      "reason": f"solver failed: {type(exc).__name__}: {exc}"}
        result["seconds"] = round(time.monotonic() - start, 4)
        return result

    def _solve(self, rec: CorpusRecord, start: float, seeds: tuple[str, ...] = ()) -> dict[str, Any]:
        opts = self.options
        base: dict[str, Any] = {"id": rec.id, "status": "error", "input": None}
        if rec.output is None:
            return {**base, "status": "unsupported", "reason": "the record has no output"}
        try:
            ast.parse(rec.code)
        except (SyntaxError, ValueError) as exc:
            return {**base, "reason": f"code does not compile: {exc}"}
        params = param_types(rec, opts.hint)
        if params is None:
            return {**base, "status": "unsupported",
                    "reason": f"cannot read the parameters of {rec.entry_name!r}"}
        deadline = start + opts.timeout
        pools = mine(rec.code, rec.output)
        gen = Generator(pools, seed=zlib.crc32(f"{opts.seed}:{rec.id}".encode()))
        search = _Search(params, gen)
        ev = Evaluator(self.pool, rec.code, rec.entry, rec.output, rec.id, batch_size=BATCH)
        found: list[str] = []
        concolic = self._concolic_search(rec, pools, params)
        round_no = idle = 0
        try:
            if seeds:
                outcomes = ev.run(search.adopt(seeds), deadline)
                for o in outcomes:
                    if o.match and o.src not in found and ev.verify(o.src):
                        found.append(o.src)
                search.learn(outcomes, pools.target, pools.has_target)
            while time.monotonic() < deadline - 0.02 and len(found) < opts.alternatives:
                round_no += 1
                if time.monotonic() > start + opts.timeout / 2:
                    ev.per_call = 0.5  # slow programs get longer runs in the second half
                if concolic is not None and round_no % 3 == 0 \
                        and deadline - time.monotonic() > CONCOLIC_SECONDS:
                    elites = [src for _, src in search.elites[:4]]
                    batch = search.adopt(concolic.step(elites, deadline, search.seen))
                elif not search.det_done and (round_no % 2 == 1 or not search.elites):
                    batch = search.deterministic(BATCH * (1 if round_no < 3 else 4))
                else:
                    batch = search.guided(BATCH, pools.target)
                if not batch:
                    idle += 1
                    if idle > 50 or (search.det_done and not params):
                        break
                    continue
                idle = 0
                outcomes = ev.run(batch, deadline)
                for o in outcomes:
                    if o.match and o.src not in found and len(found) < opts.alternatives \
                            and ev.verify(o.src):
                        found.append(o.src)
                search.learn(outcomes, pools.target, pools.has_target)
        except SyntaxError as exc:
            return {**base, "reason": f"code does not compile: {exc}"}
        if found:
            out = {**base, "status": "solved", "input": found[0]}
            if opts.alternatives > 1:
                out["alternatives"] = found[1:]
            return out
        return {**base, "status": "timeout", "tried": ev.tried}

    def _concolic_search(self, rec: CorpusRecord, pools: Any, params: list[Param]) -> Any:
        if self._concolic_failed or any(p.keyword for p in params):
            return None
        pool = self.concolic_pool()
        if pool is None:
            return None
        try:
            from codecot.solve.concolic import ConcolicSearch
        except ImportError:
            return None
        return ConcolicSearch(pool, rec.code, rec.entry, str(rec.output))
