"""The CLI end to end on the demo corpus: trace -> narrate -> verify -> mutate."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from codecot.cli import app
from codecot.corpus import packaged_corpus

runner = CliRunner()


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_trace_narrate_verify_mutate(tmp_path: Path) -> None:
    demo = str(packaged_corpus("demo"))
    traces = tmp_path / "t.jsonl"
    res = runner.invoke(app, ["trace", demo, "-o", str(traces), "--jobs", "2"])
    assert res.exit_code == 0, res.output
    assert "traced 8 records: 8 ok" in res.output
    # the confinement layers in force are named, Landlock's presence or absence included
    assert "sandbox: rlimits, private dir, wall clock" in res.output
    assert "landlock ABI" in res.output or "NO landlock" in res.output
    assert [t["id"] for t in read(traces)] == [f"demo_0{i}" for i in range(1, 9)]

    rats = tmp_path / "r.jsonl"
    res = runner.invoke(app, ["narrate", demo, "--direction", "both", "-o", str(rats),
                              "--traces", str(traces)])
    assert res.exit_code == 0, res.output
    assert len(read(rats)) == 16

    verdicts = tmp_path / "v.jsonl"
    res = runner.invoke(app, ["verify", str(rats), "--corpus", demo, "-o", str(verdicts),
                              "--traces", str(traces)])
    assert res.exit_code == 0, res.output
    recs = read(verdicts)
    forward = [r for r in recs if r["direction"] == "forward"]
    assert all(r["accepted"] for r in forward)
    assert all(s["verdict"] in {"verified", "proved", "proved_on_path", "consistent", "refuted",
                                "unknown", "unparsed"} for r in recs for s in r["steps"])

    mutants = tmp_path / "m.jsonl"
    res = runner.invoke(app, ["mutate", str(rats), "--corpus", demo, "-o", str(mutants),
                              "--traces", str(traces), "--seed", "3"])
    assert res.exit_code == 0, res.output
    ms = read(mutants)
    assert ms and all("mutation" in m for m in ms)
    out = tmp_path / "mv.jsonl"
    res = runner.invoke(app, ["verify", str(mutants), "--corpus", demo, "-o", str(out),
                              "--traces", str(traces)])
    assert res.exit_code == 0
    assert not any(r["accepted"] for r in read(out))
    assert all("mutation" in r for r in read(out))  # extra keys pass through


def test_bad_lines_become_error_records(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "code": "def f(x):\\n    return x", "input": "1"}\n{oops\n'
                      '{"id": "b", "code": "def f(:", "input": ""}\n'
                      '{"id": "c", "code": "def f(x):\\n    return x", "input": "nope"}\n')
    out = tmp_path / "t.jsonl"
    res = runner.invoke(app, ["trace", str(corpus), "-o", str(out)])
    assert res.exit_code == 0, res.output
    recs = read(out)
    assert [r.get("error_kind") for r in recs] == [None, "bad_record", "syntax_error", "bad_input"]
    assert recs[0]["output"] == "1"
    assert "line 2" in recs[1]["error"]


def test_usage_errors_exit_nonzero(tmp_path: Path) -> None:
    res = runner.invoke(app, ["trace", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o")])
    assert res.exit_code != 0
    res = runner.invoke(app, ["verify", str(packaged_corpus("demo")), "--corpus",
                              str(packaged_corpus("demo")), "-o", str(tmp_path / "o"),
                              "--policy", "lenient-ish"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["narrate", str(packaged_corpus("demo")), "-o", str(tmp_path / "o"),
                              "--direction", "sideways"])
    assert res.exit_code != 0
