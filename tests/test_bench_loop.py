"""The closed-loop bench's arithmetic: Wilson intervals, variant options, cell figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codecot.bench.loop import cell_figures, variant_options, wilson, write_sample


def test_wilson_matches_the_textbook_values() -> None:
    # 8 of 10: the Wilson 95% interval is about (0.490, 0.943)
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 20)[0] == 0.0 and 0.0 < wilson(0, 20)[1] < 0.2
    assert wilson(20, 20)[1] == 1.0 and 0.8 < wilson(20, 20)[0] < 1.0
    assert wilson(0, 0) == (0.0, 1.0)


def test_variant_options_name_adapter_and_guidance() -> None:
    assert variant_options("bare", "/x", 4) == {"adapter": "none"}
    assert variant_options("tuned", None, 4) == {}
    assert variant_options("tuned", "/x", 4) == {"adapter": "/x"}
    assert variant_options("guided", "/x", 3) == {"adapter": "/x", "guided": 3, "guided_skips": 2}
    # branching and skipping are the guided variant's alone
    assert variant_options("guided", None, 4, True, 0) == {"guided": 4, "guided_branch": True,
                                                           "guided_skips": 0}
    assert variant_options("tuned", None, 4, True, 2) == {}
    with pytest.raises(ValueError):
        variant_options("huge", None, 4)


def test_cell_figures_count_per_direction() -> None:
    summary = {"by_slot": {"hf/forward": {"accepted": 3}, "hf/backward": {"accepted": 1}},
               "stage_seconds": {"narrate": 80.0}, "wall_seconds": 120.0}
    verdicts = [{"direction": "forward", "prompt_tokens": 100, "finished": True,
                 "accepted": True, "closed_early": True},
                {"direction": "forward", "prompt_tokens": 300, "finished": False,
                 "accepted": False, "closed_early": True},
                {"direction": "backward", "prompt_tokens": 50, "accepted": True}]
    out = cell_figures(summary, verdicts, records=4)
    assert out["forward"]["acceptance"] == 0.75 and out["backward"]["acceptance"] == 0.25
    assert out["forward"]["prompt_tokens_median"] == 200
    assert out["forward"]["unfinished"] == 1 and out["backward"]["unfinished"] == 0
    # accepted rationales the budget steered to their final step (a rejected one is not)
    assert out["forward"]["accepted_closed_early"] == 1
    assert out["backward"]["accepted_closed_early"] == 0
    assert out["seconds_per_rationale"] == 10.0  # 80 s over 8 rationales
    assert out["verified_per_hour"] == 120.0  # 4 accepted in 120 s


def test_write_sample_takes_the_first_valid_records(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": f"r{i}", "code": "def f(x):\n    return x", "input": str(i)})
             for i in range(5)]
    corpus.write_text("\n".join([lines[0], "not json", *lines[1:]]) + "\n", encoding="utf-8")
    target = tmp_path / "w" / "sample.jsonl"
    assert write_sample(corpus, 3, target) == 3
    ids = [json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines()]
    assert ids == ["r0", "r1", "r2"]


@pytest.mark.parametrize(("option", "message"), [
    (["--guided", "0"], "--guided must be at least 1"),
    (["--guided-skips", "-1"], "--guided-skips must be at least 0"),
])
def test_bench_loop_refuses_bad_guided_settings_before_any_work(
        tmp_path: Path, option: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from codecot.cli import app

    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "code": "def f(x):\\n    return x", "input": "1"}\n')
    res = CliRunner().invoke(app, ["bench", "loop", str(corpus), "--workdir",
                                   str(tmp_path / "w"), *option])
    assert res.exit_code == 2 and message in res.output
    assert not (tmp_path / "w").exists()
