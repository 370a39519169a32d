"""Python types as the solver sees them, and their type tags.

A :class:`PyType` is a kind plus argument types.  Kinds: ``int bool float str None`` (scalars),
``list[E]``, ``set[E]``, ``frozenset[E]`` (one element type), ``tuple[T1, ..., Tn]`` (one type
per position, so the length is part of the type), ``dict[K, V]``, ``union`` (members), ``?``
(the element type of an empty container: compatible with every type), and the concrete-only kinds
``bytes``, ``range``, ``iterator``, ``dict_keys``, ``dict_values``, ``dict_items`` and
``function`` (a builtin function, type or method used as a value, see
:mod:`codecot.solver.callables`).

Tags are written as in ARCHITECTURE.md: ``list[int]``, ``list[]`` (empty), ``tuple[int, str]``,
``dict[str, int]``, ``list[int | str]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from codecot.solver.errors import Unsupported


@dataclass(frozen=True, slots=True)
class PyType:
    kind: str
    args: tuple[PyType, ...] = ()

    def __str__(self) -> str:
        if self.kind == "union":
            return " | ".join(str(a) for a in self.args)
        if self.kind == "?":
            return ""
        if self.kind in ("list", "set", "frozenset", "tuple", "dict"):
            return f"{self.kind}[{', '.join(str(a) for a in self.args)}]"
        return self.kind

    @property
    def elem(self) -> PyType:
        """Element type of a list/set/frozenset (``?`` for an empty one)."""
        return self.args[0]


INT = PyType("int")
BOOL = PyType("bool")
FLOAT = PyType("float")
STR = PyType("str")
NONE = PyType("None")
ANY = PyType("?")
RANGE = PyType("range")
BYTES = PyType("bytes")
FUNCTION = PyType("function")

NUMERIC_KINDS = frozenset({"int", "bool", "float"})
SCALAR_KINDS = frozenset({"int", "bool", "float", "str", "None"})
SEQUENCE_KINDS = frozenset({"list", "tuple", "str"})


def list_of(elem: PyType) -> PyType:
    return PyType("list", (elem,))


def tuple_of(*items: PyType) -> PyType:
    return PyType("tuple", tuple(items))


def join(a: PyType, b: PyType) -> PyType:
    """The least type containing both (``?`` absorbs; otherwise containers join per argument)."""
    if a == b or b.kind == "?":
        return a
    if a.kind == "?":
        return b
    if a.kind == b.kind and a.kind in ("list", "set", "frozenset", "dict"):
        return PyType(a.kind, tuple(join(x, y) for x, y in zip(a.args, b.args, strict=True)))
    members: list[PyType] = []
    for t in (a, b):
        for m in t.args if t.kind == "union" else (t,):
            if m not in members:
                members.append(m)
    return PyType("union", tuple(sorted(members, key=str)))


def join_all(types: list[PyType]) -> PyType:
    out = ANY
    for t in types:
        out = join(out, t)
    return out


_SCALAR_TYPES: dict[type, PyType] = {int: INT, bool: BOOL, float: FLOAT, str: STR,
                                     type(None): NONE, bytes: BYTES}


def infer(value: object) -> PyType:
    """Type of a concrete Python value (raises :class:`Unsupported` for other objects)."""
    scalar = _SCALAR_TYPES.get(value.__class__)
    if scalar is not None:
        return scalar
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return PyType("list", (join_all([infer(v) for v in value]),))
    if isinstance(value, tuple):
        return PyType("tuple", tuple(infer(v) for v in value))
    if isinstance(value, (set, frozenset)):
        kind = "set" if isinstance(value, set) else "frozenset"
        return PyType(kind, (join_all([infer(v) for v in value]),))
    if isinstance(value, dict):
        return PyType("dict", (join_all([infer(k) for k in value]),
                               join_all([infer(v) for v in value.values()])))
    if isinstance(value, range):
        return RANGE
    if isinstance(value, bytes):
        return BYTES
    raise Unsupported(f"values of type {type(value).__name__} are not supported")


_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z_0-9]*)|(.))")


@lru_cache(maxsize=1024)
def parse_tag(tag: str) -> PyType:
    """Parse a type tag such as ``list[int]`` or ``tuple[int, str]`` (results are cached)."""
    tokens = [m.group(1) or m.group(2) for m in _TOKEN.finditer(tag) if m.group(1) or m.group(2)]
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens) or (expected is not None and tokens[pos] != expected):
            raise Unsupported(f"cannot parse type tag {tag!r}")
        pos += 1
        return tokens[pos - 1]

    def union() -> PyType:
        t = single()
        while peek() == "|":
            take("|")
            t = join(t, single())
        return t

    def single() -> PyType:
        name = take()
        if name in ("int", "bool", "float", "str", "None", "range", "bytes"):
            return PyType(name)
        if name in ("list", "set", "frozenset", "tuple", "dict"):
            take("[")
            args: list[PyType] = []
            while peek() != "]":
                args.append(union())
                if peek() == ",":
                    take(",")
            take("]")
            if name == "tuple":
                return PyType("tuple", tuple(args))
            want = 2 if name == "dict" else 1
            if not args:
                return PyType(name, (ANY,) * want)
            if len(args) != want:
                raise Unsupported(f"cannot parse type tag {tag!r}")
            return PyType(name, tuple(args))
        raise Unsupported(f"type tag {tag!r} is not supported")

    result = union()
    if pos != len(tokens):
        raise Unsupported(f"cannot parse type tag {tag!r}")
    return result
