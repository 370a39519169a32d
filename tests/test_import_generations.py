"""Importing CRUXEval-style generations (made-up programs and texts) and running them free-form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.errors import InvalidArgument
from codecot.generations import clean_generation, import_generations, read_generations

runner = CliRunner()

BENCHMARK = [
    {"id": "sample_0", "code": "def f(n):\n    total = 0\n    for i in range(n):\n"
                               "        total += i\n    return total", "input": "4", "output": "6"},
    {"id": "sample_1", "code": "def f(s):\n    return s[::-1]", "input": "'abc'",
     "output": "'cba'"},
    {"id": "sample_2", "code": "def f(xs):\n    return [x * 2 for x in xs]", "input": "[1, 2]",
     "output": "[2, 4]"},
]

FORWARD_0 = ("Let's execute the code step by step:\n1. The function is called with n = 4.\n"
             "2. total is initialized to 0.\n3. The loop runs 4 times, so total becomes "
             "0 + 1 + 2 + 3 = 6.\n4. The function returns 6.\n[/THOUGHT]\n[ANSWER]\n"
             "assert f(4) == 6\n[/ANSWER]")


def write_fixture(tmp_path: Path, generations: Any, name: str = "modelx_output.json") -> tuple[Path, Path]:
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(r) + "\n" for r in BENCHMARK))
    gens = tmp_path / name
    gens.write_text(json.dumps(generations))
    return gens, bench


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_end_tokens_and_text_after_the_answer_are_cut() -> None:
    text = FORWARD_0 + "\n\n[PYTHON]\ndef f(a):\n    return a\n[/PYTHON]\n<|EOT|>more"
    assert clean_generation(text) == FORWARD_0.replace("\n[/THOUGHT]", "")
    assert clean_generation("The answer is 6.<|endoftext|>[ANSWER]x[/ANSWER]") == "The answer is 6."
    assert clean_generation("It returns 6.</s>junk") == "It returns 6."


def test_a_repeated_program_and_question_at_the_start_are_cut() -> None:
    text = ("[PYTHON]\ndef f(s):\n    return s[::-1]\nassert f('abc') == ??\n[/PYTHON]\n"
            "[THOUGHT]\nThe slice reverses 'abc', so the result is 'cba'.\n[/THOUGHT]\n"
            "[ANSWER]assert f('abc') == 'cba'[/ANSWER] trailing words")
    assert clean_generation(text) == ("The slice reverses 'abc', so the result is 'cba'.\n"
                                      "[ANSWER]assert f('abc') == 'cba'[/ANSWER]")
    question = ("You are given a Python function and an assertion containing an input.\n"
                "Complete the assertion.\n\nassert f(??) == 'cba'\nWe need s reversed to be "
                "'cba', so s must be 'abc'.")
    assert clean_generation(question) == "We need s reversed to be 'cba', so s must be 'abc'."


def test_text_without_prompt_parts_is_kept() -> None:
    text = "assert f(4) == 6"  # a direct answer: no blank, so not the question
    assert clean_generation(text) == text
    prose = "First, total is 0.\n\n\n\nThen total is 6."
    assert clean_generation(prose) == "First, total is 0.\n\nThen total is 6."


def test_import_writes_corpus_and_one_rationale_per_generation(tmp_path: Path) -> None:
    gens, bench = write_fixture(tmp_path, {
        "sample_0": [FORWARD_0 + "<|EOT|>", "It returns 7.\n[ANSWER]assert f(4) == 7[/ANSWER]"],
        "sample_2": ["[ANSWER]assert f([1, 2]) == [2, 4][/ANSWER]\n[ANSWER]x[/ANSWER]"],
        "sample_9": ["an id the benchmark does not have"],
    })
    result = import_generations(gens, bench, "output", tmp_path / "out")
    corpus = read_jsonl(tmp_path / "out" / "corpus.jsonl")
    rats = read_jsonl(tmp_path / "out" / "rationales.jsonl")
    assert [r["id"] for r in corpus] == ["sample_0", "sample_1", "sample_2"]
    assert corpus[1] == BENCHMARK[1]
    assert [(r["id"], r["sample"]) for r in rats] == [("sample_0", 0), ("sample_0", 1),
                                                      ("sample_2", 0)]
    assert {r["direction"] for r in rats} == {"forward"}
    assert {r["narrator"] for r in rats} == {"modelx_output"}
    assert rats[0]["text"].endswith("[/ANSWER]") and "<|EOT|>" not in rats[0]["text"]
    assert rats[2]["text"] == "[ANSWER]assert f([1, 2]) == [2, 4][/ANSWER]"
    assert (result.records, result.generations, result.rationales) == (3, 3, 3)
    assert len(result.warnings) == 1 and "'sample_9'" in result.warnings[0]


def test_input_task_gives_backward_rationales(tmp_path: Path) -> None:
    gens, bench = write_fixture(tmp_path, {"sample_1": [
        "assert f(??) == 'cba'\nThe output reversed is 'abc'.\n[ANSWER]assert f('abc') == 'cba'"
        "[/ANSWER]"]})
    import_generations(gens, bench, "input", tmp_path / "out")
    (rat,) = read_jsonl(tmp_path / "out" / "rationales.jsonl")
    assert rat["direction"] == "backward"
    assert rat["text"].startswith("The output reversed is 'abc'.")


@pytest.mark.parametrize(("content", "message"), [
    ("[1, 2]", "must hold a JSON object"),
    ("{not json", "is not valid JSON"),
    ('{"sample_0": "one text"}', "'sample_0' must map to a list of strings"),
    ('{"sample_0": ["ok", 3]}', "'sample_0' item 1 must be a string"),
])
def test_malformed_generations_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "g.json"
    path.write_text(content)
    with pytest.raises(InvalidArgument, match=message):
        read_generations(path)


def test_cli_import_warns_about_unknown_ids_and_refuses_bad_files(tmp_path: Path) -> None:
    gens, bench = write_fixture(tmp_path, {"sample_1": ["It returns 'cba'."], "nope": ["x"]})
    res = runner.invoke(app, ["corpus", "import-generations", str(gens), "--benchmark", str(bench),
                              "--task", "output", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "warning: skipping 1 generation(s) for 'nope'" in res.output
    assert "1 rationales from 1 generations" in res.output
    bad = tmp_path / "bad.json"
    bad.write_text('["x"]')
    res = runner.invoke(app, ["corpus", "import-generations", str(bad), "--benchmark", str(bench),
                              "-o", str(tmp_path / "out2")])
    assert res.exit_code == 2 and "must hold a JSON object" in res.output
    res = runner.invoke(app, ["corpus", "import-generations", str(gens), "--benchmark", str(bench),
                              "--task", "both", "-o", str(tmp_path / "out3")])
    assert res.exit_code == 2 and "choose output or input" in res.output


def test_run_verifies_imported_generations_free_form(tmp_path: Path) -> None:
    from codecot.pipeline.run import RunConfig, run_pipeline

    gens, bench = write_fixture(tmp_path, {"sample_0": [
        FORWARD_0, "The loop adds 0, 1, 2 and 3, so total becomes 7.\nThe function returns 7."
                   "\n[ANSWER]\nassert f(4) == 7\n[/ANSWER]"]})
    import_generations(gens, bench, "output", tmp_path / "in")
    cfg = RunConfig(corpus=tmp_path / "in" / "corpus.jsonl", outdir=tmp_path / "run",
                    rationales=tmp_path / "in" / "rationales.jsonl", fmt="free", jobs=1,
                    report=False)
    res = run_pipeline(cfg)
    accepted = read_jsonl(tmp_path / "run" / "accepted.jsonl")
    rejected = read_jsonl(tmp_path / "run" / "rejected.jsonl")
    assert [(r["id"], r["sample"]) for r in accepted] == [("sample_0", 0)]
    assert [(r["id"], r["sample"]) for r in rejected] == [("sample_0", 1)]
    assert all(r["format"] == "free" for r in accepted + rejected)
    assert any(s["verdict"] == "refuted" for s in rejected[0]["steps"])
    assert res.summary["format"] == "free" and res.summary["free_policy"] == "free"
    # the same rationales read as steps: nothing parses, so nothing is accepted
    steps = run_pipeline(RunConfig(corpus=cfg.corpus, outdir=tmp_path / "run2",
                                   rationales=cfg.rationales, jobs=1, report=False))
    assert steps.summary["by_slot"]["modelx_output/forward"]["accepted"] == 0
