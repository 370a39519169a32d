"""The ``codecot solve`` command (DESIGN.md §6, issue 5)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from codecot.errors import InvalidArgument


def solve_command(
    corpus: Annotated[Path, typer.Argument(help="Corpus JSONL file (records with outputs).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Solutions JSONL file.")],
    hint: Annotated[str, typer.Option(help="types: use the input's type skeleton; none: infer "
                                           "types from the code.")] = "types",
    timeout: Annotated[float, typer.Option(help="Wall-clock seconds per record.")] = 10.0,
    alternatives: Annotated[int, typer.Option(help="Find up to K distinct inputs.")] = 1,
    concolic: Annotated[bool, typer.Option(help="Use concolic search when available.")] = True,
    seed: Annotated[int, typer.Option(help="Seed of the random search.")] = 0,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes "
                                             "(default: CPU count).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N records.")] = None,
) -> None:
    """Find, for each record, an input that makes its function return the record's output."""

    from codecot.corpus import load_records
    from codecot.jsonl import write_line
    from codecot.progress import progress_bar
    from codecot.solve.portfolio import SolveOptions
    from codecot.solve.run import SolveSummary, solve_records

    if not corpus.is_file():
        raise InvalidArgument(f"corpus {corpus} does not exist or is not a file")
    try:
        options = SolveOptions(hint=hint, timeout=timeout, alternatives=alternatives,
                               concolic=concolic, seed=seed)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from exc
    records = load_records(corpus, limit)
    summary = SolveSummary()
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    with open(output, "w", encoding="utf-8") as fh, \
            progress_bar(len(records), "solve") as bar:
        for sol in solve_records(records, options, jobs=min(workers, max(1, len(records)))):
            write_line(fh, sol)
            fh.flush()
            summary.add(sol)
            bar.update(1)
    typer.echo(summary.line() + f" -> {output}")
