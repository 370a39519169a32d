"""Statements of one clause of free-form chain-of-thought.

A clause is first :func:`~codecot.claims.freeform.exprs.protect`-ed, so values are atoms
``@k``; then a table of patterns, most specific first, is tried on it: :data:`PATTERNS`, the
run's patterns (:mod:`~codecot.claims.freeform.run_patterns`), then the input's
(:mod:`~codecot.claims.freeform.input_patterns`), then the values'
(:mod:`~codecot.claims.freeform.value_patterns`).  Each pattern names what it reads and builds
the claims; a clause that no pattern matches is prose.  Only what a pattern states is read:
``x is the index of 'o'`` is prose because ``the index of 'o'`` is no value, ``x is 4`` is a
state claim.  Working written in parentheses is read as well (see
:mod:`~codecot.claims.freeform.clause`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform import input_patterns, run_patterns, value_patterns
from codecot.claims.freeform.clause import (
    ORDINALS,
    Clause,
    PatternTable,
)
from codecot.claims.freeform.exprs import Protected, parse_expr
from codecot.claims.freeform.input_patterns import choice_pair
from codecot.claims.freeform.model import Statement

#: Every pattern, most specific first: the run's, the input's, then the values'
PATTERNS: PatternTable = run_patterns.PATTERNS + input_patterns.PATTERNS + value_patterns.PATTERNS

_LEAD = re.compile(
    r"^(?:(?:so|then|now|next|thus|therefore|hence|finally|also|and|here|therefore|again|"
    r"after\s+that|at\s+this\s+point|this\s+means(?:\s+that)?|which\s+means(?:\s+that)?|"
    r"as\s+a\s+result|in\s+this\s+case|we\s+see\s+that|we\s+get\s+that|we\s+find\s+that|"
    r"it\s+follows\s+that|note\s+that|remember\s+that|"
    r"after\s+the\s+loop|after\s+this|at\s+the\s+end(?:\s+of\s+the\s+(?:loop|function))?|first|second|third|"
    r"since|because|as|after\s+(?:processing|going\s+through|looping\s+over|visiting)\s+(?:all|every|each)"
    r"(?:\s+\w+){1,2}|after\s+the\s+[a-z]+(?=\s*,)|"
    r"afterwards|meanwhile|likewise|similarly|again|at\s+that\s+point|by\s+then|"
    r"after\s+@\d+|within\s+the\s+function|inside\s+the\s+function|in\s+the\s+function|"
    r"after\s+the\s+\w+\s+(?:element|character|item|iteration|pass|step|word|number|digit|value)|"
    r"for\s+@\d+(?=\s*,)|for\s+example|e\.g\.|in\s+particular|in\s+other\s+words|"
    r"initially|originally|at\s+first|at\s+the\s+(?:start|beginning)|before\s+the\s+loop|"
    r"i\s+think(?:\s+that)?|it\s+seems(?:\s+that)?|clearly|obviously|of\s+course|indeed|"
    r"for\s+(?:the\s+)?(?:output|result|return\s+value|answer|function|@\d+)\s+to\s+(?:be|return|equal|give|"
    r"produce)\s+@\d+(?=\s*,)|"
    r"(?:[\w@`' ]{0,40}?\s)?(?:confirms|shows|means|implies|tells\s+us|guarantees|ensures|proves)\s+that)"
    r"\b[,:]?\s*)+", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:would|suppose|supposing|imagine|hypothetically|otherwise)\b|"
                          r"\bif\s+(?:we|it|the|there|@\d+|[^\W\d]\w*\s+(?:were|was|is|had))\b", re.I)
_LOOKS_BACK = re.compile(r"\b(?:initially|originally|at\s+the\s+(?:start|beginning)|was|were|"
                         r"had\s+been|before\s+the\s+loop)\b", re.I)


@dataclass
class Found:
    """Statements read from a clause, and context it sets for later clauses."""

    statements: list[Statement] = field(default_factory=list)
    iteration: int | None = None
    bindings: tuple[tuple[str, E.Expr], ...] = ()
    line: int | None = None


# ---- entry point -------------------------------------------------------------------------------

_ITERATION = re.compile(
    r"(?:^|\b(?:in|during|for|on|at)\s+)(?:the\s+)?(?:(?P<ord>first|second|third|fourth|fifth|sixth|"
    r"seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+(?:iteration|pass|loop\s+iteration)|"
    r"iteration\s+(?:#\s*)?(?P<num>\d+))\b"
    # "for the first character 'a',": the loop's first iteration (only after a preposition:
    # "The first character of s is ..." is a statement, not a context)
    r"|\b(?:for|on|at|with)\s+the\s+(?P<ord2>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"\d+(?:st|nd|rd|th))\s+(?:character|char|letter|element|item|number|word|value|digit)\b"
    r"(?:\s+(?:@\d+|'[^']{0,20}'|\"[^\"]{0,20}\"|-?\d+))?(?=\s*,)", re.I)
_BINDING = re.compile(r"^(?:for|when|with|if|in\s+the\s+iteration\s+(?:for|where|with))\s+"
                      r"(?P<name>@\d+|[^\W\d]\w*)\s*(?:=|==|is|being)\s+(?P<value>@\d+|-?\d+)\s*[,:]?\s*", re.I)
_BINDING_ATOM = re.compile(r"^(?:for|when|with)?\s*\(?(?P<atom>@\d+)\)?\s*:\s*|^(?:for|when|with)\s+\(?(?P<atom2>@\d+)\)?"
                           r"\s*(?:,\s*|$)", re.I)


def _binding(clause: Clause, m: re.Match[str]) -> tuple[E.Name | None, E.Expr | None]:
    """The (name, value) a loop-context opening gives: ``for ch = 'a'``, ``when `i = 2`:``."""
    groups = m.groupdict()
    atom = groups.get("atom") or groups.get("atom2")
    if atom is not None:
        eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", clause.p.atom(atom) or "")
        if eq is None:
            return None, None
        value = parse_expr(eq.group(2))
        if value is None or E.free_names(value):
            return None, None
        return E.Name(eq.group(1)), value
    name = clause.subject(m.group("name"))
    value = clause.value(m.group("value"))
    return (name if isinstance(name, E.Name) else None), value


_LINE_REF = re.compile(r"^\s*(?:\[L(?P<a>\d+)\](?:\s*,\s*\[L\d+\])*|(?:on|in|at)?\s*line\s+(?P<b>\d+))\s*[:,]?\s*",
                       re.I)
#: line tags inside a sentence ("so [L20] sets ..."): dropped before reading
INNER_LINE_TAG = re.compile(r"\[L\d+\]\s*")


def context_of(text: str) -> tuple[int | None, int | None]:
    """(iteration, line) named at the start of a heading or sentence (``Iteration 2``, ``In the
    second iteration``, ``[L5]``, ``On line 5``)."""
    m = _ITERATION.search(text[:80])
    iteration = None
    if m:
        word = (m.group("ord") or m.group("num") or m.group("ord2") or "").lower()
        iteration = ORDINALS.get(word) or (int(re.sub(r"\D", "", word)) if re.sub(r"\D", "", word) else None)
    lm = _LINE_REF.match(text)
    line = int(lm.group("a") or lm.group("b")) if lm else None
    return iteration, line


def strip_context(text: str) -> tuple[str, int | None, int | None]:
    """``text`` without a leading line reference or iteration phrase, and what they named."""
    line = iteration = None
    lm = _LINE_REF.match(text)
    if lm:
        line = int(lm.group("a") or lm.group("b"))
        text = text[lm.end():]
    it = _ITERATION.match(text)
    if it:
        iteration, _ = context_of(text)
        text = text[it.end():].lstrip(" ,:")
    return text, iteration, line


_KEYWORD_ATOMS = frozenset({"if", "else", "elif", "while", "for", "break", "continue"})


def read_clause(p: Protected, body: str, raw: str, direction: str, *,
                choosing: bool = False) -> Found:
    """The statements of one clause (``body``: a stretch of the protected sentence ``p``) and
    the context it sets (see the module doc).  ``choosing``: an earlier clause of the sentence
    made a choice, so a bare ``name = value`` here is one more (``choose a = 1 and b = 2``)."""
    found = Found()
    clause = Clause(Protected(body, p.atoms, p.backticked), raw, direction)
    looks_back = bool(_LOOKS_BACK.search(body))
    if _HYPOTHETICAL.search(body):
        return found  # "the answer would be 0", "if we used ...": not a statement about the run
    # a keyword in backticks ("the `else` branch") is a word of the sentence, not a value
    body = re.sub(r"@(\d+)", lambda g: p.atoms[int(g.group(1))].strip()
                  if p.atoms[int(g.group(1))].strip() in _KEYWORD_ATOMS else g.group(0), body)
    body = _LEAD.sub("", body.strip()).strip().rstrip(".!;:").strip()
    if choosing and direction == "backward":
        m = re.fullmatch(r"(?:and\s+)?(@\d+)", body)
        text = clause.p.atom(m.group(1)) if m else None
        eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", text or "")
        if eq:
            value = parse_expr(eq.group(2))
            if value is not None and not E.free_names(value):
                found.statements.extend(choice_pair(clause, eq.group(1), None, value))
                return found
    b = _BINDING.match(body) or _BINDING_ATOM.match(body)
    if b:
        name, value = _binding(clause, b)
        if name is not None and value is not None:
            found.bindings = ((name.id, value),)
            found.statements.append(Statement(
                "iteration", ((M.StateClaim(target=name, chain=(value,)),),), raw))
        body = body[b.end():]
    body = re.sub(r"\s+", " ", body)
    if not body:
        return found
    clause.p.text = body
    for regex, fn in PATTERNS:
        m = regex.search(body)
        if m is None:
            continue
        statements = fn(clause, m)
        if statements:
            found.statements.extend(
                Statement(s.kind, s.options, s.clause, looks_back=looks_back, pure=s.pure)
                for s in statements)
            break
    return found
