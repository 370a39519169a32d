"""Facts about program source that narrators and checkers need: the statement on a line, loop
targets, compound statements written on one line."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property, lru_cache


@dataclass
class Source:
    """Parsed program text with per-line statement lookup."""

    code: str
    _by_line: dict[int, ast.stmt] = field(default_factory=dict, init=False, repr=False)
    _segments: dict[tuple[object, ...], str | None] = field(default_factory=dict, init=False,
                                                            repr=False)

    def __post_init__(self) -> None:
        tree = ast.parse(self.code)
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                # the outermost statement starting on a line wins (a compound's header line)
                cur = self._by_line.get(node.lineno)
                if cur is None or _span(node) > _span(cur):
                    self._by_line[node.lineno] = node
        self.tree = tree

    def statement(self, line: int) -> ast.stmt | None:
        return self._by_line.get(line)

    def segment(self, node: ast.AST) -> str | None:
        """Source text of ``node`` (cached per node position)."""
        key = (getattr(node, "lineno", None), getattr(node, "col_offset", None),
               getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
        if key not in self._segments:
            self._segments[key] = ast.get_source_segment(self.code, node)
        return self._segments[key]

    @cached_property
    def functions(self) -> frozenset[str]:
        return frozenset(n.name for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef))

    def frame_lines(self, func: str) -> frozenset[int] | None:
        """The lines of the statements that run in a frame of the top-level function ``func``:
        its ``def`` line and its body's, with a nested function's or class's ``def``/``class``
        line but not its body; None when the program defines no top-level ``func``."""
        top = self.top_level_function(func)
        if top is None:
            return None
        lines: set[int] = {top.lineno}
        todo: list[ast.stmt | ast.excepthandler] = list(top.body)
        while todo:
            node = todo.pop()
            lines.add(node.lineno)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            todo.extend(child for child in ast.iter_child_nodes(node)
                        if isinstance(child, ast.stmt | ast.excepthandler))
        return frozenset(lines)

    def top_level_function(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The program's top-level ``def`` of ``name``, if it has one."""
        return next((top for top in self.tree.body
                     if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef)
                     and top.name == name), None)

    def params(self, func: str) -> list[str]:
        for n in ast.walk(self.tree):
            if isinstance(n, ast.FunctionDef) and n.name == func:
                a = n.args
                return [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
        return []

    def positional(self, func: str) -> list[str]:
        """Names of ``func``'s parameters that positional arguments fill, in order."""
        for n in ast.walk(self.tree):
            if isinstance(n, ast.FunctionDef) and n.name == func:
                return [x.arg for x in (*n.args.posonlyargs, *n.args.args)]
        return []

    def defaults(self, func: str) -> dict[str, ast.expr]:
        """``func``'s parameters that have a default value, with the default's expression."""
        for n in ast.walk(self.tree):
            if isinstance(n, ast.FunctionDef) and n.name == func:
                a = n.args
                positional = [*a.posonlyargs, *a.args]
                out = {p.arg: d for p, d in zip(positional[len(positional) - len(a.defaults):],
                                                a.defaults, strict=True)}
                out.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
                            if d is not None})
                return out
        return {}

    def vararg(self, func: str) -> str | None:
        """Name of ``func``'s ``*args`` parameter, if it has one."""
        return self._varargs.get(func)

    @cached_property
    def _varargs(self) -> dict[str, str]:
        return {n.name: n.args.vararg.arg for n in ast.walk(self.tree)
                if isinstance(n, ast.FunctionDef) and n.args.vararg}

    def inline_header(self, line: int) -> ast.If | ast.While | ast.For | None:
        """The ``if``/``elif``/``while``/``for`` on ``line`` whose body starts on that same line.

        On such a line the tracer reports one line event for header and body together, so the
        variables it records are the state *after* the body: a condition or a loop's start is
        decided on an earlier state.
        """
        node = self.statement(line)
        if isinstance(node, ast.If | ast.While | ast.For) and node.body[0].lineno == line:
            return node
        return None

    def inline_body_assigns(self, line: int) -> frozenset[str]:
        """Names assigned by the body statements that share ``line`` with their header."""
        node = self.inline_header(line)
        if node is None:
            return frozenset()
        out: set[str] = set()
        for stmt in node.body:
            if stmt.lineno != line:
                continue
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
                    out.add(sub.id)
        return frozenset(out)

    def walrus_names(self, node: ast.AST) -> frozenset[str]:
        """Names that ``:=`` assigns anywhere inside ``node``."""
        return frozenset(n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr))

    def loop_targets(self, line: int) -> list[str]:
        """Names bound by the ``for`` statement on ``line`` (empty for other statements)."""
        node = self.statement(line)
        if isinstance(node, ast.For):
            return [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]
        return []

    def binds(self, name: str, within: ast.AST | None = None) -> int:
        """How many places in ``within`` (default: the whole program) bind, delete or declare
        ``name``: assignment and loop targets, ``del``, ``def``/``class`` names, parameters,
        imports, ``except ... as``, match captures, ``global``/``nonlocal``."""
        count = 0
        for node in ast.walk(self.tree if within is None else within):
            if isinstance(node, ast.Name):
                count += node.id == name and not isinstance(node.ctx, ast.Load)
            elif isinstance(node, ast.arg | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                count += (node.arg if isinstance(node, ast.arg) else node.name) == name
            elif isinstance(node, ast.alias):
                count += (node.asname or node.name.split(".")[0]) == name
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
                count += node.name == name
            elif isinstance(node, ast.MatchMapping):
                count += node.rest == name
            elif isinstance(node, ast.Global | ast.Nonlocal):
                count += name in node.names
        return count

    def fixed_function_argument(self, func: str, param: str, argument: str) -> str | None:
        """The function a parameter holds throughout a call of the top-level function ``func``
        whose argument for ``param`` is the source text ``argument``: the name of a top-level
        function of the program when ``argument`` is that name, the program binds the name
        nowhere else, and ``func``'s body (nested scopes included) never binds ``param``;
        else None."""
        name = argument.strip()
        if (not name.isidentifier() or self.binds(name) != 1
                or self.top_level_function(name) is None):
            return None
        return name if self.keeps_parameter(func, param) else None

    @cached_property
    def reaches_into_objects(self) -> bool:
        """Whether the program imports anything or reads a dunder attribute (``__self__``),
        by which it could reach the object behind a value, such as a bound method's dict."""
        return any(isinstance(n, ast.Import | ast.ImportFrom)
                   or (isinstance(n, ast.Attribute) and n.attr.startswith("__"))
                   for n in ast.walk(self.tree))

    def keeps_parameter(self, func: str, param: str) -> bool:
        """Whether ``param`` is a parameter of the top-level function ``func`` that its body
        (nested scopes included) never binds, so it holds its argument throughout a call."""
        entry = self.top_level_function(func)
        if entry is None:
            return False
        a = entry.args
        if param not in {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}:
            return False
        return self.binds(param, ast.Module(body=entry.body, type_ignores=[])) == 0


def input_arguments(input_src: str) -> tuple[list[str], dict[str, str]] | None:
    """Source text of the positional and keyword arguments of a record's input (an argument
    list such as ``"[3, 1], key=lambda x: -x"``), or None when it is not one.  Nothing is
    evaluated: the text is only parsed."""
    try:
        call = ast.parse(f"_({input_src}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    return ([ast.unparse(a) for a in call.args], {str(k.arg): ast.unparse(k.value) for k in call.keywords})


def argument_sources(code: str, input_src: str, entry: str) -> dict[str, str]:
    """Source text of each argument of the entry call by parameter name (parameters filled
    by ``*args`` or defaults are left out); empty when the input or code does not parse."""
    found = input_arguments(input_src)
    try:
        src = source_of(code)
    except (SyntaxError, ValueError):
        return {}
    if found is None:
        return {}
    positional, keywords = found
    names = src.positional(entry)
    out = dict(zip(names, positional, strict=False))
    out.update({k: v for k, v in keywords.items() if k in src.params(entry)})
    return out


def same_source(expr_text: str, source: str) -> bool:
    """Whether two expression texts are the same Python (equal syntax trees)."""
    try:
        return ast.dump(ast.parse(expr_text.strip(), mode="eval")) == \
            ast.dump(ast.parse(source.strip(), mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        return False


def _span(node: ast.stmt) -> int:
    return (node.end_lineno or node.lineno) - node.lineno


@lru_cache(maxsize=512)
def source_of(code: str) -> Source:
    """A shared, parsed :class:`Source` for ``code`` (treat it as read-only)."""
    return Source(code)
