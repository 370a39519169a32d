"""Backward checking: execution for goals, choices, checks and inputs; the concolic engine
for necessities.

* the goal restates the record's output (``proved``);
* a choice (``let``) holds, together with the earlier choices, at an input the rationale
  executes (its final input, else one of its checks) that reproduces the output, so it is
  satisfiable with the goal and the earlier steps (``consistent``); it is ``refuted`` when the
  final input reproduces the output but does not honour it.  A choice ``p == g`` that gives a
  parameter a top-level function of the program (``Let op be double``) is decided too (see
  :meth:`BackwardChecker._function_truth`);
* a necessity (``must``, ``then ... must``) given the choices so far: anchored to a ``return E``
  line and stating ``E == V``, it is ``proved`` when ``V`` is the output (every path returning
  there returns ``E``); otherwise :class:`codecot.symbolic.session.BackwardSession` decides it
  on the explored paths (``proved`` / ``proved_on_path`` / ``refuted`` with a re-executed
  counterexample / ``unknown``);
* the check and the final input are re-executed in the sandbox and must reproduce the output
  exactly (``proved``); the final input must also honour every choice.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.reference import evaluate
from codecot.claims.render import render_expr
from codecot.claims.source import argument_sources, same_source, source_of
from codecot.solver import Truth, decide_expr, encode
from codecot.trace.values import decode, is_object_tag, same_value
from codecot.verify.verdicts import Verdict

if TYPE_CHECKING:
    from codecot.symbolic.session import BackwardSession

Outcome = tuple[Verdict, str]
_VERDICTS = {"proved": Verdict.PROVED, "proved_on_path": Verdict.PROVED_ON_PATH,
             "refuted": Verdict.REFUTED, "unknown": Verdict.UNKNOWN,
             "consistent": Verdict.CONSISTENT}
LITERAL_NODES = (E.Const, E.ListExpr, E.TupleExpr, E.SetExpr, E.DictExpr)


def is_literal(expr: E.Expr, *, calls: bool = True) -> bool:
    """Whether ``expr`` is a value written out: a constant, or a list, tuple, set or dict of
    literals; with ``calls``, also ``set(...)``/``frozenset(...)`` of literals and ``range``
    of int constants."""
    if isinstance(expr, E.Const):
        return True
    if isinstance(expr, E.ListExpr | E.TupleExpr | E.SetExpr):
        return all(is_literal(x, calls=calls) for x in expr.items)
    if isinstance(expr, E.DictExpr):
        return all(is_literal(x, calls=calls) for x in (*expr.keys, *expr.values))
    if not calls:
        return False
    if isinstance(expr, E.Call) and expr.func in ("set", "frozenset"):
        return all(is_literal(x) for x in expr.args)
    if isinstance(expr, E.Call) and expr.func == "range" and 1 <= len(expr.args) <= 3:
        return all(isinstance(x, E.Const) and type(x.value) is int for x in expr.args)
    return False


def args_source(args: Sequence[E.Expr], own: list[str] | None = None) -> str | None:
    """The argument-list source of ``args`` to execute: each argument a literal, or (for an
    argument without one, such as a lambda) exactly what the record's own input writes in that
    position (``own``), whose text is then used; None otherwise.  Narration text is never run."""
    parts: list[str] = []
    for k, a in enumerate(args):
        if is_literal(a):
            parts.append(render_expr(a))
        elif own is not None and k < len(own) and same_source(render_expr(a), own[k]):
            parts.append(own[k])
        else:
            return None
    return ", ".join(parts)


def final_input_source(claims: Sequence[M.Claim], own: list[str] | None = None) -> str | None:
    """The argument-list source of the last ``input`` claim (see :func:`args_source`)."""
    finals = [c for c in claims if isinstance(c, M.InputClaim)]
    return args_source(finals[-1].args, own) if finals else None


def check_sources(claims: Sequence[M.Claim], own: list[str] | None = None) -> list[str | None]:
    """Argument-list sources of each ``check`` claim's call (see :func:`args_source`)."""
    out: list[str | None] = []
    for c in claims:
        if isinstance(c, M.CheckClaim):
            call = c.call
            ok = isinstance(call, E.Call) and not call.kwargs
            out.append(args_source(call.args, own) if ok and isinstance(call, E.Call) else None)
    return out


def _variables(condition: E.Expr, args: Mapping[str, str]) -> frozenset[str]:
    """The names ``condition`` reads as variables: a builtin's name (``len``, ``str``) that is
    no parameter denotes the builtin."""
    return frozenset(n for n in E.free_names(condition) if n in args or n not in E.BUILTIN_NAMES)


def returned_expr(code: str | None, line: int | None) -> E.Expr | None:
    """The expression of a ``return E`` statement on ``line`` of ``code``, if there is one."""
    if code is None or line is None:
        return None
    from codecot.claims.pyexpr import expr_from_ast_or_none
    from codecot.claims.source import source_of

    try:
        stmt = source_of(code).statement(line)
    except (SyntaxError, ValueError):
        return None
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        return expr_from_ast_or_none(stmt.value)
    return None


class BackwardChecker:
    """Checks backward claims given the record, and traces of the final input and checks.

    ``session`` (optional) decides necessities symbolically; without it they are ``unknown``
    unless the return-line rule proves them.  ``record_input`` (the record's own input text)
    lets a choice give a parameter a program function.
    """

    def __init__(self, entry: str, params: list[str], output: str,
                 final_trace: dict[str, Any] | None, check_traces: list[dict[str, Any] | None],
                 *, code: str | None = None, session: BackwardSession | None = None,
                 record_input: str | None = None) -> None:
        self.entry = entry
        self.params = params
        self.output = output
        self.final = final_trace
        self.checks = list(check_traces)
        self.all_checks = tuple(check_traces)
        self.code = code
        self.session = session
        self.choices: list[E.Expr] = []
        self.record_input = record_input

    @cached_property
    def own_arguments(self) -> dict[str, str]:
        """The record's own argument text by parameter (empty without ``record_input``);
        parsed only when a choice may name a function, since guided decoding builds a checker
        for every try."""
        if self.code is None or self.record_input is None:
            return {}
        return argument_sources(self.code, self.record_input, self.entry)

    def _reproduces(self, trace: dict[str, Any] | None) -> Outcome:
        if trace is None:
            return Verdict.UNKNOWN, "the input is not written as literals, so it was not executed"
        if not trace.get("ok"):
            return Verdict.REFUTED, f"running it fails: {trace.get('error')}"
        if trace.get("output") != self.output:
            return Verdict.REFUTED, f"{self.entry} returns {trace.get('output')} on it, not {self.output}"
        return Verdict.PROVED, ""

    def check(self, claim: M.Claim) -> Outcome:
        if isinstance(claim, M.GoalClaim):
            return self._goal(claim)
        if isinstance(claim, M.ConditionOnInputClaim):
            if claim.modality is M.Modality.CHOICE:
                outcome = self._choice(claim)
                self.choices.append(claim.condition)
                return outcome
            return self._necessity(claim)
        if isinstance(claim, M.CheckClaim):
            trace = self.checks.pop(0) if self.checks else None
            if not isinstance(claim.call, E.Call) or claim.call.func != self.entry:
                return Verdict.REFUTED, f"the check must call {self.entry}"
            if not self._same(claim.value):
                return Verdict.REFUTED, f"the goal is {self.output}, not {render_expr(claim.value)}"
            return self._reproduces(trace)
        if isinstance(claim, M.InputClaim):
            verdict, detail = self._reproduces(self.final)
            if verdict is Verdict.PROVED and self.final is not None:
                for choice in self.choices:
                    if self._holds(choice, self.final) is False:
                        return Verdict.REFUTED, (f"the input does not honour the choice "
                                                 f"{render_expr(choice)}")
            return verdict, detail
        return Verdict.UNKNOWN, f"a {M.kind_of(claim)} step is not checked in a backward rationale"

    def _same(self, value: E.Expr) -> bool:
        """Whether a literal expression equals the output (same value and type)."""
        try:
            return same_value(evaluate(value, {}), decode(self.output))
        except Exception:
            return False

    def _goal(self, c: M.GoalClaim) -> Outcome:
        if not isinstance(c.call, E.Call) or c.call.func != self.entry:
            return Verdict.REFUTED, f"the function is {self.entry}"
        if not self._same(c.value):
            return Verdict.REFUTED, f"the output to reach is {self.output}, not {render_expr(c.value)}"
        return Verdict.PROVED, ""

    def _necessity(self, c: M.ConditionOnInputClaim) -> Outcome:
        returned = returned_expr(self.code, c.line)
        cond = c.condition
        if returned is not None and isinstance(cond, E.Compare) and cond.ops == ("==",):
            sides = (cond.left, cond.comparators[0])
            for subject, value in (sides, sides[::-1]):
                if render_expr(subject) == render_expr(returned) and is_literal(value):
                    if self._same(value):
                        return Verdict.PROVED, (f"every path that returns at line {c.line} "
                                                f"returns {render_expr(returned)}, which is "
                                                f"{self.output}")
                    return Verdict.REFUTED, (f"line {c.line} returns {render_expr(returned)}, "
                                             f"which must be the output {self.output}")
        if self.session is None:
            return Verdict.UNKNOWN, "no symbolic engine was given to decide the necessity"
        try:
            out = self.session.necessity(cond, c.line, c.iteration, list(self.choices))
        except Exception as exc:
            return Verdict.UNKNOWN, f"the backward engine failed: {type(exc).__name__}: {exc}"
        return _VERDICTS.get(out.word, Verdict.UNKNOWN), out.detail

    def _witnesses(self) -> list[dict[str, Any]]:
        """Executed inputs of the rationale that reproduce the output: the final input first."""
        out = []
        for trace in (self.final, *self.all_checks):
            if trace is not None and trace.get("ok") and trace.get("output") == self.output:
                out.append(trace)
        return out

    def _function_choice(self, condition: E.Expr) -> tuple[str, str] | None:
        """``(parameter, name)`` when ``condition`` is ``parameter == name`` (either way round)
        and ``name`` is a top-level function of the program that it binds nowhere else: a
        choice that gives the parameter that function."""
        if self.code is None or not (isinstance(condition, E.Compare)
                                     and condition.ops == ("==",)):
            return None
        sides = (condition.left, condition.comparators[0])
        for param, name in (sides, sides[::-1]):
            if (isinstance(param, E.Name) and isinstance(name, E.Name)
                    and param.id in self.own_arguments and name.id not in self.own_arguments):
                src = source_of(self.code)
                if src.top_level_function(name.id) is not None and src.binds(name.id) == 1:
                    return param.id, name.id
        return None

    def _function_truth(self, param: str, name: str, trace: dict[str, Any]) -> bool | None:
        """Whether ``param == name`` (a :meth:`_function_choice`) holds at an executed input.

        A value that is no object (a literal, or one too large to show) is never a function:
        False.  An object can only have come from the record's own argument text (an executed
        input writes every other argument as a literal, see :func:`args_source`), so it is the
        function that text names when it is one
        (:meth:`~codecot.claims.source.Source.fixed_function_argument`): True when that is
        ``name``, False for another such function, else None."""
        tag = (trace.get("types") or {}).get(param)
        if tag is None or self.code is None:
            return None
        src = source_of(self.code)
        if not is_object_tag(tag):
            return False
        own = src.fixed_function_argument(self.entry, param, self.own_arguments[param])
        return None if own is None else own == name

    def _shown(self, param: str, trace: dict[str, Any]) -> str:
        """A traced argument as a message writes it: for an object, the record's own text
        (``double``, not ``<function object>``)."""
        tag = (trace.get("types") or {}).get(param, "")
        if is_object_tag(tag) and param in self.own_arguments:
            return self.own_arguments[param]
        return str((trace.get("args") or {}).get(param))

    def _holds(self, condition: E.Expr, trace: dict[str, Any]) -> bool | None:
        """The truth of a condition over the parameters at an executed input (None: unknown)."""
        args: dict[str, str] = trace.get("args") or {}
        function = self._function_choice(condition)
        if function is not None:
            return self._function_truth(*function, trace)
        names = _variables(condition, args)
        if not names <= args.keys():
            return None
        try:
            env = {n: encode(decode(args[n])) for n in names}
        except Exception:
            return None
        decision = decide_expr(condition, env)
        return None if decision.truth is Truth.UNKNOWN else decision.truth is Truth.TRUE

    def _choice(self, c: M.ConditionOnInputClaim) -> Outcome:
        witnesses = self._witnesses()
        if not witnesses:
            return Verdict.UNKNOWN, "no executed input of the rationale reproduces the output"
        first_args = witnesses[0].get("args") or {}
        if self._function_choice(c.condition) is None \
                and not _variables(c.condition, first_args) <= first_args.keys():
            return Verdict.UNKNOWN, "the choice is not about the parameters alone"
        undecided = False
        for trace in witnesses:
            truths = [self._holds(x, trace) for x in (*self.choices, c.condition)]
            if all(t is True for t in truths):
                return Verdict.CONSISTENT, ""
            undecided = undecided or None in truths
        final = witnesses[0] if witnesses[0] is self.final else None
        if final is not None and self._holds(c.condition, final) is False:
            args: dict[str, str] = final.get("args") or {}
            names = sorted(n for n in _variables(c.condition, args) if n in args)
            shown = ", ".join(f"{n} = {self._shown(n, final)}" for n in names)
            return Verdict.REFUTED, f"the final input does not honour the choice: {shown}"
        if undecided:
            return Verdict.UNKNOWN, "the choice cannot be decided at the executed inputs"
        return Verdict.UNKNOWN, "no executed input that gives the output honours the choices"
