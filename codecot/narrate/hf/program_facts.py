"""What one record's program fixes about its rationales: :class:`ProgramFacts`.

:func:`program_facts` reads them from the record's code, its input and the trace's entry and
arguments: the program's names, lines and their kinds (statement, ``return``, loop header,
``except``), each line's statement, condition and returned expression as claims render them,
the record's call, the entry's parameters, the program's variables, functions and
attributes.  They are facts about the program's text, never about its execution;
:mod:`codecot.narrate.hf.program_grammar` narrows the decoding grammar with them.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass, replace
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.errors import StepParseError
from codecot.claims.parse import parse_step
from codecot.claims.pyexpr import expr_from_ast_or_none
from codecot.claims.render import render_expr, render_variants
from codecot.claims.source import Source, argument_sources
from codecot.corpus import CorpusRecord
from codecot.narrate.template_forward import argument_expr, call_args
from codecot.verify.backward import is_literal

#: Attributes of the builtin value types (``s.startswith('a')``, ``z.real``).
BUILTIN_ATTRIBUTES = frozenset(
    n for source in (str, bytes, list, tuple, dict, set, frozenset, int, float, complex)
    for n in dir(source) if not n.startswith("_"))

#: Attributes of the builtin value types that are methods (``append``, ``upper``): a bound
#: method is no value a state step can state.
BUILTIN_METHODS = frozenset(
    n for n in BUILTIN_ATTRIBUTES
    if any(callable(getattr(t, n, None))
           for t in (str, bytes, list, tuple, dict, set, frozenset, int, float, complex)))

#: Names a step may use whether or not the program does: builtins (``len(s)``,
#: ``ValueError``) and the attributes of the builtin value types.
BUILTIN_NAMES = frozenset(
    n for n in dir(builtins) if not n.startswith("_") and not keyword.iskeyword(n)
) | BUILTIN_ATTRIBUTES

#: Builtin exception classes: what a step may name as raised or caught, with the program's own.
BUILTIN_EXCEPTIONS = frozenset(
    n for n in dir(builtins)
    if isinstance(getattr(builtins, n), type) and issubclass(getattr(builtins, n), BaseException))

#: Longest echoed statement or condition offered as a literal (the template's limit).
MAX_LITERAL = 80

@dataclass(frozen=True)
class ProgramFacts:
    """What one record's program fixes about its rationales (see the module doc).

    ``echoes``, ``conditions`` and ``returns`` map a line number to its statement text, its
    condition and its returned expression (the last two rendered as claims render them);
    ``call`` is the record's call as the final answer writes it, ``goal`` the entry function
    over its parameters as a backward goal writes it, ``bindings`` the call's arguments as a
    call step binds them (``n = 4 and s = 'a'``), ``entry`` the function called, ``arity``
    the number of arguments the call passes (each None when not renderable), ``literal_args``
    which of them are plain literals (numbers, strings, bytes, ``True``/``False``/``None``,
    and lists, tuples, sets and dicts of those; empty when not known); ``calls_own``
    whether the program may call a function it defines (else no call but the entry's is
    traced, and a step stating another call's result cannot be verified); ``return_lines``,
    ``loop_lines`` and ``handler_lines`` the lines holding a ``return``, a loop header and an
    ``except`` clause; ``exceptions`` the names a step may raise or catch (builtin exception
    classes, and the names the program raises or catches); ``attributes`` the names a step may
    write after a ``.`` (the builtin value types' attributes and the program's own);
    ``frame_lines`` the lines that run in the entry function's own frame (empty: not known);
    ``variables`` the names the program binds as variables (assignment, loop and comprehension
    targets, parameters, ``except ... as``, ``with ... as``, match captures; not a name bound
    only by ``def``, ``class`` or ``import``: its value is no value a step can state);
    ``parameters`` the entry function's parameters, as the call binds them (None: not known);
    ``functions`` the names of the functions and methods the program defines;
    ``data_attributes`` the attributes that may hold a value a state step can state (those the
    program assigns, and of ``attributes`` those that are no method of a builtin value type or
    function of the program; None: any of ``attributes``).
    """

    names: frozenset[str]
    lines: tuple[int, ...]
    echoes: tuple[tuple[int, str], ...] = ()
    conditions: tuple[tuple[int, str], ...] = ()
    returns: tuple[tuple[int, str], ...] = ()
    call: str | None = None
    goal: str | None = None
    bindings: str | None = None
    entry: str | None = None
    arity: int | None = None
    literal_args: tuple[bool, ...] = ()
    calls_own: bool = True
    attributes: frozenset[str] = BUILTIN_ATTRIBUTES
    return_lines: tuple[int, ...] = ()
    loop_lines: tuple[int, ...] = ()
    handler_lines: tuple[int, ...] = ()
    exceptions: frozenset[str] = BUILTIN_EXCEPTIONS
    frame_lines: tuple[int, ...] = ()
    variables: frozenset[str] = frozenset()
    parameters: tuple[str, ...] | None = None
    functions: frozenset[str] = frozenset()
    data_attributes: frozenset[str] | None = None

    def in_frame(self) -> ProgramFacts:
        """These facts without the lines outside ``frame_lines`` (all of them when it is
        empty): a forward step narrates the entry function's frame, and a step on a helper's
        line could not be checked."""
        if not self.frame_lines:
            return self
        keep = frozenset(self.frame_lines)

        def lines(of: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(n for n in of if n in keep)

        def texts(of: tuple[tuple[int, str], ...]) -> tuple[tuple[int, str], ...]:
            return tuple(pair for pair in of if pair[0] in keep)

        return replace(self, lines=lines(self.lines), return_lines=lines(self.return_lines),
                       loop_lines=lines(self.loop_lines), handler_lines=lines(self.handler_lines),
                       echoes=texts(self.echoes), conditions=texts(self.conditions),
                       returns=texts(self.returns))


def _identifiers(code: str) -> set[str]:
    names: set[str] = set()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            names.add(tok.string)
    return names


def _parses(step: str) -> bool:
    try:
        parse_step(step, explain=False)
    except StepParseError:
        return False
    return True


def _echo_text(src: Source, stmt: ast.stmt, line: int) -> str | None:
    """Line ``line``'s statement as an echo may quote it, if the narration grammar reads it
    so (``Line N: <text>, so x is 0.``)."""
    if not isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Expr):
        return None
    text = src.segment(stmt)
    if (not text or "\n" in text or ", so" in text or len(text) > MAX_LITERAL
            or stmt.end_lineno != line):
        return None
    return text if _parses(f"Line {line}: {text}, so x is 0.") else None


def _rendered(node: ast.expr | None, form: str) -> str | None:
    """``node`` rendered as a claim renders it, parenthesized where a step needs it (``(x is
    None)``): the first that makes ``form`` (holding ``{}``) parse."""
    expr = expr_from_ast_or_none(node) if node is not None else None
    if expr is None:
        return None
    text = render_expr(expr)
    if len(text) > MAX_LITERAL:
        return None
    return next((t for t in (text, f"({text})") if _parses(form.format(t))), None)


def program_facts(record: CorpusRecord, trace: dict[str, Any]) -> ProgramFacts | None:
    """The facts of ``record``'s program (``trace`` gives the entry and its arguments); None
    when the code does not parse."""
    try:
        src = Source(record.code)
        names = _identifiers(record.code) | _identifiers(record.input)
    except (SyntaxError, ValueError, tokenize.TokenError):
        return None
    kinds = _line_kinds(src)
    echoes, conditions, returns = _line_literals(src)
    call, goal, bindings, passed = _call_literals(record, trace, src)
    entry = str(trace.get("entry") or record.entry_name)
    frame = src.frame_lines(entry)
    attributes = BUILTIN_ATTRIBUTES | _attribute_names(record.code)
    functions = frozenset(n.name for n in ast.walk(src.tree)
                          if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    stored = {n.attr for n in ast.walk(src.tree)
              if isinstance(n, ast.Attribute) and not isinstance(n.ctx, ast.Load)}
    return ProgramFacts(
        names=frozenset(names) | BUILTIN_NAMES,
        lines=tuple(sorted(kinds["statement"] | kinds["handler"])),
        echoes=echoes, conditions=conditions, returns=returns,
        call=call, goal=goal, bindings=bindings,
        arity=None if passed is None else len(passed),
        literal_args=tuple(is_literal(a, calls=False) for a in passed or ()),
        entry=entry if goal is not None else None,
        return_lines=tuple(sorted(kinds["return"])), loop_lines=tuple(sorted(kinds["loop"])),
        handler_lines=tuple(sorted(kinds["handler"])),
        exceptions=BUILTIN_EXCEPTIONS | _raised_names(src), calls_own=_calls_own(src),
        attributes=attributes,
        frame_lines=tuple(sorted(frame or ())), variables=frozenset(_variable_names(src)),
        parameters=tuple(trace.get("args") or ()) if trace.get("ok") else None,
        functions=functions,
        data_attributes=frozenset((attributes - BUILTIN_METHODS - functions) | stored))


def _variable_names(src: Source) -> set[str]:
    """The names the program binds as variables (see :class:`ProgramFacts`)."""
    out: set[str] = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            out.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            out.add(node.rest)
    return out


def _attribute_names(code: str) -> set[str]:
    """The names the program writes after a ``.`` (its attributes and methods)."""
    out: set[str] = set()
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and previous is not None and previous.string == "." \
                and previous.end == tok.start:
            out.add(tok.string)
        previous = tok
    return out


def _calls_own(src: Source) -> bool:
    """Whether the program may call a function it defines: it defines more than one (a
    helper may be called through a parameter: ``op(n)``), or calls its only one by name (or as
    a method)."""
    if len(src.functions) > 1:
        return True
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if name in src.functions:
                return True
    return False


def _line_kinds(src: Source) -> dict[str, set[int]]:
    """Lines that start a statement, and those holding a ``return``, a loop header or an
    ``except`` clause (also inside a compound line: ``if n: return 1``)."""
    kinds: dict[str, set[int]] = {"statement": set(), "return": set(), "loop": set(),
                                  "handler": set()}
    for node in ast.walk(src.tree):
        if isinstance(node, ast.stmt) and src.statement(node.lineno) is not None:
            kinds["statement"].add(node.lineno)
        if isinstance(node, ast.ExceptHandler):
            kinds["handler"].add(node.lineno)
        elif isinstance(node, ast.Return):
            kinds["return"].add(node.lineno)
        elif isinstance(node, ast.For | ast.While):
            kinds["loop"].add(node.lineno)
    return kinds


def _raised_names(src: Source) -> set[str]:
    """The names in the program's ``raise`` statements and ``except`` clauses."""
    names: set[str] = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names.update(_identifiers(ast.unparse(node.type)))
        elif isinstance(node, ast.Raise) and node.exc is not None:
            names.update(_identifiers(ast.unparse(node.exc)))
    return names


Literals = tuple[tuple[int, str], ...]


def _line_literals(src: Source) -> tuple[Literals, Literals, Literals]:
    """Per line, the statement an echo may quote, its condition and its returned expression
    (see :class:`ProgramFacts`)."""
    echoes, conditions, returns = [], [], []
    for line in sorted({n.lineno for n in ast.walk(src.tree) if isinstance(n, ast.stmt)}):
        stmt = src.statement(line)
        if stmt is None:
            continue
        echo = _echo_text(src, stmt, line)
        if echo is not None:
            echoes.append((line, echo))
        if isinstance(stmt, ast.If | ast.While):
            cond = _rendered(stmt.test, f"Line {line}: the condition {{}} is True.")
            if cond is not None:
                conditions.append((line, cond))
        if isinstance(stmt, ast.Return):
            ret = _rendered(stmt.value, f"Line {line}: {{}} must be 0.")
            if ret is not None:
                returns.append((line, ret))
    return tuple(echoes), tuple(conditions), tuple(returns)


def _call_literals(record: CorpusRecord, trace: dict[str, Any], src: Source,
                   ) -> tuple[str | None, str | None, str | None, tuple[E.Expr, ...] | None]:
    """The record's call, the goal's call, the call step's bindings and the arguments the
    call passes (see :class:`ProgramFacts`); all None unless the trace ran the entry."""
    entry = str(trace.get("entry") or record.entry_name)
    if not trace.get("ok") or entry not in src.functions:
        return None, None, None, None
    args: dict[str, str] = dict(trace.get("args") or {})
    goal = render_expr(E.Call(entry, tuple(E.Name(p) for p in args)))
    sources = argument_sources(record.code, record.input, entry)
    try:
        passed = tuple(call_args(src, entry, args, sources))
        call = render_expr(E.Call(entry, passed))
        step = render_variants(M.CallClaim(func=entry, args=tuple(
            (k, argument_expr(k, v, sources)) for k, v in args.items())))[0]
    except (ValueError, SyntaxError):
        return None, goal, None, None
    bindings = step.removesuffix(".").partition(" with ")[2]
    return (call, goal, bindings if _parses(f"Call {entry} with {bindings}.") else None,
            passed)


def python_tokens(text: str) -> list[str]:
    """The Python tokens of ``text`` (one line of code), as written."""
    skip = {tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT,
            tokenize.INDENT, tokenize.DEDENT}
    out: list[str] = []
    previous_end = (0, 0)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in skip:
            continue
        if tok.type == tokenize.NAME and out and out[-1] == "." and previous_end == tok.start:
            out[-1] = "." + tok.string  # one lexeme, as the grammar's DOT_NAME reads it
        else:
            out.append(tok.string)
        previous_end = tok.end
    return out
