"""Grammar-constrained decoding with llguidance: compiled grammars, matchers and token masks.

:class:`GrammarConstraint` compiles, once for a tokenizer, the rationale grammars of both
directions (derived from ``grammars/narration.lark`` by :mod:`codecot.narrate.hf.grammar`) and
their *closing* grammars (the final step alone: the answer line forward, the input line
backward), which a row switches to when its token budget runs low (see
:mod:`codecot.narrate.hf.decode`).  :meth:`GrammarConstraint.masks` computes the tokens each
row's matcher allows next, for all rows at once and in parallel (llguidance's executor); a row
without a live matcher (finished, or failed) may only end.

The parser's lexer reads a keyword only as a whole word; llguidance's regexes have no
lookahead, so where the derived grammar allows a keyword but no name, it would read
``TheaRgUments`` as two keywords that the parser reads as one name.  The decoder therefore
allows no token that begins with a word character right after a keyword
(:attr:`GrammarConstraint.word_start`, :func:`codecot.narrate.hf.word_bounds.ends_in_keyword`).

Step boundaries are token boundaries: tokens whose text holds a newline anywhere but at its end
(``"\\n    "``, ``"\\n\\n"``) are never allowed, so a step ends exactly at a token that ends in a
newline (:attr:`GrammarConstraint.step_end_ids`), and a row can be rolled back to the start of
a step by whole tokens.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
import torch

from codecot.errors import MissingDependency
from codecot.narrate.hf.closing import closer_order, closer_tokens
from codecot.narrate.hf.grammar import DEFAULT_MAX_STEPS, rationale_grammar
from codecot.narrate.hf.program_facts import ProgramFacts
from codecot.narrate.hf.program_grammar import program_grammar

#: Program-narrowed grammars a constraint keeps compiled (a batch needs two per row).
PROGRAM_GRAMMARS_KEPT = 64


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


def token_texts(ll_tok: Any, vocab_size: int) -> list[str]:
    """The text of every token id (invalid UTF-8 replaced)."""
    return [ll_tok.decode_bytes([t]).decode("utf-8", "replace") for t in range(vocab_size)]


def newline_tokens(texts: list[str]) -> tuple[frozenset[int], frozenset[int]]:
    """Token ids whose text ends with a newline (and holds no other), and those that hold one
    elsewhere."""
    ends: set[int] = set()
    inner: set[int] = set()
    for token, text in enumerate(texts):
        if "\n" in text:
            (ends if text.endswith("\n") and "\n" not in text[:-1] else inner).add(token)
    return frozenset(ends), frozenset(inner)


def _allowed(bitmask: torch.Tensor, vocab: int) -> torch.Tensor:
    """Boolean (rows, vocab) tensor of the tokens a packed int32 bitmask allows."""
    bits = np.unpackbits(bitmask.numpy().view(np.uint8), axis=1, bitorder="little")
    return torch.from_numpy(bits[:, :vocab].astype(bool))


class GrammarConstraint:
    """The compiled rationale and closing grammars of both directions for one tokenizer.

    ``seconds`` adds up the time spent computing masks (whether or not it overlapped the
    model's forward pass).
    """

    def __init__(self, hf_tokenizer: Any, vocab_size: int,
                 max_steps: int = DEFAULT_MAX_STEPS, threads: int | None = None) -> None:
        llg = _llguidance()
        self.vocab_size = vocab_size
        self.eos_token_id = int(hf_tokenizer.eos_token_id)
        self.tokenizer = ll_tokenizer(hf_tokenizer, vocab_size)
        self.max_steps = max_steps
        #: compiled program-narrowed grammars, oldest first (at most PROGRAM_GRAMMARS_KEPT)
        self.program_grammars: dict[tuple[str, bool, ProgramFacts, bool], Any] = {}
        self.grammars = {d: llg.LLMatcher.grammar_from_lark(rationale_grammar(d, max_steps))
                         for d in ("forward", "backward")}
        self.closing_grammars = {d: llg.LLMatcher.grammar_from_lark(rationale_grammar(d, 1))
                                 for d in ("forward", "backward")}
        self.executor = llg.LLExecutor(num_threads=threads)
        self.texts = token_texts(self.tokenizer, vocab_size)
        self.step_end_ids, inner = newline_tokens(self.texts)
        #: tokens whose text begins with a word character, or with part of a character
        #: (not allowed right after a keyword)
        self.word_start = torch.tensor([bool(re.match("[\\w\ufffd]", t)) for t in self.texts],
                                       dtype=torch.bool)
        #: the word characters each token begins with (see narrowing.word_bound)
        self.word_lead = [re.match(r"\w*", t).group() for t in self.texts]  # type: ignore[union-attr]
        #: tokens of spaces alone (no newline): never two in a row, nor at a step's start
        #: (the grammar ignores such runs, and a weak model can loop on them to the budget)
        self.space_only = torch.tensor([bool(t) and not t.strip() and "\n" not in t
                                        for t in self.texts], dtype=torch.bool)
        #: tokens that begin with a space or tab, and tokens with two of them in a row before
        #: any quote: outside a string literal, the first never follow a space, the second
        #: never come (``op =  double``, ``[1, 1]  ]``; see narrowing.word_bound)
        self.space_led = torch.tensor([t[:1] in (" ", "\t") for t in self.texts],
                                      dtype=torch.bool)
        self.spaces_run = torch.tensor(
            [bool(re.search(r"[ \t]{2}", re.split("[\"']", t, maxsplit=1)[0]))
             for t in self.texts], dtype=torch.bool)
        #: tokens that close what a final line has open (see codecot.narrate.hf.closing)
        self.closers = closer_tokens(self.texts) & ~self.word_start & ~self.spaces_run
        self.closer_ids = sorted((int(t) for t in torch.nonzero(self.closers).flatten()),
                                 key=lambda t: closer_order(t, self.texts))
        self.never = torch.zeros(vocab_size, dtype=torch.bool)
        self.never[sorted(inner)] = True
        self.step_ends = torch.zeros(vocab_size, dtype=torch.bool)
        self.step_ends[sorted(self.step_end_ids)] = True
        self.seconds = 0.0
        for direction in self.grammars:
            for closing in (False, True):
                probe = self.matcher(direction, closing=closing)
                if probe.is_error():
                    raise RuntimeError(f"rationale grammar ({direction}) rejected by "
                                       f"llguidance: {probe.get_error()}")

    def matcher(self, direction: str, *, closing: bool = False,
                program: ProgramFacts | None = None, final_call: bool = True) -> Any:
        """A fresh matcher at the start of a ``direction`` rationale, or (``closing``) of its
        final step alone; narrowed to ``program`` when given (see
        :mod:`codecot.narrate.hf.program_grammar`; ``final_call`` False leaves the final
        answer's call open)."""
        llg = _llguidance()
        if program is None:
            grammar = (self.closing_grammars if closing else self.grammars)[direction]
        else:
            grammar = self._program_grammar(direction, closing, program, final_call)
        return llg.LLMatcher(self.tokenizer, grammar, log_level=0)

    def _program_grammar(self, direction: str, closing: bool, program: ProgramFacts,
                         final_call: bool) -> Any:
        key = (direction, closing, program, final_call)
        if key not in self.program_grammars:
            llg = _llguidance()
            text = program_grammar(direction, program, 1 if closing else self.max_steps,
                                   final_call=final_call)
            if len(self.program_grammars) >= PROGRAM_GRAMMARS_KEPT:
                self.program_grammars.pop(next(iter(self.program_grammars)))
            self.program_grammars[key] = llg.LLMatcher.grammar_from_lark(text)
        return self.program_grammars[key]

    def masks(self, matchers: list[Any | None]) -> torch.Tensor:
        """Boolean (rows, vocab) tensor of the tokens each matcher allows next; a row whose
        matcher is ``None``, stopped or failed may only produce end-of-sequence."""
        started = time.perf_counter()
        llg = _llguidance()
        words = (self.vocab_size + 31) // 32
        bitmask = torch.zeros((len(matchers), words), dtype=torch.int32)
        live = [(m, i) for i, m in enumerate(matchers)
                if m is not None and not (m.is_stopped() or m.is_error())]
        if live:
            llg.torch.fill_next_token_bitmask_par(self.executor, live, bitmask)
        allowed = _allowed(bitmask, self.vocab_size)
        allowed &= ~self.never
        busy = {i for _, i in live}
        for i in range(len(matchers)):
            if i not in busy:
                allowed[i] = False
                allowed[i, self.eos_token_id] = True
        self.seconds += time.perf_counter() - started
        return allowed
