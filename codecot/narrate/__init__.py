"""Narrators: write rationales (one step per line) for a corpus record and its trace."""

from codecot.narrate.base import NarrationError, Narrator, Rationale

__all__ = ["NarrationError", "Narrator", "Rationale"]
