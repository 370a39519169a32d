"""Batched generation of rationales, constrained or free.

:func:`generate_batch` runs ``model.generate`` on left-padded prompts.  Constrained, a
:class:`~codecot.narrate.constrain.GrammarLogitsProcessor` keeps every row inside the
rationale grammar, which ends each row right after its final step.  Free, a stopping
criterion ends a row once a line parses as the final step (the answer forward, the input
backward) or the row reaches the step limit, and the text is cut there.

Prompts of one batch usually begin alike (chat template, system message, often an example):
with a :class:`PrefixCache` the longest token prefix they share is run through the model once,
its key/value cache repeated for every row, and only each row's own rest is prefilled.  The
rests are left-padded *after* the shared prefix; position ids follow the attention mask, so
every row sees the same positions as without the cache.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from codecot.claims import StepParseError, parse_step
from codecot.claims.model import AnswerClaim, InputClaim
from codecot.narrate.constrain import GrammarConstraint, PrefetchMasks

FINAL_CLAIMS: dict[str, type] = {"forward": AnswerClaim, "backward": InputClaim}

#: Shortest shared prefix worth caching, in tokens.
MIN_SHARED_PREFIX = 16


@dataclass(frozen=True)
class Generated:
    """One generated rationale: ``text`` (complete steps only), new-token count, flags."""

    text: str
    tokens: int
    finished: bool  # ended with its final step (not cut by the token or step limit)
    grammar_failures: int = 0
    token_ids: tuple[int, ...] = ()  # every generated token, end-of-sequence excluded
    mask_seconds: float = 0.0  # the batch's decoding time spent waiting on grammar masks


def is_final_line(line: str, direction: str) -> bool:
    """Whether ``line`` parses as the final step of a ``direction`` rationale."""
    try:
        claim = parse_step(line, explain=False)
    except StepParseError:
        return False
    return isinstance(claim, FINAL_CLAIMS[direction])


def cut_text(text: str, direction: str, max_steps: int) -> tuple[str, bool]:
    """Non-blank lines of ``text`` up to the first final step (and at most ``max_steps``)."""
    lines = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        lines.append(line.rstrip())
        if is_final_line(line, direction):
            return "\n".join(lines), True
        if len(lines) >= max_steps:
            break
    return "\n".join(lines), False


class _FreeStop:
    """Stopping criterion for free generation: a row is done after its final line."""

    def __init__(self, tokenizer: Any, prompt_len: int, directions: list[str],
                 max_steps: int) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.directions = directions
        self.max_steps = max_steps
        self.newline_ids = {i for t, i in tokenizer.get_vocab().items()
                            if "\n" in tokenizer.convert_tokens_to_string([t])}
        self.done = [False] * len(directions)

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        last = input_ids[:, -1].tolist()
        for row, token in enumerate(last):
            if self.done[row] or token not in self.newline_ids:
                continue
            text = self.tokenizer.decode(input_ids[row, self.prompt_len:],
                                         skip_special_tokens=True)
            lines = [ln for ln in text.split("\n")[:-1] if ln.strip()]
            if (lines and is_final_line(lines[-1], self.directions[row])) \
                    or len(lines) >= self.max_steps:
                self.done[row] = True
        return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)


def shared_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """Length of the longest common prefix of ``rows``, leaving every row at least one token."""
    if not rows:
        return 0
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    for i in range(max(limit, 0)):
        token = first[i]
        if any(r[i] != token for r in rows):
            return i
    return max(limit, 0)


class PrefixCache:
    """The key/value cache of a token prefix, computed once and reused while batches share it.

    :meth:`cache_for` returns a fresh ``DynamicCache`` holding the prefix for ``rows`` rows
    (the stored tensors are expanded, not copied; generation appends to copies).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.key: tuple[int, ...] = ()
        self.layers: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.computed = 0  # how many prefixes were run through the model

    def cache_for(self, prefix: Sequence[int], rows: int) -> Any:
        from transformers import DynamicCache

        key = tuple(prefix)
        if key != self.key:
            ids = torch.tensor([key], dtype=torch.long, device=self.model.device)
            with torch.inference_mode():
                out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
            cache = out.cache if hasattr(out, "cache") else out.past_key_values
            self.layers = [(layer.keys, layer.values) for layer in cache.layers]
            self.key = key
            self.computed += 1
        cache = DynamicCache(config=self.model.config)
        for index, (keys, values) in enumerate(self.layers):
            cache.update(keys.expand(rows, -1, -1, -1), values.expand(rows, -1, -1, -1), index)
        return cache


def _cache_argument(model: Any) -> str:
    """The keyword ``generate`` takes a cache by: ``cache`` in transformers 5, else
    ``past_key_values``."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else \
        "past_key_values"


def _pad_batch(rows: list[list[int]], shared: int, pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input ids and attention mask: the first ``shared`` tokens, then each row's rest
    left-padded to the longest rest."""
    width = max(len(r) for r in rows) - shared
    ids, mask = [], []
    for row in rows:
        rest = row[shared:]
        gap = width - len(rest)
        ids.append(row[:shared] + [pad] * gap + rest)
        mask.append([1] * shared + [0] * gap + [1] * len(rest))
    return torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long)


class _Progress:
    """A stopping criterion that never stops: it reports each decoding step's new tokens."""

    def __init__(self, rows: int, on_tokens: Callable[[int], None], eos: int) -> None:
        self.alive = [True] * rows
        self.on_tokens = on_tokens
        self.eos = eos
        self.first = True

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        last = input_ids[:, -1].tolist()
        self.on_tokens(sum(self.alive))
        for row, token in enumerate(last):
            if token == self.eos:
                self.alive[row] = False
        return torch.zeros(len(last), dtype=torch.bool, device=input_ids.device)


def generate_batch(model: Any, tokenizer: Any, prompts: list[str], directions: list[str], *,
                   constraint: GrammarConstraint | None, max_new_tokens: int,
                   temperature: float, seed: int, max_steps: int,
                   on_tokens: Callable[[int], None] | None = None,
                   overlap: bool = True,
                   prefix_cache: PrefixCache | None = None) -> list[Generated]:
    """Generate one rationale per prompt in one padded batch.

    Constrained with ``overlap``, each step's grammar masks are computed on a background
    thread while the model runs (see :class:`~codecot.narrate.constrain.PrefetchMasks`).
    With ``prefix_cache``, the prompts' shared token prefix (when at least
    :data:`MIN_SHARED_PREFIX` long) is prefilled once for the whole batch."""
    from transformers import (
        GenerationConfig,
        LogitsProcessorList,
        StoppingCriteriaList,
    )

    rows = [list(r) for r in tokenizer(prompts, add_special_tokens=False)["input_ids"]]
    shared = shared_prefix_length(rows) if prefix_cache is not None else 0
    if shared < MIN_SHARED_PREFIX:
        shared = 0
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else \
        tokenizer.eos_token_id
    input_ids, attention_mask = _pad_batch(rows, shared, int(pad_id))
    enc: dict[str, Any] = {"input_ids": input_ids.to(model.device),
                           "attention_mask": attention_mask.to(model.device)}
    if shared and prefix_cache is not None:
        enc[_cache_argument(model)] = prefix_cache.cache_for(rows[0][:shared], len(rows))
    prompt_len = input_ids.shape[1]
    eos = int(tokenizer.eos_token_id)
    config = GenerationConfig(
        max_new_tokens=max_new_tokens, do_sample=temperature > 0,
        temperature=temperature if temperature > 0 else None, top_k=None, top_p=None,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=eos)
    processors: list[Any] = []
    criteria: list[Any] = []
    processor = None
    if constraint is not None:
        processor = constraint.processor(directions, overlap=overlap)
        processors.append(processor)
        if overlap:
            criteria.append(PrefetchMasks(processor))
    else:
        criteria.append(_FreeStop(tokenizer, prompt_len, directions, max_steps))
    if on_tokens is not None:
        criteria.append(_Progress(len(prompts), on_tokens, eos))
    torch.manual_seed(seed)
    try:
        with torch.inference_mode():
            out = model.generate(**enc, generation_config=config,
                                 logits_processor=LogitsProcessorList(processors),
                                 stopping_criteria=StoppingCriteriaList(criteria))
    finally:
        if processor is not None:
            processor.close()
    results = []
    for row, direction in enumerate(directions):
        new = out[row, prompt_len:].tolist()
        ended = eos in new
        if ended:
            new = new[:new.index(eos)]
        text = tokenizer.decode(new, skip_special_tokens=True)
        if constraint is not None:
            lines = [ln.rstrip() for ln in text.split("\n")]
            if not ended:  # cut by max_new_tokens: the last line is unfinished
                lines = lines[:-1]
            body, finished = "\n".join(ln for ln in lines if ln.strip()), ended
        else:
            body, finished = cut_text(text, direction, max_steps)
        results.append(Generated(body, len(new) + (1 if ended else 0), finished,
                                 processor.failures if processor is not None else 0,
                                 tuple(new), processor.seconds if processor is not None else 0.0))
    return results


class TokenRate:
    """Counts generated tokens and time, for progress bars and benchmarks."""

    def __init__(self) -> None:
        self.tokens = 0
        self.seconds = 0.0
        self._start: float | None = None

    def __enter__(self) -> TokenRate:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start is not None:
            self.seconds += time.perf_counter() - self._start
            self._start = None

    def add(self, n: int) -> None:
        self.tokens += n

    @property
    def rate(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0
