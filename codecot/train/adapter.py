"""Applying a saved LoRA adapter to a loaded base model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument
from codecot.train.compat import quiet_checkpointing_alias

ADAPTER_CONFIG = "adapter_config.json"


def load_adapter(model: Any, path: str | Path, *, merge: bool = True) -> Any:
    """Apply the adapter saved in ``path`` (by ``codecot train``) to ``model``, a loaded base
    model of the same architecture, and return the model to use.

    With ``merge`` (the default) the LoRA weights are folded into the base weights and a plain
    transformers model comes back: generation costs exactly what the base model's does, and the
    adapter cannot be switched off again.  ``merge=False`` returns PEFT's ``PeftModel`` wrapping
    ``model`` (the adapter kept apart, e.g. for ``disable_adapter()``).  Either way ``model``
    itself is modified in place and the result is in eval mode.
    """
    from codecot.train.hardware import require_train

    require_train(("torch", "transformers", "peft"))
    from peft import PeftModel

    folder = Path(path)
    if not (folder / ADAPTER_CONFIG).is_file():
        raise InvalidArgument(f"adapter {folder}: no {ADAPTER_CONFIG} (not a codecot train output)")
    with quiet_checkpointing_alias():
        peft_model = PeftModel.from_pretrained(model, str(folder), is_trainable=False)
    result = peft_model.merge_and_unload() if merge else peft_model
    result.eval()
    return result
