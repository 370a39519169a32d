"""The report's free-form section: sentence verdicts, per-narrator refuted kinds, coloured text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.report.analysis import analyze
from codecot.report.free_html import MAX_TEXT_CHARS, render_free_text, render_rationale
from codecot.report.freeform import (
    FreeFigures,
    select_rationales,
    sentence_counts,
    sentence_verdict,
    sentences_of,
)
from codecot.report.html import report_outdir

runner = CliRunner()

TEXT = ("Let's think about <b>this</b> & that.\n"
        "## Step one\n"
        "- `x` is 3, so y becomes 7 <script>alert(1)</script>.\n"
        "- The loop runs 4 times.\n"
        "It is likely fine.\n"
        "[ANSWER]assert f(1) == 2[/ANSWER]")


def span(text: str, piece: str) -> list[int]:
    start = text.index(piece)
    return [start, start + len(piece)]


def free_record(rid: str = "r1", narrator: str = "modelx", accepted: bool = False,
                text: str = TEXT, **extra: Any) -> dict[str, Any]:
    s1 = span(text, "`x` is 3, so y becomes 7 <script>alert(1)</script>.")
    s2 = span(text, "The loop runs 4 times.")
    s3 = span(text, "It is likely fine.")
    s4 = span(text, "[ANSWER]assert f(1) == 2[/ANSWER]")
    steps = [
        {"index": 0, "text": "", "span": s1, "kind": "state", "verdict": "verified", "detail": ""},
        {"index": 1, "text": "", "span": s1, "kind": "state", "verdict": "refuted",
         "detail": "y is 6 there, not 7 <i>"},
        {"index": 2, "text": "", "span": s2, "kind": "loop_end", "verdict": "refuted",
         "detail": "the loop on line 3 runs 3 iterations, not 4"},
        {"index": 3, "text": "", "span": s3, "kind": "state", "verdict": "unknown",
         "detail": "the run has no variable it"},
        {"index": 4, "text": "", "span": s4, "kind": "answer", "verdict": "verified", "detail": ""},
    ]
    rec = {"id": rid, "direction": "forward", "narrator": narrator, "sample": 0, "text": text,
           "format": "free", "accepted": accepted, "coverage": 0.8, "sentences": 6,
           "steps": steps, "policy": "free", **extra}
    if not accepted:
        rec.setdefault("reason", "step 1 is refuted")
    return rec


def test_sentence_verdict_is_the_worst_of_its_statements() -> None:
    assert sentence_verdict(["verified", "refuted", "unknown"]) == "refuted"
    assert sentence_verdict(["verified", "unknown"]) == "unknown"
    assert sentence_verdict(["proved", "unparsed"]) == "unknown"
    assert sentence_verdict(["verified", "consistent", "proved_on_path"]) == "verified"


def test_sentences_group_steps_by_span_and_count_prose() -> None:
    rec = free_record()
    found = sentences_of(rec)
    assert [s.verdict for s in found] == ["refuted", "refuted", "unknown", "verified"]
    assert [len(s.steps) for s in found] == [2, 1, 1, 1]
    assert TEXT[found[1].start:found[1].end] == "The loop runs 4 times."
    # 6 content sentences, 4 with statements: 2 prose
    assert sentence_counts(rec) == {"refuted": 2, "unknown": 1, "verified": 1, "prose": 2}
    rec["steps"].append({"index": 5, "span": [9999, 10005], "kind": "state",
                         "verdict": "refuted", "detail": ""})  # outside the text: dropped
    rec["steps"].append({"index": 6, "span": [span(TEXT, "The loop")[0] + 4, len(TEXT) - 40],
                         "kind": "state", "verdict": "verified", "detail": ""})  # overlaps
    assert len(sentences_of(rec)) == 3


def test_figures_per_narrator_rank_refuted_kinds() -> None:
    figures = FreeFigures()
    figures.add(free_record("a"))
    figures.add(free_record("b", accepted=True))
    figures.add(free_record("c", narrator="other"))
    figures.add({"id": "s", "narrator": "modelx", "direction": "forward", "steps": [
        {"kind": "state", "verdict": "refuted"}]})  # a steps-format record: not counted
    out = figures.to_json()
    assert out["rationales"] == 3
    mine = out["by_slot"]["modelx/forward"]
    assert (mine["rationales"], mine["accepted"], mine["refuted_statements"]) == (2, 1, 4)
    assert mine["sentences"] == {"verified": 2, "refuted": 4, "unknown": 2, "prose": 4}
    assert [(k["kind"], k["refuted"], k["statements"]) for k in mine["refuted_kinds"]] == [
        ("state", 2, 6), ("loop_end", 2, 2)]
    assert mine["refuted_kinds"][0]["share"] == 0.5
    assert mine["refuted_kinds"][0]["refuted_rate"] == pytest.approx(0.3333, abs=1e-4)
    assert mine["refuted_kinds"][0]["example"] == "y is 6 there, not 7 <i>"
    assert out["by_slot"]["other/forward"]["rationales"] == 1


def test_text_is_escaped_and_sentences_coloured_with_notes() -> None:
    html = render_rationale(free_record())
    assert "<script>" not in html and "<b>this</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;this&lt;/b&gt; &amp; that." in html  # prose stays plain, escaped
    refuted = re.findall(r"<span class='s s-refuted'[^>]*>(.*?)</span>(?=<span class='note)", html)
    assert refuted == ["<code>x</code> is 3, so y becomes 7 &lt;script&gt;alert(1)&lt;/script&gt;.",
                       "The loop runs 4 times."]
    assert "<span class='note'>✗ state: y is 6 there, not 7 &lt;i&gt;</span>" in html
    assert "✗ loop_end: the loop on line 3 runs 3 iterations, not 4" in html
    assert "<span class='note why'>? state: the run has no variable it</span>" in html
    assert re.search(r"<span class='s s-verified'[^>]*>\[ANSWER\]assert f\(1\) == 2\[/ANSWER\]",
                     html)
    assert "<span class='h'>Step one</span>" in html  # heading without its hashes
    assert "• <span class='s s-refuted'" in html and "<code>x</code>" in html
    assert "rejected</span>: step 1 is refuted" in html and "2 prose" in html


def test_long_text_is_cut_and_late_notes_still_shown() -> None:
    text = "a" * (MAX_TEXT_CHARS + 50) + " x is 4."
    sentences = sentences_of(free_record(text=TEXT) | {"text": text, "steps": [
        {"span": [len(text) - 7, len(text)], "kind": "state", "verdict": "refuted",
         "detail": "x is 5 there, not 4"}]})
    html = render_free_text(text, sentences)
    assert "more characters not shown" in html and "x is 5 there, not 4" in html
    assert len(html) < MAX_TEXT_CHARS + 1000


def test_selection_shows_at_most_n_refuted_first_and_counts_the_rest() -> None:
    recs = [free_record("ok1", accepted=True), free_record("bad1"), free_record("ok2", accepted=True),
            free_record("bad2", narrator="other"), free_record("bad3")]
    sel = select_rationales(recs, 3)
    assert [r["id"] for r in sel.shown] == ["bad1", "bad2", "bad3"]  # narrators take turns
    assert sel.hidden == 2 and sel.not_shown == {"modelx/forward": {"accepted": 2}}
    assert [r["id"] for r in select_rationales(recs, 10).shown] == ["bad1", "bad2", "bad3",
                                                                     "ok1", "ok2"]
    assert select_rationales(recs, 0).hidden == 5


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture()
def free_run(tmp_path: Path) -> Path:
    write(tmp_path / "accepted.jsonl", [free_record("a", accepted=True)])
    write(tmp_path / "rejected.jsonl", [free_record(f"r{i}") for i in range(4)])
    write(tmp_path / "errors.jsonl", [])
    return tmp_path


def test_a_free_form_run_directory_renders(free_run: Path) -> None:
    pytest.importorskip("matplotlib")
    path, summary = report_outdir(free_run, max_rationales=2)
    page = path.read_text()
    assert "<h2>Most common refuted statement kinds</h2>" in page
    assert re.search(r"<td>modelx/forward</td><td>state</td><td class='n'>5</td>", page)
    assert re.search(r"<td>modelx/forward</td><td>loop_end</td><td class='n'>5</td>", page)
    assert page.count("<article class='rat'>") == 2
    assert "3 more free-form rationales not shown" in page
    assert "modelx/forward: 1 accepted, 2 rejected" in page
    assert "<script>" not in page and not re.search(r"(src|href)=['\"]?(https?:|//)", page)
    assert page.count("src='data:image/png;base64,") == 5  # 4 run plots + refuted kinds
    assert summary["analysis"]["free"]["by_slot"]["modelx/forward"]["rationales"] == 5
    assert analyze(free_run)["error_modes"]["wrong loop count"] == 5


def test_cli_report_takes_max_rationales(free_run: Path) -> None:
    res = runner.invoke(app, ["report", str(free_run), "--max-rationales", "1"])
    assert res.exit_code == 0, res.output
    assert (free_run / "report.html").read_text().count("<article class='rat'>") == 1
    res = runner.invoke(app, ["report", str(free_run), "--max-rationales", "-1"])
    assert res.exit_code != 0
