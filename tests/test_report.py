"""Error-mode analysis and the self-contained HTML report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.report.analysis import analyze, claimed_and_true, error_mode
from codecot.report.html import render, report_outdir

runner = CliRunner()


def step(index: int, kind: str, verdict: str, detail: str = "", text: str = "") -> dict[str, Any]:
    return {"index": index, "text": text or f"step {index}", "kind": kind, "verdict": verdict,
            "detail": detail}


def verdict(rid: str, direction: str, steps: list[dict[str, Any]], accepted: bool,
            **extra: Any) -> dict[str, Any]:
    return {"id": rid, "direction": direction, "narrator": "template", "text": "...",
            "accepted": accepted, "steps": steps, **extra}


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    ok = [step(0, "call", "verified"), step(1, "state", "verified"), step(2, "answer", "verified")]
    write(tmp_path / "accepted.jsonl", [verdict("a", "forward", ok, True)])
    write(tmp_path / "rejected.jsonl", [
        verdict("b", "forward", [step(0, "call", "verified"),
                                 step(1, "state", "refuted", "after line 2, x is 3, not 4",
                                      "Line 2: x = 1 + 2, so x is <b>4</b>."),
                                 step(2, "answer", "refuted", "f(...) returns 3, not 4")],
                False, reason="step 1 is refuted", mutation={"operator": "off_by_one"}),
        verdict("c", "forward", [step(0, "call", "verified"), step(1, "condition", "verified"),
                                 step(2, "loop_end", "refuted", "the loop on line 3 runs 5 "
                                      "iterations, not 6"), step(3, "answer", "verified")],
                False, reason="step 2 is refuted"),
        verdict("d", "backward", [step(0, "goal", "proved"),
                                  step(1, "must", "refuted", "x could also be 7: f(7) == 1"),
                                  step(2, "unparsed", "unparsed", "no rule matches"),
                                  step(3, "input", "verified")], False,
                reason="step 1 is refuted"),
    ])
    write(tmp_path / "errors.jsonl", [{"id": "e", "narrator": "template", "direction": "forward",
                                       "stage": "trace", "error_kind": "timeout",
                                       "error": "record e: timeout after 10s"}])
    return tmp_path


def test_error_modes_from_kind_verdict_and_detail() -> None:
    assert error_mode("state", "verified") is None
    assert error_mode("must", "proved_on_path") is None
    assert error_mode("state", "refuted") == "wrong value"
    assert error_mode("return", "refuted") == "wrong value"
    assert error_mode("condition", "refuted") == "wrong branch"
    assert error_mode("loop_end", "refuted") == "wrong loop count"
    assert error_mode("loop_iter", "refuted") == "wrong loop count"
    assert error_mode("must", "refuted") == "over-claimed necessity"
    assert error_mode("then-must", "refuted") == "over-claimed necessity"
    assert error_mode("let", "refuted") == "inconsistent choice"
    assert error_mode("answer", "refuted") == "wrong answer"
    assert error_mode("input", "refuted") == "wrong answer"
    assert error_mode("state", "unknown") == "unknown"
    assert error_mode("unparsed", "unparsed") == "unparsed"


def test_claimed_and_true_values_from_details() -> None:
    assert claimed_and_true("after line 4 in iteration 4, total is 26, not 11") == ("11", "26")
    assert claimed_and_true("on line 3, n > 0 is True, not False") == ("False", "True")
    assert claimed_and_true("the loop on line 3 runs 5 iterations, not 6") == ("6", "5 iterations")
    assert claimed_and_true("f(...) returns (-4, 3, True), not (True, 3, -4)") == (
        "(True, 3, -4)", "(-4, 3, True)")
    assert claimed_and_true("x could also be 7") == (None, None)


def test_analysis_figures(run_dir: Path) -> None:
    a = analyze(run_dir)
    fwd = a["by_slot"]["template/forward"]
    assert (fwd["accepted"], fwd["rejected"], fwd["errors"], fwd["total"]) == (1, 2, 1, 4)
    assert fwd["acceptance"] == 0.25 and fwd["acceptance_of_narrated"] == pytest.approx(0.3333)
    assert a["by_slot"]["template/backward"]["rejected"] == 1
    assert a["refuted_by_kind"] == {"state": 1, "answer": 1, "loop_end": 1, "must": 1}
    assert a["error_modes"] == {"wrong value": 1, "wrong loop count": 1,
                                "over-claimed necessity": 1, "wrong answer": 1, "unparsed": 1}
    # first bad steps: b at 1/2, c at 2/3, d at 1/3 of the way
    assert a["first_error"]["bins"] == [0, 0, 0, 1, 0, 1, 1, 0, 0, 0]
    assert a["first_error"]["mode_of_first_error"] == {"wrong value": 1, "wrong loop count": 1,
                                                       "over-claimed necessity": 1}
    ex = a["examples"]["wrong value"][0]
    assert (ex["id"], ex["claimed"], ex["true"], ex["operator"]) == ("b", "4", "3", "off_by_one")
    assert a["mutants"] == {"off_by_one": {"accepted": 0, "rejected": 1}}
    assert a["errors"]["by_kind"] == {"timeout": 1}
    assert a["rejection_reasons"] == {"step is refuted": 3}


def test_report_is_self_contained_with_plots(run_dir: Path) -> None:
    pytest.importorskip("matplotlib")
    path, summary = report_outdir(run_dir)
    page = path.read_text()
    assert page.count("src='data:image/png;base64,") == 4
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page)
    assert "<b>4</b>" not in page and "&lt;b&gt;4&lt;/b&gt;" in page  # step text is escaped
    assert "over-claimed necessity" in page and "x could also be 7" in page
    assert "<span class='mono claimed'>4</span>" in page
    assert "<span class='mono true'>3</span>" in page
    written = json.loads((run_dir / "summary.json").read_text())
    assert written["analysis"] == summary["analysis"]
    assert written["analysis"]["error_modes"]["wrong answer"] == 1


def test_report_without_bad_steps_still_renders(tmp_path: Path) -> None:
    write(tmp_path / "accepted.jsonl", [verdict("a", "forward", [step(0, "answer", "verified")],
                                                True)])
    summary = {"corpus": "c", "records": 1, "analysis": analyze(tmp_path)}
    page = render(summary)
    assert "No bad steps." in page and "None: every record was traced" in page


def test_report_command(run_dir: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0, res.output
    assert "template/forward: 1/4 accepted" in res.output
    assert (run_dir / "report.html").exists()
    res = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert res.exit_code != 0


def test_report_of_a_killed_run_reads_its_progress(run_dir: Path) -> None:
    # a run killed before its end has progress.json and dataset.jsonl but no summary.json
    (run_dir / "progress.json").write_text(json.dumps({
        "version": 1, "records_done": 64, "chunks_done": 1, "offsets": {},
        "stage_seconds": {"trace": 0.25, "narrate": 12.5}, "complete": False,
        "config": {"corpus": "/x/starter.jsonl", "narrators": ["hf"],
                   "directions": ["forward"], "policy": "strict"}}))
    (run_dir / "dataset.jsonl").write_text('{"messages": []}\n{"messages": []}\n')
    path, summary = report_outdir(run_dir)
    assert summary["incomplete"] is True and summary["records"] == 64
    assert summary["dataset"]["rows"] == 2 and summary["stage_seconds"]["narrate"] == 12.5
    html = path.read_text()
    assert "/x/starter.jsonl" in html and "narrators hf" in html and "incomplete run" in html
    assert "engine None" not in html
    # once the run has finished, the report says nothing of the kind
    progress = json.loads((run_dir / "progress.json").read_text())
    (run_dir / "progress.json").write_text(json.dumps({**progress, "complete": True}))
    _, summary = report_outdir(run_dir)
    assert summary["incomplete"] is False
    assert "incomplete run" not in (run_dir / "report.html").read_text()

