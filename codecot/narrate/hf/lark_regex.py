"""Regexes in the dialect of llguidance's Lark grammars, written from Lark's and Python's.

Python's ``re`` and llguidance (Rust regex syntax, no lookaround) differ: :func:`terminal_regex`
writes a parser terminal's regex so that llguidance matches what Python matches there
(lookaheads dropped, ``(?i:...)`` written out with ASCII case pairs, ``\\w`` and letter classes
as explicit code-point ranges, control characters escaped for ``/.../``);
:func:`literal_regex` matches one literal text exactly.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_LOOKAHEAD = re.compile(r"\(\?[!=]")


def _strip_lookarounds(regex: str) -> str:
    """``regex`` without its ``(?!...)`` / ``(?=...)`` groups (balanced-parenthesis scan)."""
    out = []
    i = 0
    while i < len(regex):
        m = _LOOKAHEAD.match(regex, i)
        if m is None:
            if regex[i] == "\\" and i + 1 < len(regex):
                out.append(regex[i:i + 2])
                i += 2
                continue
            out.append(regex[i])
            i += 1
            continue
        depth = 0
        j = i
        while j < len(regex):
            ch = regex[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1
    return "".join(out)


def _escape_for_slashes(regex: str) -> str:
    """Write ``regex`` so it can sit between ``/.../`` in a grammar file."""
    out = []
    escaped = False
    for ch in regex:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            out.append(ch)
        elif ch == "/":
            out.append("\\/")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\f":
            out.append("\\f")
        elif ord(ch) > 126 or ord(ch) < 32:
            out.append(f"\\x{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return "".join(out)


def terminal_regex(term: Any) -> str:
    """The regex of a Lark ``TerminalDef`` in llguidance's syntax."""
    from lark.lexer import PatternStr

    pattern = term.pattern
    if isinstance(pattern, PatternStr):
        body = re.escape(pattern.value)
        regex = ascii_case(f"(?i:{body})") if "i" in pattern.flags else body
    else:
        regex = _ascii_classes(ascii_case(_strip_lookarounds(pattern.to_regexp())))
    return _escape_for_slashes(regex)


def ascii_case(regex: str) -> str:
    """``regex`` with each ``(?i:...)`` group written out with ASCII case pairs (``[sS][oO]``).
    Unicode case folding would let ``ſo`` (long s) match the keyword ``so`` in llguidance, a
    spelling the parser's lexer may read otherwise."""
    out: list[str] = []
    depth = 0
    fold_at: list[int] = []  # depths of the open (?i: groups
    in_class = False
    i = 0
    while i < len(regex):
        ch = regex[i]
        folding = bool(fold_at)
        if ch == "\\" and i + 1 < len(regex):
            out.append(regex[i:i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            elif folding and ch.isascii() and ch.isalpha() and "-" not in (
                    regex[i - 1], regex[i + 1:i + 2]):
                ch += ch.swapcase()
            out.append(ch)
        elif regex.startswith("(?i:", i):
            depth += 1
            fold_at.append(depth)
            out.append("(?:")
            i += 4
            continue
        elif ch == "(":
            depth += 1
            out.append(ch)
        elif ch == ")":
            if fold_at and fold_at[-1] == depth:
                fold_at.pop()
            depth -= 1
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif folding and ch.isascii() and ch.isalpha():
            out.append(f"[{ch.lower()}{ch.upper()}]")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@functools.cache
def _unicode_ranges(pattern: str) -> str:
    """The non-ASCII code points (below U+30000) that Python's ``re`` matches with ``pattern``,
    as a character-class body of explicit ranges (``\\x{e0}-\\x{f6}...``).  Letters that a
    case-insensitive keyword matches (``\u017f`` long s for ``s``, the Kelvin sign for ``k``,
    dotted and dotless i) are left out: the parser's lexer could read a name holding one as a
    keyword."""
    regex = re.compile(pattern)
    ascii_letter = re.compile("(?i)[a-z]")
    parts: list[str] = []
    start: int | None = None
    for code in range(0x80, 0x30001):
        char = chr(code) if code < 0x30000 else ""
        inside = bool(char) and regex.match(char) is not None and not ascii_letter.match(char)
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            last = code - 1
            parts.append(f"\\x{{{start:x}}}" + (f"-\\x{{{last:x}}}" if last > start else ""))
            start = None
    return "".join(parts)


def _class_body(letter: str) -> str:
    if letter == "w":
        return "A-Za-z0-9_" + _unicode_ranges(r"\w")
    return {"d": "0-9", "s": " \\t\\n\\r\\f\\v"}[letter]


def _ascii_classes(regex: str) -> str:
    """``regex`` with ``\\w`` and ``[^\\W\\d]`` (a letter or underscore) written out as the
    explicit code-point ranges Python's ``re`` gives them, and ``\\d`` and ``\\s`` narrowed to
    ASCII.  Python's and llguidance's Unicode classes differ (a combining mark is a word
    character for one and not the other), so their own classes could let a name be generated
    that the parser's lexer splits; explicit ranges mean exactly what Python means."""
    regex = regex.replace("[^\\W\\d]", "[A-Za-z_" + _unicode_ranges(r"[^\W\d]") + "]")
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\" and i + 1 < len(regex):
            nxt = regex[i + 1]
            if nxt in "wds":
                body = _class_body(nxt)
                out.append(body if in_class else f"[{body}]")
            elif nxt in "WDS" and not in_class:
                out.append(f"[^{_class_body(nxt.lower())}]")
            else:
                out.append(regex[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class and out and out[-1] not in ("[", "[^"):
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def literal_regex(text: str) -> str:
    """A regex (for ``/.../``) matching exactly ``text``: letters, digits and spaces as
    themselves, every other character as a ``\\x{..}`` escape."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\x{{{ord(ch):x}}}"
                   for ch in text)
