"""CPU-time budgets of solver queries (codecot.solver.budget)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import z3

from codecot.solver import budget


def _hard(context: z3.Context) -> list[z3.BoolRef]:
    x, y, z = z3.Ints("x y z", context)
    return [x * x * x + y * y * y == z * z * z + 33, x > 1, y > 1, z > 1]


def _cpu_of_this_thread() -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(threading.get_ident()))


def test_a_spent_budget_reads_timeout_and_easy_queries_still_answer() -> None:
    context = z3.Context()
    solver = z3.Solver(ctx=context)
    solver.add(*_hard(context))
    cpu = _cpu_of_this_thread()
    assert budget.check(solver, 150) == z3.unknown
    assert budget.unknown_reason(solver) == "timeout"
    assert _cpu_of_this_thread() - cpu >= 0.12  # it did get (about) its budget
    x, y = z3.Ints("x y", context)
    easy = z3.Solver(ctx=context)  # the interrupt of the last query does not leak into this one
    easy.add(x + y == 3, x > 0, y > 0)
    assert budget.check(easy, 150) == z3.sat
    refuted = z3.Solver(ctx=context)
    refuted.add(x > 0, x < 0)
    assert budget.check(refuted, 150) == z3.unsat


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_a_busy_cpu_stretches_the_wall_time_not_the_cpu_budget() -> None:
    """Pinned to one CPU beside a busy process, the query still gets its CPU budget, so it
    takes longer than the budget in wall time (a wall-clock timeout would stop it early)."""
    before = os.sched_getaffinity(0)
    cpu = min(before)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                           preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    try:
        os.sched_setaffinity(0, {cpu})
        time.sleep(0.2)
        context = z3.Context()
        solver = z3.Solver(ctx=context)
        solver.add(*_hard(context))
        start_cpu, start = _cpu_of_this_thread(), time.perf_counter()
        assert budget.check(solver, 300) == z3.unknown
        spent_cpu, wall = _cpu_of_this_thread() - start_cpu, time.perf_counter() - start
    finally:
        os.sched_setaffinity(0, before)
        hog.kill()
        hog.wait()
    assert spent_cpu >= 0.25
    assert wall >= 0.45  # about twice the budget: it shared the CPU with the hog
    assert wall < 300 * budget.WALL_FACTOR / 1000 + 1
