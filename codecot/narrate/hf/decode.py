"""The HF narrator's decoding loop: batched, grammar-constrained, steered to a complete
rationale, and (``--guided K``) checked step by step.

:class:`Decoder` runs one batch of prompts to the end.  The prompts are prefilled together
(left-padded; see :func:`codecot.narrate.hf.generate.generate_batch`), then each iteration
samples one token per live row and runs the model once on those tokens with one shared
key/value cache.  Rows proceed independently:

* **Grammar.**  Each row's llguidance matcher gives the tokens allowed next
  (:meth:`~codecot.narrate.constrain.GrammarConstraint.masks`, computed on a background thread
  while the model runs); a row ends when its final step is complete (end-of-sequence is
  allowed only there).  No word may be glued onto a keyword, and no token of spaces alone may
  start a step or follow a space (:func:`~codecot.narrate.hf.narrowing.word_bound`).
* **Closing.**  A row's budget is ``max_new_tokens`` kept tokens (end-of-sequence included) and
  its *reserve* the tokens its final line may need.  Once fewer than ``reserve`` tokens remain,
  a middle step being written ends as soon as the grammar allows (only step-ending tokens are
  allowed), and at the next step boundary the row's matcher is replaced by one of the *closing*
  grammar, which allows only the final step (``So f(...) returns ...`` forward, ``So the input
  is ...`` backward).  A step that cannot end in time is given up: the row switches to the
  closing grammar at once, keeping the step if it reads as the start of a final step, else
  rolling it back.  When the budget barely allows the final step to end, only the ways to
  end it are allowed; one that can no longer end in time is written again, tight
  (:mod:`codecot.narrate.hf.closing`).  A step that does not parse (a final step: as the
  final step; llguidance may read keywords the parser's lexer would not) is sampled again, up
  to :data:`FINAL_TRIES` times (K when guided).  A row steered this way is ``closed_early``;
  one that still runs out is cut to its complete steps (``finished`` false).
* **Long steps.**  A middle step that reaches :data:`MAX_STEP_TOKENS` tokens unfinished (a
  model looping inside a step) is rolled back and sampled again like one that does not
  parse; once its tries are spent the best earlier try that ended stays (as below), or, when
  none did, the step ends as soon as the grammar allows a newline (unless the budget's
  closing comes first).
* **Guided.**  With a step checker and ``tries`` K > 1, each step is decided as soon as its
  ending token (a newline, or end-of-sequence for the final step) is sampled.  A step that is
  not good (refuted, unknown, unparsed; a middle step whose text or claim is that of a step
  already kept counts as unknown: a model looping on one true step spends its budget without
  getting on) is rolled back: its tokens leave the matcher (``rollback``) and the row's cache
  columns are masked out of attention (the cache itself is shared by the batch and cannot be
  cut for one row; rolled-back columns stay as holes, and the positions of later tokens
  follow the kept ones), and the step is sampled again from the logits saved at its start, at
  ``resample_temperature`` (raised by ``resample_step`` with each further try), among the
  tokens at least ``resample_min_p`` times as likely as the most likely allowed one
  (:func:`~codecot.narrate.hf.rows.sample`).
* **Branching.**  With ``branch_min_p`` set (``--guided-branch``; off by default), every
  second further try (:data:`BRANCH_EVERY`) instead *branches* off a refuted try where it
  wrote a value and the model had another in mind.  Each position of a try remembers its
  likeliest allowed tokens (:func:`~codecot.narrate.hf.rows.alternatives`); among the
  positions where a refuted try wrote a value
  (:func:`~codecot.narrate.hf.word_bounds.value_token`: a number, a string, ``True``, a
  literal's brackets; not the step's wording), the untried value token most likely there (at
  least ``branch_min_p`` times that position's likeliest) is written after the try's tokens
  before it, which are put back as they were; the try then goes on at ``temperature``.  A
  wrong value (``skipped is 2``) is so replaced by the model's next likeliest one, the words
  before it kept.  An unknown or unparsed try is not branched off (an undecided step seldom
  turns on a value), and a try with nothing to branch to starts the step again, hot.
* **Repeats.**  A try that says what an earlier failed try of the step said (and ends the same
  way) is dropped unchecked, since its verdict would be the same, and does not count as one
  of the K: the same text, in the same tokens or not, or the same claim in other words
  (:func:`~codecot.narrate.guided.claim_key`: ``total becomes 7`` after ``total is now 7``);
  at most K such repeats per step (each raises the temperature like a try).  After K tries the
  step is skipped (below) or the best complete try is kept (verdict order: verified/proved >
  consistent > unknown > refuted > unparsed; the latest of equals), its columns unmasked
  again, so no token is recomputed.  ``resamples`` counts the tries beyond the first of each
  kept step, dropped repeats and skipped rounds included.
* **Skipping.**  With ``skips`` S > 0 (``--guided-skips``, 2 by default), a middle step whose
  K tries all failed is *skipped* rather than kept wrong, where its refuted or unknown tries
  name lines (:func:`~codecot.narrate.guided.step_target`: ``Line 6 (iteration 2)``, or
  ``Line 9`` alone) and the checker names the lines ahead: the step is written again, K more
  tries (the first at ``temperature``), and its header may no longer name those lines with
  those iterations (:func:`~codecot.narrate.guided.without_targets`), so the model writes
  about another point of the trace (a forward rationale may leave points out; the verifier
  aligns each step by its own header).  At most S rounds are thrown away per step; a step is
  not skipped when the ban would leave no line to name.  When the last round fails too, the
  best try of all rounds stays.  ``skipped`` counts the rounds thrown away per kept step.
* **Lines ahead.**  While a step's ``Line N (iteration k)`` header (or a loop step's ``Line N:
  iteration K``) is being written, N and k (K) are narrowed to the lines, and their
  iterations, that the checker still has ahead
  (:meth:`~codecot.narrate.guided.StepChecker.lines_ahead`; forward, those of the trace's
  points at or after the cursor): a step on any other could only fail
  (:func:`~codecot.narrate.hf.narrowing.lines_ahead`).

Rows that end leave the batch (their cache rows are dropped), so a long row does not make the
finished ones compute.  Free (unconstrained) decoding runs the same loop without masks; a row
ends after a line that parses as the final step, or after ``max_steps`` lines.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

from codecot.narrate.constrain import GrammarConstraint
from codecot.narrate.guided import (
    StepChecker,
    Target,
    claim_key,
    is_good,
    rank,
    skip_targets,
)
from codecot.narrate.guided_defaults import RESAMPLE_TEMPERATURE
from codecot.narrate.hf import closing as C
from codecot.narrate.hf.narrowing import lines_ahead, word_bound
from codecot.narrate.hf.program_facts import python_tokens
from codecot.narrate.hf.rows import Row, RowSpec, Try, alternatives, branch_point, sample
from codecot.verify.verdicts import Verdict

#: Tries of a step that does not parse (a final step: as one), without guided decoding.
FINAL_TRIES = 3

#: A step's tries that may branch off a failed one: every second (the others start the step
#: again, hot); 1: every one.
BRANCH_EVERY = 2

#: Tokens a middle step may take before it counts as a failed try (a model that loops inside
#: a step would otherwise spend the whole budget on it).
MAX_STEP_TOKENS = 128


@functools.cache
def _mask_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="codecot-grammar")


class Decoder:
    """Decodes one prefilled batch (see the module doc).

    ``forward(input_ids, attention_mask, position_ids)`` runs the model on one new token per
    live row and returns the next-token logits (rows, vocab); ``select(indices)`` keeps only
    those rows of the model's cache.
    """

    def __init__(self, tokenizer: Any, constraint: GrammarConstraint | None,
                 specs: Sequence[RowSpec], prompt_lens: Sequence[int], *, temperature: float,
                 tries: int = 1, resample_temperature: float = RESAMPLE_TEMPERATURE,
                 resample_step: float = 0.0, resample_min_p: float = 0.0,
                 branch_min_p: float | None = None, skips: int = 0,
                 max_steps: int = 40, max_step_tokens: int = MAX_STEP_TOKENS,
                 overlap: bool = True, is_final: Callable[[str, str], bool] | None = None,
                 is_step: Callable[[str], bool] | None = None) -> None:
        self.tokenizer = tokenizer
        self.constraint = constraint
        self.temperature = temperature
        self.tries = max(1, tries)
        self.resample_temperature = resample_temperature
        self.resample_step = resample_step
        self.resample_min_p = resample_min_p
        self.branch_min_p = branch_min_p
        self.skips = skips
        self.max_steps = max_steps
        self.max_step_tokens = max_step_tokens
        self.overlap = overlap and constraint is not None
        self.is_final = is_final
        self.is_step = is_step
        self.eos = int(tokenizer.eos_token_id)
        self.mask_seconds = 0.0
        self.rows: list[Row] = []
        for spec, plen in zip(specs, prompt_lens, strict=True):
            closing = constraint is not None and spec.budget < spec.reserve
            matcher = constraint.matcher(spec.direction, closing=closing,
                                         program=spec.program) \
                if constraint is not None else None
            gen = torch.Generator().manual_seed(spec.seed)
            closers, call_tokens = self._closers_of(spec)
            self.rows.append(Row(spec, matcher, gen, plen, closing=closing, steered=closing,
                                 closer_ids=closers, call_tokens=call_tokens))
        self._newline_ids: set[int] | None = None

    def _closers_of(self, spec: RowSpec) -> tuple[list[int], int]:
        """The tokens a pressed final step may be ended with, and the tokens of the call its
        final answer must name (0: none): the closing tokens; for a forward row narrowed to
        its program, also the call's tokens (each Python token of it alone, with and without
        a leading space)."""
        if self.constraint is None:
            return [], 0
        closers = list(self.constraint.closer_ids)
        call = spec.program.call if spec.program is not None else None
        if spec.direction != "forward" or not call:
            return closers, 0
        known = set(closers)
        for text in [" " + t for t in python_tokens(call)] + python_tokens(call):
            for token in self.tokenizer(text, add_special_tokens=False)["input_ids"]:
                if token not in known:
                    known.add(token)
                    closers.append(int(token))
        return closers, len(self.tokenizer(" " + call, add_special_tokens=False)["input_ids"])

    # ---- the loop ---------------------------------------------------------------------------

    def run(self, logits: torch.Tensor, attention: torch.Tensor,
            forward: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
            select: Callable[[torch.Tensor], None],
            on_tokens: Callable[[int], None] | None = None) -> list[Row]:
        """Decode until every row has ended or is cut; ``logits`` are the prefill's last
        logits and ``attention`` its (rows, columns) attention mask."""
        live = list(range(len(self.rows)))
        pending = self._masks(live)
        attention = attention.bool()
        while live:
            allowed = self._collect(pending)
            feed: list[int] = []
            kept: list[int] = []
            for k, r in enumerate(live):
                token = self._choose(self.rows[r], k, logits[k],
                                     None if allowed is None else allowed[k], attention)
                if token is not None:
                    kept.append(k)
                    feed.append(token)
            if on_tokens is not None:
                on_tokens(len(live))
            if len(kept) < len(live):
                index = torch.tensor(kept, dtype=torch.long)
                if kept:
                    select(index)
                attention = attention[index]
                live = [live[k] for k in kept]
            if not live:
                break
            pending = self._masks(live)
            column = attention.shape[1]
            attention = torch.cat([attention, torch.ones((len(live), 1), dtype=torch.bool)], 1)
            positions = []
            for r in live:
                row = self.rows[r]
                positions.append(row.position)
                row.cols.append(column)
            logits = forward(torch.tensor(feed, dtype=torch.long).unsqueeze(1),
                             attention.long(),
                             torch.tensor(positions, dtype=torch.long).unsqueeze(1))
        return self.rows

    def _masks(self, live: list[int]) -> Future[torch.Tensor] | torch.Tensor | None:
        if self.constraint is None:
            return None
        matchers = [self.rows[r].matcher for r in live]
        if self.overlap:
            return _mask_thread().submit(self.constraint.masks, matchers)
        return self.constraint.masks(matchers)

    def _collect(self, pending: Future[torch.Tensor] | torch.Tensor | None,
                 ) -> torch.Tensor | None:
        started = time.perf_counter()
        allowed = pending.result() if isinstance(pending, Future) else pending
        self.mask_seconds += time.perf_counter() - started
        return allowed

    # ---- one row ------------------------------------------------------------------------------

    def _choose(self, row: Row, k: int, logits: torch.Tensor, allowed: torch.Tensor | None,
                attention: torch.Tensor) -> int | None:
        """Sample the row's next token (resampling rejected steps); the token to run through
        the model, or None when the row has ended."""
        if len(row.tokens) == row.step_start and not row.tries:
            row.boundary_logits = logits
        while True:
            if allowed is not None and self._phase(row) == "abandon":
                allowed = self._close_now(row, k, attention)
                if len(row.tokens) == row.step_start:
                    assert row.boundary_logits is not None
                    logits = row.boundary_logits
            narrowed = self._steer(row, self._narrow(row, allowed))
            if narrowed is None and allowed is not None:  # the final step cannot end in time
                self._roll_back(row, k, attention, None)
                row.tight = True
                if not row.open_call and row.call_tokens:
                    row.open_call = True
                    row.matcher = self._closing_matcher(row)
                assert row.boundary_logits is not None
                logits, allowed = row.boundary_logits, self._mask_of(row)
                narrowed = self._steer(row, self._narrow(row, allowed))
            if row.forced is not None:  # a branch off a failed try (see _branch)
                token, alts = row.forced
                row.forced = None
                if narrowed is not None and not bool(narrowed[token]):
                    # not expected (the state is the failed try's): start the step again
                    self._roll_back(row, k, attention, None)
                    assert row.boundary_logits is not None
                    logits, allowed = row.boundary_logits, self._mask_of(row)
                    continue
                row.alts.append(alts)
            else:
                token = sample(logits, narrowed, self._temperature(row), row.generator, self.eos,
                               self.resample_min_p if row.redone and not row.branched else 0.0)
                if narrowed is not None and self._branches(row):
                    row.alts.append(alternatives(logits, narrowed))
            row.sampled += 1
            outcome = self._take(row, k, token, attention)
            if outcome != "retry":
                return row.tokens[-1] if outcome == "feed" else None
            assert row.boundary_logits is not None
            logits = row.boundary_logits
            allowed = self._mask_of(row)

    def _temperature(self, row: Row) -> float:
        """The sampling temperature of the row's current try: ``temperature`` for a step's
        first, then ``resample_temperature`` raised by ``resample_step`` for each further one
        (dropped repeats included); a try that branched off a failed one goes on at
        ``temperature``."""
        if not row.redone or row.branched:
            return self.temperature
        return self.resample_temperature + self.resample_step * (row.redone - 1)

    def _mask_of(self, row: Row) -> torch.Tensor:
        assert self.constraint is not None
        started = time.perf_counter()
        allowed = self.constraint.masks([row.matcher])[0]
        self.mask_seconds += time.perf_counter() - started
        return allowed

    def _phase(self, row: Row) -> str:
        mid_step = len(row.tokens) > row.step_start
        phase = C.phase(row.remaining, row.spec.reserve, closing=row.closing, mid_step=mid_step)
        return "end_step" if phase == "open" and row.overlong and mid_step else phase

    def _closing_matcher(self, row: Row) -> Any:
        """A fresh matcher of the row's closing grammar (its final step alone).  A forward
        row narrowed to its program names its call in the final answer unless fewer tokens
        are left than the call needs, or a final step naming it could not end in time."""
        assert self.constraint is not None
        row.open_call = row.open_call or (
            row.call_tokens > 0
            and row.remaining <= row.call_tokens + C.PRESS_SLACK + C.RESTART_LEFT)
        return self.constraint.matcher(row.spec.direction, closing=True, program=row.spec.program,
                                       final_call=not row.open_call)

    def _close_now(self, row: Row, k: int, attention: torch.Tensor) -> torch.Tensor:
        """Switch a row in the middle of a step to the closing grammar: the step stays if it
        reads as the start of a final step that closing tokens can end in time, else it is
        rolled back.  The new allowed mask."""
        assert self.constraint is not None
        step = row.tokens[row.step_start:]
        closing = self._closing_matcher(row)
        depth = min(row.close_depth, row.remaining - 1)
        if closing.try_consume_tokens(step) != len(step) or not (
                closing.is_accepting() or C.shortest_close(closing, row.closer_ids, depth)[0]):
            self._roll_back(row, k, attention, None)
            closing = self._closing_matcher(row)
        row.matcher = closing
        row.clear_tries()
        row.closing = row.steered = True
        return self._mask_of(row)

    def _narrow(self, row: Row, allowed: torch.Tensor | None) -> torch.Tensor | None:
        """``allowed`` narrowed to word boundaries the parser reads as llguidance does
        (:func:`~codecot.narrate.hf.narrowing.word_bound`; runs of spaces only in a middle
        step, so that nothing narrows the ways to end a final step in time) and, guided, in a
        middle step, to a header the checker can still align
        (:func:`~codecot.narrate.hf.narrowing.lines_ahead`)."""
        if allowed is None or self.constraint is None:
            return allowed
        step = row.tokens[row.step_start:]
        allowed = word_bound(self.constraint, step, row.spec.program, allowed,
                             spaces=not row.closing)
        checker = None if row.closing else self._checker(row)
        return allowed if checker is None else lines_ahead(self.constraint, step, checker,
                                                           allowed, row.banned)

    def _steer(self, row: Row, allowed: torch.Tensor | None) -> torch.Tensor | None:
        """``allowed`` narrowed when the row runs out of budget (see the module doc); None
        when the final step being written can no longer end in time (the caller starts it
        again, tight)."""
        if allowed is None or self.constraint is None:
            return allowed
        phase = self._phase(row)
        narrowed = False
        if phase == "end_step":
            allowed, narrowed = C.narrow(allowed, self.constraint.step_ends)
        elif phase == "final":
            pressed = self._press(row, allowed)
            if pressed is None:
                return None
            allowed, narrowed = pressed
        row.steered = row.steered or narrowed
        return allowed

    def _press(self, row: Row, allowed: torch.Tensor) -> tuple[torch.Tensor, bool] | None:
        """:func:`~codecot.narrate.hf.closing.press` for the row's final step."""
        return C.press(allowed, self.eos, row.matcher, row.closer_ids,
                       left=row.remaining - 1,  # the last slot is end-of-sequence's
                       depth=row.close_depth, tight=row.tight,
                       mid_step=len(row.tokens) > row.step_start)

    def _take(self, row: Row, k: int, token: int, attention: torch.Tensor) -> str:
        """Apply a sampled token: ``feed`` (run it through the model), ``done`` or ``retry``
        (the step was rolled back)."""
        if self.constraint is None:
            return self._take_free(row, token)
        if token == self.eos:
            if not row.matcher.is_accepting():
                return "done"  # a failed matcher: cut
            return self._end_step(row, k, attention, final=True)
        if not row.matcher.consume_token(token):
            row.failures += 1
            return "done"
        row.tokens.append(token)
        if token in self.constraint.step_end_ids:
            return self._end_step(row, k, attention, final=False)
        if (len(row.tokens) - row.step_start >= self.max_step_tokens and not row.closing
                and not row.overlong):
            if len(row.tries) + 1 < self._tries_of(row):
                row.tries.append(self._roll_back(row, k, attention, Verdict.UNPARSED))
                return "retry"
            targets = self._skip_targets(row)
            if targets or any(t.complete for t in row.all_tries):
                row.tries.append(self._roll_back(row, k, attention, Verdict.UNPARSED))
                return self._give_up(row, k, attention, targets)
            row.overlong = True
        return "feed" if row.remaining > 0 else "done"

    def _checker(self, row: Row) -> StepChecker | None:
        """The row's step checker when decoding is guided (K > 1), else None."""
        return row.spec.checker if self.tries > 1 else None

    def _tries_of(self, row: Row) -> int:
        return self.tries if self._checker(row) is not None else FINAL_TRIES

    def _take_free(self, row: Row, token: int) -> str:
        if token == self.eos:
            row.ended = True
            return "done"
        row.tokens.append(token)
        if token in self._newlines():
            text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            lines = [ln for ln in text.split("\n")[:-1] if ln.strip()]
            if lines and ((self.is_final is not None and self.is_final(lines[-1],
                                                                       row.spec.direction))
                          or len(lines) >= self.max_steps):
                return "done"
        return "feed" if row.remaining > 0 else "done"

    def _newlines(self) -> set[int]:
        if self._newline_ids is None:
            vocab = self.tokenizer.get_vocab()
            self._newline_ids = {i for t, i in vocab.items()
                                 if "\n" in self.tokenizer.convert_tokens_to_string([t])}
        return self._newline_ids

    def step_text(self, tokens: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(tokens), skip_special_tokens=True)).strip()

    def _end_step(self, row: Row, k: int, attention: torch.Tensor, *, final: bool) -> str:
        """A step is complete: check it (it must parse as a step, a final step as one; guided,
        the checker decides it), then keep it, or roll it back for another try; at a kept
        middle step's end, switch to the closing grammar when the budget is low."""
        checker = self._checker(row)
        limit = self._tries_of(row)
        line = self.step_text(row.tokens[row.step_start:])
        key = claim_key(line) if checker is not None else None
        if self._repeats_a_try(row, final, line, key) and row.repeats < limit:
            dropped = self._roll_back(row, k, attention, None)
            row.repeats += 1
            self._branch(row, k, attention, dropped.tokens)
            return "retry"
        parses = self._reads_as_step(line, row.spec.direction, final)
        verdict = checker.check(line) if checker is not None else Verdict.VERIFIED
        if not parses:
            verdict = Verdict.UNPARSED
        elif checker is not None and is_good(verdict) and (
                line in row.kept_lines or key in row.kept_lines):
            verdict = Verdict.UNKNOWN  # says again what a kept step said: a model looping
        if not is_good(verdict):
            failed = self._roll_back(row, k, attention, verdict, final=final, key=key)
            row.tries.append(failed)
            if len(row.tries) < limit:
                self._branch(row, k, attention, failed.tokens)
                return "retry"
            return self._give_up(row, k, attention, self._skip_targets(row))
        return self._keep(row, line, final, row.thrown, key)

    def _repeats_a_try(self, row: Row, final: bool, text: str, key: str | None) -> bool:
        """Whether the step just ended (``text``, claiming ``key``) is a failed try of the same
        step rolled back before, ended the same way, in its text or in what it claims: its
        verdict would be that try's again.  The same text may come in other tokens (``j equals
        0.`` was tried four times), and the same claim in other words (``total is now 7``,
        ``total becomes 7``)."""
        step = row.tokens[row.step_start:]
        return any(t.complete and t.final == final
                   and (t.tokens == step or self.step_text(t.tokens) == text
                        or (key is not None and t.key == key))
                   for t in row.all_tries)

    def _keep(self, row: Row, line: str, final: bool, resamples: int,
              key: str | None = None) -> str:
        """The step ``line`` (the row's last) stays after ``resamples`` other tries: move the
        checker past it, and end the row (a final step) or start the next step, switching to
        the closing grammar when the budget is low."""
        checker = self._checker(row)
        if checker is not None:
            checker.accept(line)
            row.resamples.append(resamples)
            row.skipped.append(row.skips)
        row.clear_tries()
        row.overlong = False
        if final:
            row.ended = True
            row.final_ok = self.is_final is None or self.is_final(line, row.spec.direction)
            return "done"
        row.kept_lines.add(line)
        if key is not None:
            row.kept_lines.add(key)
        row.step_start = len(row.tokens)
        if row.remaining < row.spec.reserve and not row.closing and self.constraint is not None:
            row.matcher = self._closing_matcher(row)
            row.closing = row.steered = True
        return "feed" if row.remaining > 0 else "done"

    def _reads_as_step(self, line: str, direction: str, final: bool) -> bool:
        """Whether ``line`` parses as a step (as the final step, when ``final``)."""
        if final:
            return self.is_final is None or self.is_final(line, direction)
        return self.is_step is None or self.is_step(line)

    def _roll_back(self, row: Row, k: int, attention: torch.Tensor, verdict: Verdict | None,
                   *, final: bool | None = None, key: str | None = None) -> Try:
        """Remove the current step from the row: matcher, tokens, attention.  ``final`` (not
        None: the step is complete) says whether it ended as the final step."""
        tokens = row.tokens[row.step_start:]
        cols = row.cols[row.step_start:]
        row.matcher.rollback(len(tokens))
        if cols:
            attention[k, cols] = False
        del row.tokens[row.step_start:]
        del row.cols[row.step_start:]
        alts, row.alts, row.branched = row.alts[:len(tokens)], [], False
        return Try(tokens, cols, verdict, complete=final is not None, final=bool(final),
                   key=key, alts=alts)

    def _branches(self, row: Row) -> bool:
        """Whether the row's failed tries may be branched off (guided, not closing)."""
        return (self.branch_min_p is not None and self._checker(row) is not None
                and not row.closing)

    def _branch(self, row: Row, k: int, attention: torch.Tensor, failed: list[int]) -> bool:
        """After a try of the row's step (``failed``, its tokens) was thrown away: note its
        tokens as tried, and if the next try is a branching one (every :data:`BRANCH_EVERY`)
        set it up as a branch off a refuted try (:func:`~codecot.narrate.hf.rows.branch_point`,
        see the module doc): the try's tokens before the branch point are put back and the
        token is taken next.  False: the next try starts the step again."""
        if not self._branches(row):
            return False
        row.remember(failed)
        if len(row.tries) % BRANCH_EVERY != 1 % BRANCH_EVERY:
            return False
        assert self.branch_min_p is not None and self.constraint is not None
        found = branch_point(row.tries, row.tried, self.constraint.texts, self.branch_min_p)
        if found is None:
            return False
        t, j, token = found
        self._put_back(row, k, attention, t.tokens[:j], t.cols[:j])
        row.alts = list(t.alts[:j])
        row.forced = (token, t.alts[j])
        row.tried.setdefault(tuple(t.tokens[:j]), set()).add(token)
        row.branched = True
        return True

    def _put_back(self, row: Row, k: int, attention: torch.Tensor, tokens: list[int],
                  cols: list[int]) -> None:
        """Put tokens of a rolled-back try back into the row (matcher, tokens, attention to
        their cache columns, which were kept)."""
        row.matcher.consume_tokens(tokens)
        row.tokens.extend(tokens)
        row.cols.extend(cols)
        if cols:
            attention[k, cols] = True

    def _give_up(self, row: Row, k: int, attention: torch.Tensor,
                 targets: set[Target] | None) -> str:
        """Every try of the step's round failed and is rolled back: skip the step when there
        are ``targets`` (:meth:`_skip_targets`): another round, those lines banned; else keep
        the best try of every round (:meth:`_keep_best`)."""
        if targets:
            row.skip(targets)
            return "retry"
        return self._keep_best(row, k, attention)

    def _skip_targets(self, row: Row) -> set[Target] | None:
        """The lines the step's round's refuted and unknown middle tries were about, when the
        step may be skipped (:func:`~codecot.narrate.guided.skip_targets`): guided, not
        closing, fewer than ``skips`` rounds thrown away.  None: it may not."""
        checker = self._checker(row)
        if checker is None or row.closing or row.skips >= self.skips:
            return None
        failed = [self.step_text(t.tokens) for t in row.tries if t.complete and not t.final
                  and t.verdict in (Verdict.REFUTED, Verdict.UNKNOWN)]
        return skip_targets(checker.lines_ahead(), row.banned, failed)

    def _keep_best(self, row: Row, k: int, attention: torch.Tensor) -> str:
        """Every try failed and is rolled back: put back the best complete one of every round
        (verdict order, the latest of equals) and keep it (see :meth:`_keep`)."""
        tries = row.all_tries
        complete = [i for i, t in enumerate(tries) if t.complete]
        best = tries[max(complete, key=lambda i: (rank(tries[i].verdict), i))]
        self._put_back(row, k, attention, best.tokens, best.cols)
        return self._keep(row, self.step_text(best.tokens), best.final, row.thrown - 1, best.key)
