"""The claim compiler on bytes, str.format, keyword arguments, builtins as values and mutating
method calls: for each feature a true claim decided TRUE and a false one FALSE, and the
reference evaluator giving the same value.

Expressions are parsed by the narration grammar (``Line 1: v is EXPR.``), so the claim builder's
keyword arguments are exercised too.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codecot.claims import expr as E
from codecot.claims import parse_step, render_expr
from codecot.claims.literals import literal_expr
from codecot.claims.model import StateClaim
from codecot.claims.reference import NotInSubset, TooExpensive, evaluate
from codecot.solver import (
    PyType,
    Truth,
    Unsupported,
    compile_expr,
    decide_expr,
    encode,
    fresh,
    infer,
    parse_tag,
)


def parse(src: str) -> E.Expr:
    claim = parse_step(f"Line 1: v is {src}.")
    assert isinstance(claim, StateClaim)
    return claim.chain[0]


def decide(src: str, env: dict[str, Any], value: Any) -> Truth:
    claim = E.Compare(parse(src), ("==",), (literal_expr(value),))
    return decide_expr(claim, {k: encode(v) for k, v in env.items()}).truth


def check(src: str, env: dict[str, Any], value: Any, wrong: Any) -> None:
    """``src == value`` is TRUE, ``src == wrong`` FALSE, and the reference gives ``value``."""
    before = copy.deepcopy(env)
    assert decide(src, env, value) is Truth.TRUE, (src, value)
    assert decide(src, env, wrong) is Truth.FALSE, (src, wrong)
    got = evaluate(parse(src), env)
    assert got == value and type(got) is type(value), (src, got)
    assert env == before  # nothing evaluated changes the caller's values


ENV: dict[str, Any] = {
    "s": "héllo", "b": b"ab,c\xff", "a": 7, "f": 3.14159, "ws": ["ccc", "a", "Bb"],
    "d": {"a": 1, "b": 3, "c": 2},
}

# --- bytes --------------------------------------------------------------------------------

BYTES_CASES = [
    ("s.encode()", b"h\xc3\xa9llo", b"hello"),
    ("s.encode('latin-1')", b"h\xe9llo", b"h\xc3\xa9llo"),
    ("b + b'!'", b"ab,c\xff!", b"ab,c\xff"),
    ("b * 2", b"ab,c\xffab,c\xff", b"ab,c\xff"),
    ("len(b)", 5, 4),
    ("b[0]", 97, 98),
    ("b[-1]", 255, 97),
    ("b[1:3]", b"b,", b"ab"),
    ("b'\\xff' in b", True, False),
    ("b < b'b'", True, False),
    ("b == 'ab,c'", False, True),
    ("b.decode('latin-1')", "ab,cÿ", "ab,c"),
    ("b[:4].decode()", "ab,c", "ab"),
    ("b.hex()", "61622c63ff", "6162"),
    ("b.upper()", b"AB,C\xff", b"ab,c\xff"),
    ("b.split(b',')", [b"ab", b"c\xff"], [b"ab,c\xff"]),
    ("b.rsplit(b',', 1)", [b"ab", b"c\xff"], [b"ab,c\xff"]),
    ("b.replace(b'a', b'o')", b"ob,c\xff", b"ab,c\xff"),
    ("b.startswith(b'ab')", True, False),
    ("b.find(b'c')", 3, -1),
    ("b.count(b'a')", 1, 0),
    ("b' x '.strip()", b"x", b" x "),
    ("b'x'.center(5, b'*')", b"**x**", b"x"),
    ("b.partition(b',')", (b"ab", b",", b"c\xff"), (b"ab,c\xff", b"", b"")),
    ("b.removeprefix(b'ab')", b",c\xff", b"ab,c\xff"),
    ("b'a\\nb'.splitlines()", [b"a", b"b"], [b"a\nb"]),
    ("b.translate(None, b'a,')", b"bc\xff", b"ab,c\xff"),
    ("b'-'.join([b'a', b'b'])", b"a-b", b"ab"),
    ("b'12'.isdigit()", True, False),
    ("b'ab cd'.title()", b"Ab Cd", b"ab cd"),
    ("b'7'.zfill(3)", b"007", b"7"),
    ("b'aB'.swapcase()", b"Ab", b"aB"),
    ("bytes([104, 105])", b"hi", b"ih"),
    ("bytes(2)", b"\x00\x00", b""),
    ("bytes('é', 'utf-8')", b"\xc3\xa9", b"\xe9"),
    ("str(b'\\xe9', encoding='latin-1')", "é", "éé"),
    ("bytes.fromhex('ff00')", b"\xff\x00", b"\xff"),
]


@pytest.mark.parametrize(("src", "value", "wrong"), BYTES_CASES)
def test_bytes_operations(src: str, value: Any, wrong: Any) -> None:
    check(src, ENV, value, wrong)


@pytest.mark.parametrize("src", ["b + 'x'", "b[10]", "b.decode()", "bytes(-1)", "b.nope()"])
def test_bytes_operations_python_rejects_are_false(src: str) -> None:
    # b + 'x': TypeError; b[10]: IndexError; b.decode(): b'\xff' is no UTF-8; bytes(-1): ValueError
    assert decide(src, ENV, b"") is Truth.FALSE
    with pytest.raises(Exception) as info:
        evaluate(parse(src), ENV)
    assert not isinstance(info.value, NotInSubset | TooExpensive)


@pytest.mark.parametrize("src", ["b * 1000000", "bytes(10 ** 9)", "s.encode('rot13')",
                                 "str(b, 'rot13')", "bytes(s, encoding='idna')",
                                 "b'x'.center(10 ** 9)", "b % 3"])
def test_bytes_operations_too_large_or_unsafe_are_unknown(src: str) -> None:
    assert decide(src, ENV, b"") is Truth.UNKNOWN
    with pytest.raises((NotInSubset, TooExpensive)):
        evaluate(parse(src), ENV)


def test_bytes_type_tags_and_literals() -> None:
    assert infer(b"x") == PyType("bytes") == parse_tag("bytes")
    assert parse_tag("list[bytes]") == PyType("list", (PyType("bytes"),))
    assert encode(b"\xff", "bytes").py == b"\xff"
    with pytest.raises(Unsupported):
        encode(b"x", "str")
    # a non-ASCII bytes literal survives render -> parse and the reference evaluator
    lit = E.Const(b"\xff\x00'\"")
    assert parse(render_expr(lit)) == lit
    assert evaluate(parse(render_expr(lit)), {}) == b"\xff\x00'\""


def test_bytes_with_a_symbolic_operand_are_unsupported() -> None:
    s, n = fresh("s", "str"), fresh("n", "int")
    env = {"s": s, "n": n, "b": encode(b"ab")}
    for left, right in (("s.encode()", "b'a'"), ("b * n", "b'abab'"), ("s in b", "True")):
        claim = E.Compare(parse(left), ("==",), (parse(right),))
        assert decide_expr(claim, env).truth is Truth.UNKNOWN, left
    # bytes never equal a str, whatever its value
    assert decide_expr(E.Compare(E.Name("b"), ("==",), (E.Name("s"),)), env).truth is Truth.FALSE


# --- str.format and keyword arguments -------------------------------------------------------

FORMAT_CASES = [
    ("'{} {}'.format(a, s)", "7 héllo", "7héllo"),
    ("'{0}{1}{0}'.format(a, 'x')", "7x7", "7x"),
    ("'{:>5}'.format(a)", "    7", "7    "),
    ("'{:.2f}'.format(f)", "3.14", "3.142"),
    ("'{:03d}'.format(a)", "007", "7"),
    ("'{name}:{n}'.format(name=s, n=3)", "héllo:3", "héllo:4"),
    ("'{name}!'.format(name=s)", "héllo!", "héllo"),
    ("'{0[1]}-{k}'.format(ws, k=a)", "a-7", "ccc-7"),
    ("sorted(ws, key=len)", ["a", "Bb", "ccc"], ["ccc", "a", "Bb"]),
    ("sorted(ws, key=len, reverse=True)", ["ccc", "Bb", "a"], ["a", "Bb", "ccc"]),
    ("max(ws, key=len)", "ccc", "a"),
    ("min(d, key=d.get)", "a", "c"),
    ("max(d, key=d.get)", "b", "c"),
    ("sorted(ws, key=str.lower)", ["a", "Bb", "ccc"], ["Bb", "a", "ccc"]),
    ("s.split(sep='l', maxsplit=1)", ["hé", "lo"], ["hé", "", "o"]),
    ("int('ff', base=16)", 255, 15),
    ("sum([1, 2], start=10)", 13, 3),
    ("list(enumerate('ab', start=1))", [(1, "a"), (2, "b")], [(0, "a"), (1, "b")]),
]


@pytest.mark.parametrize(("src", "value", "wrong"), FORMAT_CASES)
def test_format_and_keyword_arguments(src: str, value: Any, wrong: Any) -> None:
    check(src, ENV, value, wrong)


@pytest.mark.parametrize("src", ["'{}{}'.format(a)", "'{x}'.format(y=1)", "'{'.format(a)",
                                 "len(ws, key=len)", "sorted(ws, key=len, key=len)",
                                 "sorted(ws, key=a)"])
def test_format_and_keywords_python_rejects_are_false(src: str) -> None:
    assert decide(src, ENV, "") is Truth.FALSE


@pytest.mark.parametrize("src", ["'{0.real}'.format(a)", "'{:>999999999}'.format(a)",
                                 "'{:{w}}'.format(a, w=3)", "('{}' * 5000).format(s * 90000)"])
def test_format_reading_attributes_or_too_large_is_unknown(src: str) -> None:
    assert decide(src, ENV, "") is Truth.UNKNOWN


def test_keyword_arguments_parse_render_and_hold_free_names() -> None:
    tree = parse("f(x, no=3, key=str.lower)")
    assert tree == E.Call("f", (E.Name("x"),), (("no", E.Const(3)),
                                                 ("key", E.Attribute(E.Name("str"), "lower"))))
    assert render_expr(tree) == "f(x, no=3, key=str.lower)"
    assert E.free_names(tree) == {"x", "str"}
    method = parse("'{n}'.format(n=y)")
    assert method == E.MethodCall(E.Const("{n}"), "format", (), (("n", E.Name("y")),))
    assert E.free_names(method) == {"y"}
    # existing positional-only trees keep comparing equal
    assert E.Call("len", (E.Name("x"),)) == E.Call("len", (E.Name("x"),), ())


def test_keyword_arguments_with_symbolic_operands_are_unsupported() -> None:
    ws = fresh("ws", "list[str]")
    claim = E.Compare(parse("sorted(ws, key=len)"), ("==",), (literal_expr(["a"]),))
    assert decide_expr(claim, {"ws": ws}).truth is Truth.UNKNOWN
    assert decide_expr(claim, {"ws": encode(["a"])}).truth is Truth.TRUE


# --- builtins as values, methods of builtin types -------------------------------------------

BUILTIN_CASES = [
    ("str.maketrans('ab', 'xy')", {97: 120, 98: 121}, {97: 120, 98: 122}),
    ("str.maketrans('ab', 'xy', 'c')", {97: 120, 98: 121, 99: None}, {97: 120, 98: 121}),
    ("str.maketrans({'a': '1'})", {97: "1"}, {"a": "1"}),
    ("'abcab'.translate(str.maketrans('ab', 'xy'))", "xycxy", "abcab"),
    ("'abcab'.translate(str.maketrans('ab', 'xy', 'c'))", "xyxy", "xycxy"),
    ("'abc'.translate(str.maketrans({'a': '11'}))", "11bc", "1bc"),
    ("'abc'.translate({97: None, 98: 'B'})", "Bc", "aBc"),
    ("str.upper(s)", "HÉLLO", "héllo"),
    ("str.join('-', ws)", "ccc-a-Bb", "cccaBb"),
    ("dict.fromkeys('ab', 0)", {"a": 0, "b": 0}, {"a": 0}),
    ("bytes.maketrans(b'a', b'b')[97]", 98, 97),
    ("sorted(d.values())", [1, 2, 3], [1, 3, 2]),
]


@pytest.mark.parametrize(("src", "value", "wrong"), BUILTIN_CASES)
def test_methods_of_builtin_types(src: str, value: Any, wrong: Any) -> None:
    check(src, ENV, value, wrong)


def test_a_program_variable_wins_over_the_builtin_of_its_name() -> None:
    env = {"str": "abc", "len": 3, "ws": ["bb", "a"]}
    check("str.upper()", env, "ABC", "abc")
    check("len + 1", env, 4, 3)
    check("sorted(ws, key=len)", {"ws": ["bb", "a"]}, ["a", "bb"], ["bb", "a"])
    # `len` is a variable here (an int): Python's sorted raises TypeError
    assert decide("sorted(ws, key=len)", env, ["a", "bb"]) is Truth.FALSE


def test_builtins_as_values_compare_like_python() -> None:
    check("len == len", {}, True, False)
    check("str.lower == str.lower", {}, True, False)
    check("len != abs", {}, True, False)
    assert decide("str(len)", {}, "<built-in function len>") is Truth.UNKNOWN


@pytest.mark.parametrize("src", ["str.upper(3)", "str.nope(s)", "len.nope", "s.nope",
                                 "dict.fromkeys(3)"])
def test_missing_or_misapplied_methods_are_false(src: str) -> None:
    assert decide(src, ENV, "") is Truth.FALSE
    with pytest.raises((TypeError, AttributeError)):
        evaluate(parse(src), ENV)


def test_builtins_as_values_checked_like_written_calls() -> None:
    # a key function runs through the same size checks as the call written out
    assert decide("max([10 ** 9], key=bytes)", {}, 10**9) is Truth.UNKNOWN
    with pytest.raises(TooExpensive):
        evaluate(parse("max([10 ** 9], key=bytes)"), {})
    assert decide("str.center('x', 10 ** 9)", {}, "") is Truth.UNKNOWN


def test_builtins_with_symbolic_operands_are_unsupported() -> None:
    s = fresh("s", "str")
    claim = E.Compare(parse("str.upper(s)"), ("==",), (E.Const("AB"),))
    assert decide_expr(claim, {"s": s}).truth is Truth.UNKNOWN


# --- mutating method calls ------------------------------------------------------------------

MUTATION_CASES: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("nums.pop(1)", {"nums": [4, 5, 6]}, 5, 6),
    ("nums.pop()", {"nums": [4, 5, 6]}, 6, 4),
    ("a.pop() + a.pop()", {"a": [1, 2, 3]}, 5, 6),  # last + second-to-last
    ("[a.pop(), a.pop(), a]", {"a": [1, 2, 3]}, [3, 2, [1]], [3, 3, [1, 2]]),
    ("a + [a.pop()]", {"a": [1, 2]}, [1, 2], [1, 2, 2]),  # `a` is the same list the pop changes
    ("len(a) + a.pop()", {"a": [1, 2]}, 4, 3),
    ("d.popitem()", {"d": {"a": 1, "b": 2}}, ("b", 2), ("a", 1)),
    ("d.setdefault('k', [])", {"d": {"a": 1}}, [], None),
    ("d.setdefault('a', 5)", {"d": {"a": 1}}, 1, 5),
    ("[d.setdefault('k', 0), d]", {"d": {"a": 1}}, [0, {"a": 1, "k": 0}], [0, {"a": 1}]),
    ("d.pop('z', 0)", {"d": {"a": 1}}, 0, 1),
    ("d.pop('a') + len(d)", {"d": {"a": 1}}, 1, 2),
    ("lst.remove(2)", {"lst": [1, 2]}, None, 2),
    ("lst.append(3)", {"lst": [1, 2]}, None, [1, 2, 3]),
    ("[lst.append(3), lst]", {"lst": [1, 2]}, [None, [1, 2, 3]], [None, [1, 2]]),
    ("lst.insert(0, 9) or lst", {"lst": [1, 2]}, [9, 1, 2], [1, 2, 9]),
    ("lst.extend('ab') or lst", {"lst": [1]}, [1, "a", "b"], [1, "ab"]),
    ("lst.sort(reverse=True) or lst", {"lst": [1, 3, 2]}, [3, 2, 1], [1, 2, 3]),
    ("lst.sort(key=str) or lst", {"lst": [10, 9]}, [10, 9], [9, 10]),
    ("lst.reverse() or lst", {"lst": [1, 2]}, [2, 1], [1, 2]),
    ("lst.clear() or lst", {"lst": [1, 2]}, [], [1, 2]),
    ("s.add(3) or s", {"s": {1}}, {1, 3}, {1}),
    ("s.discard(1) or s", {"s": {1, 2}}, {2}, {1, 2}),
    ("s.update([4]) or len(s)", {"s": {1}}, 2, 1),
    ("s.pop()", {"s": {7}}, 7, 8),
    ("d.update({'b': 2}) or d", {"d": {"a": 1}}, {"a": 1, "b": 2}, {"a": 1}),
    ("d.update(b=2) or d", {"d": {"a": 1}}, {"a": 1, "b": 2}, {"a": 1}),
    ("d['x'].append(1) or d", {"d": {"x": []}}, {"x": [1]}, {"x": []}),
    ("grid[0][1:].pop()", {"grid": [[1, 2, 3]]}, 3, 2),
    ("[3, 1].pop()", {}, 1, 3),
    ("sorted(a).pop()", {"a": [3, 1, 2]}, 3, 2),
    ("stack.pop() if stack else None", {"stack": [1]}, 1, None),
]


@pytest.mark.parametrize(("src", "env", "value", "wrong"), MUTATION_CASES)
def test_mutating_calls_give_python_values(src: str, env: dict[str, Any], value: Any,
                                           wrong: Any) -> None:
    check(src, env, value, wrong)


@pytest.mark.parametrize(("src", "env"), [
    ("nums.pop(10)", {"nums": [1]}),           # IndexError
    ("lst.remove(99)", {"lst": [1]}),          # ValueError
    ("d.popitem()", {"d": {}}),                # KeyError
    ("s.remove(5)", {"s": {1}}),               # KeyError
    ("t.pop()", {"t": (1, 2)}),                # AttributeError: tuples do not mutate
    ("s.pop()", {"s": set()}),                 # KeyError
])
def test_mutating_calls_python_rejects_are_false(src: str, env: dict[str, Any]) -> None:
    assert decide(src, env, 1) is Truth.FALSE


@pytest.mark.parametrize(("src", "env"), [
    ("s.pop()", {"s": {1, 2}}),                       # which element depends on the set's history
    ("(a if c else b).pop()", {"a": [1], "b": [2], "c": True}),  # no variable holds the receiver
    ("max(a, b).pop()", {"a": [1], "b": [2]}),
    ("list.append(a, 1)", {"a": [1]}),
])
def test_mutations_the_compiler_cannot_place_are_unknown(src: str, env: dict[str, Any]) -> None:
    assert decide(src, env, 1) is Truth.UNKNOWN
    with pytest.raises(NotInSubset):
        evaluate(parse(src), env)


def test_compiling_a_mutation_leaves_the_callers_values_alone() -> None:
    env = {"nums": encode([4, 5, 6]), "d": encode({"k": [1]})}
    claim = E.Compare(parse("nums.pop(1) + d['k'].pop()"), ("==",), (E.Const(6),))
    first = decide_expr(claim, env)
    second = decide_expr(claim, env)  # the same encoded values, shared as the trace view does
    assert first.truth is second.truth is Truth.TRUE
    assert env["nums"].py == [4, 5, 6] and env["d"].py == {"k": [1]}
    value = compile_expr(parse("[nums.pop(), nums.pop(), nums]"), env)
    assert value.py == [6, 5, [4]] and env["nums"].py == [4, 5, 6]


def test_mutations_with_symbolic_operands_are_unsupported() -> None:
    nums, i = fresh("nums", "list[int]"), fresh("i", "int")
    claim = E.Compare(parse("nums.pop(i)"), ("==",), (E.Const(5),))
    assert decide_expr(claim, {"nums": nums, "i": i}).truth is Truth.UNKNOWN
    assert decide_expr(claim, {"nums": encode([4, 5]), "i": i}).truth is Truth.UNKNOWN
    assert decide_expr(claim, {"nums": encode([4, 5]), "i": encode(1)}).truth is Truth.TRUE


def test_mutation_roots_are_the_receivers_variables() -> None:
    assert E.mutation_roots(parse("a.pop() + b[0].append(1) + c.count(1) + d[1:].sort()")) == {
        "a", "b", "d"}
    assert E.mutation_roots(parse("f(x=a.pop())")) == {"a"}
    assert E.mutation_roots(parse("sorted(a).pop()")) == frozenset()


# --- identity --------------------------------------------------------------------------------

def test_is_between_values_stays_unknown_except_none_and_bools() -> None:
    env = {"a": encode([1]), "b": encode([1]), "n": encode(None), "t": encode(True)}
    assert decide_expr(parse("(a is b)"), env).truth is Truth.UNKNOWN
    assert decide_expr(parse("(n is None)"), env).truth is Truth.TRUE
    assert decide_expr(parse("(t is False)"), env).truth is Truth.FALSE


# --- random mutation sequences: the compiler agrees with the reference -----------------------

_STEPS = ["a.pop()", "a.pop(0)", "len(a)", "a.append(k)", "a.remove(k)", "a.insert(1, k)",
          "a.count(k)", "a[0]", "a[-1:]", "d.pop(k, None)", "d.setdefault(k, len(a))",
          "d.popitem()", "sorted(d)", "d.get(k)", "a.sort(reverse=True)", "a.extend(a)"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_STEPS), min_size=1, max_size=4),
       st.lists(st.integers(-3, 3), max_size=4), st.integers(-3, 3),
       st.dictionaries(st.integers(-3, 3), st.integers(-3, 3), max_size=3))
def test_random_mutation_sequences_agree_with_the_reference(
        steps: list[str], a: list[int], k: int, d: dict[int, int]) -> None:
    src = "[" + ", ".join(steps) + ", a, d]"
    env = {"a": a, "k": k, "d": d}
    before = copy.deepcopy(env)
    try:
        expected: Any = evaluate(parse(src), env)
    except (NotInSubset, TooExpensive):
        return
    except Exception:
        assert decide(src, env, None) is Truth.FALSE  # Python raises: the claim is false
        return
    assert env == before
    assert decide(src, env, expected) is Truth.TRUE, (src, env, expected)
    assert env == before
