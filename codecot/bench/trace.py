"""``codecot bench trace``: tracing throughput, measured side by side with a baseline in one run.

``bench_trace`` times ``codecot``'s sandboxed tracer over at least ``min_records`` records (the
corpus repeated as needed) and, in alternating rounds, a baseline that runs each record in a
fresh Python subprocess under PySnooper (the way public CoT pipelines trace), with the same
number of concurrent workers.  The baseline needs a fresh interpreter per record, so it cannot
run in a sandbox worker; it gets the sandbox's kernel-enforced layers instead
(:func:`codecot.sandbox.confine.confine_subprocess`: rlimits, a new session, an empty network
namespace where permitted, Landlock confining writes to its temporary directory) and a minimal
environment.  Figures are medians over the rounds.  ``speedup_median`` is the ratio of the
two medians; ``speedup_paired_median`` is the median of each round's own ratio (a codecot round
against the baseline round run right after it), which a slow phase of a shared machine moves
less.
``cpu_ms_per_record`` adds the CPU time of the bench process, the sandbox workers and every
record's child (from ``/proc``, Linux only) per traced record; ``baseline_cpu_ms_per_record``
adds the bench process and its PySnooper subprocesses.  Unlike records/s, CPU time hardly
depends on what else the machine is doing, so ``cpu_speedup_median`` (baseline CPU per record
over codecot's) is the steadiest ratio.  ``page_faults_per_record`` counts the minor page
faults of the sandbox workers and of the records' children: in a forked child every page it
writes first is a fault and a page copy, which is most of the per-record price of isolation.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecot.bench.common import valid_records
from codecot.corpus import CorpusRecord
from codecot.sandbox import Limits, SandboxPool
from codecot.sandbox.confine import SubprocessConfinement, confine_subprocess
from codecot.trace.run import TRACE_TASK

_SNOOP_SCRIPT = textwrap.dedent(
    """
    import io, sys, pysnooper
    src, args_src, entry = sys.argv[1], sys.argv[2], sys.argv[3]
    ns = {}
    exec(compile(src, "<record>", "exec"), ns)
    args = eval("(lambda *a, **k: (a, k))(" + args_src + ")", ns)
    sink = io.StringIO()
    fn = pysnooper.snoop(output=sink, depth=2)(ns[entry])
    print(repr(fn(*args[0], **args[1])))
    """
)


def _expand(records: list[CorpusRecord], n: int) -> list[CorpusRecord]:
    out: list[CorpusRecord] = []
    k = 0
    while len(out) < n:
        for r in records:
            out.append(CorpusRecord(id=f"{r.id}~{k}", code=r.code, input=r.input, entry=r.entry))
        k += 1
    return out[: max(n, len(records))]


@dataclass(frozen=True)
class _PoolUsage:
    """What a pool used: CPU seconds (this process, the workers and their reaped children)
    and minor page faults of the workers and of their children."""

    cpu: float
    worker_faults: int
    child_faults: int

    def __sub__(self, other: _PoolUsage) -> _PoolUsage:
        return _PoolUsage(self.cpu - other.cpu, self.worker_faults - other.worker_faults,
                          self.child_faults - other.child_faults)


def _time_codecot(
    pool: SandboxPool, records: list[CorpusRecord]
) -> tuple[float, int, _PoolUsage | None]:
    """Seconds, records ok, and what the pool used meanwhile (None where /proc cannot tell)."""
    workers = pool.worker_pids()
    before = _pool_usage(workers)
    start = time.perf_counter()
    ok = sum(1 for res in pool.map(r.payload() for r in records) if res.get("ok"))
    seconds = time.perf_counter() - start
    after = _pool_usage(workers)
    used = None
    if before is not None and after is not None and pool.worker_pids() == workers:
        used = after - before
    return seconds, ok, used


def _pool_usage(workers: list[int]) -> _PoolUsage | None:
    """This process's CPU seconds plus the workers' and their reaped children's (/proc/PID/stat
    utime + stime + cutime + cstime), and the workers' own and their children's minor faults
    (minflt, cminflt); None where /proc cannot be read."""
    cpu = _cpu(resource.RUSAGE_SELF)
    worker_faults = child_faults = 0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in workers:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        # fields[i] is field i + 3 of proc(5): minflt 10, cminflt 11, utime..cstime 14..17
        cpu += sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks
        worker_faults += int(fields[7])
        child_faults += int(fields[8])
    return _PoolUsage(cpu, worker_faults, child_faults)


def _cpu(*who: int) -> float:
    """CPU seconds of ``resource.RUSAGE_SELF`` and/or ``RUSAGE_CHILDREN`` (this process's
    reaped children: the baseline's subprocesses; sandbox workers are reaped only when their
    pool closes)."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, who))


def _time_pysnooper(records: list[CorpusRecord], jobs: int, script: Path,
                    confine: SubprocessConfinement) -> tuple[float, int]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0",
           "PYTHONDONTWRITEBYTECODE": "1"}

    def one(rec: CorpusRecord) -> bool:
        proc = subprocess.run(
            [sys.executable, str(script), rec.code, rec.input, rec.entry_name],
            capture_output=True, timeout=60, check=False, cwd=script.parent, env=env,
            preexec_fn=confine,
        )
        return proc.returncode == 0

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        ok = sum(ex.map(one, records))
    return time.perf_counter() - start, ok


def bench_trace(
    corpus: str | Path,
    *,
    jobs: int | None = None,
    min_records: int = 500,
    baseline_records: int = 60,
    rounds: int = 5,
) -> dict[str, Any]:
    """Throughput of ``codecot trace`` against the PySnooper-subprocess baseline (JSON figures)."""
    jobs = jobs or os.cpu_count() or 1
    base = valid_records(corpus)
    if not base:
        raise ValueError(f"{corpus}: no valid records")
    records = _expand(base, min_records)
    sample = _expand(base, baseline_records)[:baseline_records]
    have_snoop = baseline_records > 0 and _has_pysnooper()

    ours: list[float] = []
    cpu_ms: list[float] = []
    faults: list[tuple[float, float]] = []
    theirs: list[float] = []
    their_cpu_ms: list[float] = []
    ok_ours = ok_theirs = 0
    start = time.perf_counter()
    with SandboxPool(jobs=jobs, limits=Limits(), task=TRACE_TASK) as pool:
        startup = time.perf_counter() - start
        _time_codecot(pool, records[: min(50, len(records))])  # warm the workers
        sandbox_layers = pool.confinement()
        with tempfile.TemporaryDirectory() as tmp, \
                confine_subprocess(tmp, cpu_seconds=10) as confine:
            script = Path(tmp) / "snoop_one.py"
            script.write_text(_SNOOP_SCRIPT)
            baseline_layers = confine.layers
            for _ in range(rounds):
                secs, ok_ours, used = _time_codecot(pool, records)
                ours.append(len(records) / secs)
                if used is not None:
                    cpu_ms.append(1000 * used.cpu / len(records))
                    faults.append((used.worker_faults / len(records),
                                   used.child_faults / len(records)))
                if have_snoop:
                    both = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                    cpu_before = _cpu(*both)
                    secs, ok_theirs = _time_pysnooper(sample, jobs, script, confine)
                    theirs.append(len(sample) / secs)
                    their_cpu_ms.append(1000 * (_cpu(*both) - cpu_before) / len(sample))
    figures: dict[str, Any] = {
        "bench": "trace",
        "corpus": str(corpus),
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "rounds": rounds,
        "records": len(records),
        "records_ok": ok_ours,
        "pool_startup_s": round(startup, 3),
        "sandbox": sandbox_layers,
        "codecot_records_per_s_median": round(statistics.median(ours), 1),
        "codecot_records_per_s_rounds": [round(x, 1) for x in ours],
        "ms_per_record_per_core": round(
            1000 * min(jobs, os.cpu_count() or jobs) / statistics.median(ours), 3),
    }
    if cpu_ms:
        # CPU of the pool process, its workers and every record's child, per record: a figure
        # that depends far less than records/s on what else the machine is doing.
        figures["cpu_ms_per_record_median"] = round(statistics.median(cpu_ms), 3)
        figures["cpu_ms_per_record_rounds"] = [round(x, 3) for x in cpu_ms]
        figures["page_faults_per_record"] = {
            "workers": round(statistics.median(w for w, _ in faults), 1),
            "children": round(statistics.median(c for _, c in faults), 1),
        }
    if theirs:
        figures.update({
            "baseline": "fresh python subprocess per record under pysnooper.snoop",
            "baseline_confinement": baseline_layers,
            "baseline_records": len(sample),
            "baseline_records_ok": ok_theirs,
            "baseline_records_per_s_median": round(statistics.median(theirs), 2),
            "baseline_records_per_s_rounds": [round(x, 2) for x in theirs],
            "speedup_median": round(statistics.median(ours) / statistics.median(theirs), 1),
            "speedup_rounds": [round(a / b, 1) for a, b in zip(ours, theirs, strict=True)],
            "speedup_paired_median": round(
                statistics.median(a / b for a, b in zip(ours, theirs, strict=True)), 1),
            "baseline_cpu_ms_per_record_median": round(statistics.median(their_cpu_ms), 2),
        })
        if cpu_ms:
            figures["cpu_speedup_median"] = round(
                statistics.median(their_cpu_ms) / statistics.median(cpu_ms), 1)
    else:
        figures["baseline"] = "skipped (pysnooper not installed or --baseline 0)"
    return figures


def _has_pysnooper() -> bool:
    try:
        import pysnooper  # noqa: F401
    except ImportError:
        return False
    return True
