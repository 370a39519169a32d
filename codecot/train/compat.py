"""Small shims over version differences between the training libraries."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_checkpointing_alias() -> Iterator[None]:
    """Silence transformers' FutureWarning about ``is_gradient_checkpointing``, the deprecated
    alias PEFT still reads when it wraps a model (nothing the user can act on)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*",
                                category=FutureWarning)
        yield
