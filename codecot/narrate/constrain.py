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

import functools
import time
from concurrent.futures import Future, ThreadPoolExecutor
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

    def processor(self, directions: list[str], overlap: bool = True) -> GrammarLogitsProcessor:
        """A logits processor for one batch whose rows narrate in ``directions``."""
        return GrammarLogitsProcessor(self, [self.matcher(d) for d in directions], overlap)


def _allowed(bitmask: torch.Tensor, vocab: int) -> torch.Tensor:
    """Boolean (batch, vocab) tensor of the tokens a packed int32 bitmask allows."""
    bits = np.unpackbits(bitmask.numpy().view(np.uint8), axis=1, bitorder="little")
    return torch.from_numpy(bits[:, :vocab].astype(bool))


class GrammarLogitsProcessor:
    """Masks the logits of each row to the tokens its grammar allows next.

    Rows whose matcher has stopped (after end-of-sequence) or failed may only produce
    end-of-sequence; ``failures`` counts the rows whose matcher failed (it should stay 0).

    The mask for the next step depends only on the tokens sampled so far, so it can be computed
    while the model runs its forward pass: :meth:`prefetch` (called by a stopping criterion
    right after a token is appended, and once at construction for the first step) starts it on
    a background thread, and :meth:`__call__` waits for it.  ``seconds`` is the time the
    decoding loop spent waiting on the grammar and applying the mask (the overhead it sees);
    ``compute_seconds`` is the time spent computing masks, overlapped or not.
    """

    def __init__(self, constraint: GrammarConstraint, matchers: list[Any],
                 overlap: bool = True) -> None:
        self.constraint = constraint
        self.matchers = matchers
        self.failures = 0
        self.seconds = 0.0
        self.compute_seconds = 0.0
        self._started = False
        words = (constraint.vocab_size + 31) // 32
        self._bitmask = torch.full((len(matchers), words), -1, dtype=torch.int32)
        self._eos_only = torch.zeros(words, dtype=torch.int32)
        eos = constraint.eos_token_id
        bit = 1 << (eos % 32)
        self._eos_only[eos // 32] = bit - (1 << 32) if bit >= 1 << 31 else bit
        self._pending: Future[torch.Tensor] | None = None
        self.overlap = overlap
        if overlap:
            self._pending = _mask_thread().submit(self._next_allowed, None)

    def _done(self, matcher: Any) -> bool:
        return bool(matcher.is_stopped() or matcher.is_error())

    def _next_allowed(self, last_tokens: list[int] | None) -> torch.Tensor:
        """Feed each row its last token (unless ``None``: the first step) and return the
        boolean (batch, vocab) tensor of the tokens allowed next."""
        started = time.perf_counter()
        llg = _llguidance()
        if last_tokens is not None:
            for matcher, token in zip(self.matchers, last_tokens, strict=True):
                if not self._done(matcher) and not matcher.consume_token(token):
                    self.failures += 1
        active = [(m, i) for i, m in enumerate(self.matchers) if not self._done(m)]
        if active:
            llg.torch.fill_next_token_bitmask_par(self.constraint.executor, active,
                                                  self._bitmask)
        busy = {i for _, i in active}
        for i in range(len(self.matchers)):
            if i not in busy:
                self._bitmask[i] = self._eos_only
        allowed = _allowed(self._bitmask, self.constraint.vocab_size)
        self.compute_seconds += time.perf_counter() - started
        return allowed

    def prefetch(self, input_ids: torch.Tensor) -> None:
        """Start computing the next step's mask from the token just appended to each row."""
        if self.overlap:
            self.close()
            self._pending = _mask_thread().submit(self._next_allowed, input_ids[:, -1].tolist())

    def close(self) -> None:
        """Wait for a mask still being computed (after the last step, nobody will use it)."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        started = time.perf_counter()
        if self._pending is not None:
            allowed, self._pending = self._pending.result(), None
        else:
            allowed = self._next_allowed(input_ids[:, -1].tolist() if self._started else None)
        self._started = True
        vocab = scores.shape[-1]
        if allowed.shape[1] > vocab:
            allowed = allowed[:, :vocab]
        elif allowed.shape[1] < vocab:
            pad = torch.zeros((allowed.shape[0], vocab - allowed.shape[1]), dtype=torch.bool)
            allowed = torch.cat([allowed, pad], dim=1)
        masked = scores.masked_fill(~allowed.to(scores.device), float("-inf"))
        self.seconds += time.perf_counter() - started
        return masked


class PrefetchMasks:
    """A stopping criterion that never stops: it starts the next step's grammar masks as soon
    as the step's tokens are appended, so they compute while the model runs."""

    def __init__(self, processor: GrammarLogitsProcessor) -> None:
        self.processor = processor

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        self.processor.prefetch(input_ids)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


@functools.cache
def _mask_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="codecot-grammar")
