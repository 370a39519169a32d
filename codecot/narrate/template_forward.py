"""Forward template narration: claims written from the trace of the entry call.

The narration follows the entry function's frame (depth 0): the call, every variable that a
line changes (with arithmetic chains for arithmetic updates), branch outcomes, loop iterations
and ends, results of calls the frame makes, exceptions raised and caught, the return and the
final answer.  Loops longer than ``max_iterations`` are narrated for their first iterations,
then summarised by a ``loop_skip`` step and the state after the skipped iterations, then the
last iteration in full, so every step stays checkable.
"""

from __future__ import annotations

import ast
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.pyexpr import argument_from_source, expr_from_ast_or_none, value_to_expr
from codecot.claims.source import Source
from codecot.trace.values import decode

ARITH_AUG = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
             ast.Div: "/", ast.Pow: "**"}


def _value(repr_text: str) -> E.Expr | None:
    if repr_text.startswith("<omitted"):
        return None
    try:
        return value_to_expr(decode(repr_text))
    except (ValueError, SyntaxError, RecursionError):
        return None


def _loop_contexts(events: list[dict[str, Any]]) -> list[list[tuple[int, int, int, int]]]:
    """For each depth-0 event, its active loops as (head, instance, iteration, total).

    Line events carry their own ``loops``; other events share the context of the line event
    before them.  A loop instance continues while its head keeps its position and its iteration
    does not go back; ``loop_end`` gives the instance's total iteration count.
    """
    totals: dict[int, int] = {}
    current: list[tuple[int, int, int]] = []  # (head, instance, iteration)
    closed: dict[int, int] = {}  # head -> instance that most recently left the context
    per_event: list[list[tuple[int, int, int]]] = []
    counter = 0
    for ev in events:
        kind = ev.get("event")
        if kind == "line":
            new: list[tuple[int, int, int]] = []
            for pos, loop in enumerate(ev.get("loops") or []):
                head, it = int(loop["head"]), int(loop["iteration"])
                if pos < len(current) and current[pos][0] == head and current[pos][2] <= it:
                    new.append((head, current[pos][1], it))
                else:
                    counter += 1
                    new.append((head, counter, it))
            live = {inst for _, inst, _ in new}
            for head, inst, _ in current:
                if inst not in live:
                    closed[head] = inst
            current = new
        elif kind == "loop_end":
            head = int(ev.get("line", 0))
            found: int | None = next((i for h, i, _ in reversed(current) if h == head), closed.get(head))
            if found is not None:
                totals[found] = int(ev.get("iterations", 0))
        per_event.append(list(current))
    return [[(h, i, it, totals.get(i, it)) for h, i, it in ctx] for ctx in per_event]


class ForwardTemplate:
    """Writes a forward rationale's claims for one trace."""

    def __init__(self, code: str, trace: dict[str, Any], *, max_iterations: int = 5,
                 arg_sources: dict[str, str] | None = None) -> None:
        self.src = Source(code)
        self.arg_sources = arg_sources or {}
        self.trace = trace
        self.entry = str(trace.get("entry") or "f")
        self.max_iterations = max_iterations
        self.claims: list[M.Claim] = []
        self.state: dict[str, str] = {}
        self.prev_state: dict[str, str] = {}
        self.last_line = 0
        self.globals: dict[str, str] = dict(trace.get("globals") or {})
        self.skip_snapshots: dict[int, dict[str, str]] = {}  # loop head -> state before a skip
        self.pending_calls: list[tuple[str, list[E.Expr] | None, str | None]] = []
        self.call_stack: list[tuple[str, list[E.Expr] | None]] = []  # open helper calls
        #: variables the body on a compound header's line changed, narrated after the decision
        self.inline_effects: list[tuple[str, int | None, str]] = []
        self.inline_line = 0

    # -- public ------------------------------------------------------------------------------

    def claims_for_trace(self) -> list[M.Claim]:
        args = self.trace.get("args") or {}
        arg_exprs = {k: argument_expr(k, v, self.arg_sources) for k, v in args.items()}
        self.claims.append(M.CallClaim(func=self.entry, args=tuple(arg_exprs.items())))
        self.state = dict(args)
        events = [ev for ev in self.trace.get("events", []) if ev.get("depth", 0) <= 1]
        contexts = _loop_contexts([ev for ev in events if ev.get("depth", 0) == 0])
        depth0 = iter(contexts)
        skipping: dict[int, dict[str, str]] = {}  # loop instance -> state when skipping began
        for ev in events:
            if ev.get("depth", 0) == 1:
                self._helper_event(ev)
                continue
            ctx = next(depth0)
            self.call_stack.clear()  # calls still open here ended by raising
            muted = self._mute(ctx, skipping)
            if muted:
                self.pending_calls.clear()  # calls made in a skipped stretch are not narrated
                if ev.get("event") == "line":
                    self.state = dict(ev.get("vars") or {})
                continue
            self._event(ev, ctx)
        if self.inline_effects:
            self._flush_inline(self.inline_line)
        out = self.trace.get("output")
        value = _value(out) if isinstance(out, str) else None
        if value is None:
            raise ValueError("the output cannot be written as a literal")
        call = E.Call(self.entry, tuple(call_args(self.src, self.entry, args, self.arg_sources)))
        self.claims.append(M.AnswerClaim(call=call, value=value))
        return self.claims

    # -- loops -------------------------------------------------------------------------------

    def _mute(self, ctx: list[tuple[int, int, int, int]], skipping: dict[int, dict[str, str]]) -> bool:
        """Whether an event with loop context ``ctx`` falls in a skipped stretch.

        Emits the ``loop_skip`` step when a stretch begins; when it ends, the state reached is
        narrated as bindings of the next narrated iteration's ``loop_iter`` step.
        """
        bound = self.max_iterations
        muted = False
        for head, inst, it, total in ctx:
            in_skip = bound < it < total
            if in_skip and inst not in skipping:
                skipping[inst] = dict(self.state)
                self.claims.append(M.LoopSkipClaim(line=head, first=bound + 1, last=total - 1))
            if in_skip:
                muted = True
            elif inst in skipping and it >= total:
                self.skip_snapshots[head] = skipping.pop(inst)
        return muted

    # -- events ------------------------------------------------------------------------------

    def _helper_event(self, ev: dict[str, Any]) -> None:
        kind = ev.get("event")
        if kind == "call":
            values = [_value(v) for v in (ev.get("args") or {}).values()]
            known = [a for a in values if a is not None]
            self.call_stack.append((str(ev.get("func")), known if len(known) == len(values) else None))
        elif kind == "return" and self.call_stack:
            func, args = self.call_stack.pop()
            value = ev.get("value")
            self.pending_calls.append((func, args, value if isinstance(value, str) else None))

    def _flush_calls(self, line: int, iteration: int | None) -> None:
        for func, args, value in self.pending_calls:
            val = _value(value) if isinstance(value, str) else None
            if args is None or val is None or func.startswith("<"):
                continue
            self.claims.append(M.CallResultClaim(line=line, iteration=iteration,
                                                 call=E.Call(func, tuple(args)), value=val))
        self.pending_calls.clear()

    def _flush_inline(self, line: int) -> None:
        """State steps for what the body on an ``if``/``while``/``for`` header's line changed,
        after the branch or loop step of that line (the state after the line)."""
        for name, iteration, rep in self.inline_effects:
            value = _value(rep)
            if value is not None:
                self.claims.append(M.StateClaim(line=line, iteration=iteration,
                                                target=E.Name(name), chain=(value,)))
        self.inline_effects = []

    def _event(self, ev: dict[str, Any], ctx: list[tuple[int, int, int, int]]) -> None:
        kind = ev.get("event")
        line = int(ev.get("line", 0))
        iteration = ctx[-1][2] if ctx else None
        if self.inline_effects and not (kind in ("branch", "loop_iter") and line == self.inline_line):
            self._flush_inline(self.inline_line)
        if kind in ("line", "branch", "return", "exception"):
            self._flush_calls(line, iteration)
        if kind == "line":
            self._line(ev, line, iteration)
        elif kind == "branch":
            self._branch(ev, line, iteration)
            if self.inline_effects and (ev.get("kind") != "while" or not ev.get("taken")):
                self._flush_inline(line)  # a taken while test: the effects follow its loop_iter
        elif kind == "loop_iter":
            self._loop_iter(ev, line)
            if self.inline_effects:
                self._flush_inline(line)
        elif kind == "loop_end":
            if ev.get("reason") in ("exhausted", "break"):
                how = "break" if ev["reason"] == "break" else "exhausted"
                self.claims.append(M.LoopEndClaim(line=line, iterations=int(ev["iterations"]), how=how))
        elif kind == "return":
            self._return(ev, line, iteration)
        elif kind == "exception":
            self.claims.append(M.RaiseClaim(line=line, iteration=iteration, exc_type=str(ev["type"])))
        elif kind == "caught":
            self.claims.append(M.CatchClaim(line=line, iteration=iteration, exc_type=str(ev["type"])))

    def _line(self, ev: dict[str, Any], line: int, iteration: int | None) -> None:
        new = ev.get("vars") or {}
        stmt = self.src.statement(line)
        before = self.state
        changed = [k for k, v in new.items() if before.get(k) != v]
        self.prev_state, self.state, self.last_line = before, dict(new), line
        if self.src.inline_header(line) is not None:
            # the body shares the header's line: its effects are narrated after the decision
            targets = self.src.loop_targets(line)
            self.inline_effects = [(name, iteration, new[name]) for name in changed
                                   if name not in targets]
            self.inline_line = line
            return
        if isinstance(stmt, ast.For | ast.Return | ast.While | ast.If):
            return  # loop targets are narrated by loop_iter; returns by the return event
        code = self._echo(stmt) if len(changed) == 1 else None
        for name in changed:
            value = _value(new[name])
            if value is None:
                continue
            chain: tuple[E.Expr, ...] = (value,)
            link = self._arith_link(stmt, name, before)
            if link is not None:
                chain = (link, value)
            self.claims.append(M.StateClaim(line=line, iteration=iteration, target=E.Name(name),
                                            chain=chain, code=code))

    def _echo(self, stmt: ast.stmt | None) -> str | None:
        if not isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Expr):
            return None
        if stmt.value is None or expr_from_ast_or_none(stmt.value, self.src.functions) is None:
            return None
        text = self.src.segment(stmt)
        if not text or "\n" in text or ", so" in text or len(text) > 80:
            return None
        return text

    def _arith_link(self, stmt: ast.stmt | None, name: str, before: dict[str, str]) -> E.Expr | None:
        """``2 + 4`` for ``total += n`` / ``total = total + n`` with numbers substituted."""
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            if stmt.target.id != name or type(stmt.op) not in ARITH_AUG:
                return None
            rhs: ast.expr = ast.BinOp(left=ast.Name(id=name), op=stmt.op, right=stmt.value)
        elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
              and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == name
              and isinstance(stmt.value, ast.BinOp)):
            rhs = stmt.value
        else:
            return None
        return _substitute_numbers(rhs, before)

    def _encodable(self, expr: E.Expr, env: dict[str, str]) -> bool:
        """Whether every name ``expr`` reads has a literal value in ``env`` or the globals."""
        for name in E.free_names(expr):
            rep = env.get(name, self.globals.get(name))
            if rep is None or rep.startswith("<"):
                return False
        return True

    def _branch(self, ev: dict[str, Any], line: int, iteration: int | None) -> None:
        stmt = self.src.statement(line)
        test = getattr(stmt, "test", None)
        if test is None:
            return
        cond = expr_from_ast_or_none(test)
        if cond is None or not self._encodable(cond, self.state):
            return
        taken = bool(ev.get("taken"))
        self.claims.append(M.ConditionClaim(line=line, iteration=iteration, condition=cond,
                                            truth=taken, taken=taken))

    def _loop_iter(self, ev: dict[str, Any], line: int) -> None:
        names = self.src.loop_targets(line)
        snapshot = self.skip_snapshots.pop(line, None)
        stmt = self.src.statement(line)
        inline_body = isinstance(stmt, ast.For | ast.While) and stmt.body[0].lineno == stmt.lineno
        if snapshot is not None and not inline_body:
            names += [k for k, v in self.state.items() if snapshot.get(k) != v and k not in names]
        if inline_body:
            # the state reported is after the body: a target the body rebinds has lost its value
            rebound = self.src.inline_body_assigns(line)
            names = [n for n in names if n not in rebound]
        bindings = []
        for name in names:
            rep = self.state.get(name)
            value = _value(rep) if rep is not None else None
            if value is not None:
                bindings.append((name, value))
        self.claims.append(M.LoopIterClaim(line=line, iteration=int(ev["iteration"]),
                                           bindings=tuple(bindings)))

    def _return(self, ev: dict[str, Any], line: int, iteration: int | None) -> None:
        value = _value(ev.get("value", ""))
        if value is None:
            return
        stmt = self.src.statement(line)
        expr = None
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            expr = expr_from_ast_or_none(stmt.value)
            env = self.prev_state if self.last_line == line else self.state
            if expr == value or (expr is not None and not self._encodable(expr, env)):
                expr = None
        self.claims.append(M.ReturnClaim(line=line, iteration=iteration, expr=expr, value=value))


def _substitute_numbers(node: ast.expr, env: dict[str, str]) -> E.Expr | None:
    """An arithmetic tree with every name replaced by its (int or float) value, else None."""
    if isinstance(node, ast.BinOp) and type(node.op) in ARITH_AUG:
        left = _substitute_numbers(node.left, env)
        right = _substitute_numbers(node.right, env)
        if left is None or right is None:
            return None
        return E.BinOp(ARITH_AUG[type(node.op)], left, right)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return E.Const(node.value)
    if isinstance(node, ast.Name) and node.id in env:
        try:
            value = decode(env[node.id])
        except (ValueError, SyntaxError):
            return None
        if type(value) in (int, float):
            return E.Const(value)
    return None


def argument_expr(name: str, rep: str, sources: dict[str, str]) -> E.Expr:
    """How a claim writes the argument ``name``: its value as a literal, or, for a value without
    one (a lambda, a function, an object), the input's own text for it when a claim can hold
    that; else ValueError naming what is wrong."""
    if rep.startswith("<omitted"):
        raise ValueError(f"the argument {name} is too large to write ({rep})")
    value = _value(rep)
    if value is not None:
        return value
    source = sources.get(name)
    expr = argument_from_source(source) if source is not None else None
    if expr is None:
        shown = f" (the input writes {source})" if source else ""
        raise ValueError(f"the argument {name} has no literal value{shown}, and a claim cannot write it")
    return expr


def call_args(src: Source, entry: str, args: dict[str, str],
              sources: dict[str, str] | None = None) -> list[E.Expr]:
    """Positional argument expressions of the entry call (a ``*args`` tuple is spread out)."""
    star = src.vararg(entry)
    out: list[E.Expr] = []
    for name, rep in args.items():
        value = argument_expr(name, rep, sources or {})
        if name == star and isinstance(value, E.TupleExpr):
            out.extend(value.items)
        else:
            out.append(value)
    return out
