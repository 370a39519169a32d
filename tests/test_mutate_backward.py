"""Backward mutants: each operator's mutants are certified wrong without the verifier, and the
verifier rejects them at the mutated step; gold rationales stay accepted."""

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
from codecot.trace.values import decode, same_value
from codecot.verify.mutate_backward import BACKWARD_OPERATORS, alternatives, mutate_backward
from codecot.verify.record import plan, verdict_record

PROGRAMS = [
    # an over-claim is possible: the sum does not fix the order
    ("def f(a, b):\n    return a + b\n", "3, 4"),
    ("def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n", "[1, 2, 3]"),
    ("def f(s, t):\n    return ''.join(sorted(s + t))\n", "'ba', 'c'"),
    ("def f(n):\n    if n > 10:\n        return 'big'\n    return 'small'\n", "12"),
    ("def f(text):\n    return len(text.strip()) * 2\n", "' abc '"),
]
GOOD = {"verified", "proved", "consistent"}


@pytest.fixture(scope="module")
def factory() -> Iterator[Any]:
    with contextlib.ExitStack() as stack:
        yield session_factory(stack, 1, Limits())


def _run(code: str) -> Any:
    def run(sources: list[str]) -> list[dict[str, Any]]:
        return [trace_in_process(code, s, "f", id="alt") for s in sources]
    return run


def _verify(factory: Any, rec: CorpusRecord, rationale: dict[str, Any]) -> dict[str, Any]:
    p = plan(rationale, rec)
    traces = [None if s is None else trace_in_process(rec.code, s, "f", id=rec.id) for s in p.inputs]
    return verdict_record(p, traces, backward=factory)


def _record(code: str, arg: str) -> tuple[CorpusRecord, dict[str, Any]]:
    trace = trace_in_process(code, arg, "f", id="m")
    assert trace["ok"], trace["error"]
    return CorpusRecord(id="m", code=code, input=arg, output=trace["output"], entry="f"), trace


def _mutants() -> list[tuple[CorpusRecord, dict[str, Any], dict[str, Any]]]:
    out = []
    for code, arg in PROGRAMS:
        rec, trace = _record(code, arg)
        rat = TemplateNarrator().narrate(rec, trace, "backward").to_json()
        for mutant in mutate_backward(rat, trace, str(rec.output), _run(code), seed=1):
            out.append((rec, rat, mutant))
    return out


MUTANTS = _mutants()


def test_every_operator_produces_mutants() -> None:
    assert {m["mutation"]["operator"] for _, _, m in MUTANTS} == set(BACKWARD_OPERATORS)


@pytest.mark.parametrize(("code", "arg"), PROGRAMS)
def test_gold_backward_rationales_are_accepted(factory: Any, code: str, arg: str) -> None:
    rec, trace = _record(code, arg)
    out = _verify(factory, rec, TemplateNarrator().narrate(rec, trace, "backward").to_json())
    assert out["accepted"], out["steps"]


@pytest.mark.parametrize(("rec", "gold", "mutant"), MUTANTS,
                         ids=[f"{m['mutation']['operator']}-{r.code[:12]}" for r, _, m in MUTANTS])
def test_mutant_is_rejected_at_the_mutated_step(factory: Any, rec: CorpusRecord,
                                                gold: dict[str, Any], mutant: dict[str, Any]) -> None:
    step = mutant["mutation"]["step"]
    assert mutant["text"].splitlines()[step] != gold["text"].splitlines()[step]
    out = _verify(factory, rec, mutant)
    assert not out["accepted"]
    first_bad = next(s["index"] for s in out["steps"] if s["verdict"] not in GOOD)
    assert first_bad == step, out["steps"]
    assert out["steps"][step]["verdict"] == "refuted", out["steps"][step]


def test_overclaim_certificate_is_a_real_second_input() -> None:
    found = [(r, m) for r, _, m in MUTANTS if m["mutation"]["operator"] == "overclaimed_necessity"]
    assert found
    for rec, mutant in found:
        detail = mutant["mutation"]["detail"]
        other = detail.removeprefix("the input ").split(f" also gives {rec.output}")[0]
        assert other != rec.input
        trace = trace_in_process(rec.code, other, "f", id="x")
        assert trace["ok"] and trace["output"] == rec.output


def test_alternatives_are_distinct_values_of_the_same_type() -> None:
    import random

    for value in (3, "abc", [1, 2], (1, "a"), True):
        alts = alternatives(value, random.Random(0))
        assert alts
        assert all(type(a) is type(value) and not same_value(a, value) for a in alts)
        assert len({repr(a) for a in alts}) == len(alts)
    assert decode("(1, 'a')") == (1, "a")


CASEFOLD = "def f(a, b):\n    return (a.casefold() == b.casefold(), a == b)\n"


def test_known_input_refutes_a_necessity_a_bounded_exploration_misses(factory: Any) -> None:
    # the exploration bounds strings to ASCII; 'Straße' lies outside, so on the bounded domain
    # no input honours the choice and the necessity would hold vacuously
    rec, _ = _record(CASEFOLD, "'Straße', 'STRASSE'")
    text = ("We need f(a, b) to return (True, False).\nLet a be 'Straße'.\n"
            "Given these choices, {b}.\nCheck: f('Straße', 'STRASSE') returns (True, False).\n"
            "So the input is 'Straße', 'STRASSE'.")
    wrong = _verify(factory, rec, {"id": "m", "direction": "backward", "narrator": "t",
                                   "text": text.format(b="b must be 'xTRASSE'")})
    assert wrong["steps"][2]["verdict"] == "refuted", wrong["steps"]
    assert "counterexample" in wrong["steps"][2]["detail"]
    right = _verify(factory, rec, {"id": "m", "direction": "backward", "narrator": "t",
                                   "text": text.format(b="b must be different from a")})
    assert right["steps"][2]["verdict"] == "proved_on_path", right["steps"]
    assert "non-ASCII" in right["steps"][2]["detail"]
    # 'STRASSE' itself is no necessity: the search for other inputs finds one
    other = _verify(factory, rec, {"id": "m", "direction": "backward", "narrator": "t",
                                   "text": text.format(b="b must be 'STRASSE'")})
    assert other["steps"][2]["verdict"] == "refuted", other["steps"]


@pytest.mark.parametrize("arg", ["[3, 1, 2], lambda x: -x", "[-3, 1, 2], abs"])
def test_no_backward_mutants_need_an_argument_without_a_literal(arg: str) -> None:
    code = "def f(xs, key):\n    return sorted(xs, key=key)\n"
    trace = trace_in_process(code, arg, "f", id="l")
    rec = CorpusRecord(id="l", code=code, input=arg, output=trace["output"], entry="f")
    rat = TemplateNarrator().narrate(rec, trace, "backward").to_json()
    mutants = mutate_backward(rat, trace, str(rec.output), _run(code), seed=0)
    assert all(m["mutation"]["operator"] in BACKWARD_OPERATORS for m in mutants)
    # an argument written by its source is never replaced by a value
    assert all("abs" in m["text"] or "lambda" in m["text"] for m in mutants)
