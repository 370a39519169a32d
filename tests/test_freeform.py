"""Free-form rationales: what the reader finds, and both sides of every check (a true statement
verified, a false one refuted with the truth), alignment by order, and bounded reading."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codecot.claims.freeform import read_freeform
from codecot.corpus import CorpusRecord
from codecot.pipeline.verify_stage import session_factory
from codecot.sandbox import Limits
from codecot.trace.tracer import trace_in_process
from codecot.verify.free_record import format_of, free_plan, free_verdict_record, with_text

FIND = ("def f(text, ch):\n    index = []\n    starting = text.find(ch)\n"
        "    while starting != -1:\n        index.append(starting)\n"
        "        starting = text.find(ch, starting + 1)\n    return index\n")
SUM = ("def f(nums):\n    total = 0\n    count = 0\n    for n in nums:\n        if n > 2:\n"
       "            total += n\n        count += 1\n    return total\n")


def _record(code: str, arg: str, rid: str = "t") -> CorpusRecord:
    trace = trace_in_process(code, arg, "f", id=rid)
    assert trace["ok"], trace["error"]
    return CorpusRecord(id=rid, code=code, input=arg, output=trace["output"], entry="f")


def check(code: str, arg: str, text: str, direction: str = "forward",
          backward: Any = None) -> dict[str, Any]:
    rec = _record(code, arg)
    p = free_plan({"id": "t", "direction": direction, "narrator": "test", "text": text}, rec)
    traces = [trace_in_process(code, s, "f", id="t") for s in p.inputs]
    return free_verdict_record(p, traces, backward=backward)


def verdicts(out: dict[str, Any]) -> list[str]:
    return [s["verdict"] for s in out["steps"]]


def assert_both_sides(code: str, arg: str, true_text: str, false_text: str) -> None:
    """Every statement read from ``true_text`` is verified; one from ``false_text`` is refuted."""
    good = check(code, arg, true_text)
    assert good["steps"] and all(v == "verified" for v in verdicts(good)), good["steps"]
    bad = check(code, arg, false_text)
    assert "refuted" in verdicts(bad), bad["steps"]


def test_the_issues_example_flags_the_wrong_working() -> None:
    text = ("- `index` is initialized to `[]`.\n"
            "- The condition `starting != -1` is now `False` (0 != -1), so the loop terminates.\n"
            "[ANSWER]\nassert f('abca', 'a') == [0, 3]\n[/ANSWER]")
    out = check(FIND, "'abca', 'a'", text)
    by_sentence: dict[str, list[dict[str, Any]]] = {}
    for s in out["steps"]:
        by_sentence.setdefault(s["text"], []).append(s)
    first, second, answer = by_sentence.values()
    assert [s["verdict"] for s in first] == ["verified"]
    assert "refuted" in [s["verdict"] for s in second]
    details = " ".join(s["detail"] for s in second)
    assert "starting is -1 there, not 0" in details
    assert "0 != -1 is True, not False" in details
    assert [s["verdict"] for s in answer] == ["verified"]
    assert out["accepted"] is False  # right answer, wrong step: rejected under the free policy
    assert out["format"] == "free" and out["sentences"] == 3 and out["coverage"] == 1.0
    assert all(out["text"][a:b] == s["text"] for s in out["steps"] for a, b in [s["span"]])


@pytest.mark.parametrize(("true_text", "false_text", "detail"), [
    ("`total` is initialized to `0`.", "`total` is initialized to `1`.", "total is 0 there, not 1"),
    ("After the loop, total becomes 7.", "After the loop, total becomes 8.", "total is"),
    ("In the first iteration, n is 3 and total is 3.", "In the first iteration, n is 3 and total is 4.",
     "not 4 (in iteration 1)"),
    ("**Iteration 2**:\n- `n` is `1`.\n- `count` is `2`.", "**Iteration 2**:\n- `n` is `1`.\n- `count` is `3`.",
     "count is 2 there, not 3"),
    ("The condition `n > 2` is `True` (3 > 2).", "The condition `n > 2` is `True` (3 < 2).",
     "3 < 2 is False, not True"),
    ("`len(nums)` is `3`.", "`len(nums)` is `4`.", "len(nums) is 3 there, not 4"),
    ("The loop runs 3 times.", "The loop runs 4 times.", "runs 3 iterations, not 4"),
    ("`count` is incremented by 1 (to 2).", "`count` is incremented by 2.", "by 2"),
    ("The function returns `total`, which is `7`.", "The function returns `total`, which is `9`.",
     "returns 7, not 9"),
    ("The output is `7`.", "The output is `8`.", "returns 7, not 8"),
    ("We compute `3 + 4 = 7`.", "We compute `3 + 4 = 8`.", "3 + 4 is 7 there, not 8"),
    ("f is called with `nums = [3, 1, 4]`.", "f is called with `nums = [3, 1, 5]`.",
     "at the call, nums is [3, 1, 4], not [3, 1, 5]"),
    ("| n | total |\n|---|---|\n| 4 | 7 |", "| n | total |\n|---|---|\n| 4 | 6 |", "not 6 (where n is 4)"),
    ("`n > 2` -> `3 > 2` -> `True`", "`n > 2` -> `3 > 2` -> `False`", "is True, not False"),
    ("[ANSWER]\nassert f([3, 1, 4]) == 7\n[/ANSWER]", "[ANSWER]\nassert f([3, 1, 4]) == 6\n[/ANSWER]",
     "returns 7, not 6"),
])
def test_statement_true_verified_false_refuted(true_text: str, false_text: str, detail: str) -> None:
    good = check(SUM, "[3, 1, 4]", true_text)
    assert good["steps"] and all(v == "verified" for v in verdicts(good)), good["steps"]
    bad = check(SUM, "[3, 1, 4]", false_text)
    refuted = [s for s in bad["steps"] if s["verdict"] == "refuted"]
    assert refuted, bad["steps"]
    assert any(detail in s["detail"] for s in refuted), refuted


def test_order_is_kept_and_an_earlier_value_is_not_refuted() -> None:
    text = "`total` becomes `7`.\n`total` is `0`."
    out = check(SUM, "[3, 1, 4]", text)
    assert verdicts(out) == ["verified", "unknown"]  # true earlier: the order rules it out
    looks_back = check(SUM, "[3, 1, 4]", "`total` becomes `7`.\nInitially, `total` was `0`.")
    assert verdicts(looks_back) == ["verified", "verified"]


def test_what_cannot_be_placed_is_unknown_never_refuted() -> None:
    code = "def f(xs):\n    x = 0\n    ys = [x * 2 for x in xs]\n    return sum(ys) + x\n"
    out = check(code, "[1, 2]", "`x` is `5`.\n`zz` is `3`.\nIn the ninth iteration, `ys` is `[]`.")
    assert verdicts(out) == ["unknown", "unknown", "unknown"]
    assert "comprehension" in out["steps"][0]["detail"]
    assert "no variable zz" in out["steps"][1]["detail"]


def test_a_value_from_the_wrong_iteration_is_refuted_but_not_after_the_loop() -> None:
    # n == 1 places the text in the run's second iteration; total is 7 only in the third
    wrong = check(SUM, "[3, 1, 4]", "In the second iteration, `n` is `1` and `total` is `7`.")
    assert verdicts(wrong) == ["verified", "refuted"]
    assert "another iteration" in wrong["steps"][1]["detail"]
    # without a statement that shows the text counts iterations as the run does, unknown
    alone = check(SUM, "[3, 1, 4]", "In the second iteration, `total` is `7`.")
    assert verdicts(alone) == ["unknown"]
    after = check(SUM, "[3, 1, 4]", "**Iteration 3**:\n- `n` is `4`.\nSo `count` ends at `3`.")
    assert verdicts(after)[0] == "verified"


def test_prose_is_counted_but_never_read_as_a_claim() -> None:
    text = ("Let's think step by step.\nThe function sums the numbers greater than 2.\n"
            "It is case-sensitive and uses a for loop.\n`total` is `7`.")
    reading = read_freeform(text)
    assert [bool(s.statements) for s in reading.sentences] == [False, False, False, True]
    assert reading.coverage == 0.25


def test_free_policy_needs_a_verified_answer_and_one_more_checked_statement() -> None:
    only_answer = check(SUM, "[3, 1, 4]", "The output is `7`.")
    assert only_answer["accepted"] is False
    assert "besides the final" in only_answer["reason"]
    both = check(SUM, "[3, 1, 4]", "`total` starts at `0`.\nThe output is `7`.")
    assert both["accepted"] is True
    no_answer = check(SUM, "[3, 1, 4]", "`total` starts at `0`.")
    assert no_answer["accepted"] is False


def test_chat_messages_and_auto_format() -> None:
    rec = {"id": "t", "messages": [{"role": "user", "content": "what?"},
                                    {"role": "assistant", "content": "The output is `7`."}]}
    assert with_text(rec)["text"] == "The output is `7`."
    assert format_of({"text": "Call f with nums = [3].\nSo f([3]) returns 0."}, "auto") == "steps"
    assert format_of({"text": "### Steps\nThe output is `7`."}, "auto") == "free"


@pytest.fixture(scope="module")
def factory() -> Iterator[Any]:
    with contextlib.ExitStack() as stack:
        yield session_factory(stack, 1, Limits())


REVERSED = "def f(x):\n    return ' '.join(list(x)[::-1])\n"


def test_backward_over_claimed_necessity_is_refuted_with_a_counterexample(factory: Any) -> None:
    arg = "'abcdefghijklmnop'"  # 16 characters: the output has 31
    text = ("The output has 31 characters, so the input must have 31 characters.\n"
            "The input must have 16 characters.\n"
            "[ANSWER]\nassert f('abcdefghijklmnop') == 'p o n m l k j i h g f e d c b a'\n[/ANSWER]")
    out = check(REVERSED, arg, text, "backward", factory)
    musts = [s for s in out["steps"] if s["kind"] == "must"]
    assert musts[0]["verdict"] == "refuted", out["steps"]
    assert "counterexample" in musts[0]["detail"]
    assert musts[1]["verdict"] in ("proved", "proved_on_path"), out["steps"]
    assert ("input", "proved") in [(s["kind"], s["verdict"]) for s in out["steps"]]


def test_backward_final_input_is_executed(factory: Any) -> None:
    good = check(REVERSED, "'ab'", "We know that f(??) == 'b a'.\nThe input could be 'ab'.", "backward",
                 factory)
    assert [(s["kind"], s["verdict"]) for s in good["steps"]] == [("goal", "verified"),
                                                                  ("input", "proved")]
    bad = check(REVERSED, "'ab'", "We know that f(??) == 'b a'.\nThe input could be 'ba'.", "backward",
                factory)
    assert bad["steps"][1]["verdict"] == "refuted" and "returns 'a b'" in bad["steps"][1]["detail"]


@pytest.mark.parametrize("text", [
    "`" * 5001, "(" * 50_000, "'" * 100_000, "x is 5 and " * 10_000, "\u00e9\u540d`" * 20_000,
    ("The value of `total` is `7`. " * 400_000)[:10_000_000], "@1 @2 @3 is @0 " * 1000,
])
def test_garbage_and_huge_text_give_a_verdict_in_bounded_time(text: str) -> None:
    rec = _record(SUM, "[3, 1, 4]")
    trace = trace_in_process(SUM, "[3, 1, 4]", "f", id="t")
    start = time.process_time()
    p = free_plan({"id": "t", "direction": "forward", "narrator": "x", "text": text}, rec)
    out = free_verdict_record(p, [trace])
    assert time.process_time() - start < 20
    assert out["format"] == "free" and isinstance(out["accepted"], bool)
    assert not p.error


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("`()[]{}'\"=+-*/.,;:!?@#|->x0123 \n\u00e9IiSs")), max_size=400))
def test_the_reader_never_crashes(text: str) -> None:
    reading = read_freeform(text)
    for sentence in reading.sentences:
        assert text[sentence.span[0]:sentence.span[1]] == sentence.text


LOOP = "def f(n):\n    out = []\n    for i in range(n):\n        out.append(i * 2)\n    return out\n"


def test_a_loop_variables_values_are_each_checked() -> None:
    assert verdicts(check(LOOP, "3", "`i` takes the values `0`, `1` and `2`.")) == ["verified"] * 3
    wrong = verdicts(check(LOOP, "3", "`i` takes the values `1`, `2` and `3`."))
    assert wrong[:2] == ["verified", "verified"] and wrong[2] == "refuted"


def test_a_return_after_a_reason_is_read() -> None:
    right = check(LOOP, "2", "Since the loop ran twice, the function returns `[0, 2]`.")
    assert "return" in [s["kind"] for s in right["steps"]] and "refuted" not in verdicts(right)
    wrong = check(LOOP, "2", "Since the loop ran twice, the function returns `[0, 4]`.")
    assert [s["verdict"] for s in wrong["steps"] if s["kind"] == "return"] == ["refuted"]
    # a binding before the return stays its context: nothing is read from "for n = 2" alone
    bound = check(LOOP, "2", "For `n = 2`, the function returns `[0, 2]`.")
    assert [s["kind"] for s in bound["steps"]].count("return") == 1


KEEP = ("def f(nums):\n    out = []\n    seen = set()\n    for n in nums:\n        seen.add(n)\n"
        "        if n % 2 == 1:\n            out.append(n)\n    return out\n")


@pytest.mark.parametrize(("true_text", "false_text", "detail"), [
    # the iteration named; the one list appended to found in the code
    ("**Iteration 2**:\n- `n` is `2`, so nothing is appended.",
     "**Iteration 1**:\n- `n` is `1`, so nothing is appended.", "out grows from [] to [1]"),
    # no iteration named: the rest of the iteration the previous statement is in
    ("`n` is `4`. It is even, so the loop skips the append.",
     "`n` is `3`. It is odd, so the loop skips the append.", "grows from [1] to [1, 3]"),
    ("**Iteration 3**:\n- `n` is `3`.\n- `2` is not appended to `out`.",
     "**Iteration 3**:\n- `n` is `3`.\n- `3` is not appended to `out`.", "to [1, 3]"),
])
def test_nothing_appended_is_checked_over_one_iteration(true_text: str, false_text: str,
                                                          detail: str) -> None:
    good = check(KEEP, "[1, 2, 3, 4]", true_text)
    assert [s["kind"] for s in good["steps"]].count("append") == 1
    assert all(v == "verified" for v in verdicts(good)), good["steps"]
    bad = check(KEEP, "[1, 2, 3, 4]", false_text)
    refuted = [s for s in bad["steps"] if s["verdict"] == "refuted"]
    assert [s["kind"] for s in refuted] == ["append"] and detail in refuted[0]["detail"], bad["steps"]


def test_nothing_appended_is_unknown_where_the_collection_or_iteration_is_unclear() -> None:
    two = KEEP.replace("seen.add(n)", "seen.append(n)").replace("seen = set()", "seen = []")
    out = check(two, "[1, 2]", "**Iteration 2**:\n- `n` is `2`, so nothing is appended.")
    assert verdicts(out) == ["verified", "unknown"] and "not clear" in out["steps"][1]["detail"]
    # 'added' covers sets: seen.add(n) runs in every iteration
    added = check(KEEP, "[1, 2]", "**Iteration 2**:\n- `n` is `2`, so nothing is added to `seen`.")
    assert verdicts(added) == ["verified", "refuted"]
    unplaced = check(KEEP, "[1, 2]", "Nothing is appended.")
    assert verdicts(unplaced) == ["unknown"]


def test_the_check_names_the_next_if_and_a_match_in_another_iteration_is_refuted() -> None:
    right = check(KEEP, "[1, 2, 3]", "**Iteration 2**:\n- `n` is `2`, so the check is `False`.")
    assert verdicts(right) == ["verified", "verified"]
    # iteration 2 is confirmed by `n` is `2`; the if is False only in iteration 2, not in 3
    wrong = check(KEEP, "[1, 2, 3]", "**Iteration 3**:\n- `n` is `3`, so the check is `False`.")
    assert verdicts(wrong) == ["verified", "refuted"]
    assert "only in another iteration" in wrong["steps"][1]["detail"]
    # without a statement confirming the iteration, a match elsewhere leaves it unknown
    alone = check(KEEP, "[1, 2, 3]", "**Iteration 3**:\n- The check is `False`.")
    assert verdicts(alone) == ["unknown"]


@pytest.mark.parametrize(("true_text", "false_text"), [
    ("The last element of `nums` is `4`.", "The last element of `nums` is `3`."),
    ('The second character of "abc" is \'b\'.', 'The second character of "abc" is \'c\'.'),
    ("`nums.index(3)` looks for the first 3, which is at index 2.",
     "`nums.index(3)` looks for the first 3, which is at index 1."),
    ("`range(1, 7, 2)` produces the values 1, 3 and 5.", "`range(1, 7, 2)` produces the values 1, 3 and 7."),
    ("`zip(nums, nums)` gives the pairs `(1, 1)`, `(2, 2)`, `(3, 3)` and `(4, 4)`.",
     "`zip(nums, nums)` gives the pairs `(1, 1)`, `(2, 2)` and `(3, 3)`."),
    ("f is called with nums = [1, 2, 3, 4], which contains 2 once.",
     "f is called with nums = [1, 2, 3, 4], which contains 2 twice."),
    ("The function returns the list `out`, which is `[1, 3]`.",
     "The function returns the list `out`, which is `[1, 2]`."),
])
def test_positions_searches_enumerations_and_relative_clauses(true_text: str, false_text: str) -> None:
    assert_both_sides(KEEP, "[1, 2, 3, 4]", true_text, false_text)


CALC = ("def f(a, b):\n    s = 'ab'\n    y = a * b\n    count = 2\n    count += 1\n"
        "    if y > 100:\n        out = 'big'\n    else:\n        out = 'small'\n    return s[1:] + out\n")


@pytest.mark.parametrize(("true_text", "false_text"), [
    ("`y` is assigned `a * b`, which gives `12`.", "`y` is assigned `a * b`, which gives `13`."),
    ("`y` is assigned the value `12`.", "`y` is assigned the value `7`."),
    ("The expression `a * b` evaluates to `12`.", "The expression `a * b` evaluates to `10`."),
    ("The slice `s[1:]` gives `'b'`.", "The slice `s[1:]` gives `'a'`."),
    ("We concatenate `'a'` and `'b'` to get `'ab'`.", "We concatenate `'a'` and `'b'` to get `'ba'`."),
    ("`count` increases by 1 and becomes 3.", "`count` increases by 2 and becomes 4."),
    ("The new value of `count` is 3.", "The new value of `count` is 4."),
    ("The `else` branch is executed, setting `out` to `'small'`.",
     "The `if` branch is executed, setting `out` to `'big'`."),
    ("The value returned is `'bsmall'`.", "The value returned is `'small'`."),
    ("`s[1:] + out` is returned, which is `'bsmall'`.", "`s[1:] + out` is returned, which is `'b'`."),
])
def test_more_common_phrasings_are_read_both_ways(true_text: str, false_text: str) -> None:
    assert_both_sides(CALC, "3, 4", true_text, false_text)


def test_a_condition_that_gives_a_value_is_not_read_as_its_value() -> None:
    # "`y > 100` returns 'big'" says what happens when it holds: not that it equals 'big'
    out = check(CALC, "30, 4", "`y > 100` returns `'big'`, and `y > 100` gives `'big'`.")
    assert "refuted" not in verdicts(out), out["steps"]


WORDS = ("def f(s):\n    d = {}\n    result = []\n    for ch in s:\n        d[ch] = d.get(ch, 0) + 1\n"
         "        result.append(ch.upper())\n    total = len(result)\n    return s[::-1] if total > 2 else s\n")


@pytest.mark.parametrize(("true_text", "false_text"), [
    ("For the first character 'a', `d` is `{'a': 1}`.", "For the second character 'b', `d` is `{'a': 2}`."),
    ("The dictionary `d` now maps `'a'` to `1`.", "The dictionary `d` now maps `'a'` to `2`."),
    ("The character at index 2 of `s` is `'c'`.", "The character at index 2 of `s` is `'b'`."),
    ("The loop variable `ch` takes on the values 'a', 'b', 'c'.",
     "The loop variable `ch` takes on the values 'a', 'b', 'd'."),
    ("The value 'A' is appended to the list `result`.", "The value 'a' is appended to the list `result`."),
    ("After processing all characters, `total` is 3.", "After processing all characters, `total` is 4."),
    ("We return the value of `s[::-1]`, which is `'cba'`.", "We return the value of `s[::-1]`, which is `'abc'`."),
    ("Since `total` is 3, `total > 2` is True.", "Since `total` is 3, `total > 2` is False."),
    ("The string 'abc' is reversed to get 'cba'.", "The string 'abc' is reversed to get 'bca'."),
    ("The first if condition (`total > 2`) is True.", "The first if condition (`total > 2`) is False."),
    ("Thus, the function returns 'cba' for the input 'abc'.", "Thus, the function returns 'abc' for the input 'abc'."),
])
def test_iteration_words_maps_indexes_and_leading_reasons(true_text: str, false_text: str) -> None:
    assert_both_sides(WORDS, "'abc'", true_text, false_text)


def test_a_return_described_by_its_trigger_is_prose() -> None:
    out = check(WORDS, "'abc'", "The loop counts each character and returns `'xyz'` as soon as it is done.")
    assert "return" not in [s["kind"] for s in out["steps"]]
    # a sentence opening "The first character of" states a value; it sets no iteration
    first = read_freeform("The first character of `s` is 'a'.").sentences[0].statements
    assert [st.iteration for st in first] == [None]


@pytest.mark.parametrize(("true_text", "false_text"), [
    ("For the output to be 'b a', the input string must be 'ab'.",
     "For the output to be 'b a', the input string must be 'ba'."),
    ("The input must be a string of length 2.", "The input must be a string of length 3."),
    ("So the input must contain the letter 'a'.", "So the input must contain the letter 'z'."),
    ("The first character of x must be 'a'.", "The first character of x must be 'b'."),
    ("An input such as 'ab' works.", "An input such as 'ba' works."),
    ("f('ab') == 'b a' \u2713", "f('ba') == 'b a' \u2713"),
])
def test_backward_phrasings_are_proved_or_refuted(factory: Any, true_text: str, false_text: str) -> None:
    good = check(REVERSED, "'ab'", true_text, "backward", factory)
    assert good["steps"] and all(v in ("proved", "proved_on_path", "verified") for v in verdicts(good)), \
        good["steps"]
    bad = check(REVERSED, "'ab'", false_text, "backward", factory)
    assert "refuted" in verdicts(bad), bad["steps"]


def test_a_stated_choice_that_works_is_a_choice() -> None:
    statements = read_freeform("Hence, x = 12 satisfies the condition.", "backward").sentences[0].statements
    assert [st.kind for st in statements] == ["let"]
    assert read_freeform("Hence, x = 12 satisfies the condition.").sentences[0].statements == ()


COMP = "def f(n):\n    evens = [2 * i for i in range(n)]\n    return evens[::-1]\n"
COMP_RETURNED = "def f(n):\n    m = n + 1\n    return [i * i for i in range(m)]\n"


@pytest.mark.parametrize(("code", "true_text", "false_text"), [
    (COMP, "The list comprehension produces `[0, 2, 4]`.", "The list comprehension produces `[2, 4, 6]`."),
    (COMP_RETURNED, "So the comprehension gives [0, 1, 4, 9].", "So the comprehension gives [0, 1, 4]."),
])
def test_the_one_comprehension_value_is_checked(code: str, true_text: str, false_text: str) -> None:
    good = check(code, "3", true_text)
    assert verdicts(good) == ["verified"], good["steps"]
    bad = check(code, "3", false_text)
    assert verdicts(bad) == ["refuted"], bad["steps"]


def test_a_comprehension_inside_a_bigger_expression_is_unknown() -> None:
    code = "def f(n):\n    return sum([i for i in range(n)]) + len([1 for _ in range(n)])\n"
    out = check(code, "3", "The comprehension produces `[0, 1, 2]`.")
    assert verdicts(out) == ["unknown"]


SPLIT = ("def f(text):\n    words = text.split()\n    nums = [len(w) for w in words]\n    nums.sort()\n"
         "    return sum(nums), max(nums)\n")


@pytest.mark.parametrize(("true_text", "false_text"), [
    ("`text.split()` splits the string into a list of words: `['ab', 'c']`.",
     "`text.split()` splits the string into a list of words: `['ab c']`."),
    ("The list comprehension takes the length of each word: `[2, 1]`.",
     "The list comprehension takes the length of each word: `[2, 2]`."),
    ("`nums.sort()` sorts the lengths in place: `[1, 2]`.", "`nums.sort()` sorts the lengths in place: `[1, 1]`."),
    ("The sum of `nums` is 3.", "The sum of `nums` is 4."),
    ("The maximum of `nums` is 2.", "The maximum of `nums` is 1."),
    ("Calling `len(words)` gives us 2.", "Calling `len(words)` gives us 3."),
    ("After the split, `words` is `['ab', 'c']`.", "After the split, `words` is `['ab']`."),
])
def test_a_described_call_with_its_value_and_aggregates(true_text: str, false_text: str) -> None:
    assert_both_sides(SPLIT, "'ab c'", true_text, false_text)
