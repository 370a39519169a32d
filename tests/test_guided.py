"""Guided decoding (``--guided K``): each step checked as written, bad steps resampled.

The decoding tests use the tiny random model of ``test_hf_narrator`` (no download), biased to
write short steps (``terse``), on prompts frozen in ``fixtures/guided_prompts.json``, with stub
checkers whose verdicts are scripted by step and try; the checker tests use the real forward and
backward checkers on demo records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codecot.claims import StepParseError, parse_rationale
from codecot.corpus import CorpusRecord, load_records
from codecot.narrate.base import Rationale
from codecot.verify.verdicts import Verdict
from tests.test_hf_narrator import DEMO, _demo_items, terse, tiny_model  # noqa: F401

Script = Callable[[int, int], Verdict | None]


class StubChecker:
    """Verdicts from ``script(step, try)``; records every line checked and accepted."""

    def __init__(self, script: Script, ahead: dict[int, frozenset[int]] | None = None) -> None:
        self.script = script
        self.ahead = ahead
        self.step = 0
        self.tries = 0
        self.checked: list[tuple[int, str, Verdict | None]] = []
        self.accepted: list[str] = []

    def check(self, line: str) -> Verdict | None:
        verdict = self.script(self.step, self.tries)
        self.checked.append((self.step, line, verdict))
        self.tries += 1
        return verdict

    def accept(self, line: str) -> None:
        self.accepted.append(line)
        self.step += 1
        self.tries = 0

    def lines_ahead(self) -> dict[int, frozenset[int]] | None:
        return self.ahead

    def lines_of(self, step: int) -> list[tuple[str, Verdict | None]]:
        return [(line, v) for s, line, v in self.checked if s == step]


@pytest.fixture(scope="module")
def narrator(tiny_model: Path) -> Any:  # noqa: F811 (the imported fixture)
    from codecot.narrate.hf import HFNarrator, HFSettings

    return HFNarrator(HFSettings(model=str(tiny_model), batch_size=4, max_steps=6, examples=1,
                                 threads=1), loaded=terse(tiny_model))

#: No cap on a step's tokens: here every try reaches the checker (a try rolled back for running
#: too long never does; test_hf_narrator checks the cap)
NO_STEP_CAP = 10_000


#: The prompts of :func:`_demo_items` by ``"ID DIRECTION"``, chat-formatted for the tiny model,
#: as the narrator wrote them when these tests were written (the long form, one example,
#: grounded).
FIXED_PROMPTS: dict[str, str] = json.loads(
    (Path(__file__).parent / "fixtures" / "guided_prompts.json").read_text())


def fixed_prompt(item: tuple[CorpusRecord, dict[str, Any], str]) -> str:
    """``item``'s prompt from :data:`FIXED_PROMPTS`, not from ``prompts``: the random model's
    steps change with every token of its prompt, and these tests, which are about the decoder,
    need rationales of several steps whatever a later change does to the prompts' wording."""
    record, _, direction = item
    return FIXED_PROMPTS[f"{record.id} {direction}"]


def _generate(narrator: Any, checkers: list[Any] | None, tries: int, *, seed: int = 0,
              temperature: float = 1.0, budget: int = 120,
              items: list[Any] | None = None) -> list[Any]:
    from codecot.narrate.hf.generate import generate_batch

    items = items or _demo_items()
    return generate_batch(narrator.loaded.model, narrator.loaded.tokenizer,
                          [fixed_prompt(it) for it in items], [d for *_, d in items],
                          constraint=narrator.constraint, max_new_tokens=budget,
                          temperature=temperature, seed=seed, max_steps=6,
                          reserves=narrator._steering(items)["reserves"], checkers=checkers,
                          tries=tries, resample_temperature=0.7, max_step_tokens=NO_STEP_CAP)


def _lines(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln]


def test_a_refuted_step_is_resampled_and_an_accepted_one_kept(narrator: Any) -> None:
    # every step's first try is refuted, later ones accepted (a try that does not parse as a
    # step, or a final step that is not one, fails anyway); three seeds, so that enough steps
    # of the random model's long ones are kept whole
    runs = []
    for seed in (0, 1, 2):
        stubs = [StubChecker(lambda step, k: Verdict.REFUTED if k == 0 else Verdict.VERIFIED)
                 for _ in range(4)]
        runs += zip(_generate(narrator, stubs, 3, budget=200, seed=seed), stubs, strict=True)
    steps = 0
    for gen, stub in runs:
        lines = _lines(gen.text)
        assert stub.accepted == lines  # what was kept is exactly what the checker accepted
        assert len(gen.resamples) == len(lines)
        for i, line in enumerate(lines):
            tries = stub.lines_of(i)
            assert tries[0][1] is Verdict.REFUTED and tries[-1][0] == line
            if gen.closed_early and i == len(lines) - 1:
                continue  # tries of a step given up for the final one are not counted
            assert gen.resamples[i] == len(tries) - 1 >= 1  # the refuted first try was redone
            if gen.resamples[i] < 2:  # kept before the last try: accepted, and it parses
                assert tries[-1][1] is Verdict.VERIFIED
                assert not isinstance(parse_rationale(line)[0], StepParseError)
            steps += 1
    assert steps >= 4


def test_a_line_step_names_only_a_line_the_checker_has_ahead(narrator: Any) -> None:
    # after "Call f ...", a checker with lines 3 and 12 ahead (3 in loop iterations 2 and 5):
    # "Line " may go on with 3 or 1 (the start of 12), not 2 or 4; "Line 3 (iteration " with
    # 2 or 5; "Line 12" with no iteration; any other step is left as the grammar allows it
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec
    from codecot.narrate.hf.narrowing import lines_ahead, word_bound

    tok, constraint = narrator.loaded.tokenizer, narrator.constraint
    texts = constraint.texts
    stub = StubChecker(lambda step, k: Verdict.VERIFIED, {3: frozenset({2, 5}), 12: frozenset()})
    decoder = Decoder(tok, constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                      temperature=0.0, tries=2)
    row, attention = decoder.rows[0], torch.ones((1, 400), dtype=torch.bool)
    for token in tok("Call f with x = 4.\n", add_special_tokens=False)["input_ids"]:
        assert decoder._take(row, 0, token, attention) == "feed"
        row.cols.append(len(row.cols))
    assert stub.accepted == ["Call f with x = 4."]
    everything = torch.ones(len(texts), dtype=torch.bool)
    assert bool(lines_ahead(constraint, [], stub, everything).all())  # no line yet

    def offered(prefix: str) -> set[str]:
        del row.tokens[row.step_start:]
        row.tokens.extend(tok(prefix, add_special_tokens=False)["input_ids"])
        kept = lines_ahead(constraint, row.tokens[row.step_start:], stub, everything)
        return {texts[t] for t in torch.nonzero(kept).flatten().tolist()}

    after_line = offered("Line ")
    assert {"3", "1"} <= after_line and not {"2", "4"} & after_line
    assert "x" in after_line  # not a number: left to the grammar
    after_one = offered("Line 1")
    assert "2" in after_one and not {"3", "0", ":"} & after_one  # 12 goes on; 1 and 10 do not
    labels = offered("Line 3 (iteration ")
    assert {"2", "5"} <= labels and not {"1", "3"} & labels
    assert "(" in offered("Line 3 ") and "(" not in offered("Line 12 ")
    assert {"3", "4"} <= offered("So ")  # not a line reference
    # the decoder narrows a guided row's header so, and an unguided row's only to word bounds
    two = [t for t in range(len(texts)) if texts[t] == "2"]
    del row.tokens[row.step_start:]
    row.tokens.extend(tok("Line ", add_special_tokens=False)["input_ids"])
    guided = decoder._narrow(row, everything)
    assert guided is not None and two and not any(bool(guided[t]) for t in two)
    alone = Decoder(tok, constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                    temperature=0.0, tries=1)  # not guided: no header narrowing
    alone.rows[0].tokens.extend(tok("Line ", add_special_tokens=False)["input_ids"])
    unguided = alone._narrow(alone.rows[0], everything)
    assert unguided is not None and all(bool(unguided[t]) for t in two)
    assert torch.equal(unguided, word_bound(constraint, alone.rows[0].tokens, None, everything))


def _feed(decoder: Any, tok: Any, text: str) -> str:
    """Feed ``text``'s tokens to the decoder's only row as if sampled; the last outcome."""
    import torch

    row, attention = decoder.rows[0], torch.ones((1, 400), dtype=torch.bool)
    outcome = ""
    for token in tok(text, add_special_tokens=False)["input_ids"]:
        outcome = decoder._take(row, 0, token, attention)
        if outcome == "feed":
            row.cols.append(len(row.cols))
    return outcome


def test_a_step_that_says_again_what_a_kept_step_said_is_resampled(narrator: Any) -> None:
    # a checker that verifies everything: guided, the same step a second time is rolled back
    # as unknown (a model looping on a true step); another step, or the same one unguided,
    # is kept
    from codecot.narrate.hf.decode import Decoder, RowSpec

    tok, constraint = narrator.loaded.tokenizer, narrator.constraint
    step = "Line 2: total = 0, so total is 0.\n"

    def feed(decoder: Decoder, text: str) -> str:
        return _feed(decoder, tok, text)

    for tries, kept_twice in ((3, False), (1, True)):
        stub = StubChecker(lambda step, k: Verdict.VERIFIED)
        decoder = Decoder(tok, constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                          temperature=0.0, tries=tries)
        assert feed(decoder, step) == "feed"
        assert feed(decoder, step) == ("feed" if kept_twice else "retry")
        if kept_twice:
            continue
        assert stub.accepted == [step.strip()]
        assert [t.verdict for t in decoder.rows[0].tries] == [Verdict.UNKNOWN]
        assert feed(decoder, "Line 3: total is now 3.\n") == "feed"
        assert stub.accepted == [step.strip(), "Line 3: total is now 3."]
        # the kept step's claim in other words and spacing is a repeat too
        assert feed(decoder, "Line 3:  total becomes 3.\n") == "retry"
        assert feed(decoder, "Line 3: total becomes 4.\n") == "feed"


@pytest.mark.parametrize("skips", [0, 1])
def test_a_step_whose_tries_all_fail_is_skipped_to_another_line(narrator: Any,
                                                               skips: int) -> None:
    # lines 3 (iterations 2 and 5) and 12 ahead; every try after the call step is refuted.
    # With a skip, once K = 2 tries about line 3's iteration 2 failed the step is written
    # again without it: "Line 3 (iteration " goes on with 5 only, and the next round's two
    # tries are counted with the first's; after that round the best try of both is kept.
    # Without, the best of the first round is kept at once.
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec
    from codecot.narrate.hf.narrowing import lines_ahead

    tok, constraint = narrator.loaded.tokenizer, narrator.constraint
    texts = constraint.texts
    stub = StubChecker(lambda step, k: Verdict.VERIFIED if step == 0 else Verdict.REFUTED,
                       {3: frozenset({2, 5}), 12: frozenset()})
    decoder = Decoder(tok, constraint, [RowSpec("forward", 300, 20, checker=stub)], [0],
                      temperature=0.0, tries=2, skips=skips)
    row = decoder.rows[0]
    assert _feed(decoder, tok, "Call f with x = 4.\n") == "feed"
    assert _feed(decoder, tok, "Line 3 (iteration 2): x is now 5.\n") == "retry"
    second = _feed(decoder, tok, "Line 3: iteration 2 starts with x = 6.\n")
    if not skips:
        assert second == "feed" and row.resamples == [0, 1] and row.skipped == [0, 0]
        assert stub.accepted[-1] == "Line 3: iteration 2 starts with x = 6."
        return
    assert second == "retry" and row.skips == 1 and row.banned == {(3, 2)} and not row.tries
    everything = torch.ones(len(texts), dtype=torch.bool)
    del row.tokens[row.step_start:]
    row.tokens.extend(tok("Line 3 (iteration ", add_special_tokens=False)["input_ids"])
    labels = {texts[t] for t in torch.nonzero(decoder._narrow(row, everything)).flatten()}
    assert "5" in labels and "2" not in labels
    assert "2" in {texts[t] for t in torch.nonzero(
        lines_ahead(constraint, row.tokens[row.step_start:], stub, everything)).flatten()}
    del row.tokens[row.step_start:]
    assert decoder._temperature(row) == 0.0  # the new round starts as a step does
    assert _feed(decoder, tok, "Line 12: x is now 7.\n") == "retry"
    assert _feed(decoder, tok, "Line 3 (iteration 5): x is now 8.\n") == "feed"
    # no further skip: the best (the latest of equals) of all four tries stays
    assert row.resamples == [0, 3] and row.skipped == [0, 1] and not row.banned
    assert stub.accepted[-1] == "Line 3 (iteration 5): x is now 8."
    assert [line for _, line, _ in stub.checked[1:]] == [
        "Line 3 (iteration 2): x is now 5.", "Line 3: iteration 2 starts with x = 6.",
        "Line 12: x is now 7.", "Line 3 (iteration 5): x is now 8."]


def test_a_step_is_not_skipped_when_its_failed_tries_name_no_line(narrator: Any) -> None:
    from codecot.narrate.hf.decode import Decoder, RowSpec

    tok, constraint = narrator.loaded.tokenizer, narrator.constraint
    for ahead, failed in (({3: frozenset({2})}, ["x is now 5.", "x is now 6."]),
                          # banning line 3 would leave nothing to write about
                          ({3: frozenset({2})}, ["Line 3: x is now 5.", "Line 3: x is 6."]),
                          (None, ["Line 3: x is now 5.", "Line 3: x is 6."])):
        stub = StubChecker(lambda step, k: Verdict.VERIFIED if step == 0 else Verdict.REFUTED,
                           ahead)
        decoder = Decoder(tok, constraint, [RowSpec("forward", 300, 20, checker=stub)], [0],
                          temperature=0.0, tries=2, skips=1)
        assert _feed(decoder, tok, "Call f with x = 4.\n") == "feed"
        assert _feed(decoder, tok, failed[0] + "\n") == "retry"
        assert _feed(decoder, tok, failed[1] + "\n") == "feed"
        assert decoder.rows[0].skipped == [0, 0] and stub.accepted[-1] == failed[1]


@pytest.mark.parametrize(("line", "target"), [
    ("Line 6 (iteration 2): results.pop() is 5.", (6, 2)),
    ("Line 3: iteration 2 starts with op = '-'.", (3, 2)),
    ("Line 13 returns caught.", (13, None)),
    ("Line 4: the loop runs 2 times.", (4, None)),
    ("total is now 3.", None),
    ("So f(1) returns 2.", None),
    ("Line 4 is nonsense here", None),
])
def test_a_step_target_is_the_line_and_iteration_its_header_names(
        line: str, target: tuple[int, int | None] | None) -> None:
    from codecot.narrate.guided import step_target

    assert step_target(line) == target


def test_banned_targets_leave_the_other_lines_and_iterations() -> None:
    from codecot.narrate.guided import without_targets

    ahead = {3: frozenset({2, 5}), 12: frozenset()}
    assert without_targets(ahead, set()) == ahead
    assert without_targets(ahead, {(3, 2)}) == {3: frozenset({5}), 12: frozenset()}
    assert without_targets(ahead, {(3, 2), (3, 5)}) == {12: frozenset()}  # no iteration left
    assert without_targets(ahead, {(3, None)}) == {12: frozenset()}
    assert without_targets(ahead, {(12, None), (7, 1)}) == {3: frozenset({2, 5})}
    assert without_targets(ahead, {(12, 1)}) == ahead  # line 12 is not in a loop


def test_lines_ahead_are_those_the_trace_still_runs() -> None:
    from codecot.narrate.guided import ForwardStepChecker

    rec, trace, _ = _demo_items()[2]  # demo_02: total = 0; for n in nums: total += n
    checker = ForwardStepChecker(rec, trace)
    ahead = checker.lines_ahead()
    assert ahead is not None and {2, 3, 4, 5} <= set(ahead)
    assert ahead[2] == ahead[5] == frozenset() and ahead[4] == {1, 2, 3}
    for line in ("Call f with nums = [3, 5, 2].", "Line 2: total = 0, so total is 0.",
                 "Line 3: iteration 1 begins with n = 3.",
                 "Line 4 (iteration 1): total += n, so total is 3.",
                 "Line 3: iteration 2 begins with n = 5."):
        checker.accept(line)
    ahead = checker.lines_ahead()
    assert ahead is not None and 2 not in ahead and ahead[4] == {2, 3}
    assert checker.check("Line 4 (iteration 1): total += n, so total is 3.") is Verdict.REFUTED
    assert checker.check("Line 4 (iteration 2): total += n, so total is 8.") is Verdict.VERIFIED
    checker.accept("Line 3: the loop ends after 3 iterations.")
    ahead = checker.lines_ahead()
    assert ahead is not None and 4 not in ahead and 5 in ahead
    assert checker.check("Line 4 (iteration 3): total += n, so total is 10.") is Verdict.REFUTED


@pytest.mark.parametrize(("text", "allowed"), [
    ("L", True), ("Line", True), ("Lines", True), ("len(", True), ("So f", True),
    ("Line 3", True), ("Line 1", True), ("Line 12", True), ("Line 2", False), ("Line 4", False),
    ("Line 3:", True), ("Line 13", False), ("line  12 returns", True), ("Line 2:", False),
    ("Line 3 (", True), ("Line 3 (iter", True), ("Line 3 (iteration 2", True),
    ("Line 3 (iteration 5)", True), ("Line 3 (iteration 1", False), ("Line 3 (iteration 25", False),
    ("Line 12 (", False), ("Line 12 (iteration 1", False), ("Line 12 raises", True),
    # a loop step's own iteration: one of the line's
    ("Line 3: iteration ", True), ("Line 3: iteration 5", True), ("line 3 : ITERATION 2 of", True),
    ("Line 3: iteration 1", False), ("Line 3: iteration 4 begins", False),
    ("Line 12: iteration 1", False), ("Line 3: iterations 1 to 4", True), ("Line 3: i", True),
    ("Line 3: iteration1 is now 4", True),  # a name
    # no iteration of line 12 is ahead: its loop step cannot begin one
    ("Line 12: iteration ", False), ("line 12 :  Iteration\t", False), ("Line 12: iteration", True),
    ("Line 12: iterations", True), ("Line 12: the loop ends", True),
])
def test_a_header_is_allowed_when_it_can_name_a_line_and_iteration_ahead(
        text: str, allowed: bool) -> None:
    from codecot.narrate.guided import header_allowed

    assert header_allowed(text, {3: frozenset({2, 5}), 12: frozenset()}) is allowed


@pytest.mark.parametrize(("text", "open_"), [
    ("", False), ("L", True), ("lin", True), ("Line 12", True), ("Line 12 (itera", True),
    ("Line 12 (iteration 3", True), ("Line 12 (iteration 3)", False), ("Line 12:", False),
    ("Line 12 returns", False), ("Lines", False), ("So", False),
    ("Line 3: it", True), ("Line 3: iteration", True), ("Line 3: iteration 1", True),
    ("Line 3: iteration 1 begins", False), ("Line 3: total", False),
    ("Line 3: iterations 1", False),
])
def test_a_header_is_open_until_its_line_and_iteration_are_written(text: str,
                                                                   open_: bool) -> None:
    from codecot.narrate.guided import header_open

    assert header_open(text) is open_


def test_k_bounds_the_tries_and_the_best_try_is_kept(narrator: Any) -> None:
    # every try of step 0 fails; the second is the least bad (unknown), so it is kept
    order = [Verdict.REFUTED, Verdict.UNKNOWN, Verdict.REFUTED]
    stubs = [StubChecker(lambda step, k: order[k % 3] if step == 0 else Verdict.VERIFIED)
             for _ in range(4)]
    gens = _generate(narrator, stubs, 3, budget=200)
    for gen, stub in zip(gens, stubs, strict=True):
        lines = _lines(gen.text)
        tries = stub.lines_of(0)
        if gen.closed_early and len(lines) == 1:
            continue  # step 0 was given up for the final step
        assert len(tries) == 3  # K tries, no more
        assert lines[0] == tries[1][0]  # the unknown try, not the last refuted one
        assert gen.resamples[0] == 2
    assert sum(len(s.checked) for s in stubs) > 3 * len(stubs)  # later steps were checked too


def test_after_a_try_is_put_back_the_model_sees_exactly_the_kept_text(
        narrator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the best try's attention columns are unmasked and the others stay masked: the logits of
    # every later token must be those of one forward pass over the prompt and the kept text
    import torch

    from codecot.narrate.hf import decode

    drawn: list[tuple[torch.Tensor, int]] = []
    real_sample = decode.sample

    def recording(logits: torch.Tensor, *args: Any) -> int:
        token = real_sample(logits, *args)
        drawn.append((logits.clone(), token))
        return token

    monkeypatch.setattr(decode, "sample", recording)
    order = [Verdict.REFUTED, Verdict.UNKNOWN, Verdict.REFUTED]
    model, tok, constraint = narrator.loaded.model, narrator.loaded.tokenizer, narrator.constraint
    compared = 0
    for item in _demo_items():
        for seed in range(3):
            drawn.clear()
            stub = StubChecker(lambda step, k: order[k % 3] if step == 0 else Verdict.VERIFIED)
            gen = _generate(narrator, [stub], 3, seed=seed, budget=200, items=[item])[0]
            ids = list(gen.token_ids)
            ends = [i for i, t in enumerate(ids) if t in constraint.step_end_ids]
            if not ends or gen.closed_early or any(gen.resamples[1:]) or gen.resamples[0] != 2:
                continue
            tail = ids[ends[0] + 1:]
            prompt = tok(fixed_prompt(item), add_special_tokens=False)["input_ids"]
            with torch.inference_mode():
                full = model(input_ids=torch.tensor([prompt + ids])).logits[0].float()
            for j, (logits, token) in enumerate(drawn[-len(tail) - 1:-1]):
                assert token == tail[j]
                expected = full[len(prompt) + ends[0] + j]
                assert torch.allclose(logits, expected, atol=1e-4), j
                compared += 1
    assert compared >= 5


def test_a_checker_that_accepts_everything_changes_nothing(narrator: Any) -> None:
    plain = _generate(narrator, None, 1)
    stubs = [StubChecker(lambda step, k: Verdict.VERIFIED) for _ in range(4)]
    guided = _generate(narrator, stubs, 4)
    assert [g.token_ids for g in guided] == [g.token_ids for g in plain]
    assert all(set(g.resamples) <= {0} and len(g.resamples) == len(_lines(g.text))
               for g in guided)
    assert any(g.resamples for g in guided)


def test_a_deferred_step_is_kept_without_resampling(narrator: Any) -> None:
    stubs = [StubChecker(lambda step, k: None) for _ in range(4)]
    gens = _generate(narrator, stubs, 4)
    assert all(len(stub.checked) == len(_lines(g.text)) for g, stub in zip(gens, stubs,
                                                                            strict=True))


# ---- the real checkers ----------------------------------------------------------------------

def _record(rid: str) -> tuple[CorpusRecord, dict[str, Any]]:
    from codecot.trace.run import trace_records

    rec = next(r for r in load_records(DEMO) if isinstance(r, CorpusRecord) and r.id == rid)
    return rec, next(iter(trace_records([rec], jobs=1)))


def test_forward_step_checker_decides_as_the_verifier_and_moves_only_on_accept() -> None:
    from codecot.narrate.guided import ForwardStepChecker

    rec, trace = _record("demo_02")  # total of [3, 5, 2]
    checker = ForwardStepChecker(rec, trace)
    assert checker.check("Call f with nums = [3, 5, 2].") is Verdict.VERIFIED
    assert checker.check("Call f with nums = [3, 5].") is Verdict.REFUTED
    assert checker.check("This is not a step at all") is Verdict.UNPARSED
    checker.accept("Call f with nums = [3, 5, 2].")
    assert checker.check("Line 2: total is now 0.") is Verdict.VERIFIED
    assert checker.check("Line 2: total is now 1.") is Verdict.REFUTED
    checker.accept("Line 2: total is now 0.")
    assert checker.check("So f([3, 5, 2]) returns 10.") is Verdict.VERIFIED
    assert checker.check("So f([3, 5, 2]) returns 11.") is Verdict.REFUTED


def test_backward_step_checker_in_a_backward_session() -> None:
    from codecot.pipeline.guided_checks import GuidedCheckers

    rec, trace = _record("demo_03")  # 'big' above 10, else 'small'; input 4
    with GuidedCheckers(jobs=1) as factory:
        checker = factory(rec, trace, "backward")
        assert checker is not None
        assert checker.check("We need f(x) to return 'small'.") is Verdict.PROVED
        assert checker.check("We need f(x) to return 'big'.") is Verdict.REFUTED
        checker.accept("We need f(x) to return 'small'.")
        assert checker.check("Check: f(3) == 'small'.") is Verdict.PROVED
        assert checker.check("Check: f(30) == 'small'.") is Verdict.REFUTED
        assert checker.check("Let x be 4.") is Verdict.CONSISTENT  # the record's own input
        assert checker.check("Let x be 7.") is None  # deferred: the final input decides
        # a choice that fixes every parameter is run at once: a dead end is refuted ...
        assert checker.check("Let x be 30.") is Verdict.REFUTED  # f(30) is 'big'
        # ... one that leaves a parameter open stays deferred
        assert checker.check("Let x be greater than 11.") is None
        checker.accept("Let x be 7.")
        assert checker.check("So the input is 7.") is Verdict.PROVED
        assert checker.check("So the input is 5.") is Verdict.REFUTED  # not the choice
        assert checker.check("So the input is 30.") is Verdict.REFUTED  # gives 'big'
        assert factory(rec, trace, "forward") is not None
        assert factory(rec, {"ok": False}, "backward") is None


def test_guided_narrator_with_the_forward_checker_keeps_the_bookkeeping(
        tiny_model: Path) -> None:  # noqa: F811
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.verify.policy import GOOD
    from codecot.verify.record import plan, verdict_record

    guided = HFNarrator(HFSettings(model=str(tiny_model), batch_size=2, max_steps=6,
                                   examples=1, threads=1, max_new_tokens=120, guided=3,
                                   temperature=1.0), loaded=terse(tiny_model))
    items = [it for it in _demo_items() if it[2] == "forward"]
    results = guided.narrate_many(items)
    resampled = 0
    for (record, trace, _), rat in zip(items, results, strict=True):
        assert isinstance(rat, Rationale)
        rec = rat.to_json()
        lines = _lines(rat.text)
        assert rec["guided"] == 3 and len(rec["resamples"]) == len(lines)
        assert all(0 <= n <= 2 * 3 - 1 for n in rec["resamples"])  # K tries, K repeats
        verdicts = verdict_record(plan(rec, record), [trace])["steps"]
        for step, n in zip(verdicts, rec["resamples"], strict=True):
            resampled += n > 0
            if n < 2:  # kept before the last try: the verifier agrees it is good
                assert Verdict[step["verdict"].upper()] in GOOD, step
    assert resampled > 0  # a random model is mostly refuted


def test_guided_settings_are_checked() -> None:
    from codecot.errors import InvalidArgument
    from codecot.narrate.hf import HFSettings

    with pytest.raises(InvalidArgument, match="constrained"):
        HFSettings(guided=2, constrain=False).check()
    with pytest.raises(InvalidArgument):
        HFSettings(guided=-1).check()
    with pytest.raises(InvalidArgument):
        HFSettings(guided=2, guided_temperature=0).check()
    with pytest.raises(InvalidArgument, match="step"):
        HFSettings(guided=2, guided_temperature_step=-0.1).check()
    with pytest.raises(InvalidArgument, match="min-p"):
        HFSettings(guided=2, guided_min_p=1.0).check()
    with pytest.raises(InvalidArgument, match="skips"):
        HFSettings(guided=2, guided_skips=-1).check()
    HFSettings(guided=4).check()
    assert HFSettings().guided_skips == 2
    assert HFSettings().guided_temperature_step > 0  # further tries sample hotter by default


def test_codecot_narrate_guided_writes_the_resamples(tiny_model: Path,  # noqa: F811
                                                      tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from codecot.cli import app

    out = tmp_path / "rats.jsonl"
    res = CliRunner().invoke(app, [
        "narrate", str(DEMO), "-o", str(out), "--narrator", "hf", "--model", str(tiny_model),
        "--adapter", "none", "--direction", "both", "--limit", "1", "--guided", "2",
        "--max-new-tokens", "40", "--temperature", "1.0", "--examples", "1", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    import json

    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["direction"] for r in records] == ["forward", "backward"]
    for rec in records:
        assert rec["guided"] == 2 and len(rec["resamples"]) == len(_lines(rec["text"]))
        assert len(rec["skipped"]) == len(rec["resamples"]) and "closed_early" in rec
        for resamples, skipped in zip(rec["resamples"], rec["skipped"], strict=True):
            assert 0 <= skipped <= 2 and 0 <= resamples <= 2 * (skipped + 1) - 1


def test_resample_figures_per_slot_and_step_kind() -> None:
    from codecot.report.resamples import ResampleFigures, resample_section

    figures = ResampleFigures()
    steps = [{"kind": "call"}, {"kind": "state"}, {"kind": "state"}, {"kind": "answer"}]
    figures.add({"narrator": "hf", "direction": "forward", "guided": 3,
                 "resamples": [0, 2, 1, 0], "steps": steps})
    figures.add({"narrator": "hf", "direction": "forward", "guided": 3,
                 "resamples": [0, 0, 0, 1], "steps": steps, "skipped": [0, 0, 0, 0]})
    figures.add({"narrator": "hf", "direction": "forward", "steps": steps})  # not guided
    figures.add({"narrator": "hf", "direction": "forward", "guided": 3, "resamples": [1],
                 "steps": steps})  # steps and resamples disagree: skipped
    out = figures.to_json()
    assert out["rationales"] == 2
    kinds = out["by_slot"]["hf/forward"]["kinds"]
    assert next(iter(kinds)) == "state" and list(kinds)[-1] == "all steps"
    assert kinds["state"] == {"steps": 4, "resamples": 3, "mean_resamples": 0.75,
                              "share_resampled": 0.5, "share_every_try": 0.25,
                              "share_after_skip": 0.0}
    assert kinds["call"]["resamples"] == 0 and kinds["all steps"]["steps"] == 8
    # a step written after its first round of K tries was thrown away
    figures.add({"narrator": "hf", "direction": "forward", "guided": 3,
                 "resamples": [0, 5, 0, 0], "steps": steps, "skipped": [0, 1, 0, 0]})
    kinds = figures.to_json()["by_slot"]["hf/forward"]["kinds"]
    assert kinds["state"]["share_after_skip"] == round(1 / 6, 4)
    assert kinds["all steps"]["share_after_skip"] == round(1 / 12, 4)
    html = resample_section(out)
    assert "hf/forward" in html and "0.75" in html and "<table>" in html
    assert resample_section({"rationales": 0, "by_slot": {}}) == ""


def test_codecot_run_guided_reports_the_resamples(tiny_model: Path,  # noqa: F811
                                                   tmp_path: Path) -> None:
    import json

    from codecot.pipeline.run import RunConfig, run_pipeline

    cfg = RunConfig(corpus=DEMO, outdir=tmp_path / "run", narrators=("hf",),
                    directions=("forward",), limit=2, jobs=1,
                    narrator_options={"model": str(tiny_model), "adapter": "none",
                                      "guided": 2, "max_new_tokens": 40, "examples": 1,
                                      "temperature": 1.0})
    result = run_pipeline(cfg)
    figures = result.summary["analysis"]["resamples"]
    assert figures["rationales"] == 2 and figures["by_slot"]["hf/forward"]["guided"] == 2
    rows = [json.loads(line) for name in ("accepted.jsonl", "rejected.jsonl")
            for line in (tmp_path / "run" / name).read_text().splitlines()]
    assert all(len(r["resamples"]) == len(r["skipped"]) == len(r["steps"]) for r in rows)
    assert "Guided decoding: resamples by step kind" in (tmp_path / "run" /
                                                         "report.html").read_text()


def test_each_further_try_samples_hotter_by_the_step(narrator: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from codecot.narrate.hf import decode
    from codecot.narrate.hf.generate import generate_batch

    used: list[float] = []
    min_ps: dict[float, set[float]] = {}
    real = decode.sample

    def recording(logits: Any, allowed: Any, temperature: float, *args: Any) -> int:
        used.append(temperature)
        min_ps.setdefault(temperature, set()).add(args[2])
        return real(logits, allowed, temperature, *args)

    monkeypatch.setattr(decode, "sample", recording)
    items = _demo_items()[:1]
    stub = StubChecker(lambda step, k: Verdict.REFUTED if step == 0 and k < 2 else Verdict.VERIFIED)
    generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, [fixed_prompt(items[0])],
                   [items[0][-1]], constraint=narrator.constraint, max_new_tokens=200,
                   temperature=0.0, seed=0, max_steps=6,
                   reserves=narrator._steering(items)["reserves"], checkers=[stub], tries=3,
                   resample_temperature=0.5, resample_step=0.25, resample_min_p=0.2,
                   max_step_tokens=NO_STEP_CAP)
    assert len(stub.lines_of(0)) == 3
    # the first try greedy, the second at 0.5, the third at 0.75, never hotter
    assert used[0] == 0.0 and {0.5, 0.75} <= set(used) <= {0.0, 0.5, 0.75}
    first_hot = used.index(0.5)
    assert set(used[:first_hot]) == {0.0} and used.index(0.75) > first_hot
    # only the resampled tries draw among the plausible tokens (min-p)
    assert min_ps == {0.0: {0.0}, 0.5: {0.2}, 0.75: {0.2}}


def test_a_last_try_that_runs_too_long_gives_way_to_the_best_complete_try(
        narrator: Any) -> None:
    # tries 1 and 2 end (refuted, then unknown); try 3 loops past the step cap: the unknown
    # try is put back and kept, and the row goes on after it
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec

    tok, cap = narrator.loaded.tokenizer, 14
    first, second = "Call f with x = 4.\n", "Call f with x = 5.\n"
    assert all(len(tok(t, add_special_tokens=False)["input_ids"]) < cap for t in (first, second))
    stub = StubChecker(lambda step, k: [Verdict.REFUTED, Verdict.UNKNOWN][k] if step == 0
                       else Verdict.VERIFIED)
    decoder = Decoder(tok, narrator.constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                      temperature=0.0, tries=3, max_step_tokens=cap)
    row, attention = decoder.rows[0], torch.ones((1, 400), dtype=torch.bool)
    columns = iter(range(400))  # a cache column per token run through the model

    def write(text: str) -> str:
        outcome, start = "", row.step_start
        for token in tok(text, add_special_tokens=False)["input_ids"]:
            outcome = decoder._take(row, 0, token, attention)
            if outcome != "feed" or row.step_start != start:  # rolled back, or a step kept
                return outcome
            row.cols.append(next(columns))
        return outcome

    assert write(first) == "retry" and write(second) == "retry"
    used = next(columns)
    assert not attention[0, :used].any()  # both tries' columns are masked out
    assert write("Line 2: x is now 5 + 5 + 5 + 5 + 5 + 5 + 5 + 5") == "feed"
    assert decoder.step_text(row.tokens) == second.strip() == stub.accepted[0]
    assert row.resamples == [2] and row.step_start == len(row.tokens) and not row.overlong
    kept = row.cols  # the unknown try's columns (its newline is fed next) are seen again
    assert attention[0, kept].all() and len(kept) == len(row.tokens) - 1
    assert not attention[0, [c for c in range(used) if c not in kept]].any()



def test_a_try_that_repeats_a_failed_one_is_dropped_unchecked_and_not_counted(
        narrator: Any) -> None:
    # K = 2: the first try is refuted; the same text again is dropped without a check (its
    # verdict could only be the same) and does not use up the second try, which the stub
    # finds unknown; the row then keeps the best try, with every thrown-away try counted
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec

    tok = narrator.loaded.tokenizer
    first, second = "Call f with x = 4.\n", "Call f with x = 5.\n"
    stub = StubChecker(lambda step, k: [Verdict.REFUTED, Verdict.UNKNOWN][k] if step == 0
                       else Verdict.VERIFIED)
    decoder = Decoder(tok, narrator.constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                      temperature=0.0, tries=2, resample_temperature=0.5, resample_step=0.25)
    row, attention = decoder.rows[0], torch.ones((1, 400), dtype=torch.bool)
    columns = iter(range(400))

    def write(text: str) -> str:
        outcome, start = "", row.step_start
        for token in tok(text, add_special_tokens=False)["input_ids"]:
            outcome = decoder._take(row, 0, token, attention)
            if outcome != "feed" or row.step_start != start:
                return outcome
            row.cols.append(next(columns))
        return outcome

    assert decoder._temperature(row) == 0.0
    assert write(first) == "retry" and decoder._temperature(row) == 0.5
    assert write(first) == "retry"  # a repeat: dropped
    assert len(stub.checked) == 1 and len(row.tries) == 1 and row.repeats == 1
    assert decoder._temperature(row) == 0.75  # a dropped repeat still makes the next try hotter
    assert write(second) == "feed"  # the second counted try (unknown) ends the step's tries
    assert [v for _, _, v in stub.checked] == [Verdict.REFUTED, Verdict.UNKNOWN]
    assert stub.accepted == [second.strip()] and row.resamples == [2] and row.repeats == 0
    used = next(columns)
    assert attention[0, row.cols].all()
    assert not attention[0, [c for c in range(used) if c not in row.cols]].any()


def test_repeats_are_dropped_at_most_k_times_per_step(narrator: Any) -> None:
    # K = 2: after two dropped repeats, a third one is checked and counts as the second try
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec

    tok = narrator.loaded.tokenizer
    line = "Call f with x = 4.\n"
    stub = StubChecker(lambda step, k: Verdict.REFUTED if step == 0 else Verdict.VERIFIED)
    decoder = Decoder(tok, narrator.constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                      temperature=0.0, tries=2)
    row, attention = decoder.rows[0], torch.ones((1, 400), dtype=torch.bool)
    outcomes = []
    for _ in range(4):
        for token in tok(line, add_special_tokens=False)["input_ids"]:
            outcome = decoder._take(row, 0, token, attention)
            if outcome != "feed":
                break
            row.cols.append(len(row.cols))
        outcomes.append(outcome)
        if outcome != "retry":
            break
    assert outcomes == ["retry", "retry", "retry", "feed"]
    assert len(stub.checked) == 2  # the first try and the repeat past the cap
    assert stub.accepted == [line.strip()] and row.resamples == [3]


def test_a_try_with_a_failed_ones_text_in_other_tokens_is_a_repeat(narrator: Any) -> None:
    # the same text split into other tokens: its verdict could only be the same, so it is
    # dropped like a token-for-token repeat
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec

    tok = narrator.loaded.tokenizer
    whole = tok("Call f with x = 4.\n", add_special_tokens=False)["input_ids"]
    split = [*tok("Call f wi", add_special_tokens=False)["input_ids"],
             *tok("th x = 4.\n", add_special_tokens=False)["input_ids"]]
    assert whole != split and tok.decode(whole) == tok.decode(split)
    stub = StubChecker(lambda step, k: Verdict.REFUTED if step == 0 else Verdict.VERIFIED)
    decoder = Decoder(tok, narrator.constraint, [RowSpec("forward", 200, 20, checker=stub)], [0],
                      temperature=0.0, tries=3)
    row, attention = decoder.rows[0], torch.ones((1, 400), dtype=torch.bool)
    for tokens in (whole, split):
        outcome = ""
        for token in tokens:
            outcome = decoder._take(row, 0, token, attention)
            if outcome != "feed":
                break
            row.cols.append(len(row.cols))
        assert outcome == "retry"
    assert len(stub.checked) == 1 and len(row.tries) == 1 and row.repeats == 1


@pytest.mark.parametrize(("failed", "again", "repeat"), [
    ("Line 2: total is now 5.", "Line 2: total  becomes 5.", True),  # other words, spacing
    ("Line 2: total is now 5.", "Line 2 :  total equals 5.", True),
    ("Line 4: the condition n > 2 is False, so the branch is not taken.",
     "Line 4: n > 2 is False, so we skip the branch.", True),
    ("Line 2: total is now 5.", "Line 2: total is now 6.", False),  # another value
    ("Line 2: total is now 1.", "Line 2: total is now True.", False),  # 1 == True in Python
    ("Line 2: total is now 1.", "Line 2: total is now 1.0.", False),
    ("Line 2: total is now 5.", "Line 2 (iteration 1): total is now 5.", False),
    ("Line 2: s is now 'a b'.", "Line 2: s is now 'a  b'.", False),  # spacing in a string
])
def test_a_try_claiming_what_a_failed_one_claimed_is_a_repeat(narrator: Any, failed: str,
                                                               again: str, repeat: bool) -> None:
    # the same claim in other words: its verdict could only be the same, so it is dropped
    # unchecked; a try that claims anything else is checked
    from codecot.narrate.guided import claim_key

    assert (claim_key(failed) == claim_key(again)) is repeat and claim_key(failed) is not None
    tok = narrator.loaded.tokenizer
    decoder, stub, attention = _branching_decoder(narrator, min_p=None)
    stub.script = lambda step, k: Verdict.REFUTED
    row = decoder.rows[0]
    for text in (failed, again):
        tokens = tok(text + "\n", add_special_tokens=False)["input_ids"]
        assert _write_with_alternatives(decoder, attention, tokens, {}) == "retry"
    assert [line for _, line, _ in stub.checked] == ([failed] if repeat else [failed, again])
    assert row.repeats == int(repeat) and len(row.tries) == 2 - int(repeat)


def _branching_decoder(narrator: Any, *, min_p: float | None = 0.1, tries: int = 3) -> Any:
    import torch

    from codecot.narrate.hf.decode import Decoder, RowSpec

    stub = StubChecker(lambda step, k: Verdict.REFUTED if k == 0 else Verdict.VERIFIED)
    decoder = Decoder(narrator.loaded.tokenizer, narrator.constraint,
                      [RowSpec("forward", 200, 20, checker=stub)], [0], temperature=0.0,
                      tries=tries, resample_temperature=1.5, resample_min_p=0.1,
                      branch_min_p=min_p)
    return decoder, stub, torch.ones((1, 400), dtype=torch.bool)


def _write_with_alternatives(decoder: Any, attention: Any, tokens: list[int],
                             alts: dict[int, tuple[tuple[int, float], ...]]) -> str:
    """Feed ``tokens`` as one sampled try, each position remembering ``alts`` (else the token
    alone, certain)."""
    row, outcome = decoder.rows[0], ""
    for j, token in enumerate(tokens):
        row.alts.append(alts.get(j, ((token, 1.0),)))
        outcome = decoder._take(row, 0, token, attention)
        if outcome != "feed":
            return outcome
        row.cols.append(len(row.cols) + 100 * len(row.tries))
    return outcome


def test_a_failed_try_is_branched_off_where_the_model_was_least_sure(narrator: Any) -> None:
    # ``total is now 5`` refuted: the next try keeps ``Line 2: total is now`` and writes the
    # token the model found next likeliest where the value began (``6``), then goes on
    # greedily; the checker accepts it
    tok = narrator.loaded.tokenizer
    decoder, stub, attention = _branching_decoder(narrator)
    row = decoder.rows[0]
    texts = decoder.constraint.texts
    head = tok("Line 2: total is now", add_special_tokens=False)["input_ids"]
    five = tok("Line 2: total is now 5.\n", add_special_tokens=False)["input_ids"]
    for value in ("4", "6", "7", "8", "9", "True"):  # one whose first token is no prefix of 5's
        six = tok(f"Line 2: total is now {value}.\n", add_special_tokens=False)["input_ids"]
        j = next(i for i, (a, b) in enumerate(zip(five, six, strict=False)) if a != b)
        if not texts[five[j]].startswith(texts[six[j]]):
            break
    assert five[:len(head)] == head and j >= len(head) - 1
    alts = {1: ((five[1], 0.5), (five[1] + 1, 0.4)),  # likelier than the value's alternative,
            j: ((five[j], 0.6), (six[j], 0.3))}       # but already tried below (see `tried`)
    row.tried[tuple(five[:1])] = {five[1] + 1}
    assert _write_with_alternatives(decoder, attention, five, alts) == "retry"
    assert row.tokens == five[:j] and row.forced is not None and row.forced[0] == six[j]
    assert row.branched and decoder._temperature(row) == 0.0  # goes on greedily
    assert attention[0, row.cols].all() and len(row.cols) == j
    allowed = decoder._mask_of(row)
    assert decoder._choose(row, 0, torch_zeros(allowed), allowed, attention) == six[j]
    row.cols.append(300)
    assert _write_with_alternatives(decoder, attention, six[j + 1:], {}) == "feed"
    assert stub.accepted == [f"Line 2: total is now {value}."] and row.resamples == [1]
    assert [line for _, line, _ in stub.checked] == ["Line 2: total is now 5.",
                                                     f"Line 2: total is now {value}."]


def torch_zeros(like: Any) -> Any:
    import torch

    return torch.zeros(like.shape, dtype=torch.float32)


@pytest.mark.parametrize("case", ["below the floor", "begins the text written", "no branching",
                                  "undecided"])
def test_a_try_with_no_alternative_to_branch_to_starts_the_step_again(narrator: Any,
                                                                      case: str) -> None:
    tok = narrator.loaded.tokenizer
    decoder, stub, attention = _branching_decoder(
        narrator, min_p=0.1 if case != "no branching" else None)
    if case == "undecided":  # only a refuted try is branched off
        stub.script = lambda step, k: Verdict.UNKNOWN
    row = decoder.rows[0]
    five = tok("Line 2: total is now 5.\n", add_special_tokens=False)["input_ids"]
    texts = decoder.constraint.texts
    if case == "begins the text written":  # a token whose text begins the chosen one's
        j = next(i for i, t in enumerate(five) if len(texts[t]) > 1)
        shorter = next(t for t in range(len(texts)) if texts[t] and t != five[j]
                       and texts[five[j]].startswith(texts[t]))
        alts = {j: ((five[j], 0.6), (shorter, 0.4))}
    else:
        alts = {len(five) - 2: ((five[-2], 0.95), (five[-2] + 1, 0.05))}  # 0.05 < 0.1 * 0.95
        if case in ("no branching", "undecided"):
            value = next(i for i, t in enumerate(five) if texts[t].strip() == "5")
            other = texts.index(texts[five[value]].replace("5", "4"))  # a value, as likely
            alts = {value: ((five[value], 0.5), (other, 0.5))}
    assert _write_with_alternatives(decoder, attention, five, alts) == "retry"
    assert row.tokens == [] and row.forced is None and not row.branched
    assert decoder._temperature(row) == 1.5  # a whole new try, hot


@pytest.mark.parametrize(("prefix", "token", "value"), [
    ("Line 4 (iteration 1): lookup(k, 0) is '", "b", True),  # inside a string
    ("Line 3 (iteration 1): nums.remove(val), so nums becomes [", "3", True),
    ("Line 4: n > 2 is", " True", True), ("Line 4: n > 2 is", " False", True),
    ("Line 2: x is", " None", True), ("so out is now", " ['", True), ("x is", " [", True),
    ("x becomes", " -", True), ("Line 1", "6", True),  # a line's number
    ("so out is now ['a', 3", "].", True), ("so out is now ['a', 3", ",", True),
    ("Line 5: out.append(n[5:]), so out", " becomes", False),  # wording
    ("so skipped is", " now", False), ("Line 15: iteration 2", " starts", False),
    ("Line 4:", " the", False), ("Line 20", ":", False),
    ("Line 3", " (", False),  # the header's label, not a tuple
    ("so mid is 3", ".", False),  # the step's full stop
    ("Line 2: x = a", " -", False),  # an operator in echoed code
    ("Line 2: s is 'it'", " x", False),  # the string was closed
    ("Line 2: s is 'it\\'", "s", True),  # an escaped quote
])
def test_a_value_token_writes_a_value_not_the_steps_wording(prefix: str, token: str,
                                                            value: bool) -> None:
    from codecot.narrate.hf.word_bounds import value_token

    assert value_token(prefix, token) is value


def test_a_step_is_branched_off_only_where_it_wrote_a_value_and_every_second_try(
        narrator: Any) -> None:
    from codecot.narrate.hf.word_bounds import value_token

    # the verb was less sure than the value (another word 0.45 against ``is``), but a word
    # of the wording is no value: the branch is at the value.  The try after a failed branch
    # starts the step again (hot)
    tok = narrator.loaded.tokenizer
    decoder, stub, attention = _branching_decoder(narrator, tries=4)
    stub.script = lambda step, k: Verdict.REFUTED
    row, texts = decoder.rows[0], decoder.constraint.texts
    five = tok("Line 2: total is 5.\n", add_special_tokens=False)["input_ids"]
    verb = next(i for i, t in enumerate(five) if texts[t] == " is")
    value = next(i for i, t in enumerate(five) if texts[t].strip() == "5")
    other = next(t for t in range(len(texts))
                 if texts[t] in {texts[five[value]].replace("5", d) for d in "4679"})
    becomes = next(t for t in range(len(texts)) if texts[t].strip().isalpha()
                   and texts[t] != texts[five[verb]] and not value_token("Line 2: total", texts[t]))
    alts = {verb: ((five[verb], 0.55), (becomes, 0.45)),
            value: ((five[value], 0.7), (other, 0.3))}
    assert _write_with_alternatives(decoder, attention, five, alts) == "retry"
    assert row.tokens == five[:value] and row.forced is not None and row.forced[0] == other
    allowed = decoder._mask_of(row)
    assert decoder._choose(row, 0, torch_zeros(allowed), allowed, attention) == other
    row.cols.append(300)
    rest = tok(".\n", add_special_tokens=False)["input_ids"]
    assert _write_with_alternatives(decoder, attention, rest, {}) == "retry"
    assert len(row.tries) == 2 and row.tokens == [] and not row.branched  # the third: hot
    assert decoder._temperature(row) == 1.5
    assert len(stub.checked) == 2


def test_guided_branch_is_off_by_default_and_reaches_the_decoder_when_asked(
        tiny_model: Path) -> None:  # noqa: F811
    from codecot.narrate.hf import HFNarrator, HFSettings

    items = [it for it in _demo_items() if it[2] == "forward"][:1]
    for branch in (False, True):
        settings = HFSettings(model=str(tiny_model), batch_size=1, max_steps=3, examples=1,
                              threads=1, max_new_tokens=60, guided=2, guided_branch=branch)
        nar = HFNarrator(settings, loaded=terse(tiny_model))
        assert nar._steering(items)["branch_min_p"] == (0.1 if branch else None)
        rat = nar.narrate_many(items)[0]
        assert isinstance(rat, Rationale)
        assert rat.to_json().get("guided_branch", False) is branch
    assert HFSettings().guided_branch is False
