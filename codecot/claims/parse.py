"""Narration text -> typed claims.

:func:`parse_step` parses one step with the LALR parser of ``grammars/narration.lark``, running
the :class:`~codecot.claims.build.Builder` callbacks while parsing (no tree is built): first
with the lean table driver :class:`~codecot.claims.grammar.FastParser`, and only when that
fails with Lark's own parser, which reports the error.  Claims of successfully parsed steps
are memoised by step text in a bounded LRU cache (:data:`CACHE_SIZE` entries; see
:func:`parse_step`).

:func:`parse_rationale` splits a rationale into steps (one per non-blank line), strips
optional numbering (``1.``, ``1)``, ``Step 1:``, ``- ``, ``* ``) and parses each step.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

from lark import Lark
from lark.exceptions import UnexpectedInput

from codecot.claims import errors
from codecot.claims.build import (
    BOOLEAN_FUNCTIONS,
    Builder,
    Draft,
    SemanticError,
    SliceParts,
    Unsupported,
    apply_relation,
    is_boolean_shaped,
)
from codecot.claims.errors import StepParseError
from codecot.claims.expr import Const
from codecot.claims.grammar import FastParseFailed, FastParser, build_parser
from codecot.claims.model import Claim

__all__ = [
    "BOOLEAN_FUNCTIONS", "Builder", "Draft", "SemanticError", "StepParseError", "Unsupported",
    "apply_relation", "cache_hits", "clear_cache", "is_boolean_shaped", "parse_rationale", "parse_step",
    "step_bounds",
]

# ---- entry points ---------------------------------------------------------------------------

#: Deepest expression nesting a claim may have (Python's own parser stops near 200).
MAX_DEPTH = 100

_NUMBERING = re.compile(r"[ \t]*(?:(?:step[ \t]+)?\d+[ \t]*[.):]|[-*\u2022])[ \t]+", re.I)


@functools.cache
def _parser() -> Lark:
    return build_parser(Builder())


@functools.cache
def _fast_parser() -> FastParser:
    return FastParser(_parser(), positioned=Builder.POSITIONED)


def step_bounds(line: str) -> tuple[int, int]:
    """Offsets ``(start, end)`` of the step inside ``line``: leading whitespace and numbering
    (``1.``, ``1)``, ``Step 1:``, ``- ``, ``* ``, a bullet) and trailing whitespace removed."""
    match = _NUMBERING.match(line)
    start = match.end() if match else 0
    while start < len(line) and line[start] in " \t\f\r\u00a0":
        start += 1
    end = len(line.rstrip())
    return start, max(start, end)


#: Most successfully parsed steps whose claims are remembered (least recently used dropped).
CACHE_SIZE = 4096
#: Longer steps are never cached (bounds the cache's memory).
CACHE_MAX_CHARS = 400

#: A parsed step without its place: claim class and every constructor argument but
#: ``index``, ``span`` and ``text``.  Shared between hits: never mutate one.
_Template = tuple[type[Claim], dict[str, Any]]


def _template(step: str, draft: Draft) -> _Template:
    _check_exprs(draft, len(step))
    fields = dict(draft.fields)
    if draft.code_end is not None:
        fields["code"] = step[draft.code_start:draft.code_end].strip()
    fields["line"] = draft.line
    fields["iteration"] = draft.iteration
    fields["modality"] = draft.modality
    return draft.cls, fields


def _fast_template(step: str) -> _Template:
    """The step's template from the fast driver (raises FastParseFailed, SemanticError or
    RecursionError)."""
    return _template(step, _fast_parser().parse(step))


_cached_template = functools.lru_cache(maxsize=CACHE_SIZE)(_fast_template)


def clear_cache() -> None:
    """Forget every remembered step (for benchmarks that must not reuse earlier rounds)."""
    _cached_template.cache_clear()


def cache_hits() -> int:
    """How many parses the step cache has answered since it was last cleared."""
    return _cached_template.cache_info().hits


def parse_step(text: str, index: int = 0, offset: int = 0, *, explain: bool = True) -> Claim:
    """Parse one step into its claim.

    ``text`` is a single line; numbering and surrounding whitespace are ignored.  ``index`` is
    the step's position among the rationale's steps; ``offset`` is where ``text`` starts in
    the rationale, so that ``span`` holds offsets into the whole rationale.  Raises
    :class:`StepParseError` (and nothing else) when the step is not in the language; with
    ``explain=False`` the error is not analysed (a bare "not a step" with column 1), which
    is much cheaper when most candidates are expected to fail (lenient mode).

    A claim depends only on the step text (and on ``index`` and ``offset``), so the parse of a
    step of at most :data:`CACHE_MAX_CHARS` characters that the fast driver accepts is kept in
    an LRU cache of :data:`CACHE_SIZE` entries; claims and their expression trees are
    immutable, so a hit shares them.  Steps that fail are parsed afresh every time.
    """
    start, end = step_bounds(text)
    step = text[start:end]
    span = (offset + start, offset + end)

    if "\n" in step:
        raise _error("a step is a single line", step.index("\n"), errors.NOT_A_STEP,
                     frozenset(), start, offset, index, span, step)
    try:
        try:
            if len(step) <= CACHE_MAX_CHARS:
                cls, fields = _cached_template(step)
            else:
                cls, fields = _fast_template(step)
        except FastParseFailed:
            if not explain:
                raise _error("not a step", 0, None, frozenset(), start, offset, index, span,
                             step) from None
            cls, fields = _template(step, cast(Draft, _parser().parse(step)))
    except UnexpectedInput as err:
        message, _column, pos, expected, label = errors.describe(_parser(), err, step)
        raise _error(message, pos, label, expected, start, offset, index, span, step) from None
    except SemanticError as err:
        raise _error(f"{err.label}: {err.message}", err.pos, err.label, frozenset(), start,
                     offset, index, span, step) from None
    except RecursionError:
        raise _error("expression nested too deeply", 0, errors.TOO_DEEP, frozenset(), start,
                     offset, index, span, step) from None
    return cls(index=index, span=span, text=step, **fields)


def _error(message: str, pos: int, label: str | None, expected: frozenset[str], start: int,
           offset: int, index: int, span: tuple[int, int], step: str) -> StepParseError:
    return StepParseError(message, column=start + pos + 1, pos=offset + start + pos,
                          expected=expected, label=label, index=index, span=span, text=step)


def parse_rationale(text: str) -> list[Claim | StepParseError]:
    """Parse every non-blank line of ``text`` as a step (see :func:`parse_step`).

    Lines are split on ``\\n`` only (a carriage return before it is whitespace).  The result
    has one entry per non-blank line: the claim, or the :class:`StepParseError` explaining why
    the line is not a step.  Indices count steps; spans are offsets into ``text``.
    """
    out: list[Claim | StepParseError] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            try:
                out.append(parse_step(line, index=len(out), offset=pos))
            except StepParseError as err:
                out.append(err)
        pos += len(line) + 1
    return out


def _check_exprs(draft: Draft, length: int) -> None:
    """Reject drafts holding unsupported constructs or absurdly deep expressions.

    Expression builders propagate :class:`Unsupported` upwards, so only the fields (and the
    items of tuple fields) need a look; a step shorter than :data:`MAX_DEPTH` characters
    cannot nest deeper than that, so only longer steps are walked in full.
    """
    for value in draft.fields.values():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            parts = item if isinstance(item, tuple) else (item,)
            for part in parts:
                if isinstance(part, Unsupported | SliceParts):
                    reason = part.reason if isinstance(part, Unsupported) else "a bare slice"
                    raise SemanticError(f"{reason} cannot appear in a claim",
                                        errors.UNSUPPORTED)
    if length <= MAX_DEPTH:
        return
    stack: list[tuple[Any, int]] = [(v, 0) for v in draft.fields.values()]
    while stack:
        node, depth = stack.pop()
        if node is None or isinstance(node, str | int | bool | Const):
            continue
        if isinstance(node, Unsupported):
            raise SemanticError(f"{node.reason} cannot appear in a claim", errors.UNSUPPORTED)
        if depth > MAX_DEPTH:
            raise SemanticError("expression nested too deeply", errors.TOO_DEEP)
        if isinstance(node, tuple):
            stack.extend((item, depth) for item in node)
        elif isinstance(node, SliceParts):
            raise SemanticError("a slice needs brackets", errors.UNSUPPORTED)
        else:
            stack.extend((getattr(node, f), depth + 1) for f in node.__slots__)
