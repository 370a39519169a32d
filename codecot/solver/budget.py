"""CPU-time budgets for solver queries.

Z3's ``timeout`` counts wall-clock time, so on a busy machine a query gets fewer CPU cycles
within it and a claim proved on an idle machine can come out unknown.  :func:`check` gives a
query a budget of *CPU time spent by the calling thread* instead: one watchdog thread per
process reads that thread's CPU clock and interrupts the query's Z3 context once the budget is
spent.  Z3's own wall-clock timeout stays as a cap at :data:`WALL_FACTOR` times the budget.  On
an idle machine the two budgets coincide; under load, verdicts stay those of an idle machine
until the cap.  Where the platform has no per-thread CPU clock, the budget is wall-clock time.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import z3

WALL_FACTOR = 8
"""Wall-clock cap of a query, as a multiple of its CPU budget."""

_MIN_SLEEP = 0.001
_START_LOCK = threading.Lock()


@dataclass(eq=False)
class _Query:
    context: z3.Context
    clock: int
    cpu_deadline: float


class _Watchdog:
    """Interrupts queries whose thread has spent its CPU budget (one thread per process)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.active: set[_Query] = set()
        self.pid = -1

    def _ensure_thread(self) -> None:
        if self.pid == os.getpid():
            return
        with _START_LOCK:
            if self.pid != os.getpid():  # first use, or a forked child (which has no watchdog)
                self.lock = threading.Condition()
                self.active = set()
                threading.Thread(target=self._run, name="codecot-solver-budget",
                                 daemon=True).start()
                self.pid = os.getpid()

    def register(self, context: z3.Context, budget_ms: int) -> _Query | None:
        try:
            clock = time.pthread_getcpuclockid(threading.get_ident())
            now = time.clock_gettime(clock)
        except (AttributeError, OSError):
            return None
        query = _Query(context, clock, now + budget_ms / 1000)
        self._ensure_thread()
        with self.lock:
            self.active.add(query)
            self.lock.notify()
        return query

    def unregister(self, query: _Query) -> None:
        with self.lock:
            self.active.discard(query)

    def _run(self) -> None:
        lock = self.lock
        while True:
            with lock:
                while not self.active:
                    lock.wait()
                wait = None
                for query in list(self.active):
                    try:
                        left = query.cpu_deadline - time.clock_gettime(query.clock)
                    except OSError:  # its thread is gone
                        self.active.discard(query)
                        continue
                    if left <= 0:
                        self.active.discard(query)
                        query.context.interrupt()
                    else:  # CPU time cannot pass faster than wall time: sleep that long
                        wait = left if wait is None else min(wait, left)
                if wait is not None:
                    lock.wait(max(wait, _MIN_SLEEP))


_watchdog = _Watchdog()


def check(solver: z3.Solver, budget_ms: int, *assumptions: z3.ExprRef) -> z3.CheckSatResult:
    """``solver.check(*assumptions)`` within ``budget_ms`` of this thread's CPU time."""
    budget_ms = max(int(budget_ms), 1)
    query = _watchdog.register(solver.ctx, budget_ms)
    solver.set("timeout", budget_ms if query is None else budget_ms * WALL_FACTOR)
    if query is None:
        return solver.check(*assumptions)
    try:
        return solver.check(*assumptions)
    finally:
        _watchdog.unregister(query)


def unknown_reason(solver: z3.Solver) -> str:
    """Why ``solver``'s last check was unknown (a spent budget reads ``timeout``)."""
    reason = solver.reason_unknown()
    return "timeout" if reason in ("canceled", "interrupted") else reason
