"""How one token is drawn (``codecot.narrate.hf.rows.sample``): greedy, masked, and min-p."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from codecot.narrate.hf.rows import sample  # noqa: E402


def _draws(logits: list[float], temperature: float, min_p: float, n: int = 400,
           allowed: list[bool] | None = None) -> set[int]:
    gen = torch.Generator().manual_seed(0)
    mask = torch.tensor(allowed) if allowed is not None else None
    return {sample(torch.tensor(logits), mask, temperature, gen, -1, min_p) for _ in range(n)}


def test_greedy_takes_the_most_likely_allowed_token() -> None:
    assert _draws([1.0, 3.0, 2.0], 0.0, 0.0, n=1) == {1}
    assert _draws([1.0, 3.0, 2.0], 0.0, 0.0, n=1, allowed=[True, False, True]) == {2}
    assert _draws([1.0, 3.0], 0.0, 0.0, n=1, allowed=[False, False]) == {-1}


def test_a_hot_draw_without_min_p_reaches_unlikely_tokens() -> None:
    # p(2) is about 0.4% at temperature 1, and far more at temperature 3
    assert _draws([5.0, 4.9, -0.5], 3.0, 0.0) == {0, 1, 2}


def test_min_p_keeps_hot_draws_among_the_plausible_tokens() -> None:
    # token 1 is 0.9 times token 0's probability; token 2 about 0.004 times
    assert _draws([5.0, 4.9, -0.5], 3.0, 0.1) == {0, 1}
    # the share is taken among the allowed tokens: with token 0 masked out, 1 is the top
    assert _draws([5.0, 4.9, 4.0, -0.5], 3.0, 0.3, allowed=[False, True, True, True]) == {1, 2}


def test_min_p_leaves_greedy_alone() -> None:
    assert _draws([5.0, 4.9, -0.5], 0.0, 0.5, n=1) == {0}
