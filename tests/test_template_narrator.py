"""Template narrator: golden rationales, determinism, long-loop summaries, 100% acceptance."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codecot.claims.parse import StepParseError, parse_rationale
from codecot.corpus import CorpusRecord, load_records, packaged_corpus
from codecot.narrate.template import TemplateNarrator
from tests.helpers import record, trace_of, verify_text

GOLDEN = Path(__file__).parent / "golden"
DEMO = [r for r in load_records(packaged_corpus("demo")) if isinstance(r, CorpusRecord)]


@pytest.mark.parametrize("rec", DEMO, ids=lambda r: r.id)
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_golden_rationales(rec: CorpusRecord, direction: str) -> None:
    text = TemplateNarrator(seed=0).narrate(rec, trace_of(rec), direction).text
    path = GOLDEN / f"{rec.id}.{direction}.txt"
    if os.environ.get("CODECOT_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("rec", DEMO, ids=lambda r: r.id)
def test_demo_forward_rationales_are_accepted(rec: CorpusRecord) -> None:
    text = TemplateNarrator(seed=3).narrate(rec, trace_of(rec), "forward").text
    out = verify_text(rec, text)
    assert out["accepted"], out


def test_same_seed_same_text_and_seeds_vary_wording() -> None:
    rec = DEMO[1]
    trace = trace_of(rec)
    texts = {TemplateNarrator(seed=s).narrate(rec, trace, "forward").text for s in range(6)}
    assert TemplateNarrator(seed=1).narrate(rec, trace, "forward").text == \
        TemplateNarrator(seed=1).narrate(rec, trace, "forward").text
    assert len(texts) > 1
    claims = {json.dumps([type(c).__name__ for c in parse_rationale(t)]) for t in texts}
    assert len(claims) == 1  # wording varies, content does not


def test_long_loops_are_summarised_and_stay_checkable() -> None:
    code = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"
    rec = record(code, "60")
    text = TemplateNarrator(max_iterations=4).narrate(rec, trace_of(rec), "forward").text
    lines = text.splitlines()
    assert len(lines) < 25
    assert any("iterations 5" in ln for ln in lines)
    assert any("iteration 60" in ln and "total = 1711" in ln for ln in lines)
    out = verify_text(rec, text)
    assert out["accepted"], [s for s in out["steps"] if s["verdict"] != "verified"]


def test_every_step_parses_and_backward_choices_are_choices() -> None:
    rec = record("def f(text, value):\n    xs = list(text)\n    xs.append(value)\n    return ''.join(xs)\n",
                 "'bcksrut', 'q'", output="'bcksrutq'")
    narrator = TemplateNarrator()
    for direction in ("forward", "backward"):
        steps = parse_rationale(narrator.narrate(rec, trace_of(rec), direction).text)
        assert not any(isinstance(s, StepParseError) for s in steps)
    back = narrator.narrate(rec, trace_of(rec), "backward").text
    out = verify_text(rec, back, "backward", traces=[trace_of(rec), trace_of(rec)])
    kinds = {s["kind"]: s["verdict"] for s in out["steps"]}
    assert kinds["let"] == "consistent"
    assert kinds["input"] == "proved"
    assert kinds["must"] in ("proved", "proved_on_path")  # the return-line necessity


def test_failed_trace_is_not_narrated() -> None:
    from codecot.narrate.base import NarrationError

    rec = record("def f(x):\n    return 1 // x\n", "0")
    from codecot.trace.tracer import trace_in_process

    trace = trace_in_process(rec.code, rec.input)
    with pytest.raises(NarrationError, match="trace failed"):
        TemplateNarrator().narrate(rec, trace, "forward")

