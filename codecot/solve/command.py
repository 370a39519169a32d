"""The ``codecot solve`` command (issue 5)."""

from __future__ import annotations

import typer


def solve_command(ctx: typer.Context) -> None:
    """Find inputs that reproduce each record's output."""
    typer.echo("codecot solve is not available yet (backward verifier and input solving, issue 5).",
               err=True)
    raise typer.Exit(2)
