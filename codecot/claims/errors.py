"""Parse errors of narration steps, with messages driven by a table of example wrong steps.

The idea is Lark's ``match_examples``: each example in :data:`ERROR_EXAMPLES` is parsed once
(lazily), and the parser state in which it fails is remembered with the example's label.  A
new error is labelled by the most specific remembered state that matches: the whole LR stack
and the offending token, then the stack alone, then the top state with the token, then the top
state.  A few textual checks (an unterminated string, unbalanced brackets) come first because
they explain an error wherever it happens.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr


class StepParseError(ValueError):
    """A step that is not in the narration language.

    ``message`` says what is wrong in words; ``label`` is the error class from
    :data:`ERROR_EXAMPLES` (or a fixed label for checks made after parsing), ``None`` when no
    example matched; ``column`` is the 1-based column in the step text given to the parser
    function; ``pos`` the 0-based offset of the problem in the whole rationale; ``expected``
    the human names of what would have been accepted there.  ``index``, ``span`` and ``text``
    locate the step like a claim's fields do.
    """

    def __init__(self, message: str, *, column: int = 1, pos: int = 0,
                 expected: frozenset[str] = frozenset(), label: str | None = None,
                 index: int = 0, span: tuple[int, int] = (0, 0), text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.pos = pos
        self.expected = expected
        self.label = label
        self.index = index
        self.span = span
        self.text = text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.message, self.__dict__.copy()))

    def __repr__(self) -> str:
        return (f"StepParseError({self.message!r}, column={self.column}, label={self.label!r}, "
                f"index={self.index})")


def _rebuild(message: str, state: dict[str, Any]) -> StepParseError:
    err = StepParseError(message)
    err.__dict__.update(state)
    return err


# Labels.  Tests loop over this table: every example must get its label and a column.
MISSING_VALUE_IS = "missing value after 'is'"
MISSING_VALUE_BE = "missing value after 'be'"
UNKNOWN_RELATION = "unknown relation after 'must be'"
UNBALANCED = "unbalanced brackets"
UNTERMINATED = "unterminated string"
LINE_WITHOUT_NUMBER = "line reference without a number"
MISSING_COLON = "missing ':' after the line reference"
NOT_A_STEP = "not a step of the narration language"
PYTHON_IS = "Python 'is' must be in parentheses"
MISSING_BE = "missing 'be' after 'must'"
UNNAMED_ARGUMENT = "call arguments must be written name = value"
INCOMPLETE_EXPRESSION = "incomplete expression"
MISSING_SO = "missing 'so' after the echoed statement"
MISSING_COUNT = "missing number"
TRAILING_TEXT = "unexpected text after a complete step"

# Labels of checks made after a successful parse (see codecot.claims.parse).
NOT_A_TRUTH_VALUE = "branch outcome needs True or False"
BAD_ANSWER = "answer needs f(...) == value or f(...) returns value"
BAD_RETURNS = "'returns' needs a function name or a call before it"
UNSUPPORTED = "unsupported expression"
BAD_LITERAL = "invalid literal"
CONFLICTING_ITERATION = "conflicting iteration numbers"
TOO_DEEP = "expression nested too deeply"

ERROR_EXAMPLES: dict[str, tuple[str, ...]] = {
    MISSING_VALUE_IS: (
        "Line 3: n is", "Line 3: n is now", "Line 5: total becomes", "After line 5, total is now",
        "Line 2: x = 1, so x is", "Line 5: total equals", "Line 4: n % 2 == 0 is",
        "Line 3: n is .",
    ),
    MISSING_VALUE_BE: ("x must be", "Let x be", "x can be", "Choose x to be", "x must not be"),
    UNKNOWN_RELATION: (
        "x must be bigger than 3", "x must be smaller than 3", "x must be a multiple of 3",
        "Let x be bigger than 3", "x can be larger than 2",
    ),
    UNBALANCED: (
        "Line 3: x is [1, 2", "Line 3: x is (1, 2", "Line 3: x is {1: 2", "x must be f(1",
        "Line 3: x is [1, 2))", "Line 3: x is xs[0", "Line 3: x is 1)", "Line 3: x is 1]",
    ),
    UNTERMINATED: ("Line 3: s is 'abc", 'Line 3: s is "abc', "s must be 'a"),
    BAD_LITERAL: ("x is 'a' b'b'", "x is b'a' 'b'", "Line 3: s is 'ab' b'c'"),
    LINE_WITHOUT_NUMBER: (
        "Line: x is 3", "Line x: n is 2", "After line, x is 3", "Line (iteration 2): n is 2",
    ),
    MISSING_COLON: ("Line 3 n is 2", "Line 3 (iteration 2) n is 2", "Line 3 - n is 2"),
    NOT_A_STEP: (
        "Hello world", "The cat sat on the mat", "Let's think step by step",
        "I think the answer is 5", "First, we look at the code", "We are done",
        "Now we look at line 3", "Okay", "It is what it is",
    ),
    PYTHON_IS: ("Line 3: x is None is True", "Line 3: y is x is None"),
    MISSING_BE: ("x must 3", "x must equals 3", "x must greater than 3"),
    UNNAMED_ARGUMENT: ("Call f with 1 and 2", "Call f with 'abc'", "Call f with x, y"),
    INCOMPLETE_EXPRESSION: ("Line 3: x is 1 +", "x must be 2 *", "Line 3: x is not", "x must be -"),
    MISSING_SO: ("Line 2: x = 5, x is 5", "Line 2: x = 5", "Line 3: xs.append(1), xs is [1]"),
    MISSING_COUNT: (
        "Line 3: the loop ends after iterations", "Line 3: iteration begins",
        "Line 6: the loop breaks in iteration", "Line 3: iterations to 5 run the same way",
        "Line 3 (iteration): n is 2",
    ),
    TRAILING_TEXT: ("Line 3: x is 5 because y is 4", "Line 3: x is 5 and so on",
                    "Line 3: x is 5 since y is 4", "Line 3: x is y + 1 since y is 4"),
}

_REGEX_NAMES = {
    "NAME": "a name", "INT": "an integer", "FLOAT": "a float", "IMAG": "an imaginary number",
    "STRING": "a string", "BYTES": "a bytes literal", "LINE_REF": "'Line N'", "CHECK_COLON": "'Check:'",
    "DOT_NAME": "'.name'", "COMP_OP": "a comparison operator", "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/', '//', '%' or '@'", "AUGASSIGN": "an augmented assignment such as '+='",
    "NONEMPTY": "'non-empty'", "$END": "the end of the step",
}


@functools.cache
def _terminal_names(parser: Lark) -> dict[str, str]:
    names: dict[str, str] = {}
    for term in parser.terminals:
        if isinstance(term.pattern, PatternStr):
            names[term.name] = repr(term.pattern.value)
        else:
            names[term.name] = _REGEX_NAMES.get(term.name, term.name.lower())
    names["$END"] = _REGEX_NAMES["$END"]
    return names


def human_name(parser: Lark, terminal: str) -> str:
    """How a terminal of the grammar is named in error messages."""
    return _terminal_names(parser).get(terminal, terminal.lstrip("_").lower())


def _stack_of(err: UnexpectedInput) -> tuple[int, ...]:
    state = getattr(err, "state", None)
    stack = getattr(state, "state_stack", None)
    if stack is not None:
        return tuple(stack)
    position = getattr(state, "position", state)
    return (position,) if isinstance(position, int) else ()


def _token_type(err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedToken):
        return str(err.token.type)
    if isinstance(err, UnexpectedEOF):
        return "$END"
    return "<char>"


def _signatures(err: UnexpectedInput) -> list[tuple[Any, ...]]:
    stack = _stack_of(err)
    tok = _token_type(err)
    top = stack[-1:] if stack else ()
    return [("stack+tok", stack, tok), ("stack", stack), ("top+tok", top, tok), ("top", top)]


@functools.cache
def _example_index(parser: Lark) -> dict[tuple[Any, ...], str]:
    labels: dict[tuple[Any, ...], set[str]] = {}
    for label, examples in ERROR_EXAMPLES.items():
        if label in _TEXTUAL:
            continue
        for example in examples:
            try:
                parser.parse(example)
            except UnexpectedInput as err:
                for sig in _signatures(err):
                    labels.setdefault(sig, set()).add(label)
            except Exception:
                continue
    # a state reached by examples of different labels says nothing
    return {sig: next(iter(found)) for sig, found in labels.items() if len(found) == 1}


_LINE_WITHOUT_NUMBER = re.compile(r"\s*(?:after\s+)?line\b(?!\s*\d)", re.I)
_TEXTUAL = frozenset({LINE_WITHOUT_NUMBER})


def _bracket_problem(text: str) -> bool:
    """True if brackets outside string literals do not balance."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}" and (not stack or stack.pop() != pairs[ch]):
            return True
        i += 1
    return bool(stack)


def _unterminated_string(text: str, pos: int) -> bool:
    """A quote that opens a string (not an apostrophe inside a word) and is never closed."""
    if not (0 <= pos < len(text) and text[pos] in "'\""):
        return False
    if pos > 0 and text[pos - 1].isalpha() and text[pos - 1] not in "rRbBuUfF":
        return False
    return text.count(text[pos], pos) % 2 == 1


def classify(parser: Lark, err: UnexpectedInput, text: str) -> str | None:
    """Label of a Lark parse error on ``text`` (a single step), or ``None``."""
    pos = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedCharacters) and pos is not None and _unterminated_string(
            text, pos):
        return UNTERMINATED
    if _LINE_WITHOUT_NUMBER.match(text):
        return LINE_WITHOUT_NUMBER
    index = _example_index(parser)
    tok = _token_type(err)
    stack = _stack_of(err)
    exact = index.get(("stack+tok", stack, tok)) or index.get(("stack", stack))
    if exact is not None:
        return exact
    if _bracket_problem(text):
        return UNBALANCED
    near = index.get(("top+tok", stack[-1:], tok)) or index.get(("top", stack[-1:]))
    if near is not None:
        return near
    # failing on the first or second word: the line is prose, not a step
    return NOT_A_STEP if len(stack) <= 2 else None


def describe(parser: Lark, err: UnexpectedInput, text: str) -> tuple[str, int, int,
                                                                     frozenset[str], str | None]:
    """Explain a Lark error on ``text``: (message, 1-based column, 0-based offset, expected
    human names, label)."""
    label = classify(parser, err, text)
    if isinstance(err, UnexpectedToken):
        expected_terms: set[str] = set(err.expected)
        if err.token.type == "$END":
            offset = len(text.rstrip())
            found = "the end of the step"
        else:
            offset = err.token.start_pos or 0
            found = repr(str(err.token))
    elif isinstance(err, UnexpectedCharacters):
        expected_terms = set(err.allowed or ())
        offset = err.pos_in_stream or 0
        found = repr(text[offset:offset + 1])
    else:
        expected_terms = set(getattr(err, "expected", ()) or ())
        offset = len(text.rstrip())
        found = "the end of the step"
    expected = frozenset(human_name(parser, t) for t in expected_terms)
    shown = ", ".join(sorted(expected)[:8]) + (", ..." if len(expected) > 8 else "")
    head = label or "unexpected input"
    message = f"{head}: found {found} at column {offset + 1}"
    if shown:
        message += f"; expected {shown}"
    return message, offset + 1, offset, expected, label
