"""`codecot run` end to end: routing of every record, errors with reasons, the SFT dataset."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.corpus import CorpusRecord, packaged_corpus
from codecot.errors import InvalidArgument, MissingDependency
from codecot.narrate import registry
from codecot.narrate.template import TemplateNarrator
from codecot.pipeline.dataset import chat_row
from codecot.pipeline.run import RunConfig, load_corpus, run_pipeline

runner = CliRunner()

BAD_LINES = [
    '{"id": "bad_syntax", "code": "def f(x):\\n    return x +", "input": "1"}',
    '{"id": "bad_raise", "code": "def f(x):\\n    return 1 // x", "input": "0"}',
    '{"id": "bad_output", "code": "def f(x):\\n    return x + 1", "input": "1", "output": "5"}',
    '{"id": "bad_input", "code": "def f(x):\\n    return x", "input": "undefined_name"}',
    '{"id": "no_output", "code": "def f(x):\\n    y = x * 3\\n    return y", "input": "7"}',
    "this is not json",
]


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def mixed_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.jsonl"
    demo = packaged_corpus("demo").read_text().splitlines()
    path.write_text("\n".join(demo[:4] + BAD_LINES + demo[4:]) + "\n")
    return path


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("mixed")
    cfg = RunConfig(corpus=mixed_corpus(tmp), outdir=tmp / "out", jobs=2, chunk_size=3)
    result = run_pipeline(cfg)
    return tmp / "out", result.summary


def test_every_record_lands_once_per_slot(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = mixed_run
    rows = read(out / "accepted.jsonl") + read(out / "rejected.jsonl") + read(out / "errors.jsonl")
    per = Counter((r["id"], r["narrator"], r["direction"]) for r in rows)
    assert len(per) == 14 * 2  # 14 input lines x (template/forward, template/backward)
    assert set(per.values()) == {1}
    assert summary["records"] == 14
    assert summary["by_slot"]["template/forward"]["total"] == 14


def test_forward_template_rationales_are_all_accepted(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = mixed_run
    fwd = {r["id"] for r in read(out / "accepted.jsonl") if r["direction"] == "forward"}
    assert fwd == {f"demo_0{i}" for i in range(1, 9)} | {"no_output"}
    assert summary["by_slot"]["template/forward"]["accepted"] == 9
    assert not [r for r in read(out / "rejected.jsonl") if r["direction"] == "forward"]


def test_errors_name_the_record_and_the_reason(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = mixed_run
    errors = {(e["id"], e["direction"]): e for e in read(out / "errors.jsonl")}
    kinds = {rid: errors[(rid, "forward")]["error_kind"]
             for rid in ("bad_syntax", "bad_raise", "bad_output", "bad_input", "line10")}
    assert kinds == {"bad_syntax": "syntax_error", "bad_raise": "exception",
                     "bad_output": "output_mismatch", "bad_input": "bad_input",
                     "line10": "bad_record"}
    assert "ZeroDivisionError" in errors[("bad_raise", "forward")]["error"]
    assert "returns 2" in errors[("bad_output", "backward")]["error"]
    assert "malformed JSON" in errors[("line10", "forward")]["error"]
    assert all(e["stage"] in ("read", "trace") for e in errors.values())


def test_rejected_records_carry_verdicts_and_reasons(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = mixed_run
    for rec in read(out / "rejected.jsonl"):
        assert rec["accepted"] is False and rec["reason"]
        assert rec["steps"] and {"index", "text", "kind", "verdict", "detail"} <= set(rec["steps"][0])


def test_outputs_are_in_corpus_order(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = mixed_run
    ids = [r["id"] for r in read(out / "accepted.jsonl") if r["direction"] == "forward"]
    assert ids == ["demo_01", "demo_02", "demo_03", "demo_04", "no_output", "demo_05", "demo_06",
                   "demo_07", "demo_08"]


def test_dataset_rows_are_chat_messages(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = mixed_run
    rows = read(out / "dataset.jsonl")
    accepted = read(out / "accepted.jsonl")
    assert len(rows) == len(accepted) == summary["dataset"]["rows"]
    first = rows[0]
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    assert first["messages"][2]["content"] == accepted[0]["text"]
    assert "1 | def f(name):" in first["messages"][1]["content"]
    assert "Call: f('  bob ')" in first["messages"][1]["content"]
    assert "Trace:" in first["messages"][1]["content"]  # template rows are grounded
    assert all(r["prompt_form"] == "short" and r["grounded"] is True for r in rows)
    backward = [r for r in rows if r["direction"] == "backward" and r["id"] == "no_output"]
    assert backward
    for row in backward:  # the output is computed when the record has none
        assert "Output: f(...) returns 21" in row["messages"][1]["content"]


def test_dataset_loads_with_datasets(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    datasets = pytest.importorskip("datasets")
    out, summary = mixed_run
    n = summary["dataset"]["rows"]
    js = datasets.load_dataset("json", data_files=str(out / "dataset.jsonl"), split="train")
    pq = datasets.load_dataset("parquet", data_files=str(out / "dataset.parquet"), split="train")
    assert len(js) == len(pq) == n
    assert pq[0]["messages"] == js[0]["messages"]
    assert pq[0]["messages"][0]["role"] == "system"


def test_summary_has_counts_and_stage_times(mixed_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = mixed_run
    summary = json.loads((out / "summary.json").read_text())
    assert {"trace", "narrate", "verify", "dataset"} <= set(summary["stage_seconds"])
    fwd = summary["by_slot"]["template/forward"]
    assert (fwd["accepted"], fwd["rejected"], fwd["errors"]) == (9, 0, 5)
    assert summary["analysis"]["errors"]["by_kind"]["bad_record"] == 2
    assert (out / "report.html").exists()


def test_chat_row_numbers_the_code_and_shows_the_call_or_output() -> None:
    rec = CorpusRecord(id="x", code="def f(a, b):\n    return a + b", input="1, 2,", output="3")
    trace = {"ok": True, "entry": "f", "args": {"a": "1", "b": "2"}, "output": "3", "events": []}
    row = chat_row({"direction": "forward", "narrator": "template", "text": "a\nb"}, rec, trace)
    user = row["messages"][1]["content"]
    assert "1 | def f(a, b):\n2 |     return a + b" in user and "Call: f(1, 2)" in user
    assert row["messages"][2] == {"role": "assistant", "content": "a\nb"}
    back = chat_row({"direction": "backward", "narrator": "hf", "text": "a", "grounded": False},
                    rec, trace)
    assert "Output: f(...) returns 3" in back["messages"][1]["content"]
    assert back["grounded"] is False and "Trace:" not in back["messages"][1]["content"]


def test_rerun_with_other_settings_is_refused(tmp_path: Path) -> None:
    demo = packaged_corpus("demo")
    run_pipeline(RunConfig(corpus=demo, outdir=tmp_path, limit=2, jobs=1, report=False))
    with pytest.raises(InvalidArgument, match="limit"):
        run_pipeline(RunConfig(corpus=demo, outdir=tmp_path, limit=3, jobs=1, report=False))
    again = run_pipeline(RunConfig(corpus=demo, outdir=tmp_path, limit=3, jobs=1, report=False,
                                   fresh=True))
    assert again.summary["records"] == 3
    assert len(read(tmp_path / "accepted.jsonl")) + len(read(tmp_path / "rejected.jsonl")) == 6


def test_rationales_file_instead_of_narration(tmp_path: Path) -> None:
    demo = packaged_corpus("demo")
    good = TemplateNarrator().narrate(load_corpus(demo)[1], _trace(demo, 1), "forward").to_json()
    wrong = {**good, "text": good["text"].replace("returns 10", "returns 11")
             .replace("== 10", "== 11").replace("is 10", "is 11")}
    rats = tmp_path / "rats.jsonl"
    rats.write_text(json.dumps(good) + "\n" + json.dumps(wrong) + "\n"
                    + json.dumps({**good, "id": "demo_99"}) + "\n")
    res = run_pipeline(RunConfig(corpus=demo, outdir=tmp_path / "out", rationales=rats, jobs=1))
    accepted = read(tmp_path / "out" / "accepted.jsonl")
    rejected = read(tmp_path / "out" / "rejected.jsonl")
    assert [r["text"] for r in accepted] == [good["text"]]
    assert [r["text"] for r in rejected] == [wrong["text"]]
    assert res.summary["analysis"]["error_modes"].get("wrong answer", 0) >= 1


def _trace(corpus: Path, i: int) -> dict[str, Any]:
    from codecot.trace.tracer import trace_in_process

    rec = load_corpus(corpus)[i]
    assert isinstance(rec, CorpusRecord)
    return trace_in_process(rec.code, rec.input, rec.entry, id=rec.id)


def test_cli_run_prints_summary_dataset_and_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(packaged_corpus("demo")), "-o", str(out), "--limit", "3",
                              "--direction", "forward", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "run of 3 records (template/forward: 3/3 accepted; 0 errors)" in res.output
    assert f"dataset: {out / 'dataset.jsonl'}" in res.output
    assert f"report: {out / 'report.html'}" in res.output


def test_cli_run_rejects_bad_options(tmp_path: Path) -> None:
    demo = str(packaged_corpus("demo"))
    for extra in (["--narrator", "gpt"], ["--engine", "spark"], ["--direction", "up"],
                  ["--bogus-option", "1"]):
        res = runner.invoke(app, ["run", demo, "-o", str(tmp_path / "o"), *extra])
        assert res.exit_code != 0
        assert isinstance(res.exception, InvalidArgument | SystemExit), extra


def test_registry_builds_template_and_explains_missing_hf(monkeypatch: pytest.MonkeyPatch) -> None:
    narrator = registry.get_narrator("template", seed=3, model="ignored")
    assert isinstance(narrator, TemplateNarrator) and narrator.seed == 3
    assert registry.parse_narrators("template, hf") == ("template", "hf")
    with pytest.raises(InvalidArgument):
        registry.parse_narrators("template,template")
    real = registry.importlib.util.find_spec
    monkeypatch.setattr(registry.importlib.util, "find_spec",
                        lambda name, *a: None if name == "transformers" else real(name, *a))
    with pytest.raises(MissingDependency, match=r"needs transformers.*codecot\[hf\]"):
        registry.get_narrator("hf", model="x")
