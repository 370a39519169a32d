"""Helpers shared by the ``codecot bench`` modules."""

from __future__ import annotations

from pathlib import Path

from codecot.corpus import CorpusRecord, load_records


def valid_records(corpus: str | Path) -> list[CorpusRecord]:
    """The well-formed records of ``corpus``, in file order (malformed lines are skipped)."""
    return [r for r in load_records(corpus) if isinstance(r, CorpusRecord)]
