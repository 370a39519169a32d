"""Running candidate inputs in the sandbox, verifying solutions, and scoring near misses.

`Evaluator` owns one record's view of a `SandboxPool` that runs `codecot.solve.task:solve_job`:
`run` sends candidates in batches (each batch bounded by the record's deadline) and returns one
`Outcome` per candidate tried; `verify` re-executes one input with the sandbox's `exec_call`
task, fresh, and says whether it reproduces the output exactly. `distance` scores how far a
candidate's output is from the target, to guide mutation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codecot.sandbox import SandboxPool
from codecot.trace.values import decode, same_value

SOLVE_TASK = "codecot.solve.task:solve_job"
BATCH_SECONDS = 1.0
PER_CALL_SECONDS = 0.05
"""Per-candidate wall-clock limit at first; `Evaluator.per_call` may be raised later."""
FAILED = 1e9
FIRST_CHUNK = 24
"""Candidates sent in the first, smaller batch of each `Evaluator.run`."""


@dataclass(frozen=True)
class Outcome:
    """What one candidate input did: its output repr (None on error) and whether it matched."""

    src: str
    output: str | None
    error: str | None
    match: bool


def reproduces(output_repr: str | None, target_repr: str) -> bool:
    """True when `output_repr` denotes exactly the target: same repr, or == with same types."""
    if output_repr is None:
        return False
    if output_repr == target_repr:
        return True
    try:
        return same_value(decode(output_repr), decode(target_repr))
    except ValueError:
        return False


class Evaluator:
    """Runs one record's candidates through a solver pool, within a deadline."""

    def __init__(self, pool: SandboxPool, code: str, entry: str | None, target: str,
                 record_id: Any = None, batch_size: int = 200) -> None:
        self.pool = pool
        self.code = code
        self.entry = entry
        self.target = target
        self.record_id = record_id
        self.batch_size = batch_size
        self.tried = 0
        self.lost = 0
        self.per_call = PER_CALL_SECONDS

    def run(self, inputs: Sequence[str], deadline: float) -> list[Outcome]:
        """Try `inputs` (in batches over the pool's workers) until done or `deadline`.

        The run ends early with the batch that holds a match.  A batch that comes back
        without results (a candidate hung in C code, where the
        per-call alarm cannot interrupt it, and the sandbox killed the child) is split in two
        and retried while the deadline leaves room for a batch killed at the sandbox's
        wall-clock limit, so one slow candidate costs its neighbours only a retry.
        """
        size, head = self.batch_size, min(self.batch_size, FIRST_CHUNK)
        # the first candidates are the most promising: a small chunk of their own keeps them
        # clear of a slow candidate further down
        queue = [list(inputs[:head])] if inputs else []
        queue += [list(inputs[i:i + size]) for i in range(head, len(inputs), size)]
        out: list[Outcome] = []
        first = True
        while queue:
            if not first and deadline - time.monotonic() <= self.pool.limits.wall_seconds:
                break  # a retry could hang until the sandbox kills it, past the deadline
            first = False
            wave, queue = queue, []

            def payloads(chunks: list[list[str]]) -> Any:
                for chunk in chunks:
                    left = deadline - time.monotonic()
                    if left <= 0.02:
                        return
                    yield {"id": self.record_id, "mode": "batch", "code": self.code,
                           "entry": self.entry, "inputs": chunk, "target": self.target,
                           "per_call": min(self.per_call, left),
                           "budget": min(BATCH_SECONDS, left), "deadline": deadline}

            for chunk, res in zip(wave, self.pool.map(payloads(wave)), strict=False):
                if not res.get("ok") or "outputs" not in res:
                    self.lost += len(chunk)
                    if res.get("error_kind") == "syntax_error":
                        raise SyntaxError(str(res.get("error")))
                    if len(chunk) > 1:
                        half = len(chunk) // 2
                        queue += [chunk[:half], chunk[half:]]
                    continue
                matches = set(res.get("matches", []))
                for i, (o, e) in enumerate(zip(res["outputs"], res["errors"], strict=True)):
                    out.append(Outcome(chunk[i], o, e, i in matches))
                self.tried += int(res.get("tried", 0))
                if matches:
                    return out  # a match ends the run: the caller verifies it at once
        return out

    def verify(self, src: str) -> bool:
        """Re-execute `src` fresh with `exec_call`; True iff it reproduces the target exactly."""
        res = self.pool.run({"id": self.record_id, "mode": "verify", "code": self.code,
                             "input": src, "entry": self.entry})
        return bool(res.get("ok")) and reproduces(res.get("output"), self.target)


def _edit_distance(a: str, b: str) -> int:
    a, b = a[:60], b[:60]
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _value_distance(v: Any, t: Any, depth: int = 0) -> float:
    if type(v) is not type(t):
        if isinstance(v, int | float) and isinstance(t, int | float) and not isinstance(v, bool) \
                and not isinstance(t, bool):
            return 1.0 + min(50.0, abs(v - t))
        return 100.0
    if isinstance(t, bool):
        return 0.0 if v == t else 1.0
    if isinstance(t, int | float):
        try:
            gap = abs(v - t)
            return 0.0 if gap == 0 else 1000.0 if gap > 1e12 else 1.0 + float(gap) ** 0.5
        except (OverflowError, ValueError):
            return 1000.0
    if isinstance(t, str):
        return float(_edit_distance(v, t))
    if depth > 3:
        return 0.0 if v == t else 5.0
    if isinstance(t, list | tuple):
        d = 3.0 * abs(len(v) - len(t))
        return d + sum(_value_distance(x, y, depth + 1) for x, y in zip(v, t, strict=False))
    if isinstance(t, dict):
        d = 3.0 * len(set(v) ^ set(t))
        return d + sum(_value_distance(v[k], t[k], depth + 1) for k in set(v) & set(t))
    return 0.0 if v == t else 5.0


def distance(output_repr: str | None, target: Any, has_target: bool) -> float:
    """How far a candidate's output is from the target (0: equal; FAILED: it raised)."""
    if output_repr is None:
        return FAILED
    if not has_target:
        return 50.0
    try:
        value = decode(output_repr)
    except ValueError:
        return 500.0
    return _value_distance(value, target)


def numeric_gap(output_repr: str | None, target: Any) -> float | None:
    """target - output when both are numbers (a hint for int/float mutation)."""
    if output_repr is None or isinstance(target, bool) or not isinstance(target, int | float):
        return None
    try:
        value = decode(output_repr)
    except ValueError:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(target - value)
        except OverflowError:
            return None
    return None
