"""Applying a saved LoRA adapter to a loaded base model.

The function lives with the HF narrator (:mod:`codecot.narrate.hf.adapter`), which loads
adapters for narration; it is re-exported here for training code and users of this package.
:func:`cast_adapter_weights` rewrites saved weights in a smaller dtype.
"""

from __future__ import annotations

import os
from pathlib import Path

from codecot.narrate.hf.adapter import ADAPTER_CONFIG, load_adapter

__all__ = ["ADAPTER_CONFIG", "WEIGHTS", "cast_adapter_weights", "load_adapter"]

WEIGHTS = "adapter_model.safetensors"


def cast_adapter_weights(folder: Path, dtype: str) -> int:
    """Rewrite ``folder``'s adapter weights in ``dtype`` (``float32`` or ``bfloat16``),
    atomically; return the file's size in bytes.  Merging casts them to the model's dtype."""
    import torch
    from safetensors.torch import load_file, save_file

    path = folder / WEIGHTS
    tensors = load_file(str(path))
    wanted = getattr(torch, dtype)
    if any(t.dtype != wanted for t in tensors.values()):
        tmp = path.with_name(f".{path.name}.tmp")
        save_file({k: t.to(wanted).contiguous() for k, t in tensors.items()}, str(tmp),
                  metadata={"format": "pt"})
        os.replace(tmp, path)
    return path.stat().st_size
