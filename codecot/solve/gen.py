"""Typed candidate values built from mined constants: ordered streams, random values, mutations.

`Generator.stream(t)` is a finite, deterministic, cheap-first list of values of type `t` (mined
constants, the output and its variants, small containers of mined elements). `random(t)` draws a
value (seeded), `mutate(t, v)` changes a value a little (for the output-guided search), and
`combos` enumerates argument tuples over several streams diagonally (small indices first).

Candidate values may be unhashable or nested (the output itself, a dict or a list of dicts,
is a candidate of any type that admits it): a value becomes a dict key or a set member only
when `hashable` says it can, so no container of a candidate ever raises ``TypeError``.
"""

from __future__ import annotations

import random as _random
import string
from collections.abc import Iterator, Sequence
from itertools import islice, product
from typing import Any

from codecot.solve.mine import Pools, interleave
from codecot.solve.types import INT, STR, Ty

STREAM_MAX = 400
_LETTERS = string.ascii_lowercase + string.ascii_uppercase + string.digits + " "


def conforms(value: Any, t: Ty) -> bool:
    """True when `value` has type `t` (exactly: a bool is not an int)."""
    k = t.kind
    if k == "any":
        return True
    if k == "union":
        return any(conforms(value, a) for a in t.args)
    if k == "None":
        return value is None
    if k in ("int", "float", "str", "bool", "bytes"):
        return type(value).__name__ == k
    if k in ("list", "set", "frozenset"):
        return type(value).__name__ == k and all(conforms(v, t.args[0]) for v in value)
    if k == "tuple":
        return type(value) is tuple and len(value) == len(t.args) and all(
            conforms(v, a) for v, a in zip(value, t.args, strict=True))
    if k == "dict":
        return type(value) is dict and all(conforms(a, t.args[0]) and conforms(b, t.args[1])
                                           for a, b in value.items())
    return False


def hashable(value: Any) -> bool:
    """True when `value` can be a dict key or a set member (hashing it, nested parts included,
    raises nothing)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _convert(value: Any, t: Ty) -> Any:
    """`value` (a list/tuple/set) re-shaped as container type `t`, or None (a set of
    unhashable items)."""
    if t.kind == "list":
        return list(value)
    if t.kind in ("set", "frozenset"):
        try:
            return set(value) if t.kind == "set" else frozenset(value)
        except TypeError:
            return None
    if t.kind == "tuple":
        return tuple(value)
    return None


def combos(streams: Sequence[Sequence[Any]], limit: int) -> Iterator[tuple[Any, ...]]:
    """Tuples over `streams`, by increasing largest index (diagonal order), at most `limit`."""
    n = len(streams)
    if n == 0:
        yield ()
        return
    sizes = [len(s) for s in streams]
    if not all(sizes):
        return
    count = 0
    for level in range(max(sizes)):
        # tuples whose largest index is exactly `level`
        for first in range(n):
            if level >= sizes[first]:
                continue
            ranges = [range(min(level, sizes[i])) if i < first else
                      range(min(level + 1, sizes[i])) for i in range(n)]
            ranges[first] = range(level, level + 1)
            for idx in _product(ranges):
                yield tuple(streams[i][j] for i, j in enumerate(idx))
                count += 1
                if count >= limit:
                    return


def _product(ranges: list[range]) -> Iterator[tuple[int, ...]]:
    if not ranges:
        yield ()
        return
    for i in ranges[0]:
        for rest in _product(ranges[1:]):
            yield (i, *rest)


class Generator:
    """Values of given types from one record's mined pools (seeded, deterministic)."""

    def __init__(self, pools: Pools, seed: int = 0) -> None:
        self.pools = pools
        self.rng = _random.Random(seed)
        self._streams: dict[Ty, list[Any]] = {}

    # -- deterministic streams ------------------------------------------------------------

    def stream(self, t: Ty) -> list[Any]:
        """Cheap-first candidate values of type `t` (cached)."""
        if t not in self._streams:
            self._streams[t] = [v for v in islice(self._build(t), STREAM_MAX) if conforms(v, t)]
        return self._streams[t]

    def _target_parts(self, t: Ty) -> list[Any]:
        """The output itself and its parts, where they have type `t`."""
        p = self.pools
        if not p.has_target:
            return []
        out: list[Any] = []
        tgt = p.target
        if conforms(tgt, t):
            out.append(tgt)
        if isinstance(tgt, list | tuple | set | frozenset) and t.kind in ("list", "tuple", "set",
                                                                          "frozenset"):
            items = list(tgt)
            for variant in (items, items[::-1], _sorted(items), _sorted(items)[::-1]):
                v = _convert(variant, t)
                if v is not None and conforms(v, t):
                    out.append(v)
        return out

    def _int_inverses(self) -> list[int]:
        """Inverse guesses for an int input: the product and sum of a list of ints in the
        output (factorisations, digit lists), and the number a string output writes
        (``bin``/``hex``/``str``)."""
        if not self.pools.has_target:
            return []
        tgt = self.pools.target
        out: list[int] = []
        if isinstance(tgt, list | tuple) and 0 < len(tgt) <= 40 and all(
                type(x) is int for x in tgt):
            prod = 1
            for x in tgt:
                prod *= x
                if abs(prod) > 10 ** 12:
                    break
            else:
                out.append(prod)
            out.append(sum(tgt))
        elif isinstance(tgt, str) and len(tgt) <= 40:
            for base in (0, 10):
                try:
                    out.append(int(tgt.strip(), base))
                except ValueError:
                    continue
        return list(dict.fromkeys(out))

    def _split_joins(self) -> Iterator[str]:
        """Strings of 2 to 4 small numbers or letters joined by a separator the code splits
        on (``'1/2'``, ``'1-1-1'``), for programs that parse their input."""
        tokens = ["1", "2", "3", "12", "10", "2000", "a", "ab"]
        for sep in self.pools.split_seps:
            for n in (2, 3, 4):
                for combo in islice(product(tokens, repeat=n), 40):
                    yield sep.join(combo)

    def _joins(self, tgt: Any) -> list[str]:
        """Inverse guesses of ``split`` and ``str``: the items of a list or tuple output joined
        by whitespace, nothing, commas and the code's one-character strings; an int output
        written out."""
        if isinstance(tgt, int) and not isinstance(tgt, bool):
            return [str(tgt)]
        if not isinstance(tgt, list | tuple) or not tgt or len(tgt) > 200:
            return []
        if not all(isinstance(x, str) or (isinstance(x, int) and not isinstance(x, bool))
                   for x in tgt):
            return []
        words = [str(x) for x in tgt]
        seps = [" ", "", ",", ", ", *[c for c in self.pools.strs if len(c) == 1][:6]]
        return list(dict.fromkeys(sep.join(words) for sep in seps))

    def _build(self, t: Ty) -> Iterator[Any]:
        p, k = self.pools, t.kind
        yield from self._target_parts(t)
        if k == "int":
            yield from self._int_inverses()
            yield from p.ints
            yield from range(-10, 101)
            yield from (2**e for e in range(7, 40, 4))
        elif k == "float":
            yield from p.floats
            yield from (x / 4 for x in range(-20, 41))
        elif k == "bool":
            yield from (False, True)
        elif k == "None":
            yield None
        elif k == "bytes":
            yield from _encodings(p.strs)
        elif k == "str":
            yield from p.strs[:20]
            if p.has_target:
                yield from self._joins(p.target)
            yield from self._split_joins()
            yield from p.strs[20:]
            yield from p.chars
            yield from (a + b for a in p.chars[:12] for b in p.chars[:12])
        elif k == "any":
            yield from interleave(self.stream(INT), self.stream(STR))
        elif k == "union":
            yield from interleave(*(self.stream(a) for a in t.args))
        elif k in ("list", "set", "frozenset"):
            yield from self._sequences(t)
        elif k == "tuple":
            yield from combos([self.stream(a)[:40] for a in t.args], STREAM_MAX)
        elif k == "dict":
            yield from self._dicts(t)

    def _sequences(self, t: Ty) -> Iterator[Any]:
        elems = self.stream(t.args[0])
        yield _convert([], t)
        for e in elems[:40]:
            yield _convert([e], t)
        head = elems[:8]
        for a in head:
            for b in head:
                yield _convert([a, b], t)
        for n in range(3, 6):
            yield _convert(head[:n], t)
            yield _convert(head[:n][::-1], t)
        for a in head[:5]:
            for b in head[:5]:
                for c in head[:5]:
                    yield _convert([a, b, c], t)

    def _dicts(self, t: Ty) -> Iterator[Any]:
        keys = [k for k in self.stream(t.args[0]) if hashable(k)][:20]
        values = self.stream(t.args[1])[:8]
        yield {}
        yield from self._dicts_from_target(t)
        for k in keys:
            for v in values[:4]:
                yield {k: v}
        for k1 in keys[:6]:
            for k2 in keys[:6]:
                if k1 != k2:
                    yield {k1: values[0] if values else None, k2: values[-1] if values else None}

    def _dicts_from_target(self, t: Ty) -> Iterator[Any]:
        """Dicts whose keys are the items of a list in the output, in its order and reversed,
        with ascending, descending or equal values (``[k for k, _ in sorted(d.items(), ...)]``
        lists keys in value order)."""
        if not self.pools.has_target:
            return
        tgt = self.pools.target
        lists = [tgt] + (list(tgt) if isinstance(tgt, tuple) else [])
        values = self.stream(t.args[1])
        for items in lists:
            if not isinstance(items, list | tuple) or not 0 < len(items) <= 12:
                continue
            if not all(conforms(k, t.args[0]) and hashable(k) for k in items) \
                    or len(set(map(repr, items))) != len(items):
                continue
            n = len(items)
            if t.args[1].kind in ("int", "float"):
                rows = [list(range(1, n + 1)), list(range(n, 0, -1)), [1] * n]
            else:
                rows = [[v] * n for v in values[:2]]
            for keys in (list(items), list(items)[::-1]):
                for row in rows:
                    yield dict(zip(keys, row, strict=True))

    # -- random values ----------------------------------------------------------------------

    def _length(self) -> int:
        tgt = self.pools.target
        base = len(tgt) if isinstance(tgt, str | list | tuple | dict) else 3
        return max(0, min(12, int(self.rng.choice([0, 1, 2, 3, 4, 5, base, base, base + 1,
                                                   base - 1, 2 * base]))))

    def _char(self) -> str:
        chars = self.pools.chars
        if chars and self.rng.random() < 0.7:
            return self.rng.choice(chars)
        return self.rng.choice(_LETTERS)

    def random(self, t: Ty) -> Any:
        """A random value of type `t`."""
        r, k = self.rng, t.kind
        if k == "int":
            roll = r.random()
            if roll < 0.4 and self.pools.ints:
                return r.choice(self.pools.ints)
            if roll < 0.8:
                return r.randint(-20, 100)
            return r.randint(-10**6, 10**6)
        if k == "float":
            if r.random() < 0.5 and self.pools.floats:
                return r.choice(self.pools.floats)
            return round(r.uniform(-100, 100), r.choice([0, 1, 2]))
        if k == "bool":
            return r.random() < 0.5
        if k == "None":
            return None
        if k == "str":
            roll = r.random()
            if roll < 0.3 and self.pools.strs:
                return r.choice(self.pools.strs)
            if roll < 0.45 and self.pools.strs:
                return r.choice(self.pools.strs) + r.choice(self.pools.strs)
            return "".join(self._char() for _ in range(self._length()))
        if k == "bytes":
            return self.random(STR).encode("utf-8")
        if k in ("any", "union"):
            choices = t.args if k == "union" else (INT, STR)
            return self.random(r.choice(choices))
        if k in ("list", "set", "frozenset"):
            items = [self.random(t.args[0]) for _ in range(self._length())]
            return _convert(items if k == "list" else [x for x in items if hashable(x)], t)
        if k == "tuple":
            return tuple(self.random(a) for a in t.args)
        if k == "dict":
            keys = [self.random(t.args[0]) for _ in range(self._length())]
            return {key: self.random(t.args[1]) for key in keys if hashable(key)}
        return None

    # -- mutations --------------------------------------------------------------------------

    def mutate(self, t: Ty, v: Any, hint: float | None = None) -> Any:
        """A small change of `v` (type `t`); `hint` is a signed numeric gap to close, if known."""
        r, k = self.rng, t.kind
        if r.random() < 0.08:
            return self.random(t)
        if k == "int" and isinstance(v, int):
            steps = [1, -1, 2, -2, r.randint(-10, 10), -v, v, r.choice([-1, 1]) * 2 ** r.randint(2, 20)]
            if hint:
                steps += [int(hint), -int(hint), int(hint / 2) or 1, -(int(hint / 2) or 1)]
            return v + r.choice(steps)
        if k == "float" and isinstance(v, float):
            steps = [0.5, -0.5, 0.1, -0.1, 1.0, -1.0, r.uniform(-10, 10), -2 * v]
            if hint:
                steps += [hint, -hint, hint / 2]
            return round(v + r.choice(steps), r.choice([1, 2, 6, 12]))
        if k == "bool":
            return not v
        if k == "str" and isinstance(v, str):
            return self._mutate_str(v)
        if k in ("list", "set", "frozenset") and isinstance(v, list | set | frozenset):
            items = list(v)
            op = r.random()
            if op < 0.3 and items:
                i = r.randrange(len(items))
                items[i] = self.mutate(t.args[0], items[i], hint)
            elif op < 0.55:
                items.insert(r.randint(0, len(items)), self.random(t.args[0]))
            elif op < 0.75 and items:
                del items[r.randrange(len(items))]
            elif op < 0.85 and len(items) > 1:
                i, j = r.randrange(len(items)), r.randrange(len(items))
                items[i], items[j] = items[j], items[i]
            elif items:
                items.append(items[r.randrange(len(items))])
            return _convert(items if k == "list" else [x for x in items if hashable(x)], t)
        if k == "tuple" and isinstance(v, tuple) and v:
            i = r.randrange(len(v))
            return (*v[:i], self.mutate(t.args[i], v[i], hint), *v[i + 1:])
        if k == "dict" and isinstance(v, dict):
            d = dict(v)
            if d and r.random() < 0.4:
                key = r.choice(list(d))
                d[key] = self.mutate(t.args[1], d[key], hint)
            elif d and r.random() < 0.3:
                del d[r.choice(list(d))]
            else:
                key = self.random(t.args[0])
                if hashable(key):
                    d[key] = self.random(t.args[1])
            return d
        if k in ("any", "union"):
            for a in t.args if k == "union" else (INT, STR):
                if conforms(v, a):
                    return self.mutate(a, v, hint)
            return self.random(t)
        return v

    def _mutate_str(self, s: str) -> str:
        r = self.rng
        op = r.random()
        i = r.randint(0, len(s))
        if op < 0.3:
            return s[:i] + self._char() + s[i:]
        if op < 0.5 and s:
            i = min(i, len(s) - 1)
            return s[:i] + s[i + 1:]
        if op < 0.7 and s:
            i = min(i, len(s) - 1)
            return s[:i] + self._char() + s[i + 1:]
        if op < 0.8 and s:
            i = min(i, len(s) - 1)
            return s[:i] + s[i].swapcase() + s[i + 1:]
        if op < 0.9 and self.pools.strs:
            piece = r.choice(self.pools.strs)
            return s[:i] + piece + s[i:]
        return r.choice([s[::-1], s.swapcase(), s + s, s.strip()])


def _encodings(strs: Sequence[str]) -> Iterator[bytes]:
    """Each string as bytes: one byte per character (Latin-1, how mined bytes were read), then
    UTF-8 where that differs."""
    for s in strs:
        if max(map(ord, s), default=0) < 256:
            yield s.encode("latin-1")
        if not s.isascii():
            yield s.encode("utf-8", errors="replace")


def _sorted(items: list[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return list(items)

