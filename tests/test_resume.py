"""Crash-safe resume: a `codecot run` SIGKILLed at any point and started again loses nothing and
duplicates nothing; torn last lines are cut off; a changed run directory is refused."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from codecot.corpus import packaged_corpus
from codecot.errors import InvalidArgument
from codecot.manifest import MANIFEST
from codecot.pipeline.checkpoint import Checkpoint

OUTPUTS = ("accepted.jsonl", "rejected.jsonl", "errors.jsonl", "dataset.jsonl")
# The template narrator writes sets in the narrating process's iteration order, so runs are
# compared under one hash seed (resume is what is under test, not that).  Backward rationales
# and verdicts can depend on solver time limits (so on machine load): forward rows are compared
# byte for byte, backward ones by which (id, narrator, direction) landed.
ENV = {**os.environ, "PYTHONHASHSEED": "0"}
LIMIT, CHUNK = 24, 3
DIRECTION = "forward"  # backward template narration runs the solver: slower, load-dependent


def command(outdir: Path, limit: int, chunk: int) -> list[str]:
    return [sys.executable, "-m", "codecot.cli", "run", str(packaged_corpus("starter")), "-o",
            str(outdir), "--limit", str(limit), "--chunk-size", str(chunk), "--no-report",
            "--jobs", "2", "--direction", DIRECTION]


def run_to_end(outdir: Path, limit: int, chunk: int) -> None:
    res = subprocess.run(command(outdir, limit, chunk), env=ENV, capture_output=True, text=True,
                         timeout=240)
    assert res.returncode == 0, res.stderr[-2000:]


def records_done(outdir: Path) -> int:
    try:
        return int(json.loads((outdir / MANIFEST).read_text())["records_done"])
    except (OSError, ValueError, KeyError):
        return -1


def uncommitted(outdir: Path) -> bool:
    """Whether an output file holds bytes past its committed length."""
    try:
        offsets = json.loads((outdir / MANIFEST).read_text())["offsets"]
        return any((outdir / n).stat().st_size > offsets[n] for n in OUTPUTS)
    except (OSError, ValueError, KeyError):
        return False


def start_and_kill(outdir: Path, limit: int, chunk: int, *, after_records: int | None = None,
                   after_seconds: float | None = None, mid_commit: bool = False) -> bool:
    """Start a run and SIGKILL it at the given point; return whether it was still running.

    ``mid_commit``: kill once a chunk is appended but not yet committed (the run is told to
    pause there).
    """
    env = {**ENV, "CODECOT_TEST_COMMIT_PAUSE": "0.2"} if mid_commit else ENV
    proc = subprocess.Popen(command(outdir, limit, chunk), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if after_records is not None and records_done(outdir) >= after_records and (
                    not mid_commit or uncommitted(outdir)):
                break
            if after_seconds is not None and time.monotonic() > deadline - 120 + after_seconds:
                break
            time.sleep(0.005)
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signal.SIGKILL)
        return alive
    finally:
        proc.wait(timeout=30)


def outputs(outdir: Path) -> dict[str, bytes]:
    return {name: (outdir / name).read_bytes() for name in OUTPUTS}


def forward_lines(data: bytes) -> list[str]:
    return [line for line in data.decode().splitlines()
            if json.loads(line).get("direction") == "forward"]


def landed(outdir: Path) -> Counter[tuple[str, str, str]]:
    rows = [json.loads(line) for name in OUTPUTS[:3]
            for line in (outdir / name).read_text().splitlines()]
    return Counter((r["id"], r["narrator"], r["direction"]) for r in rows)


def assert_same_run(got: Path, want: Path) -> None:
    ours, theirs = outputs(got), outputs(want)
    for name in OUTPUTS:
        assert forward_lines(ours[name]) == forward_lines(theirs[name]), f"{name} differs"
    per = landed(got)
    assert set(per.values()) == {1}, "a record landed twice"
    assert per == landed(want), "a record is missing"
    assert len(per) == LIMIT
    summary = json.loads((got / "summary.json").read_text())
    assert summary["records"] == LIMIT


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ref = tmp_path_factory.mktemp("ref")
    run_to_end(ref, LIMIT, CHUNK)
    return ref


def test_sigkill_at_several_points_then_resume(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    killed = 0
    for n in (3, 10, 19):  # after committed chunks, then a restart resumes from there
        if start_and_kill(out, LIMIT, CHUNK, after_records=n):
            killed += 1
    run_to_end(out, LIMIT, CHUNK)
    assert killed >= 2, "the runs finished before they could be killed"
    assert_same_run(out, reference)


def test_sigkill_between_append_and_commit_then_resume(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    for n in (6, 15):
        assert start_and_kill(out, LIMIT, CHUNK, after_records=n, mid_commit=True)
        assert uncommitted(out)  # the killed run left lines that were never committed
    run_to_end(out, LIMIT, CHUNK)
    assert_same_run(out, reference)


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    rng = random.Random(7)
    for _ in range(3):
        start_and_kill(out, LIMIT, CHUNK, after_seconds=rng.uniform(0.3, 2.0))
    run_to_end(out, LIMIT, CHUNK)
    assert_same_run(out, reference)


def test_uncommitted_and_torn_tails_are_cut(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    start_and_kill(out, LIMIT, CHUNK, after_records=6)
    if records_done(out) >= LIMIT:
        pytest.skip("the run finished before it could be killed")
    with open(out / "accepted.jsonl", "a") as fh:  # what a kill mid-chunk leaves behind
        fh.write('{"id": "starter_999", "direction": "forward", "accepted": true}\n{"id": "sta')
    with open(out / "errors.jsonl", "a") as fh:
        fh.write('{"id": "torn')
    run_to_end(out, LIMIT, CHUNK)
    assert_same_run(out, reference)


def test_finished_run_started_again_changes_nothing(reference: Path, tmp_path: Path) -> None:
    before = outputs(reference)
    run_to_end(reference, LIMIT, CHUNK)
    assert outputs(reference) == before


def test_checkpoint_commit_and_reopen(tmp_path: Path) -> None:
    cfg = {"corpus": "c", "limit": None}
    with Checkpoint.open(tmp_path, ("a.jsonl", "b.jsonl"), cfg) as ck:
        ck.commit({"a.jsonl": [{"id": 1}], "b.jsonl": []}, records=1, stage_seconds={"trace": 0.5})
    (tmp_path / "a.jsonl").open("a").write('{"id": 2}\n{"id": 3')  # uncommitted + torn
    with Checkpoint.open(tmp_path, ("a.jsonl", "b.jsonl"), cfg) as ck:
        assert ck.resumed and ck.progress.records_done == 1
        assert (tmp_path / "a.jsonl").read_text() == '{"id": 1}\n'
        ck.commit({"a.jsonl": [{"id": 2}]}, records=1, stage_seconds={"trace": 0.25})
        assert ck.progress.stage_seconds == {"trace": 0.75}
    assert (tmp_path / "a.jsonl").read_text() == '{"id": 1}\n{"id": 2}\n'


def test_checkpoint_refuses_other_settings_and_lost_output(tmp_path: Path) -> None:
    with Checkpoint.open(tmp_path, ("a.jsonl",), {"limit": 1}) as ck:
        ck.commit({"a.jsonl": [{"id": 1}, {"id": 2}]}, records=2, stage_seconds={})
    with pytest.raises(InvalidArgument, match="limit"):
        Checkpoint.open(tmp_path, ("a.jsonl",), {"limit": 2})
    (tmp_path / "a.jsonl").write_text("")
    with pytest.raises(InvalidArgument, match="shorter"):
        Checkpoint.open(tmp_path, ("a.jsonl",), {"limit": 1})
    with Checkpoint.open(tmp_path, ("a.jsonl",), {"limit": 1}, fresh=True) as ck:
        assert not ck.resumed and ck.progress.records_done == 0
