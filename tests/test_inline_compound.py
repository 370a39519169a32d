"""Compound statements written on one line: conditions and loop starts are decided on the state
at the moment of the decision, not on the state after the line (where the body already ran)."""

from __future__ import annotations

import pytest

from codecot.narrate.template import TemplateNarrator
from tests.helpers import record, trace_of, verdicts, verify_text

IF_INLINE = ("def f(s):\n    out = ''\n    for c in s:\n        if c.islower(): c = c.upper()\n"
             "        out += c\n    return out\n")
ELIF_INLINE = ("def f(x):\n    y = 0\n    if x < 0:\n        y = -1\n    elif x > 3: x = x - 10\n"
               "    else: y = 1\n    return x + y\n")
WHILE_INLINE = "def f(n):\n    i = 0\n    while i < n: i += 2\n    return i\n"
FOR_INLINE = "def f(a):\n    t = 0\n    for x in a: t += x\n    return t\n"
FOR_REBINDS = "def f(a):\n    out = []\n    for x in a: x = x * 10; out.append(x)\n    return out\n"
WALRUS_INLINE = "def f(a):\n    k = 0\n    if (n := len(a)) > 2: k = n\n    return k\n"


@pytest.mark.parametrize(("code", "arg", "true_step", "false_step", "detail"), [
    # the statement's own test: decided by the branch outcome the tracer recorded
    (IF_INLINE, "'eB'", "Line 4 (iteration 1): the condition c.islower() is True, so the branch runs.",
     "Line 4 (iteration 1): the condition c.islower() is False, so the branch is skipped.",
     "c.islower() is True, not False"),
    # another expression over the same state: decided on the state before the line ran
    (IF_INLINE, "'eB'", "Line 4 (iteration 1): the condition c == 'e' is True.",
     "Line 4 (iteration 1): the condition c == 'E' is True.", "c == 'E' is False, not True"),
    (IF_INLINE, "'eB'", "Line 4 (iteration 2): the condition c.isupper() is True.",
     "Line 4 (iteration 2): the condition c.isupper() is False.", "is True, not False"),
    (ELIF_INLINE, "5", "Line 5: the condition x > 3 is True, so the branch is taken.",
     "Line 5: the condition x > 3 is False, so the branch is skipped.", "x > 3 is True, not False"),
    (ELIF_INLINE, "5", "Line 5: the condition x == 5 is True.",
     "Line 5: the condition x == -5 is True.", "x == -5 is False, not True"),
    (WHILE_INLINE, "5", "Line 3 (iteration 1): the condition i < n is True, so the loop continues.",
     "Line 3 (iteration 1): the condition i < n is False, so the loop stops.",
     "i < n is True, not False"),
    (WHILE_INLINE, "5", "Line 3 (iteration 1): the condition i == 0 is True.",
     "Line 3 (iteration 1): the condition i == 2 is True.", "i == 2 is False, not True"),
    (WHILE_INLINE, "5", "Line 3 (iteration 2): the condition i + 1 == 3 is True.",
     "Line 3 (iteration 2): the condition i == 4 is True.", "i == 4 is False, not True"),
])
def test_inline_condition_true_verified_false_refuted(code: str, arg: str, true_step: str,
                                                     false_step: str, detail: str) -> None:
    rec = record(code, arg)
    assert verdicts(verify_text(rec, true_step)) == ["verified"]
    out = verify_text(rec, false_step)
    assert verdicts(out) == ["refuted"], out
    assert detail in out["steps"][0]["detail"]


def test_final_while_test_uses_the_state_after_the_last_run() -> None:
    rec = record(WHILE_INLINE, "5")
    # three runs of the body; the fourth test sees i == 6
    lead = "Line 3: iteration 3 of the loop begins.\n"
    ok = verify_text(rec, lead + "Line 3: the condition i == 6 is True, so the loop stops.")
    assert verdicts(ok) == ["verified", "verified"]
    bad = verify_text(rec, lead + "Line 3: the condition i == 4 is True, so the loop stops.")
    assert verdicts(bad) == ["verified", "refuted"]


@pytest.mark.parametrize(("code", "arg", "true_step", "false_step"), [
    (FOR_INLINE, "[1, 2, 3]", "Line 3: iteration 2 of the loop begins with x = 2 and t = 1.",
     "Line 3: iteration 2 of the loop begins with x = 2 and t = 3."),
    (FOR_INLINE, "[1, 2, 3]", "Line 3: iteration 1 begins with t = 0.",
     "Line 3: iteration 1 begins with t = 1."),
    (WHILE_INLINE, "5", "Line 3: iteration 2 of the loop begins with i = 2.",
     "Line 3: iteration 2 of the loop begins with i = 4."),
])
def test_inline_loop_start_state(code: str, arg: str, true_step: str, false_step: str) -> None:
    rec = record(code, arg)
    assert verdicts(verify_text(rec, true_step)) == ["verified"]
    assert verdicts(verify_text(rec, false_step)) == ["refuted"]


def test_a_target_the_inline_body_rebinds_is_not_placed() -> None:
    rec = record(FOR_REBINDS, "[1, 2]")
    # after the line x is 10, but at the start of the iteration it was 1: neither is claimable
    for value in ("1", "10"):
        out = verify_text(rec, f"Line 3: iteration 1 begins with x = {value}.")
        assert verdicts(out) == ["unknown"], out
    assert verdicts(verify_text(rec, "Line 3: iteration 2 begins with out = [10].")) == ["verified"]
    assert verdicts(verify_text(rec, "Line 3: iteration 2 begins with out = [].")) == ["refuted"]


def test_walrus_in_an_inline_header() -> None:
    rec = record(WALRUS_INLINE, "[1, 2, 3]")
    assert verdicts(verify_text(rec, "Line 3: the condition len(a) > 2 is True.")) == ["verified"]
    assert verdicts(verify_text(rec, "Line 3: the condition len(a) > 3 is True.")) == ["refuted"]
    # a condition over the name the header assigns cannot be placed mid-line
    assert verdicts(verify_text(rec, "Line 3: the condition n > 2 is True.")) == ["unknown"]
    # other names are decided on the state before the line
    assert verdicts(verify_text(rec, "Line 3: the condition k == 0 is True.")) == ["verified"]
    assert verdicts(verify_text(rec, "Line 3: the condition k == 3 is True.")) == ["refuted"]


@pytest.mark.parametrize(("code", "arg"), [
    (IF_INLINE, "'eB'"), (IF_INLINE, "'Ab'"), (ELIF_INLINE, "5"), (ELIF_INLINE, "-2"),
    (ELIF_INLINE, "1"), (WHILE_INLINE, "5"), (WHILE_INLINE, "0"), (FOR_INLINE, "[1, 2, 3]"),
    (FOR_INLINE, "[]"), (FOR_REBINDS, "[1, 2]"), (WALRUS_INLINE, "[1, 2, 3]"),
    (WALRUS_INLINE, "[1]"),
])
def test_template_rationales_on_inline_compounds_are_accepted(code: str, arg: str) -> None:
    rec = record(code, arg)
    trace = trace_of(rec)
    rationale = TemplateNarrator().narrate(rec, trace, "forward")
    out = verify_text(rec, rationale.text)
    assert out["accepted"], [s for s in out["steps"] if s["verdict"] != "verified"]


def test_the_body_on_the_header_line_is_narrated_after_the_decision() -> None:
    rec = record("def f(x):\n    count = 0\n    while x > 1: x //= 2; count += 1\n    return count, x\n", "5")
    text = TemplateNarrator(variety=False).narrate(rec, trace_of(rec), "forward").text
    lines = text.splitlines()
    decision = next(i for i, ln in enumerate(lines) if ln.startswith("Line 3 (iteration 1):")
                    and "x > 1 is True" in ln)
    effects = [i for i, ln in enumerate(lines) if "iteration 1" in ln and ("x is 2" in ln or "count is 1" in ln)]
    assert len(effects) == 2 and min(effects) > decision, text
    assert verify_text(rec, text)["accepted"]
    # the effect right after the decision is checked against the state after the line
    lead = "Line 3 (iteration 1): the condition x > 1 is True, so the loop continues.\n" \
           "Line 3: iteration 1 begins.\n"
    assert verdicts(verify_text(rec, lead + "Line 3 (iteration 1): x is 2.")) == ["verified"] * 3
    bad = verify_text(rec, lead + "Line 3 (iteration 1): x is 5.")
    assert verdicts(bad) == ["verified", "verified", "refuted"]
    assert "x is 2, not 5" in bad["steps"][2]["detail"]
