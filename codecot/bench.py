"""``codecot bench``: stage throughput figures, measured side by side in one run.

``bench_trace`` times ``codecot``'s sandboxed tracer over at least ``min_records`` records (the
corpus repeated as needed) and, in alternating rounds, a baseline that runs each record in a
fresh Python subprocess under PySnooper (the way public CoT pipelines trace), with the same
number of concurrent workers.  The baseline needs a fresh interpreter per record, so it cannot
run in a sandbox worker; it gets the sandbox's kernel-enforced layers instead
(:func:`codecot.sandbox.confine.confine_subprocess`: rlimits, a new session, an empty network
namespace where permitted, Landlock confining writes to its temporary directory) and a minimal
environment.  Figures are medians over the rounds; the ratio is of medians.
``cpu_ms_per_record`` adds the CPU time of the bench process, the sandbox workers and every
record's child (from ``/proc``, Linux only) per traced record: unlike records/s it hardly
depends on what else the machine is doing.
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
from pathlib import Path
from typing import Any

from codecot.corpus import CorpusRecord, load_records
from codecot.pipeline.trace_stage import TRACE_TASK
from codecot.sandbox import Limits, SandboxPool
from codecot.sandbox.confine import SubprocessConfinement, confine_subprocess

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


def _time_codecot(
    pool: SandboxPool, records: list[CorpusRecord]
) -> tuple[float, int, float | None]:
    """Seconds, records ok, and CPU seconds spent by this process, the workers and their
    children (None where /proc cannot tell)."""
    workers = pool.worker_pids()
    cpu_before = _pool_cpu(workers)
    start = time.perf_counter()
    ok = sum(1 for res in pool.map(r.payload() for r in records) if res.get("ok"))
    seconds = time.perf_counter() - start
    cpu_after = _pool_cpu(workers)
    cpu = None
    if cpu_before is not None and cpu_after is not None and pool.worker_pids() == workers:
        cpu = cpu_after - cpu_before
    return seconds, ok, cpu


def _pool_cpu(workers: list[int]) -> float | None:
    """CPU seconds of this process plus the workers and their reaped children (/proc/PID/stat
    utime + stime + cutime + cstime), or None where that cannot be read."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in workers:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks  # fields 14..17
    return total


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
    rounds: int = 3,
) -> dict[str, Any]:
    """Throughput of ``codecot trace`` against the PySnooper-subprocess baseline (JSON figures)."""
    jobs = jobs or os.cpu_count() or 1
    base = [r for r in load_records(corpus) if isinstance(r, CorpusRecord)]
    if not base:
        raise ValueError(f"{corpus}: no valid records")
    records = _expand(base, min_records)
    sample = _expand(base, baseline_records)[:baseline_records]
    have_snoop = baseline_records > 0 and _has_pysnooper()

    ours: list[float] = []
    cpu_ms: list[float] = []
    theirs: list[float] = []
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
                secs, ok_ours, cpu = _time_codecot(pool, records)
                ours.append(len(records) / secs)
                if cpu is not None:
                    cpu_ms.append(1000 * cpu / len(records))
                if have_snoop:
                    secs, ok_theirs = _time_pysnooper(sample, jobs, script, confine)
                    theirs.append(len(sample) / secs)
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
        "ms_per_record_per_core": round(1000 * jobs / statistics.median(ours), 3),
    }
    if cpu_ms:
        # CPU of the pool process, its workers and every record's child, per record: a figure
        # that depends far less than records/s on what else the machine is doing.
        figures["cpu_ms_per_record_median"] = round(statistics.median(cpu_ms), 3)
        figures["cpu_ms_per_record_rounds"] = [round(x, 3) for x in cpu_ms]
    if theirs:
        figures.update({
            "baseline": "fresh python subprocess per record under pysnooper.snoop",
            "baseline_confinement": baseline_layers,
            "baseline_records": len(sample),
            "baseline_records_ok": ok_theirs,
            "baseline_records_per_s_median": round(statistics.median(theirs), 2),
            "baseline_records_per_s_rounds": [round(x, 2) for x in theirs],
            "speedup_median": round(statistics.median(ours) / statistics.median(theirs), 1),
        })
    else:
        figures["baseline"] = "skipped (pysnooper not installed or --baseline 0)"
    return figures


def _has_pysnooper() -> bool:
    try:
        import pysnooper  # noqa: F401
    except ImportError:
        return False
    return True
