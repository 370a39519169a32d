"""Type skeletons of inputs: parsing type tags, and reading a record's input as types only.

A skeleton is what `--hint types` may use: the type of each argument (``list[int]``, ``str``,
``tuple[int, str]``) and never a value or a length. ``list[]`` (an empty list) is widened to a
list of unknown elements so that an empty input does not leak its length.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from codecot.trace.values import decode, type_tag

SCALARS = ("int", "float", "str", "bool", "None", "bytes")
CONTAINERS = ("list", "tuple", "dict", "set", "frozenset")


@dataclass(frozen=True)
class Ty:
    """A type: ``kind`` is a scalar name, a container name, ``union`` or ``any``."""

    kind: str
    args: tuple[Ty, ...] = ()

    def __str__(self) -> str:
        if self.kind == "union":
            return " | ".join(str(a) for a in self.args)
        if self.kind in CONTAINERS:
            return f"{self.kind}[{', '.join(str(a) for a in self.args)}]"
        return self.kind


ANY = Ty("any")
INT, FLOAT, STR, BOOL, NONE = Ty("int"), Ty("float"), Ty("str"), Ty("bool"), Ty("None")


def list_of(t: Ty) -> Ty:
    return Ty("list", (t,))


def _split_top(text: str, sep: str) -> list[str]:
    """Split `text` at `sep` outside brackets."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_tag(tag: str) -> Ty:
    """The `Ty` of a trace type tag (``list[int | str]``, ``dict[str, int]``, ``list[]`` ...).

    Tags that name no literal type (``object:X``, ``omitted:...``, ``complex``) become `ANY`.
    """
    tag = tag.strip()
    alts = _split_top(tag, "|")
    if len(alts) > 1:
        return Ty("union", tuple(parse_tag(a) for a in alts))
    if tag in SCALARS:
        return Ty(tag)
    head, bracket, rest = tag.partition("[")
    if bracket and head in CONTAINERS and rest.endswith("]"):
        inner = rest[:-1].strip()
        args = tuple(parse_tag(p) for p in _split_top(inner, ",")) if inner else ()
        if head in ("list", "set", "frozenset"):
            return Ty(head, (args[0] if args else ANY,))
        if head == "dict":
            return Ty("dict", args if len(args) == 2 else (ANY, ANY))
        return Ty("tuple", args)
    return ANY


def _static_tag(node: ast.expr) -> str | None:
    """The type tag of a literal argument, or of simple arithmetic on literals (``3 * 19``)."""
    try:
        return type_tag(decode(ast.unparse(node)))
    except (ValueError, RecursionError):
        pass
    if isinstance(node, ast.BinOp):
        left, right = _static_tag(node.left), _static_tag(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and left in ("int", "float") and right in ("int", "float"):
            return "float"
        if left == right:
            return left
        if {left, right} == {"int", "float"}:
            return "float"
        if isinstance(node.op, ast.Mult) and {left, right} <= {"int", "str"}:
            return "str"
    return None


@dataclass(frozen=True)
class Param:
    """One argument slot: its keyword (None when positional) and candidate types in order."""

    keyword: str | None
    types: tuple[Ty, ...]


def skeleton(input_src: str) -> list[Param] | None:
    """The type skeleton of an argument-list source: one `Param` per argument, in order.

    An argument whose type cannot be read without evaluating it gets `ANY`. Returns None when
    the text is not an argument list at all. Only types are kept: no value or length leaks.
    """
    try:
        call = ast.parse(f"f(\n{input_src}\n)", mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(call, ast.Call):
        return None
    out: list[Param] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            return None
        tag = _static_tag(arg)
        out.append(Param(None, (parse_tag(tag) if tag else ANY,)))
    for kw in call.keywords:
        if kw.arg is None:
            return None
        tag = _static_tag(kw.value)
        out.append(Param(kw.arg, (parse_tag(tag) if tag else ANY,)))
    return out


def skeleton_text(params: list[Param]) -> str:
    """A readable form of a skeleton, e.g. ``(list[int], str)``."""
    return "(" + ", ".join(" or ".join(str(t) for t in p.types) for p in params) + ")"
