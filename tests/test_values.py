"""Value encoding: reprs equal builtin repr, tags, limits, safety, and the decode round trip."""

from __future__ import annotations

import builtins
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codecot.trace.values import (
    MAX_ELEMENTS,
    MAX_REPR_CHARS,
    decode,
    encode,
    fingerprint,
    same_value,
    type_tag,
    unchanged,
)

NAN = float("nan")
INF = float("inf")

LITERALS = [
    0,
    -1,
    7,
    2**64,
    -(2**100),
    True,
    False,
    None,
    0.0,
    -0.0,
    1.5,
    0.1 + 0.2,
    1e300,
    1e-300,
    NAN,
    INF,
    -INF,
    1j,
    -1j,
    complex(1, 2),
    complex(-0.0, 1),
    complex(0, -INF),
    complex(NAN, NAN),
    complex(1.5, -0.0),
    "",
    "abc",
    "it's",
    'say "hi"',
    "both ' and \"",
    "tab\tnew\nline",
    "\x00\x7f\u1234\U0001f600",
    b"",
    b"abc",
    b"\x00\xff'\"",
    [],
    [1, 2, 3],
    [1, "a", None],
    [[1], [2, [3, []]]],
    [True, 1, 1.0],
    (),
    (1,),
    (1, "a"),
    ((1, 2), (3,)),
    {},
    {"a": 1},
    {1: "x", "y": [2]},
    {(1, 2): {"k": (3,)}},
    set(),
    {1, 2, 3},
    {"a"},
    frozenset(),
    frozenset({1}),
    frozenset({(1, 2)}),
    [NAN, INF, -0.0],
    {"f": [1.5, -INF]},
]


@pytest.mark.parametrize("value", LITERALS, ids=lambda v: repr(v)[:30])
def test_repr_equals_builtin_repr(value: object) -> None:
    text, _ = encode(value)
    assert text == repr(value)


@pytest.mark.parametrize("value", LITERALS, ids=lambda v: repr(v)[:30])
def test_decode_inverts_encode(value: object) -> None:
    text, _ = encode(value)
    back = decode(text)
    assert same_value(back, value) or (isinstance(value, set | frozenset) and back == value)
    assert repr(back) == text


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        (1, "int"),
        (True, "bool"),
        (None, "None"),
        (1.0, "float"),
        ("s", "str"),
        (b"s", "bytes"),
        (1j, "complex"),
        ([], "list[]"),
        ([1, 2], "list[int]"),
        ([1, "a", 2], "list[int | str]"),
        ([True, 1], "list[bool | int]"),
        ([[], [1]], "list[list[int]]"),
        ([[1], ["a"]], "list[list[int] | list[str]]"),
        ((1, "a"), "tuple[int, str]"),
        ((), "tuple[]"),
        ({"a": [1]}, "dict[str, list[int]]"),
        ({1: "a", "b": 2}, "dict[int | str, int | str]"),
        ({}, "dict[]"),
        ({1, 2}, "set[int]"),
        (set(), "set[]"),
        (frozenset({"a"}), "frozenset[str]"),
        (frozenset(), "frozenset[]"),
        ([(1, [2])], "list[tuple[int, list[int]]]"),
    ],
)
def test_type_tags(value: object, tag: str) -> None:
    assert type_tag(value) == tag


class Point:
    def __init__(self) -> None:
        self.x = 1

    def __repr__(self) -> str:  # would hang a naive tracer
        while True:
            pass


class Broken:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class MyInt(int):
    pass


class MyList(list):  # type: ignore[type-arg]
    pass


def test_user_objects_never_run_their_repr() -> None:
    assert encode(Point()) == ("<Point object>", "object:Point")
    assert encode(Broken()) == ("<Broken object>", "object:Broken")
    assert encode([Point(), 1]) == ("[<Point object>, 1]", "list[int | object:Point]")
    assert encode({"p": Broken()}) == ("{'p': <Broken object>}", "dict[str, object:Broken]")


def test_subclasses_of_literal_types_are_objects() -> None:
    assert encode(MyInt(3)) == ("<MyInt object>", "object:MyInt")
    assert encode(MyList([1])) == ("<MyList object>", "object:MyList")
    with pytest.raises(ValueError):
        decode(encode(MyInt(3))[0])


def test_huge_values_become_explicit_markers() -> None:
    assert encode(list(range(100_000))) == ("<omitted list len=100000>", "omitted:list")
    assert encode([0] * (MAX_ELEMENTS + 1))[1] == "omitted:list"
    assert encode([0] * MAX_ELEMENTS)[1] == "list[int]"
    assert encode("x" * (MAX_REPR_CHARS + 1)) == (
        f"<omitted str len={MAX_REPR_CHARS + 1}>",
        "omitted:str",
    )
    assert encode(["x" * 6000, "y" * 6000])[1] == "omitted:list"
    assert encode({i: [i] for i in range(1500)})[1] == "omitted:dict"
    nested = [[i, i] for i in range(1000)]  # 1000 + 2000 elements in all
    assert encode(nested) == ("<omitted list len=1000>", "omitted:list")


def test_huge_ints_are_omitted_not_crashing() -> None:
    text, tag = encode(10**5000)
    assert tag == "omitted:int"
    assert text.startswith("<omitted int bits=")
    assert encode([10**5000])[1] == "omitted:list"
    assert encode(10**4000)[0] == str(10**4000)


def test_recursive_and_deep_containers() -> None:
    loop: list[object] = [1]
    loop.append(loop)
    assert encode(loop) == ("<omitted list recursive>", "omitted:list")
    mapping: dict[str, object] = {}
    mapping["self"] = mapping
    assert encode(mapping)[1] == "omitted:dict"
    deep: list[object] = []
    for _ in range(500):
        deep = [deep]
    assert encode(deep) == ("<omitted list depth>", "omitted:list")
    shared = [1]
    assert encode([shared, shared]) == ("[[1], [1]]", "list[list[int]]")


def _boom(*args: object) -> object:
    raise AssertionError("patched builtin used")


def test_encode_ignores_monkeypatched_builtins() -> None:
    names = ("repr", "len", "type", "isinstance", "str", "sorted", "map", "list", "id")
    saved = {name: getattr(builtins, name) for name in names}
    value = {"a": [1, 2.5, "x"], "b": (None, True), "c": [[1], {2}]}
    try:
        for name in names:
            setattr(builtins, name, _boom)
        result = encode(value)
    finally:
        for name, original in saved.items():
            setattr(builtins, name, original)
    assert result == (
        "{'a': [1, 2.5, 'x'], 'b': (None, True), 'c': [[1], {2}]}",
        "dict[str, list[float | int | str] | list[list[int] | set[int]] | tuple[None, bool]]",
    )


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "f(1)",
        "__import__('os')",
        "[1, ...]",
        "(1).real",
        "lambda: 1",
        "a + b",
        "1 + 2",
        "{**a}",
        "set([1])",
        "frozenset([1])",
        "f'{1}'",
        "[i for i in x]",
        "{[1]}",
        "{[]: 1}",
        "<omitted list len=3>",
        "<Point object>",
        "1; 2",
        "",
    ],
)
def test_decode_rejects_non_literals(text: str) -> None:
    with pytest.raises(ValueError):
        decode(text)


def test_decode_understands_special_names() -> None:
    assert math.isnan(decode("nan"))  # type: ignore[arg-type]
    assert decode("-inf") == -INF
    assert decode("set()") == set()
    assert decode("frozenset({1, 2})") == frozenset({1, 2})
    assert decode("(1-2j)") == complex(1, -2)
    assert decode("[1, (2,), {'a': None}]") == [1, (2,), {"a": None}]


def test_fingerprint_detects_changes() -> None:
    items = list(range(20))
    snap = fingerprint(items, type_tag(items))
    assert snap is not None
    assert unchanged(items, snap)
    items[3] = True  # equal to 1? no: 3 -> True changes value and type
    assert not unchanged(items, snap)
    items[3] = 3
    assert unchanged(items, snap)
    items[0] = 0.0  # == 0 but a different type and repr
    assert not unchanged(items, snap)
    table = {str(i): i for i in range(10)}
    snap = fingerprint(table, type_tag(table))
    assert snap is not None and unchanged(table, snap)
    table["3"] = 3.0
    assert not unchanged(table, snap)
    assert fingerprint([1.5] * 10, "list[float]") is None


# --- property tests ------------------------------------------------------------------------

_hashable = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.floats(allow_nan=False),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.complex_numbers()
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner)
        | st.tuples(inner, inner)
        | st.dictionaries(_hashable, inner, max_size=3)
        | st.sets(_hashable, max_size=3)
        | st.frozensets(_hashable, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_round_trip_property(value: object) -> None:
    text, tag = encode(value)
    assert text == repr(value)
    assert not tag.startswith(("object:", "omitted:"))
    back = decode(text)
    if "set[" not in tag:  # a rebuilt set may iterate in another order
        assert repr(back) == text
    assert same_value(back, value) or back == value


@settings(max_examples=100, deadline=None)
@given(_values)
def test_tag_is_stable_under_decode(value: object) -> None:
    text, tag = encode(value)
    assert type_tag(decode(text)) == tag


def _general(value: object) -> tuple[str, str]:
    """`encode` with the list-of-tuples fast path switched off."""
    import codecot.trace.values as values

    saved = values._tuples
    values._tuples = lambda *args: None  # type: ignore[assignment]
    try:
        return encode(value)
    finally:
        values._tuples = saved


@pytest.mark.parametrize(
    "value",
    [
        [(1, 2, 3), (4, 5, 6)],
        [(1, "a"), (2.5, None), (True,), ()],
        {(1, 2), (3, 4)},
        frozenset({("a", b"b")}),
        [(i, i * i, str(i)) for i in range(600)],  # near MAX_ELEMENTS: 600 + 1800 elements
        [(i, i) for i in range(1500)],  # over MAX_ELEMENTS
        [("x" * 90, i) for i in range(110)],  # near MAX_REPR_CHARS
        [(2**14100, 1)],  # int too long for a repr
        [(1, [2]), (3, [4])],  # not flat: general path only
    ],
    ids=lambda v: repr(v)[:30],
)
def test_list_of_tuples_fast_path_matches_general_path(value: object) -> None:
    text, tag = encode(value)
    assert (text, tag) == _general(value)
    if not tag.startswith("omitted:"):
        assert text == repr(value)


def test_list_of_tuples_tag() -> None:
    assert encode([(1, "a"), (2, "b"), (3, None)]) == (
        "[(1, 'a'), (2, 'b'), (3, None)]",
        "list[tuple[int, None] | tuple[int, str]]",
    )
    assert encode([(i, i) for i in range(1500)])[0] == "<omitted list len=1500>"


def test_list_of_tuples_over_the_char_limit() -> None:
    value = [("x" * 50, i) for i in range(190)]
    assert encode(value) == _general(value) == ("<omitted list len=190>", "omitted:list")
