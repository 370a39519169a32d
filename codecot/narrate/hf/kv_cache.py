"""A key/value cache that grows into spare room instead of being copied at every token.

transformers' ``DynamicCache`` appends each new token's keys and values with ``torch.cat``,
which copies a layer's whole cache at every decoding step; with a batch of 8 rows and a few
hundred columns, that copying took about a sixth of a narration's time on the CPU.
:func:`grow_in_place` swaps each layer of a prefilled ``DynamicCache`` for a
:class:`GrowingLayer`: the same keys and values held at the start of a larger buffer, new
columns written into the spare room, and the buffer doubled when it is full.  The keys and
values the model reads are views of the filled part, equal to what ``DynamicCache`` would hold
(the model's outputs are bit-identical).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicLayer  # transformers >= 4.56, as the hf extra pins


def _buffer(like: torch.Tensor, columns: int) -> torch.Tensor:
    shape = list(like.shape)
    shape[-2] = columns
    return like.new_empty(shape)


class GrowingLayer(DynamicLayer):
    """One layer's keys and values in buffers with room to grow (see the module doc)."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, room: int) -> None:
        super().__init__()
        self.is_initialized = True
        self.device = keys.device
        self.filled = keys.shape[-2]
        self.key_buffer = _buffer(keys, self.filled + room)
        self.value_buffer = _buffer(values, self.filled + room)
        self.key_buffer[..., :self.filled, :] = keys
        self.value_buffer[..., :self.filled, :] = values
        self._view()

    def _view(self) -> tuple[torch.Tensor, torch.Tensor]:
        keys = self.key_buffer[..., :self.filled, :]
        values = self.value_buffer[..., :self.filled, :]
        self.keys, self.values = keys, values
        return keys, values

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Write the new columns after the filled ones (doubling the buffers when full) and
        return every filled column's keys and values."""
        end = self.filled + key_states.shape[-2]
        if end > self.key_buffer.shape[-2]:
            columns = max(2 * self.key_buffer.shape[-2], end)
            keys, values = _buffer(self.key_buffer, columns), _buffer(self.value_buffer, columns)
            keys[..., :self.filled, :] = self.key_buffer[..., :self.filled, :]
            values[..., :self.filled, :] = self.value_buffer[..., :self.filled, :]
            self.key_buffer, self.value_buffer = keys, values
        self.key_buffer[..., self.filled:end, :] = key_states
        self.value_buffer[..., self.filled:end, :] = value_states
        self.filled = end
        return self._view()

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep only the rows ``indices`` (the buffers are copied once)."""
        self.key_buffer = self.key_buffer[indices, ...]
        self.value_buffer = self.value_buffer[indices, ...]
        self._view()

    def crop(self, tokens_to_remove: int) -> None:
        """Drop the last ``-tokens_to_remove`` columns (a negative count, as ``DynamicLayer``
        takes it)."""
        if tokens_to_remove > 0:
            raise ValueError("crop takes a negative number of columns to remove")
        self.filled = max(0, self.filled + tokens_to_remove)
        self._view()

    def batch_repeat_interleave(self, repeats: int) -> None:
        self.key_buffer = self.key_buffer.repeat_interleave(repeats, dim=0)
        self.value_buffer = self.value_buffer.repeat_interleave(repeats, dim=0)
        self._view()


def grow_in_place(cache: Any, room: int) -> int:
    """Swap every filled plain ``DynamicLayer`` of ``cache`` for a :class:`GrowingLayer` with
    ``room`` spare columns; the number of layers swapped."""
    swapped = 0
    for index, layer in enumerate(getattr(cache, "layers", ())):
        keys, values = layer.keys, layer.values
        if type(layer) is DynamicLayer and keys is not None and values is not None \
                and keys.numel():
            cache.layers[index] = GrowingLayer(keys, values, room)
            swapped += 1
    return swapped
