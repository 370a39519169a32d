"""Steering a row to its final step when its token budget runs low (the *closing* mode).

A row keeps ``reserve`` tokens for its final line (:func:`closing_reserve` estimates it from
the record).  The decoding loop (:mod:`codecot.narrate.hf.decode`) asks :func:`phase` where a
row stands and narrows its allowed tokens with :func:`narrow`:

* ``open`` -- more than ``reserve`` tokens left: no steering;
* ``end_step`` -- fewer than ``reserve`` left in a middle step: only tokens that end the step
  (a newline) wherever the grammar allows one; at the step's end the row switches to the
  closing grammar (the final step alone);
* ``abandon`` -- fewer than ``reserve - slack`` left and the middle step still open: the
  loop switches to the closing grammar now, keeping the step when it reads as the start of a
  final step that closing tokens can end in time, else rolling it back;
* ``final`` -- the final step, in the closing grammar: once the tokens left barely allow it
  to end (at most :data:`PRESS_SLACK` more than the shortest way to end it), only the first
  tokens of the shortest sequences of *closing* tokens (brackets, quotes, a full stop,
  ``returns``, ``is``, ``==``, ``0``, ``else``, ``in``: :data:`CLOSERS`, none glued to a word;
  a forward row narrowed to its program adds its call's tokens, which its closing grammar
  requires, and searches as many tokens deeper as the call takes) after which the step may
  end are allowed, or end-of-sequence where it may end now (:func:`shortest_close`, a bounded
  search with the matcher).  The choice among them stays the model's.  When no such way is found with :data:`RESTART_LEFT` tokens left (the model
  went on where closing tokens cannot end the step: inside a word), the final step is rolled
  back and written again *tight*: from its first token, only the first tokens of a shortest
  way to end it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from codecot.corpus import CorpusRecord

#: Tokens a closing reserve adds to the estimated final line (the end of a middle step being
#: ended early takes a few), and the smallest reserve.
RESERVE_MARGIN = 12
MIN_RESERVE = 16
#: Tokens left, beyond the shortest way to end the final step, at which only that way is
#: allowed.
PRESS_SLACK = 2
#: Tokens left at or below which a final step that closing tokens cannot end (found none) is
#: written again, tight.
RESTART_LEFT = 4
#: Texts (spaces stripped) of the tokens that close what a final line has open.
CLOSERS = frozenset({")", "]", "}", "'", '"', ".", "returns", "is", "==", "0", "else", "in"})
#: Longest closing sequence :func:`shortest_close` looks for, and the most tokens it consumes.
CLOSE_DEPTH = 12
CLOSE_NODES = 20000


def closing_reserve(tokenizer: Any, record: CorpusRecord, trace: dict[str, Any],
                    direction: str, budget: int) -> int:
    """The tokens a row keeps for its final line: the record's own final line (``So
    f(INPUT) returns OUTPUT.`` forward, ``So the input is INPUT.`` backward) in the tokenizer's
    tokens plus :data:`RESERVE_MARGIN`, at least :data:`MIN_RESERVE`, at most half the
    budget."""
    if direction == "forward":
        output = trace.get("output", record.output)
        line = f"So {record.entry_name}({record.input}) returns {output}."
    else:
        line = f"So the input is {record.input}."
    need = len(tokenizer(line, add_special_tokens=False)["input_ids"]) + RESERVE_MARGIN
    return min(max(MIN_RESERVE, need), max(1, budget // 2))


def slack(reserve: int) -> int:
    """Tokens a middle step may still take, in its closing zone, to reach an end."""
    return min(RESERVE_MARGIN, reserve // 2)


def phase(remaining: int, reserve: int, *, closing: bool, mid_step: bool) -> str:
    """Where a row stands: ``open``, ``end_step``, ``abandon`` or ``final`` (module doc);
    ``closing``: the row is in the closing grammar; ``mid_step``: a step is being written."""
    if closing:
        return "final"
    if not mid_step or remaining >= reserve:
        return "open"
    return "abandon" if remaining < reserve - slack(reserve) else "end_step"


def press(allowed: torch.Tensor, eos: int, matcher: Any, closer_ids: Sequence[int], *,
          left: int, depth: int, tight: bool, mid_step: bool) -> tuple[torch.Tensor, bool] | None:
    """In a final step with ``left`` tokens left before end-of-sequence: the tokens that end it
    in time once the budget barely allows it, or (``tight``) at once, with whether ``allowed``
    was narrowed (:func:`narrow`).  The ways to end it are searched with ``matcher`` among
    ``closer_ids``, at most ``depth`` tokens deep (:func:`shortest_close`).  None when no way
    is found with at most :data:`RESTART_LEFT` tokens left, the step has tokens
    (``mid_step``) and is not tight yet: the caller writes it again, tight."""
    preferred = torch.zeros_like(allowed)
    if bool(allowed[eos]):
        if left > PRESS_SLACK and not tight:
            return allowed, False
        preferred[eos] = True
        return narrow(allowed, preferred)
    if left > depth + PRESS_SLACK and not tight:
        return allowed, False  # no way to end it is long enough to matter yet
    firsts, length = shortest_close(matcher, closer_ids, min(depth, left))
    if not firsts:  # inside a word, say; or nothing fits in the tokens left
        if left > RESTART_LEFT:
            return allowed, False
        if mid_step and not tight:
            return None
        closers = torch.zeros_like(allowed)
        closers[list(closer_ids)] = True
        return narrow(allowed, closers)
    if tight or left - length <= PRESS_SLACK:
        preferred[firsts] = True
        return narrow(allowed, preferred)
    return allowed, False


def closer_tokens(texts: list[str]) -> torch.Tensor:
    """Boolean vocabulary mask of the tokens whose text is one of :data:`CLOSERS`."""
    return torch.tensor([t.strip() in CLOSERS for t in texts], dtype=torch.bool)


def closer_order(token: int, texts: list[str]) -> int:
    """Search order of a closing token: closing brackets, then quotes, then the rest."""
    text = texts[token].strip()
    return 0 if text in (")", "]", "}") else 1 if text in ("'", '"') else 2


def narrow(allowed: torch.Tensor, preferred: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``allowed & preferred`` when that allows something, else ``allowed``; and whether the
    narrowing removed a token."""
    both = allowed & preferred
    if not bool(both.any()):
        return allowed, False
    return both, bool((allowed & ~preferred).any())


def shortest_close(matcher: Any, candidates: Sequence[int],
                   depth: int) -> tuple[list[int], int]:
    """The candidate tokens that begin a shortest sequence of at most ``depth`` candidates
    after which ``matcher`` may end, and its length (iterative deepening, within
    :data:`CLOSE_NODES` consumed tokens); when that finds none, the first token of the first
    such sequence depth-first (within as many again), with ``depth`` as its length; else
    ``([], 0)``.  ``([], 0)`` too when the matcher may end now.  Candidates are tried in their
    order (put closing brackets first).  The matcher is left as it was: every trial is rolled
    back."""
    consumed = [0]
    if depth < 1 or matcher.is_accepting():
        return [], 0

    def after(token: int, left: int) -> bool:
        """Whether ``token`` is allowed and the matcher may then end within ``left`` more."""
        if matcher.try_consume_tokens([token]) != 1:
            return False
        consumed[0] += 1
        found = reaches(left)
        matcher.rollback(1)
        return found

    def reaches(left: int) -> bool:
        if matcher.is_accepting():
            return True
        if left <= 0 or consumed[0] >= CLOSE_NODES:
            return False
        return any(after(token, left - 1) for token in candidates)

    for length in range(1, depth + 1):
        firsts = [token for token in candidates if after(token, length - 1)]
        if firsts:
            return firsts, length
        if consumed[0] >= CLOSE_NODES:
            break
    consumed[0] = 0  # no shortest sequence found in time: the first one depth-first
    for token in candidates:
        if after(token, depth - 1):
            return [token], depth
    return [], 0
