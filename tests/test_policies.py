"""Acceptance policies (``codecot.verify.policy``) on the same verdicts, through the API and
through ``codecot verify --policy``.

Each rationale below has a known outcome under each policy: ``strict`` rejects an unknown or
unparsed step, ``no-refuted`` accepts those but rejects a refuted one, ``answer-only`` accepts a
refuted middle step as long as the final answer (or input) is verified, and every policy
rejects a wrong or missing final answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.corpus import CorpusRecord
from codecot.trace.tracer import trace_in_process
from codecot.verify.policy import get_policy
from codecot.verify.record import plan, verdict_record
from tests import concolic_helpers

factory = concolic_helpers.factory  # a fixture

ACC = ("def f(nums):\n    total = 0\n    for n in nums:\n        if n > 2:\n"
       "            total += n\n    return total\n")
CONCAT = ("def f(text, value):\n    text_list = list(text)\n    text_list.append(value)\n"
          "    return ''.join(text_list)\n")
RECORDS = {
    "acc": CorpusRecord(id="acc", code=ACC, input="[3, 1, 4]", output="7"),
    "concat": CorpusRecord(id="concat", code=CONCAT, input="'bcksrut', 'q'", output="'bcksrutq'"),
}
BACKWARD_TAIL = "Check: f('bcksrut', 'q') returns 'bcksrutq'.\nSo the input is 'bcksrut', 'q'."
POLICY_NAMES = ("strict", "no-refuted", "answer-only")

#: case -> (record id, direction, text, {policy: accepted}, the verdict of the telling step)
CASES: dict[str, tuple[str, str, str, dict[str, bool], tuple[int, str]]] = {
    "all_verified": ("acc", "forward",
                     "Line 2: total is 0.\nLine 5 (iteration 3): total is 7.\nSo f([3, 1, 4]) returns 7.",
                     {"strict": True, "no-refuted": True, "answer-only": True}, (1, "verified")),
    "unknown_middle": ("acc", "forward",
                       "Line 2: total is 0.\nLet nums be [3, 1, 4].\nSo f([3, 1, 4]) returns 7.",
                       {"strict": False, "no-refuted": True, "answer-only": True}, (1, "unknown")),
    "unparsed_middle": ("acc", "forward",
                        "Line 2: total is 0.\nthe total is clearly seven\nSo f([3, 1, 4]) returns 7.",
                        {"strict": False, "no-refuted": True, "answer-only": True},
                        (1, "unparsed")),
    "refuted_middle": ("acc", "forward",
                       "Line 2: total is 0.\nLine 5 (iteration 3): total becomes 3 + 4 = 8.\n"
                       "So f([3, 1, 4]) returns 7.",
                       {"strict": False, "no-refuted": False, "answer-only": True},
                       (1, "refuted")),
    "wrong_answer": ("acc", "forward", "Line 2: total is 0.\nSo f([3, 1, 4]) returns 8.",
                     {"strict": False, "no-refuted": False, "answer-only": False}, (1, "refuted")),
    "no_answer": ("acc", "forward", "Line 2: total is 0.\nLine 5 (iteration 3): total is 7.",
                  {"strict": False, "no-refuted": False, "answer-only": False}, (1, "verified")),
    "backward_unknown_middle": ("concat", "backward",
                                "We need f(text, value) to return 'bcksrutq'.\n"
                                "Line 2: text_list is ['b'].\n" + BACKWARD_TAIL,
                                {"strict": False, "no-refuted": True, "answer-only": True},
                                (1, "unknown")),
    "backward_refuted_middle": ("concat", "backward",
                                "We need f(text, value) to return 'bcksrutq'.\n"
                                "value must be 'q'.\n" + BACKWARD_TAIL,
                                {"strict": False, "no-refuted": False, "answer-only": True},
                                (1, "refuted")),
    "backward_wrong_input": ("concat", "backward",
                             "We need f(text, value) to return 'bcksrutq'.\n"
                             "So the input is 'bcksru', 'q'.",
                             {"strict": False, "no-refuted": False, "answer-only": False},
                             (1, "refuted")),
}

#: why each policy rejects what it rejects
REASONS = {
    ("unknown_middle", "strict"): "step 1 is unknown",
    ("unparsed_middle", "strict"): "step 1 does not parse",
    ("refuted_middle", "strict"): "step 1 is refuted",
    ("refuted_middle", "no-refuted"): "step 1 is refuted",
    ("wrong_answer", "answer-only"): "final answer is refuted",
    ("no_answer", "answer-only"): "no final answer or input",
    ("backward_refuted_middle", "no-refuted"): "step 1 is refuted",
    ("backward_wrong_input", "answer-only"): "final input is refuted",
}


def rationale(case: str) -> dict[str, Any]:
    rid, direction, text, _, _ = CASES[case]
    return {"id": rid, "direction": direction, "narrator": "test", "text": text, "case": case}


def verify(case: str, policy: str, factory: Any) -> dict[str, Any]:
    rat = rationale(case)
    rec = RECORDS[rat["id"]]
    p = plan(rat, rec)
    traces = [None if s is None else trace_in_process(rec.code, s, None, id=rec.id)
              for s in p.inputs]
    return verdict_record(p, traces, get_policy(policy), backward=factory)


def check_outcome(out: dict[str, Any], case: str, policy: str) -> None:
    expected, (index, verdict) = CASES[case][3], CASES[case][4]
    assert out["steps"][index]["verdict"] == verdict, (case, out["steps"])
    assert out["policy"] == policy
    assert out["accepted"] is expected[policy], (case, policy, out.get("reason"), out["steps"])
    if expected[policy]:
        assert "reason" not in out
    else:
        assert out["reason"], out
        if (case, policy) in REASONS:
            assert out["reason"] == REASONS[case, policy], (case, policy, out["reason"])


def test_each_policy_accepts_one_and_rejects_one() -> None:
    for policy in POLICY_NAMES:
        outcomes = {CASES[c][3][policy] for c in CASES}
        assert outcomes == {True, False}, policy


@pytest.mark.parametrize("policy", POLICY_NAMES)
@pytest.mark.parametrize("case", list(CASES))
def test_policy_through_the_api(factory: Any, case: str, policy: str) -> None:
    check_outcome(verify(case, policy, factory), case, policy)


def test_policies_differ_on_the_same_steps(factory: Any) -> None:
    """The steps do not depend on the policy; only acceptance does."""
    for case in ("unknown_middle", "refuted_middle", "backward_refuted_middle"):
        outs = {p: verify(case, p, factory) for p in POLICY_NAMES}
        assert outs["strict"]["steps"] == outs["no-refuted"]["steps"] == outs["answer-only"]["steps"]
    unknown = {p: verify("unknown_middle", p, factory)["accepted"] for p in POLICY_NAMES}
    assert (unknown["strict"], unknown["no-refuted"]) == (False, True)
    refuted = {p: verify("refuted_middle", p, factory)["accepted"] for p in POLICY_NAMES}
    assert (refuted["no-refuted"], refuted["answer-only"]) == (False, True)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_policy_through_the_cli(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [
        {"id": r.id, "code": r.code, "input": r.input, "output": r.output}
        for r in RECORDS.values()])
    rationales = write_jsonl(tmp_path / "rationales.jsonl", [rationale(c) for c in CASES])
    runner = CliRunner()
    steps: dict[str, list[Any]] = {}
    for policy in POLICY_NAMES:
        out = tmp_path / f"verdicts-{policy}.jsonl"
        res = runner.invoke(app, ["verify", str(rationales), "--corpus", str(corpus), "-o",
                                  str(out), "--policy", policy, "--jobs", "2"])
        assert res.exit_code == 0, res.output
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["case"] for r in rows] == list(CASES)  # extra keys pass through, in order
        accepted = sum(CASES[r["case"]][3][policy] for r in rows)
        assert f"{accepted} accepted" in res.output, res.output
        for row in rows:
            check_outcome(row, row["case"], policy)
            steps.setdefault(row["case"], []).append(row["steps"])
    for case, per_policy in steps.items():
        assert per_policy[0] == per_policy[1] == per_policy[2], case
