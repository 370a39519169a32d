"""Fuzzing the narration parser: grammar-generated steps, random text, very long lines."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from lark.lexer import PatternStr

from codecot.claims import errors, parse_step
from codecot.claims.errors import StepParseError
from codecot.claims.grammar import load_grammar
from codecot.claims.model import Claim
from codecot.claims.parse import _fast_parser, _parser

GRAMMAR = Lark(load_grammar(), parser="lalr", lexer="contextual")
_KEYWORD_RE = re.compile(r"[^\W\d]\w*")
KEYWORDS = {t.pattern.value.lower() for t in GRAMMAR.terminals
            if isinstance(t.pattern, PatternStr) and _KEYWORD_RE.fullmatch(t.pattern.value)}
SAFE_NAMES = ["x", "y", "total", "text_list", "is_ok", "line", "é", "n2", "_tmp", "Value"]
assert not {n.lower() for n in SAFE_NAMES} & KEYWORDS

# Labels a grammatical step may still get: checks made after the parse.
SEMANTIC = {errors.NOT_A_TRUTH_VALUE, errors.BAD_ANSWER, errors.BAD_RETURNS, errors.UNSUPPORTED,
            errors.BAD_LITERAL, errors.CONFLICTING_ITERATION, errors.TOO_DEEP}

_floats = st.floats(min_value=0, allow_infinity=False, allow_nan=False).map(repr).filter(
    lambda s: re.fullmatch(r"\d[\d_]*\.\d[\d_]*([eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+", s)
    is not None)
_REGEX_TERMINALS: dict[str, st.SearchStrategy[str]] = {
    "NAME": st.sampled_from(SAFE_NAMES),
    "DOT_NAME": st.sampled_from(SAFE_NAMES).map(lambda n: "." + n),
    "INT": st.one_of(st.integers(0, 10**20).map(str), st.sampled_from(["0x1f", "0b101", "1_000"])),
    "FLOAT": _floats,
    "IMAG": st.sampled_from(["2j", "1.5J", "1e3j"]),
    "BYTES": st.one_of(st.binary(max_size=4).map(repr), st.sampled_from(["rb'\\d'", 'B"x"'])),
    "STRING": st.one_of(st.text(max_size=6).map(repr), st.binary(max_size=4).map(repr),
                        st.sampled_from(["r'\\d'", "'\\N{BULLET}'", "b'\\x00'"])),
    "LINE_REF": st.integers(0, 999).map(lambda n: f"Line {n}"),
    "CHECK_COLON": st.sampled_from(["Check:", "Verify:", "checking :"]),
    "NONEMPTY": st.sampled_from(["non-empty", "nonempty"]),
    "COMP_OP": st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    "ADD_OP": st.sampled_from(["+", "-"]),
    "MUL_OP": st.sampled_from(["*", "/", "//", "%"]),
    "AUGASSIGN": st.sampled_from(["+=", "-=", "*=", "//=", "|="]),
}


def _explicit() -> dict[str, st.SearchStrategy[str]]:
    out: dict[str, st.SearchStrategy[str]] = {}
    for term in GRAMMAR.terminals:
        if term.name in _REGEX_TERMINALS:
            base = _REGEX_TERMINALS[term.name]
        elif isinstance(term.pattern, PatternStr):
            value = term.pattern.value
            base = st.sampled_from([value, value.capitalize()]) if value.isalpha() else st.just(
                value)
        else:
            base = st.just(" ")  # the %ignore'd whitespace
        out[term.name] = base.map(lambda s: f" {s} ")
    return out


grammatical_steps = from_lark(GRAMMAR, explicit=_explicit())


_FUZZ_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


def check_grammatical(text: str) -> None:
    """A grammatical step parses, or fails only a check made after parsing."""
    try:
        claim = parse_step(text)
    except StepParseError as err:
        assert err.label in SEMANTIC, (text, err.message)
    else:
        assert isinstance(claim, Claim)


def check_fast_agrees(text: str) -> None:
    """The fast driver and Lark's own loop build the same draft (or both fail)."""
    step = text.strip()
    results: list[object] = []
    for parser in (_fast_parser(), _parser()):
        try:
            draft: Any = parser.parse(step)
            results.append(_nan_safe((draft.cls, draft.fields, draft.line, draft.iteration,
                                      draft.modality, draft.code_start, draft.code_end)))
        except Exception as err:  # a syntax or a semantic error
            results.append(type(err).__name__ == "SemanticError")
    if isinstance(results[0], str):
        assert results[0] == results[1], step


def _nan_safe(value: object) -> str:
    return repr(value).replace(repr(math.nan), "nan")


# Generating from a grammar this size is slow in hypothesis: few examples by default, many in
# the slow run.
@settings(max_examples=25, deadline=None, suppress_health_check=_FUZZ_HEALTH)
@given(grammatical_steps)
def test_grammar_generated_steps_parse(text: str) -> None:
    check_grammatical(text)
    check_fast_agrees(text)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=_FUZZ_HEALTH)
@given(grammatical_steps)
def test_grammar_generated_steps_parse_many(text: str) -> None:
    check_grammatical(text)
    check_fast_agrees(text)


WORDS = ["Line", "3", ":", "is", "x", "must", "be", "the", "loop", "(", ")", "[", "]", "'a'",
         ",", "so", "=", "==", "+", "returns", "iteration", "not", "in", ".", "\u00e9", "\x00",
         "\t", "'", '"', "\\", "lambda", "for", "if", "else", "{", "}", "**", "-", "1.5e"]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
                 st.lists(st.sampled_from(WORDS), max_size=25).map("".join)))
def test_only_step_parse_errors_escape(text: str) -> None:
    try:
        parse_step(text)
    except StepParseError as err:
        assert isinstance(err.message, str) and err.column >= 1
        assert 0 <= err.pos <= len(text)


@pytest.mark.parametrize("text", [
    "x is '" + "a" * 100_000 + "'",
    "x is [" + ", ".join(["1"] * 30_000) + "]",
    "x is " + " + ".join(["1"] * 30_000),
    "x is " + "(" * 50_000 + "1" + ")" * 50_000,
    "x is " + "[" * 50_000,
    "x is " + "-" * 100_000 + "1",
    "Line 1: " + "a" * 100_000 + " is 1",
    "\x00" * 100_000,
    "'" * 100_000,
    "x is 1\n" * 10,
])
def test_very_long_lines(text: str) -> None:
    try:
        claim = parse_step(text)
    except StepParseError as err:
        assert err.column >= 1
    else:
        assert isinstance(claim, Claim)
