"""Parameter types inferred from code alone (``--hint none``).

Sources, strongest first: annotations (``List[int]``, ``str``, ``Dict[str, int]`` ...), then how the body uses each parameter: string methods make it a ``str``, list methods a
``list``, ``.items()`` a ``dict``, arithmetic with numbers or ``range(p)`` an ``int``, iteration,
indexing and ``len`` a sequence (a list or a str; the element type comes from how the loop
variable is used). Each parameter gets a few candidate types, tried in turn by the generator.
"""

from __future__ import annotations

import ast
from collections import Counter

from codecot.solve.types import ANY, BOOL, FLOAT, INT, NONE, STR, Param, Ty, list_of

STR_METHODS = frozenset(
    ["upper", "lower", "swapcase", "casefold", "capitalize", "title", "isdigit", "isalpha", "isalnum", "isupper", "islower", "isspace", "isnumeric", "isdecimal", "istitle", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "replace", "join", "find", "rfind", "rindex", "zfill", "center", "ljust", "rjust", "partition", "rpartition", "encode", "format", "expandtabs", "translate", "removeprefix", "removesuffix"]
)
LIST_METHODS = frozenset(["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", "copy"])
DICT_METHODS = frozenset(["items", "keys", "values", "get", "setdefault", "popitem", "update", "fromkeys"])
NUM_FUNCS = frozenset({"range", "abs", "bin", "hex", "oct", "chr", "round", "divmod", "pow"})
SEQ_FUNCS = frozenset({"len", "sorted", "reversed", "enumerate", "list", "set", "tuple", "zip",
                       "min", "max", "sum", "any", "all", "iter", "Counter"})

_ANNOTATION_NAMES = {"int": INT, "float": FLOAT, "str": STR, "bool": BOOL, "None": NONE,
                     "list": list_of(ANY), "List": list_of(ANY), "dict": Ty("dict", (ANY, ANY)),
                     "Dict": Ty("dict", (ANY, ANY)), "tuple": Ty("tuple", (ANY, ANY)),
                     "Tuple": Ty("tuple", (ANY, ANY)), "set": Ty("set", (ANY,))}


def annotation_type(node: ast.expr | None) -> Ty | None:
    """The `Ty` an annotation names, or None when it names nothing usable."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return annotation_type(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return None
    if isinstance(node, ast.Constant) and node.value is None:
        return NONE
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return _ANNOTATION_NAMES.get(name)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return annotation_type(node.left)
    if isinstance(node, ast.Subscript):
        base = annotation_type(node.value)
        inner = node.slice
        elems = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        args = [annotation_type(e) or ANY for e in elems]
        head = node.value.id if isinstance(node.value, ast.Name) else ""
        if head in ("Optional", "Union"):
            return args[0]
        if base is None:
            return None
        if base.kind in ("list", "set"):
            return Ty(base.kind, (args[0],))
        if base.kind == "dict" and len(args) == 2:
            return Ty("dict", (args[0], args[1]))
        if base.kind == "tuple":
            if len(args) == 2 and isinstance(elems[1], ast.Constant) and elems[1].value is ...:
                return Ty("tuple", (args[0], args[0]))
            return Ty("tuple", tuple(args))
    return None


class _Usage(ast.NodeVisitor):
    """Votes for the kind of every name, from how the function body uses it."""

    def __init__(self) -> None:
        self.votes: dict[str, Counter[str]] = {}
        self.loop_vars: dict[str, list[str]] = {}

    def vote(self, node: ast.expr, kind: str, weight: int = 1) -> None:
        if isinstance(node, ast.Name):
            self.votes.setdefault(node.id, Counter())[kind] += weight

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in STR_METHODS:
                self.vote(func.value, "str", 3)
            elif func.attr in LIST_METHODS:
                self.vote(func.value, "list", 3)
            elif func.attr in DICT_METHODS:
                self.vote(func.value, "dict", 3)
            elif func.attr in ("count", "index"):
                self.vote(func.value, "seq", 2)
            if func.attr == "join":
                for arg in node.args:
                    self.vote(arg, "seqstr", 2)
        elif isinstance(func, ast.Name):
            for arg in node.args:
                if func.id in NUM_FUNCS:
                    self.vote(arg, "int", 2)
                elif func.id in ("sum",):
                    self.vote(arg, "seqint", 2)
                elif func.id in SEQ_FUNCS:
                    self.vote(arg, "seq", 2)
                elif func.id == "float":
                    self.vote(arg, "num", 1)
                elif func.id == "ord":
                    self.vote(arg, "str", 2)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(other, ast.Constant):
                if isinstance(other.value, bool):
                    continue
                if isinstance(other.value, int | float):
                    kind = "int" if isinstance(node.op, ast.Add | ast.Sub | ast.FloorDiv | ast.Mod
                                                    | ast.Pow | ast.BitAnd | ast.BitOr
                                                    | ast.RShift | ast.LShift) else "num"
                    self.vote(side, kind, 2)
                elif isinstance(other.value, str):
                    self.vote(side, "str", 2)
            elif isinstance(node.op, ast.Sub | ast.Div | ast.FloorDiv | ast.Pow):
                self.vote(side, "num", 1)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        items = [node.left, *node.comparators]
        for a, b, op in zip(items, items[1:], node.ops, strict=False):
            for side, other in ((a, b), (b, a)):
                if isinstance(other, ast.Constant) and not isinstance(other.value, bool):
                    if isinstance(op, ast.In | ast.NotIn) and side is a:
                        continue
                    if isinstance(other.value, int | float):
                        self.vote(side, "int", 1)
                    elif isinstance(other.value, str):
                        self.vote(side, "str", 1)
            if isinstance(op, ast.In | ast.NotIn):
                self.vote(b, "seq", 1)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            self.vote(node.value, "dict", 3)
        else:
            self.vote(node.value, "seq", 1)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._iter(node.target, node.iter)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._iter(node.target, node.iter)
        self.generic_visit(node)

    def _iter(self, target: ast.expr, it: ast.expr) -> None:
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.args:
            fname = it.func.id
            if fname == "enumerate" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
                target, it = target.elts[1], it.args[0]
            elif fname in ("sorted", "reversed", "set", "list"):
                it = it.args[0]
        if isinstance(it, ast.Name):
            self.vote(it, "seq", 2)
            if isinstance(target, ast.Name):
                self.loop_vars.setdefault(it.id, []).append(target.id)
            elif isinstance(target, ast.Tuple):
                self.vote(it, "seqtuple", 1)


def _kinds(votes: Counter[str]) -> list[str]:
    return [k for k, _ in votes.most_common()]


def _elem_type(usage: _Usage, name: str) -> Ty:
    for var in usage.loop_vars.get(name, []):
        kinds = _kinds(usage.votes.get(var, Counter()))
        for k in kinds:
            if k in ("int", "num"):
                return INT
            if k == "str":
                return STR
            if k in ("seq", "list"):
                return list_of(INT)
    votes = usage.votes.get(name, Counter())
    if votes["seqstr"]:
        return STR
    if votes["seqint"]:
        return INT
    return ANY


def candidates_for(usage: _Usage, name: str) -> tuple[Ty, ...]:
    """Candidate types for parameter `name`, most likely first."""
    votes = usage.votes.get(name, Counter())
    out: list[Ty] = []
    elem = _elem_type(usage, name)
    for kind in _kinds(votes):
        if kind == "str":
            out.append(STR)
        elif kind in ("int", "num"):
            out.append(INT)
            if kind == "num":
                out.append(FLOAT)
        elif kind in ("list", "seqint", "seqstr", "seqtuple"):
            out.append(list_of(elem if elem is not ANY else INT))
        elif kind == "dict":
            out.append(Ty("dict", (STR, INT)))
        elif kind == "seq":
            if elem == STR:
                out += [STR, list_of(STR)]
            elif elem is ANY:
                out += [list_of(INT), STR, list_of(STR)]
            else:
                out.append(list_of(elem))
    out += [INT, STR, list_of(INT)]
    unique: list[Ty] = []
    for t in out:
        if t not in unique:
            unique.append(t)
    return tuple(unique[:3])


def infer_params(code: str, entry: str) -> list[Param] | None:
    """Candidate types for every required parameter of `entry`; None if it is not found."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry), None)
    if func is None:
        return None
    usage = _Usage()
    usage.visit(func)
    args = func.args
    if args.vararg or (args.kwonlyargs and any(d is None for d in args.kw_defaults)):
        return None
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    out: list[Param] = []
    for arg in positional[:required]:
        ann = annotation_type(arg.annotation)
        guesses = candidates_for(usage, arg.arg)
        if ann is not None:
            if ann.kind == "list" and ann.args[0] is ANY:
                elem = _elem_type(usage, arg.arg)
                ann = list_of(elem) if elem is not ANY else ann
            out.append(Param(None, (ann,)))
        else:
            out.append(Param(None, guesses))
    return out


def fill_unknown(params: list[Param], inferred: list[Param] | None) -> list[Param]:
    """Replace `ANY` slots of a skeleton with the inferred candidates for the same position."""
    out: list[Param] = []
    for i, p in enumerate(params):
        if p.types == (ANY,) and p.keyword is None and inferred and i < len(inferred):
            out.append(inferred[i])
        else:
            out.append(p)
    return out

