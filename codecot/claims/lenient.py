"""Lenient reading of free-form rationales (other systems' chain-of-thought).

:func:`extract_claims` splits a text into sentences (lines, then sentence ends outside quotes
and brackets), and for each sentence tries, in order, until one yields claims:

1. the strict parser on the cleaned sentence (markdown emphasis and backticks removed,
   numbering and a trailing period dropped);
2. the strict parser on its clauses, split at ``", so "``, ``"; "``, ``" and then "``,
   ``", then "``, ``", which means "`` and ``", and "``;
3. light rewrites of patterns common in public chain-of-thought, applied to the sentence and
   to each clause: ``[ANSWER] f(1) == 2 [/ANSWER]`` and ``assert f(1) == 2`` (answer),
   ``On line 3, ...`` (a line reference), ``the value of x is 5`` / ``x is now 5`` /
   ``x = 5`` / ``x becomes 5`` / ``x is set to 5`` (state), ``returns 5`` /
   ``the output is 5`` / ``the result is 5`` (return).

Everything else is prose.  ``coverage`` is the fraction of sentences that gave at least one
claim.  Claims keep the offsets of their sentence in ``text`` as ``span``; ``index`` counts the
claims found.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from codecot.claims.errors import StepParseError
from codecot.claims.model import Claim
from codecot.claims.parse import parse_step


@dataclass(frozen=True)
class Sentence:
    """One sentence of the input: its text, offsets, and the claims read from it."""

    text: str
    span: tuple[int, int]
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class LenientResult:
    """What :func:`extract_claims` found."""

    claims: tuple[Claim, ...]
    prose: tuple[str, ...]
    sentences: tuple[Sentence, ...]

    @property
    def coverage(self) -> float:
        """Fraction of sentences that yielded at least one claim (0.0 for no sentences)."""
        if not self.sentences:
            return 0.0
        return sum(1 for s in self.sentences if s.claims) / len(self.sentences)


_CLAUSE_SPLIT = re.compile(
    r",\s+so\s+(?=\S)|;\s+|\s+and\s+then\s+|,\s+then\s+|,\s+which\s+means\s+(?:that\s+)?|"
    r",\s+and\s+", re.I)
_WEAK_SPLIT = re.compile(r",\s+|\s+and\s+", re.I)
_MARKUP_ONLY = re.compile(r"^\s*(?:\[/?[A-Z]+\]|```\w*|#+)?\s*$")
_CALLED = re.compile(r"^(?:the\s+function\s+)?([A-Za-z_]\w*)\s+is\s+(?:called|invoked)\s+with\s+(.+)$",
                     re.I)
_MARKDOWN = re.compile(r"\*\*|__|`")
_NUMBERING = re.compile(r"^\s*(?:(?:step\s+)?\d+\s*[.):]|[-*\u2022]|#+)\s+", re.I)
_ANSWER_TAG = re.compile(r"\[ANSWER\]\s*(.*?)\s*\[/ANSWER\]", re.I | re.S)
_ASSERT = re.compile(r"^\s*assert\s+(.+?)\s*$")
_ON_LINE = re.compile(r"^(?:on|in|at)\s+line\s+(\d+)\s*[,:]\s*(.+)$", re.I)
_VALUE_OF = re.compile(r"^(?:so\s+|now\s+|then\s+)?the\s+value\s+of\s+(.+?)\s+is\s+(?:now\s+)?(.+)$",
                       re.I)
_STATE_VERB = re.compile(
    r"^(?:so\s+|now\s+|then\s+)?([A-Za-z_][\w.\[\]'\"]*)\s+(?:is\s+now|is\s+set\s+to|is\s+updated\s+to|"
    r"changes\s+to|becomes|is\s+assigned|=)\s+(.+)$", re.I)
_RETURNS = re.compile(
    r"^(?:so\s+|thus\s+|therefore\s+|finally,?\s+)?(?:the\s+function\s+|it\s+|which\s+|this\s+)?"
    r"(?:returns|will\s+return|would\s+return)\s+(.+)$", re.I)
_OUTPUT = re.compile(
    r"^(?:so\s+|thus\s+|therefore\s+|hence\s+|finally,?\s+)?(?:the\s+)?(?:final\s+)?"
    r"(?:output|result|return\s+value)(?:\s+of\s+(?:the\s+function|f\(.*?\)))?\s+"
    r"(?:is|will\s+be|would\s+be)(?:\s+therefore)?\s+(.+)$", re.I)


def split_sentences(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of the sentences of ``text``: every line, cut after ``.``, ``!`` or ``?``
    followed by a space, outside quotes and brackets."""
    pos = 0
    for line in text.split("\n"):
        start = pos
        depth = 0
        quote = ""
        i = 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "'\"" and not (i > 0 and line[i - 1].isalpha()):
                quote = ch
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            elif (ch in ".!?" and depth == 0 and i + 1 < len(line) and line[i + 1] == " "
                  and not line[start - pos:i].strip().isdigit()):  # "1. " is numbering
                if line[start - pos:i + 1].strip():
                    yield start, pos + i + 1
                start = pos + i + 1
            i += 1
        if line[start - pos:].strip():
            yield start, pos + len(line)
        pos += len(line) + 1


def _clean(sentence: str) -> str:
    text = _MARKDOWN.sub("", sentence).strip()
    text = _NUMBERING.sub("", text).strip()
    return text.rstrip(".!:; ").strip()


def _try(text: str, span: tuple[int, int]) -> Claim | None:
    if not text:
        return None
    try:
        claim = parse_step(text, explain=False)
    except StepParseError:
        return None
    return dataclasses.replace(claim, span=span)


def _rewrites(text: str) -> Iterator[str]:
    """Strict-language candidates for a clause in a common free-form shape."""
    tag = _ANSWER_TAG.search(text)
    if tag:
        yield f"Therefore {tag.group(1)}"
    match = _ASSERT.match(text)
    if match:
        yield f"Therefore {match.group(1)}"
    match = _CALLED.match(text)
    if match:
        yield f"Call {match.group(1)} with {match.group(2)}"
    match = _ON_LINE.match(text)
    if match:
        yield f"Line {match.group(1)}: {match.group(2)}"
    match = _VALUE_OF.match(text)
    if match:
        yield f"{match.group(1)} is now {match.group(2)}"
    match = _STATE_VERB.match(text)
    if match:
        yield f"{match.group(1)} is now {match.group(2)}"
    match = _RETURNS.match(text)
    if match:
        yield f"The function returns {match.group(1)}"
    match = _OUTPUT.match(text)
    if match:
        yield f"The function returns {match.group(1)}"


def _clause_claim(clause: str, span: tuple[int, int]) -> Claim | None:
    claim = _try(clause, span)
    if claim is not None:
        return claim
    for candidate in _rewrites(clause):
        claim = _try(candidate.rstrip(".").strip(), span)
        if claim is not None:
            return claim
    return None


def _claims_of(sentence: str, span: tuple[int, int]) -> list[Claim]:
    text = _clean(sentence)
    tag = _ANSWER_TAG.search(sentence)
    if tag:
        found = _try(f"Therefore {tag.group(1)}", span)
        if found is not None:
            return [found]
    whole = _clause_claim(text, span)
    if whole is not None:
        return [whole]
    out: list[Claim] = []
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text) if c.strip()]
    for clause in clauses if len(clauses) > 1 else [text]:
        claim = _clause_claim(clause, span) if len(clauses) > 1 else None
        if claim is not None:
            out.append(claim)
            continue
        for part in _WEAK_SPLIT.split(clause):
            claim = _clause_claim(part.strip(), span) if part.strip() != clause else None
            if claim is not None:
                out.append(claim)
    return out


def extract_claims(text: str) -> LenientResult:
    """Read every claim that can be read from a free-form rationale (see the module doc)."""
    sentences: list[Sentence] = []
    claims: list[Claim] = []
    prose: list[str] = []
    for start, end in split_sentences(text):
        raw = text[start:end]
        if _MARKUP_ONLY.match(raw):
            continue
        found = [dataclasses.replace(c, index=len(claims) + i)
                 for i, c in enumerate(_claims_of(raw, (start, end)))]
        claims.extend(found)
        if not found:
            prose.append(raw.strip())
        sentences.append(Sentence(raw.strip(), (start, end), tuple(found)))
    return LenientResult(tuple(claims), tuple(prose), tuple(sentences))
