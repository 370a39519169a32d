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
from codecot.claims.render import render_expr
from codecot.claims.source import same_source
from codecot.solver import Truth, Unsupported, decide_expr, encode
from codecot.trace.values import decode
from codecot.verify.free_points import (
    MISSING,
    Event,
    Moment,
    RunView,
    append_target,
    comprehension_use,
    parse_program,
    untraced_names,
)
from codecot.verify.free_values import (
    BUILTIN_NAMES,
    NA,
    RAISES,
    UNDECIDED,
    Env,
    decoded_or_missing,
    described,
    exprs_of,
    formula_of,
    renamed,
    same,
    value_of,
)
from codecot.verify.verdicts import Verdict

Outcome = tuple[Verdict, str]
_MOMENT_CLAIMS = (M.StateClaim, M.ConditionClaim, DeltaClaim, AppendClaim)
#: the input as a whole (``the input must have 5 characters``): the only parameter
INPUT_NAME = "__input__"


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
            return Verdict.REFUTED, described(claim, None, self.view.globals)
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
        got = value_of(claimed, {})
        if got is UNDECIDED or got is NA:
            return Verdict.UNKNOWN, f"{render_expr(claimed)} is not a value"
        if not same(decode(rep), got):
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
                got = value_of(claimed, {})
                if got is NA or got is UNDECIDED:
                    # a name of the program (a global) or an expression: the input's own text
                    if k < len(own) and same_source(render_expr(claimed), own[k]):
                        continue
                    return Verdict.UNKNOWN, f"the argument {render_expr(claimed)} cannot be compared"
                if not same(decode(rep), got):
                    shown = ", ".join(args)
                    return Verdict.REFUTED, f"the call is {self.entry}({shown})"
        got = value_of(c.value, {})
        if got is UNDECIDED or got is NA:
            return Verdict.UNKNOWN, f"{render_expr(c.value)} is not a value"
        if same(decode(self.output), got):
            return Verdict.VERIFIED, ""
        return Verdict.REFUTED, f"{self.entry} returns {self.output}, not {render_expr(c.value)}"

    # -- statements about moments ------------------------------------------------------------------

    def _names(self, st: Statement) -> tuple[str | None, bool]:
        """(a name the run never has, whether a name may belong to an untraced scope)."""
        names: set[str] = set()
        for option in st.options:
            for claim in option:
                for expr in exprs_of(claim):
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
            want = value_of(value, {})
            if got is MISSING or want is NA or want is UNDECIDED or not same(got, want):
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
                undecided = undecided or result is UNDECIDED
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
        applicable = [m for m in in_context if all(self._holds(c, m) is not NA for c in st.options[0])]
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
        return Verdict.REFUTED, described(failing, best, self.view.globals) + (f" ({where})" if where else "")

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
        applicable = [m for m in in_context if all(self._holds(c, m) is not NA for c in st.options[0])]
        if not applicable:
            return None
        failing = next((c for c in st.options[0] if self._holds(c, applicable[-1]) is not True), None)
        if failing is None or not self._solver_agrees(failing, applicable[-1], False):
            return None
        return Verdict.REFUTED, (f"{described(failing, applicable[-1], self.view.globals)} (at the end of iteration "
                                 f"{st.iteration}; it holds only in another iteration)")

    def _comprehension(self, st: Statement, claim: ComprehensionClaim) -> Outcome:
        """The one comprehension's value: as the name it is assigned to after its line, or as
        what the function returns; ``unknown`` where there are several or its value is used
        in a bigger expression."""
        where = comprehension_use(self.tree)
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
        target = claim.target if claim.target is not None else append_target(self.tree, claim.word)
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
        item = value_of(claim.item, {}) if claim.item is not None else NA
        name = render_expr(target)
        for m in stretch:
            if m.before is None:
                continue
            now, was = value_of(target, Env(m, self.view.globals)), value_of(target, Env(m.before, self.view.globals))
            if not isinstance(now, list | set) or not isinstance(was, list | set) or len(now) <= len(was):
                continue
            if claim.word == "appended" and not isinstance(now, list):
                continue
            if claim.item is not None and not (
                    (isinstance(now, list) and same(now[-1], item))
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
        """True when every claim holds at ``m``; False, NA or UNDECIDED otherwise."""
        verdict: object = True
        for claim in option:
            held = self._holds(claim, m)
            if held is NA or held is UNDECIDED:
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
        formula = formula_of(claim)
        if formula is None:
            return True
        env = {}
        for name in E.free_names(formula):
            value = m.value(name, self.view.globals) if m is not None else MISSING
            if value is MISSING:
                if name in BUILTIN_NAMES:
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
        """The truth of a moment claim at ``m`` (None: no moment): True, False, NA or
        UNDECIDED."""
        env = Env(m, self.view.globals)
        if isinstance(claim, M.StateClaim):
            target = value_of(claim.target, env)
            if target is NA or target is UNDECIDED:
                return target
            for link in claim.chain:
                got = value_of(link, env)
                if got is NA or got is UNDECIDED:
                    return got
                if not same(target, got):
                    return False
            return True
        if isinstance(claim, M.ConditionClaim):
            got = value_of(claim.condition, env)
            if got is NA or got is UNDECIDED:
                return got
            if got is RAISES:
                return False
            try:
                return bool(got) == claim.truth
            except Exception:
                return UNDECIDED
        if isinstance(claim, DeltaClaim):
            if m is None or m.before is None:
                return NA
            after, before = value_of(claim.target, env), value_of(claim.target, Env(m.before, self.view.globals))
            step = value_of(claim.delta, {})
            if any(x is NA or x is UNDECIDED for x in (after, before, step)):
                return NA
            if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (after, before, step)):
                return UNDECIDED
            return bool(after - before == step)
        if isinstance(claim, AppendClaim):
            if m is None or m.before is None:
                return NA
            now = value_of(claim.target, env)
            was = value_of(claim.target, Env(m.before, self.view.globals))
            item = value_of(claim.item, env)
            if any(x is NA or x is UNDECIDED for x in (now, was, item)):
                return NA
            if not isinstance(now, list) or not isinstance(was, list):
                return UNDECIDED
            return len(now) == len(was) + 1 and bool(now) and same(now[-1], item)
        return UNDECIDED

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
        constant = value_of(claim.value, {}) if not E.free_names(claim.value) else NA

        def returns(e: Event) -> bool:
            if not kind(e):
                return False
            frame = self._moment_before(e)
            env = Env(frame, self.view.globals) if frame else {}
            want = constant if constant is not NA else value_of(claim.value, env)
            if want is NA or want is UNDECIDED:
                return False
            rep = str(e.data.get("value"))
            if rep.startswith("<") or not same(decoded_or_missing(rep), want):
                return False
            if claim.expr is None or claim.expr is claim.value:
                return True
            got = value_of(claim.expr, env)
            return got is not NA and got is not UNDECIDED and same(got, want)
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
        args = [value_of(a, {}) for a in c.call.args]
        want = value_of(c.value, {})
        if any(a is NA or a is UNDECIDED for a in args) or want is NA or want is UNDECIDED:
            return Verdict.UNKNOWN, "the call's arguments or result are not values"
        matching = [k for k in self.view.calls if k.func == c.call.func and len(k.args) == len(args)
                    and all(not r.startswith("<") and same(decoded_or_missing(r), a)
                            for r, a in zip(k.args, args, strict=True))]
        later = [k for k in matching if k.pos >= self.cursor]
        for k in later:
            if k.result is not None and not k.result.startswith("<") and same(decoded_or_missing(k.result), want):
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
        names = {n for x in exprs_of(claim) for n in E.free_names(x)} - {INPUT_NAME}
        if names - set(self.params) - self.view.names:
            missing = sorted(names - set(self.params) - self.view.names)[0]
            return Verdict.UNKNOWN, f"the run has no variable {missing}"
        if INPUT_NAME in {n for x in exprs_of(claim) for n in E.free_names(x)}:
            if len(self.params) != 1:
                return Verdict.UNKNOWN, "'the input' is ambiguous: the function takes " \
                    f"{len(self.params)} parameters"
            claim = renamed(claim, INPUT_NAME, self.params[0])
        return self.backward(claim)


def _where(st: Statement) -> str:
    parts = []
    if st.iteration is not None:
        parts.append(f"in iteration {st.iteration}")
    if st.line is not None:
        parts.append(f"at line {st.line}")
    if st.bindings:
        parts.append("where " + " and ".join(f"{n} is {render_expr(v)}" for n, v in st.bindings))
    return ", ".join(parts)
