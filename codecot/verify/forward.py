"""Forward checking: each claim aligned with a trace point and decided by Z3 on traced values.

Alignment (DESIGN.md §5): a claim with a line reference (and iteration) goes to the first
matching point at or after the previous step's point; a claim without one goes to the next
point where it applies.  Alignment only moves forward.  The claim's expressions are compiled
by the one claim compiler (:mod:`codecot.solver`) over the variables visible at that point,
bound to the traced values, and decided.  A claim the compiler cannot express is ``unknown``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.pyexpr import argument_from_source, expr_from_ast_or_none
from codecot.claims.reference import evaluate
from codecot.claims.render import render_expr
from codecot.claims.source import Source, same_source, source_of
from codecot.solver import Truth, Unsupported, decide_expr, encode
from codecot.symbolic.tracepoints import Point, TraceView, decoded
from codecot.trace.values import decode, is_object_tag, same_value
from codecot.verify.backward import is_literal
from codecot.verify.verdicts import Verdict

Outcome = tuple[Verdict, str]
_NOT_A_VALUE = object()


class _Unplaced:
    """A state that the trace does not record (see :meth:`ForwardChecker._test_state`)."""


_UNPLACED = _Unplaced()
_TRACED = "__traced__"


def _where(line: int, iteration: int | None) -> str:
    return f"after line {line}" + (f" in iteration {iteration}" if iteration is not None else "")


def _same_code(actual: str, claimed: str) -> bool:
    """Whether two statements are the same Python (same tree; else the same text up to spaces)."""
    try:
        return ast.dump(ast.parse(actual.strip())) == ast.dump(ast.parse(claimed.strip()))
    except (SyntaxError, ValueError, RecursionError):
        return re.sub(r"\s+", "", actual) == re.sub(r"\s+", "", claimed)


#: Methods of a list, dict or set that change nothing: a parameter given one of a literal
#: (``{'a': 3}.get``) has its calls decided as that method's.
PURE_METHODS = frozenset({"get", "count", "index", "keys", "values", "items", "copy", "union",
                          "intersection", "difference", "symmetric_difference", "issubset",
                          "issuperset", "isdisjoint"})


class ForwardChecker:
    """Checks the claims of one forward rationale against one trace."""

    def __init__(self, code: str, trace: dict[str, Any],
                 arg_sources: dict[str, str] | None = None) -> None:
        """``arg_sources``: the source text of each argument of the call (from the record's
        input), for arguments without a literal value (a lambda, a function)."""
        self.view = TraceView(trace)
        self.trace = trace
        self.arg_sources = arg_sources or {}
        try:
            self.src: Source | None = source_of(code)
        except (SyntaxError, ValueError):
            self.src = None
        self.cursor = 0
        self.bound_methods = self._bound_methods()
        self._handlers: dict[type, Callable[[Any], Outcome]] = {
            M.CallClaim: self._call, M.StateClaim: self._state, M.ConditionClaim: self._condition,
            M.LoopIterClaim: self._loop_iter, M.LoopSkipClaim: self._loop_skip,
            M.LoopEndClaim: self._loop_end, M.CallResultClaim: self._call_result,
            M.ReturnClaim: self._return, M.RaiseClaim: self._raise, M.CatchClaim: self._catch,
            M.AnswerClaim: self._answer,
        }

    def check(self, claim: M.Claim) -> Outcome:
        handler = self._handlers.get(type(claim))
        if handler is None:
            return Verdict.UNKNOWN, f"a {M.kind_of(claim)} step is not checked in a forward rationale"
        return handler(claim)

    def _bound_methods(self) -> dict[str, E.Attribute]:
        """Parameters that hold a method of a literal throughout the call, by the input's text
        for them (``lookup={'a': 3}.get``): a method of a string, bytes or tuple, or one of
        :data:`PURE_METHODS` of a list, dict or set, so no call changes what the next returns;
        the entry function never rebinds the parameter; and the program reaches no object
        behind a value (no ``__self__`` or other dunder attribute, no import)."""
        out: dict[str, E.Attribute] = {}
        src = self.src
        for name, source in self.arg_sources.items():
            if src is None or not is_object_tag(self.view.arg_types.get(name, "")):
                continue
            expr = argument_from_source(source)
            if not (isinstance(expr, E.Attribute) and is_literal(expr.value, calls=False)):
                continue
            immutable = isinstance(expr.value, E.Const | E.TupleExpr)
            if ((immutable or expr.attr in PURE_METHODS) and not src.reaches_into_objects
                    and src.keeps_parameter(self.view.entry, name)):
                out[name] = expr
        return out

    def _through_methods(self, call: E.Call) -> E.Expr | None:
        """``lookup(k, 0)`` as ``{'a': 3}.get(k, 0)`` where ``lookup`` holds that method
        (:meth:`_bound_methods`); None for any other call."""
        method = self.bound_methods.get(call.func)
        if method is None:
            return None
        return E.MethodCall(method.value, method.attr, call.args, call.kwargs)

    # -- deciding -----------------------------------------------------------------------------

    def _decide(self, formula: E.Expr, point: Point | None) -> tuple[Truth, str]:
        if self.bound_methods:
            formula = E.map_calls(formula, self._through_methods)
        names = E.free_names(formula)
        env = self.view.env(point, names)
        missing = sorted(names - env.keys())
        if missing:
            reprs = {**self.view.globals, **(point.vars if point else self.view.args)}
            unencodable = [n for n in missing if n in reprs]
            if unencodable:
                return Truth.UNKNOWN, f"the value of {unencodable[0]} cannot be encoded"
            functions = self.src.functions if self.src is not None else frozenset()
            defined = [n for n in missing if n in functions]
            if defined:
                return Truth.UNKNOWN, f"{defined[0]} is a function of the program, not a value"
            # a builtin's name (len, str, ...) that is no variable here denotes the builtin
            undefined = [n for n in missing if n not in E.BUILTIN_NAMES]
            if undefined:
                return Truth.FALSE, f"no variable {undefined[0]} is in scope there"
        decision = decide_expr(formula, env)
        return decision.truth, decision.reason

    def _equal(self, left: E.Expr, right: E.Expr, point: Point | None) -> tuple[Truth, str]:
        return self._decide(E.Compare(left, ("==",), (right,)), point)

    def _actual(self, expr: E.Expr, point: Point | None) -> str | None:
        """The traced value of ``expr`` at ``point`` as text, for details."""
        reprs = {**self.view.globals, **(point.vars if point else self.view.args)}
        if isinstance(expr, E.Name):
            return reprs.get(expr.id)
        if self.bound_methods:
            expr = E.map_calls(expr, self._through_methods)
        try:
            env = {n: decode(reprs[n]) for n in E.free_names(expr) if n in reprs}
            return repr(evaluate(expr, env))
        except Exception:  # the detail is best effort; the verdict does not depend on it
            return None

    def _value_outcome(self, subject: E.Expr, claimed: E.Expr, point: Point | None,
                       where: str) -> Outcome | None:
        """None when ``subject == claimed`` holds; else the refuted/unknown outcome."""
        truth, reason = self._equal(subject, claimed, point)
        if truth is Truth.TRUE:
            return None
        if truth is Truth.UNKNOWN:
            return Verdict.UNKNOWN, f"cannot decide {render_expr(subject)} == {render_expr(claimed)}: {reason}"
        actual = self._actual(subject, point)
        shown = render_expr(claimed)
        if actual is None:
            return Verdict.REFUTED, f"{where}, {render_expr(subject)} is not {shown} ({reason})"
        return Verdict.REFUTED, f"{where}, {render_expr(subject)} is {actual}, not {shown}"

    def _align(self, point: Point | None, claim: M.Claim, what: str) -> Point | Outcome:
        if point is not None:
            self.cursor = point.pos
            return point
        if claim.line is not None and claim.line not in self.view.lines_run():
            return self._in_helper(claim.line, "steps are not checked") or (
                Verdict.REFUTED, f"line {claim.line} never runs")
        at = f" in iteration {claim.iteration}" if claim.iteration is not None else ""
        line = f"line {claim.line}" if claim.line is not None else "the program"
        return Verdict.REFUTED, f"{line} has no {what}{at} after the previous step"

    def _in_helper(self, line: int | None, what: str) -> Outcome | None:
        """``unknown`` for a ``line`` that ran only inside a helper (the rationale narrates the
        entry's frame; ``what`` says what of the helper is not checked); else None."""
        inner = self.view.inner_function_of(line) if line is not None else None
        if inner is None:
            return None
        return Verdict.UNKNOWN, f"line {line} runs only inside {inner}(), whose {what}"

    # -- claim kinds --------------------------------------------------------------------------

    def _call(self, c: M.CallClaim) -> Outcome:
        if c.func != self.view.entry:
            return Verdict.REFUTED, f"the function called is {self.view.entry}, not {c.func}"
        names = [n for n, _ in c.args]
        if set(names) != set(self.view.args):
            return Verdict.REFUTED, f"{self.view.entry} takes {', '.join(self.view.args) or 'no arguments'}"
        for name, value in c.args:
            if self.view.args.get(name, "").startswith("<"):
                bad = self._opaque(name, value)
            else:
                bad = self._value_outcome(E.Name(name), value, None, "at the call")
            if bad:
                return bad
        return Verdict.VERIFIED, ""

    def _opaque(self, name: str, claimed: E.Expr) -> Outcome | None:
        """An argument without a literal value (a function) is what the input wrote for it."""
        source = self.arg_sources.get(name)
        if source is not None and same_source(render_expr(claimed), source):
            return None
        return Verdict.UNKNOWN, (f"{name} has no literal value; it is compared with the input's "
                                 f"text{f' ({source})' if source else ''}")

    def _state(self, c: M.StateClaim) -> Outcome:
        cursor = self.cursor
        found = self.view.find(self._unit_start(c.line), ("line",), c.line, c.iteration)
        if c.line is None and found is None:
            found = self.view.points[self.cursor] if self.view.points else None
        point = self._align(found, c, "line event")
        if not isinstance(point, Point):
            return point
        self.cursor = max(cursor, point.pos)  # a line's own event before its decision: stay
        if c.code is not None and self.src is not None:
            stmt = self.src.statement(point.line)
            actual = self.src.segment(stmt) if stmt is not None else None
            if actual is not None and not _same_code(actual, c.code):
                return Verdict.REFUTED, f"line {point.line} is `{actual}`, not `{c.code}`"
        where = _where(point.line, point.iteration)
        for link in c.chain:
            bad = self._value_outcome(c.target, link, point, where)
            if bad:
                return bad
        return Verdict.VERIFIED, ""

    def _condition(self, c: M.ConditionClaim) -> Outcome:
        point = self._align(self.view.find(self.cursor, ("branch",), c.line, c.iteration), c, "condition")
        if not isinstance(point, Point):
            return point
        taken = bool(point.event.get("taken"))
        if self._is_own_test(c.condition, point.line):
            # the tracer recorded the test's outcome at the moment of the decision
            if c.truth != taken:
                return Verdict.REFUTED, (f"on line {point.line}, {render_expr(c.condition)} is "
                                         f"{taken}, not {c.truth}")
        else:
            state = self._test_state(point, E.free_names(c.condition))
            if isinstance(state, _Unplaced):
                return Verdict.UNKNOWN, (f"the state when line {point.line} tests its condition "
                                         "is not in the trace")
            formula: E.Expr = c.condition if c.truth else E.UnaryOp("not", c.condition)
            truth, reason = self._decide(formula, state)
            if truth is Truth.UNKNOWN:
                return Verdict.UNKNOWN, f"cannot decide {render_expr(c.condition)}: {reason}"
            if truth is Truth.FALSE:
                return Verdict.REFUTED, (f"on line {point.line}, {render_expr(c.condition)} is "
                                         f"{not c.truth}, not {c.truth}")
        if c.taken is not None and c.taken != taken:
            word = "taken" if taken else "not taken"
            return Verdict.REFUTED, f"the branch on line {point.line} is {word}"
        return Verdict.VERIFIED, ""

    def _loop_iter(self, c: M.LoopIterClaim) -> Outcome:
        found = self.view.find(self.cursor, ("loop_iter",), c.line, head_iteration=c.iteration)
        if found is None:
            return self._loop_miss(c.line, c.iteration)
        self.cursor = found.pos
        for name, value in c.bindings:
            state = self._iteration_state(found, name)
            if isinstance(state, _Unplaced):
                return Verdict.UNKNOWN, (f"the value of {name} when iteration {c.iteration} of the "
                                         f"loop on line {found.line} begins is not in the trace")
            bad = self._value_outcome(E.Name(name), value, state,
                                      f"at the start of iteration {c.iteration}")
            if bad:
                return bad
        return Verdict.VERIFIED, ""

    # -- compound statements written on one line ----------------------------------------------

    def _unit_start(self, line: int | None) -> int:
        """Where a state claim about ``line`` may align: the cursor, or, when the cursor is on
        the branch or loop step of a header whose body shares ``line``, that line's own line
        event just before it (one run of the line: the decision, then the body's effects)."""
        k = self.cursor
        if line is None or self.src is None or self.src.inline_header(line) is None:
            return k
        points = self.view.points
        while k > 0 and points[k].line == line and points[k].kind in ("branch", "loop_iter"):
            k -= 1
        return k if points[k].kind == "line" and points[k].line == line else self.cursor

    def _is_own_test(self, condition: E.Expr, line: int) -> bool:
        """Whether ``condition`` is, as a tree, the test of the ``if``/``elif``/``while`` on ``line``."""
        if self.src is None:
            return False
        stmt = self.src.statement(line)
        if not isinstance(stmt, ast.If | ast.While):
            return False
        return expr_from_ast_or_none(stmt.test, self.src.functions) == condition

    def _test_state(self, point: Point, names: frozenset[str]) -> Point | _Unplaced | None:
        """The point whose variables are the state when the condition decided at ``point`` was
        tested (``None``: the arguments at the call; ``_UNPLACED``: not recorded).

        A line event reports the state after the whole line.  When the body shares the header's
        line, the test ran before the body: a branch right after that line event was decided on
        the state before the line; a ``while`` test after the line's last run (no new line
        event) on the state after it.  A ``:=`` in such a header assigns mid-line, so a condition
        over the names it assigns cannot be placed.
        """
        if self.src is None:
            return point
        header = self.src.inline_header(point.line)
        if header is None or isinstance(header, ast.For):
            return point
        if names & self.src.walrus_names(header.test):
            return _UNPLACED
        prev = self.view.points[point.pos - 1] if point.pos > 0 else None
        if prev is not None and prev.kind == "line" and prev.line == point.line:
            return prev.before
        return point

    def _iteration_state(self, point: Point, name: str) -> Point | _Unplaced | None:
        """The point whose variables hold ``name`` at the start of the iteration ``point`` begins."""
        if self.src is None:
            return point
        header = self.src.inline_header(point.line)
        if header is None:
            return point
        prev = self.view.points[point.pos - 1] if point.pos > 0 else None
        if isinstance(header, ast.While):
            if prev is None or prev.kind != "branch" or prev.line != point.line:
                return _UNPLACED
            return self._test_state(prev, frozenset({name}))
        if prev is None or prev.kind != "line" or prev.line != point.line:
            return _UNPLACED
        if name in self.src.loop_targets(point.line):
            # bound before the body ran; the body on the same line must not rebind it
            return _UNPLACED if name in self.src.inline_body_assigns(point.line) else point
        return prev.before

    def _loop_miss(self, head: int | None, iteration: int | None) -> Outcome:
        ends = [p for p in self.view.points[self.cursor:] if p.kind == "loop_end"
                and (head is None or p.line == head)]
        if ends:
            n = ends[0].event.get("iterations")
            if iteration is not None and isinstance(n, int) and iteration <= n:
                return Verdict.REFUTED, (f"iteration {iteration} of the loop on line "
                                         f"{ends[0].line} began before the previous step")
            return Verdict.REFUTED, f"the loop on line {ends[0].line} runs {n} iterations, not {iteration}"
        return Verdict.REFUTED, f"no loop on line {head} reaches iteration {iteration} here"

    def _loop_skip(self, c: M.LoopSkipClaim) -> Outcome:
        if c.first > c.last:
            return Verdict.REFUTED, f"iterations {c.first} to {c.last} is an empty range"
        first = self.view.find(self.cursor, ("loop_iter",), c.line, head_iteration=c.first)
        if first is None:
            return self._loop_miss(c.line, c.first)
        last = self.view.find(first.pos, ("loop_iter",), c.line, head_iteration=c.last)
        if last is None:
            return self._loop_miss(c.line, c.last)
        self.cursor = first.pos
        return Verdict.VERIFIED, ""

    def _loop_end(self, c: M.LoopEndClaim) -> Outcome:
        point = self._align(self.view.find(self.cursor, ("loop_end",), c.line), c, "loop end")
        if not isinstance(point, Point):
            return point
        n = int(point.event.get("iterations", -1))
        reason = point.event.get("reason")
        if n != c.iterations:
            return Verdict.REFUTED, f"the loop on line {point.line} runs {n} iterations, not {c.iterations}"
        # "the loop ends after N iterations" is true of a loop that breaks in iteration N too;
        # only a claimed break needs the loop to have broken.
        if c.how == "break" and reason != "break":
            return Verdict.REFUTED, (f"the loop on line {point.line} ends ({reason}) after {n} "
                                     "iterations, without a break")
        return Verdict.VERIFIED, ""

    def _call_result(self, c: M.CallResultClaim) -> Outcome:
        if not isinstance(c.call, E.Call):
            return Verdict.UNKNOWN, "only calls of named functions are checked"
        if c.call.kwargs:
            return Verdict.UNKNOWN, "a call written with keyword arguments is not matched"
        in_helper = self._in_helper(c.line, "calls are not traced")
        if in_helper is not None:
            return in_helper
        claimed_args = c.call.args
        callee = self._callee(c.call.func)
        undecided = None  # a call that may be the one claimed: its arguments cannot be compared
        for call in self.view.calls:
            if call.pos < self.cursor or call.func != callee or len(call.args) != len(claimed_args):
                continue
            point = self.view.points[call.pos]  # the line event of the line that made the call
            if (c.line is not None and point.line != c.line) or (
                    c.iteration is not None and point.iteration != c.iteration):
                continue
            same = [self._same_argument(a, e) for a, e in zip(call.args, claimed_args, strict=True)]
            if False in same:
                continue
            if None in same:
                undecided = undecided or call
                continue
            if call.result is None:
                outcome: Outcome = (Verdict.REFUTED, f"{render_expr(c.call)} raises an exception")
            else:
                outcome = self._traced_outcome(call.result, c.value, None,
                                               f"{render_expr(c.call)} returns {call.result}")
            if outcome[0] is Verdict.REFUTED and undecided is not None:
                break  # an earlier call may be the one claimed
            self.cursor = call.pos
            return outcome
        if undecided is not None:
            return Verdict.UNKNOWN, (f"the arguments of {render_expr(c.call)} cannot be compared "
                                     f"with those of the traced call {undecided.func}("
                                     f"{', '.join(undecided.args)})")
        # A call through a variable holding a function is traced under the callee's own name,
        # which the trace does not connect to the variable.
        name = c.call.func
        if callee == name and self.view.holds_object(name) \
                and all(call.func != name for call in self.view.calls):
            return Verdict.UNKNOWN, (f"{name} holds a function here, and its calls are "
                                     "traced under that function's own name")
        at = f" in iteration {c.iteration}" if c.iteration is not None else ""
        return Verdict.REFUTED, f"{render_expr(c.call)} is not called here{at}"

    @staticmethod
    def _same_argument(repr_text: str, expr: E.Expr) -> bool | None:
        """Whether a traced argument is the value ``expr`` writes; None when that cannot be
        told: the traced value has no literal repr (a function, an instance), or ``expr`` is
        no literal (a variable's value where the call ran is not in the trace)."""
        if repr_text.startswith("<"):
            return None
        try:
            return bool(same_value(decoded(repr_text), evaluate(expr, {})))
        except Exception:  # no repr to read back, or no literal: any error of evaluating it
            return None

    def _callee(self, name: str) -> str:
        """The function a call of ``name`` runs, as the trace names it: for a parameter of the
        entry function whose argument is a program function's name and that nothing rebinds
        (:meth:`~codecot.claims.source.Source.fixed_function_argument`), that function's
        name; else ``name`` itself."""
        source = self.arg_sources.get(name)
        if self.src is None or source is None or not self.view.args.get(name, "").startswith("<"):
            return name
        return self.src.fixed_function_argument(self.view.entry, name, source) or name

    def _same_call(self, call: E.Call) -> Outcome | None:
        """None when ``call`` is the traced entry call (positional and keyword arguments bound to
        the parameters, omitted ones by their defaults); else why not."""
        shown = f"the call is {self.view.entry}({', '.join(self.view.args.values())})"
        if self.src is None:
            return Verdict.UNKNOWN, "the program does not parse"
        entry = self.view.entry
        positional = self.src.positional(entry)
        star = self.src.vararg(entry)
        params = self.src.params(entry)
        bound: dict[str, E.Expr] = dict(zip(positional, call.args, strict=False))
        extra = call.args[len(positional):]
        if extra:
            if star is None:
                return Verdict.REFUTED, shown
            bound[star] = E.TupleExpr(tuple(extra))
        for name, value in call.kwargs:
            if name not in params or name in bound:
                return Verdict.REFUTED, shown
            bound[name] = value
        defaults = self.src.defaults(entry)
        for name, rep in self.view.args.items():
            claimed = bound.get(name)
            if claimed is None:
                if name == star:
                    claimed = E.TupleExpr(())
                elif name in defaults:
                    default = expr_from_ast_or_none(defaults[name])
                    if default is None or E.free_names(default):
                        return Verdict.UNKNOWN, f"the default value of {name} cannot be compared"
                    claimed = default
                else:
                    return Verdict.REFUTED, shown
            if rep.startswith("<"):
                bad = self._opaque(name, claimed)
                if bad:
                    return bad
                continue
            value = self._evaluate_literal(claimed)
            try:
                same = same_value(decoded(rep), value)
            except (ValueError, SyntaxError):
                return Verdict.UNKNOWN, f"the value of {name} cannot be read"
            if not same:
                return Verdict.REFUTED, shown
        if set(bound) - set(self.view.args):
            return Verdict.REFUTED, shown
        return None

    @staticmethod
    def _evaluate_literal(expr: E.Expr) -> Any:
        try:
            return evaluate(expr, {})
        except Exception:
            return _NOT_A_VALUE

    def _traced_equals(self, repr_text: str, claimed: E.Expr, point: Point | None) -> tuple[Truth, str]:
        """Decide ``traced value == claimed`` with the traced value bound as a variable."""
        names = E.free_names(claimed)
        env = self.view.env(point, names) if names else {}
        try:
            env[_TRACED] = encode(decoded(repr_text))
        except (ValueError, SyntaxError, Unsupported):
            return Truth.UNKNOWN, "the traced value cannot be encoded"
        decision = decide_expr(E.Compare(E.Name(_TRACED), ("==",), (claimed,)), env)
        return decision.truth, decision.reason

    def _traced_outcome(self, repr_text: str, claimed: E.Expr, point: Point | None,
                        truth_text: str) -> Outcome:
        truth, reason = self._traced_equals(repr_text, claimed, point)
        if truth is Truth.TRUE:
            return Verdict.VERIFIED, ""
        if truth is Truth.UNKNOWN:
            return Verdict.UNKNOWN, f"cannot decide the value {render_expr(claimed)}: {reason}"
        return Verdict.REFUTED, f"{truth_text}, not {render_expr(claimed)}"

    def _return(self, c: M.ReturnClaim) -> Outcome:
        point = self._align(self.view.find(self.cursor, ("return",), c.line, c.iteration), c,
                            "return")
        if not isinstance(point, Point):
            return point
        if c.func is not None and c.func != self.view.entry:
            return Verdict.REFUTED, f"line {point.line} is in {self.view.entry}, not {c.func}"
        returned = str(point.event.get("value"))
        if returned.startswith("<"):
            return Verdict.UNKNOWN, "the returned value is too large to check"
        verdict, detail = self._traced_outcome(returned, c.value, None,
                                               f"line {point.line} returns {returned}")
        if verdict is not Verdict.VERIFIED:
            return verdict, detail
        if c.expr is not None:
            env_point = self.view.state_before(point) if point.kind == "return" else point
            bad = self._value_outcome(c.expr, c.value, env_point, f"on line {point.line}")
            if bad:
                return bad
        return Verdict.VERIFIED, ""

    def _raise(self, c: M.RaiseClaim) -> Outcome:
        point = self._align(self.view.find(self.cursor, ("exception",), c.line, c.iteration), c,
                            "exception")
        if not isinstance(point, Point):
            return point
        actual = str(point.event.get("type"))
        if actual != c.exc_type:
            return Verdict.REFUTED, f"line {point.line} raises {actual}, not {c.exc_type}"
        return Verdict.VERIFIED, ""

    def _catch(self, c: M.CatchClaim) -> Outcome:
        point = self._align(self.view.find(self.cursor, ("caught",), c.line, c.iteration), c,
                            "caught exception")
        if not isinstance(point, Point):
            return point
        actual = str(point.event.get("type"))
        if actual != c.exc_type:
            return Verdict.REFUTED, f"line {point.line} catches {actual}, not {c.exc_type}"
        return Verdict.VERIFIED, ""

    def _answer(self, c: M.AnswerClaim) -> Outcome:
        if not isinstance(c.call, E.Call) or c.call.func != self.view.entry:
            return Verdict.REFUTED, f"the answer must be about {self.view.entry}(...)"
        bad = self._same_call(c.call)
        if bad:
            return bad
        output = self.trace.get("output")
        if not isinstance(output, str):
            return Verdict.UNKNOWN, "the trace has no output"
        return self._traced_outcome(output, c.value, None, f"{self.view.entry}(...) returns {output}")


def check_forward(code: str, trace: dict[str, Any], claims: Sequence[M.Claim]) -> list[Outcome]:
    """Outcomes of ``claims`` in order (alignment carries from one claim to the next)."""
    checker = ForwardChecker(code, trace)
    return [checker.check(c) for c in claims]
