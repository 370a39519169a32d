"""``codecot bench loop``: the closed loop's table (issue 16, DESIGN.md §7).

One sample of a corpus (normally the held-out split that ``codecot train-data`` writes) is
narrated by the HF narrator in each *variant* (``bare``: no adapter, long prompts;
``tuned``: the adapter, short prompts; ``guided``: the adapter with ``--guided K``) and each
prompt *mode* (grounded: the trace shown; blind: not), both directions, by the same
``codecot run`` pipeline a user runs.  Per cell it reports strict acceptance per direction
(and how many accepted rationales the token budget steered to their final step early), the
median prompt tokens, seconds of narration per rationale, and verified rationales per hour of
the run's wall time (model load, tracing and verifying included).  Blind rationales are
verified again under the ``answer-only`` policy: the share whose final answer (forward) or
input (backward) is right, with a 95% Wilson interval, is the blind answer accuracy.

Cells run one after another on one machine; each writes its run folder under ``workdir`` (so a
killed bench resumes cell by cell) and the figures so far go to ``workdir/loop.json``.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from codecot.bench.common import valid_records
from codecot.jsonl import atomic_write_text, iter_jsonl, write_jsonl
from codecot.narrate.guided_defaults import SKIPS

VARIANTS = ("bare", "tuned", "guided")
MODES = ("grounded", "blind")
DIRECTIONS = ("forward", "backward")


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% for the default ``z``)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def variant_options(variant: str, adapter: str | None, guided: int,
                    guided_branch: bool = False, guided_skips: int = SKIPS) -> dict[str, Any]:
    """The HF narrator options of a variant (``adapter`` None: the shipped one)."""
    if variant == "bare":
        return {"adapter": "none"}
    options: dict[str, Any] = {} if adapter is None else {"adapter": adapter}
    if variant == "guided":
        options["guided"] = guided
        if guided_branch:
            options["guided_branch"] = True
        options["guided_skips"] = guided_skips
    elif variant != "tuned":
        raise ValueError(f"variant {variant!r}: choose {', '.join(VARIANTS)}")
    return options


def write_sample(corpus: Path, records: int, target: Path) -> int:
    """Write the first ``records`` valid records of ``corpus`` to ``target``; their count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_jsonl(target, (rec.to_json() for rec in valid_records(corpus)[:records]))


def _verdicts(run_dir: Path) -> list[dict[str, Any]]:
    return [rec for name in ("accepted.jsonl", "rejected.jsonl")
            if (run_dir / name).is_file() for _, rec in iter_jsonl(run_dir / name)
            if isinstance(rec, dict)]


def _run(cfg: Any) -> dict[str, Any]:
    from codecot.pipeline.run import run_pipeline

    return run_pipeline(cfg).summary


def cell_figures(summary: dict[str, Any], verdicts: list[dict[str, Any]],
                 records: int) -> dict[str, Any]:
    """A cell's figures from its run's summary and verdict records."""
    by_slot = summary["by_slot"]
    out: dict[str, Any] = {}
    for direction in DIRECTIONS:
        slot = by_slot.get(f"hf/{direction}", {})
        accepted = int(slot.get("accepted", 0))
        tokens = [int(v["prompt_tokens"]) for v in verdicts
                  if v.get("direction") == direction and "prompt_tokens" in v]
        out[direction] = {
            "accepted": accepted, "total": records,
            "acceptance": round(accepted / records, 4) if records else 0.0,
            "acceptance_ci95": wilson(accepted, records),
            "prompt_tokens_median": statistics.median(tokens) if tokens else None,
            "unfinished": sum(1 for v in verdicts if v.get("direction") == direction
                              and v.get("finished") is False),
            "accepted_closed_early": sum(1 for v in verdicts if v.get("direction") == direction
                                         and v.get("accepted") and v.get("closed_early")),
        }
    narrated = max(1, 2 * records)
    narrate_s = float(summary.get("stage_seconds", {}).get("narrate", 0.0))
    wall = float(summary.get("wall_seconds", 0.0))
    accepted_all = sum(out[d]["accepted"] for d in DIRECTIONS)
    out["seconds_per_rationale"] = round(narrate_s / narrated, 2)
    out["wall_seconds"] = round(wall, 1)
    out["verified_per_hour"] = round(accepted_all * 3600 / wall, 1) if wall else 0.0
    return out


def answer_accuracy(run_dir: Path, corpus: Path, work: Path) -> dict[str, Any]:
    """Re-verify a run's rationales under ``answer-only``: per direction the share with the
    right final answer or input, and its 95% Wilson interval."""
    from codecot.pipeline.run import RunConfig

    rationales = work / "rationales.jsonl"
    keep = ("id", "direction", "narrator", "text")
    write_jsonl(rationales, ({k: rec[k] for k in keep} for rec in _verdicts(run_dir)))
    summary = _run(RunConfig(corpus=corpus, outdir=work / "answer-only", rationales=rationales,
                             policy="answer-only", report=False))
    out: dict[str, Any] = {}
    for direction in DIRECTIONS:
        slot = summary["by_slot"].get(f"hf/{direction}", {})
        right, total = int(slot.get("accepted", 0)), int(slot.get("total", 0))
        out[direction] = {"right": right, "total": total,
                          "accuracy": round(right / total, 4) if total else 0.0,
                          "ci95": wilson(right, total)}
    return out


def bench_loop(corpus: Path, workdir: Path, *, records: int = 30, adapter: str | None = None,
               guided: int = 4, variants: Sequence[str] = VARIANTS,
               modes: Sequence[str] = MODES, batch_size: int = 8, max_new_tokens: int = 384,
               threads: int | None = 1, device: str = "cpu", jobs: int | None = None,
               program_constraints: bool = True, guided_branch: bool = False,
               guided_skips: int = SKIPS,
               on_cell: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every variant × mode over the first ``records`` records of ``corpus`` (see the
    module doc); figures per cell, also written to ``workdir/loop.json`` after each cell.
    ``program_constraints`` False decodes every variant with the program-independent grammar;
    ``guided_branch`` makes the guided variant branch off refuted tries, and ``guided_skips``
    is how often its steps may be skipped after all their tries failed."""
    from codecot.pipeline.run import RunConfig

    for name in variants:
        variant_options(name, adapter, guided)  # fail on a bad name before any work
    sample = workdir / "sample.jsonl"
    count = write_sample(corpus, records, sample)
    figures: dict[str, Any] = {"corpus": str(corpus), "records": count, "guided": guided,
                               "batch_size": batch_size, "max_new_tokens": max_new_tokens,
                               "device": device, "threads": threads,
                               "program_constraints": program_constraints,
                               "guided_branch": guided_branch, "guided_skips": guided_skips,
                               "cells": {}}
    for variant in variants:
        for mode in modes:
            name = f"{variant}/{mode}"
            run_dir = workdir / variant / mode
            options = {"grounded": mode == "grounded", "batch_size": batch_size,
                       "max_new_tokens": max_new_tokens, "threads": threads, "device": device,
                       "program_constraints": program_constraints,
                       **variant_options(variant, adapter, guided, guided_branch,
                                         guided_skips)}
            started = time.perf_counter()
            summary = _run(RunConfig(corpus=sample, outdir=run_dir, narrators=("hf",),
                                     directions=DIRECTIONS, jobs=jobs, report=False,
                                     narrator_options=options))
            cell = cell_figures(summary, _verdicts(run_dir), count)
            if mode == "blind":
                cell["answer_only"] = answer_accuracy(run_dir, sample, run_dir)
            cell["bench_seconds"] = round(time.perf_counter() - started, 1)
            figures["cells"][name] = cell
            atomic_write_text(workdir / "loop.json", json.dumps(figures, indent=1))
            if on_cell is not None:
                on_cell(name, cell)
    return figures
