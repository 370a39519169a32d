"""Reading a free-form rationale: sentences, context and statements, in order.

:func:`read_freeform` cuts the text into sentences (:mod:`.segment`), keeps the context that
headings and sentence openings set (``**Iteration 2**:``, ``In the first iteration,``,
``[L5]:``, ``for ch = 'a':``), splits each sentence into clauses at ``, so``, ``;``,
``, which means`` and similar joints, and reads each clause with the pattern table
(:mod:`.patterns`).  A statement carries the iteration, line and loop bindings in force where
it was written.  Sentences that no pattern reads are prose: counted, never guessed at.
"""

from __future__ import annotations

import re

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform.exprs import normalize, parse_expr, protect
from codecot.claims.freeform.model import Reading, Sentence, Statement
from codecot.claims.freeform.patterns import INNER_LINE_TAG, context_of, read_clause, strip_context
from codecot.claims.freeform.segment import MAX_SENTENCE_CHARS, segments

_MARKER = re.compile(r"^\s*(?:[-*+\u2022]\s+|\d+[.)]\s+|step\s+\d+\s*[:.)]\s*|\(\w\)\s+)", re.I)
_EMPHASIS = re.compile(r"\*\*|__")
_JOINTS = re.compile(
    r",?\s+so\s+(?=\S)|;\s+|,\s+and\s+then\s+|\s+and\s+then\s+|,\s+then\s+|,\s+which\s+means\s+(?:that\s+)?|"
    r",\s+meaning\s+(?:that\s+)?|,\s+and\s+(?=(?:the|we|it|@|[^\W\d]\w*\s+(?:is|becomes|=))\b)|"
    r"(?<!,\s@\d)(?<!,\s@\d\d)\s+and\s+(?=@\d+\s*(?:[,.;]|$))|"  # not a list's last item: "@1, @2 and @3"
    r"\s+and\s+(?=@\d+\s*(?:is\b|becomes\b|stays\b|remains\b|equals\b|keeps\b|has\b|holds\b|"
    r"contains\b|=))|,\s+and\s+(?=[^\W\d]\w*\s*(?:[-+*/%]|//)?=(?!=))|"
    r",?\s+and\s+(?=[^\W\d]\w*\s+(?:is|becomes|stays|remains|equals|starts|has|gets|must|should|needs|"
    r"cannot|can)\b)|"
    r",?\s+and\s+(?=the\s+(?:loop|function|condition|result|output|answer|while|for)\b)|"
    r",\s+thus\s+|,\s+therefore\s+|,\s+hence\s+|\s+because\s+|\s+since\s+|:\s+(?=\S)|"
    r",\s+(?=where\s+@)|,\s+while\s+(?=\S)|,\s+(?=setting\s)|,?\s+and\s+(?=(?:then\s+)?returns?\s+@)",
    re.I)
#: "Since n is 7, n % 2 == 1 is True": a leading reason is a clause of its own
_LEADING_REASON = re.compile(r"^(?:since|because|given\s+that)\s+(?P<reason>[^,]+?),\s+(?P<rest>\S.*)$", re.I)
#: "since it is the last match, the function returns 4": a reason before the return (not a
#: "for x = 3, ..." binding, which stays the return's context)
_RETURN_JOINT = re.compile(
    r",\s+(?=the\s+function\s+(?:then\s+|now\s+|finally\s+)?(?:returns|will\s+return)\b)", re.I)


def read_freeform(text: str, direction: str = "forward") -> Reading:
    """The sentences of ``text`` and the statements read from them (see the module doc)."""
    segs, cut = segments(text)
    sentences: list[Sentence] = []
    iteration: int | None = None
    from_heading = False
    bindings: tuple[tuple[str, object], ...] = ()
    table: list[tuple[str, object]] | None = None
    for seg in segs:
        raw = text[seg.start:seg.end]
        if raw.startswith("|"):
            if table is None:
                table = _table_header(raw)
                sentences.append(Sentence(raw, (seg.start, seg.end), True))
                continue
            statements = _table_row(raw, table, direction)
            sentences.append(Sentence(raw, (seg.start, seg.end), False, tuple(statements)))
            continue
        table = None
        if seg.markup:
            heading_iteration, _ = context_of(_EMPHASIS.sub("", raw.lstrip("#").strip()))
            iteration, bindings = heading_iteration, ()
            from_heading = heading_iteration is not None
            sentences.append(Sentence(raw, (seg.start, seg.end), True))
            continue
        if len(raw) > MAX_SENTENCE_CHARS:
            sentences.append(Sentence(raw, (seg.start, seg.end), False, note="too long to read"))
            continue
        body = _unemphasize(normalize(raw))
        body = _MARKER.sub("", body, count=1).strip()
        body = _CHECK_MARK.sub("", body)
        body = _LABEL.sub("the output is ", body, count=1)
        body = _INPUT_LABEL.sub("the input is ", body, count=1)
        answer = _ANSWER.match(body)
        if answer:
            body = _answer_clause(answer.group(1).strip(), direction)
        body, it, line = strip_context(body)
        body = INNER_LINE_TAG.sub("", body)
        if it is not None:
            iteration, bindings, from_heading = it, (), False
        stated = it is not None or from_heading
        paren = _PAREN_LEAD.match(body)
        if paren:  # "Iteration 2 (`n = 5`):", "[L13] (`num = -15`): ..." set the loop variable
            body = f"for {paren.group(1)}: {body[paren.end():]}".rstrip(": ")
        statements = []
        p = protect(body)
        clauses = _clauses(p.text, p.atoms)
        clauses += [m.group(1) for c in clauses for m in _ASIDE.finditer(c)]
        for clause in clauses:
            choosing = any(st.kind == "let" for st in statements)
            found = read_clause(p, clause, raw, direction, choosing=choosing)
            if found.bindings:
                bindings = found.bindings
            for s in found.statements:
                statements.append(Statement(s.kind, s.options, s.clause, iteration, line,
                                            bindings, s.looks_back, s.pure, stated))  # type: ignore[arg-type]
        sentences.append(Sentence(raw, (seg.start, seg.end), False, tuple(statements)))
    return Reading(tuple(sentences), cut)


#: a check mark after a claim ("f(4) == 8 \u2713"): the claim stands
_CHECK_MARK = re.compile(r"\s*[\u2713\u2714\u2705]\ufe0f?\s*(?=[.!]?\s*$)")
_LABEL = re.compile(r"^(?:the\s+)?(?:final\s+|predicted\s+)?(?:output|answer|result|return\s+value)\s*:\s*",
                    re.I)
_INPUT_LABEL = re.compile(r"^(?:the\s+)?(?:final\s+)?inputs?\s*:\s*", re.I)
_ANSWER = re.compile(r"^\[ANSWER\]\s*(.*?)\s*\[/ANSWER\]$", re.I | re.S)
_PAREN_LEAD = re.compile(r"^\(\s*(`[^`]+`)\s*\)\s*:?\s*")
#: a remark in parentheses with words in it: "(it ran 4 times)"; working has none
_ASIDE = re.compile(r"\(((?:[^()]*?[A-Za-z]{3,}[^()]*?))\)")


def _answer_clause(inner: str, direction: str) -> str:
    """The clause an ``[ANSWER] ... [/ANSWER]`` block states."""
    inner = inner.strip()
    if inner.startswith("assert "):
        return inner
    if direction == "backward":
        return f"the input is `{inner}`"
    return f"the output is `{inner}`"


#: "`text.split()` splits the string into words: `['a', 'b']`": what the call gives
_CALL_THEN_VALUE = re.compile(r"^(?P<call>@\d+)\s+(?P<desc>[a-z][^:@]{0,80}?)\s*:\s*(?P<value>@\d+)\s*\.?$")
#: "The list comprehension iterates over each word and capitalizes it: `['A', 'B']`"
_COMPREHENSION_THEN_VALUE = re.compile(
    r"^(?:the\s+)?(?:list\s+|set\s+|dict\s+)?comprehension\s+[a-z][^:@]{0,80}?\s*:\s*(?P<value>@\d+)\s*\.?$",
    re.I)


def _described_value(text: str, atoms: list[str]) -> str | None:
    """A clause that names a call (or the comprehension), says what it does and ends in a
    colon and a value, rewritten as ``CALL leaving VALUE`` (what a mutating call leaves in its
    object, else the call's value) or ``the comprehension produces VALUE``."""
    m = _CALL_THEN_VALUE.match(text.strip())
    if m and re.match(r"^[\w.\[\]'\"]+\(.*\)$", atoms[int(m.group("call")[1:])], re.S):
        return f"{m.group('call')} leaving {m.group('value')}"  # see patterns._leaving
    c = _COMPREHENSION_THEN_VALUE.match(text.strip())
    if c:
        return f"the comprehension produces {c.group('value')}"
    return None


def _clauses(text: str, atoms: list[str] | None = None) -> list[str]:
    """The clauses of a protected sentence (placeholders hold no joints, so no quoting)."""
    described = _described_value(text, atoms) if atoms is not None else None
    if described is not None:
        return [described]
    reason = _LEADING_REASON.match(text.strip())
    if reason:
        return _clauses(reason.group("reason")) + _clauses(reason.group("rest"))
    parts = [q for part in _JOINTS.split(text)
             for q in ([part] if part.lstrip().lower().startswith("for ")
                       else _RETURN_JOINT.split(part))]
    return [p for p in (x.strip() for x in parts) if p]


def _unemphasize(text: str) -> str:
    """``text`` without ``**`` and ``__`` emphasis outside backticks (code keeps its stars)."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = _EMPHASIS.sub("", parts[i])
    return "`".join(parts)


_ITERATION_HEADERS = frozenset({"iteration", "iter", "step", "#", "round", "pass", "loop", "n"})


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table_header(row: str) -> list[tuple[str, object]]:
    """Each column: ("iteration", None), ("expr", expression) or ("other", None)."""
    out: list[tuple[str, object]] = []
    for cell in _cells(row):
        word = _unemphasize(cell).strip().strip("`").strip()
        low = word.lower().rstrip(".:")
        if low in _ITERATION_HEADERS - {"n"} or low.startswith(("iteration", "step")):
            out.append(("iteration", None))
            continue
        expr = _header_expr(cell, word)
        if expr is not None and E.free_names(expr):
            out.append(("expr", expr))
        else:
            out.append(("other", None))
    return out


_HEADER_WORDS = re.compile(r"\b(?:after|before|value|values|now|current|new|old|at\s+start|at\s+end|"
                           r"of|the|is|after\s+the\s+line|afterwards)\b|[()]", re.I)


def _header_expr(cell: str, word: str) -> E.Expr | None:
    """The expression a column header names: itself (``s[i]``), its code span (``value of
    `x` ``), or what is left without words such as "after" or "value" (``x (after)``)."""
    spans = re.findall(r"`([^`]+)`", cell)
    if len(spans) == 1:
        return parse_expr(spans[0])
    if word and " " not in word.strip():
        return parse_expr(word)
    rest = _HEADER_WORDS.sub(" ", word).split()
    return parse_expr(rest[0]) if len(rest) == 1 else None


def _table_row(row: str, header: list[tuple[str, object]], direction: str) -> list[Statement]:
    """Statements of a table row: each cell under an expression column states that
    expression's value, in the iteration the row's iteration column names (or where the first
    column's loop variable has the row's value); other cells are read as clauses."""
    cells = _cells(row)
    iteration: int | None = None
    for (kind, _), cell in zip(header, cells, strict=False):
        if kind == "iteration":
            digits = re.sub(r"\D", "", cell)
            iteration = int(digits) if digits and len(digits) < 6 else None
    out: list[Statement] = []
    bindings: tuple[tuple[str, object], ...] = ()
    for k, ((kind, expr), cell) in enumerate(zip(header, cells, strict=False)):
        if kind == "expr":
            value = parse_expr(_unemphasize(cell).strip().strip("`").strip())
            if value is None or E.free_names(value):
                continue
            claim = M.StateClaim(target=expr, chain=(value,))  # type: ignore[arg-type]
            out.append(Statement("state" if isinstance(expr, E.Name) else "value", ((claim,),), row,
                                 iteration, None, bindings,  # type: ignore[arg-type]
                                 iteration_stated=iteration is not None))
            if k == 0 and iteration is None and isinstance(expr, E.Name):
                bindings = ((expr.id, value),)
        elif kind == "other" and ("`" in cell or "\u2192" in cell or "->" in cell):
            body = _unemphasize(normalize(cell))
            p = protect(body)
            for clause in _clauses(p.text):
                found = read_clause(p, clause, row, direction)
                out.extend(Statement(s.kind, s.options, s.clause, iteration, None, bindings,  # type: ignore[arg-type]
                                     s.looks_back, s.pure, iteration is not None)
                           for s in found.statements)
    return out
