"""Checking free-form statements against a run, without line numbers (DESIGN.md §4).

A statement (:mod:`codecot.claims.freeform`) is placed by what it names and by order: the
moments it may stand for are those at or after the moment of the previous placed statement
(any moment when it looks back: ``initially``, ``was``), inside its iteration, at its line and
with its loop bindings when the text gave them.

* ``verified``: at the first such moment where every claim of one of its options holds (the
  claim compiler confirms it there); later statements are placed from that moment on;
* ``refuted``: no option holds at any moment consistent with the order, and the detail says
  what the run has instead at the nearest moment in context (``start is -1 there, not 0``);
* ``unknown``: the statement cannot be placed: a name the run does not have, a context no
  moment matches, a match only outside its stated iteration or line or only before the
  previous statement, a name that a comprehension or lambda may bind, or an expression the
  compiler cannot decide.  Failing to place a statement is never a refutation, and a match the
  order rules out is never a verification.

Working such as ``(0 != -1)`` or ``(3 + 4 = 7)`` needs no moment: it is decided as written.
Events (branches, loop ends, returns) are placed the same way among the run's events.  The
entry call and the final output are facts about the whole run.  Backward statements
(``must``, ``could be``, the input) go to :class:`codecot.verify.backward.BackwardChecker`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform.model import (
    AppendClaim,
    BranchClaim,
    ComprehensionClaim,
    DeltaClaim,
    FreeCallClaim,
    NothingAddedClaim,
    OutputClaim,
    Statement,
)
from codecot.claims.reference import NotInSubset, TooExpensive, evaluate
from codecot.claims.render import render_expr
from codecot.claims.source import same_source
from codecot.solver import Truth, Unsupported, decide_expr, encode
from codecot.trace.values import decode, same_value
from codecot.verify.free_points import (
    MISSING,
    Event,
    Moment,
    RunView,
    parse_program,
    untraced_names,
)
from codecot.verify.verdicts import Verdict

Outcome = tuple[Verdict, str]
_NA = object()  # a claim that does not apply at a moment (a name out of scope there)
_UNDECIDED = object()  # an expression outside what can be evaluated
_MOMENT_CLAIMS = (M.StateClaim, M.ConditionClaim, DeltaClaim, AppendClaim)
_BUILTIN_NAMES = frozenset(E.BUILTIN_FUNCTIONS) | {"str", "int", "list", "dict", "set", "tuple",
                                                    "float", "bool", "bytes"}
#: the input as a whole (``the input must have 5 characters``): the only parameter
INPUT_NAME = "__input__"


def _same(a: Any, b: Any) -> bool:
    """Python ``==`` where bools and numbers do not mix (``True`` is not ``1`` here)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    return same_value(a, b) or (type(a) is type(b) and _eq(a, b))


def _eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


class FreeChecker:
    """Places and decides the statements of one free-form rationale, in order."""

    def __init__(self, code: str, trace: dict[str, Any], *, entry: str,
                 backward: Callable[[M.Claim], Outcome] | None = None,
                 record_output: str | None = None,
                 arg_sources: dict[str, str] | None = None) -> None:
        self.arg_sources = arg_sources or {}
        #: iterations in which a statement placed by its stated iteration was verified: the
        #: text counts iterations as the run does there
        self.iterations_confirmed: set[int] = set()
        self.view = RunView(trace)
        self.trace = trace
        self.entry = entry
        self.cursor = 0
        self.tree = parse_program(code)
        self.untraced = untraced_names(self.tree)
        self.params = list((trace.get("args") or {}).keys())
        self.backward = backward
        self.output = record_output if record_output is not None else trace.get("output")

    # -- entry ---------------------------------------------------------------------------------

    def check(self, st: Statement) -> Outcome:
        first = st.options[0][0] if st.options and st.options[0] else None
        if first is None:
            return Verdict.UNKNOWN, "nothing to check"
        if isinstance(first, M.ConditionOnInputClaim | M.InputClaim | M.CheckClaim):
            return self._backward(st)
        if st.pure:
            return self._pure(first)
        if isinstance(first, FreeCallClaim):
            return self._call(first)
        if isinstance(first, OutputClaim):
            verdict, detail = self._output(first)
            if verdict is Verdict.REFUTED and len(st.options) > 1:
                other = Statement("state", st.options[1:], st.clause, st.iteration, st.line,
                                  st.bindings, st.looks_back)
                alt = self._moments(other)
                if alt[0] is not Verdict.REFUTED:
                    return alt
            return verdict, detail
        if isinstance(first, BranchClaim | M.LoopEndClaim | M.ReturnClaim | M.RaiseClaim):
            missing, _ = self._names(st)
            if missing is not None:
                return Verdict.UNKNOWN, f"the run has no variable {missing}"
            return self._event(st, first)
        if isinstance(first, M.CallResultClaim):
            return self._call_result(first)
        if isinstance(first, NothingAddedClaim):
            return self._nothing_added(st, first)
        if isinstance(first, ComprehensionClaim):
            return self._comprehension(st, first)
        return self._moments(st)

    # -- statements that need no moment ----------------------------------------------------------

    def _pure(self, claim: M.Claim) -> Outcome:
        value = self._holds(claim, None)
        if value is True:
            return Verdict.VERIFIED, ""
        if value is False:
            return Verdict.REFUTED, _describe(claim, None, self)
        return Verdict.UNKNOWN, "the working cannot be evaluated"

    def _call(self, c: FreeCallClaim) -> Outcome:
        args = dict(self.trace.get("args") or {})
        for name, value in c.named:
            if name not in args:
                return Verdict.UNKNOWN, f"{self.entry} has no parameter {name}"
            bad = self._arg(name, args[name], value)
            if bad:
                return bad
        if c.positional:
            if len(c.positional) != len(args):
                return Verdict.UNKNOWN, "the arguments cannot be matched with the parameters"
            for (name, rep), value in zip(args.items(), c.positional, strict=True):
                bad = self._arg(name, rep, value)
                if bad:
                    return bad
        return Verdict.VERIFIED, ""

    def _arg(self, name: str, rep: str, claimed: E.Expr) -> Outcome | None:
        if rep.startswith("<"):
            return Verdict.UNKNOWN, f"the value of {name} has no literal form"
        got = _value(claimed, {})
        if got is _UNDECIDED or got is _NA:
            return Verdict.UNKNOWN, f"{render_expr(claimed)} is not a value"
        if not _same(decode(rep), got):
            return Verdict.REFUTED, f"at the call, {name} is {rep}, not {render_expr(claimed)}"
        return None

    def _output(self, c: OutputClaim) -> Outcome:
        if not isinstance(self.output, str) or self.output.startswith("<"):
            return Verdict.UNKNOWN, "the run has no output to compare"
        if isinstance(c.call, E.Call):
            if c.call.func != self.entry:
                return Verdict.UNKNOWN, f"the call is not of {self.entry}"
            args = list((self.trace.get("args") or {}).values())
            if len(args) != len(c.call.args) or any(a.startswith("<") for a in args):
                return Verdict.UNKNOWN, "the call's arguments cannot be compared"
            own = list(self.arg_sources.values())
            for k, (rep, claimed) in enumerate(zip(args, c.call.args, strict=True)):
                got = _value(claimed, {})
                if got is _NA or got is _UNDECIDED:
                    # a name of the program (a global) or an expression: the input's own text
                    if k < len(own) and same_source(render_expr(claimed), own[k]):
                        continue
                    return Verdict.UNKNOWN, f"the argument {render_expr(claimed)} cannot be compared"
                if not _same(decode(rep), got):
                    shown = ", ".join(args)
                    return Verdict.REFUTED, f"the call is {self.entry}({shown})"
        got = _value(c.value, {})
        if got is _UNDECIDED or got is _NA:
            return Verdict.UNKNOWN, f"{render_expr(c.value)} is not a value"
        if _same(decode(self.output), got):
            return Verdict.VERIFIED, ""
        return Verdict.REFUTED, f"{self.entry} returns {self.output}, not {render_expr(c.value)}"

    # -- statements about moments ------------------------------------------------------------------

    def _names(self, st: Statement) -> tuple[str | None, bool]:
        """(a name the run never has, whether a name may belong to an untraced scope)."""
        names: set[str] = set()
        for option in st.options:
            for claim in option:
                for expr in _exprs(claim):
                    names |= E.free_names(expr)
        names |= {n for n, _ in st.bindings}
        missing = sorted(names - self.view.names)  # a builtin named as a value is no variable
        return (missing[0] if missing else None), bool(names & self.untraced)

    def _context(self, st: Statement, m: Moment) -> bool:
        if st.iteration is not None and not m.in_iteration(st.iteration):
            return False
        if st.line is not None and m.line != st.line:
            return False
        for name, value in st.bindings:
            got = m.value(name, self.view.globals)
            want = _value(value, {})
            if got is MISSING or want is _NA or want is _UNDECIDED or not _same(got, want):
                return False
        return True

    def _moments(self, st: Statement) -> Outcome:
        missing, untraced = self._names(st)
        if missing is not None:
            return Verdict.UNKNOWN, f"the run has no variable {missing}"
        moments = self.view.moments
        later = [m for m in moments if st.looks_back or m.pos >= self.cursor]
        in_context = [m for m in later if self._context(st, m)]
        undecided = False
        for option in st.options:
            for m in in_context:
                result = self._group(option, m)
                if result is True:
                    if st.iteration is not None and st.iteration_stated and st.kind != "iteration":
                        self.iterations_confirmed.add(st.iteration)
                    return self._confirm(option, m)
                undecided = undecided or result is _UNDECIDED
        if undecided:
            return Verdict.UNKNOWN, "an expression of the statement cannot be evaluated"
        where = _where(st)
        elsewhere = [m for m in later if any(self._group(o, m) is True for o in st.options)]
        if elsewhere:
            wrong = self._wrong_iteration(st, in_context, elsewhere)
            if wrong is not None:
                return wrong
            return Verdict.UNKNOWN, f"it holds, but not {where}" if where else "it holds elsewhere"
        if any(self._group(o, m) is True for o in st.options for m in moments if m.pos < self.cursor):
            return Verdict.UNKNOWN, "it holds only before what the previous statement describes"
        applicable = [m for m in in_context if all(self._holds(c, m) is not _NA for c in st.options[0])]
        if not applicable:
            return Verdict.UNKNOWN, f"no moment {where or 'after the previous statement'} has " \
                "every name it uses"
        if untraced:
            return Verdict.UNKNOWN, "a name it uses may belong to a comprehension or lambda"
        # the nearest moment where most of the statement holds, its main claim first: the
        # detail then names what differs there ("starting is -1 there, not 0")
        best = max(applicable, key=lambda m: (sum(self._holds(c, m) is True for c in st.options[0]),
                                             self._holds(st.options[0][0], m) is True))
        failing = next(c for c in st.options[0] if self._holds(c, best) is not True)
        if not self._solver_agrees(failing, best, False):
            return Verdict.UNKNOWN, "the claim compiler does not confirm the refutation"
        return Verdict.REFUTED, _describe(failing, best, self) + (f" ({where})" if where else "")

    def _wrong_iteration(self, st: Statement, in_context: list[Moment],
                         elsewhere: list[Moment]) -> Outcome | None:
        """``refuted`` for a statement placed in iteration k that holds only in other iterations
        of the same loop (a value from the wrong iteration); None when that is not the case
        (no stated iteration, other context too, or a match outside the loop)."""
        if st.iteration is None or not st.iteration_stated or st.line is not None or st.bindings \
                or not in_context or st.iteration not in self.iterations_confirmed:
            return None  # refuted only where another statement shows the text counts as the run
        heads = {h for m in in_context for h, it in m.loops if it == st.iteration}
        if not any(any(h in heads for h, _ in m.loops) for m in elsewhere):
            return None  # it holds only after the loop: the iteration may just have been left open
        applicable = [m for m in in_context if all(self._holds(c, m) is not _NA for c in st.options[0])]
        if not applicable:
            return None
        failing = next((c for c in st.options[0] if self._holds(c, applicable[-1]) is not True), None)
        if failing is None or not self._solver_agrees(failing, applicable[-1], False):
            return None
        return Verdict.REFUTED, (f"{_describe(failing, applicable[-1], self)} (at the end of iteration "
                                 f"{st.iteration}; it holds only in another iteration)")

    def _comprehension(self, st: Statement, claim: ComprehensionClaim) -> Outcome:
        """The one comprehension's value: as the name it is assigned to after its line, or as
        what the function returns; ``unknown`` where there are several or its value is used
        in a bigger expression."""
        where = _comprehension_use(self.tree)
        if where is None:
            return Verdict.UNKNOWN, "the program has no single comprehension whose value the run shows"
        name, line = where
        if name is None:
            inner = Statement("return", ((M.ReturnClaim(expr=None, value=claim.value),),), st.clause,
                              st.iteration, None, st.bindings, st.looks_back)
            return self._event(inner, inner.options[0][0])
        inner = Statement("state", ((M.StateClaim(target=E.Name(name), chain=(claim.value,)),),),
                          st.clause, st.iteration, line, st.bindings, st.looks_back)
        return self._moments(inner)

    def _nothing_added(self, st: Statement, claim: NothingAddedClaim) -> Outcome:
        """``nothing is appended``: decided over one loop iteration, from the collection's
        length before and after each line of it.  The iteration is the one the sentence names
        (or where its bindings hold); without one, the rest of the iteration that the previous
        statement was placed in."""
        target = claim.target if claim.target is not None else _append_target(self.tree, claim.word)
        if target is None:
            return Verdict.UNKNOWN, "which collection is meant is not clear"
        missing = sorted(E.free_names(target) - self.view.names)
        if missing:
            return Verdict.UNKNOWN, f"the run has no variable {missing[0]}"
        moments = self.view.moments
        if st.iteration is not None or st.bindings:
            placed = [m for m in moments if m.pos >= self.cursor and self._context(st, m)]
            anchor, start = (placed[0], placed[0].pos) if placed else (None, 0)
        else:
            before = [m for m in moments if m.pos <= self.cursor] if self.cursor else []
            anchor = before[-1] if before else None
            start = anchor.pos + 1 if anchor else 0
        if anchor is None or not anchor.loops:
            return Verdict.UNKNOWN, f"no loop iteration {_where(st) or 'at the previous statement'}"
        head, it = anchor.loops[-1]
        stretch = [m for m in moments if m.pos >= start and (head, it) in m.loops]
        if stretch and stretch[-1] is moments[-1]:
            return Verdict.UNKNOWN, "the run ends inside that iteration"
        item = _value(claim.item, {}) if claim.item is not None else _NA
        name = render_expr(target)
        for m in stretch:
            if m.before is None:
                continue
            now, was = _value(target, _Env(m, self.view.globals)), _value(target, _Env(m.before, self.view.globals))
            if not isinstance(now, list | set) or not isinstance(was, list | set) or len(now) <= len(was):
                continue
            if claim.word == "appended" and not isinstance(now, list):
                continue
            if claim.item is not None and not (
                    (isinstance(now, list) and _same(now[-1], item))
                    or (isinstance(now, set) and item in now and item not in was)):
                continue
            return Verdict.REFUTED, (f"in iteration {it} of the loop at line {head}, {name} grows from "
                                     f"{was!r} to {now!r} at line {m.line}")
        return Verdict.VERIFIED, ""

    def _other_iterations_only(self, st: Statement, seen: list[Event], elsewhere: list[Event]) -> bool:
        """Whether an event statement placed in a confirmed iteration k (see
        :meth:`_wrong_iteration`) matches only events of other iterations of the same loop."""
        if st.iteration is None or not st.iteration_stated or st.line is not None or st.bindings \
                or st.looks_back or st.iteration not in self.iterations_confirmed:
            return False
        heads = {h for e in seen for h, it in e.loops if it == st.iteration}
        return bool(heads) and all(
            any(h in heads and it != st.iteration for h, it in e.loops) for e in elsewhere)

    def _group(self, option: Sequence[M.Claim], m: Moment) -> object:
        """True when every claim holds at ``m``; False, _NA or _UNDECIDED otherwise."""
        verdict: object = True
        for claim in option:
            held = self._holds(claim, m)
            if held is _NA or held is _UNDECIDED:
                return held
            if held is False:
                verdict = False
        return verdict

    def _confirm(self, option: Sequence[M.Claim], m: Moment) -> Outcome:
        for claim in option:
            if not self._solver_agrees(claim, m, True):
                return Verdict.UNKNOWN, "the claim compiler cannot confirm it"
        self.cursor = m.pos
        return Verdict.VERIFIED, ""

    def _solver_agrees(self, claim: M.Claim, m: Moment | None, truth: bool) -> bool:
        """Whether the claim compiler (Z3) decides ``claim`` at ``m`` as ``truth``; claims it has
        no formula for (deltas, appends) are taken from the reference evaluation."""
        formula = _formula(claim)
        if formula is None:
            return True
        env = {}
        for name in E.free_names(formula):
            value = m.value(name, self.view.globals) if m is not None else MISSING
            if value is MISSING:
                if name in _BUILTIN_NAMES:
                    continue
                return False
            try:
                env[name] = encode(value)
            except (Unsupported, ValueError):
                return False
        try:
            decision = decide_expr(formula, env)
        except Exception:
            return False
        want = Truth.TRUE if truth else Truth.FALSE
        return decision.truth is want

    def _holds(self, claim: M.Claim, m: Moment | None) -> object:
        """The truth of a moment claim at ``m`` (None: no moment): True, False, _NA or
        _UNDECIDED."""
        env = _Env(m, self.view.globals)
        if isinstance(claim, M.StateClaim):
            target = _value(claim.target, env)
            if target is _NA or target is _UNDECIDED:
                return target
            for link in claim.chain:
                got = _value(link, env)
                if got is _NA or got is _UNDECIDED:
                    return got
                if not _same(target, got):
                    return False
            return True
        if isinstance(claim, M.ConditionClaim):
            got = _value(claim.condition, env)
            if got is _NA or got is _UNDECIDED:
                return got
            if got is _RAISES:
                return False
            try:
                return bool(got) == claim.truth
            except Exception:
                return _UNDECIDED
        if isinstance(claim, DeltaClaim):
            if m is None or m.before is None:
                return _NA
            after, before = _value(claim.target, env), _value(claim.target, _Env(m.before, self.view.globals))
            step = _value(claim.delta, {})
            if any(x is _NA or x is _UNDECIDED for x in (after, before, step)):
                return _NA
            if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (after, before, step)):
                return _UNDECIDED
            return bool(after - before == step)
        if isinstance(claim, AppendClaim):
            if m is None or m.before is None:
                return _NA
            now = _value(claim.target, env)
            was = _value(claim.target, _Env(m.before, self.view.globals))
            item = _value(claim.item, env)
            if any(x is _NA or x is _UNDECIDED for x in (now, was, item)):
                return _NA
            if not isinstance(now, list) or not isinstance(was, list):
                return _UNDECIDED
            return len(now) == len(was) + 1 and bool(now) and _same(now[-1], item)
        return _UNDECIDED

    # -- events -----------------------------------------------------------------------------------

    def _event(self, st: Statement, claim: M.Claim) -> Outcome:
        events = self.view.events
        later = [e for e in events if st.looks_back or e.pos >= self.cursor]
        in_context = [e for e in later if st.iteration is None or isinstance(claim, M.LoopEndClaim)
                      or any(it == st.iteration for _, it in e.loops)]
        match = self._event_match(claim)
        relevant = self._event_kind(claim)
        for e in in_context:
            if match(e):
                self.cursor = e.pos
                return Verdict.VERIFIED, ""
        seen = [e for e in in_context if relevant(e)]
        elsewhere = [e for e in events if match(e)]  # none in context: those matched above
        if seen and elsewhere and self._other_iterations_only(st, seen, elsewhere):
            return Verdict.REFUTED, (f"{self._event_truth(claim, seen[0])} (in iteration {st.iteration}; "
                                     "it happens only in another iteration)")
        if any(st.looks_back or e.pos >= self.cursor for e in elsewhere):
            return Verdict.UNKNOWN, f"it happens, but not {_where(st)}"
        if any(e.pos < self.cursor for e in elsewhere):
            return Verdict.UNKNOWN, "it happens only before what the previous statement describes"
        if not seen:
            return Verdict.UNKNOWN, "nothing of its kind happens after the previous statement"
        return Verdict.REFUTED, self._event_truth(claim, seen[0])

    def _event_kind(self, claim: M.Claim) -> Callable[[Event], bool]:
        if isinstance(claim, BranchClaim):
            def branch(e: Event) -> bool:
                if claim.loop is False:
                    return e.kind == "branch" and e.data.get("kind") in ("if", "elif")
                if claim.loop is True:
                    return (e.kind == "branch" and e.data.get("kind") == "while") or \
                        e.kind in ("loop_iter", "loop_end")
                return e.kind in ("branch", "loop_iter", "loop_end")
            return branch
        if isinstance(claim, M.LoopEndClaim):
            return lambda e: e.kind == "loop_end"
        if isinstance(claim, M.RaiseClaim):
            return lambda e: e.kind == "exception"
        return lambda e: e.kind == "return"

    def _event_match(self, claim: M.Claim) -> Callable[[Event], bool]:
        kind = self._event_kind(claim)
        if isinstance(claim, BranchClaim):
            def outcome(e: Event) -> bool:
                if not kind(e):
                    return False
                if e.kind == "branch":
                    return bool(e.data.get("taken")) == claim.taken
                return (e.kind == "loop_iter") == claim.taken
            return outcome
        if isinstance(claim, M.LoopEndClaim):
            return lambda e: (kind(e) and int(e.data.get("iterations", -1)) == claim.iterations
                              and (claim.how != "break" or e.data.get("reason") == "break"))
        if isinstance(claim, M.RaiseClaim):
            return lambda e: kind(e) and str(e.data.get("type")) == claim.exc_type
        assert isinstance(claim, M.ReturnClaim)
        constant = _value(claim.value, {}) if not E.free_names(claim.value) else _NA

        def returns(e: Event) -> bool:
            if not kind(e):
                return False
            frame = self._moment_before(e)
            env = _Env(frame, self.view.globals) if frame else {}
            want = constant if constant is not _NA else _value(claim.value, env)
            if want is _NA or want is _UNDECIDED:
                return False
            rep = str(e.data.get("value"))
            if rep.startswith("<") or not _same(_decoded(rep), want):
                return False
            if claim.expr is None or claim.expr is claim.value:
                return True
            got = _value(claim.expr, env)
            return got is not _NA and got is not _UNDECIDED and _same(got, want)
        return returns

    def _moment_before(self, e: Event) -> Moment | None:
        found = None
        for m in self.view.moments:
            if m.pos > e.pos:
                break
            if m.depth == e.depth:
                found = m
        return found

    def _event_truth(self, claim: M.Claim, e: Event) -> str:
        if isinstance(claim, M.LoopEndClaim):
            how = " and breaks" if e.data.get("reason") == "break" else ""
            return (f"the loop on line {e.line} runs {e.data.get('iterations')} iterations{how}, not "
                    f"{claim.iterations}{' with a break' if claim.how == 'break' else ''}")
        if isinstance(claim, M.ReturnClaim):
            return f"line {e.line} returns {e.data.get('value')}, not {render_expr(claim.value)}"
        if isinstance(claim, M.RaiseClaim):
            return f"line {e.line} raises {e.data.get('type')}, not {claim.exc_type}"
        if e.kind == "branch":
            word = "taken" if e.data.get("taken") else "not taken"
            return f"the branch on line {e.line} is {word}"
        return f"the loop on line {e.line} {'goes on' if e.kind == 'loop_iter' else 'ends'} there"

    def _call_result(self, c: M.CallResultClaim) -> Outcome:
        """``is_prime(15) returns True``: a traced call of the program's function with those
        arguments, in order, and its result."""
        if not isinstance(c.call, E.Call):
            return Verdict.UNKNOWN, "not a call of a named function"
        args = [_value(a, {}) for a in c.call.args]
        want = _value(c.value, {})
        if any(a is _NA or a is _UNDECIDED for a in args) or want is _NA or want is _UNDECIDED:
            return Verdict.UNKNOWN, "the call's arguments or result are not values"
        matching = [k for k in self.view.calls if k.func == c.call.func and len(k.args) == len(args)
                    and all(not r.startswith("<") and _same(_decoded(r), a)
                            for r, a in zip(k.args, args, strict=True))]
        later = [k for k in matching if k.pos >= self.cursor]
        for k in later:
            if k.result is not None and not k.result.startswith("<") and _same(_decoded(k.result), want):
                self.cursor = k.pos
                return Verdict.VERIFIED, ""
        if not matching:
            return Verdict.UNKNOWN, f"the run makes no call {render_expr(c.call)}"
        k = (later or matching)[0]
        if k.result is None:
            return Verdict.REFUTED, f"{render_expr(c.call)} raises an exception"
        if not later:
            return Verdict.UNKNOWN, "the call happens only before what the previous statement describes"
        return Verdict.REFUTED, f"{render_expr(c.call)} returns {k.result}, not {render_expr(c.value)}"

    # -- backward ---------------------------------------------------------------------------------

    def _backward(self, st: Statement) -> Outcome:
        if self.backward is None:
            return Verdict.UNKNOWN, "backward statements need the backward checker"
        claim = st.options[0][0]
        names = {n for x in _exprs(claim) for n in E.free_names(x)} - {INPUT_NAME}
        if names - set(self.params) - self.view.names:
            missing = sorted(names - set(self.params) - self.view.names)[0]
            return Verdict.UNKNOWN, f"the run has no variable {missing}"
        if INPUT_NAME in {n for x in _exprs(claim) for n in E.free_names(x)}:
            if len(self.params) != 1:
                return Verdict.UNKNOWN, "'the input' is ambiguous: the function takes " \
                    f"{len(self.params)} parameters"
            claim = _rename(claim, INPUT_NAME, self.params[0])
        return self.backward(claim)


class _Env(dict[str, Any]):
    """Variables of a moment, decoded on first use (missing ones raise KeyError)."""

    def __init__(self, m: Moment | None, globals_: dict[str, str]) -> None:
        super().__init__()
        self.m = m
        self.g = globals_

    def __missing__(self, name: str) -> Any:
        value = self.m.value(name, self.g) if self.m is not None else MISSING
        if value is MISSING:
            raise KeyError(name)
        self[name] = value
        return value


def _value(expr: E.Expr, env: Any) -> Any:
    """The value of ``expr`` under ``env``: a Python value, _NA (a name has no value there) or
    _UNDECIDED (outside the subset).  An expression Python raises on has no value: _UNDECIDED
    for the claim it is in, which then does not hold."""
    names = E.free_names(expr)
    scope: dict[str, Any] = {}
    for name in names:
        try:
            scope[name] = env[name]
        except KeyError:
            if name in _BUILTIN_NAMES:
                continue
            return _NA
    try:
        return evaluate(expr, scope)
    except (NotInSubset, TooExpensive, RecursionError, NameError):
        return _UNDECIDED
    except Exception:
        return _RAISES


class _Raises:
    """The value of an expression Python raises on: equal to nothing, falsy."""

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False


_RAISES = _Raises()


def _decoded(rep: str) -> Any:
    try:
        return decode(rep)
    except (ValueError, SyntaxError):
        return MISSING


def _exprs(claim: M.Claim) -> list[E.Expr]:
    out: list[E.Expr] = []
    for field in ("target", "condition", "value", "item", "delta", "expr", "call"):
        x = getattr(claim, field, None)
        if x is not None and type(x).__module__ == E.__name__:
            out.append(x)
    out.extend(getattr(claim, "chain", ()) or ())
    out.extend(getattr(claim, "args", ()) or ())
    return out


def _formula(claim: M.Claim) -> E.Expr | None:
    if isinstance(claim, M.StateClaim):
        return E.Compare(claim.target, ("==",) * len(claim.chain), claim.chain)
    if isinstance(claim, M.ConditionClaim):
        return claim.condition if claim.truth else E.UnaryOp("not", claim.condition)
    return None


def _where(st: Statement) -> str:
    parts = []
    if st.iteration is not None:
        parts.append(f"in iteration {st.iteration}")
    if st.line is not None:
        parts.append(f"at line {st.line}")
    if st.bindings:
        parts.append("where " + " and ".join(f"{n} is {render_expr(v)}" for n, v in st.bindings))
    return ", ".join(parts)


def _describe(claim: M.Claim, m: Moment | None, checker: FreeChecker) -> str:
    """What the run has instead of ``claim`` at ``m``, in words."""
    env = _Env(m, checker.view.globals)
    if isinstance(claim, M.StateClaim):
        target = _value(claim.target, env)
        shown = render_expr(claim.chain[-1])
        if target is _NA or target is _UNDECIDED or target is _RAISES:
            return f"{render_expr(claim.target)} is not {shown}"
        for link in claim.chain:
            if not _same(target, _value(link, env)):
                shown = render_expr(link)
                break
        return f"{render_expr(claim.target)} is {target!r} there, not {shown}"
    if isinstance(claim, M.ConditionClaim):
        return f"{render_expr(claim.condition)} is {not claim.truth}, not {claim.truth}"
    if isinstance(claim, DeltaClaim):
        return f"no line changes {render_expr(claim.target)} by {render_expr(claim.delta)} there"
    if isinstance(claim, AppendClaim):
        return f"{render_expr(claim.item)} is not appended to {render_expr(claim.target)} there"
    return "it does not hold"


def _rename(claim: M.Claim, old: str, new: str) -> M.Claim:
    import dataclasses

    def swap(x: Any) -> Any:
        if isinstance(x, E.Name) and x.id == old:
            return E.Name(new)
        if isinstance(x, tuple):
            return tuple(swap(i) for i in x)
        if type(x).__module__ == E.__name__ and hasattr(x, "__slots__") and not isinstance(x, E.Const):
            return type(x)(**{f: swap(getattr(x, f)) for f in x.__slots__})
        return x

    if isinstance(claim, M.ConditionOnInputClaim):
        return dataclasses.replace(claim, condition=swap(claim.condition))
    return claim


def _append_target(tree: ast.Module | None, word: str) -> E.Expr | None:
    """The one collection the program appends to (``word`` ``added``: or adds to), as a name;
    None when there are none or several."""
    if tree is None:
        return None
    methods = ("append",) if word == "appended" else ("append", "add")
    receivers = {node.func.value.id for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and node.func.attr in methods and isinstance(node.func.value, ast.Name)}
    return E.Name(receivers.pop()) if len(receivers) == 1 else None


def _comprehension_use(tree: ast.Module | None) -> tuple[str | None, int] | None:
    """(the name, or None for a return; the line) where the program's only comprehension is
    the whole value assigned or returned; None otherwise."""
    if tree is None:
        return None
    kinds = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    found = [node for node in ast.walk(tree) if isinstance(node, kinds)]
    if len(found) != 1 or isinstance(found[0], ast.GeneratorExp):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is found[0]:
            return None, node.lineno
        if isinstance(node, ast.Assign) and node.value is found[0] and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id, node.lineno
    return None
