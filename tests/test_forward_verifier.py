"""Forward verifier: true steps verified, false steps refuted with a useful detail."""

from __future__ import annotations

from typing import Any

import pytest

from codecot.claims.source import source_of
from codecot.corpus import CorpusRecord
from codecot.symbolic.tracepoints import Point, TraceView
from tests.helpers import record, trace_of, verdicts, verify_text

ACC = "def f(nums):\n    total = 0\n    for n in nums:\n        if n > 2:\n            total += n\n    return total\n"


def test_true_rationale_is_accepted() -> None:
    text = "\n".join([
        "Call f with nums = [3, 1, 4].",
        "Line 2: total = 0, so total is 0.",
        "Line 3: iteration 1 of the loop begins with n = 3.",
        "Line 4 (iteration 1): n > 2 is True, so the branch is taken.",
        "Line 5 (iteration 1): total becomes 0 + 3 = 3.",
        "Line 3: iteration 2 begins with n = 1.",
        "Line 4 (iteration 2): n > 2 is False, so the branch is skipped.",
        "Line 3: iteration 3 begins with n = 4.",
        "Line 5 (iteration 3): total becomes 3 + 4 = 7.",
        "Line 3: the loop ends after 3 iterations.",
        "Line 6: the function returns total, which is 7.",
        "So f([3, 1, 4]) returns 7.",
    ])
    out = verify_text(record(ACC, "[3, 1, 4]"), text)
    assert verdicts(out) == ["verified"] * 12
    assert out["accepted"] is True


@pytest.mark.parametrize(("step", "detail"), [
    ("Line 5 (iteration 3): total becomes 3 + 4 = 8.", "after line 5 in iteration 3, total is 7, not 8"),
    ("Line 5 (iteration 3): total becomes 3 + 5 = 8.", "total is 7, not 3 + 5"),
    ("Line 4 (iteration 2): n > 2 is True, so the branch is taken.", "n > 2 is False, not True"),
    ("Line 3: the loop ends after 2 iterations.", "runs 3 iterations, not 2"),
    ("Line 6: the function returns total, which is 6.", "returns 7, not 6"),
    ("So f([3, 1, 4]) returns 8.", "returns 7, not 8"),
    ("Line 3: iteration 4 begins with n = 5.", "runs 3 iterations, not 4"),
    ("Line 9: total is 7.", "line 9 never runs"),
    ("Line 5 (iteration 2): total is 3.", "no line event in iteration 2"),
    ("Call f with nums = [3, 1, 5].", "at the call, nums is [3, 1, 4], not [3, 1, 5]"),
    ("Line 5 (iteration 1): total -= n, so total is 3.", "line 5 is `total += n`"),
])
def test_false_step_is_refuted_with_the_truth(step: str, detail: str) -> None:
    out = verify_text(record(ACC, "[3, 1, 4]"), step)
    [s] = out["steps"]
    assert s["verdict"] == "refuted", s
    assert detail in s["detail"]
    assert out["accepted"] is False


def test_alignment_only_moves_forward() -> None:
    rec = record(ACC, "[3, 1, 4]")
    ok = verify_text(rec, "Line 5 (iteration 1): total is 3.\nLine 5 (iteration 3): total is 7.")
    assert verdicts(ok) == ["verified", "verified"]
    back = verify_text(rec, "Line 5 (iteration 3): total is 7.\nLine 5 (iteration 1): total is 3.")
    assert verdicts(back) == ["verified", "refuted"]


def test_float_semantics_are_ieee() -> None:
    rec = record("def f(a, b):\n    s = a + b\n    return s\n", "0.1, 0.2")
    assert verdicts(verify_text(rec, "Line 2: s is 0.30000000000000004.")) == ["verified"]
    assert verdicts(verify_text(rec, "Line 2: s is 0.3.")) == ["refuted"]


def test_strings_lists_negative_indices_and_slices() -> None:
    rec = record("def f(s):\n    t = s.upper()\n    xs = list(t)\n    return xs[-1]\n", "'abc'")
    good = "Line 2: t is 'ABC'.\nLine 3: xs is ['A', 'B', 'C'].\nLine 3: xs[-1] is 'C'.\nLine 3: t[1:] is 'BC'."
    assert verdicts(verify_text(rec, good)) == ["verified"] * 4
    bad = "Line 2: t is 'Abc'.\nLine 3: xs[-1] is 'B'.\nLine 3: t[::-1] is 'ABC'."
    assert verdicts(verify_text(rec, bad)) == ["refuted"] * 3


def test_helper_calls_exceptions_and_globals() -> None:
    code = ("LIMIT = 3\n\ndef g(x):\n    return x * 2\n\n"
            "def f(n):\n    try:\n        y = g(n) // (n - LIMIT)\n    except ZeroDivisionError:\n"
            "        y = -1\n    return y\n")
    rec = record(code, "3")
    good = ("Line 8: g(3) returns 6.\nLine 8 raises ZeroDivisionError.\n"
            "Line 9: the except clause catches ZeroDivisionError.\nLine 10: y is -1.\n"
            "Line 10: n - LIMIT is 0.")
    assert verdicts(verify_text(rec, good)) == ["verified"] * 5
    bad = "Line 8: g(3) returns 5.\nLine 8 raises ValueError.\nLine 10: n - LIMIT is 1."
    assert verdicts(verify_text(rec, bad)) == ["refuted"] * 3


def test_unparsed_and_unknown_steps_are_not_accepted() -> None:
    rec = record(ACC, "[3, 1, 4]")
    out = verify_text(rec, "Line 6: the function returns total, which is 7.\nthe total is clearly seven\nSo f([3, 1, 4]) returns 7.")
    assert verdicts(out) == ["verified", "unparsed", "verified"]
    assert out["accepted"] is False and "does not parse" in out["reason"]
    unknown = verify_text(rec, "Line 6: the function returns total, which is 7.\nLet nums be [3, 1, 4].\nSo f([3, 1, 4]) returns 7.")
    assert verdicts(unknown)[1] == "unknown"
    assert unknown["accepted"] is False


def test_rationale_without_answer_is_rejected() -> None:
    out = verify_text(record(ACC, "[3, 1, 4]"), "Line 2: total is 0.")
    assert verdicts(out) == ["verified"]
    assert out["accepted"] is False and out["reason"] == "no final answer or input"


def _linear_find(view: TraceView, start: int, kinds: tuple[str, ...], line: int | None,
                 iteration: int | None, head_iteration: int | None) -> Point | None:
    for p in view.points[start:]:
        if (p.kind in kinds and (line is None or p.line == line)
                and (iteration is None or p.iteration == iteration)
                and (head_iteration is None or p.event.get("iteration") == head_iteration)):
            return p
    return None


def test_trace_view_find_matches_a_linear_scan() -> None:
    view = TraceView(trace_of(record(ACC, "[3, 1, 4, 5]")))
    assert [p.pos for p in view.points] == list(range(len(view.points)))
    assert {p.kind for p in view.points} >= {"line", "branch", "loop_iter", "loop_end", "return"}
    kind_sets = [("line",), ("branch",), ("loop_iter",), ("loop_end",), ("return",),
                 ("line", "branch"), ("exception",)]
    found = 0
    for start in range(len(view.points) + 1):
        for kinds in kind_sets:
            for line in (None, 3, 4, 5):
                for iteration in (None, 1, 3):
                    expected = _linear_find(view, start, kinds, line, iteration, None)
                    assert view.find(start, kinds, line, iteration) is expected
                    found += expected is not None
            for head in (1, 4, 5):
                expected = _linear_find(view, start, ("loop_iter",), 3, None, head)
                assert view.find(start, ("loop_iter",), 3, head_iteration=head) is expected
    assert found > 100


def test_trace_view_values_are_shared_per_repr_and_tag() -> None:
    code = "def f(xs):\n    ys = []\n    zs = list(xs)\n    return len(ys) + len(zs)\n"
    view = TraceView(trace_of(record(code, "[1, 2]")))
    lines = [p for p in view.points if p.kind == "line"]
    assert view.value(lines[0], "xs") is view.value(lines[-1], "xs")
    empty, full = view.value(lines[-1], "ys"), view.value(lines[-1], "zs")
    assert empty is not None and full is not None
    assert (str(empty.type), str(full.type)) == ("list[]", "list[int]")
    assert view.value(lines[-1], "missing") is None


def test_raise_and_catch_claims_keep_their_iteration() -> None:
    code = ("def f(xs):\n    out = []\n    for x in xs:\n        try:\n            out.append(10 // x)\n"
            "        except ZeroDivisionError:\n            out.append(-1)\n        except TypeError:\n"
            "            out.append(-2)\n    return out\n")
    rec = record(code, "[1, 0, 'a']")
    assert verdicts(verify_text(rec, "Line 5 (iteration 3) raises TypeError.")) == ["verified"]
    assert verdicts(verify_text(rec, "Line 5 (iteration 2) raises ZeroDivisionError.")) == ["verified"]
    # a claim about the third iteration is not matched with the second's exception
    wrong = verify_text(rec, "Line 5 (iteration 3) raises ZeroDivisionError.")
    assert verdicts(wrong) == ["refuted"] and "TypeError" in wrong["steps"][0]["detail"]
    assert verdicts(verify_text(rec, "Line 5 (iteration 1) raises ZeroDivisionError.")) == ["refuted"]
    assert verdicts(verify_text(rec, "Line 8 (iteration 3): the except clause catches TypeError.")) == ["verified"]
    assert verdicts(verify_text(rec, "Line 6 (iteration 3): the except clause catches ZeroDivisionError.")) \
        == ["refuted"]


def _only_step(rec: CorpusRecord, step: str) -> dict[str, Any]:
    """The step verdict of the one-step forward rationale ``step`` about ``rec``."""
    [s] = verify_text(rec, step)["steps"]
    return s


FIND = ("def f(nums):\n    hit = -1\n    for i in range(len(nums)):\n        if nums[i] < 0:\n"
        "            hit = i\n            break\n    return hit\n")


@pytest.mark.parametrize(("args", "step", "verdict"), [
    # it breaks in iteration 2: the loop did end (stop, finish, run) after 2 iterations
    ("[4, -1, 6]", "Line 3: the loop ends after 2 iterations.", "verified"),
    ("[4, -1, 6]", "Line 3: the loop stops after 2 iterations.", "verified"),
    ("[4, -1, 6]", "Line 3: the loop runs 2 times.", "verified"),
    ("[4, -1, 6]", "Line 3: we break out of the loop in iteration 2.", "verified"),
    ("[4, -1, 6]", "Line 3: the loop ends after 3 iterations.", "refuted"),
    ("[4, -1, 6]", "Line 3: the loop breaks in iteration 3.", "refuted"),
    # no break: a claimed break is refuted, the plain end verified
    ("[4, 1, 6]", "Line 3: the loop breaks in iteration 3.", "refuted"),
    ("[4, 1, 6]", "Line 3: the loop ends after 3 iterations.", "verified"),
])
def test_a_loop_that_breaks_also_ends(args: str, step: str, verdict: str) -> None:
    s = _only_step(record(FIND, args), step)
    assert s["verdict"] == verdict, s
    if verdict == "refuted" and "breaks in iteration 3" in step and args == "[4, 1, 6]":
        assert "without a break" in s["detail"]


APPLY = ("def double(x):\n    return x * 2\n\ndef f(nums, op):\n    out = []\n    for n in nums:\n"
         "        out.append(op(n) + double(n))\n    return out\n")


@pytest.mark.parametrize(("step", "verdict", "detail"), [
    # op is given double and never rebound: its calls are double's, decided both ways
    ("Line 7 (iteration 1): op(1) returns 2.", "verified", ""),
    ("Line 7 (iteration 1): op(1) returns 5.", "refuted", "op(1) returns 2, not 5"),
    ("Line 7 (iteration 1): op(7) returns 14.", "refuted", "is not called here"),
    # calls by the function's own name are still decided both ways
    ("Line 7 (iteration 1): double(1) returns 2.", "verified", ""),
    ("Line 7 (iteration 1): double(1) returns 3.", "refuted", "returns 2"),
    ("Line 7 (iteration 1): double(5) returns 10.", "refuted", "is not called here"),
    ("Line 7 (iteration 1): nums(1) returns 2.", "refuted", "is not called here"),
])
def test_a_call_through_a_variable_holding_a_function(step: str, verdict: str, detail: str) -> None:
    s = _only_step(record(APPLY, "[1, 2], double"), step)
    assert s["verdict"] == verdict, s
    assert detail in s["detail"]


@pytest.mark.parametrize(("code", "args"), [
    # op is rebound in the body, so which function it holds at line 7 is not known
    (APPLY.replace("    out = []\n", "    out = []\n    op = op\n"), "[1, 2], double"),
    # the argument is a lambda, traced under no name of the program
    (APPLY, "[1, 2], lambda x: x * 2"),
    # double is also bound elsewhere in the program
    (APPLY + "\ndouble = double\n", "[1, 2], double"),
])
def test_a_call_through_a_variable_that_may_hold_another_function_is_undecided(
        code: str, args: str) -> None:
    line = 8 if "op = op" in code else 7
    for value in (2, 5):
        s = _only_step(record(code, args), f"Line {line} (iteration 1): op(1) returns {value}.")
        assert s["verdict"] == "unknown" and "op holds a function here" in s["detail"], s


LOOKUP = ("def f(keys, lookup):\n    out = []\n    for k in keys:\n"
          "        out.append(lookup(k, 0))\n    return out\n")


@pytest.mark.parametrize(("step", "verdict", "detail"), [
    # lookup holds {'a': 3}.get throughout: its calls are that method's, decided both ways
    ("Line 4 (iteration 1): lookup(k, 0) is 3.", "verified", ""),
    ("Line 4 (iteration 1): lookup('x', 0) + 1 is 1.", "verified", ""),
    ("Line 4 (iteration 1): lookup(k, 0) is {'a': 3}.", "refuted",
     "lookup(k, 0) is 3, not {'a': 3}"),
    ("Line 4 (iteration 1): lookup(k) is None.", "refuted", "lookup(k) is 3, not None"),
])
def test_a_call_through_a_parameter_holding_a_literal_method(
        step: str, verdict: str, detail: str) -> None:
    s = _only_step(record(LOOKUP, "['a'], {'a': 3}.get"), step)
    assert (s["verdict"], s["detail"].split(", ", 1)[-1]) == (verdict, detail), s


@pytest.mark.parametrize(("code", "args", "step"), [
    # a mutating method: each call changes the one list the argument made
    (LOOKUP.replace("lookup(k, 0)", "lookup(k)"), "['a'], [].append", "Line 4: lookup(k) is VALUE."),
    # a set's in-place update is no pure method either
    (LOOKUP.replace("lookup(k, 0)", "lookup({k})"), "['a'], {'b'}.difference_update",
     "Line 4: lookup({k}) is VALUE."),
    # lookup is rebound in the body
    (LOOKUP.replace("    out = []\n", "    out = []\n    lookup = lookup\n"), "['a'], {'a': 3}.get",
     "Line 5: lookup(k, 0) is VALUE."),
    # the program reaches the dict behind the method, and may change it
    (LOOKUP.replace("    out = []\n", "    out = []\n    lookup.__self__['a'] = 3\n"),
     "['a'], {'a': 3}.get", "Line 5: lookup(k, 0) is VALUE."),
])
def test_a_call_through_a_parameter_that_may_change_is_not_rewritten(
        code: str, args: str, step: str) -> None:
    for value in ("3", "None"):
        s = _only_step(record(code, args), step.replace("VALUE", value))
        assert s["verdict"] == "unknown", s


def test_a_line_of_a_helper_is_not_said_never_to_run() -> None:
    """A step on a line that runs only inside a helper is undecided (the rationale narrates the
    entry's frame); a line that runs nowhere is still refuted."""
    code = ("def f(xs):\n    def peak(s):\n        best = max(s)\n        return best\n"
            "    return [peak(x) for x in xs]\n\ndef unused():\n    return 0\n")
    rec = record(code, "[[1, 3], [2]]")
    for step in ("Line 3: best is 3.", "Line 3: best is 7."):
        s = _only_step(rec, step)
        assert s["verdict"] == "unknown" and "runs only inside peak()" in s["detail"], s
    s = _only_step(rec, "Line 8: the function returns 0.")
    assert s["verdict"] == "refuted" and "line 8 never runs" in s["detail"], s
    s = _only_step(rec, "Line 5: the function returns [3, 2].")
    assert s["verdict"] == "verified", s


def test_an_iteration_already_begun_is_refuted_as_such() -> None:
    rec = record(ACC, "[3, 1, 4]")
    text = "Line 3: iteration 2 begins with n = 1.\nLine 3: iteration 1 begins with n = 3."
    first, again = verify_text(rec, text)["steps"]
    assert first["verdict"] == "verified"
    assert again["verdict"] == "refuted"
    assert "iteration 1 of the loop on line 3 began before the previous step" in again["detail"]
    [beyond] = verify_text(rec, "Line 3: iteration 4 begins with n = 5.")["steps"]
    assert beyond["verdict"] == "refuted" and "runs 3 iterations, not 4" in beyond["detail"]


@pytest.mark.parametrize(("snippet", "count"), [
    ("op = 1", 1), ("for op in xs: pass", 1), ("del op", 1), ("import op", 1),
    ("import os as op", 1), ("from m import x as op", 1), ("def op(): pass", 1),
    ("class op: pass", 1), ("def g(op): pass", 1), ("lambda op: 0", 1), ("[0 for op in xs]", 1),
    ("(op := 3)", 1), ("global op", 1), ("try:\n    pass\nexcept E as op:\n    pass", 1),
    ("match x:\n    case [*op]: pass", 1), ("match x:\n    case {**op}: pass", 1),
    ("match x:\n    case y as op: pass", 1),
    ("op(1)", 0), ("x = op", 0), ("op.attr = 1", 0), ("import op.path as q", 0),
])
def test_source_counts_every_way_a_name_is_bound(snippet: str, count: int) -> None:
    assert source_of(snippet).binds("op") == count


HELPERS = ("def triple(x):\n    return x * 3\n\ndef g(h):\n    return h(1)\n\n"
           "def f(nums, op):\n    k = nums[0] + 1\n    return [g(triple), op(nums[0]), triple(k)]\n"
           "\ndef double(x):\n    return x * 2\n")


@pytest.mark.parametrize(("step", "verdict", "detail"), [
    # a call made inside a helper is not traced: undecided, true or false
    ("Line 5: triple(1) returns 3.", "unknown", "runs only inside g()"),
    ("Line 5: h(1) returns 4.", "unknown", "runs only inside g()"),
    # a traced argument without a literal value, or a claimed one that is a variable, cannot
    # be compared: undecided, not "not called here"
    ("Line 9: g(triple) returns 3.", "unknown", "cannot be compared"),
    ("Line 9: triple(k) returns 6.", "unknown", "cannot be compared"),
    # literal arguments are still decided both ways
    ("Line 9: triple(2) returns 6.", "verified", ""),
    ("Line 9: triple(2) returns 7.", "refuted", "returns 6"),
    ("Line 9: triple(5) returns 15.", "refuted", "is not called here"),
    ("Line 9: op(1) returns 2.", "verified", ""),
    ("Line 9: op(1) returns 3.", "refuted", "returns 2"),
])
def test_a_call_whose_arguments_or_frame_the_trace_does_not_give_is_undecided(
        step: str, verdict: str, detail: str) -> None:
    s = _only_step(record(HELPERS, "[1], double"), step)
    assert s["verdict"] == verdict, s
    assert detail in s["detail"]


def test_a_call_that_cannot_be_compared_keeps_a_later_one_from_refuting() -> None:
    code = ("def double(x):\n    return x * 2\n\ndef g(h):\n    return 0 if callable(h) else h\n\n"
            "def f(op):\n    return [g(op), g(4)]\n")
    rec = record(code, "double")
    assert _only_step(rec, "Line 8: g(4) returns 4.")["verdict"] == "verified"
    # g(op) ran first with a function, which cannot be compared with 4: it may be the call
    # claimed, so g(4) returning 4 does not refute "g(4) returns 0"
    s = _only_step(rec, "Line 8: g(4) returns 0.")
    assert s["verdict"] == "unknown" and "cannot be compared" in s["detail"], s
    assert _only_step(rec, "Line 8: g('a') returns 0.")["verdict"] == "unknown"


FIRST_BIG = ("def f(nums):\n"
             "    for n in nums:\n"
             "        if n > 2:\n"
             "            return n\n"
             "    return -1\n")
HELPER_LOOP = ("def g(x):\n"
               "    return x * 2\n"
               "\n"
               "def f(xs):\n"
               "    out = []\n"
               "    for x in xs:\n"
               "        out.append(g(x))\n"
               "    return out\n")


@pytest.mark.parametrize(("code", "step", "verdict", "detail"), [
    # FIRST_BIG on [1, 5, 7] returns 5 in iteration 2
    (FIRST_BIG, "Line 4 (iteration 2) returns 5.", "verified", ""),
    (FIRST_BIG, "Line 4 (iteration 2): the function returns n, which is 5.", "verified", ""),
    (FIRST_BIG, "Line 4 returns 5.", "verified", ""),
    (FIRST_BIG, "Line 4 (iteration 1) returns 5.", "refuted", "no return in iteration 1"),
    (FIRST_BIG, "Line 4 (iteration 3): the function returns n, which is 5.", "refuted",
     "no return in iteration 3"),
    (FIRST_BIG, "Line 4 (iteration 2) returns 4.", "refuted", "returns 5, not 4"),
    # HELPER_LOOP on [3, 4] calls g(3) in iteration 1, g(4) in iteration 2
    (HELPER_LOOP, "Line 7 (iteration 1): g(3) returns 6.", "verified", ""),
    (HELPER_LOOP, "Line 7 (iteration 2): g(4) returns 8.", "verified", ""),
    (HELPER_LOOP, "Line 7: g(4) returns 8.", "verified", ""),
    (HELPER_LOOP, "Line 7 (iteration 2): g(3) returns 6.", "refuted",
     "not called here in iteration 2"),
    (HELPER_LOOP, "Line 7 (iteration 1): g(4) returns 8.", "refuted",
     "not called here in iteration 1"),
    (HELPER_LOOP, "Line 7 (iteration 2): g(4) returns 6.", "refuted", "returns 8, not 6"),
])
def test_a_return_or_call_in_a_loop_is_placed_in_the_iteration_it_names(
        code: str, step: str, verdict: str, detail: str) -> None:
    out = verify_text(record(code, "[1, 5, 7]" if code == FIRST_BIG else "[3, 4]"), step)
    [s] = out["steps"]
    assert s["verdict"] == verdict, s
    assert detail in s["detail"], s
