"""Small shims over version differences between the training libraries.

``quiet_checkpointing_alias`` is shared with the HF narrator's adapter loading, where it lives.
"""

from __future__ import annotations

from codecot.narrate.hf.adapter import quiet_checkpointing_alias

__all__ = ["quiet_checkpointing_alias"]
