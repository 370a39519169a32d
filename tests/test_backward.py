"""Backward checking with the concolic engine: necessities proved or refuted, choices, checks.

Includes the backward mutation test: choices rewritten as necessities that do not hold are
refuted with a re-executed counterexample; wrong ``must`` values are refuted; wrong final
inputs fail the check; true necessities are proved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from codecot.corpus import CorpusRecord
from codecot.narrate.template import TemplateNarrator
from codecot.pipeline.verify_stage import session_factory
from codecot.sandbox import Limits
from codecot.trace.tracer import trace_in_process
from codecot.verify.record import plan, verdict_record

CONCAT = "def f(text, value):\n    text_list = list(text)\n    text_list.append(value)\n    return ''.join(text_list)\n"


@pytest.fixture(scope="module")
def factory() -> Iterator[Any]:
    with contextlib.ExitStack() as stack:
        yield session_factory(stack, 2, Limits())


def check(factory: Any, code: str, output: str, text: str, input_src: str = "") -> dict[str, Any]:
    rec = CorpusRecord(id="b", code=code, input=input_src, output=output)
    p = plan({"id": "b", "direction": "backward", "narrator": "test", "text": text}, rec)
    traces = [None if s is None else trace_in_process(code, s, None, id="b") for s in p.inputs]
    return verdict_record(p, traces, backward=factory)


def steps(out: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["kind"], s["verdict"]) for s in out["steps"]]


GOOD = """We need f(text, value) to return 'bcksrutq'.
Line 4 returns ''.join(text_list), so ''.join(text_list) must be 'bcksrutq'.
Let value be 'q'.
Then text must be 'bcksrut'.
Check: f('bcksrut', 'q') returns 'bcksrutq'.
So the input is 'bcksrut', 'q'."""


def test_design_example_is_accepted_with_proofs(factory: Any) -> None:
    out = check(factory, CONCAT, "'bcksrutq'", GOOD)
    assert out["accepted"], out["steps"]
    assert steps(out) == [("goal", "proved"), ("must", "proved"), ("let", "consistent"),
                          ("then-must", "proved"), ("check", "proved"), ("input", "proved")]
    assert "len(text) <= 8" in out["steps"][3]["detail"]


def test_choice_rewritten_as_necessity_is_refuted_with_a_counterexample(factory: Any) -> None:
    text = GOOD.replace("Let value be 'q'.", "value must be 'q'.")
    out = check(factory, CONCAT, "'bcksrutq'", text)
    assert not out["accepted"]
    step = out["steps"][2]
    assert step["verdict"] == "refuted"
    assert "counterexample: f(" in step["detail"] and "also returns 'bcksrutq'" in step["detail"]
    # the counterexample really gives the output and really violates the claim
    src = step["detail"].split("f(", 1)[1].split(") also", 1)[0]
    args = eval(f"({src},)")  # literal reprs written by the checker
    assert args[0] + args[1] == "bcksrutq" and args[1] != "q"


def test_wrong_must_value_is_refuted(factory: Any) -> None:
    out = check(factory, CONCAT, "'bcksrutq'", GOOD.replace("Then text must be 'bcksrut'.",
                                                            "Then text must be 'bcksru'."))
    assert out["steps"][3]["verdict"] == "refuted"
    out = check(factory, CONCAT, "'bcksrutq'", GOOD.replace("must be 'bcksrutq'.", "must be 'x'."))
    assert out["steps"][1]["verdict"] == "refuted"


def test_wrong_final_input_fails_the_check(factory: Any) -> None:
    text = GOOD.replace("f('bcksrut', 'q')", "f('bcksru', 'q')").replace(
        "input is 'bcksrut', 'q'", "input is 'bcksru', 'q'")
    out = check(factory, CONCAT, "'bcksrutq'", text)
    assert not out["accepted"]
    verdicts = dict(steps(out))
    assert verdicts["check"] == "refuted" and verdicts["input"] == "refuted"


def test_true_necessity_without_choices_is_proved(factory: Any) -> None:
    code = "def f(x):\n    y = x * 3 + 1\n    if y > 10:\n        return y - 10\n    return -y\n"
    text = """We need f(x) to return 6.
x must be 5.
Check: f(5) returns 6.
So the input is 5."""
    out = check(factory, code, "6", text)
    assert out["accepted"], out["steps"]
    assert steps(out)[1] == ("must", "proved")
    assert "paths" in out["steps"][1]["detail"]
    # a necessity that only holds on one of two branches is refuted (x = -3 gives 8 too)
    code2 = "def f(x):\n    if x > 0:\n        return x + 3\n    return -x + 5\n"
    text2 = "We need f(x) to return 8.\nx must be 5.\nCheck: f(5) returns 8.\nSo the input is 5."
    out2 = check(factory, code2, "8", text2)
    assert steps(out2)[1] == ("must", "refuted")
    assert "f(-3)" in out2["steps"][1]["detail"]


def test_case_mapping_necessity(factory: Any) -> None:
    code = "def f(s):\n    if s.isupper():\n        return s.lower()\n    return s.upper()\n"
    # 'ab' comes from 'AB' (upper branch) and only from it: 'ab'.upper() is 'AB', not 'ab'
    text = "We need f(s) to return 'ab'.\ns must be 'AB'.\nCheck: f('AB') returns 'ab'.\nSo the input is 'AB'."
    out = check(factory, code, "'ab'", text)
    assert steps(out)[1] == ("must", "proved"), out["steps"][1]
    text2 = text.replace("s must be 'AB'.", "s must be 'Ab'.")
    assert steps(check(factory, code, "'ab'", text2))[1] == ("must", "refuted")


def test_line_anchored_necessity_ignores_paths_not_reaching_the_line(factory: Any) -> None:
    code = "def f(x):\n    if x > 100:\n        return 0\n    y = x * 2\n    return y\n"
    text = "We need f(x) to return 8.\nLine 5: y must be 8.\nLet x be 4.\nCheck: f(4) returns 8.\nSo the input is 4."
    out = check(factory, code, "8", text)
    assert out["accepted"], out["steps"]
    assert out["steps"][1]["verdict"] == "proved"


def test_template_backward_rationale_marks_choices_and_necessities() -> None:
    rec = CorpusRecord(id="t", code=CONCAT, input="'bcksrut', 'q'", output="'bcksrutq'")
    trace = trace_in_process(rec.code, rec.input, None, id="t")
    text = TemplateNarrator(variety=False).narrate(rec, trace, "backward").text
    lines = text.splitlines()
    # text alone is not determined by the output (a choice); given it, value is
    assert "Let text be 'bcksrut'." in lines, text
    assert "Then value must be 'q'." in lines, text
    out = check_rationale(rec, text)
    assert out["accepted"], out["steps"]
    assert [s["verdict"] for s in out["steps"]][1:4] == ["proved", "consistent", "proved"]


def check_rationale(rec: CorpusRecord, text: str) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        return check(session_factory(stack, 2, Limits()), rec.code, str(rec.output), text)


PREFIX = "def f(s):\n    return s[:3] + s[-1]\n"


def test_template_writes_proved_properties_of_inputs() -> None:
    rec = CorpusRecord(id="p", code=PREFIX, input="'abcdez'", output="'abcz'")
    trace = trace_in_process(rec.code, rec.input, None, id="p")
    lines = TemplateNarrator(variety=False).narrate(rec, trace, "backward").text.splitlines()
    assert "s must satisfy s.startswith('abc')." in lines, lines
    assert "s must satisfy s.endswith('z')." in lines, lines
    assert "Let s be 'abcdez'." in lines and not any("len(s)" in x for x in lines), lines
    out = check_rationale(rec, "\n".join(lines))
    assert out["accepted"], out["steps"]
    assert [s["verdict"] for s in out["steps"]][2:4] == ["proved", "proved"]


def test_false_properties_of_inputs_are_refuted(factory: Any) -> None:
    base = ("We need f(s) to return 'abcz'.\n{claim}\nLet s be 'abcdez'.\n"
            "Check: f('abcdez') returns 'abcz'.\nSo the input is 'abcdez'.")
    for claim in ("len(s) must be 6.", "s must start with 'abcd'.", "s must end with 'ez'."):
        out = check(factory, PREFIX, "'abcz'", base.format(claim=claim))
        step = out["steps"][1]
        assert step["verdict"] == "refuted", (claim, step)
        src = step["detail"].split("f(", 1)[1].split(") also", 1)[0]
        s = eval(src)  # a literal written by the checker
        assert s[:3] + s[-1] == "abcz"
        assert not (len(s) == 6 if "len" in claim else s.startswith("abcd")
                    if "start" in claim else s.endswith("ez"))
    for claim in ("len(s) must be at least 4.", "s must start with 'abc'."):
        out = check(factory, PREFIX, "'abcz'", base.format(claim=claim))
        assert out["steps"][1]["verdict"] == "proved", (claim, out["steps"][1])


def test_a_choice_naming_a_builtin_is_about_the_parameters(factory: Any) -> None:
    # `str` is no parameter: it is the builtin, so the choice is decided at the final input
    for choice, verdict in (("Let str.upper(value) be 'Q'.", "consistent"),
                            ("Let str.upper(value) be 'R'.", "refuted")):
        out = check(factory, CONCAT, "'bcksrutq'", GOOD.replace("Let value be 'q'.", choice))
        step = out["steps"][2]
        assert step["verdict"] == verdict, step
        if verdict == "refuted":
            assert step["detail"] == "the final input does not honour the choice: value = 'q'"


APPLY = ("def double(x):\n    return x * 2\n\ndef triple(x):\n    return x * 3\n\n"
         "def f(nums, op):\n    out = []\n    for n in nums:\n        out.append(op(n))\n    return out\n")
APPLY_GOOD = """We need f(nums, op) to be [2, 4].
Line 11 returns out, so out must be [2, 4].
Let nums be [1, 2].
{choice}
Check: f([1, 2], double) returns [2, 4].
So the input is [1, 2], double."""


@pytest.mark.parametrize(("choice", "verdict", "detail"), [
    ("Let op be double.", "consistent", ""),
    ("Let op be equal to double.", "consistent", ""),
    ("Let op satisfy double == op.", "consistent", ""),
    # the final input passes double: another function of the program is refuted
    ("Let op be triple.", "refuted", "the final input does not honour the choice: op = double"),
    # a literal is never the function the input passes
    ("Let op be 2.", "unknown", None),
    # no function of the program is called dbl
    ("Let op be dbl.", "unknown", "the choice is not about the parameters alone"),
])
def test_a_choice_can_give_a_parameter_a_program_function(
        factory: Any, choice: str, verdict: str, detail: str | None) -> None:
    out = check(factory, APPLY, "[2, 4]", APPLY_GOOD.format(choice=choice), "[1, 3], double")
    step = out["steps"][3]
    assert (step["kind"], step["verdict"]) == ("let", verdict), step
    if detail is not None:
        assert step["detail"] == detail
    assert out["accepted"] is (verdict == "consistent")


def test_a_function_choice_is_refuted_where_the_final_input_passes_a_literal(
        factory: Any) -> None:
    code = "def double(x):\n    return x * 2\n\ndef f(nums, op):\n    return len(nums)\n"
    text = "We need f(nums, op) to be 1.\nLet op be double.\nSo the input is [1], {op}."
    out = check(factory, code, "1", text.format(op="double"), "[1], double")
    assert [s["verdict"] for s in out["steps"]] == ["proved", "consistent", "proved"]
    out = check(factory, code, "1", text.format(op="5"), "[1], double")
    assert [s["verdict"] for s in out["steps"]] == ["proved", "refuted", "refuted"]
    assert out["steps"][1]["detail"] == "the final input does not honour the choice: op = 5"
