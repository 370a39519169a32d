"""Backward verdicts the other tests do not reach: ``proved_on_path``, and ``unknown`` when
re-execution does not confirm the solver's counterexample.

* A necessity that holds on every explored path while the exploration is not exhaustive within
  its bounds is ``proved_on_path``, with the reason in its detail; with bounds small enough for
  the same exploration to be exhaustive, the same step is ``proved``.  ``strict`` counts
  ``proved_on_path`` as a good step (``codecot.verify.policy.GOOD``), so it accepts.
* A counterexample is reported (``refuted``) only after the tracer re-executes it: when the
  solver proposes an input that does not give the output, or that satisfies the claim, or when
  re-execution disagrees with the concolic run, the step is ``unknown`` and its detail says the
  counterexample did not survive re-execution.  A real one is ``refuted`` and named.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest

from codecot.symbolic import session as session_module
from codecot.symbolic.claims import VIOLATED, PathCheck
from codecot.symbolic.explore import Bounds
from codecot.symbolic.session import BackwardSession
from codecot.verify.policy import POLICIES, get_policy
from codecot.verify.record import Plan
from codecot.verify.verdicts import StepVerdict, Verdict
from tests import concolic_helpers
from tests.concolic_helpers import call, check

factory = concolic_helpers.factory  # a fixture

Factory = Callable[[Plan], BackwardSession | None]

# 2 ** len(s) paths: more than the exploration's 24 runs once strings may have 8 characters
COUNT_A = ("def f(s):\n    count = 0\n    for c in s:\n        if c == 'a':\n"
           "            count += 1\n    return count\n")
COUNT_TEXT = ("We need f(s) to return 2.\nlen(s) must be at least 2.\nLet s be 'aab'.\n"
              "Check: f('aab') returns 2.\nSo the input is 'aab'.")


def with_bounds(make: Factory, bounds: Bounds) -> Factory:
    """Sessions of ``make`` exploring within ``bounds``."""
    def sessions(p: Plan) -> BackwardSession | None:
        s = make(p)
        return None if s is None else dataclasses.replace(s, bounds=bounds)
    return sessions


def test_necessity_past_the_bounds_is_proved_on_path(factory: Any) -> None:
    out = check(factory, COUNT_A, "2", COUNT_TEXT)
    step = out["steps"][1]
    assert (step["kind"], step["verdict"]) == ("must", "proved_on_path"), step
    assert "holds on the path of 'aab'" in step["detail"], step
    assert "not exhaustive: more than 24 paths" in step["detail"], step
    # strict takes proved_on_path as a good step: the rationale is accepted
    assert out["policy"] == "strict" and out["accepted"] is True, out


def test_same_necessity_is_proved_when_the_bounds_are_covered(factory: Any) -> None:
    # strings of at most 3 characters (the seed's length): 1 + 2 + 4 + 8 paths, all explored
    out = check(with_bounds(factory, Bounds(max_len=3)), COUNT_A, "2", COUNT_TEXT)
    step = out["steps"][1]
    assert step["verdict"] == "proved", step
    assert "on all 15 paths" in step["detail"] and "len(s) <= 3" in step["detail"], step


def test_run_limit_gives_proved_on_path_and_a_false_claim_is_still_refuted(factory: Any) -> None:
    small = with_bounds(factory, Bounds(max_runs=2))
    step = check(small, COUNT_A, "2", COUNT_TEXT)["steps"][1]
    assert step["verdict"] == "proved_on_path", step
    assert "not exhaustive: more than 2 paths" in step["detail"], step
    wrong = check(small, COUNT_A, "2", COUNT_TEXT.replace("at least 2", "at least 4"))
    assert wrong["steps"][1]["verdict"] == "refuted", wrong["steps"][1]
    assert wrong["accepted"] is False


def test_strict_policy_on_proved_on_path_steps() -> None:
    """What policy.py says: every policy accepts ``proved_on_path`` like ``proved``, in the
    middle and as the final input."""
    def steps(middle: Verdict, final: Verdict) -> list[StepVerdict]:
        return [StepVerdict(0, "goal", "goal", Verdict.PROVED, ""),
                StepVerdict(1, "must", "must", middle, ""),
                StepVerdict(2, "input", "input", final, "")]
    strict = get_policy("strict")
    for policy in POLICIES.values():
        assert policy.accepts(steps(Verdict.PROVED_ON_PATH, Verdict.PROVED)) == (True, "")
        assert policy.accepts(steps(Verdict.PROVED, Verdict.PROVED_ON_PATH)) == (True, "")
    assert strict.accepts(steps(Verdict.UNKNOWN, Verdict.PROVED)) == (False, "step 1 is unknown")


# --- counterexamples must survive re-execution -------------------------------------------

# f(5) = f(-3) = 8: "x must be 5" has a real counterexample on the other branch
TWO_WAYS = "def f(x):\n    if x > 0:\n        return x + 3\n    return -x + 5\n"
TWO_WAYS_TEXT = "We need f(x) to return 8.\nx must be 5.\nCheck: f(5) returns 8.\nSo the input is 5."
# f(x) = 6 only for x = 5: "x must be 5" is true
ONE_WAY = "def f(x):\n    y = x * 3 + 1\n    if y > 10:\n        return y - 10\n    return -y\n"
ONE_WAY_TEXT = "We need f(x) to return 6.\nx must be 5.\nCheck: f(5) returns 6.\nSo the input is 5."


def propose(monkeypatch: pytest.MonkeyPatch, inputs: list[object]) -> list[int]:
    """Make the per-path solving step report ``inputs`` as a counterexample on every path;
    returns a list that counts the calls."""
    calls: list[int] = []

    def fake_check(*args: Any, **kw: Any) -> PathCheck:
        calls.append(1)
        return PathCheck(VIOLATED, list(inputs))

    monkeypatch.setattr(session_module, "check_on_run", fake_check)
    return calls


def test_real_counterexample_is_refuted_and_named(factory: Any) -> None:
    out = check(factory, TWO_WAYS, "8", TWO_WAYS_TEXT)
    step = out["steps"][1]
    assert step["verdict"] == "refuted", step
    found = re.fullmatch(r"counterexample: f\((-?\d+)\) (?:also )?returns 8, but x == 5 is "
                         r"false", step["detail"])
    assert found is not None, step
    x = int(found.group(1))
    assert x != 5 and call(TWO_WAYS, [x]) == 8, step


@pytest.mark.parametrize("proposed, why", [
    ([7], "f(7) is 12, not the output"),
    ([5], "the claim holds at 5"),
    (["5"], "f('5') raises"),
])
def test_counterexample_that_does_not_reproduce_is_unknown(
        factory: Any, monkeypatch: pytest.MonkeyPatch, proposed: list[object], why: str) -> None:
    calls = propose(monkeypatch, proposed)
    out = check(factory, ONE_WAY, "6", ONE_WAY_TEXT)
    step = out["steps"][1]
    assert calls, "the solving step was not used"
    assert step["verdict"] == "unknown", (why, step)
    assert step["detail"].startswith("the solver's counterexample did not survive re-execution"), step
    assert repr(proposed[0]) in step["detail"], step
    assert out["accepted"] is False  # strict: an unknown step


def test_counterexample_whose_re_execution_disagrees_is_unknown(factory: Any) -> None:
    """The solver finds the real counterexample, but the re-executed trace (here: a tracer
    reporting another output, as a nondeterministic program would) does not confirm it."""
    def disagreeing(p: Plan) -> BackwardSession | None:
        s = factory(p)
        assert s is not None

        def retrace(srcs: list[str]) -> list[dict[str, Any]]:
            return [{**t, "output": "9"} if t.get("ok") else t for t in s.retrace(srcs)]
        return dataclasses.replace(s, retrace=retrace)

    step = check(disagreeing, TWO_WAYS, "8", TWO_WAYS_TEXT)["steps"][1]
    assert step["verdict"] == "unknown", step
    assert "did not survive re-execution" in step["detail"], step
    assert step["detail"].endswith(": f(-3)"), step  # the only other input giving 8 is named
