"""Constants mined from a program and its expected output: the raw material of candidates.

From the code: int and float literals with their neighbours (±1), string literals and their
characters, dict keys, the argument pairs of ``replace``/``translate``-like calls. From the output:
the value itself, its parts (list elements, dict keys and values, tuple and set members, words,
substrings, characters, nested to a few levels), its length, and simple inverse-transform
variants of strings (reversed, swapped case, upper/lower, stripped). Bytes (in the output or as
literals in the code) are mined as the strings their bytes spell in Latin-1, one character per
byte. Pools keep scalars only, compared by type and ``==``, so unhashable or nested values never
need hashing here. Everything is deduplicated and kept in the order found, cheap first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from codecot.trace.values import decode

MAX_POOL = 200
MAX_STR = 200


def _add(pool: list[Any], value: Any, limit: int = MAX_POOL) -> None:
    if len(pool) < limit and not any(type(v) is type(value) and v == value for v in pool):
        pool.append(value)


@dataclass
class Pools:
    """Mined constants by kind, each list in priority order without duplicates."""

    ints: list[int] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)
    strs: list[str] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)
    replace_pairs: list[tuple[str, str]] = field(default_factory=list)
    #: separators the code splits strings on (``s.split('/')``): inputs are likely joins
    split_seps: list[str] = field(default_factory=list)
    target: Any = None
    has_target: bool = False

    def add_int(self, n: int) -> None:
        if abs(n) < 10**12:
            _add(self.ints, n)

    def add_float(self, x: float) -> None:
        if x == x and abs(x) < 1e300:
            _add(self.floats, x)

    def add_str(self, s: str) -> None:
        if len(s) <= MAX_STR:
            _add(self.strs, s)
        for ch in s[:50]:
            _add(self.chars, ch, 80)


def string_variants(s: str) -> list[str]:
    """`s` and simple inverse-transform variants of it, cheap and plausible first."""
    out = [s, s[::-1], s.swapcase(), s.lower(), s.upper(), s.capitalize(), s.title(), s.strip(),
           s.casefold(), s[1:], s[:-1], s.replace(" ", ""), s[::-1].swapcase()]
    return [v for i, v in enumerate(out) if v not in out[:i]]


def _code_constants(code: str) -> tuple[list[Any], list[tuple[str, str]]]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return [], []
    consts: list[Any] = []
    pairs: list[tuple[str, str]] = []
    # docstrings (and other bare constant statements) say nothing about the values used
    bare = {id(n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in bare \
                and not isinstance(node.value, complex):
            consts.append(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("replace", "maketrans") and len(node.args) >= 2:
            a, b = node.args[0], node.args[1]
            if isinstance(a, ast.Constant) and isinstance(b, ast.Constant) \
                    and isinstance(a.value, str) and isinstance(b.value, str):
                pairs.append((a.value, b.value))
    return consts, pairs


def split_separators(code: str) -> list[str]:
    """The string constants the code passes to ``split``, ``rsplit`` or ``partition``."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return []
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("split", "rsplit", "partition", "rpartition") \
                and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and node.args[0].value \
                and node.args[0].value not in out:
            out.append(node.args[0].value)
    return out[:4]


def _walk_value(value: Any, pools: Pools, depth: int = 0) -> None:
    """Add `value` and its parts to the pools."""
    if depth > 4:
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        pools.add_int(value)
    elif isinstance(value, float):
        pools.add_float(value)
    elif isinstance(value, bytes):
        _walk_value(value.decode("latin-1"), pools, depth)
    elif isinstance(value, str):
        for v in string_variants(value):
            pools.add_str(v)
        pools.add_int(len(value))
        for word in value.split():
            pools.add_str(word)
    elif isinstance(value, list | tuple | set | frozenset):
        pools.add_int(len(value))
        for item in list(value)[:50]:
            _walk_value(item, pools, depth + 1)
    elif isinstance(value, dict):
        pools.add_int(len(value))
        for k, v in list(value.items())[:50]:
            _walk_value(k, pools, depth + 1)
            _walk_value(v, pools, depth + 1)


def _peel(target: str, consts: list[Any], pools: Pools) -> None:
    """Inverse guesses for a str output: undo ``replace`` pairs, drop literals the code adds,
    split it where the code's literals occur."""
    bases = [target, target.lower(), target.swapcase()]
    for a, b in pools.replace_pairs:
        for base in bases:
            if b and b in base:
                pools.add_str(base.replace(b, a))
    for lit in consts:
        if isinstance(lit, str) and lit and lit in target:
            for variant in (target.replace(lit, ""), target.removeprefix(lit),
                            target.removesuffix(lit)):
                for v in string_variants(variant)[:5]:
                    pools.add_str(v)
            for piece in target.split(lit)[:8]:  # the parts the code glued with `lit`
                if piece:
                    pools.add_str(piece)


def mine(code: str, output: str) -> Pools:
    """The constant pools of a program and its expected output repr."""
    pools = Pools()
    try:
        target = decode(output)
        pools.target, pools.has_target = target, True
    except ValueError:
        target = None
    if pools.has_target:
        _walk_value(target, pools)
    consts, pools.replace_pairs = _code_constants(code)
    pools.split_seps = split_separators(code)
    for c in consts:
        if isinstance(c, bool) or c is None or c is ...:
            continue
        if isinstance(c, int):
            pools.add_int(c)
        elif isinstance(c, float):
            pools.add_float(c)
        elif isinstance(c, str):
            pools.add_str(c)
        elif isinstance(c, bytes):
            pools.add_str(c.decode("latin-1"))
    if isinstance(target, str):
        _peel(target, consts, pools)
    for n in list(pools.ints):
        for d in (1, -1):
            pools.add_int(n + d)
    for n in (0, 1, -1, 2, 3, 5, 10):
        pools.add_int(n)
    for s in list(pools.strs):
        pools.add_int(len(s))
    for x in (0.0, 1.0, 0.5, -1.0, 2.0, 1.5):
        pools.add_float(x)
    for n in pools.ints[:20]:
        pools.add_float(float(n))
    _add(pools.strs, "", MAX_POOL + 1)
    for ch in ["a", "b", "A", "1", "ab", "abc", " "]:
        pools.add_str(ch)
    return pools


def interleave(*streams: Iterable[Any]) -> list[Any]:
    """Round-robin merge of finite streams, duplicates dropped."""
    iters = [iter(s) for s in streams]
    out: list[Any] = []
    seen: set[str] = set()
    while iters:
        for it in list(iters):
            try:
                v = next(it)
            except StopIteration:
                iters.remove(it)
                continue
            key = f"{type(v).__name__}:{v!r}"
            if key not in seen:
                seen.add(key)
                out.append(v)
    return out
