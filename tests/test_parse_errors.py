"""Error messages: every example in the table gets its label, a column and a message."""

from __future__ import annotations

import pytest

from codecot.claims import errors, parse_step
from codecot.claims.errors import ERROR_EXAMPLES, StepParseError

TABLE = [(label, example) for label, examples in ERROR_EXAMPLES.items() for example in examples]


@pytest.mark.parametrize(("label", "example"), TABLE, ids=[e for _, e in TABLE])
def test_table_example_gets_its_label(label: str, example: str) -> None:
    with pytest.raises(StepParseError) as info:
        parse_step(example)
    err = info.value
    assert err.label == label
    assert 1 <= err.column <= len(example) + 1
    assert err.message.startswith(label)
    assert err.text == example


# Steps that are not in the table: the labels must generalise to them.
HELD_OUT = [
    ("Line 7: total is", errors.MISSING_VALUE_IS, 17),
    ("y must be", errors.MISSING_VALUE_BE, 10),
    ("Line 3: y is [1, 2, 3", errors.UNBALANCED, 22),
    ("Line 9: s is 'hello", errors.UNTERMINATED, 14),
    ("Line: total is 5", errors.LINE_WITHOUT_NUMBER, 5),
    ("Line 2 total is 5", errors.MISSING_COLON, 8),
    ("The quick brown fox", errors.NOT_A_STEP, 5),
    ("z must be bigger than 5", errors.UNKNOWN_RELATION, 18),
    ("Line 3: q is a is b", errors.PYTHON_IS, 16),
    ("Call g with 5", errors.UNNAMED_ARGUMENT, 13),
    ("Line 3: x is 2 -", errors.INCOMPLETE_EXPRESSION, 17),
    ("Line 5: y = 3, y is 3", errors.MISSING_SO, 18),
    ("y must 5", errors.MISSING_BE, 8),
    ("Let's go", errors.NOT_A_STEP, 4),
]


@pytest.mark.parametrize(("example", "label", "column"), HELD_OUT,
                         ids=[e for e, _, _ in HELD_OUT])
def test_held_out_examples(example: str, label: str, column: int) -> None:
    with pytest.raises(StepParseError) as info:
        parse_step(example)
    assert info.value.label == label
    assert info.value.column == column


def test_expected_names_are_human() -> None:
    with pytest.raises(StepParseError) as info:
        parse_step("Line 3: n is")
    assert "a name" in info.value.expected
    assert "an integer" in info.value.expected
    assert not any(name.startswith("_") or name.isupper() for name in info.value.expected)


def test_column_and_pos_account_for_numbering_and_offset() -> None:
    with pytest.raises(StepParseError) as info:
        parse_step("  3. Line 3: n is", index=2, offset=100)
    err = info.value
    assert err.column == len("  3. Line 3: n is") + 1
    assert err.pos == 100 + len("  3. Line 3: n is")
    assert err.span == (105, 117) and err.index == 2


def test_explain_false_is_cheap_and_bare() -> None:
    with pytest.raises(StepParseError) as info:
        parse_step("Hello world", explain=False)
    assert info.value.label is None and info.value.column == 1


def test_semantic_error_labels() -> None:
    cases = {
        "Line 4: n is 3, so the branch is taken": errors.NOT_A_TRUTH_VALUE,
        "So f(1)": errors.BAD_ANSWER,
        "Line 5: x + 1 returns 3": errors.BAD_RETURNS,
        "x is [y for y in z]": errors.UNSUPPORTED,
        "Line 3 (iteration 2): iteration 3 begins": errors.CONFLICTING_ITERATION,
        "x is '\\x4'": errors.BAD_LITERAL,
    }
    for text, label in cases.items():
        with pytest.raises(StepParseError) as info:
            parse_step(text)
        assert info.value.label == label, text


def test_too_deep() -> None:
    with pytest.raises(StepParseError) as info:
        parse_step("x is " + "[" * 150 + "1" + "]" * 150)
    assert info.value.label == errors.TOO_DEEP
    with pytest.raises(StepParseError):
        parse_step("x is " + "-" * 3000 + "y")
