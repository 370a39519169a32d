"""Values and expressions inside free-form sentences.

:func:`protect` rewrites a clause so that every value-like stretch becomes one placeholder word
``@k``: a backticked span, a quoted string, a bracketed literal (``[1, 2]``, ``{'a': 1}``), a
call or subscript written without backticks (``len(nums)``, ``s.find('a', 3)``, ``xs[0]``), a
number.  Sentence patterns then see atoms, not punctuation.  :func:`parse_expr` turns an atom's
text into a claim expression with the narration grammar's expression rule (``test``) — the
same grammar, never ``eval`` — with a fast path for plain names and numbers and a cache.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from codecot.claims import expr as E

#: Longest expression text handed to the parser.
MAX_EXPR_CHARS = 400

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2212": "-", "\u00a0": " "})
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
_NAME = re.compile(r"[^\W\d]\w*")
_WORD_VALUES = {"true": True, "false": False, "none": None}
PLACEHOLDER = re.compile(r"@(\d+)")


@dataclass
class Protected:
    """A clause with value-like stretches replaced by ``@k``, and the stretches."""

    text: str
    atoms: list[str]
    backticked: list[bool]

    def atom(self, word: str) -> str | None:
        """The text behind placeholder ``word`` (None if it is not one)."""
        m = PLACEHOLDER.fullmatch(word)
        return self.atoms[int(m.group(1))] if m else None


def normalize(text: str) -> str:
    """Typographic quotes, minus signs and no-break spaces as their ASCII forms."""
    return text.translate(_QUOTES)


def protect(clause: str) -> Protected:
    """See the module doc.  Unbalanced quotes, brackets and backticks are left as text."""
    out: list[str] = []
    atoms: list[str] = []
    ticks: list[bool] = []
    i = 0
    n = len(clause)

    def keep(text: str, tick: bool) -> None:
        out.append(f"@{len(atoms)}")
        atoms.append(text.strip())
        ticks.append(tick)
        out.append("")  # a gap is put here if a word character follows (see below)

    while i < n:
        ch = clause[i]
        if ch == "`":
            j = clause.find("`", i + 1)
            if j == -1:
                out.append(clause[i:].replace("@", "\uff20"))
                break
            keep(clause[i + 1:j], True)
            i = j + 1
            continue
        if ch in "'\"" and not (i > 0 and clause[i - 1].isalnum()):
            j = _string_end(clause, i)
            if j != -1:
                end = _suffix_end(clause, j + 1)
                keep(clause[i:end], False)
                i = end
                continue
        if ch in "[{":
            j = _balanced_end(clause, i)
            if j != -1:
                end = _suffix_end(clause, j)
                keep(clause[i:end], False)
                i = end
                continue
        if ch.isalpha() or ch == "_":
            m = _NAME.match(clause, i)
            assert m is not None
            end = _suffix_end(clause, m.end())
            if end > m.end():  # a call, subscript or attribute
                keep(clause[i:end], False)
                i = end
                continue
            out.append(m.group())
            i = m.end()
            continue
        if ch.isdigit() or (ch == "-" and i + 1 < n and clause[i + 1].isdigit()
                            and (i == 0 or not clause[i - 1].isalnum())):
            m = _FLOAT.match(clause, i) or _INT.match(clause, i)
            if m is not None and not (m.end() < n and (clause[m.end()].isalpha() or clause[m.end()] == "_")):
                keep(m.group(), False)
                i = m.end()
                continue
        if out and out[-1] == "" and (ch.isalnum() or ch == "_"):
            out.append(" ")  # "@0" followed by "6c" must not read as placeholder 6
        out.append("\uff20" if ch == "@" else ch)  # "@" marks placeholders: the text's own is kept apart
        i += 1
    return _merge(Protected("".join(out), atoms, ticks))


#: value words joined by operators: one expression written without backticks
_OP = r"(?:==|!=|<=|>=|//|\*\*|[-+*/%<>]|(?<![=!<>])=(?!=))"
_WORD = r"(?:@\d+|(?<![\w@])[^\W\d]\w*(?![\w@]))"
_RUN = re.compile(rf"{_WORD}(?:\s*{_OP}\s*{_WORD})+")
_OPERATOR_CHARS = frozenset("+-*/%<>=!")


def _merge(p: Protected) -> Protected:
    """A run of value words joined by operators, written without backticks, becomes one atom:
    ``total = 18 + 8 = 27``, ``n % 10``.  The run must hold a value (a placeholder), so words
    joined by a hyphen (``step-by-step``) stay words, and it must stand whole: a run next to a
    bracket or another operator (``(72 - 65 + 3) % 26 + 65``) is part of a bigger expression the
    run cannot see, and is left as text."""
    text = p.text
    out: list[str] = []
    pos = 0
    for m in _RUN.finditer(text):
        words = re.findall(_WORD, m.group())
        before = text[:m.start()].rstrip()[-1:]
        rest = text[m.end():].lstrip()
        after = rest[:1]
        attribute = after == "." and rest[1:2].isalpha()
        whole = (before not in (")", "]") and before not in _OPERATOR_CHARS and not attribute
                 and after not in ("(", "[") and after not in _OPERATOR_CHARS)
        if not whole or not any(w.startswith("@") for w in words):
            continue
        merged = re.sub(r"@\d+", lambda g: p.atoms[int(g.group()[1:])], m.group())
        ticked = any(p.backticked[int(w[1:])] for w in words if w.startswith("@"))
        out.append(text[pos:m.start()])
        out.append(f"@{len(p.atoms)}")
        p.atoms.append(merged)
        p.backticked.append(ticked)
        pos = m.end()
        if text[pos:pos + 1].isalnum() or text[pos:pos + 1] == "_":
            out.append(" ")
    out.append(text[pos:])
    text = "".join(out)
    # two comparisons joined by "or"/"and" are one condition: s[-1] == 'y' or s[-1] == 'Y'
    for _ in range(20):
        joined = _JOINED.search(text)
        if joined is None:
            break
        left, right = p.atoms[int(joined.group("a")[1:])], p.atoms[int(joined.group("b")[1:])]
        if not (_COMPARING.search(left) and _COMPARING.search(right)):
            break
        text = f"{text[:joined.start()]}@{len(p.atoms)}{text[joined.end():]}"
        p.atoms.append(f"{left} {joined.group('op')} {right}")
        p.backticked.append(False)
    return Protected(text, p.atoms, p.backticked)


_JOINED = re.compile(r"(?P<a>@\d+)\s+(?P<op>or|and)\s+(?P<b>@\d+)(?![\d])")
_COMPARING = re.compile(r"==|!=|<=|>=|<|>|\bnot\s+in\b|\bin\b")


def _string_end(text: str, i: int) -> int:
    quote = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j
        j += 1
    return -1


def _balanced_end(text: str, i: int) -> int:
    """Offset after the bracket that closes ``text[i]`` (quotes respected), or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    j = i
    while j < len(text) and j - i < MAX_EXPR_CHARS:
        ch = text[j]
        if ch in "'\"":
            end = _string_end(text, j)
            if end == -1:
                return -1
            j = end + 1
            continue
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch in ")]}":
            if not stack or stack.pop() != ch:
                return -1
            if not stack:
                return j + 1
        elif ch == "`":
            return -1
        j += 1
    return -1


def _suffix_end(text: str, j: int) -> int:
    """Offset after a chain of calls, subscripts and attributes that starts at ``j``."""
    while j < len(text):
        ch = text[j]
        if ch in "([":
            end = _balanced_end(text, j)
            if end == -1:
                return j
            j = end
        elif ch == "." and j + 1 < len(text) and (text[j + 1].isalpha() or text[j + 1] == "_"):
            m = _NAME.match(text, j + 1)
            assert m is not None
            j = m.end()
        else:
            return j
    return j


@functools.lru_cache(maxsize=8192)
def parse_expr(text: str) -> E.Expr | None:
    """The claim expression ``text`` denotes, or None when it is not one (or is too long)."""
    text = normalize(text).strip()
    if not text or len(text) > MAX_EXPR_CHARS:
        return None
    lowered = text.lower()
    if lowered in _WORD_VALUES:
        return E.Const(_WORD_VALUES[lowered])
    if _INT.fullmatch(text):
        return E.Const(int(text))
    if _NAME.fullmatch(text) and text.isidentifier():
        return E.Name(text)
    try:
        tree = _parser().parse(text)
    except Exception:  # any parse failure: not an expression
        return None
    from codecot.claims.build_expr import Unsupported, first_unsupported

    if isinstance(tree, Unsupported) or first_unsupported([tree]) is not None:
        return None
    return tree if _is_expr(tree) else None


def _is_expr(value: object) -> bool:
    return type(value).__module__ == E.__name__


@functools.cache
def _parser() -> Any:
    from codecot.claims.build_expr import ExprBuilder
    from codecot.claims.grammar import FastParser, build_parser

    return FastParser(build_parser(ExprBuilder(), start="test"), start="test")
