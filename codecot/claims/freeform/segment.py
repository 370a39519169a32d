"""Cutting free-form chain-of-thought into sentences with their offsets.

A rationale is read line by line.  Code blocks (between ```` ``` ```` fences, or ``[PYTHON]``
... ``[/PYTHON]``) and blank lines are skipped.  An ``[ANSWER] ... [/ANSWER]`` block is one
sentence, even across lines.  A markdown heading (``### Step 2``), a line that is only bold or
emphasised text (``**Iteration 2**:``) and a line that is only a list marker are *markup*: they
are sentences for context (an iteration heading sets the iteration of what follows) but hold no
claim.  Any other line is cut into sentences after ``.``, ``!`` or ``?`` followed by a space and
a letter (sentences may start with a variable's name, in lower case), a digit, a backtick, a
quote or an opening bracket, outside quotes, backticks and brackets, and not after an
abbreviation (``e.g.``) or a list number (``1.``).

Work is bounded: at most :data:`MAX_TEXT_CHARS` characters of a rationale are read (the rest is
reported as cut off) and a sentence longer than :data:`MAX_SENTENCE_CHARS` is kept whole but
read as prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

#: Characters of a rationale that are read; the rest is ignored (and reported).
MAX_TEXT_CHARS = 200_000
#: Longest sentence the reader looks into; longer ones are prose.
MAX_SENTENCE_CHARS = 1_500

_FENCE = re.compile(r"^\s*(```|~~~)")
_BLOCK_OPEN = re.compile(r"^\s*\[(PYTHON|CODE|THOUGHT)\]\s*$", re.I)
_BLOCK_CLOSE = re.compile(r"^\s*\[/(PYTHON|CODE|THOUGHT)\]\s*$", re.I)
_ANSWER_BLOCK = re.compile(r"\[ANSWER\].*?\[/ANSWER\]", re.I | re.S)
_HEADING = re.compile(r"^\s*#{1,6}\s+\S")
_EMPHASIS_ONLY = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(\*\*|__|\*|_)[^*_]+\1\s*:?\s*$")
_MARKER_ONLY = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s*$|^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*$")
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "approx", "resp", "cf")
_NEXT_START = re.compile(r"[^\W_]|[`'\"(\[*]")


@dataclass(frozen=True)
class Segment:
    """A sentence: its offsets in the rationale, and whether it is markup (heading, emphasis)."""

    start: int
    end: int
    markup: bool = False


def segments(text: str) -> tuple[list[Segment], bool]:
    """The sentences of ``text`` in order, and whether the text was cut at MAX_TEXT_CHARS."""
    cut = len(text) > MAX_TEXT_CHARS
    if cut:
        text = text[:MAX_TEXT_CHARS]
    out: list[Segment] = []
    state = {"code": False}
    pos = 0
    for m in _ANSWER_BLOCK.finditer(text):
        out.extend(_lines(text, pos, m.start(), state))
        if not state["code"]:
            out.append(Segment(m.start(), m.end()))
        pos = m.end()
    out.extend(_lines(text, pos, len(text), state))
    return out, cut


def _lines(text: str, start: int, end: int, state: dict[str, bool]) -> Iterator[Segment]:
    """Sentences of the lines of ``text[start:end]``; ``state`` carries whether a code block is
    open from one stretch to the next."""
    pos = start
    while pos < end:
        stop = text.find("\n", pos, end)
        stop = end if stop == -1 else stop
        line, line_start, pos = text[pos:stop], pos, stop + 1
        if _FENCE.match(line):
            state["code"] = not state["code"]
            continue
        if _BLOCK_OPEN.match(line) or _BLOCK_CLOSE.match(line):
            state["code"] = bool(_BLOCK_OPEN.match(line))
            continue
        if state["code"] or not line.strip() or _MARKER_ONLY.match(line):
            continue
        if line.lstrip().startswith("|"):  # a table row is one sentence
            lead = len(line) - len(line.lstrip())
            yield Segment(line_start + lead, line_start + len(line.rstrip()))
            continue
        if _HEADING.match(line) or _EMPHASIS_ONLY.match(line):
            lead = len(line) - len(line.lstrip())
            yield Segment(line_start + lead, line_start + len(line.rstrip()), markup=True)
            continue
        yield from _line_segments(text, line_start, line_start + len(line), False)


def _line_segments(text: str, start: int, end: int, markup: bool) -> Iterator[Segment]:
    """Sentences of one line ``text[start:end]`` (see the module doc)."""
    line = text[start:end]
    cuts = list(_sentence_ends(line))
    begin = 0
    for cut in [*cuts, len(line)]:
        piece = line[begin:cut]
        stripped = piece.strip()
        if stripped and not _MARKER_ONLY.match(piece):
            lead = len(piece) - len(piece.lstrip())
            yield Segment(start + begin + lead, start + begin + len(piece.rstrip()), markup)
        begin = cut


def _sentence_ends(line: str) -> Iterator[int]:
    """Offsets just after each sentence end inside ``line``."""
    depth = 0
    quote = ""
    code = False
    n = len(line)
    if n > MAX_SENTENCE_CHARS * 20:  # a huge line: cut only at the cheap boundaries
        for m in re.finditer(r"[.!?](?= [A-Z`])", line):
            yield m.end()
        return
    i = 0
    while i < n:
        ch = line[i]
        if code:
            if ch == "`":
                code = False
        elif quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch == "`":
            code = True
        elif ch in "'\"" and not (i > 0 and line[i - 1].isalnum()):
            quote = ch if line.find(ch, i + 1) != -1 else ""
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ".!?" and depth == 0 and i + 2 < n and line[i + 1] == " " \
                and _NEXT_START.match(line, _skip_spaces(line, i + 1)) and not _abbreviation(line, i):
            yield i + 1
        i += 1


def _skip_spaces(line: str, i: int) -> int:
    while i < len(line) and line[i] == " ":
        i += 1
    return i


def _abbreviation(line: str, dot: int) -> bool:
    """Whether the ``.`` at ``dot`` ends an abbreviation or a list number."""
    head = line[:dot].rstrip()
    word = head.rsplit(" ", 1)[-1].lower().lstrip("(")
    if word in _ABBREVIATIONS:
        return True
    return head.strip().lstrip("-*+ ").isdigit() and not head.strip().startswith(("-", "*"))
