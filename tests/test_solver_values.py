"""The value layer: encode -> term -> decode round trips, fresh values, type tags, contexts."""

from __future__ import annotations

import math
import threading

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from codecot.solver import (
    PyType,
    Truth,
    Unsupported,
    check_sat,
    decode,
    encode,
    encode_env,
    fresh,
    infer,
    parse_tag,
    raw,
)
from codecot.solver.context import ctx
from codecot.solver.semantics import equal, to_term
from codecot.solver.values import MAX_CODE_POINT, string_term

z3_text = st.text(st.characters(max_codepoint=MAX_CODE_POINT, exclude_categories=()), max_size=12)
floats = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(st.integers(), st.booleans(), floats, z3_text)


def same(a: object, b: object) -> bool:
    """Equality that treats nan as equal to nan and tells -0.0 from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b


def round_trip(value: object) -> object:
    v = encode(value)
    return decode(z3.simplify(v.term), v.type)


@given(scalars)
@settings(max_examples=300)
def test_scalar_round_trip(value: object) -> None:
    assert same(round_trip(value), value)


@given(
    st.one_of(
        st.lists(st.integers()),
        st.lists(floats),
        st.lists(z3_text),
        st.lists(st.booleans()),
        st.lists(st.lists(st.integers())),
        st.lists(st.tuples(st.integers(), z3_text)),
    )
)
@settings(max_examples=200, deadline=None)
def test_list_round_trip(value: list[object]) -> None:
    assert same(round_trip(value), value)


@given(st.tuples(st.integers(), z3_text, floats, st.lists(st.integers())))
@settings(max_examples=100)
def test_tuple_round_trip_through_its_items(value: tuple[object, ...]) -> None:
    v = encode(value)
    decoded = tuple(decode(z3.simplify(item.term), item.type) for item in v.items)
    assert same(decoded, value)


@given(st.dictionaries(z3_text, st.integers(), max_size=5))
@settings(max_examples=50)
def test_dicts_are_concrete_only(value: dict[str, int]) -> None:
    v = encode(value)
    assert v.py == value and str(v.type).startswith("dict[")
    with pytest.raises(Unsupported):
        _ = v.term


def test_special_floats_keep_their_bits() -> None:
    for x in (-0.0, 0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308):
        assert same(round_trip(x), x)
    assert math.isnan(round_trip(math.nan))  # type: ignore[arg-type]


def test_strings_are_exact_code_points() -> None:
    for s in ("\\u{41}", "a\\b", "\x00\n", "héllo", "\U0002ffff", "\ud800"):
        assert round_trip(s) == s
        assert z3.simplify(z3.Length(string_term(s))).as_long() == len(s)
    with pytest.raises(Unsupported):
        string_term("\U00030000")


def test_type_tags_parse_and_print() -> None:
    for tag in (
        "int",
        "list[int]",
        "list[]",
        "tuple[int, str]",
        "dict[str, list[int]]",
        "list[int | str]",
        "set[int]",
        "tuple[]",
    ):
        assert str(parse_tag(tag)) == tag
    assert infer([1, "a"]) == PyType("list", (parse_tag("int | str"),))
    assert infer([[1], []]) == parse_tag("list[list[int]]")
    with pytest.raises(Unsupported):
        parse_tag("object:Foo")


def test_encode_with_a_tag_widens_empty_lists() -> None:
    assert str(encode([], "list[int]").type) == "list[int]"
    with pytest.raises(Unsupported):
        encode([1], "list[str]")


@pytest.mark.parametrize(
    "tag, value",
    [
        ("int", -12),
        ("str", "héllo"),
        ("float", 0.1),
        ("list[int]", [3, 1, 2]),
        ("list[str]", ["a", ""]),
        ("tuple[int, str]", (1, "x")),
        ("bool", True),
    ],
)
def test_fresh_values_take_model_values(tag: str, value: object) -> None:
    x = fresh("x", tag)
    target = encode(value, tag)
    eq, _ = equal(x, target)
    d = check_sat([to_term(eq)], symbols={"x": x})
    assert d.truth is Truth.TRUE
    assert same(d.model["x"], value)  # type: ignore[index]


def test_fresh_list_with_fixed_length_has_element_constants() -> None:
    xs = fresh("xs", "list[int]", length=3)
    assert z3.simplify(z3.Length(xs.term)).as_long() == 3
    assert {str(k) for k in z3.z3util.get_vars(xs.term)} == {"xs[0]", "xs[1]", "xs[2]"}


def test_each_thread_has_its_own_context() -> None:
    results: list[object] = []

    def work() -> None:
        results.append(round_trip([1, 2, 3]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[1, 2, 3]] * 4


def test_encode_env_marks_unencodable_variables_opaque() -> None:
    env = encode_env({"x": 1, "o": object(), "xs": []}, {"xs": "list[int]", "o": "object:T"})
    assert env["x"].py == 1 and str(env["xs"].type) == "list[int]"
    assert env["o"].type.kind == "opaque"


# ---- direct C-API term building (codecot.solver.raw) ----------------------------------------

_OPS = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}


@settings(max_examples=60, deadline=None)
@given(st.integers(-10**30, 10**30), st.integers(-5, 5), st.sampled_from(sorted(_OPS)))
def test_raw_int_compare_builds_what_z3_builds(a: int, b: int, op: str) -> None:
    c = ctx().z3
    x, y = z3.IntVal(a, c), z3.IntVal(b, c)
    term = raw.int_compare(op, x, y)
    assert term.eq(_OPS[op](x, y))
    assert raw.simplified_truth(term) is _OPS[op](a, b)


def test_raw_terms_match_the_z3_wrappers() -> None:
    c = ctx().z3
    p, q, r = z3.Bools("p q r", c)
    s, t = z3.String("s", c), z3.StringVal("ab", c)
    assert raw.and_terms([p, q, r]).eq(z3.And(p, q, r))
    assert raw.not_term(p).eq(z3.Not(p))
    assert raw.same_sort_eq(s, t).eq(s == t)
    n, m = z3.Int("n", c), z3.Int("m", c)
    assert raw.int_compare("<", n, z3.IntVal(3, c)).eq(n < 3)
    assert raw.int_arith("+", n, m).eq(n + m)
    assert raw.int_arith("-", n, m).eq(n - m)
    assert raw.int_arith("*", n, m).eq(n * m)
    assert raw.int_arith("/", n, m).eq(n / m)
    assert raw.int_neg(n).eq(-n)
    assert raw.same_sort(n, m) and raw.same_sort(s, t)
    assert not raw.same_sort(n, s) and not raw.same_sort(n, z3.Real("r", c))


def test_simplified_truth_decides_ground_terms_only() -> None:
    c = ctx().z3
    n, s = z3.Int("n", c), z3.String("s", c)
    assert raw.simplified_truth(z3.IntVal(2, c) + 2 == 4) is True
    assert raw.simplified_truth(z3.StringVal("", c) < z3.StringVal("1", c)) is True
    assert raw.simplified_truth(z3.Concat(z3.StringVal("a", c), z3.StringVal("b", c))
                                == z3.StringVal("ba", c)) is False
    assert raw.simplified_truth(n > 0) is None
    assert raw.simplified_truth(n == n) is True
    # simplify does not reason: unsatisfiable or valid but non-ground terms stay undecided
    assert raw.simplified_truth(z3.And(n > 0, n < 0)) is None
    assert raw.simplified_truth(z3.Length(s) >= 0) is None


def test_symbolic_list_equals_a_list_holding_none_item_by_item() -> None:
    """``got == ['a', None]`` with ``got`` a symbolic list[str] of known length: decided item by
    item (a str never equals None) instead of refused; the backward engine used to fail on it."""
    xs = fresh("xs", "list[str]", length=2)
    with_none = encode(["a", None])
    eq, _ = equal(xs, with_none)
    assert check_sat([to_term(eq)], symbols={"xs": xs}).truth is Truth.FALSE  # never equal
    shorter, _ = equal(fresh("ys", "list[str]", length=1), with_none)
    assert check_sat([to_term(shorter)], symbols={}).truth is Truth.FALSE
    assert equal(encode(["a", None]), encode(["a", None]))[0] is True
    assert equal(encode(["a", None]), encode(("a", None)))[0] is False  # a list is no tuple
    same_strs, _ = equal(xs, encode(["a", "b"]))
    d = check_sat([to_term(same_strs)], symbols={"xs": xs})
    assert d.truth is Truth.TRUE and d.model["xs"] == ["a", "b"]  # type: ignore[index]
