"""``codecot run``: trace, narrate, verify and write the dataset and report, resumably.

:func:`run_pipeline` reads the corpus, opens (or resumes) the run directory through
:class:`~codecot.pipeline.checkpoint.Checkpoint`, feeds the records not yet committed to an
engine chunk by chunk, commits each chunk's rows, and at the end writes ``dataset.parquet``,
``summary.json`` and ``report.html``.  A run started again with the same settings after a kill
goes on from the last committed chunk; one that had finished only rewrites the final files.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecot.corpus import CorpusRecord, RecordError, record_from_json
from codecot.errors import InvalidArgument, MissingDependency
from codecot.jsonl import BadLine, atomic_write_text, iter_jsonl
from codecot.pipeline.checkpoint import Checkpoint
from codecot.pipeline.chunk import OUTPUT_FILES, FileRationales, Item, Slots, by_file, sort_rows
from codecot.pipeline.dataset import DATASET_JSONL, DATASET_PARQUET, write_parquet
from codecot.sandbox import Limits
from codecot.verify.policy import get_policy

ENGINES = ("local", "ray")


def check_engine(engine: str) -> None:
    """Raise :class:`InvalidArgument` unless ``engine`` is one of :data:`ENGINES`."""
    if engine not in ENGINES:
        raise InvalidArgument(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run is made of.  :meth:`identity` is what a resumed run must share."""

    corpus: Path
    outdir: Path
    narrators: tuple[str, ...] = ("template",)
    directions: tuple[str, ...] = ("forward", "backward")
    engine: str = "local"
    jobs: int | None = None
    limit: int | None = None
    policy: str = "strict"
    chunk_size: int = 64
    timeout: float = 10.0
    memory_mb: int = 1024
    narrator_options: dict[str, Any] = field(default_factory=dict)
    rationales: Path | None = None
    #: rationale format (``steps``, ``free`` or ``auto``) and the policy for free-form ones
    fmt: str = "steps"
    free_policy: str = "free"
    fresh: bool = False
    report: bool = True
    ray_num_gpus: float = 0.0
    ray_actors: int = 1
    ray_address: str | None = None

    def identity(self) -> dict[str, Any]:
        """The settings that decide the outputs (not the engine, jobs or chunk size)."""
        return {
            "corpus": str(self.corpus.resolve()), "corpus_sha256": file_sha256(self.corpus),
            "narrators": list(self.narrators), "directions": list(self.directions),
            "limit": self.limit, "policy": self.policy,
            "narrator_options": {k: v for k, v in sorted(self.narrator_options.items())
                                 if v is not None},
            "rationales": None if self.rationales is None else file_sha256(self.rationales),
            **({"format": self.fmt, "free_policy": self.free_policy} if self.fmt != "steps"
               else {}),
        }

    @property
    def limits(self) -> Limits:
        return Limits(wall_seconds=self.timeout, cpu_seconds=max(1.0, self.timeout / 2),
                      memory_mb=self.memory_mb)


@dataclass(frozen=True)
class RunResult:
    outdir: Path
    summary: dict[str, Any]
    resumed: bool

    def line(self) -> str:
        s = self.summary
        parts = [f"{k}: {v['accepted']}/{v['total']} accepted" for k, v in s["by_slot"].items()]
        return (f"run of {s['records']} records ({', '.join(parts)}; {s['errors']} errors) "
                f"in {s['wall_seconds']:.1f}s" + (" (resumed)" if self.resumed else ""))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_corpus(path: Path, limit: int | None = None) -> list[CorpusRecord | RecordError]:
    """Read a JSONL or Parquet corpus; malformed records become :class:`RecordError`."""
    if path.suffix != ".parquet":
        from codecot.corpus import load_records

        return load_records(path, limit)
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependency("reading a Parquet corpus needs pyarrow: pip install pyarrow") from exc
    out: list[CorpusRecord | RecordError] = []
    seen: set[str] = set()
    for n, row in enumerate(pq.read_table(path).to_pylist(), start=1):
        if limit is not None and len(out) >= limit:
            break
        rec = record_from_json({k: v for k, v in row.items() if v is not None}, n, str(path))
        if isinstance(rec, CorpusRecord):
            if rec.id in seen:
                rec = RecordError(rec.id, n, f"{path} row {n}: duplicate id {rec.id!r}")
            else:
                seen.add(rec.id)
        out.append(rec)
    return out


def load_rationales(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _, obj in iter_jsonl(path):
        if isinstance(obj, BadLine):
            print(f"skipping {obj.describe()}", file=sys.stderr)
        else:
            out.append(obj)
    return out


def chunked(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_engine(cfg: RunConfig) -> Any:
    """The engine named by ``cfg.engine``."""
    from codecot.narrate.registry import get_narrator

    slots = Slots(cfg.narrators, cfg.directions)
    check_engine(cfg.engine)
    policy = get_policy(cfg.policy)
    if cfg.engine == "local":
        from codecot.pipeline.engine_local import LocalEngine

        rats = FileRationales(load_rationales(cfg.rationales)) if cfg.rationales else None
        return LocalEngine(slots, lambda: [get_narrator(n, **cfg.narrator_options)
                                           for n in cfg.narrators],
                           policy, jobs=cfg.jobs, limits=cfg.limits, rationales=rats,
                           fmt=cfg.fmt, free_policy=get_policy(cfg.free_policy))
    if cfg.rationales is not None:
        raise InvalidArgument("--rationales works with --engine local only")
    if cfg.fmt != "steps":
        raise InvalidArgument("--format free|auto works with --engine local only")
    from codecot.pipeline.engine_ray import RayEngine

    return RayEngine(slots, cfg.narrator_options, cfg.policy, jobs=cfg.jobs,
                     limits=cfg.limits, num_gpus=cfg.ray_num_gpus, actors=cfg.ray_actors,
                     address=cfg.ray_address, batch_size=cfg.chunk_size)


def run_pipeline(cfg: RunConfig, on_progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run (or resume) ``cfg``; ``on_progress(done, total)`` is called after each chunk."""
    if cfg.chunk_size < 1:
        raise InvalidArgument(f"--chunk-size must be >= 1, not {cfg.chunk_size}")
    if not cfg.corpus.is_file():
        raise InvalidArgument(f"corpus {cfg.corpus} does not exist or is not a file")
    if cfg.rationales is not None and not cfg.rationales.is_file():
        raise InvalidArgument(f"rationales file {cfg.rationales} does not exist or is not a file")
    get_policy(cfg.policy)
    get_policy(cfg.free_policy)
    if cfg.fmt not in ("steps", "free", "auto"):
        raise InvalidArgument(f"--format must be steps, free or auto, not {cfg.fmt!r}")
    start = time.perf_counter()
    items = [Item(i, r) for i, r in enumerate(load_corpus(cfg.corpus, cfg.limit))]
    with Checkpoint.open(cfg.outdir, OUTPUT_FILES, cfg.identity(), fresh=cfg.fresh) as ckpt:
        resumed = ckpt.resumed
        done = ckpt.progress.records_done
        if on_progress:
            on_progress(done, len(items))
        if not ckpt.progress.complete:
            remaining = items[done:]
            if remaining:
                engine = make_engine(cfg)
                for chunk, rows, secs in engine.process(chunked(remaining, cfg.chunk_size)):
                    ckpt.commit(by_file(sort_rows(rows)), len(chunk), secs)
                    done += len(chunk)
                    if on_progress:
                        on_progress(done, len(items))
            ckpt.finish()
        stage_seconds = dict(ckpt.progress.stage_seconds)
    summary = finalize(cfg, len(items), stage_seconds, start)
    return RunResult(cfg.outdir, summary, resumed)


def finalize(cfg: RunConfig, records: int, stage_seconds: dict[str, float],
             start: float) -> dict[str, Any]:
    """Write ``dataset.parquet``, ``summary.json`` and (unless disabled) ``report.html``.

    ``stage_seconds`` add up over resumed invocations; ``wall_seconds`` (from ``start``, a
    ``perf_counter`` reading) is this invocation's.
    """
    outdir = cfg.outdir
    t0 = time.perf_counter()
    try:
        rows = write_parquet(outdir / DATASET_JSONL, outdir / DATASET_PARQUET)
        parquet: str | None = str(outdir / DATASET_PARQUET)
    except ImportError:
        print("dataset.parquet not written: pyarrow is not installed (pip install pyarrow)",
              file=sys.stderr)
        with open(outdir / DATASET_JSONL, encoding="utf-8") as fh:
            rows, parquet = sum(1 for _ in fh), None
    stage_seconds = {**stage_seconds, "dataset": time.perf_counter() - t0}
    from codecot.report.analysis import analyze

    analysis = analyze(outdir)
    summary = {
        "corpus": str(cfg.corpus), "records": records, "engine": cfg.engine,
        "narrators": list(cfg.narrators), "directions": list(cfg.directions),
        "policy": cfg.policy, "rationales_file": str(cfg.rationales) if cfg.rationales else None,
        "format": cfg.fmt, **({"free_policy": cfg.free_policy} if cfg.fmt != "steps" else {}),
        "by_slot": analysis["by_slot"], "errors": analysis["errors"]["total"],
        "dataset": {"rows": rows, "jsonl": str(outdir / DATASET_JSONL), "parquet": parquet},
        "stage_seconds": {k: round(v, 3) for k, v in stage_seconds.items()},
        "wall_seconds": 0.0,
        "analysis": analysis,
    }
    if cfg.report:
        t1 = time.perf_counter()
        from codecot.report.html import write_report

        write_report(outdir, summary)
        summary["stage_seconds"]["report"] = round(time.perf_counter() - t1, 3)
        summary["report"] = str(outdir / "report.html")
    summary["wall_seconds"] = round(time.perf_counter() - start, 3)
    atomic_write_text(outdir / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary
