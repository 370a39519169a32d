"""``codecot train-data``: both prompt forms per accepted rationale, the split by problem, dedup."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codecot.cli import app
from codecot.errors import InvalidArgument
from codecot.pipeline.training_data import (
    HELDOUT,
    HELDOUT_CORPUS,
    MANIFEST,
    TRAIN,
    TrainingRows,
    build_training_data,
    held_out_problems,
    problem_of,
    split_rows,
)

# Problems "p/1" .. "p/4" with two inputs each ("#0", "#1"); "boom" raises (no rationale, no
# row).  The build merges its own run directory again, so every merged row is a duplicate.
ADD = "def f(a, b):\n    c = a + b\n    return c * 2"
LOOP = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total"
RECORDS = [
    {"id": "p/1#0", "code": ADD, "input": "1, 2"},
    {"id": "p/1#1", "code": ADD, "input": "3, 4"},
    {"id": "p/2#0", "code": LOOP, "input": "[1, 2]"},
    {"id": "p/2#1", "code": LOOP, "input": "[5]"},
    {"id": "p/3#0", "code": "def f(s):\n    return s.upper() + '!'", "input": "'ab'"},
    {"id": "p/3#1", "code": "def f(s):\n    return s.upper() + '!'", "input": "'q'"},
    {"id": "p/4#0", "code": "def f(n):\n    if n > 2:\n        return n - 2\n    return n",
     "input": "5"},
    {"id": "p/4#1", "code": ADD, "input": "7, 8"},
    {"id": "boom", "code": "def f(x):\n    return 1 // x", "input": "0"},
]


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("td")
    corpus = root / "tiny.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    out = root / "out"
    res = CliRunner().invoke(app, ["train-data", "-o", str(out), "--corpus", str(corpus),
                                   "--merge", str(out / "runs" / "tiny"), "--heldout", "0.3",
                                   "--seed", "1", "-j", "2"])
    assert res.exit_code == 0, res.output
    assert "training rows" in res.output
    return root / "out"


def test_every_accepted_rationale_gives_a_grounded_and_a_blind_row(built: Path) -> None:
    rows = read(built / TRAIN) + read(built / HELDOUT)
    accepted = read(built / "runs" / "tiny" / "accepted.jsonl")
    assert len(accepted) == 2 * 8  # 8 good records x 2 directions ("boom" is an error)
    forms = Counter((r["id"], r["direction"], r["grounded"]) for r in rows)
    for verdict in accepted:
        for grounded in (True, False):
            assert forms[verdict["id"], verdict["direction"], grounded] == 1
    for row in rows:
        assert row["prompt_form"] == "short" and [m["role"] for m in row["messages"]] == [
            "system", "user", "assistant"]
        assert ("Trace:" in row["messages"][1]["content"]) is row["grounded"]
        assert row["messages"][2]["content"].strip()
    assert "boom" not in {r["id"] for r in rows}


def test_split_is_by_problem_and_duplicates_are_dropped(built: Path) -> None:
    train, held = read(built / TRAIN), read(built / HELDOUT)
    train_problems = {problem_of(r["id"]) for r in train}
    held_problems = {problem_of(r["id"]) for r in held}
    assert train_problems and held_problems and not train_problems & held_problems
    assert held_problems == held_out_problems(train_problems | held_problems, 0.3, 1)
    keys = [json.dumps(r["messages"]) for r in train + held]
    assert len(keys) == len(set(keys))
    manifest = json.loads((built / MANIFEST).read_text())
    assert manifest["duplicates"] == 32  # the merged run: 16 rationales x 2 forms
    assert manifest["rows"] == 64 and manifest["train"]["rows"] == len(train)
    assert len(train) + len(held) == 32
    assert manifest["heldout"]["rows"] == len(held)
    assert manifest["heldout"]["problem_ids"] == sorted(held_problems)
    # the held-out corpus: the first record of each held-out problem, in corpus order
    corpus = read(built / HELDOUT_CORPUS)
    firsts = [r for r in RECORDS if r["id"].endswith("#0")]
    assert [r["id"] for r in corpus] == [r["id"] for r in firsts
                                         if problem_of(r["id"]) in held_problems]
    assert all(r["code"] and r["input"] for r in corpus)
    assert manifest["seed"] == 1 and manifest["sources"][0]["accepted"] == {"backward": 8,
                                                                           "forward": 8}


def test_a_rebuild_resumes_and_writes_the_same_files(built: Path) -> None:
    manifest = json.loads((built / MANIFEST).read_text())
    import hashlib

    for name, side in ((TRAIN, "train"), (HELDOUT, "heldout")):
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == manifest[side]["sha256"]
    corpus = Path(manifest["sources"][0]["corpus"])
    again = build_training_data(built, [str(corpus)], heldout=0.3, seed=1, jobs=1,
                                merge=[built / "runs" / "tiny"])
    assert again.manifest["train"]["sha256"] == manifest["train"]["sha256"]
    assert again.manifest["heldout"]["sha256"] == manifest["heldout"]["sha256"]


@pytest.mark.parametrize(("engine", "actors", "message"), [
    ("spark", 1, "--engine"), ("ray", 0, "--actors")])
def test_an_unknown_engine_or_no_actor_is_refused_before_any_work(
        tmp_path: Path, engine: str, actors: int, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        build_training_data(tmp_path / "out", ["demo"], engine=engine, actors=actors)
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, ["train-data", "-o", str(tmp_path / "out"),
                                      "--engine", engine, "--actors", str(actors)])
    assert result.exit_code != 0 and not (tmp_path / "out").exists()


def _row(rid: str, text: str) -> dict[str, Any]:
    return {"id": rid, "direction": "forward", "grounded": True,
            "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "x"}]}


@pytest.mark.parametrize("held_first", [False, True])
def test_rows_with_the_same_messages_land_on_one_side_once(held_first: bool) -> None:
    problems = {f"q{i}" for i in range(40)} | {"q1/x"}
    held = held_out_problems(problems, 0.25, 0)
    kept, gone = sorted(problems - held)[0], sorted(held)[0]
    same = [_row(f"{kept}#0", "same"), _row(f"{gone}#0", "same")]
    rows = TrainingRows()
    for row in (same[::-1] if held_first else same):
        rows.add("s", row)
    rows.add("s", _row(f"{gone}#1", "other"))
    split = split_rows(rows, 0.25, 0)
    assert split.duplicates == 1
    train_ids, held_ids = [r["id"] for r in split.train], [r["id"] for r in split.heldout]
    if held_first:
        assert (train_ids, held_ids) == ([], [f"{gone}#0", f"{gone}#1"])
    else:
        assert (train_ids, held_ids) == ([f"{kept}#0"], [f"{gone}#1"])


def test_held_out_problems_are_seeded_stable_and_never_all() -> None:
    problems = {f"HumanEval/{i}" for i in range(164)}
    held = held_out_problems(problems, 0.1, 0)
    assert 5 < len(held) < 35
    assert held_out_problems(problems | {"new"}, 0.1, 0) - {"new"} == held
    assert held_out_problems(problems, 0.1, 1) != held
    assert held_out_problems({"a", "b"}, 0.01, 0) and held_out_problems({"a"}, 0.5, 0) == set()
    assert problem_of("HumanEval/12#3") == "HumanEval/12" and problem_of("starter_001") == "starter_001"
    with pytest.raises(InvalidArgument):
        held_out_problems(problems, 1.0, 0)
