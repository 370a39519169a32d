"""Batched generation of rationales, constrained or free.

:func:`generate_batch` tokenizes and prefills a batch of prompts (left-padded) and hands it to
the decoding loop of :mod:`codecot.narrate.hf.decode`, which samples every row to its end:
constrained, inside the rationale grammar, steered to its final step when the token budget
runs low and (guided) checked step by step; free, until a line parses as the final step (the
answer forward, the input backward) or the row reaches the step limit, the text cut there.

Prompts of one batch usually begin alike (chat template, system message, often an example):
with a :class:`PrefixCache` the longest token prefix they share is run through the model once,
its key/value cache repeated for every row, and only each row's own rest is prefilled.  The
rests are left-padded *after* the shared prefix; position ids follow the attention mask, so
every row sees the same positions as without the cache.  After the prefill the cache's layers
grow into spare room instead of being copied at every token
(:func:`~codecot.narrate.hf.kv_cache.grow_in_place`).
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
from codecot.narrate.constrain import GrammarConstraint
from codecot.narrate.guided import StepChecker
from codecot.narrate.guided_defaults import RESAMPLE_TEMPERATURE
from codecot.narrate.hf.decode import MAX_STEP_TOKENS
from codecot.narrate.hf.kv_cache import grow_in_place
from codecot.narrate.hf.program_facts import ProgramFacts

FINAL_CLAIMS: dict[str, type] = {"forward": AnswerClaim, "backward": InputClaim}

#: Shortest shared prefix worth caching, in tokens.
MIN_SHARED_PREFIX = 16
#: Spare cache columns beyond the token budget (guided tries add rolled-back columns; a full
#: cache doubles)
GROWTH_MARGIN = 64


@dataclass(frozen=True)
class Generated:
    """One generated rationale: ``text`` (complete steps only), kept-token count, flags."""

    text: str
    tokens: int  # kept tokens, end-of-sequence included
    finished: bool  # ended with its final step (not cut by the token or step limit)
    grammar_failures: int = 0
    token_ids: tuple[int, ...] = ()  # every kept token, end-of-sequence excluded
    mask_seconds: float = 0.0  # the batch's decoding time spent waiting on grammar masks
    closed_early: bool = False  # steered to its final step by the token budget
    resamples: tuple[int, ...] = ()  # guided: tries beyond the first, per kept step
    sampled: int = 0  # tokens sampled, rolled-back tries included
    skipped: tuple[int, ...] = ()  # guided: rounds of tries thrown away, per kept step


def is_final_line(line: str, direction: str) -> bool:
    """Whether ``line`` parses as the final step of a ``direction`` rationale (as the
    verifier parses it: the fast parser, then Lark's where it fails)."""
    try:
        claim = parse_step(line)
    except StepParseError:
        return False
    return isinstance(claim, FINAL_CLAIMS[direction])


def is_step_line(line: str) -> bool:
    """Whether ``line`` parses as a step (a claim), as the verifier parses it."""
    try:
        parse_step(line)
    except StepParseError:
        return False
    return True


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


def _prefill(model: Any, rows: list[list[int]], shared: int, pad: int,
             prefix_cache: PrefixCache | None) -> tuple[torch.Tensor, torch.Tensor, Any]:
    """Run the prompts through the model: the last logits (rows, vocab), the attention mask
    (rows, columns) and the key/value cache."""
    from transformers import DynamicCache

    input_ids, attention_mask = _pad_batch(rows, shared, pad)
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    if shared and prefix_cache is not None:
        cache = prefix_cache.cache_for(rows[0][:shared], len(rows))
    else:
        cache = DynamicCache(config=model.config)
    out = model(input_ids=input_ids[:, shared:].to(model.device),
                attention_mask=attention_mask.to(model.device),
                position_ids=positions[:, shared:].to(model.device),
                use_cache=True, logits_to_keep=1, **{_cache_argument(model): cache})
    return out.logits[:, -1, :].float().cpu(), attention_mask, cache


def generate_batch(model: Any, tokenizer: Any, prompts: list[str], directions: list[str], *,
                   constraint: GrammarConstraint | None, max_new_tokens: int,
                   temperature: float, seed: int, max_steps: int,
                   on_tokens: Callable[[int], None] | None = None,
                   overlap: bool = True,
                   prefix_cache: PrefixCache | None = None,
                   reserves: Sequence[int] | None = None,
                   checkers: Sequence[StepChecker | None] | None = None,
                   tries: int = 1,
                   resample_temperature: float = RESAMPLE_TEMPERATURE,
                   resample_step: float = 0.0,
                   resample_min_p: float = 0.0,
                   branch_min_p: float | None = None,
                   skips: int = 0,
                   programs: Sequence[ProgramFacts | None] | None = None,
                   max_step_tokens: int = MAX_STEP_TOKENS) -> list[Generated]:
    """Generate one rationale per prompt in one padded batch.

    Constrained with ``overlap``, each step's grammar masks are computed on a background
    thread while the model runs.  With ``prefix_cache``, the prompts' shared token prefix (when
    at least :data:`MIN_SHARED_PREFIX` long) is prefilled once for the whole batch.
    ``reserves`` are the rows' closing reserves (default 0: never steered before the last
    token); with ``checkers`` and ``tries`` > 1 decoding is guided (see
    :mod:`codecot.narrate.hf.decode`; ``branch_min_p``: failed tries are branched off;
    ``skips``: rounds of failed tries a step may throw away); ``programs`` narrow the rows' grammars to their
    programs (:mod:`codecot.narrate.hf.program_grammar`); a middle step reaching
    ``max_step_tokens`` unfinished is sampled again.  A row's sampling seed comes from
    ``seed`` and its prompt (:func:`~codecot.narrate.hf.rows.row_seed`)."""
    from codecot.narrate.hf.decode import Decoder
    from codecot.narrate.hf.rows import RowSpec, row_seed

    rows = [list(r) for r in tokenizer(prompts, add_special_tokens=False)["input_ids"]]
    shared = shared_prefix_length(rows) if prefix_cache is not None else 0
    if shared < MIN_SHARED_PREFIX:
        shared = 0
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else \
        tokenizer.eos_token_id
    specs = [RowSpec(direction, max_new_tokens, reserves[i] if reserves else 0,
                     checkers[i] if checkers else None, row_seed(seed, prompts[i]),
                     programs[i] if programs else None)
             for i, direction in enumerate(directions)]
    decoder = Decoder(tokenizer, constraint, specs, [len(r) for r in rows],
                      temperature=temperature, tries=tries,
                      resample_temperature=resample_temperature, resample_step=resample_step,
                      resample_min_p=resample_min_p, branch_min_p=branch_min_p, skips=skips,
                      max_steps=max_steps, max_step_tokens=max_step_tokens,
                      overlap=overlap, is_final=is_final_line, is_step=is_step_line)
    cache_arg = _cache_argument(model)
    with torch.inference_mode():
        logits, attention, cache = _prefill(model, rows, shared, int(pad_id), prefix_cache)
        grow_in_place(cache, max_new_tokens + GROWTH_MARGIN)

        def forward(ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor,
                    ) -> torch.Tensor:
            out = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device),
                        position_ids=positions.to(model.device), use_cache=True,
                        **{cache_arg: cache})
            return out.logits[:, -1, :].float().cpu()

        def select(index: torch.Tensor) -> None:
            cache.batch_select_indices(index.to(model.device))

        done = decoder.run(logits, attention, forward, select, on_tokens)
    results = []
    for row in done:
        if constraint is not None:
            kept = row.tokens if row.ended else row.tokens[:row.step_start]
            text = tokenizer.decode(kept, skip_special_tokens=True)
            body = "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())
            finished = row.ended and row.final_ok
        else:
            body, finished = cut_text(tokenizer.decode(row.tokens, skip_special_tokens=True),
                                      row.spec.direction, max_steps)
        results.append(Generated(body, len(row.tokens) + (1 if row.ended else 0), finished,
                                 row.failures, tuple(row.tokens), decoder.mask_seconds,
                                 row.steered, tuple(row.resamples), row.sampled,
                                 tuple(row.skipped)))
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
