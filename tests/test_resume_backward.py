"""Resume after SIGKILL with backward rationales: `codecot run --direction both` (template
narrator, whose backward rationales run the concolic engine) is killed after its first committed
chunk, or between appending a chunk and committing it, and started again.  Every (record,
narrator, direction) slot lands exactly once in accepted / rejected / errors, no line is torn or
doubled, and every output file holds the same rows as a clean uninterrupted run's.

The corpus is written here: small functions whose backward narration and checking stay far
inside the solver's limits (so rows do not depend on machine load), two records that fail
(an exception and a syntax error) and one whose stated output is wrong, in 13 chunks of 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.test_resume import ENV, OUTPUTS, records_done, uncommitted

CHUNK = 2
DIRECTIONS = ("forward", "backward")
PROGRAMS = [
    ("def f(x):\n    return x * 3 + 1\n", ["4", "-2"]),
    ("def f(s):\n    return s.upper() + '!'\n", ["'abc'", "'Zz'"]),
    ("def f(a, b):\n    return a - b\n", ["10, 3", "0, 7"]),
    ("def f(text, value):\n    text_list = list(text)\n    text_list.append(value)\n"
     "    return ''.join(text_list)\n", ["'bcksrut', 'q'", "'', 'x'"]),
    ("def f(x):\n    if x > 0:\n        return x + 3\n    return -x + 5\n", ["5", "-1"]),
    ("def f(s):\n    return s[::-1]\n", ["'hello'", "'ab'"]),
    ("def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n",
     ["5", "3"]),
    ("def f(x):\n    return 1 // x\n", ["0", "1"]),
    ("def f(s, n):\n    return s * n\n", ["'ab', 3", "'x', 0"]),
    ("def f(:\n    pass\n", [""]),
    ("def f(xs):\n    return sum(xs) * 2\n", ["[1, 2, 3]", "[]"]),
    ("def f(s):\n    return s.replace('a', 'b')\n", ["'banana'", "'aaa'"]),
]


def write_corpus(path: Path) -> list[str]:
    """The corpus above (plus a record whose output is wrong); returns the ids in order."""
    rows: list[dict[str, Any]] = []
    for code, inputs in PROGRAMS:
        for inp in inputs:
            rows.append({"id": f"rb{len(rows):02d}", "code": code, "input": inp})
    rows.append({"id": f"rb{len(rows):02d}", "code": "def f(x):\n    return x + 1\n",
                 "input": "1", "output": "3"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return [r["id"] for r in rows]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("corpus") / "backward.jsonl"
    return path, write_corpus(path)


def command(corpus: Path, outdir: Path) -> list[str]:
    return [sys.executable, "-m", "codecot.cli", "run", str(corpus), "-o", str(outdir),
            "--chunk-size", str(CHUNK), "--no-report", "--jobs", "2", "--direction", "both"]


def run_to_end(corpus: Path, outdir: Path) -> None:
    res = subprocess.run(command(corpus, outdir), env=ENV, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]


def start_and_kill(corpus: Path, outdir: Path, after_records: int, *,
                   mid_commit: bool = False) -> bool:
    """Start the run, SIGKILL it once ``after_records`` are committed (``mid_commit``: once a
    later chunk is appended but not committed); return whether it was still running."""
    env = {**ENV, "CODECOT_TEST_COMMIT_PAUSE": "0.3"} if mid_commit else ENV
    proc = subprocess.Popen(command(corpus, outdir), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if records_done(outdir) >= after_records and (not mid_commit or uncommitted(outdir)):
                break
            time.sleep(0.005)
        alive = proc.poll() is None
        if alive:
            proc.kill()
        return alive
    finally:
        proc.wait(timeout=30)


def rows_of(outdir: Path, name: str) -> list[dict[str, Any]]:
    """The rows of one output file; every line whole (newline-terminated JSON)."""
    data = (outdir / name).read_text()
    assert data == "" or data.endswith("\n"), f"{name} ends in a torn line"
    return [json.loads(line) for line in data.splitlines()]


def slot(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["id"], row["narrator"], row["direction"])


def assert_exactly_once(outdir: Path, ids: list[str]) -> None:
    landed = Counter(slot(r) for name in OUTPUTS[:3] for r in rows_of(outdir, name))
    want = {(i, "template", d) for i in ids for d in DIRECTIONS}
    assert set(landed) == want, sorted(set(landed) ^ want)
    assert set(landed.values()) == {1}, [k for k, n in landed.items() if n > 1]
    dataset = Counter(slot(r) for r in rows_of(outdir, "dataset.jsonl"))
    assert set(dataset.values()) <= {1}, "a dataset row was written twice"
    accepted = {slot(r) for r in rows_of(outdir, "accepted.jsonl")}
    assert set(dataset) == accepted
    progress = json.loads((outdir / "progress.json").read_text())
    assert progress["complete"] is True and progress["records_done"] == len(ids)
    assert json.loads((outdir / "summary.json").read_text())["records"] == len(ids)


def assert_same_rows(got: Path, want: Path) -> None:
    for name in OUTPUTS:
        ours = sorted(rows_of(got, name), key=slot)
        theirs = sorted(rows_of(want, name), key=slot)
        assert ours == theirs, f"{name} differs from the uninterrupted run"


@pytest.fixture(scope="module")
def reference(corpus: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, ids = corpus
    ref = tmp_path_factory.mktemp("reference")
    run_to_end(path, ref)
    assert_exactly_once(ref, ids)
    # the run exercises what is under test: backward rows in every output it can reach
    backward = [r for name in OUTPUTS[:3] for r in rows_of(ref, name)
                if r["direction"] == "backward"]
    assert sum(r.get("accepted") is True for r in backward) >= 15
    assert {r.get("error_kind") for r in rows_of(ref, "errors.jsonl")} >= {
        "exception", "syntax_error", "output_mismatch"}
    return ref


def test_sigkill_after_the_first_chunk_then_resume(
        corpus: tuple[Path, list[str]], reference: Path, tmp_path: Path) -> None:
    path, ids = corpus
    out = tmp_path / "run"
    assert start_and_kill(path, out, CHUNK), "the run finished before it could be killed"
    done = records_done(out)
    assert CHUNK <= done < len(ids), done
    committed = {slot(r) for name in OUTPUTS[:3] for r in rows_of(out, name)}
    assert len(committed) >= CHUNK * len(DIRECTIONS)
    run_to_end(path, out)
    assert_exactly_once(out, ids)
    assert_same_rows(out, reference)


def test_sigkill_between_append_and_commit_then_resume(
        corpus: tuple[Path, list[str]], reference: Path, tmp_path: Path) -> None:
    path, ids = corpus
    out = tmp_path / "run"
    assert start_and_kill(path, out, CHUNK, mid_commit=True)
    assert uncommitted(out)  # lines appended past the committed offsets
    run_to_end(path, out)
    assert_exactly_once(out, ids)
    assert_same_rows(out, reference)
