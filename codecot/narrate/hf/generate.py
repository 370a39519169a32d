"""Batched generation of rationales, constrained or free.

:func:`generate_batch` runs ``model.generate`` on left-padded prompts.  Constrained, a
:class:`~codecot.narrate.constrain.GrammarLogitsProcessor` keeps every row inside the
rationale grammar, which ends each row right after its final step.  Free, a stopping
criterion ends a row once a line parses as the final step (the answer forward, the input
backward) or the row reaches the step limit, and the text is cut there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from codecot.claims import StepParseError, parse_step
from codecot.claims.model import AnswerClaim, InputClaim
from codecot.narrate.constrain import GrammarConstraint, PrefetchMasks

FINAL_CLAIMS: dict[str, type] = {"forward": AnswerClaim, "backward": InputClaim}


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
                   overlap: bool = True) -> list[Generated]:
    """Generate one rationale per prompt in one padded batch.

    Constrained with ``overlap``, each step's grammar masks are computed on a background
    thread while the model runs (see :class:`~codecot.narrate.constrain.PrefetchMasks`)."""
    from transformers import (
        GenerationConfig,
        LogitsProcessorList,
        StoppingCriteriaList,
    )

    enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    enc = {k: v.to(model.device) for k, v in enc.items()}
    prompt_len = enc["input_ids"].shape[1]
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
