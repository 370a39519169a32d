"""The moments of a run that a free-form statement can be placed at.

Free-form text names no lines, and speaks of helper functions as readily as of the entry
function, so every frame counts: a :class:`Moment` is the state after one line event of any
frame (the arguments at a call count as the state before its first line), with the loops it is
inside and their iterations.  The head line event a loop ends at also counts as the iteration
after its last one (``Iteration 3: the condition is now False``).  Branch, loop and return events
are listed with their positions in the same order, so "after the previous statement" has one
meaning for all of them.  Values are decoded on demand, once per distinct repr.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from codecot.claims import expr as E
from codecot.symbolic.tracepoints import decoded

_MISSING = object()


@dataclass(eq=False)
class Moment:
    """The state of one frame after one line event (or at its call)."""

    pos: int
    depth: int
    func: str
    line: int
    vars: dict[str, str]
    #: (loop head, iteration) of the loops this moment is inside, outermost first
    loops: tuple[tuple[int, int], ...]
    #: the frame's previous moment (None at its call)
    before: Moment | None = None

    def value(self, name: str, globals_: dict[str, str]) -> Any:
        """The decoded value of ``name`` here (globals after locals), or ``MISSING``."""
        rep = self.vars.get(name, globals_.get(name))
        if rep is None or rep.startswith("<"):
            return _MISSING
        try:
            return decoded(rep)
        except (ValueError, SyntaxError, RecursionError):
            return _MISSING

    def in_iteration(self, k: int) -> bool:
        return any(it == k for _, it in self.loops)


MISSING = _MISSING


@dataclass
class Event:
    """A branch, loop start, loop end or return, with its position among the moments."""

    pos: int
    kind: str
    depth: int
    line: int
    data: dict[str, Any]
    loops: tuple[tuple[int, int], ...] = ()


@dataclass
class Call:
    """A call of a program function: position, name, argument reprs, result repr (None if it
    raised)."""

    pos: int
    func: str
    args: tuple[str, ...]
    result: str | None


@dataclass
class RunView:
    """Every moment and event of a trace, in order (see the module doc)."""

    trace: dict[str, Any]
    moments: list[Moment] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    globals: dict[str, str] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        open_calls: list[tuple[int, int, str, tuple[str, ...]]] = []
        self.globals = dict(self.trace.get("globals") or {})
        last: dict[int, Moment] = {}
        names: set[str] = set(self.globals)
        raw = self.trace.get("events") or []
        for i, ev in enumerate(raw):
            kind = ev.get("event")
            depth = int(ev.get("depth", 0))
            line = int(ev.get("line", 0))
            pos = len(self.moments) + len(self.events)
            if kind == "call":
                args = dict(ev.get("args") or {})
                open_calls.append((pos, depth, str(ev.get("func")), tuple(args.values())))
                names.update(args)
                m = Moment(pos, depth, str(ev.get("func")), line, args, ())
                last[depth] = m
                self.moments.append(m)
            elif kind == "line":
                loops = tuple((int(lp["head"]), int(lp["iteration"])) for lp in ev.get("loops") or [])
                nxt = raw[i + 1] if i + 1 < len(raw) else {}
                if nxt.get("event") == "loop_end" and int(nxt.get("line", -1)) == line \
                        and int(nxt.get("depth", 0)) == depth:
                    # the test that ends the loop: the iteration after its last
                    loops = (*loops, (line, int(nxt.get("iterations", 0)) + 1))
                vars_ = dict(ev.get("vars") or {})
                names.update(vars_)
                m = Moment(pos, depth, str(ev.get("func")), line, vars_, loops, last.get(depth))
                last[depth] = m
                self.moments.append(m)
            elif kind in ("branch", "loop_iter", "loop_end", "return", "exception", "caught"):
                prev = last.get(depth)
                self.events.append(Event(pos, str(kind), depth, line, ev, prev.loops if prev else ()))
                if kind == "return":
                    while open_calls and open_calls[-1][1] > depth:
                        c = open_calls.pop()  # frames left by raising
                        self.calls.append(Call(c[0], c[2], c[3], None))
                    if open_calls and open_calls[-1][1] == depth:
                        c = open_calls.pop()
                        self.calls.append(Call(c[0], c[2], c[3], str(ev.get("value"))))
        self.names = frozenset(names)

    @property
    def last_pos(self) -> int:
        return len(self.moments) + len(self.events)


def parse_program(code: str) -> ast.Module | None:
    """The program's syntax tree, or None when it does not parse."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def untraced_names(tree: ast.Module | None) -> frozenset[str]:
    """Names bound in scopes the tracer does not follow line by line (comprehensions, lambdas,
    generator expressions): a statement about one may be about that scope."""
    if tree is None:
        return frozenset()
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            out.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Lambda):
            out.update(a.arg for a in node.args.args)
    return frozenset(out)


def append_target(tree: ast.Module | None, word: str) -> E.Expr | None:
    """The one collection the program appends to (``word`` ``added``: or adds to), as a name;
    None when there are none or several."""
    if tree is None:
        return None
    methods = ("append",) if word == "appended" else ("append", "add")
    receivers = {node.func.value.id for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and node.func.attr in methods and isinstance(node.func.value, ast.Name)}
    return E.Name(receivers.pop()) if len(receivers) == 1 else None


def comprehension_use(tree: ast.Module | None) -> tuple[str | None, int] | None:
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
