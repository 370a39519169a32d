"""The Ray engine: the run's stages as a Ray Data pipeline.

``from_items`` (records as JSON strings) -> ``map_batches(trace)`` (CPU tasks; each task traces
its batch in a small sandbox pool, so user code still runs only in the sandbox) ->
``map_batches(NarrateActor)`` (an actor pool, ``ActorPoolStrategy``, each actor holding the
narrators, with ``num_gpus`` per actor for the HF narrator) -> ``map_batches(verify)`` (CPU
tasks) -> rows streamed back to the driver.  The driver regroups rows into the run's chunks (a
chunk is complete when it has one accepted/rejected/error row per record and slot) and yields
them in order, so resume and output order are the same as with the local engine.

All columns are strings or numbers: records, traces and verdicts travel as JSON text.  Stage
seconds are summed task time (tasks run in parallel).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from codecot.corpus import CorpusRecord, RecordError, record_from_json
from codecot.errors import MissingDependency
from codecot.pipeline.chunk import (
    DATASET,
    Item,
    Ready,
    Row,
    Slots,
    narrate_ready,
    split_ready,
    trace_items,
    verify_rationales_of,
)
from codecot.pipeline.guided_checks import GuidedCheckers, use_checkers
from codecot.sandbox import Limits, SandboxPool
from codecot.trace.run import TRACE_TASK
from codecot.verify.policy import get_policy

STAGES = ("trace", "narrate", "verify")


def encode_record(rec: CorpusRecord | RecordError) -> str:
    if isinstance(rec, RecordError):
        return json.dumps({"__record_error__": [rec.id, rec.line_no, rec.message]})
    return json.dumps(rec.to_json())


def decode_record(text: str) -> CorpusRecord | RecordError:
    obj = json.loads(text)
    if "__record_error__" in obj:
        rid, line_no, message = obj["__record_error__"]
        return RecordError(rid, int(line_no), message)
    rec = record_from_json(obj, 0)
    assert isinstance(rec, CorpusRecord)  # it was a valid record when encoded
    return rec


def _table(rows: list[dict[str, Any]], schema: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=pa.schema(schema))


def _trace_schema() -> list[Any]:
    import pyarrow as pa

    return [("chunk", pa.int64()), ("index", pa.int64()), ("record", pa.string()),
            ("trace", pa.string()), ("t_trace", pa.float64())]


def _row_schema() -> list[Any]:
    import pyarrow as pa

    return [("chunk", pa.int64()), ("index", pa.int64()), ("slot", pa.int64()),
            ("file", pa.string()), ("payload", pa.string()), ("record", pa.string()),
            ("trace", pa.string()), ("t_trace", pa.float64()), ("t_narrate", pa.float64()),
            ("t_verify", pa.float64())]


def trace_batch(batch: Any, *, jobs: int, limits: Limits) -> Any:
    """Ray task: trace a batch of records in a sandbox pool of ``jobs`` workers."""
    start = time.perf_counter()
    rows = batch.to_pylist()
    items = [Item(int(r["index"]), decode_record(r["record"])) for r in rows]
    with SandboxPool(jobs=jobs, limits=limits, task=TRACE_TASK) as pool:
        traces = trace_items(items, pool)
    share = (time.perf_counter() - start) / max(1, len(rows))
    return _table([{**r, "trace": json.dumps(t), "t_trace": share}
                   for r, t in zip(rows, traces, strict=True)], _trace_schema())


class NarrateActor:
    """Ray actor: holds the narrators (built once) and narrates batches of traced records."""

    def __init__(self, narrators: Sequence[str], directions: Sequence[str],
                 options: dict[str, Any]) -> None:
        from codecot.narrate.registry import get_narrator

        self.slots = Slots(tuple(narrators), tuple(directions))
        self.narrators = [get_narrator(n, **options) for n in narrators]
        # guided narrators' step checkers (their sandbox pools open on first use, one worker)
        self.checkers = GuidedCheckers(jobs=1)
        use_checkers(self.narrators, self.checkers)

    def __call__(self, batch: Any) -> Any:
        start = time.perf_counter()
        rows = batch.to_pylist()
        meta = {int(r["index"]): r for r in rows}
        items = [Item(int(r["index"]), decode_record(r["record"])) for r in rows]
        traces = [json.loads(r["trace"]) for r in rows]
        ready, errors = split_ready(items, traces, self.slots.errors)
        rats, more = narrate_ready(ready, self.narrators, self.slots.directions, self.slots)
        by_index = {r.index: r for r in ready}
        out: list[dict[str, Any]] = []
        for row in [*errors, *more]:
            out.append({"index": row.index, "slot": row.slot, "file": row.file,
                        "payload": json.dumps(row.record), "record": "", "trace": ""})
        for index, slot, rat in rats:
            r = by_index[index]
            out.append({"index": index, "slot": slot, "file": "", "payload": json.dumps(rat),
                        "record": json.dumps(r.record.to_json()), "trace": meta[index]["trace"]})
        per_index: dict[int, int] = {}
        for o in out:
            per_index[o["index"]] = per_index.get(o["index"], 0) + 1
        share = (time.perf_counter() - start) / max(1, len(out))
        for o in out:
            m = meta[o["index"]]
            o.update(chunk=m["chunk"], t_trace=m["t_trace"] / per_index[o["index"]],
                     t_narrate=share, t_verify=0.0)
        return _table(out, _row_schema())


def verify_batch(batch: Any, *, policy: str, jobs: int, limits: Limits) -> Any:
    """Ray task: verify the rationales of a batch; other rows pass through."""
    start = time.perf_counter()
    rows = batch.to_pylist()
    todo = [r for r in rows if r["file"] == ""]
    done = [r for r in rows if r["file"] != ""]
    ready: dict[int, Ready] = {}
    for r in todo:
        if r["index"] not in ready:
            rec = decode_record(r["record"])
            assert isinstance(rec, CorpusRecord)
            ready[r["index"]] = Ready(r["index"], rec, json.loads(r["trace"]))
    rats = [(int(r["index"]), int(r["slot"]), json.loads(r["payload"])) for r in todo]
    verdicts = verify_rationales_of(rats, list(ready.values()), get_policy(policy), jobs) if rats else []
    base = {(int(r["index"]), int(r["slot"])): r for r in todo}
    out = [{**r} for r in done]
    for v in verdicts:
        b = base[(v.index, v.slot)]
        out.append({**b, "file": v.file, "payload": json.dumps(v.record)})
    counted = [o for o in out if o["file"] != DATASET]
    share = (time.perf_counter() - start) / max(1, len(counted))
    for o in out:
        if o["file"] == DATASET:  # its times are already on its verdict's row
            o.update(record="", trace="", t_trace=0.0, t_narrate=0.0, t_verify=0.0)
        else:
            o.update(record="", trace="", t_verify=share)
    out.sort(key=lambda o: (o["index"], o["slot"], o["file"] == DATASET))
    return _table(out, _row_schema())


class RayEngine:
    """Run chunks through a Ray Data pipeline (see the module docstring)."""

    def __init__(self, slots: Slots, narrator_options: dict[str, Any], policy: str, *,
                 jobs: int | None = None, limits: Limits | None = None, num_gpus: float = 0.0,
                 actors: int = 1, address: str | None = None, batch_size: int = 64) -> None:
        self.slots = slots
        self.narrator_options = dict(narrator_options)
        self.policy = policy
        self.jobs = jobs
        self.limits = limits or Limits()
        self.num_gpus = num_gpus
        self.actors = actors
        self.address = address
        self.batch_size = batch_size

    def process(self, chunks: Iterable[Sequence[Item]]) -> Iterator[tuple[Sequence[Item], list[Row], dict[str, float]]]:
        """Yield ``(chunk, rows, stage_seconds)`` per chunk, in order."""
        try:
            import ray
            import ray.data
        except ImportError as exc:
            raise MissingDependency("--engine ray needs Ray Data: pip install 'codecot[ray]'") from exc
        chunk_list = [c for c in chunks if c]
        if not chunk_list:
            return
        started = False
        if not ray.is_initialized():
            ray.init(address=self.address, num_cpus=None if self.address else self.jobs,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
            started = True
        try:
            yield from self._run(ray, chunk_list)
        finally:
            if started:
                ray.shutdown()

    def _run(self, ray: Any, chunks: list[Sequence[Item]]) -> Iterator[tuple[Sequence[Item], list[Row], dict[str, float]]]:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        task_jobs = max(1, min(2, self.jobs or os.cpu_count() or 1))
        rows = [{"chunk": c, "index": it.index, "record": encode_record(it.record)}
                for c, chunk in enumerate(chunks) for it in chunk]
        blocks = max(1, -(-len(rows) // self.batch_size))
        ds = ray.data.from_items(rows, override_num_blocks=blocks)
        ds = ds.map_batches(trace_batch, batch_size=self.batch_size, batch_format="pyarrow",
                            fn_kwargs={"jobs": task_jobs, "limits": self.limits}, num_cpus=1)
        ds = ds.map_batches(NarrateActor, batch_size=self.batch_size, batch_format="pyarrow",
                            fn_constructor_kwargs={"narrators": list(self.slots.narrators),
                                                   "directions": list(self.slots.directions),
                                                   "options": self.narrator_options},
                            compute=ray.data.ActorPoolStrategy(size=self.actors),
                            # a CPU share unlike the tasks' keeps Ray from fusing tracing into the
                            # actors (tracing stays a task stage of its own)
                            num_gpus=self.num_gpus or None, num_cpus=0.5)
        ds = ds.map_batches(verify_batch, batch_size=self.batch_size, batch_format="pyarrow",
                            fn_kwargs={"policy": self.policy, "jobs": task_jobs,
                                       "limits": self.limits}, num_cpus=1)
        need = [len(c) * len(self.slots.all()) for c in chunks]
        pending: dict[int, list[dict[str, Any]]] = {}
        counted = [0] * len(chunks)
        next_chunk = 0
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            for r in batch.to_pylist():
                c = int(r["chunk"])
                pending.setdefault(c, []).append(r)
                counted[c] += r["file"] != DATASET
            while next_chunk < len(chunks) and counted[next_chunk] >= need[next_chunk]:
                yield self._chunk_result(chunks[next_chunk], pending.pop(next_chunk, []))
                next_chunk += 1
        if next_chunk < len(chunks):
            raise RuntimeError(f"the Ray pipeline lost rows of chunk {next_chunk} "
                               f"({counted[next_chunk]} of {need[next_chunk]})")

    @staticmethod
    def _chunk_result(chunk: Sequence[Item], raw: list[dict[str, Any]],
                      ) -> tuple[Sequence[Item], list[Row], dict[str, float]]:
        rows = [Row(int(r["index"]), int(r["slot"]), str(r["file"]), json.loads(r["payload"]))
                for r in raw]
        secs = {stage: sum(float(r[f"t_{stage}"]) for r in raw) for stage in STAGES}
        return chunk, rows, secs
