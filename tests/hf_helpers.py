"""Shared helpers of the HF narrator tests: a small tokenizer trained on the spot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parent.parent / "corpora" / "demo.jsonl"


def bpe_tokenizer(vocab_size: int) -> Any:
    """A byte-level BPE tokenizer (``tokenizers``) trained on :func:`corpus_text`, with the
    chat tokens ``<|im_start|>`` and ``<|im_end|>``."""
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|im_start|>", "<|im_end|>"],
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus_text(), trainer)
    return tok


def ll_tokenizer() -> Any:
    """llguidance and an llguidance tokenizer of a small BPE (:func:`bpe_tokenizer`, no
    download)."""
    llg = pytest.importorskip("llguidance")
    tok = bpe_tokenizer(300)
    return llg, llg.LLTokenizer(tok.to_str(), eos_token=tok.token_to_id("<|im_end|>"))


def corpus_text() -> list[str]:
    return [DEMO.read_text(encoding="utf-8"),
            "Call f with x = 4.\nLine 2: x = x + 1, so x is 5.\nSo f(4) returns 5.\n"
            "We need f(x) to return 5.\nLet x be 4.\nSo the input is 4.\n"]
