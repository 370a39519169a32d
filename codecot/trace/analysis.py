"""Static facts about the traced code that let the tracer read control flow from line events.

:func:`analyze` walks the module AST once and records, by line, every ``if``/``elif``/``while``/
``for`` head (:class:`Head`: its body's line range and whether the body starts on the head's own
line) and every ``except`` handler (:class:`Handler`).  A line holds at most one compound head, so
lines identify heads across all functions of the module.  ``statements`` maps every line of a
statement (a compound statement's header) to the statement's first line, so that a statement
spread over several lines is reported as one line.

Branch outcomes and loop iterations are then decided by the tracer from the next event of the
same frame: a head is *taken* when the next line event falls inside its body.  For an *inline*
body (``if x: return 1``) the next line says nothing, so the tracer watches bytecode offsets
instead; :meth:`CodeMap.inline_offsets` gives, per code object, the offsets of the instructions
that belong to each inline body (from ``co_positions``).
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from types import CodeType, ModuleType
from typing import Any

# Builtin names used in this module resolve in a private snapshot taken at import (functions
# capture their module's ``__builtins__`` when defined), so a traced program that patches the
# ``builtins`` module cannot change what the tracer's own code calls.
__builtins__ = ModuleType("builtins")
vars(__builtins__).update(vars(builtins))


@dataclass(frozen=True, slots=True)
class Head:
    """The head of an ``if``/``elif``/``while``/``for`` statement on ``line``.

    ``head_end`` is the last line of the condition or iterable, ``body_first``..``body_last`` the
    lines of the body (the ``else`` clause excluded), ``inline`` is true when the body starts on
    a head line (``inline_break``: such a body holds a ``break``), and ``body_pos`` is ``(line, col, end_line, end_col)`` of the whole body.
    """

    line: int
    kind: str
    head_end: int
    body_first: int
    body_last: int
    inline: bool
    body_pos: tuple[int, int, int, int]
    inline_break: bool = False

    @property
    def is_loop(self) -> bool:
        return self.kind in ("while", "for")

    def in_head(self, line: int) -> bool:
        """True when ``line`` is one of the head's own lines."""
        return self.line <= line <= self.head_end

    def in_body(self, line: int) -> bool:
        """True when ``line`` lies in the body (the ``else`` clause excluded)."""
        return self.body_first <= line <= self.body_last

    def in_loop(self, line: int) -> bool:
        """True when ``line`` belongs to the loop statement: head or body, not its ``else``."""
        return self.line <= line <= self.body_last


@dataclass(frozen=True, slots=True)
class Handler:
    """An ``except`` clause starting on ``line`` whose body spans ``body_first``..``body_last``."""

    line: int
    body_first: int
    body_last: int

    def in_body(self, line: int) -> bool:
        return self.body_first <= line <= self.body_last or line == self.line


@dataclass
class CodeMap:
    """Heads and handlers of one module, by line; inline-body offsets cached per code object."""

    heads: dict[int, Head]
    handlers: dict[int, Handler]
    statements: dict[int, int]
    _offsets: dict[CodeType, dict[int, frozenset[int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, list[Any]]:
        """The heads, handlers and statement lines as JSON lists (see :meth:`from_json`)."""
        return {
            "heads": [[h.line, h.kind, h.head_end, h.body_first, h.body_last, h.inline,
                       list(h.body_pos), h.inline_break] for h in self.heads.values()],
            "handlers": [[h.line, h.body_first, h.body_last] for h in self.handlers.values()],
            "statements": [n for pair in self.statements.items() for n in pair],
        }

    @classmethod
    def from_json(cls, data: object) -> CodeMap:
        """The code map :meth:`to_json` wrote; raises ValueError on anything else."""
        if type(data) is not dict:
            raise ValueError("code map: not an object")
        heads_raw, handlers_raw, lines = data.get("heads"), data.get("handlers"), data.get(
            "statements")
        if type(heads_raw) is not list or type(handlers_raw) is not list or type(
                lines) is not list or len(lines) % 2:
            raise ValueError("code map: bad fields")
        heads: dict[int, Head] = {}
        for row in heads_raw:
            if type(row) is not list or len(row) != 8 or type(row[6]) is not list:
                raise ValueError("code map: bad head")
            line, kind, head_end, first, last, inline, pos, inline_break = row
            _ints(line, head_end, first, last, *pos)
            if kind not in _HEAD_KINDS or type(inline) is not bool or type(
                    inline_break) is not bool or len(pos) != 4:
                raise ValueError("code map: bad head")
            heads[line] = Head(line, kind, head_end, first, last, inline,
                               (pos[0], pos[1], pos[2], pos[3]), inline_break)
        handlers: dict[int, Handler] = {}
        for row in handlers_raw:
            if type(row) is not list or len(row) != 3:
                raise ValueError("code map: bad handler")
            _ints(*row)
            handlers[row[0]] = Handler(row[0], row[1], row[2])
        _ints(*lines)
        statements = {lines[i]: lines[i + 1] for i in range(0, len(lines), 2)}
        return cls(heads=heads, handlers=handlers, statements=statements)

    def inline_offsets(self, code: CodeType) -> dict[int, frozenset[int]]:
        """Head line -> bytecode offsets (``f_lasti`` values) of its inline body in ``code``."""
        found = self._offsets.get(code)
        if found is None:
            found = _inline_offsets(code, [h for h in self.heads.values() if h.inline])
            self._offsets[code] = found
        return found


_HEAD_KINDS = frozenset(("if", "elif", "while", "for"))


def _ints(*values: object) -> None:
    for value in values:
        if type(value) is not int:
            raise ValueError("code map: expected an int")


def _inline_offsets(code: CodeType, heads: list[Head]) -> dict[int, frozenset[int]]:
    if not heads:
        return {}
    lines = {h.body_pos[0]: h for h in heads}
    hits: dict[int, set[int]] = {}
    for index, (line, end_line, col, end_col) in enumerate(code.co_positions()):
        if line is None or col is None or end_line is None or end_col is None:
            continue
        head = lines.get(line)
        if head is None:
            continue
        _, first_col, last, last_col = head.body_pos
        if col >= first_col and (end_line, end_col) <= (last, last_col):
            hits.setdefault(head.line, set()).add(2 * index)
    return {line: frozenset(offsets) for line, offsets in hits.items()}


def _span(body: list[ast.stmt]) -> tuple[int, int, int, int]:
    last = body[-1]
    end_line = last.end_lineno if last.end_lineno is not None else last.lineno
    end_col = last.end_col_offset if last.end_col_offset is not None else 0
    return body[0].lineno, body[0].col_offset, end_line, end_col


def _head(node: ast.If | ast.While | ast.For | ast.AsyncFor, kind: str) -> Head:
    if isinstance(node, ast.If | ast.While):
        head_end = node.test.end_lineno or node.lineno
    else:
        head_end = max(node.iter.end_lineno or node.lineno, node.target.end_lineno or node.lineno)
    pos = _span(node.body)
    inline = pos[0] <= head_end
    return Head(
        line=node.lineno,
        kind=kind,
        head_end=head_end,
        body_first=pos[0],
        body_last=pos[2],
        inline=inline,
        body_pos=pos,
        inline_break=inline and any(isinstance(stmt, ast.Break) for stmt in node.body),
    )


def analyze(tree: ast.Module, source: str) -> CodeMap:
    """Collect every statement head and ``except`` handler of ``tree`` (parsed from ``source``)."""
    lines = source.splitlines()
    heads: dict[int, Head] = {}
    handlers: dict[int, Handler] = {}
    statements: dict[int, int] = {}
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        _map_statement(node, statements)
        if isinstance(node, ast.If):
            text = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
            kind = "elif" if text[node.col_offset :].startswith("elif") else "if"
            heads[node.lineno] = _head(node, kind)
        elif isinstance(node, ast.While):
            heads[node.lineno] = _head(node, "while")
        elif isinstance(node, ast.For | ast.AsyncFor):
            heads[node.lineno] = _head(node, "for")
        elif isinstance(node, ast.ExceptHandler):
            first, _, last, _ = _span(node.body)
            handlers[node.lineno] = Handler(line=node.lineno, body_first=first, body_last=last)
        # only statements matter: descend into statement lists, never into expressions
        for name in _BODIES:
            inner = getattr(node, name, None)
            if inner:
                todo.extend(inner)
        if isinstance(node, ast.Match):
            for case in node.cases:
                todo.extend(case.body)
    return CodeMap(heads=heads, handlers=handlers, statements=statements)


_BODIES = ("body", "orelse", "finalbody", "handlers")
_COMPOUND = (
    ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try, ast.TryStar,
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match, ast.ExceptHandler,
)


def _map_statement(node: ast.AST, statements: dict[int, int]) -> None:
    """Map every line of a statement's own text (a compound one's header) to its first line."""
    if not isinstance(node, ast.stmt | ast.ExceptHandler):
        return
    start = node.lineno
    if isinstance(node, _COMPOUND):
        body = getattr(node, "body", None)
        if not body:
            return
        # the header ends on the line before the body starts (or on it, for an inline body)
        end = body[0].lineno - 1 if body[0].lineno > start else start
    else:
        end = node.end_lineno if node.end_lineno is not None else start
    for line in range(start, end + 1):
        statements[line] = start
