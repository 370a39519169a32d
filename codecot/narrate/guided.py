"""Step checkers for guided decoding (``--guided K``, DESIGN.md §7 "Closing the loop").

With guided decoding each step the HF narrator writes is checked as soon as it is complete
(:mod:`codecot.narrate.hf.decode`); a step whose verdict is not good (refuted, unknown or
unparsed) is thrown away and resampled, up to K tries.  A :class:`StepChecker` decides one
rationale's steps in order, exactly as the verifier will, given the steps kept so far:

* :meth:`StepChecker.check` decides a candidate line without moving past it;
* :meth:`StepChecker.accept` moves past the line that stays in the rationale;
* :meth:`StepChecker.lines_ahead` names the lines a next step may still be about, with their
  loop iterations (forward: those the trace runs at or after the cursor); the decoder offers
  only those after ``Line`` and ``(iteration`` (:func:`header_allowed`).

:class:`ForwardStepChecker` drives the verifier's own
:class:`~codecot.verify.forward.ForwardChecker` over the record's trace (its cursor is the only
state: saved before a check, restored after, set to the accepted line's).
:class:`BackwardStepChecker` drives a :class:`~codecot.verify.backward.BackwardChecker` in a
backward session (:class:`~codecot.symbolic.session.BackwardSession`, built by the caller: the
pipeline opens its sandbox pools).  While the rationale is being written its final input is
not known yet, so the session is seeded with the record's own input, and the inputs known to
give the output are the record's own and the checks written so far: a choice (``Let x be 4``)
that one of them honours is ``consistent``; any other choice is *deferred* (``check`` returns
``None``: kept, not resampled), since the final input may still honour it, unless the choices
so far fix every parameter to a literal (``Let nums be [1, 2, 3]``): that input is run at once,
and one that does not give the output makes the choice a dead end, ``refuted`` for resampling
(the final input would have to honour it).  The final input step, executed when written, is
refuted if it does not honour the choices.  Checks, pinned inputs and the final input are
executed in the session's trace pool.

A narrator gets a :data:`CheckerFactory`, called once per rationale; narrate sits above verify
in the layers but below pipeline, which builds the factory with the sandbox pools
(:mod:`codecot.pipeline.guided_checks`).  :func:`forward_checkers` is the factory that needs no
pool (backward rationales are then written unchecked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Protocol

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.errors import StepParseError
from codecot.claims.parse import parse_rationale
from codecot.claims.render import render_claim
from codecot.claims.source import argument_sources, input_arguments, source_of
from codecot.corpus import CorpusRecord
from codecot.verify.backward import (
    BackwardChecker,
    check_sources,
    final_input_source,
    is_literal,
)
from codecot.verify.forward import ForwardChecker
from codecot.verify.policy import GOOD
from codecot.verify.verdicts import Verdict

if TYPE_CHECKING:
    from codecot.symbolic.session import BackwardSession


class StepChecker(Protocol):
    """Decides the steps of one rationale in order (see the module doc)."""

    def check(self, line: str) -> Verdict | None:
        """The verdict of ``line`` after the accepted steps (``None``: deferred, keep it)."""
        ...

    def accept(self, line: str) -> None:
        """Move past ``line``, which stays in the rationale."""
        ...

    def lines_ahead(self) -> Mapping[int, frozenset[int]] | None:
        """The lines a next step may name (``Line N``) and still be good, each with the loop
        iterations it may be labelled with (``Line N (iteration k)``); None: any."""
        ...


CheckerFactory = Callable[[CorpusRecord, dict[str, Any], str], "StepChecker | None"]


def is_good(verdict: Verdict | None) -> bool:
    """Whether a step with this verdict is kept without resampling (deferred ones are)."""
    return verdict is None or verdict in GOOD


def rank(verdict: Verdict | None) -> int:
    """Order of tries when every one failed: the best is kept (a deferred step counts as
    unknown)."""
    return int(Verdict.UNKNOWN if verdict is None else verdict)


def parse_line(line: str) -> M.Claim | StepParseError:
    """``line`` as the verifier reads it (numbering stripped, one step)."""
    steps = parse_rationale(line)
    if len(steps) != 1:
        return StepParseError(f"expected one step, found {len(steps)}", text=line)
    return steps[0]


def claim_key(line: str) -> str | None:
    """What ``line`` claims, in words of its own: the parsed claim rendered canonically, so two
    steps with one key say the same thing in other words or spacing (``total is now 7`` and
    ``total  becomes 7``) and get one verdict; None when it does not parse as one step."""
    claim = parse_line(line)
    if isinstance(claim, StepParseError):
        return None
    try:
        return render_claim(claim)
    except ValueError:
        return None


class ForwardStepChecker:
    """The verifier's forward checker over the record's trace, one step at a time."""

    def __init__(self, record: CorpusRecord, trace: dict[str, Any]) -> None:
        self.checker = ForwardChecker(record.code, trace, argument_sources(
            record.code, record.input, record.entry_name))
        self._after: dict[str, int] = {}  # cursor after each line checked since the last accept
        self._ahead: tuple[int, dict[int, frozenset[int]]] | None = None  # at a cursor

    def check(self, line: str) -> Verdict | None:
        claim = parse_line(line)
        if isinstance(claim, StepParseError):
            return Verdict.UNPARSED
        cursor = self.checker.cursor
        try:
            verdict, _ = self.checker.check(claim)
        finally:
            self._after[line] = self.checker.cursor
            self.checker.cursor = cursor
        return verdict

    def accept(self, line: str) -> None:
        if line not in self._after:
            self.check(line)
        if line in self._after:  # else it does not parse: nothing to move past
            self.checker.cursor = self._after[line]
        self._after.clear()

    def lines_ahead(self) -> Mapping[int, frozenset[int]] | None:
        """The lines of the trace's points at or after the cursor, each with the iterations of
        those points (the innermost loop's, and a loop step's own): a step on any other line,
        or labelled with another iteration, has nothing left to align with (refuted: "no ...
        after the previous step", or "never runs"; or, on a helper's line, unknown)."""
        cursor = self.checker.cursor
        if self._ahead is None or self._ahead[0] != cursor:
            found: dict[int, set[int]] = {}
            for p in self.checker.view.points[cursor:]:
                iterations = found.setdefault(p.line, set())
                for k in (p.iteration, p.event.get("iteration")):
                    if isinstance(k, int):
                        iterations.add(k)
            self._ahead = (cursor, {line: frozenset(ks) for line, ks in found.items()})
        return self._ahead[1]


class BackwardStepChecker:
    """The verifier's backward checker in a backward session, one step at a time (see the
    module doc).  ``trace`` is the record's own run, which gives the output."""

    def __init__(self, record: CorpusRecord, trace: dict[str, Any],
                 session: BackwardSession) -> None:
        self.record = record
        self.session = session
        self.witness = trace
        found = input_arguments(record.input)
        self.own = found[0] if found and not found[1] else None
        self.choices: list[Any] = []
        self.checks: list[dict[str, Any]] = []
        self._pending: dict[str, tuple[Any, dict[str, Any] | None]] = {}

    def _run(self, source: str | None) -> dict[str, Any] | None:
        return self.session.retrace([source])[0] if source is not None else None

    def _checker(self, final: dict[str, Any] | None,
                 check: dict[str, Any] | None) -> BackwardChecker:
        rec = self.record
        checker = BackwardChecker(rec.entry_name, [], str(rec.output), final,
                                  [check] if check is not None else [], code=rec.code,
                                  session=self.session, record_input=rec.input)
        checker.all_checks = (self.witness, *self.checks)
        checker.choices = list(self.choices)
        return checker

    def check(self, line: str) -> Verdict | None:
        claim = parse_line(line)
        if isinstance(claim, StepParseError):
            return Verdict.UNPARSED
        final = self._run(final_input_source([claim], self.own)) \
            if isinstance(claim, M.InputClaim) else None
        check = self._run(check_sources([claim], self.own)[0]) \
            if isinstance(claim, M.CheckClaim) else None
        verdict, _ = self._checker(final, check).check(claim)
        self._pending[line] = (claim, check)
        if (isinstance(claim, M.ConditionOnInputClaim) and claim.modality is M.Modality.CHOICE
                and verdict is Verdict.UNKNOWN):
            return self._pinned(claim)
        return verdict

    def _pinned(self, claim: M.ConditionOnInputClaim) -> Verdict | None:
        """A deferred choice: ``refuted`` when it and the choices before it fix every
        parameter to a literal and that input does not give the output, else None."""
        params = source_of(self.record.code).params(self.record.entry_name)
        fixed: dict[str, E.Expr] = {}
        for condition in (*self.choices, claim.condition):
            if (isinstance(condition, E.Compare) and condition.ops == ("==",)
                    and isinstance(condition.left, E.Name) and is_literal(condition.comparators[0])):
                fixed[condition.left.id] = condition.comparators[0]
        if not params or set(params) - set(fixed):
            return None
        pinned = M.InputClaim(args=tuple(fixed[p] for p in params))
        run = self._run(final_input_source([pinned], self.own))
        verdict, _ = self._checker(run, None).check(pinned)
        return Verdict.REFUTED if verdict is Verdict.REFUTED else None

    def accept(self, line: str) -> None:
        if line not in self._pending:
            self.check(line)
        found = self._pending.get(line)
        self._pending.clear()
        if found is None:  # it does not parse: nothing to move past
            return
        claim, check = found
        if isinstance(claim, M.ConditionOnInputClaim) and claim.modality is M.Modality.CHOICE:
            self.choices.append(claim.condition)
        if check is not None:
            self.checks.append(check)

    def lines_ahead(self) -> Mapping[int, frozenset[int]] | None:
        """None: a backward step's ``Line N`` is not tied to an order."""
        return None


def _flat(text: str) -> str:
    return re.sub(r"[ \t]+", "", text).lower()


#: ``Line N: iteration K`` as far as written (a loop step's own iteration), case and spacing
#: free; the word before the number is ``iteration`` (or, with no number yet, a start of it).
_LOOP_STEP = re.compile(r"\s*line[ \t]*(\d+)[ \t]*:[ \t]*([a-z]+)(?:([ \t]+)(\d*))?",
                        re.IGNORECASE)
#: A loop step's ``Line N: iteration`` and the space before its number.
_LOOP_OPEN = re.compile(r"\s*line[ \t]*(\d+)[ \t]*:[ \t]*iteration[ \t]+", re.IGNORECASE)
#: A loop step's ``Line N: iteration K`` once K has a digit.
_LOOP_NUMBER = re.compile(r"\s*line[ \t]*(\d+)[ \t]*:[ \t]*iteration[ \t]+(\d+)",
                          re.IGNORECASE)


def header_open(text: str) -> bool:
    """Whether a step that begins with ``text`` is still writing a ``Line N (iteration k)``
    header (``L``, ``Line 1``, ``Line 12 (itera``; not ``Line 12:``, nor an empty step), or
    the number of a loop step's ``Line N: iteration K`` (``Line 3: iter``, ``Line 3:
    iteration 1``)."""
    found = _LOOP_STEP.fullmatch(text)
    if found is not None:
        word = found.group(2).lower()
        return word == "iteration" if found.group(3) else "iteration".startswith(word)
    flat = _flat(text)
    if "line".startswith(flat):
        return bool(flat)
    found = re.fullmatch(r"line\d+(?:\(([a-z]*)(\d*))?", flat)
    if found is None:
        return False
    letters, digits = found.group(1) or "", found.group(2) or ""
    return letters == "iteration" if digits else "iteration".startswith(letters)


def header_allowed(text: str, ahead: Mapping[int, frozenset[int]]) -> bool:
    """Whether a step that begins with ``text`` may still name a line of ``ahead``, labelled
    (if at all) with one of that line's iterations: False only for a ``Line N`` whose number,
    as far as written, fits no line ahead, or whose ``(iteration k)`` fits none of N's
    iterations (or N has none), or a loop step ``Line N: iteration K`` whose K fits none of
    them (or, with no K yet, N has none); any text that is no such header is allowed."""
    if not _line_allowed(text, ahead):
        return False
    loop = _LOOP_NUMBER.match(text)
    if loop is None:
        opened = _LOOP_OPEN.fullmatch(text)  # no number yet: N must have an iteration ahead
        return opened is None or bool(ahead.get(int(opened.group(1))))
    iterations, k = ahead.get(int(loop.group(1)), frozenset()), loop.group(2)
    if loop.end() == len(text):  # the number may go on
        return any(str(i).startswith(k) for i in iterations)
    return int(k) in iterations


def _line_allowed(text: str, ahead: Mapping[int, frozenset[int]]) -> bool:
    """:func:`header_allowed` for the ``Line N (iteration k)`` header alone."""
    flat = _flat(text)
    found = re.match(r"line(\d+)", flat)
    if found is None:
        return True  # no line number yet, or a name: ``lines``
    number, rest = found.group(1), flat[found.end():]
    if not rest:  # the number may go on
        return any(str(n).startswith(number) for n in ahead)
    if int(number) not in ahead:
        return False
    if not rest.startswith("("):
        return True  # the header ends: a colon, ``raises``, ``returns``
    iterations = ahead[int(number)]
    label = re.match(r"\(iteration(\d+)", rest)
    if label is None:  # no iteration number yet
        return bool(iterations)
    k = label.group(1)
    if label.end() == len(rest):  # the iteration's number may go on
        return any(str(i).startswith(k) for i in iterations)
    return int(k) in iterations


#: The line a step is about and its loop iteration (None: not labelled).
Target = tuple[int, int | None]


def step_target(line: str) -> Target | None:
    """The line, and loop iteration, that ``line``'s header names (``Line 6 (iteration 2):
    ...`` and ``Line 3: iteration 2 starts ...``: (6, 2) and (3, 2); ``Line 9 returns ...``:
    (9, None)); None when it names no line or does not parse."""
    claim = parse_line(line)
    if isinstance(claim, StepParseError) or claim.line is None:
        return None
    return claim.line, claim.iteration


def without_targets(ahead: Mapping[int, frozenset[int]],
                    banned: AbstractSet[Target]) -> dict[int, frozenset[int]]:
    """``ahead`` (lines with their iterations, :meth:`StepChecker.lines_ahead`) less the
    ``banned`` targets: (N, k) takes iteration k from line N, (N, None) the whole line, and a
    line whose iterations are all taken goes too (an unlabelled ``Line N`` would align with
    the first of them)."""
    left: dict[int, frozenset[int]] = {}
    for line, iterations in ahead.items():
        if (line, None) in banned:
            continue
        kept = frozenset(k for k in iterations if (line, k) not in banned)
        if iterations and not kept:
            continue
        left[line] = kept
    return left


def skip_targets(ahead: Mapping[int, frozenset[int]] | None, banned: AbstractSet[Target],
                 failed: Iterable[str]) -> set[Target] | None:
    """What a step skipped after its ``failed`` tries may no longer name: their targets
    (:func:`step_target`), added to those ``banned`` before.  None when the checker names no
    lines ahead (``ahead`` None), or the targets would ban nothing more or leave no line."""
    if ahead is None:
        return None
    targets = {target for line in failed if (target := step_target(line)) is not None}
    after = without_targets(ahead, {*banned, *targets})
    return targets if after and after != without_targets(ahead, banned) else None


def forward_checkers(record: CorpusRecord, trace: dict[str, Any],
                     direction: str) -> StepChecker | None:
    """A :data:`CheckerFactory` for forward rationales only (no sandbox pool needed)."""
    if direction == "forward" and trace.get("ok"):
        return ForwardStepChecker(record, trace)
    return None
