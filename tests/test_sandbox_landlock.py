"""The Landlock layer on its own: children run WITHOUT the audit hook (a test-only switch), so
only the kernel stands between a program and the file system outside its directory."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from codecot.sandbox import Limits, SandboxPool
from codecot.sandbox import landlock as ll
from codecot.sandbox import worker as worker_module

ABI, WHY_NOT = ll.abi_version()
needs_landlock = pytest.mark.skipif(ABI < 1, reason=f"Landlock unavailable: {WHY_NOT}")

LIMITS = Limits(cpu_seconds=2, wall_seconds=5, memory_mb=512)
TASK = "codecot.sandbox.tasks:exec_call"


@pytest.fixture(scope="module", params=["once", "per-child"])
def pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    if ABI < 1:
        pytest.skip(f"Landlock unavailable: {WHY_NOT}")
    with SandboxPool(jobs=1, limits=LIMITS, task=TASK, landlock=request.param, _audit_hook=False) as p:
        yield p


def run(pool: SandboxPool, body: str) -> dict[str, Any]:
    """Run `def f():` with `body` (indented by the caller) and no input."""
    return pool.run({"id": "t", "code": "import os, errno\ndef f():\n" + body, "input": ""})


def refused(result: dict[str, Any], *also: str) -> None:
    """The program raised EACCES (or, for a move across the boundary, one of `also`)."""
    assert result["ok"] is False, result
    assert result["error_kind"] == "exception", result
    marks = ("PermissionError", "Errno 13", *also)
    assert any(mark in result["error"] for mark in marks), result


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "keep.txt"
    target.write_text("original")
    return target


@needs_landlock
def test_layers_reported(pool: SandboxPool) -> None:
    layers = pool.confinement()
    assert layers["landlock"] is True and layers["audit_hook"] is False
    assert layers["landlock_abi"] == ABI
    assert {"write_file", "remove_file", "remove_dir", "make_reg", "make_dir", "make_sym"} <= set(
        layers["landlock_fs_rights"]
    )
    if ABI >= 3:
        assert "truncate" in layers["landlock_fs_rights"]
    if ABI >= 6:
        assert set(layers["landlock_scopes"]) == {"signal", "abstract_unix"}
    assert "landlock ABI" in pool.confinement_line()


@needs_landlock
def test_writing_inside_works(pool: SandboxPool) -> None:
    body = (
        "    with open('a.txt', 'w') as h:\n"
        "        h.write('hello')\n"
        "    os.mkdir('d')\n"
        "    os.rename('a.txt', 'd/b.txt')\n"
        "    os.truncate('d/b.txt', 2)\n"
        "    os.symlink('d/b.txt', 'link')\n"
        "    text = open('link').read()\n"
        "    os.remove('link')\n"
        "    with open(os.devnull, 'w') as h:\n"
        "        h.write('gone')\n"
        "    return text, sorted(os.listdir('.')), sorted(os.listdir('d'))"
    )
    result = run(pool, body)
    assert result["ok"] is True, result
    assert result["output"] == "('he', ['d'], ['b.txt'])"
    # The next job starts in an empty directory.
    assert run(pool, "    return os.listdir('.')")["output"] == "[]"


@needs_landlock
def test_create_outside_fails(pool: SandboxPool, tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    refused(run(pool, f"    open({str(target)!r}, 'w').write('x')"))
    refused(run(pool, f"    os.mkdir({str(tmp_path / 'dir')!r})"))
    refused(run(pool, f"    os.symlink('/etc/passwd', {str(tmp_path / 'ln')!r})"))
    refused(run(pool, f"    os.mkfifo({str(tmp_path / 'fifo')!r})"))
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@needs_landlock
def test_write_outside_fails(pool: SandboxPool, outside: Path) -> None:
    refused(run(pool, f"    open({str(outside)!r}, 'w').write('x')"))
    refused(run(pool, f"    open({str(outside)!r}, 'a').write('x')"))
    refused(run(pool, f"    os.open({str(outside)!r}, os.O_WRONLY)"))
    assert outside.read_text() == "original"


@needs_landlock
def test_delete_outside_fails(pool: SandboxPool, outside: Path) -> None:
    refused(run(pool, f"    os.remove({str(outside)!r})"))
    refused(run(pool, f"    os.rmdir({str(outside.parent)!r})"))
    assert outside.read_text() == "original"


@needs_landlock
def test_rename_outside_fails(pool: SandboxPool, outside: Path) -> None:
    moved = outside.parent / "moved.txt"
    refused(run(pool, f"    os.rename({str(outside)!r}, {str(moved)!r})"))
    # Out of the job directory, and into it: both cross the boundary (and, where the job
    # directory is a tmpfs, a device boundary too: EXDEV).
    xdev = "Errno 18"
    refused(run(pool, f"    open('mine', 'w').write('x')\n    os.rename('mine', {str(moved)!r})"), xdev)
    refused(run(pool, f"    os.rename({str(outside)!r}, 'stolen')"), xdev)
    refused(run(pool, f"    os.link({str(outside)!r}, 'hard')"), xdev)
    assert outside.read_text() == "original" and not moved.exists()


@needs_landlock
def test_truncate_outside_fails(pool: SandboxPool, outside: Path) -> None:
    refused(run(pool, f"    os.truncate({str(outside)!r}, 0)"))
    assert outside.read_text() == "original"


@needs_landlock
def test_libc_through_ctypes_fails(pool: SandboxPool, outside: Path) -> None:
    """No audit hook here: ctypes works, and only the kernel refuses."""
    body = (
        "    import ctypes\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        f"    fd = libc.open({str(outside).encode()!r}, os.O_WRONLY | os.O_TRUNC)\n"
        "    err1 = ctypes.get_errno()\n"
        f"    gone = libc.unlink({str(outside).encode()!r})\n"
        "    err2 = ctypes.get_errno()\n"
        "    inside = libc.open(b'ok.txt', os.O_WRONLY | os.O_CREAT, 0o600)\n"
        "    return fd, err1, gone, err2, inside >= 0"
    )
    result = run(pool, body)
    assert result["ok"] is True, result
    assert result["output"] == f"(-1, {errno.EACCES}, -1, {errno.EACCES}, True)"
    assert outside.read_text() == "original"


@needs_landlock
def test_signals_to_the_pool_fail(pool: SandboxPool) -> None:
    if ABI < 6:
        pytest.skip(f"Landlock ABI {ABI} has no signal scope (needs 6)")
    got: list[int] = []

    def note(sig: int, frame: FrameType | None) -> None:
        got.append(sig)

    previous = signal.signal(signal.SIGUSR1, note)
    workers = pool.worker_pids()
    try:
        body = (
            f"    try:\n        os.kill({os.getpid()}, {int(signal.SIGUSR1)})\n"
            "    except PermissionError:\n        pool = 'refused'\n"
            "    else:\n        pool = 'sent'\n"
            f"    try:\n        os.kill({workers[0]}, {int(signal.SIGKILL)})\n"
            "    except PermissionError:\n        worker = 'refused'\n"
            "    else:\n        worker = 'sent'\n"
            "    os.kill(os.getpid(), 0)  # its own process stays reachable\n"
            "    return pool, worker"
        )
        result = run(pool, body)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert result["output"] == "('refused', 'refused')", result
    assert got == []
    assert pool.worker_pids() == workers and pool.restarts == 0


def test_without_either_layer_the_escape_succeeds(tmp_path: Path) -> None:
    """The other side: the same program, with Landlock off and no audit hook, does write
    outside (so the refusals above are the layer's doing)."""
    target = tmp_path / "escaped.txt"
    with SandboxPool(jobs=1, limits=LIMITS, task=TASK, landlock="off", _audit_hook=False) as p:
        layers = p.confinement()
        assert layers["landlock"] is False and layers["landlock_error"] == "turned off"
        assert "NO landlock (turned off)" in p.confinement_line()
        result = p.run({"id": 1, "code": f"def f():\n    open({str(target)!r}, 'w').write('x')",
                        "input": ""})
    assert result["ok"] is True, result
    assert target.read_text() == "x"


def test_unavailable_landlock_falls_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_landlock(*args: object) -> ll.Ruleset:
        raise OSError(errno.ENOSYS, "the kernel has no Landlock")

    monkeypatch.setattr(worker_module, "build_ruleset", no_landlock)
    step, info = worker_module.landlock_for("once", str(tmp_path))
    assert step is None
    assert info == {"landlock": False, "landlock_error": "the kernel has no Landlock"}
    monkeypatch.setattr(sys, "platform", "darwin")
    assert ll.abi_version() == (0, "not Linux (darwin)")


def test_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="landlock must be one of"):
        SandboxPool(jobs=1, task=TASK, landlock="sometimes")


def test_rights_by_abi() -> None:
    assert ll.handled_fs_rights(1) == 0x1FF2
    assert ll.handled_fs_rights(2) == 0x3FF2
    assert ll.handled_fs_rights(4) == 0x7FF2
    assert ll.handled_fs_rights(7) == 0xFFF2
    # Reads and execution are never handled: the interpreter must still import modules.
    assert ll.handled_fs_rights(7) & (ll.FS_READ_FILE | ll.FS_READ_DIR | ll.FS_EXECUTE) == 0
    assert ctypes.sizeof(ll._PathBeneathAttr) == 12
    assert ctypes.sizeof(ll._RulesetAttr) == 24


# ---- baseline subprocesses (codecot.sandbox.confine) ---------------------------------------

_PROBE = """
import os, socket, sys
inside, outside = sys.argv[1], sys.argv[2]
with open(os.path.join(inside, "ok.txt"), "w") as fh:
    fh.write("in")
try:
    open(os.path.join(outside, "escaped.txt"), "w").write("out")
    print("outside: written")
except OSError as exc:
    print("outside: denied", exc.errno)
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.1", 9))
    print("tcp: connected")
except OSError as exc:
    print("tcp: refused" if exc.errno == 111 else "tcp: denied", exc.errno)
"""


@needs_landlock
def test_confined_baseline_subprocess_writes_only_in_its_directory(tmp_path: Path) -> None:
    import subprocess

    from codecot.sandbox.confine import confine_subprocess

    inside, outside = tmp_path / "work", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    script = inside / "probe.py"
    script.write_text(_PROBE)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, str(script), str(inside), str(outside)]
    with confine_subprocess(str(inside), cpu_seconds=10) as confine:
        assert confine.layers["landlock"] is True
        confined = subprocess.run(command, capture_output=True, text=True, env=env,
                                  cwd=inside, preexec_fn=confine, timeout=60, check=False)
    assert confined.returncode == 0, confined.stderr
    assert (inside / "ok.txt").read_text() == "in"
    assert "outside: denied 13" in confined.stdout  # EACCES from Landlock
    assert not (outside / "escaped.txt").exists()
    if ABI >= 4:
        assert "tcp: denied" in confined.stdout
    # the same program unconfined does write outside: the probe can tell the difference
    free = subprocess.run(command, capture_output=True, text=True, env=env, cwd=inside,
                          timeout=60, check=False)
    assert "outside: written" in free.stdout and (outside / "escaped.txt").exists()


def test_confined_baseline_subprocess_has_a_cpu_limit(tmp_path: Path) -> None:
    import subprocess

    from codecot.sandbox.confine import confine_subprocess

    with confine_subprocess(str(tmp_path), cpu_seconds=1) as confine:
        spin = subprocess.run([sys.executable, "-c", "while True: pass"], cwd=tmp_path,
                              preexec_fn=confine, timeout=60, check=False)
    assert spin.returncode in (-signal.SIGXCPU, -signal.SIGKILL)


def test_bench_trace_runs_its_baseline_confined_and_counts_both_sides() -> None:
    pytest.importorskip("pysnooper")
    from codecot.bench.trace import bench_trace

    corpus = Path(__file__).resolve().parent.parent / "corpora" / "demo.jsonl"
    figures = bench_trace(corpus, jobs=1, min_records=8, baseline_records=2, rounds=1)
    assert figures["records"] == 8 and figures["records_ok"] == 8
    assert figures["baseline_records_ok"] == 2  # the confined baseline still traces
    assert figures["baseline_confinement"]["landlock"] is (ABI >= 1)
    assert figures["speedup_median"] > 0
    assert len(figures["speedup_rounds"]) == 1
    assert figures["speedup_paired_median"] == figures["speedup_rounds"][0]
    # every baseline record starts an interpreter; every codecot record forks a child, whose
    # first writes to each page it shares with its worker are faults
    assert figures["baseline_cpu_ms_per_record_median"] > 1
    assert figures["page_faults_per_record"]["children"] > 1
    assert figures["cpu_speedup_median"] > 0
