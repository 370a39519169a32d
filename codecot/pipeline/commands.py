"""CLI commands of the pipeline: ``codecot run`` and ``codecot report``.

Both are registered by ``codecot.cli`` with loose context settings; unknown options are refused
here with a usage error rather than ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from codecot.errors import InvalidArgument


def _no_extras(ctx: typer.Context) -> None:
    if ctx.args:
        raise InvalidArgument(f"unexpected argument(s): {' '.join(ctx.args)}")


def run_command(
    ctx: typer.Context,
    corpus: Annotated[Path, typer.Argument(help="Corpus (CRUXEval-compatible JSONL, or Parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Run directory.")],
    narrator: Annotated[str, typer.Option(help="Narrators, comma-separated: template, hf.")] = "template",
    direction: Annotated[str, typer.Option(help="forward, backward or both.")] = "both",
    engine: Annotated[str, typer.Option(help="local (process pool) or ray (Ray Data).")] = "local",
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Sandbox workers (default: CPU count).")] = None,
    limit: Annotated[int | None, typer.Option(help="Process only the first N records.")] = None,
    policy: Annotated[str | None, typer.Option(help="Acceptance policy: strict, no-refuted, answer-only or free (default: strict for steps, free for free-form rationales).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Records per committed chunk (resume granularity).")] = 64,
    timeout: Annotated[float, typer.Option(help="Wall-clock seconds per execution.")] = 10.0,
    memory_mb: Annotated[int, typer.Option(help="Memory limit per execution, MiB.")] = 1024,
    rationales: Annotated[Path | None, typer.Option(help="Verify the rationales in this file (e.g. `codecot mutate` output) instead of narrating.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Rationale format: steps (the narration language), free (free-form chain-of-thought) or auto (steps when every line parses, else free).")] = "steps",
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard a previous run in the directory.")] = False,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html.")] = True,
    seed: Annotated[int | None, typer.Option(help="Template narrator: seed for wording variety.")] = None,
    max_iterations: Annotated[int | None, typer.Option(help="Loop iterations narrated before a summary.")] = None,
    model: Annotated[str | None, typer.Option(help="HF narrator: model id or local path.")] = None,
    grounded: Annotated[bool | None, typer.Option("--grounded/--blind", help="HF narrator: show the trace in the prompt.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="HF narrator: prompts per generation batch.")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="HF narrator: token budget per rationale.")] = None,
    device: Annotated[str | None, typer.Option(help="HF narrator: torch device (cpu, cuda, ...).")] = None,
    threads: Annotated[int | None, typer.Option(help="HF narrator: CPU threads for torch.")] = None,
    dtype: Annotated[str | None, typer.Option(help="HF narrator: auto, float32, bfloat16 or float16.")] = None,
    prefix_cache: Annotated[bool | None, typer.Option("--prefix-cache/--no-prefix-cache", help="HF narrator: prefill the prompt prefix a batch shares once (default: on).")] = None,
    adapter: Annotated[str | None, typer.Option(help="HF narrator: LoRA adapter folder from `codecot train`, or 'none' for the bare model (default: the shipped adapter for the embedded SmolLM2).")] = None,
    guided: Annotated[int | None, typer.Option(help="HF narrator: guided decoding, K tries per step: each step is checked as it is written and a refuted or undecided one is sampled again (default 0: off).")] = None,
    guided_branch: Annotated[bool | None, typer.Option("--guided-branch/--no-guided-branch", help="HF narrator, guided: every second further try of a step branches off a refuted try where it wrote a value, writing the model's next likeliest value there (default: off).")] = None,
    guided_skips: Annotated[int | None, typer.Option(help="HF narrator, guided: times a step whose K tries all failed is skipped: written again, K more tries, about another line than the failed tries named (default 2).")] = None,
    program_constraints: Annotated[bool | None, typer.Option("--program-constraints/--no-program-constraints", help="HF narrator: narrow the decoding grammar to each record's program: its names and line numbers, each line's own statement and condition, the record's call in the final answer (default: on).")] = None,
    num_gpus: Annotated[float, typer.Option(help="Ray engine: GPUs per narration actor.")] = 0.0,
    actors: Annotated[int, typer.Option(help="Ray engine: narration actors.")] = 1,
    ray_address: Annotated[str | None, typer.Option(help="Ray engine: cluster address (default: start a local instance).")] = None,
) -> None:
    """Run the whole pipeline (trace, narrate, verify) and write the dataset and the report.

    OUTDIR gets accepted.jsonl, rejected.jsonl, errors.jsonl, dataset.jsonl, dataset.parquet,
    summary.json and report.html.  A killed run resumes when started again with the same command.
    """
    from codecot.narrate.registry import parse_narrators
    from codecot.pipeline.narrate_stage import directions_of
    from codecot.pipeline.run import RunConfig, check_engine, run_pipeline

    _no_extras(ctx)
    try:
        dirs = directions_of(direction)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from exc
    check_engine(engine)
    if fmt not in ("steps", "free", "auto"):
        raise InvalidArgument(f"--format must be steps, free or auto, not {fmt!r}")
    options: dict[str, Any] = {"seed": seed, "max_iterations": max_iterations, "model": model,
                               "grounded": grounded, "batch_size": batch_size,
                               "max_new_tokens": max_new_tokens, "device": device,
                               "threads": threads, "dtype": dtype,
                               "prefix_cache": prefix_cache, "adapter": adapter,
                               "guided": guided, "guided_branch": guided_branch,
                               "guided_skips": guided_skips,
                               "program_constraints": program_constraints}
    cfg = RunConfig(corpus=corpus, outdir=output, narrators=parse_narrators(narrator),
                    directions=dirs, engine=engine, jobs=jobs, limit=limit,
                    policy=policy or "strict", fmt=fmt, free_policy=policy or "free",
                    chunk_size=chunk_size, timeout=timeout, memory_mb=memory_mb,
                    narrator_options={k: v for k, v in options.items() if v is not None},
                    rationales=rationales, fresh=fresh, report=report, ray_num_gpus=num_gpus,
                    ray_actors=actors, ray_address=ray_address)
    from codecot.progress import progress_bar

    bar = progress_bar(0, "run")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        result = run_pipeline(cfg, on_progress=progress)
    finally:
        bar.close()
    typer.echo(result.line())
    ds = result.summary["dataset"]
    typer.echo(f"dataset: {ds['jsonl']}" + (f" and {ds['parquet']}" if ds["parquet"] else "")
               + f" ({ds['rows']} rows)")
    if "report" in result.summary:
        typer.echo(f"report: {result.summary['report']}")
    typer.echo(f"summary: {output / 'summary.json'}")


def report_command(
    ctx: typer.Context,
    outdir: Annotated[Path, typer.Argument(help="A run directory written by `codecot run`.")],
    max_rationales: Annotated[int, typer.Option(help="Free-form rationales shown in full (the rest are counted).")] = 40,
) -> None:
    """Write the error-mode report (report.html) of a run directory and update summary.json."""
    from codecot.report.html import report_outdir

    _no_extras(ctx)
    if max_rationales < 0:
        raise InvalidArgument(f"--max-rationales must be >= 0, not {max_rationales}")
    if not (outdir / "accepted.jsonl").exists() and not (outdir / "rejected.jsonl").exists():
        raise InvalidArgument(f"{outdir} is not a codecot run directory (no accepted.jsonl or "
                              "rejected.jsonl)")
    path, summary = report_outdir(outdir, max_rationales)
    slots = ", ".join(f"{k}: {v['accepted']}/{v['total']} accepted"
                      for k, v in summary["by_slot"].items())
    typer.echo(f"report of {outdir} ({slots or 'no rationales'}) -> {path}")
