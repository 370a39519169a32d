"""The state of one row of a decoding batch (:class:`Row`, with its :class:`RowSpec` and the
rolled-back tries of its current step), its sampling seed, how one token is drawn, and where
a guided try branches off a refuted one (:func:`alternatives`, :func:`branch_point`)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from codecot.narrate.guided import StepChecker, Target
from codecot.narrate.hf import closing as C
from codecot.narrate.hf.program_facts import ProgramFacts
from codecot.narrate.hf.word_bounds import value_token
from codecot.verify.verdicts import Verdict


@dataclass(frozen=True)
class RowSpec:
    """One row of a batch: its direction, token budget, closing reserve, step checker (or
    None), sampling seed and the program facts its grammar is narrowed to (or None)."""

    direction: str
    budget: int
    reserve: int
    checker: StepChecker | None = None
    seed: int = 0
    program: ProgramFacts | None = None


#: The likeliest allowed tokens at one position of a step, most likely first, each with its
#: probability among the allowed ones (temperature 1).
Alternatives = tuple[tuple[int, float], ...]

#: How many of a position's likeliest allowed tokens a row remembers for branching.
ALTERNATIVES = 4


@dataclass
class Try:
    """A rolled-back try of a step: its tokens and cache columns, its verdict, whether it was a
    whole step (``complete``; ``final``: ended by end-of-sequence as the final step) and, when
    guided, what it claims (:func:`~codecot.narrate.guided.claim_key`; None: it does not parse)."""

    tokens: list[int]
    cols: list[int]
    verdict: Verdict | None
    complete: bool = False
    final: bool = False
    key: str | None = None
    #: per token, the likeliest allowed tokens at its position with their probabilities (guided
    #: rows that branch; see :func:`alternatives`)
    alts: list[Alternatives] = field(default_factory=list)


@dataclass
class Row:
    """A row's decoding state.  ``tokens`` are the kept tokens (end-of-sequence excluded);
    ``cols[i]`` is the cache column of ``tokens[i]`` once it has been run through the model."""

    spec: RowSpec
    matcher: Any
    generator: torch.Generator
    prompt_len: int
    tokens: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    step_start: int = 0
    boundary_logits: torch.Tensor | None = None
    tries: list[Try] = field(default_factory=list)
    resamples: list[int] = field(default_factory=list)
    closing: bool = False
    tight: bool = False  # the final step was started again: it ends as soon as it can
    overlong: bool = False  # every try of this middle step ran too long: it ends when it can
    steered: bool = False
    ended: bool = False
    final_ok: bool = False  # the kept final step parses as the direction's final step
    failures: int = 0
    sampled: int = 0
    repeats: int = 0  # tries of this step dropped for repeating a failed one (text or claim)
    kept_lines: set[str] = field(default_factory=set)  # middle steps kept: texts, claim keys
    #: guided branching: the current step's alternatives per token so far, the tokens tried
    #: after each prefix of the step, the token (and its alternatives) the next position must
    #: take, and whether the current try branched off a failed one
    alts: list[Alternatives] = field(default_factory=list)
    tried: dict[tuple[int, ...], set[int]] = field(default_factory=dict)
    forced: tuple[int, Alternatives] | None = None
    branched: bool = False
    #: tokens the search for a way to end a pressed final step may write, in search order
    closer_ids: list[int] = field(default_factory=list)
    call_tokens: int = 0  # tokens of the call its final answer must name (0: none)
    open_call: bool = False  # its closing grammar leaves the final answer's call open
    #: guided skipping: the tries of the current step's earlier rounds (each ended with every
    #: try failed), how many tries those rounds threw away (dropped repeats included), how
    #: many rounds there were, the lines (and iterations) the step may no longer name; and,
    #: per kept step, its rounds thrown away
    earlier: list[Try] = field(default_factory=list)
    earlier_redone: int = 0
    skips: int = 0
    banned: set[Target] = field(default_factory=set)
    skipped: list[int] = field(default_factory=list)

    @property
    def close_depth(self) -> int:
        """The longest way to end a pressed final step that the search looks for."""
        return C.CLOSE_DEPTH + self.call_tokens

    @property
    def redone(self) -> int:
        """Tries of the current step's round thrown away so far, dropped repeats included."""
        return len(self.tries) + self.repeats

    @property
    def thrown(self) -> int:
        """Tries of the current step thrown away so far, in all its rounds."""
        return self.earlier_redone + self.redone

    @property
    def all_tries(self) -> list[Try]:
        """The current step's thrown-away tries, in all its rounds, oldest first."""
        return [*self.earlier, *self.tries]

    def _new_round(self) -> None:
        self.tries, self.repeats = [], 0
        self.alts, self.tried, self.forced, self.branched = [], {}, None, False

    def clear_tries(self) -> None:
        """Forget the current step's thrown-away tries (a step is kept or given up)."""
        self._new_round()
        self.earlier, self.earlier_redone, self.skips, self.banned = [], 0, 0, set()

    def skip(self, targets: set[Target]) -> None:
        """Every try of this round failed: begin another, in which the step may not name
        ``targets`` (nor those banned before)."""
        self.earlier.extend(self.tries)
        self.earlier_redone += self.redone
        self.banned |= targets
        self.skips += 1
        self._new_round()

    def remember(self, tokens: list[int]) -> None:
        """Note the tokens of a thrown-away try as tried after each of its prefixes."""
        for j, token in enumerate(tokens):
            self.tried.setdefault(tuple(tokens[:j]), set()).add(token)

    @property
    def remaining(self) -> int:
        """Token slots left, end-of-sequence included."""
        return self.spec.budget - len(self.tokens)

    @property
    def position(self) -> int:
        return self.prompt_len + len(self.cols)


def row_seed(seed: int, prompt: str) -> int:
    """A row's sampling seed: the run's seed and its prompt, so a record's rationale does not
    depend on the other rows of its batch."""
    return (seed * 1_000_003 + zlib.crc32(prompt.encode("utf-8"))) % (1 << 63)


def sample(logits: torch.Tensor, allowed: torch.Tensor | None, temperature: float,
           generator: torch.Generator, fallback: int, min_p: float = 0.0) -> int:
    """One token from ``logits`` restricted to ``allowed``: the most likely at temperature 0,
    else drawn with ``generator``; ``fallback`` when nothing is allowed.  ``min_p`` > 0 draws
    only among the tokens whose probability (among the allowed, at temperature 1) is at least
    ``min_p`` times the most likely one's: a hot draw still picks a plausible token."""
    if allowed is not None:
        if not bool(allowed.any()):
            return fallback
        logits = logits.masked_fill(~allowed, float("-inf"))
    if temperature <= 0:
        return int(torch.argmax(logits))
    if min_p > 0:  # p_i >= min_p * p_max  <=>  logit_i >= logit_max + log(min_p)
        floor = logits.max() + math.log(min_p)
        logits = logits.masked_fill(logits < floor, float("-inf"))
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


def alternatives(logits: torch.Tensor, allowed: torch.Tensor) -> Alternatives:
    """The :data:`ALTERNATIVES` likeliest tokens among ``allowed``, with their probabilities
    among the allowed (temperature 1), most likely first."""
    masked = logits.float().masked_fill(~allowed, float("-inf"))
    probs = torch.softmax(masked, dim=-1)
    top = torch.topk(probs, min(ALTERNATIVES, int(allowed.sum())))
    return tuple((int(i), float(p)) for p, i in zip(top.values, top.indices, strict=True)
                 if p > 0)


def branch_point(tries: Sequence[Try], tried: Mapping[tuple[int, ...], set[int]],
                 texts: Sequence[str], min_p: float) -> tuple[Try, int, int] | None:
    """Where a guided step's next try branches off (see :mod:`codecot.narrate.hf.decode`):
    the refuted complete try, the position in it and the token to write there.  Among the
    positions where a refuted try wrote a value (:func:`~codecot.narrate.hf.word_bounds.
    value_token`; not its last, the step's end), the untried value token (``tried``: the
    tokens tried after each prefix) that was most likely there, at least ``min_p`` times that
    position's likeliest, and whose text does not begin the text written there.  None:
    nothing to branch to."""
    best: tuple[float, Try, int, int] | None = None
    for t in tries:
        if not t.complete or t.verdict is not Verdict.REFUTED:
            continue  # an undecided step seldom turns on a value: try another
        prefix = ""
        for j, alts in enumerate(t.alts[:len(t.tokens) - 1]):
            chosen = texts[t.tokens[j]]
            if alts and value_token(prefix, chosen):
                done = tried.get(tuple(t.tokens[:j]), set())
                for token, p in alts:
                    # a token whose text begins the one written there (`` `` before
                    # `` total``) would most likely write the same text again
                    if (token not in done and p >= min_p * alts[0][1]
                            and not chosen.startswith(texts[token])
                            and value_token(prefix, texts[token])):
                        if best is None or p > best[0]:
                            best = (p, t, j, token)
                        break  # the likeliest untried one of this position
            prefix += chosen
    return None if best is None else best[1:]
