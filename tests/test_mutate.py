"""Mutants are certified wrong, carry metadata, and are rejected at the mutated step."""

from __future__ import annotations

import pytest

from codecot.narrate.template import TemplateNarrator
from codecot.verify.mutate import OPERATORS, mutate_rationale
from tests.helpers import record, trace_of, verify_text

PROGRAMS = [
    ("def f(nums):\n    total = 0\n    best = nums[0]\n    for n in nums:\n        if n > best:\n"
     "            best = n\n        total += n\n    return total, best\n", "[3, 1, 4, 1, 5]"),
    ("def f(s):\n    out = ''\n    i = 0\n    while i < len(s):\n        if s[i].isupper():\n"
     "            out += s[i].lower()\n        else:\n            out = out + s[i]\n        i += 1\n"
     "    return out\n", "'aBcD'"),
]


@pytest.mark.parametrize(("code", "inp"), PROGRAMS)
def test_every_operator_yields_a_rejected_localised_mutant(code: str, inp: str) -> None:
    rec = record(code, inp)
    trace = trace_of(rec)
    rationale = TemplateNarrator().narrate(rec, trace, "forward").to_json()
    assert verify_text(rec, rationale["text"])["accepted"]
    mutants = mutate_rationale(rationale, trace, seed=1)
    ops = {m["mutation"]["operator"] for m in mutants}
    assert ops >= set(OPERATORS) - {"wrong_element"} or ops == set(OPERATORS)
    for m in mutants:
        out = verify_text(rec, m["text"])
        assert not out["accepted"], m["mutation"]
        first_bad = next(s["index"] for s in out["steps"] if s["verdict"] != "verified")
        assert first_bad == m["mutation"]["step"], (m["mutation"], out["steps"][first_bad])
        assert m["text"] != rationale["text"]
        assert m["id"] == rationale["id"] and m["narrator"] == rationale["narrator"]


def test_mutants_are_deterministic_per_seed() -> None:
    rec = record(*PROGRAMS[0])
    trace = trace_of(rec)
    rationale = TemplateNarrator().narrate(rec, trace, "forward").to_json()
    a = mutate_rationale(rationale, trace, seed=5)
    b = mutate_rationale(rationale, trace, seed=5)
    assert a == b


def test_uncertifiable_mutation_is_not_emitted() -> None:
    # every iteration sees the same value: a branch flip is certified, but there is no loop count
    # to change and no earlier value to go stale
    rec = record("def f(x):\n    y = x * 2\n    return y\n", "4")
    trace = trace_of(rec)
    rationale = TemplateNarrator().narrate(rec, trace, "forward").to_json()
    ops = {m["mutation"]["operator"] for m in mutate_rationale(rationale, trace)}
    assert "wrong_loop_count" not in ops and "stale_value" not in ops and "wrong_branch" not in ops
    assert {"off_by_one", "wrong_answer"} <= ops


def test_backward_rationales_are_not_mutated_yet() -> None:
    rec = record("def f(x):\n    return x + 1\n", "4", output="5")
    trace = trace_of(rec)
    rationale = TemplateNarrator().narrate(rec, trace, "backward").to_json()
    assert mutate_rationale(rationale, trace) == []
