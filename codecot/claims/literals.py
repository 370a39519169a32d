"""Decoding of the literal tokens of the narration language, without ``eval``.

The grammar's ``STRING``, ``INT``, ``FLOAT`` and ``IMAG`` tokens are turned into Python values
here by hand-written decoders that follow Python's lexical rules (string prefixes, every escape
sequence, implicit concatenation is handled by the caller).  :func:`literal_expr` goes the
other way: it builds the canonical expression tree the parser produces for a Python value, so
that a narrator can construct claims that compare equal to parsed ones.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from codecot.claims.expr import Call, Const, DictExpr, Expr, ListExpr, SetExpr, TupleExpr

_SIMPLE_ESCAPES = {
    "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v",
}
_OCTAL = "01234567"
_HEX = "0123456789abcdefABCDEF"


class LiteralError(ValueError):
    """A literal token that is well-formed lexically but not a valid Python literal.

    ``offset`` is the character offset of the problem inside the token.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def _split_prefix(token: str) -> tuple[str, str, int]:
    """Return (lowercase prefix, body without quotes, offset of the body in the token)."""
    i = 0
    while i < len(token) and token[i] not in "'\"":
        i += 1
    quote = token[i]
    if len(token) < i + 2 or token[-1] != quote:
        raise LiteralError("unterminated string", i)
    return token[:i].lower(), token[i + 1:-1], i + 1


def decode_string(token: str) -> str | bytes:
    """Decode one string or bytes literal token (with optional prefix ``r b u f rb br``).

    Raw strings keep backslashes; bytes keep ``\\u``, ``\\U`` and ``\\N`` literally (as Python
    does) and reject non-ASCII characters.  An ``f`` prefix is rejected: formatted strings are
    not values.
    """
    prefix, body, base = _split_prefix(token)
    if "f" in prefix:
        raise LiteralError("f-strings are not values", 0)
    is_bytes = "b" in prefix
    if is_bytes and not body.isascii():
        bad = next(i for i, ch in enumerate(body) if ord(ch) > 127)
        raise LiteralError("bytes can only contain ASCII characters", base + bad)
    text = body if "r" in prefix else _decode_escapes(body, is_bytes, base)
    if not is_bytes:
        return text
    if any(ord(ch) > 255 for ch in text):
        raise LiteralError("bytes escape out of range", base)
    return text.encode("latin-1")


def _decode_escapes(body: str, is_bytes: bool, base: int) -> str:
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            j = body.find("\\", i)
            j = n if j < 0 else j
            out.append(body[i:j])
            i = j
            continue
        if i + 1 >= n:
            raise LiteralError("string ends with a backslash", base + i)
        esc = body[i + 1]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
        elif esc in _OCTAL:
            j = i + 1
            while j < n and j < i + 4 and body[j] in _OCTAL:
                j += 1
            out.append(chr(int(body[i + 1:j], 8)))
            i = j
        elif esc == "x":
            out.append(chr(_hex_digits(body, i + 2, 2, base)))
            i += 4
        elif esc in "uU" and not is_bytes:
            width = 4 if esc == "u" else 8
            code = _hex_digits(body, i + 2, width, base)
            if code > 0x10FFFF:
                raise LiteralError("escape beyond the Unicode range", base + i)
            out.append(chr(code))
            i += 2 + width
        elif esc == "N" and not is_bytes:
            end = body.find("}", i)
            if i + 2 >= n or body[i + 2] != "{" or end < 0:
                raise LiteralError("malformed \\N{...} escape", base + i)
            try:
                out.append(unicodedata.lookup(body[i + 3:end]))
            except KeyError:
                raise LiteralError("unknown Unicode character name", base + i) from None
            i = end + 1
        else:
            # Python keeps unknown escapes as written (with a warning).
            out.append(body[i:i + 2])
            i += 2
    return "".join(out)


def _hex_digits(body: str, start: int, width: int, base: int) -> int:
    digits = body[start:start + width]
    if len(digits) != width or any(c not in _HEX for c in digits):
        raise LiteralError(f"expected {width} hex digits in escape", base + start - 2)
    return int(digits, 16)


def decode_int(token: str) -> int:
    """Decode an ``INT`` token: decimal, ``0x``, ``0o``, ``0b``, underscores allowed."""
    text = token.replace("_", "")
    if len(text) > 2 and text[0] == "0" and text[1] in "xXoObB":
        return int(text[2:], {"x": 16, "o": 8, "b": 2}[text[1].lower()])
    return int(text)


def decode_float(token: str) -> float:
    """Decode a ``FLOAT`` token (``1.5``, ``1e-05``, ``2.5E3``)."""
    return float(token.replace("_", ""))


def decode_imag(token: str) -> complex:
    """Decode an ``IMAG`` token (``2j``, ``1.5e3J``)."""
    return complex(0.0, float(token[:-1].replace("_", "")))


_FLOAT_WORDS = {"inf": math.inf, "nan": math.nan}


def float_word(word: str) -> float | None:
    """Value of the special float spellings ``inf``/``nan`` (also inside ``float('...')``).

    Accepts an optional sign and ``infinity``; returns ``None`` for anything else.  ``nan`` is
    always the :data:`math.nan` object, so two parsed ``nan`` constants compare equal.
    """
    text = word.strip().lower()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == "infinity":
        text = "inf"
    value = _FLOAT_WORDS.get(text)
    if value is None:
        return None
    return value if text == "nan" else sign * value


def literal_expr(value: Any) -> Expr:
    """The expression tree the parser builds for the ``repr`` of ``value``.

    Scalars (int, float, complex, str, bytes, bool, None) become :class:`Const`; lists, tuples,
    dicts and sets become :class:`ListExpr`, :class:`TupleExpr`, :class:`DictExpr` and
    :class:`SetExpr` of their items (an empty set is ``Call('set', ())``); a frozenset of
    hashable scalars becomes ``Const(frozenset(...))``.  NaN becomes ``Const(math.nan)``.
    Raises ``TypeError`` for values that have no literal form.
    """
    if value is None or isinstance(value, bool | int | str | bytes | complex):
        return Const(value)
    if isinstance(value, float):
        return Const(math.nan if math.isnan(value) else value)
    if isinstance(value, list):
        return ListExpr(tuple(literal_expr(v) for v in value))
    if isinstance(value, tuple):
        return TupleExpr(tuple(literal_expr(v) for v in value))
    if isinstance(value, dict):
        return DictExpr(tuple(literal_expr(k) for k in value),
                        tuple(literal_expr(v) for v in value.values()))
    if isinstance(value, frozenset):
        items = tuple(literal_expr(v) for v in value)
        if all(isinstance(i, Const) for i in items):
            return Const(frozenset(i.value for i in items if isinstance(i, Const)))
        return Call("frozenset", (SetExpr(items),) if items else ())
    if isinstance(value, set):
        if not value:
            return Call("set", ())
        return SetExpr(tuple(literal_expr(v) for v in value))
    raise TypeError(f"no literal form for {type(value).__name__}")
