"""CLI commands of the pipeline: ``codecot run`` and ``codecot report`` (issue 7)."""

from __future__ import annotations

import typer


def run_command(ctx: typer.Context) -> None:
    """Run the whole pipeline: trace, narrate, verify, write the dataset and the report."""
    typer.echo("codecot run is not available yet (pipeline, issue 7).", err=True)
    raise typer.Exit(2)


def report_command(ctx: typer.Context) -> None:
    """Write the error-mode report of a run directory."""
    typer.echo("codecot report is not available yet (pipeline, issue 7).", err=True)
    raise typer.Exit(2)
