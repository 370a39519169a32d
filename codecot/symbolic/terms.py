"""SMT-LIB2 terms built as text, for the sandbox child (which may not call z3).

A :class:`T` is a sort and the SMT-LIB text of a term.  Sorts follow the solver layer's
encoding: ``Int``, ``Bool``, ``String``, IEEE doubles for floats, ``(Seq S)`` for lists.  The parent re-builds the terms
with ``z3.parse_smt2_string`` (:mod:`codecot.symbolic.rebuild`).
"""

from __future__ import annotations

import struct

INT, BOOL, STR = "Int", "Bool", "String"
FLOAT = "(_ FloatingPoint 11 53)"
#: A term longer than this is pinned to its concrete value instead of growing further.
MAX_TERM_CHARS = 20_000
MAX_CODE_POINT = 0x2FFFF


class T:
    """An SMT-LIB term of sort ``sort``."""

    __slots__ = ("lit", "sort", "text")

    def __init__(self, sort: str, text: str, lit: bool = False) -> None:
        self.sort = sort
        self.text = text
        self.lit = lit  # a literal: the value is known, no input constant occurs in it

    def __repr__(self) -> str:
        return f"T({self.sort}, {self.text})"


def app(sort: str, op: str, *args: T | str) -> T:
    parts = " ".join(a.text if isinstance(a, T) else a for a in args)
    return T(sort, f"({op} {parts})")


def var(name: str, sort: str) -> T:
    return T(sort, "|" + name.replace("|", "_").replace("\\", "_") + "|")


def int_lit(n: int) -> T:
    return T(INT, str(n) if n >= 0 else f"(- {-n})", True)


def float_lit(x: float) -> T:
    """The literal term of ``x`` (its IEEE bits)."""
    bits = struct.unpack(">Q", struct.pack(">d", x))[0]
    sign, exp, mant = bits >> 63, (bits >> 52) & 0x7FF, bits & ((1 << 52) - 1)
    return T(FLOAT, f"(fp #b{sign} #b{exp:011b} #b{mant:052b})", True)


def bool_lit(b: bool) -> T:
    return T(BOOL, "true" if b else "false", True)


def quote_str(s: str) -> str:
    out = []
    for ch in s:
        code = ord(ch)
        if 0x20 <= code <= 0x7E and ch not in '"\\':
            out.append(ch)
        else:
            out.append(f"\\u{{{code:x}}}")
    return '"' + "".join(out) + '"'


def str_lit(s: str) -> T | None:
    """The literal of ``s`` (None beyond Z3's code point range)."""
    if any(ord(c) > MAX_CODE_POINT for c in s):
        return None
    return T(STR, quote_str(s), True)


def seq_sort(elem: str) -> str:
    return f"(Seq {elem})"


def elem_sort(sort: str) -> str:
    return sort[5:-1]


def seq_of(sort: str, items: list[T]) -> T:
    """The sequence of sort ``sort`` holding ``items``."""
    if not items:
        return T(sort, f"(as seq.empty {sort})", True)
    units = [app(sort, "seq.unit", i) for i in items]
    out = units[0] if len(units) == 1 else app(sort, "seq.++", *units)
    out.lit = all(i.lit for i in items)
    return out


def eq(a: T, b: T) -> T:
    return app(BOOL, "=", a, b)


def not_(a: T) -> T:
    if a.text == "true":
        return bool_lit(False)
    if a.text == "false":
        return bool_lit(True)
    return app(BOOL, "not", a)


def and_(*xs: T) -> T:
    xs = tuple(x for x in xs if x.text != "true")
    if not xs:
        return bool_lit(True)
    return xs[0] if len(xs) == 1 else app(BOOL, "and", *xs)


def or_(*xs: T) -> T:
    if not xs:
        return bool_lit(False)
    return xs[0] if len(xs) == 1 else app(BOOL, "or", *xs)


def ite(c: T, a: T, b: T) -> T:
    return app(a.sort, "ite", c, a, b)


def length(s: T) -> T:
    return app(INT, "str.len" if s.sort == STR else "seq.len", s)


def char_at(s: T, i: T) -> T:
    return app(STR, "str.at", s, i)


def nth(s: T, i: T) -> T:
    return app(elem_sort(s.sort), "seq.nth", s, i)


def concat(*xs: T) -> T:
    sort = xs[0].sort
    if sort == STR:
        kept = tuple(x for x in xs if x.text != '""')
        xs = kept or xs[:1]
    if len(xs) == 1:
        return xs[0]
    out = app(sort, "str.++" if sort == STR else "seq.++", *xs)
    out.lit = all(x.lit for x in xs)
    return out


def extract(s: T, start: T, n: T) -> T:
    return app(s.sort, "str.substr" if s.sort == STR else "seq.extract", s, start, n)


def code_of(c: T) -> T:
    return app(INT, "str.to_code", c)


def in_range(c: T, lo: str, hi: str) -> T:
    """``c`` (a one-character string) lies in ``lo``..``hi``."""
    return app(BOOL, "str.in_re", c, f"(re.range {quote_str(lo)} {quote_str(hi)})")


def in_re(s: T, regex: str) -> T:
    return app(BOOL, "str.in_re", s, regex)


def re_range(lo: str, hi: str) -> str:
    return f"(re.range {quote_str(lo)} {quote_str(hi)})"


def re_union(*parts: str) -> str:
    return parts[0] if len(parts) == 1 else "(re.union " + " ".join(parts) + ")"


def re_chars(chars: str) -> str:
    return re_union(*(f"(str.to_re {quote_str(c)})" for c in chars))


ASCII_RE = f"(re.* {re_range(chr(0), chr(127))})"
