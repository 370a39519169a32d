"""Word boundaries the constrained decoder keeps where llguidance's lexer and the parser's
differ (see :func:`codecot.narrate.hf.narrowing.word_bound`).

The parser's lexer reads a run of word characters as one lexeme (a name, a keyword, a
number).  llguidance has no lookahead: it ends a lexeme where its regex cannot go on and reads
the next word character as the start of another.  So the decoder allows no token that begins
with a word character

* after a keyword (:func:`ends_in_keyword`): ``Theinput`` would be two keywords for llguidance
  and one name for the parser;
* after a number, unless the number goes on (:func:`continues_number`): ``Line 3raises``;
* in a row narrowed to its program, after a word that cannot go on as one of the program's
  finite names, a literal's word or a keyword (:func:`continues_word`): ``f`` then ``EQUALS``.
"""

from __future__ import annotations

import functools
import keyword
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codecot.narrate.hf.program_facts import ProgramFacts


@functools.cache
def keyword_words() -> tuple[frozenset[str], frozenset[str]]:
    """The grammar's word keywords: case-insensitive ones (lower-cased) and exact ones
    (``True``, ``False``, ``None``).  The parser's lexer reads a keyword only as a whole word
    (``(?!\\w)``); llguidance has no lookahead, so the decoder emulates it (see
    :mod:`codecot.narrate.hf.decode`)."""
    from lark.lexer import PatternStr

    from codecot.claims.grammar import get_parser

    folded, exact = set(), set()
    for term in get_parser().terminals:
        pattern = term.pattern
        if isinstance(pattern, PatternStr) and re.fullmatch(r"\w+", pattern.value):
            if "i" in pattern.flags:
                folded.add(pattern.value.lower())
            else:
                exact.add(pattern.value)
    return frozenset(folded), frozenset(exact)


@functools.cache
def _number_prefix() -> re.Pattern[str]:
    """A number at the start of a run of word characters: the grammar's own number terminals,
    in the order of their priorities."""
    from codecot.claims.grammar import get_parser

    terms = sorted((t for t in get_parser().terminals if t.name in ("IMAG", "FLOAT", "INT")),
                   key=lambda t: -t.priority)
    return re.compile("|".join(f"(?:{t.pattern.to_regexp()})" for t in terms))


def trailing_word(text: str) -> tuple[str, int] | None:
    """The word ``text`` ends in and where it starts, after any number it is glued to (both
    lexers read ``3and`` as the number ``3`` and the word ``and``); None when there is none."""
    found = re.search(r"\w+$", text)
    if found is None:
        return None
    start = found.start()
    number = _number_prefix().match(text, start)
    if number is not None:
        start = number.end()
    return (text[start:], start) if start < len(text) else None


#: What a number may be while it is being written (a prefix of one of the grammar's numbers).
_NUMBER_SO_FAR = re.compile(r"0([xX][0-9a-fA-F_]*|[oO][0-7_]*|[bB][01_]*)"
                            r"|\d[\d_]*([eE][+-]?\d*)?[jJ]?")


def open_number(text: str) -> str | None:
    """The run of word characters ``text`` ends in when it is a number written so far
    (``12``, ``1e``, ``0x1f``) outside a string literal; else None."""
    found = re.search(r"\w+$", text)
    if (found is None or _NUMBER_SO_FAR.fullmatch(found.group()) is None
            or inside_string(text[:found.start()])):
        return None
    return found.group()


def continues_number(number: str, added: str) -> bool:
    """Whether the word characters ``added`` keep ``number`` a number.  Both lexers end a
    number where it cannot go on, but the parser's line references (``Line 3``) end only
    before a non-word character, so the decoder glues no word onto a number."""
    return _NUMBER_SO_FAR.fullmatch(number + added) is not None


def ends_in_keyword(text: str) -> bool:
    """Whether ``text`` ends in a whole word that is a keyword (see :func:`keyword_words`),
    outside a string literal."""
    found = trailing_word(text)
    if found is None:
        return False
    word, start = found
    if inside_string(text[:start]):
        return False
    folded, exact = keyword_words()
    if word in exact or word.lower() in folded:
        return start == 0 or text[start - 1] != "."
    return False


@functools.lru_cache(maxsize=256)
def _word_prefixes(facts: ProgramFacts) -> frozenset[str]:
    """Every prefix of a name of ``facts`` or of a word of its literals."""
    words = set(facts.names)
    for _, text in (*facts.echoes, *facts.conditions, *facts.returns):
        words.update(re.findall(r"\w+", text))
    for text in (facts.call or "", facts.goal or ""):
        words.update(re.findall(r"\w+", text))
    return frozenset(w[:i] for w in words for i in range(1, len(w) + 1))


@functools.cache
def _keyword_prefixes() -> frozenset[str]:
    """Every prefix (lower-cased) of a word the grammar spells out: its keywords, the words
    of its other terminals (``line``, ``check``, ``non``) and Python's keywords."""
    from codecot.claims.grammar import get_parser

    folded, exact = keyword_words()
    words = {w.lower() for w in (*folded, *exact, *keyword.kwlist)}
    for term in get_parser().terminals:
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", term.pattern.value))
    return frozenset(w[:i] for w in words for i in range(1, len(w) + 1))


def _open_literals(text: str) -> tuple[str | None, int]:
    """The quote of the one-line string literal ``text`` ends inside (None: none) and how many
    brackets, braces and parentheses it leaves open outside strings."""
    quote, depth, escaped = None, 0, False
    for ch in text:
        if quote is not None:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "[({":
            depth += 1
        elif ch in "])}":
            depth = max(0, depth - 1)
    return quote, depth


def inside_string(text: str) -> bool:
    """Whether ``text`` ends inside an unclosed one-line string literal."""
    return _open_literals(text)[0] is not None


#: Where a bracket, brace or parenthesis may open a value: after ``is``, ``now``, ``becomes``,
#: ``equals``, ``be``, ``returns``, ``with``, ``=``, a comma or another opener.
_VALUE_INTRO = re.compile(r"(?:\b(?:is|now|becomes|equals|be|returns|with)|[=,\[({])$")


def value_token(prefix: str, token: str) -> bool:
    """Whether ``token``, written after the step text ``prefix``, writes (part of) a value: a
    number, a string, ``True``/``False``/``None``, a bracketed literal or its punctuation; not
    a word of the step's wording (``becomes``, ``the``, ``starts``) nor its header's ``(``.
    Guided decoding branches off a refuted try only where it wrote a value
    (:func:`~codecot.narrate.hf.rows.branch_point`)."""
    quote, depth = _open_literals(prefix)
    if quote is not None:
        return True
    text = token.lstrip()
    if not text:
        return False
    head = text[0]
    if head.isdigit() or head in "'\"" or text.startswith(("True", "False", "None")):
        return True
    if head == "-" or head in "[({":
        return _VALUE_INTRO.search(prefix.rstrip()) is not None
    return depth > 0 and head in "]}),."


def open_word(text: str) -> str | None:
    """The word ``text`` ends in, if a word character written next could be glued onto it
    (not a number, nor inside a string); else None."""
    found = trailing_word(text)
    if found is None or inside_string(text[:found[1]]):
        return None
    return found[0]


def continues_word(word: str, added: str, facts: ProgramFacts) -> bool:
    """Whether ``word`` followed by the word characters ``added`` can still become a name
    or literal word of ``facts``, or (unless ``word`` is a whole name already) a word the
    grammar spells out.

    The grammar's names are a finite set, so where a word cannot go on as one, llguidance
    ends the lexeme and reads the next word character as the start of another (``f`` then
    ``EQUALS``), while the parser's lexer reads the two as one name.  The decoder allows no
    token that makes a word failing this test."""
    longer = word + added
    if longer in _word_prefixes(facts):
        return True
    return word not in facts.names and longer.lower() in _keyword_prefixes()
