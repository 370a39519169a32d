"""Throughput of the sandbox for trivial jobs: the price of per-record isolation.

`python -m codecot.sandbox.bench [JOBS] [N]` prints one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

from codecot.sandbox.limits import Limits
from codecot.sandbox.pool import SandboxPool

TRIVIAL = "def f(x):\n    return x + 1"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(
    jobs: int = 2,
    n: int = 3000,
    task: str = "codecot.sandbox.tasks:exec_call",
    code: str = TRIVIAL,
) -> dict[str, Any]:
    """Run `n` trivial jobs through a fresh pool; jobs/s and CPU microseconds per job.

    `cpu_us_per_job` adds the pool process, its workers and every job's child (workers are
    reaped when the pool closes, so their CPU is counted), which makes it a figure that does
    not depend on what else the machine is doing, unlike `jobs_per_second`.
    """
    payloads = [{"id": i, "code": code, "input": str(i)} for i in range(n)]
    self_before = _cpu(resource.RUSAGE_SELF)
    children_before = _cpu(resource.RUSAGE_CHILDREN)
    with SandboxPool(jobs=jobs, limits=Limits(), task=task) as pool:
        for _ in pool.map(payloads[: min(n, 100)]):  # warm up
            pass
        started = time.perf_counter()
        failures = sum(not r["ok"] for r in pool.map(payloads))
        elapsed = time.perf_counter() - started
        info = pool.worker_info()
    total_cpu = _cpu(resource.RUSAGE_SELF) - self_before
    total_cpu += _cpu(resource.RUSAGE_CHILDREN) - children_before
    return {
        "jobs": jobs,
        "n": n,
        "task": task,
        "jobs_per_second": round(n / elapsed, 1),
        "cpu_us_per_job": round(total_cpu / (n + min(n, 100)) * 1e6, 1),
        "failures": failures,
        "netns": all(w.get("netns") for w in info),
        "tmpfs": all(w.get("tmpfs") for w in info),
    }


if __name__ == "__main__":
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    print(json.dumps(measure(jobs, n)))
