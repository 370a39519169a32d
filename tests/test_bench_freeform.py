"""``codecot bench freeform``: figures of the free-form reader and checker against labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from codecot.bench.freeform import Judged, Score, bench_freeform, judge, score
from codecot.cli import app

runner = CliRunner()

CODE = "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total"

# Labels are deliberately wrong in two places, so that precision and recall are both 1/2:
# "After the loop, total is 7." is false but labelled true (a false positive of the checker
# against these labels) and "The function returns 6." is true but labelled false (a miss).
PROSE = ("Let me think about this.\nFirst, total is 0.\nThe loop runs 5 times.\n"
         "After the loop, total is 7.\nThe function returns 6.\n[ANSWER]assert f(4) == 6[/ANSWER]")
PROSE_LABELS = [("Let me think about this.", "prose"), ("First, total is 0.", "true"),
                ("The loop runs 5 times.", "false"), ("After the loop, total is 7.", "true"),
                ("The function returns 6.", "false"),
                ("[ANSWER]assert f(4) == 6[/ANSWER]", "true")]
BULLETS = ("- `total` is initialized to `0`.\n- In iteration 2, `i` is `1` and `total` becomes "
           "`1`.\n- We are nearly done.\n- So the output is `6`.")
BULLET_LABELS = [("`total` is initialized to `0`.", "true"),
                 ("In iteration 2, `i` is `1` and `total` becomes `1`.", "true"),
                 ("We are nearly done.", "true"),  # checkable by label, but nothing to read
                 ("So the output is `6`.", "true")]


def labelled(rid: str, style: str, text: str, labels: list[tuple[str, str]]) -> dict[str, Any]:
    out = []
    for piece, label in labels:
        start = text.index(piece)
        out.append({"span": [start, start + len(piece)], "label": label, "checks": []})
    return {"id": rid, "direction": "forward", "narrator": style, "style": style,
            "case": "wrong-step-right-answer", "text": text, "labels": out}


def write_files(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "sum4", "code": CODE, "input": "4"}) + "\n")
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps(labelled("sum4", "prose", PROSE, PROSE_LABELS)) + "\n"
                   + json.dumps(labelled("sum4", "bullets", BULLETS, BULLET_LABELS)) + "\n"
                   + json.dumps(labelled("nowhere", "prose", "x is 1.", [("x is 1.", "true")]))
                   + "\n")
    return dev, corpus


def test_scores_count_read_refuted_and_false_sentences() -> None:
    rat = {"text": "a is 1. b is 2. c is 3.", "labels": [
        {"span": [0, 7], "label": "false"}, {"span": [8, 15], "label": "true"},
        {"span": [16, 23], "label": "false"}]}
    verdict = {"steps": [{"span": [0, 7], "verdict": "refuted"},
                         {"span": [6, 12], "verdict": "verified"},  # overlaps the first two
                         {"span": [10, 15], "verdict": "refuted"}]}
    judged = judge(rat, verdict)
    assert [(j.read, j.refuted) for j in judged] == [(True, True), (True, True), (False, False)]
    groups: dict[str, Score] = {}
    score(groups, ["x"], judged)
    score(groups, ["x"], [Judged("prose", "so.", [{"verdict": "refuted"}])])
    got = groups["x"].to_json()
    assert (got["sentences"], got["checkable"], got["read"], got["false"]) == (4, 3, 2, 2)
    assert (got["refuted"], got["true_positives"]) == (3, 1)
    assert got["precision"] == round(1 / 3, 4) and got["recall"] == 0.5
    assert got["read_fraction"] == round(2 / 3, 4)
    assert Score().to_json()["precision"] is None


def test_bench_on_two_labelled_rationales(tmp_path: Path) -> None:
    dev, corpus = write_files(tmp_path)
    out = bench_freeform(dev, jobs=1, rounds=2, corpora=[corpus], examples=5)
    assert out["rationales"] == 2 and out["missing_records"] == ["nowhere"]
    overall = out["overall"]
    # checkable: 5 + 4; read: all but "We are nearly done."; false: 2; refuted: loop, after
    assert (overall["checkable"], overall["read"], overall["false"]) == (9, 8, 2)
    assert (overall["refuted"], overall["true_positives"]) == (2, 1)
    assert overall["precision"] == 0.5 and overall["recall"] == 0.5
    assert overall["read_fraction"] == round(8 / 9, 4)
    prose, bullets = out["by_style"]["prose"], out["by_style"]["bullets"]
    assert (prose["precision"], prose["recall"], prose["read_fraction"]) == (0.5, 0.5, 1.0)
    assert (bullets["refuted"], bullets["precision"], bullets["recall"]) == (0, None, None)
    assert bullets["read_fraction"] == 0.75
    assert [e["sentence"] for e in out["false_positives"]] == ["After the loop, total is 7."]
    assert [e["sentence"] for e in out["misses"]] == ["The function returns 6."]
    assert out["false_positives"][0]["steps"][0].startswith("state: refuted")
    timing = out["forward_timing"]
    assert timing["sentences"] == 10 and len(timing["rounds_s"]) == 2
    assert timing["sentences_per_s_one_core"] > 0
    assert out["backward_timing"]["rationales"] == 0


def test_cli_bench_freeform_prints_json(tmp_path: Path) -> None:
    dev, _ = write_files(tmp_path)
    res = runner.invoke(app, ["bench", "freeform", str(tmp_path / "absent.jsonl")])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = runner.invoke(app, ["bench", "trace"])
    assert res.exit_code == 2 and "needs a CORPUS" in res.output
    res = runner.invoke(app, ["bench", "freeform", str(dev), "--rounds", "1", "-j", "1"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.output[res.output.index("{"):])
    # the CLI resolves ids from the shipped corpora, which hold neither made-up id
    assert figures["bench"] == "freeform" and figures["missing_records"] == ["nowhere", "sum4"]
    assert figures["rationales"] == 0 and figures["overall"]["precision"] is None
