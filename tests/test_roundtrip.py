"""claims -> render -> parse gives back the same claims (hypothesis-generated)."""

from __future__ import annotations

import ast
import dataclasses
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codecot.claims import parse_step
from codecot.claims.expr import (
    BINARY_OPERATORS,
    COMPARISON_OPERATORS,
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    DictExpr,
    Expr,
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
from codecot.claims.render import render_claim, render_expr, variant_count

# Names include words that are keywords somewhere in the language: the renderer must guard them.
TRICKY = ["line", "is_ok", "the", "so", "then", "now", "even", "empty", "iteration", "call",
          "must", "we", "let", "after", "this", "given", "choose", "at", "more", "odd", "be"]
NAMES = st.sampled_from(["x", "y", "text", "xs", "n", "total", "d", "value", "é", *TRICKY])
FUNCS = st.sampled_from(["f", "g", "len", "sorted", "max", "helper", "set", "list", "call",
                         "the"])
METHODS = st.sampled_from(["upper", "join", "get", "append", "split", "is_x", "then"])

ints = st.integers(min_value=-10**30, max_value=10**30)
floats = st.one_of(st.floats(allow_nan=False), st.just(math.nan), st.just(-0.0))
scalars = st.one_of(ints, floats, st.text(max_size=8), st.binary(max_size=6), st.booleans(),
                    st.none(), st.floats(min_value=0, max_value=1e6).map(lambda v: complex(0, v)))
hashables = st.one_of(ints, st.text(max_size=4), st.binary(max_size=3), st.booleans(), st.none())
consts = st.one_of(scalars.map(Const), st.frozensets(hashables, max_size=3).map(Const))


def _no_fold_neg(operand: Expr) -> bool:
    value = operand.value if isinstance(operand, Const) else None
    return not (isinstance(value, int | float | complex) and not isinstance(value, bool))


def _keywords(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[tuple[tuple[str, Expr], ...]]:
    """Keyword arguments (mostly none), named with keyword-like words too (``f(no=3)``)."""
    names = st.one_of(NAMES, st.sampled_from(["no", "key", "reverse"]))
    return st.one_of(st.just(()), st.lists(st.tuples(names, children), max_size=2,
                                           unique_by=lambda kv: kv[0]).map(tuple))


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    small = st.lists(children, max_size=3).map(tuple)
    return st.one_of(
        st.builds(UnaryOp, st.just("not"), children),
        st.builds(UnaryOp, st.just("+"), children),
        children.filter(_no_fold_neg).map(lambda e: UnaryOp("-", e)),
        st.builds(BinOp, st.sampled_from(BINARY_OPERATORS), children, children),
        st.builds(BoolOp, st.sampled_from(["and", "or"]),
                  st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.lists(st.tuples(st.sampled_from(COMPARISON_OPERATORS), children), min_size=1,
                 max_size=2).flatmap(lambda pairs: children.map(lambda left: Compare(
                     left, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))),
        st.builds(IfExp, children, children, children),
        st.builds(Index, children, children),
        st.builds(Slice, children, st.none() | children, st.none() | children,
                  st.none() | children),
        st.builds(Call, FUNCS, small, _keywords(children)),
        st.builds(MethodCall, children, METHODS, small, _keywords(children)),
        st.builds(Attribute, children, METHODS),
        st.builds(ListExpr, small),
        st.builds(TupleExpr, small),
        st.builds(SetExpr, st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.lists(st.tuples(children, children), max_size=2).map(
            lambda kv: DictExpr(tuple(k for k, _ in kv), tuple(v for _, v in kv))),
    )


exprs: st.SearchStrategy[Expr] = st.recursive(st.one_of(NAMES.map(Name), consts), _extend,
                                              max_leaves=8)
lines = st.none() | st.integers(min_value=0, max_value=500)
iterations = st.none() | st.integers(min_value=1, max_value=10**4)
exc_types = st.sampled_from(["ValueError", "ZeroDivisionError", "json.JSONDecodeError"])
bindings = st.lists(st.tuples(NAMES.filter(lambda n: n != "no"), exprs), max_size=3).map(tuple)
codes = st.none() | st.sampled_from(["x = 1", "xs.append(v)", "a, b = b, a + b", "total += n",
                                     "ys = [y * 2 for y in xs if y]", "d['k'] = d.get('k', 0)"])
calls = st.one_of(st.builds(Call, FUNCS, st.lists(exprs, max_size=3).map(tuple), _keywords(exprs)),
                  st.builds(MethodCall, exprs, METHODS, st.lists(exprs, max_size=2).map(tuple),
                            _keywords(exprs)))

POSITION = {"line": lines, "iteration": iterations}
claims: st.SearchStrategy[Claim] = st.one_of(
    st.builds(CallClaim, func=FUNCS, args=bindings, **POSITION),
    st.builds(StateClaim, target=exprs, chain=st.lists(exprs, min_size=1, max_size=3).map(tuple),
              code=codes, **POSITION),
    st.builds(ConditionClaim, condition=exprs, truth=st.booleans(),
              taken=st.none() | st.booleans(), **POSITION),
    st.builds(LoopIterClaim, bindings=bindings, line=lines,
              iteration=st.integers(min_value=0, max_value=99)),
    st.builds(LoopSkipClaim, first=st.integers(0, 99), last=st.integers(0, 99), **POSITION),
    st.builds(LoopEndClaim, iterations=st.integers(0, 99),
              how=st.sampled_from(["exhausted", "break"]), **POSITION),
    st.builds(CallResultClaim, call=calls, value=exprs, **POSITION),
    st.builds(ReturnClaim, expr=st.none() | exprs, value=exprs, func=st.none() | FUNCS,
              **POSITION),
    st.builds(RaiseClaim, exc_type=exc_types, **POSITION),
    st.builds(CatchClaim, exc_type=exc_types, **POSITION),
    st.builds(AnswerClaim, call=exprs, value=exprs, **POSITION),
    st.builds(GoalClaim, call=exprs, value=exprs, **POSITION),
    st.builds(CheckClaim, call=exprs, value=exprs, **POSITION),
    st.builds(InputClaim, args=st.lists(exprs, max_size=3).map(tuple), **POSITION),
    st.builds(ConditionOnInputClaim, condition=exprs,
              modality=st.sampled_from([Modality.NECESSARY, Modality.CONDITIONAL,
                                        Modality.CHOICE]), **POSITION),
)


def _bare(claim: Claim) -> Claim:
    return dataclasses.replace(claim, index=0, span=(0, 0), text="")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims, st.integers(min_value=0, max_value=20))
def test_render_then_parse_is_identity(claim: Claim, variant: int) -> None:
    text = render_claim(claim, variant)
    parsed = parse_step(text)
    assert _bare(parsed) == claim, text


@settings(max_examples=100, deadline=None)
@given(claims)
def test_every_variant_parses_back(claim: Claim) -> None:
    for variant in range(variant_count(claim)):
        text = render_claim(claim, variant)
        assert _bare(parse_step(text)) == claim, text


@pytest.mark.parametrize("call", [Call("the", ()), Call("now", ()), Call("f", (Name("the"),))])
def test_an_answer_whose_call_starts_with_a_keyword_parses_back(call: Expr) -> None:
    # hypothesis found `Therefore the() if nan else x returns {}.`: after "Therefore", as
    # after "So", `the` reads as the start of "the answer is"
    claim = AnswerClaim(call=call, value=Const(3))
    for variant in range(variant_count(claim)):
        text = render_claim(claim, variant)
        assert _bare(parse_step(text)) == claim, text


# ---- render_expr agrees with Python's own precedence ----------------------------------------

py_names = st.sampled_from(["x", "y", "text", "xs", "line", "the"])
py_consts = st.one_of(st.integers(-1000, 1000), st.text(max_size=4),
                      st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                      st.none(), st.binary(max_size=3)).map(Const)
py_exprs: st.SearchStrategy[Expr] = st.recursive(st.one_of(py_names.map(Name), py_consts),
                                                 _extend, max_leaves=8)

_BIN = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv,
        "%": ast.Mod, "**": ast.Pow}
_CMP = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
        "in": ast.In, "not in": ast.NotIn, "is": ast.Is, "is not": ast.IsNot}


def to_ast(e: Any) -> ast.expr:
    """Python's tree for an expression tree (test oracle; frozenset constants excluded)."""
    if isinstance(e, Const):
        v = e.value
        if isinstance(v, frozenset):
            inner = [to_ast(Const(i)) for i in v]
            return ast.Call(ast.Name("frozenset", ast.Load()),
                            [ast.Set(inner)] if inner else [], [])
        if isinstance(v, int | float) and not isinstance(v, bool) and (
                v < 0 or math.copysign(1.0, v) < 0):
            return ast.UnaryOp(ast.USub(), ast.Constant(-v))
        return ast.Constant(v)
    if isinstance(e, Name):
        return ast.Name(e.id, ast.Load())
    if isinstance(e, UnaryOp):
        op = {"not": ast.Not, "-": ast.USub, "+": ast.UAdd}[e.op]()
        return ast.UnaryOp(op, to_ast(e.operand))
    if isinstance(e, BinOp):
        return ast.BinOp(to_ast(e.left), _BIN[e.op](), to_ast(e.right))
    if isinstance(e, BoolOp):
        return ast.BoolOp(ast.And() if e.op == "and" else ast.Or(),
                          [to_ast(o) for o in e.operands])
    if isinstance(e, Compare):
        return ast.Compare(to_ast(e.left), [_CMP[o]() for o in e.ops],
                           [to_ast(c) for c in e.comparators])
    if isinstance(e, IfExp):
        return ast.IfExp(to_ast(e.test), to_ast(e.body), to_ast(e.orelse))
    if isinstance(e, Index):
        return ast.Subscript(to_ast(e.value), to_ast(e.index), ast.Load())
    if isinstance(e, Slice):
        parts = [None if p is None else to_ast(p) for p in (e.lower, e.upper, e.step)]
        return ast.Subscript(to_ast(e.value), ast.Slice(*parts), ast.Load())
    if isinstance(e, Call):
        return ast.Call(ast.Name(e.func, ast.Load()), [to_ast(a) for a in e.args],
                        [ast.keyword(k, to_ast(v)) for k, v in e.kwargs])
    if isinstance(e, MethodCall):
        return ast.Call(ast.Attribute(to_ast(e.receiver), e.method, ast.Load()),
                        [to_ast(a) for a in e.args],
                        [ast.keyword(k, to_ast(v)) for k, v in e.kwargs])
    if isinstance(e, Attribute):
        return ast.Attribute(to_ast(e.value), e.attr, ast.Load())
    if isinstance(e, ListExpr):
        return ast.List([to_ast(i) for i in e.items], ast.Load())
    if isinstance(e, TupleExpr):
        return ast.Tuple([to_ast(i) for i in e.items], ast.Load())
    if isinstance(e, SetExpr):
        return ast.Set([to_ast(i) for i in e.items])
    if isinstance(e, DictExpr):
        return ast.Dict([to_ast(k) for k in e.keys], [to_ast(v) for v in e.values])
    raise AssertionError(e)


@settings(max_examples=300, deadline=None)
@given(py_exprs)
def test_render_expr_matches_python_precedence(expr: Expr) -> None:
    source = render_expr(expr)
    assert ast.dump(ast.parse(source, mode="eval").body) == ast.dump(to_ast(expr)), source


def test_render_examples() -> None:
    assert render_expr(BinOp("*", BinOp("+", Name("a"), Const(1)), Const(2))) == "(a + 1) * 2"
    assert render_expr(BinOp("**", Const(-2), Const(2))) == "(-2) ** 2"
    assert render_expr(UnaryOp("-", BinOp("**", Name("x"), Const(2)))) == "-x ** 2"
    assert render_expr(TupleExpr((Const(1),))) == "(1,)"
    assert render_expr(Const(float("inf"))) == "inf"
    assert render_expr(Const(1e-05)) == "1e-05"
    assert render_expr(Const("it's")) == '"it\'s"'
    assert render_expr(Attribute(Const(1), "real")) == "(1).real"
    claim = StateClaim(line=3, target=Name("then"), chain=(Name("now"),))
    assert render_claim(claim) == "Line 3: (then) is (now)."
    assert render_claim(LoopEndClaim(line=3, iterations=1)) == (
        "Line 3: the loop ends after 1 iteration.")
    assert render_claim(ConditionOnInputClaim(
        condition=Compare(Name("x"), (">=",), (Const(3),)), modality=Modality.NECESSARY)) == (
        "x must be at least 3.")
