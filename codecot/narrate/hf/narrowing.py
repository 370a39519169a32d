"""Narrowing a row's allowed tokens, beyond its grammar, to steps the parser reads as written
and (guided) the checker can still align.

:mod:`codecot.narrate.hf.decode` applies both to each sampled token of a constrained row:

* :func:`word_bound` keeps word boundaries where llguidance's lexer and the parser's differ
  (:mod:`codecot.narrate.hf.word_bounds`), and keeps runs of spaces out (the grammar ignores
  them; a model sampling hot writes them: ``op =  double``);
* :func:`lines_ahead`, guided, keeps a step's ``Line N (iteration k)`` header to the lines and
  iterations the checker has ahead (:func:`~codecot.narrate.guided.header_allowed`), less
  those a skipped step was about.

Each takes the constraint (its token texts and masks), the tokens of the step written so far
and the allowed mask, and returns the mask narrowed, or unchanged where nothing would be left.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from codecot.narrate.constrain import GrammarConstraint
from codecot.narrate.guided import (
    StepChecker,
    Target,
    header_allowed,
    header_open,
    without_targets,
)
from codecot.narrate.hf.closing import narrow
from codecot.narrate.hf.program_facts import ProgramFacts
from codecot.narrate.hf.word_bounds import (
    continues_number,
    continues_word,
    ends_in_keyword,
    inside_string,
    open_number,
    open_word,
)


def word_bound(constraint: GrammarConstraint, step: Sequence[int], program: ProgramFacts | None,
               allowed: torch.Tensor, *, spaces: bool = True) -> torch.Tensor:
    """``allowed`` without a token of spaces alone at a step's start (``step`` empty) or after
    a token that ends in a space; with ``spaces``, outside a string literal, without a second
    space in a row (a token that begins with one after a space, or holds two); and without
    tokens that would glue a word onto a keyword,
    onto a number (:func:`~codecot.narrate.hf.word_bounds.continues_number`) or, in a row
    narrowed to its ``program``, onto a word that cannot go on as a name
    (:func:`~codecot.narrate.hf.word_bounds.continues_word`): llguidance would read two
    lexemes where the parser's lexer reads one."""
    texts = constraint.texts
    text = "".join(texts[t] for t in step)
    after_space = not step or texts[step[-1]][-1:].isspace()
    if after_space:
        allowed = narrow(allowed, ~constraint.space_only)[0]
    if spaces and not inside_string(text):
        spaced = constraint.spaces_run | constraint.space_led if after_space \
            else constraint.spaces_run
        allowed = narrow(allowed, ~spaced)[0]
    if not step:
        return allowed
    if ends_in_keyword(text):
        unglued = allowed & ~constraint.word_start
        if bool(unglued.any()):
            return unglued
        # only a word may follow: llguidance reads the keyword as the start of a longer
        # name (``x / or`` can only go on as ``ord``), and the name rules below apply
    lead = constraint.word_lead
    number = open_number(text)
    word = open_word(text) if program is not None and number is None else None
    if number is not None:
        def goes_on(token: int) -> bool:
            return continues_number(number, lead[token])
    elif word is not None and program is not None:
        def goes_on(token: int) -> bool:
            return continues_word(word, lead[token], program)
    else:
        return allowed
    candidates = torch.nonzero(allowed & constraint.word_start).flatten().tolist()
    glued = [t for t in candidates if not goes_on(t)]
    if not glued:
        return allowed
    keep = torch.ones_like(allowed)
    keep[glued] = False
    return narrow(allowed, keep)[0]


def lines_ahead(constraint: GrammarConstraint, step: Sequence[int], checker: StepChecker,
                allowed: torch.Tensor, banned: AbstractSet[Target] = frozenset()) -> torch.Tensor:
    """While ``step`` is writing a ``Line N (iteration k)`` header: ``allowed`` without the
    tokens that would make it name a line, or an iteration of it, that ``checker`` has nothing
    left for (:meth:`~codecot.narrate.guided.StepChecker.lines_ahead`,
    :func:`~codecot.narrate.guided.header_allowed`) or that is ``banned`` (a step skipped
    after its tries failed there, :func:`~codecot.narrate.guided.without_targets`);
    unchanged otherwise."""
    texts = constraint.texts
    text = "".join(texts[t] for t in step)
    if not header_open(text):
        return allowed
    ahead = checker.lines_ahead()
    if ahead is None:
        return allowed
    if banned:
        ahead = without_targets(ahead, banned)
    keep = torch.ones_like(allowed)
    for token in torch.nonzero(allowed).flatten().tolist():
        keep[token] = header_allowed(text + texts[token], ahead)
    return narrow(allowed, keep)[0]
