"""The labelled free-form development set (corpora/freeform/dev.jsonl) and its label checker.

The checker lives beside the data as a script; these tests load it by path and run its
functions: on the whole set (slow), on three rationales, and on deliberately mislabelled copies
whose mistakes must each be reported.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKER = ROOT / "corpora" / "freeform" / "check_labels.py"
DEV = ROOT / "corpora" / "freeform" / "dev.jsonl"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_labels", CHECKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_labels"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


C = _load_checker()


def _dev() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


def _pick(rid: str, direction: str, style: str) -> dict[str, Any]:
    for rat in _dev():
        if (rat["id"], rat["direction"], rat["style"]) == (rid, direction, style):
            return copy.deepcopy(rat)
    raise AssertionError(f"{rid} {direction} {style} is not in the dev set")


def _messages(rats: list[dict[str, Any]]) -> list[str]:
    return [p.message for p in C.check_rationales(rats, jobs=2).problems]


def _index(rat: dict[str, Any], word: str) -> int:
    """Position of the first label of ``rat`` whose label is ``word``."""
    return next(j for j, lab in enumerate(rat["labels"]) if lab["label"] == word)


# ---- the data ---------------------------------------------------------------------------------


def test_dev_set_shape() -> None:
    rats = _dev()
    assert len(rats) >= 100
    styles = Counter(r["style"] for r in rats)
    assert sum(1 for n in styles.values() if n >= 12) >= 6
    cases = Counter(r["case"] for r in rats)
    assert set(cases) == set(C.CASES)
    assert {r["direction"] for r in rats} == {"forward", "backward"}
    assert all(r["narrator"] == r["style"] for r in rats)


def test_dev_set_needs_nothing_run_to_pass_the_static_rules() -> None:
    assert [str(p) for p in C.static_problems(_dev())] == []


@pytest.mark.slow
def test_whole_dev_set_passes_the_checker() -> None:
    outcome = C.check_rationales(_dev(), jobs=2)
    assert [str(p) for p in outcome.problems] == []
    verdicts = Counter(v for v, _ in outcome.verdicts.values())
    assert verdicts["refuted"] > 50 and verdicts["verified"] > 500


def test_three_rationales_pass_and_their_false_sentences_are_refuted() -> None:
    rats = [_pick("starter_139", "forward", "numbered-prose"),
            _pick("starter_066", "forward", "monologue-md"),
            _pick("HumanEval/53#0", "backward", "backward-cot")]
    outcome = C.check_rationales(rats, jobs=2)
    assert [str(p) for p in outcome.problems] == []
    assert "TOTAL" in outcome.table
    for i, rat in enumerate(rats):
        for j, label in enumerate(rat["labels"]):
            found = [outcome.verdicts[(i, j, k)][0] for k in range(len(label["checks"]))]
            if label["label"] == "false":
                assert "refuted" in found
            else:
                assert "refuted" not in found


# ---- mislabelled copies: static rules -------------------------------------------------------------


def test_markup_needs_no_label_but_text_does() -> None:
    text = "### Head\n- `x` is 1.\n```\n|---|---|\n1. Done."
    mask = C.markup_mask(text)
    assert all(mask[i] for i in range(4))  # "### "
    assert not mask[text.index("Head")]
    assert mask[text.index("- `x`")] and not mask[text.index("`x`")]
    assert all(mask[i] for i in range(text.index("```"), text.index("1. Done")))
    assert not mask[text.index("Done")]


def test_static_rules_catch_each_mislabelling() -> None:
    good = _pick("starter_139", "forward", "numbered-prose")
    assert C.static_problems([good]) == []

    def broken(change: Any) -> list[str]:
        rat = copy.deepcopy(good)
        change(rat)
        return [p.message for p in C.static_problems([rat])]

    def drop_label(rat: dict[str, Any]) -> None:
        del rat["labels"][3]

    def overlap(rat: dict[str, Any]) -> None:
        rat["labels"][2]["span"][0] = rat["labels"][1]["span"][1] - 2

    def bad_check(rat: dict[str, Any]) -> None:
        rat["labels"][3]["checks"] = ["out is now empty, more or less."]

    def prose_with_check(rat: dict[str, Any]) -> None:
        rat["labels"][0]["checks"] = ["Line 2: out is []."]

    def true_without_check(rat: dict[str, Any]) -> None:
        rat["labels"][3]["checks"] = []

    def backward_step(rat: dict[str, Any]) -> None:
        rat["labels"][3]["checks"] = ["n must be 10."]

    def bad_case(rat: dict[str, Any]) -> None:
        rat["case"] = "mostly-right"

    assert any("not inside any span" in m for m in broken(drop_label))
    assert any("overlaps" in m for m in broken(overlap))
    assert any("does not parse" in m for m in broken(bad_check))
    assert any("prose sentence has no checks" in m for m in broken(prose_with_check))
    assert any("needs at least one check" in m for m in broken(true_without_check))
    assert any("backward step in a forward" in m for m in broken(backward_step))
    assert any("case must be one of" in m for m in broken(bad_case))


# ---- mislabelled copies: verdicts and case --------------------------------------------------------


def test_verdict_rules_catch_flipped_labels_and_cases() -> None:
    wrong_step = _pick("starter_008", "forward", "numbered-prose")  # wrong-step-right-answer
    wrong_answer = _pick("starter_066", "forward", "monologue-md")  # wrong-answer
    backward = _pick("starter_149", "backward", "backward-cot")  # over-claimed necessity

    true_as_false = copy.deepcopy(wrong_step)
    true_as_false["labels"][_index(true_as_false, "true")]["label"] = "false"
    false_as_true = copy.deepcopy(wrong_answer)
    false_as_true["labels"][_index(false_as_true, "false")]["label"] = "true"
    no_false_left = copy.deepcopy(wrong_step)
    no_false_left["case"] = "correct"
    answer_is_false = copy.deepcopy(wrong_answer)
    answer_is_false["case"] = "wrong-step-right-answer"
    overclaim_as_true = copy.deepcopy(backward)
    overclaim_as_true["labels"][_index(overclaim_as_true, "false")]["label"] = "true"

    found = C.check_rationales([true_as_false, false_as_true, no_false_left, answer_is_false,
                                overclaim_as_true], jobs=2).problems
    by_rationale: dict[int, list[str]] = {}
    for p in found:
        by_rationale.setdefault(p.index, []).append(p.message)
    assert any("labelled false but no check is refuted" in m for m in by_rationale[0])
    assert any("labelled true but" in m and "refuted" in m for m in by_rationale[1])
    assert any("case correct but" in m for m in by_rationale[2])
    assert any("final answer is refuted" in m for m in by_rationale[3])
    assert any("labelled true but" in m and "counterexample" in m for m in by_rationale[4])
