"""Valid steps of the narration language: exact claims for every claim kind and wording."""

from __future__ import annotations

import dataclasses
import logging
import math
import pickle
from typing import Any

import pytest
from lark import Lark, logger

from codecot.claims import parse_rationale, parse_step
from codecot.claims.errors import StepParseError
from codecot.claims.expr import (
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    DictExpr,
    IfExp,
    Index,
    ListExpr,
    MethodCall,
    Name,
    SetExpr,
    Slice,
    TupleExpr,
    UnaryOp,
)
from codecot.claims.grammar import build_parser, grammar_path, load_grammar
from codecot.claims.literals import decode_string, literal_expr
from codecot.claims.model import (
    AnswerClaim,
    CallClaim,
    CallResultClaim,
    CatchClaim,
    CheckClaim,
    Claim,
    ConditionClaim,
    ConditionOnInputClaim,
    GoalClaim,
    InputClaim,
    LoopEndClaim,
    LoopIterClaim,
    LoopSkipClaim,
    Modality,
    RaiseClaim,
    ReturnClaim,
    StateClaim,
)
from codecot.claims.parse import (
    CACHE_MAX_CHARS,
    _fast_parser,
    _parser,
    cache_hits,
    clear_cache,
)

N, C = Name, Const
NEC, COND, CHOICE = Modality.NECESSARY, Modality.CONDITIONAL, Modality.CHOICE


def eq(left: object, right: object) -> Compare:
    return Compare(left, ("==",), (right,))  # type: ignore[arg-type]


CALL_F = Call("f", (C("bcksrut"), C("q")))
JOIN = MethodCall(C(""), "join", (N("text_list"),))

VALID: list[tuple[str, Claim]] = [
    # call
    ("Call f with text = 'bcksrut' and value = 'q'.",
     CallClaim(func="f", args=(("text", C("bcksrut")), ("value", C("q"))))),
    ("Call f with no arguments.", CallClaim(func="f", args=())),
    ("Call f with a = 1, b = 2 and c = 3", CallClaim(func="f", args=(
        ("a", C(1)), ("b", C(2)), ("c", C(3))))),
    ("We call f with a = 1, b = 2, and c = 3.", CallClaim(func="f", args=(
        ("a", C(1)), ("b", C(2)), ("c", C(3))))),
    ("Calling g with xs = [1, -2].", CallClaim(func="g", args=(
        ("xs", ListExpr((C(1), C(-2)))),))),
    # state
    ("Line 3 (iteration 2): n is 2.", StateClaim(line=3, iteration=2, target=N("n"),
                                                 chain=(C(2),))),
    ("Line 2: text_list = list(text), so text_list is ['b', 'c'].",
     StateClaim(line=2, target=N("text_list"), chain=(ListExpr((C("b"), C("c"))),),
                code="text_list = list(text)")),
    ("Line 3: text_list.append(value), so text_list is ['q'].",
     StateClaim(line=3, target=N("text_list"), chain=(ListExpr((C("q"),)),),
                code="text_list.append(value)")),
    ("Line 5: total becomes 2 + 4 = 6.", StateClaim(line=5, target=N("total"), chain=(
        BinOp("+", C(2), C(4)), C(6)))),
    ("Line 5: total is now 6.", StateClaim(line=5, target=N("total"), chain=(C(6),))),
    ("Line 5: total equals 6", StateClaim(line=5, target=N("total"), chain=(C(6),))),
    ("After line 5, total is now 6.", StateClaim(line=5, target=N("total"), chain=(C(6),))),
    ("After line 5 (iteration 3), total becomes 6.", StateClaim(
        line=5, iteration=3, target=N("total"), chain=(C(6),))),
    ("Line 5 (iteration 50): total is 1275.", StateClaim(line=5, iteration=50,
                                                        target=N("total"), chain=(C(1275),))),
    ("Line 5: total += n, so total is 6.", StateClaim(line=5, target=N("total"), chain=(C(6),),
                                                      code="total += n")),
    ("Line 2: a, b = b, a + b, so a is 1.", StateClaim(line=2, target=N("a"), chain=(C(1),),
                                                       code="a, b = b, a + b")),
    ("Line 2: ys = sorted(xs, key=lambda x: -x), so ys is [3].", StateClaim(
        line=2, target=N("ys"), chain=(ListExpr((C(3),)),),
        code="ys = sorted(xs, key=lambda x: -x)")),
    ("Line 2: ys = [x for x in xs if x], so len(ys) is 0.", StateClaim(
        line=2, target=Call("len", (N("ys"),)), chain=(C(0),),
        code="ys = [x for x in xs if x]")),
    ("In iteration 4: x is 1.", StateClaim(iteration=4, target=N("x"), chain=(C(1),))),
    ("Line 3: flag is True.", StateClaim(line=3, target=N("flag"), chain=(C(True),))),
    ("x is 5", StateClaim(target=N("x"), chain=(C(5),))),
    # condition
    ("Line 4: n % 2 == 0 is True, so the branch is taken.", ConditionClaim(
        line=4, condition=eq(BinOp("%", N("n"), C(2)), C(0)), truth=True, taken=True)),
    ("Line 4: n % 2 == 0 is False, so the branch is skipped.", ConditionClaim(
        line=4, condition=eq(BinOp("%", N("n"), C(2)), C(0)), truth=False, taken=False)),
    ("Line 4: n % 2 == 0 is True.", ConditionClaim(
        line=4, condition=eq(BinOp("%", N("n"), C(2)), C(0)), truth=True)),
    ("Line 3: i < 5 is True, so the loop continues.", ConditionClaim(
        line=3, condition=Compare(N("i"), ("<",), (C(5),)), truth=True, taken=True)),
    ("Line 3: i < 5 is False, so the loop stops.", ConditionClaim(
        line=3, condition=Compare(N("i"), ("<",), (C(5),)), truth=False, taken=False)),
    ("Line 4: flag is True, so we enter the branch", ConditionClaim(
        line=4, condition=N("flag"), truth=True, taken=True)),
    ("Line 4: the condition flag is False.", ConditionClaim(
        line=4, condition=N("flag"), truth=False)),
    ("Line 4: (x is None) is True, so the branch runs.", ConditionClaim(
        line=4, condition=Compare(N("x"), ("is",), (C(None),)), truth=True, taken=True)),
    ("Line 4: not seen is False, so the branch is not taken.", ConditionClaim(
        line=4, condition=UnaryOp("not", N("seen")), truth=False, taken=False)),
    # loops
    ("Line 3: iteration 2 of the loop begins with n = 2.", LoopIterClaim(
        line=3, iteration=2, bindings=(("n", C(2)),))),
    ("Line 3: iteration 2 begins.", LoopIterClaim(line=3, iteration=2)),
    ("Line 3: iteration 1 starts with i = 0 and c = 'a'.", LoopIterClaim(
        line=3, iteration=1, bindings=(("i", C(0)), ("c", C("a"))))),
    ("Line 3: iterations 4 to 49 run the same way.", LoopSkipClaim(line=3, first=4, last=49)),
    ("Line 3: iterations 4 through 49 run the same way.", LoopSkipClaim(
        line=3, first=4, last=49)),
    ("Line 3: iterations 4 to 49 are similar.", LoopSkipClaim(line=3, first=4, last=49)),
    ("Line 3: the loop ends after 3 iterations.", LoopEndClaim(line=3, iterations=3)),
    ("Line 3: the loop ends after 1 iteration.", LoopEndClaim(line=3, iterations=1)),
    ("Line 3: the loop runs 0 times.", LoopEndClaim(line=3, iterations=0)),
    ("Line 6: the loop breaks in iteration 2.", LoopEndClaim(line=6, iterations=2,
                                                             how="break")),
    ("Line 6: we break out of the loop in iteration 2.", LoopEndClaim(
        line=6, iterations=2, how="break")),
    # calls and returns
    ("Line 5: g(3) returns 9.", CallResultClaim(line=5, call=Call("g", (C(3),)), value=C(9))),
    ("Line 4: the function returns ''.join(text_list), which is 'bcksrutq'.", ReturnClaim(
        line=4, expr=JOIN, value=C("bcksrutq"))),
    ("Line 4: f returns 9.", ReturnClaim(line=4, expr=None, value=C(9), func="f")),
    ("Line 7: helper returns 3 to its caller.", ReturnClaim(line=7, expr=None, value=C(3),
                                                            func="helper")),
    ("Line 7: helper returns x + 1, which is 3 to its caller.", ReturnClaim(
        line=7, expr=BinOp("+", N("x"), C(1)), value=C(3), func="helper")),
    ("Line 4 returns 5.", ReturnClaim(line=4, expr=None, value=C(5))),
    ("Line 4 returns x, which is 5.", ReturnClaim(line=4, expr=N("x"), value=C(5))),
    ("The function returns 5.", ReturnClaim(expr=None, value=C(5))),
    # exceptions
    ("Line 4 raises ZeroDivisionError.", RaiseClaim(line=4, exc_type="ZeroDivisionError")),
    ("Line 4: this raises ValueError.", RaiseClaim(line=4, exc_type="ValueError")),
    ("Line 4: this raises json.JSONDecodeError.", RaiseClaim(
        line=4, exc_type="json.JSONDecodeError")),
    ("Line 6: the except clause catches ZeroDivisionError.", CatchClaim(
        line=6, exc_type="ZeroDivisionError")),
    ("Line 6: the except block catches KeyError.", CatchClaim(line=6, exc_type="KeyError")),
    ("Line 6: the exception KeyError is caught.", CatchClaim(line=6, exc_type="KeyError")),
    # answers
    ("So f('bcksrut', 'q') returns 'bcksrutq'.", AnswerClaim(call=CALL_F, value=C("bcksrutq"))),
    ("Therefore f(1) == 'x'.", AnswerClaim(call=Call("f", (C(1),)), value=C("x"))),
    ("The answer is f(1) == 2.", AnswerClaim(call=Call("f", (C(1),)), value=C(2))),
    ("Therefore, the answer is f(1) == 2", AnswerClaim(call=Call("f", (C(1),)), value=C(2))),
    ("Thus f() returns None.", AnswerClaim(call=Call("f", ()), value=C(None))),
    # backward
    ("We need f(text, value) to return 'bcksrutq'.", GoalClaim(
        call=Call("f", (N("text"), N("value"))), value=C("bcksrutq"))),
    ("We want f(x) to return 3", GoalClaim(call=Call("f", (N("x"),)), value=C(3))),
    ("We need f(x) to be 3", GoalClaim(call=Call("f", (N("x"),)), value=C(3))),
    ("Line 4 returns ''.join(text_list), so ''.join(text_list) must be 'bcksrutq'.",
     ConditionOnInputClaim(line=4, modality=NEC, condition=eq(JOIN, C("bcksrutq")))),
    ("text + value must be 'bcksrutq'.", ConditionOnInputClaim(
        modality=NEC, condition=eq(BinOp("+", N("text"), N("value")), C("bcksrutq")))),
    ("len(text) must be 7.", ConditionOnInputClaim(
        modality=NEC, condition=eq(Call("len", (N("text"),)), C(7)))),
    ("x must equal 7", ConditionOnInputClaim(modality=NEC, condition=eq(N("x"), C(7)))),
    ("x must be equal to 7", ConditionOnInputClaim(modality=NEC, condition=eq(N("x"), C(7)))),
    ("x must be greater than 3.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), (">",), (C(3),)))),
    ("x must be more than 3.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), (">",), (C(3),)))),
    ("x must be at least 3", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), (">=",), (C(3),)))),
    ("x must be greater than or equal to 3", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), (">=",), (C(3),)))),
    ("x must be less than 3", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), ("<",), (C(3),)))),
    ("x must be at most 3", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), ("<=",), (C(3),)))),
    ("x must be less than or equal to 3", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), ("<=",), (C(3),)))),
    ("'a' must be in text.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(C("a"), ("in",), (N("text"),)))),
    ("'a' must not be in text.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(C("a"), ("not in",), (N("text"),)))),
    ("text must contain 'a'.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(C("a"), ("in",), (N("text"),)))),
    ("text must not contain 'a'.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(C("a"), ("not in",), (N("text"),)))),
    ("x must not be 0.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), ("!=",), (C(0),)))),
    ("x must be different from 0.", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), ("!=",), (C(0),)))),
    ("x must be even", ConditionOnInputClaim(
        modality=NEC, condition=eq(BinOp("%", N("x"), C(2)), C(0)))),
    ("x must be odd", ConditionOnInputClaim(
        modality=NEC, condition=eq(BinOp("%", N("x"), C(2)), C(1)))),
    ("x must be divisible by 3", ConditionOnInputClaim(
        modality=NEC, condition=eq(BinOp("%", N("x"), C(3)), C(0)))),
    ("x must be positive", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), (">",), (C(0),)))),
    ("x must be negative", ConditionOnInputClaim(
        modality=NEC, condition=Compare(N("x"), ("<",), (C(0),)))),
    ("xs must be empty", ConditionOnInputClaim(
        modality=NEC, condition=eq(Call("len", (N("xs"),)), C(0)))),
    ("xs must be non-empty", ConditionOnInputClaim(
        modality=NEC, condition=Compare(Call("len", (N("xs"),)), (">",), (C(0),)))),
    ("xs must have length 2", ConditionOnInputClaim(
        modality=NEC, condition=eq(Call("len", (N("xs"),)), C(2)))),
    ("s must start with 'ab'", ConditionOnInputClaim(
        modality=NEC, condition=MethodCall(N("s"), "startswith", (C("ab"),)))),
    ("s must end with 'ab'", ConditionOnInputClaim(
        modality=NEC, condition=MethodCall(N("s"), "endswith", (C("ab"),)))),
    ("x must not be greater than 3", ConditionOnInputClaim(
        modality=NEC, condition=UnaryOp("not", Compare(N("x"), (">",), (C(3),))))),
    ("x must satisfy x % 3 == 1.", ConditionOnInputClaim(
        modality=NEC, condition=eq(BinOp("%", N("x"), C(3)), C(1)))),
    ("So x must be 3.", ConditionOnInputClaim(modality=NEC, condition=eq(N("x"), C(3)))),
    ("Line 2: text_list = list(text), so text_list must be ['a'].", ConditionOnInputClaim(
        line=2, modality=NEC, condition=eq(N("text_list"), ListExpr((C("a"),))))),
    ("Then text must be 'bcksrut'.", ConditionOnInputClaim(
        modality=COND, condition=eq(N("text"), C("bcksrut")))),
    ("Then, x must be at least 2.", ConditionOnInputClaim(
        modality=COND, condition=Compare(N("x"), (">=",), (C(2),)))),
    ("Given these choices, text must be 'bcksrut'.", ConditionOnInputClaim(
        modality=COND, condition=eq(N("text"), C("bcksrut")))),
    ("Let value be 'q'.", ConditionOnInputClaim(modality=CHOICE, condition=eq(N("value"), C("q")))),
    ("Let value = 'q'.", ConditionOnInputClaim(modality=CHOICE, condition=eq(N("value"), C("q")))),
    ("Choose value = 'q'.", ConditionOnInputClaim(modality=CHOICE,
                                                  condition=eq(N("value"), C("q")))),
    ("We choose value = 'q'.", ConditionOnInputClaim(modality=CHOICE,
                                                     condition=eq(N("value"), C("q")))),
    ("Choose value to be 'q'.", ConditionOnInputClaim(modality=CHOICE,
                                                      condition=eq(N("value"), C("q")))),
    ("value can be 'q'.", ConditionOnInputClaim(modality=CHOICE,
                                                condition=eq(N("value"), C("q")))),
    ("value could be 'q'.", ConditionOnInputClaim(modality=CHOICE,
                                                  condition=eq(N("value"), C("q")))),
    ("Let x be greater than 3.", ConditionOnInputClaim(
        modality=CHOICE, condition=Compare(N("x"), (">",), (C(3),)))),
    ("Let x satisfy x % 2 == 1.", ConditionOnInputClaim(
        modality=CHOICE, condition=eq(BinOp("%", N("x"), C(2)), C(1)))),
    ("Check: f('bcksrut', 'q') returns 'bcksrutq'.", CheckClaim(call=CALL_F,
                                                                value=C("bcksrutq"))),
    ("Verify: f(1) == 2", CheckClaim(call=Call("f", (C(1),)), value=C(2))),
    ("So the input is 'bcksrut', 'q'.", InputClaim(args=(C("bcksrut"), C("q")))),
    ("The input is 5.", InputClaim(args=(C(5),))),
    ("The input is 5,", InputClaim(args=(C(5),))),
    ("So the input is empty.", InputClaim(args=())),
    ("So the arguments are [1], (2,).", InputClaim(args=(ListExpr((C(1),)),
                                                         TupleExpr((C(2),))))),
]


def strip(claim: Claim) -> Claim:
    import dataclasses
    return dataclasses.replace(claim, index=0, span=(0, 0), text="")


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[t for t, _ in VALID])
def test_valid_step(text: str, expected: Claim) -> None:
    claim = parse_step(text)
    assert type(claim) is type(expected)
    assert strip(claim) == expected
    assert claim.text == text.strip()
    assert claim.span == (0, len(text.strip()))


@pytest.mark.parametrize(("text", "expected"), VALID[:40], ids=[t for t, _ in VALID[:40]])
def test_fast_driver_agrees_with_lark(text: str, expected: Claim) -> None:
    """The table-driven driver and Lark's own LALR loop build identical drafts."""
    fast = _fast_parser().parse(text)
    slow: Any = _parser().parse(text)
    assert (fast.cls, fast.fields, fast.line, fast.iteration, fast.modality) == (
        slow.cls, slow.fields, slow.line, slow.iteration, slow.modality)


def test_kinds_and_directions() -> None:
    kinds = {type(c).kind for _, c in VALID}
    assert kinds == {"call", "state", "condition", "loop_iter", "loop_skip", "loop_end",
                     "call_result", "return", "raise", "catch", "answer", "goal",
                     "requirement", "check", "input"}


EXPRESSIONS: list[tuple[str, object]] = [
    ("1 + 2 * 3", BinOp("+", C(1), BinOp("*", C(2), C(3)))),
    ("(1 + 2) * 3", BinOp("*", BinOp("+", C(1), C(2)), C(3))),
    ("2 ** 3 ** 2", BinOp("**", C(2), BinOp("**", C(3), C(2)))),
    ("-2 ** 2", UnaryOp("-", BinOp("**", C(2), C(2)))),
    ("a - b - c", BinOp("-", BinOp("-", N("a"), N("b")), N("c"))),
    ("a // b % c", BinOp("%", BinOp("//", N("a"), N("b")), N("c"))),
    ("not a == b", UnaryOp("not", eq(N("a"), N("b")))),
    ("a < b <= c", Compare(N("a"), ("<", "<="), (N("b"), N("c")))),
    ("a and b or c", BoolOp("or", (BoolOp("and", (N("a"), N("b"))), N("c")))),
    ("a or b or c", BoolOp("or", (N("a"), N("b"), N("c")))),
    ("(a or b) or c", BoolOp("or", (BoolOp("or", (N("a"), N("b"))), N("c")))),
    ("a if b else c", IfExp(N("b"), N("a"), N("c"))),
    ("xs[1:2]", Slice(N("xs"), C(1), C(2), None)),
    ("xs[::-1]", Slice(N("xs"), None, None, C(-1))),
    ("xs[-1]", Index(N("xs"), C(-1))),
    ("d[1, 2]", Index(N("d"), TupleExpr((C(1), C(2))))),
    ("d.get('a', 0)", MethodCall(N("d"), "get", (C("a"), C(0)))),
    ("', '.join(xs)", MethodCall(C(", "), "join", (N("xs"),))),
    ("s.upper().lower()", MethodCall(MethodCall(N("s"), "upper", ()), "lower", ())),
    ("p.x", Attribute(N("p"), "x")),
    ("x not in y", Compare(N("x"), ("not in",), (N("y"),))),
    ("(x is not None)", Compare(N("x"), ("is not",), (C(None),))),
    ("sorted(xs)[0]", Index(Call("sorted", (N("xs"),)), C(0))),
    ("{1: 'a', 'b': [2]}", DictExpr((C(1), C("b")), (C("a"), ListExpr((C(2),))))),
    ("{1, 2}", SetExpr((C(1), C(2)))),
    ("set()", Call("set", ())),
    ("frozenset({1, 2})", C(frozenset({1, 2}))),
    ("frozenset()", C(frozenset())),
    ("float('inf')", C(math.inf)),
    ("-inf", C(-math.inf)),
    ("line + is_ok", BinOp("+", N("line"), N("is_ok"))),
    ("f(the, so, must)", Call("f", (N("the"), N("so"), N("must")))),
]


@pytest.mark.parametrize(("source", "expected"), EXPRESSIONS, ids=[s for s, _ in EXPRESSIONS])
def test_expression(source: str, expected: object) -> None:
    claim = parse_step(f"Line 1: v is now {source}")
    assert isinstance(claim, StateClaim)
    assert claim.chain == (expected,)


LITERALS = [
    "0", "-7", "123456789012345678901234567890", "0x1F", "0o17", "0b101", "1_000",
    "1.5", "-0.0", "1e-05", "2.5E3", "1e+16", "3j", "1.5e3J",
    "'abc'", '"abc"', "'it\\'s'", '"say \\"hi\\""', "'\\n\\t\\r\\a\\b\\f\\v\\0'",
    "'\\x41\\101\\u00e9\\U0001F600'", "'\\N{GREEK SMALL LETTER ALPHA}'", "'\\q'",
    "'日本語'", "'é'", "r'a\\nb'", "R'\\d+'", "b'abc'", "b'\\x00\\xff\\n'", "B'\\u1234'",
    "rb'\\x00'", "'a' 'b'", "b'a' b'b'", "''", "b''",
    "True", "False", "None", "[]", "()", "(1,)", "(1, 2)", "{}", "{1: 2}", "{1}",
    "[1, [2, (3, {4: None})], 'x']", "[[], ()]",
]


def _python_value(source: str) -> object:
    import ast
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # '\\q' is kept, with a warning
        return ast.literal_eval(source)  # only the test compares with Python's own reading


def _value_of(expr: object) -> object:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, ListExpr):
        return [_value_of(i) for i in expr.items]
    if isinstance(expr, TupleExpr):
        return tuple(_value_of(i) for i in expr.items)
    if isinstance(expr, SetExpr):
        return {_value_of(i) for i in expr.items}
    if isinstance(expr, DictExpr):
        return {_value_of(k): _value_of(v) for k, v in zip(expr.keys, expr.values, strict=True)}
    raise AssertionError(f"not a literal: {expr!r}")


@pytest.mark.parametrize("source", LITERALS)
def test_literal_decoding_matches_python(source: str) -> None:
    claim = parse_step(f"Line 1: v is now {source}")
    assert isinstance(claim, StateClaim)
    value = _value_of(claim.chain[0])
    expected = _python_value(source)
    assert value == expected
    assert type(value) is type(expected)
    assert repr(value) == repr(expected)


def test_special_floats() -> None:
    for source in ("nan", "float('nan')"):
        claim = parse_step(f"x is {source}")
        assert isinstance(claim, StateClaim)
        value = claim.chain[0]
        assert isinstance(value, Const) and math.isnan(value.value)
    assert strip(parse_step("x is nan")) == strip(parse_step("x is float('nan')"))


def test_decode_string_errors() -> None:
    from codecot.claims.literals import LiteralError
    for bad in ("'\\x4'", "'\\N{NO SUCH NAME}'", "b'é'", "'abc\\'", "'\\U00110000'"):
        with pytest.raises(LiteralError):
            decode_string(bad)
    assert decode_string("'\\777'") == "\u01ff"


def test_literal_expr_matches_parser() -> None:
    values = [0, -3, 1.5, -0.0, "a'b", b"\x00", None, True, [1, (2,)], {1: {2}}, set(),
              frozenset({1, 2}), (), {"k": [None]}]
    from codecot.claims.render import render_value
    for value in values:
        claim = parse_step(f"x is now {render_value(value)}")
        assert isinstance(claim, StateClaim)
        assert claim.chain == (literal_expr(value),), value


def test_keywords_are_contextual() -> None:
    claim = parse_step("Line 2: line = 3, so line is 3")
    assert isinstance(claim, StateClaim) and claim.target == N("line")
    claim = parse_step("line must be 'abc'")
    assert isinstance(claim, ConditionOnInputClaim)
    assert claim.condition == eq(N("line"), C("abc"))
    claim = parse_step("is_ok must be True")
    assert isinstance(claim, ConditionOnInputClaim)
    claim = parse_step("Line 3: (then) is now so + must")
    assert isinstance(claim, StateClaim)
    assert claim.target == N("then") and claim.chain == (BinOp("+", N("so"), N("must")),)
    claim = parse_step("LINE 3: N IS 2")
    assert isinstance(claim, StateClaim) and claim.target == N("N")
    with pytest.raises(StepParseError):
        parse_step("then must be 3")  # "then" opens a conditional step


def test_semantic_errors() -> None:
    for bad in ("Line 4: n is 3, so the branch is taken", "So f(1)",
                "Line 5: x + 1 returns 3", "Line 3 (iteration 2): iteration 3 begins",
                "x is [y for y in z]", "x is f(*a)", "x is f'{a}'", "x is 'a' b'b'"):
        with pytest.raises(StepParseError) as info:
            parse_step(bad)
        assert info.value.label is not None
        assert info.value.column >= 1


def test_numbering_and_spans() -> None:
    text = "1. Call f with x = 1.\n\n  2) Line 2: x is now 2\nStep 3: So f(1) returns 2.\n- bad step"
    steps = parse_rationale(text)
    assert [type(s).__name__ for s in steps] == ["CallClaim", "StateClaim", "AnswerClaim",
                                                 "StepParseError"]
    assert [s.index for s in steps] == [0, 1, 2, 3]
    for step in steps:
        start, end = step.span
        assert text[start:end] == step.text
    assert steps[1].text == "Line 2: x is now 2"
    err = steps[3]
    assert isinstance(err, StepParseError)
    assert err.text == "bad step" and text[err.pos:].startswith("step")


def test_step_parse_error_pickles() -> None:
    try:
        parse_step("Line 3: n is", index=4, offset=10)
    except StepParseError as err:
        copy = pickle.loads(pickle.dumps(err))
        assert (copy.message, copy.column, copy.label, copy.index, copy.span) == (
            err.message, err.column, err.label, 4, (10, 22))
    else:
        raise AssertionError("should not parse")


def test_grammar_has_no_conflicts(caplog: pytest.LogCaptureFixture) -> None:
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(load_grammar(), parser="lalr", lexer="contextual", debug=True)
    finally:
        logger.setLevel(logging.WARN)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


def test_grammar_loading() -> None:
    assert grammar_path().name == "narration.lark"
    assert "LINE_REF" in load_grammar()
    tree = build_parser(cache=False).parse("x is 1")
    assert tree.data == "state_or_condition"


# ---- the step cache ------------------------------------------------------------------------


def test_cached_steps_get_their_own_index_span_and_text() -> None:
    clear_cache()
    text = "Line 2: text_list = list(text), so text_list is ['b', 'c']."
    first = parse_step(text, index=0, offset=0)
    hits = cache_hits()
    second = parse_step("  3. " + text + " ", index=7, offset=100)
    assert cache_hits() == hits + 1
    assert isinstance(second, StateClaim)
    assert (second.index, second.span, second.text) == (7, (105, 105 + len(text)), text)
    assert second.code == "text_list = list(text)"
    assert second == StateClaim(index=7, span=(105, 105 + len(text)), line=2,
                                target=N("text_list"), chain=(ListExpr((C("b"), C("c"))),),
                                code="text_list = list(text)")
    assert (first.index, first.span) == (0, (0, len(text)))


@pytest.mark.parametrize(("text", "claim"), VALID)
def test_cache_hits_equal_fresh_parses(text: str, claim: Claim) -> None:
    clear_cache()
    fresh = parse_step(text, index=3, offset=10)
    again = parse_step(text, index=3, offset=10)
    assert again == fresh == _placed(claim, fresh)
    assert again.text == fresh.text


def _placed(claim: Claim, like: Claim) -> Claim:
    return dataclasses.replace(claim, index=like.index, span=like.span)


def test_failed_and_long_steps_are_not_cached() -> None:
    clear_cache()
    bad = "Line 3: total becomes becomes 4."
    for _ in range(2):
        with pytest.raises(StepParseError):
            parse_step(bad)
    long_list = "[" + ", ".join(str(i) for i in range(CACHE_MAX_CHARS)) + "]"
    long_step = f"Line 1: xs is {long_list}."
    assert len(long_step) > CACHE_MAX_CHARS
    one, two = parse_step(long_step), parse_step(long_step)
    assert one == two and isinstance(one, StateClaim)
    assert cache_hits() == 0
