"""Every Python identifier is nameable in every claim position: the grammar's own keywords and
non-ASCII names used as parameters, locals, loop variables and helper functions are narrated by
the template narrator, parsed and verified, in both directions."""

from __future__ import annotations

import contextlib
import keyword
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codecot.corpus import CorpusRecord
from codecot.narrate.template import TemplateNarrator
from codecot.pipeline.verify_stage import session_factory
from codecot.sandbox import Limits
from codecot.trace.tracer import trace_in_process
from codecot.verify.record import plan, verdict_record

GRAMMAR = Path(__file__).resolve().parent.parent / "grammars" / "narration.lark"
ACCEPTED = {"verified", "proved", "proved_on_path", "consistent"}


def grammar_keywords() -> list[str]:
    """Every word the grammar reserves somewhere that Python allows as a variable name."""
    words = {m.group(1).lower() for m in re.finditer(r'^_[A-Z]+: "(\w+)"i?', GRAMMAR.read_text(), re.M)}
    return sorted(w for w in words if w.isidentifier() and not keyword.iskeyword(w)
                  and w not in ("true", "false", "none"))


NAMES = [*grammar_keywords(), "größe", "naïve", "名前", "café", "Ärger"]

# each name takes every role across the three rotations of its group
PROGRAM = """def {a}(x):
    return x * 2

def f({b}, {c}):
    {b} = {b} + 1
    for {c} in range({c}):
        {b} += {a}({c})
    if {b} > 3:
        {b} = {b} - 1
    return {b}
"""


def programs() -> list[tuple[str, str]]:
    out = []
    groups = [NAMES[i:i + 3] for i in range(0, len(NAMES), 3)]
    groups[-1] = (groups[-1] + ["zz_a", "zz_b"])[:3]
    for group in groups:
        for shift in range(3):
            a, b, c = group[shift:] + group[:shift]
            out.append((f"{a}/{b}/{c}", PROGRAM.format(a=a, b=b, c=c)))
    return out


PROGRAMS = programs()


def test_the_keyword_list_is_the_grammars() -> None:
    names = grammar_keywords()
    for word in ("no", "then", "the", "so", "let", "we", "iteration", "call", "must", "now"):
        assert word in names
    assert "and" not in names and "lambda" not in names  # Python keywords are not names
    assert {n for p in PROGRAMS for n in p[0].split("/")} >= set(NAMES)


def _record(code: str) -> tuple[CorpusRecord, dict[str, Any]]:
    trace = trace_in_process(code, "3, 2", "f", id="k")
    assert trace["ok"], trace["error"]
    return CorpusRecord(id="k", code=code, input="3, 2", output=trace["output"], entry="f"), trace


def _bad(out: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s["text"], s["verdict"], s["detail"]) for s in out["steps"] if s["verdict"] not in ACCEPTED]


@pytest.mark.parametrize(("names", "code"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_forward_template_names_every_identifier(names: str, code: str) -> None:
    rec, trace = _record(code)
    rationale = TemplateNarrator().narrate(rec, trace, "forward")
    for name in names.split("/"):
        assert name in rationale.text
    out = verdict_record(plan({"id": "k", "direction": "forward", "narrator": "t",
                               "text": rationale.text}, rec), [trace])
    assert out["accepted"], _bad(out)
    # and a false value about the same names is refuted, not misread
    wrong = rationale.text.replace(f"returns {trace['output']}", f"returns {trace['output']}0")
    out = verdict_record(plan({"id": "k", "direction": "forward", "narrator": "t", "text": wrong}, rec),
                         [trace])
    assert not out["accepted"] and "refuted" in [s["verdict"] for s in out["steps"]]


@pytest.fixture(scope="module")
def factory() -> Iterator[Any]:
    with contextlib.ExitStack() as stack:
        yield session_factory(stack, 1, Limits())


# backward: the first rotation of each group (every name once as helper, parameter and loop target)
BACKWARD = PROGRAMS[::3]


@pytest.mark.parametrize(("names", "code"), BACKWARD, ids=[p[0] for p in BACKWARD])
def test_backward_template_names_every_identifier(factory: Any, names: str, code: str) -> None:
    rec, trace = _record(code)
    rationale = TemplateNarrator().narrate(rec, trace, "backward")
    p = plan({"id": "k", "direction": "backward", "narrator": "t", "text": rationale.text}, rec)
    traces = [None if s is None else trace_in_process(code, s, "f", id="k") for s in p.inputs]
    out = verdict_record(p, traces, backward=factory)
    assert out["accepted"], _bad(out)


def test_a_necessity_after_so_guards_a_keyword_subject() -> None:
    """``So the must satisfy x and the.`` did not parse (found by the round-trip property test):
    after ``So`` the subject ``the`` is written ``(the)``."""
    from codecot.claims import expr as E
    from codecot.claims import model as M
    from codecot.claims import parse_step
    from codecot.claims.render import render_claim

    claim = M.ConditionOnInputClaim(condition=E.BoolOp("and", (E.Name("x"), E.Name("the"))),
                                    modality=M.Modality.NECESSARY)
    texts = {render_claim(claim, variant=v) for v in range(4)}
    assert "So (the) must satisfy x and the." in texts
    for text in texts:
        assert parse_step(text).condition == claim.condition, text
