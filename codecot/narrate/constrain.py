"""Grammar-constrained decoding with llguidance: a logits processor for ``transformers``.

:class:`GrammarConstraint` compiles the rationale grammars (derived from
``grammars/narration.lark`` by :mod:`codecot.narrate.hf.grammar`) once for a tokenizer;
:meth:`GrammarConstraint.processor` makes a fresh :class:`GrammarLogitsProcessor` for one
batch, with one llguidance matcher per row.  Before each sampled token the processor feeds the
row's previous token to its matcher, asks for the set of allowed next tokens (computed for all
rows at once, in parallel, by llguidance), and sets every other logit to ``-inf``.  When the
grammar is complete only the end-of-sequence token is allowed, so generation stops right after
the final step.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from codecot.errors import MissingDependency
from codecot.narrate.hf.grammar import DEFAULT_MAX_STEPS, rationale_grammar


def _llguidance() -> Any:
    try:
        import llguidance
        import llguidance.torch
    except ImportError as exc:
        raise MissingDependency(
            "constrained decoding needs llguidance: pip install 'codecot[hf]' "
            "(or pip install llguidance), or pass --no-constrain") from exc
    return llguidance


def ll_tokenizer(hf_tokenizer: Any, vocab_size: int | None = None) -> Any:
    """An llguidance tokenizer for a fast Hugging Face tokenizer (about 0.3 s to build)."""
    llg = _llguidance()
    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise MissingDependency("constrained decoding needs a fast (tokenizers-backed) tokenizer")
    eos = hf_tokenizer.eos_token_id
    return llg.LLTokenizer(backend.to_str(), n_vocab=vocab_size, eos_token=eos)


class GrammarConstraint:
    """The compiled rationale grammars of both directions for one tokenizer."""

    def __init__(self, hf_tokenizer: Any, vocab_size: int,
                 max_steps: int = DEFAULT_MAX_STEPS, threads: int | None = None) -> None:
        llg = _llguidance()
        self.vocab_size = vocab_size
        self.eos_token_id = int(hf_tokenizer.eos_token_id)
        self.tokenizer = ll_tokenizer(hf_tokenizer, vocab_size)
        self.grammars = {d: llg.LLMatcher.grammar_from_lark(rationale_grammar(d, max_steps))
                         for d in ("forward", "backward")}
        self.executor = llg.LLExecutor(num_threads=threads)
        for direction in self.grammars:
            probe = self.matcher(direction)
            if probe.is_error():
                raise RuntimeError(f"rationale grammar ({direction}) rejected by llguidance: "
                                   f"{probe.get_error()}")

    def matcher(self, direction: str) -> Any:
        """A fresh matcher at the start of a ``direction`` rationale."""
        llg = _llguidance()
        return llg.LLMatcher(self.tokenizer, self.grammars[direction], log_level=0)

    def processor(self, directions: list[str]) -> GrammarLogitsProcessor:
        """A logits processor for one batch whose rows narrate in ``directions``."""
        return GrammarLogitsProcessor(self, [self.matcher(d) for d in directions])


def _allowed(bitmask: torch.Tensor, vocab: int) -> torch.Tensor:
    """Boolean (batch, vocab) tensor of the tokens a packed int32 bitmask allows."""
    bits = np.unpackbits(bitmask.numpy().view(np.uint8), axis=1, bitorder="little")
    return torch.from_numpy(bits[:, :vocab].astype(bool))


class GrammarLogitsProcessor:
    """Masks the logits of each row to the tokens its grammar allows next.

    Rows whose matcher has stopped (after end-of-sequence) or failed may only produce
    end-of-sequence; ``failures`` counts the rows whose matcher failed (it should stay 0).
    """

    def __init__(self, constraint: GrammarConstraint, matchers: list[Any]) -> None:
        self.constraint = constraint
        self.matchers = matchers
        self.failures = 0
        self.seconds = 0.0  # time spent in this processor (masking overhead)
        self._started = False
        words = (constraint.vocab_size + 31) // 32
        self._bitmask = torch.full((len(matchers), words), -1, dtype=torch.int32)
        self._eos_only = torch.zeros(words, dtype=torch.int32)
        eos = constraint.eos_token_id
        bit = 1 << (eos % 32)
        self._eos_only[eos // 32] = bit - (1 << 32) if bit >= 1 << 31 else bit

    def _done(self, matcher: Any) -> bool:
        return bool(matcher.is_stopped() or matcher.is_error())

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        started = time.perf_counter()
        llg = _llguidance()
        if self._started:
            for matcher, token in zip(self.matchers, input_ids[:, -1].tolist(), strict=True):
                if not self._done(matcher) and not matcher.consume_token(token):
                    self.failures += 1
        self._started = True
        active = [(m, i) for i, m in enumerate(self.matchers) if not self._done(m)]
        if active:
            llg.torch.fill_next_token_bitmask_par(self.constraint.executor, active,
                                                  self._bitmask)
        busy = {i for _, i in active}
        for i in range(len(self.matchers)):
            if i not in busy:
                self._bitmask[i] = self._eos_only
        vocab = scores.shape[-1]
        allowed = _allowed(self._bitmask, min(vocab, self._bitmask.shape[1] * 32))
        if allowed.shape[1] < vocab:
            pad = torch.zeros((allowed.shape[0], vocab - allowed.shape[1]), dtype=torch.bool)
            allowed = torch.cat([allowed, pad], dim=1)
        masked = scores.masked_fill(~allowed.to(scores.device), float("-inf"))
        self.seconds += time.perf_counter() - started
        return masked
