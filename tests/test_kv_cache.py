"""The growing key/value cache (``narrate/hf/kv_cache.py``): it holds exactly what
transformers' ``DynamicCache`` holds, through growth, row selection and cropping, and the
narrator's output does not change with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_hf_narrator import _demo_items, terse, tiny_model  # noqa: F401

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


def _pair(room: int) -> tuple[Any, Any]:
    from transformers.cache_utils import DynamicLayer

    from codecot.narrate.hf.kv_cache import GrowingLayer

    gen = torch.Generator().manual_seed(0)
    keys, values = torch.randn(3, 2, 5, 4, generator=gen), torch.randn(3, 2, 5, 4, generator=gen)
    plain = DynamicLayer()
    plain.update(keys, values)
    return plain, GrowingLayer(keys, values, room)


def _same(a: Any, b: Any) -> bool:
    return bool(torch.equal(a.keys, b.keys) and torch.equal(a.values, b.values))


def test_growing_layer_holds_what_dynamic_layer_holds_through_growth() -> None:
    plain, growing = _pair(room=2)
    assert _same(plain, growing) and growing.get_seq_length() == 5
    gen = torch.Generator().manual_seed(1)
    for step in range(6):  # past the room of 2: the buffers double, twice
        k, v = torch.randn(3, 2, 1, 4, generator=gen), torch.randn(3, 2, 1, 4, generator=gen)
        out_plain, out_growing = plain.update(k, v), growing.update(k, v)
        assert torch.equal(out_plain[0], out_growing[0])
        assert torch.equal(out_plain[1], out_growing[1])
        assert _same(plain, growing) and growing.get_seq_length() == 6 + step
    assert growing.key_buffer.shape[-2] >= 11
    # a wrong column is caught: the comparison can fail
    growing.key_buffer[0, 0, 0, 0] += 1
    assert not _same(plain, growing)


def test_growing_layer_selects_rows_and_crops_as_dynamic_layer_does() -> None:
    plain, growing = _pair(room=4)
    index = torch.tensor([2, 0])
    plain.batch_select_indices(index)
    growing.batch_select_indices(index)
    assert _same(plain, growing) and growing.keys.shape[0] == 2
    plain.crop(-2)
    growing.crop(-2)
    assert _same(plain, growing) and growing.get_seq_length() == 3
    k, v = torch.ones(2, 2, 1, 4), torch.zeros(2, 2, 1, 4)
    plain.update(k, v)
    growing.update(k, v)
    assert _same(plain, growing)
    with pytest.raises(ValueError):
        growing.crop(1)


def test_narration_is_the_same_with_the_growing_cache(tiny_model: Path,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from codecot.narrate.hf import HFNarrator, HFSettings, generate

    narrator = HFNarrator(HFSettings(model=str(tiny_model), batch_size=4, max_steps=6,
                                     examples=1, threads=1, temperature=0.8),
                          loaded=terse(tiny_model))
    items = _demo_items()
    swapped: list[int] = []
    real = generate.grow_in_place

    def counting(cache: Any, room: int) -> int:
        swapped.append(real(cache, room))
        return swapped[-1]

    monkeypatch.setattr(generate, "grow_in_place", counting)
    grown = narrator.narrate_many(items)
    assert swapped and all(n > 0 for n in swapped)  # the cache did grow in place
    monkeypatch.setattr(generate, "grow_in_place", lambda cache, room: 0)
    plain = narrator.narrate_many(items)
    assert [r.text for r in grown] == [r.text for r in plain]  # type: ignore[union-attr]
    assert any(r.text for r in grown)  # type: ignore[union-attr]
