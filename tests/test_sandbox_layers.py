"""Which layer refuses: the audit hook alone (Landlock off), and the kernel alone for contrast.

Each hostile program runs in three pools: Landlock off with the audit hook (``CODECOT_LANDLOCK=
off``, the hook is all that stands between the program and the host), Landlock on WITHOUT the
audit hook (a test-only switch), and both layers (the default).  The audit hook's refusals are
``PermissionError: sandbox: <event> is not allowed``; the kernel's are the system call's own
errno (``[Errno 13] Permission denied``, ``[Errno 1] Operation not permitted``), and for what
Landlock does not cover (starting processes, ctypes, chmod) the kernel-only pool lets the
program through.  With both layers the hook, running first, is the one that refuses.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from codecot.sandbox import Limits, SandboxPool
from codecot.sandbox import landlock as ll
from codecot.sandbox.pool import LANDLOCK_ENV

ABI, WHY_NOT = ll.abi_version()
LIMITS = Limits(cpu_seconds=2, wall_seconds=5, memory_mb=512)
TASK = "codecot.sandbox.tasks:exec_call"


@dataclass(frozen=True)
class Hostile:
    """A program body (``{outside}``, ``{port}``, ``{pool_pid}`` filled in), the audit event
    the hook refuses it at, and what Landlock alone does: the errno text it refuses with, or
    None when it lets the program through."""

    name: str
    body: str
    event: str
    kernel: str | None
    min_abi: int = 1


HOSTILE = [
    Hostile("write_outside", "    open({outside!r}, 'w').write('x')", "open", "[Errno 13]"),
    Hostile("append_outside", "    os.open({outside!r}, os.O_WRONLY | os.O_APPEND)", "open",
            "[Errno 13]"),
    Hostile("delete_outside", "    os.remove({outside!r})", "os.remove", "[Errno 13]"),
    Hostile("rename_outside", "    os.rename({outside!r}, {outside!r} + '.moved')", "os.rename",
            "[Errno 13]"),
    Hostile("truncate_outside", "    os.truncate({outside!r}, 0)", "os.truncate", "[Errno 13]",
            min_abi=3),
    Hostile("chmod_outside", "    os.chmod({outside!r}, 0o600)", "os.chmod", None),
    Hostile("subprocess", "    import subprocess\n    return subprocess.run(['true']).returncode",
            "subprocess.Popen", None),
    Hostile("os_system", "    return os.system('true')", "os.system", None),
    Hostile("fork", "    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
            "    return os.waitpid(pid, 0)[1]", "os.fork", None),
    Hostile("socket_connect",
            "    import socket\n    s = socket.socket()\n    s.settimeout(1)\n"
            "    s.connect(('127.0.0.1', {port}))", "socket.__new__", "[Errno 13]", min_abi=4),
    Hostile("ctypes", "    import ctypes\n    return ctypes.CDLL(None).getpid() > 0",
            "ctypes.dlopen", None),
    Hostile("signal_pool", "    import signal\n    os.kill({pool_pid}, signal.SIGUSR1)", "os.kill",
            "[Errno 1]", min_abi=6),
]


@pytest.fixture(scope="module")
def hook_only() -> Iterator[SandboxPool]:
    """Landlock turned off through the environment; the audit hook on (the default)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(LANDLOCK_ENV, "off")
        pool = SandboxPool(jobs=1, limits=LIMITS, task=TASK)
    with pool:
        yield pool


@pytest.fixture(scope="module")
def kernel_only() -> Iterator[SandboxPool]:
    if ABI < 1:
        pytest.skip(f"Landlock unavailable: {WHY_NOT}")
    with SandboxPool(jobs=1, limits=LIMITS, task=TASK, landlock="once", _audit_hook=False) as p:
        yield p


@pytest.fixture(scope="module")
def both() -> Iterator[SandboxPool]:
    if ABI < 1:
        pytest.skip(f"Landlock unavailable: {WHY_NOT}")
    with SandboxPool(jobs=1, limits=LIMITS, task=TASK, landlock="once") as p:
        yield p


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "keep.txt"
    target.write_text("original")
    target.chmod(0o644)
    return target


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def signals_received() -> Iterator[list[int]]:
    got: list[int] = []

    def note(sig: int, frame: FrameType | None) -> None:
        got.append(sig)

    previous = signal.signal(signal.SIGUSR1, note)
    try:
        yield got
    finally:
        signal.signal(signal.SIGUSR1, previous)


def run(pool: SandboxPool, h: Hostile, outside: Path, port: int) -> dict[str, Any]:
    body = h.body.format(outside=str(outside), port=port, pool_pid=os.getpid())
    return pool.run({"id": h.name, "code": "import os\ndef f():\n" + body, "input": ""})


def assert_untouched(outside: Path, got: list[int], listener: socket.socket) -> None:
    assert outside.read_text() == "original"
    assert outside.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in outside.parent.iterdir()) == ["keep.txt"]
    assert got == []
    with pytest.raises(TimeoutError):
        listener.accept()


def test_hook_only_pool_runs_without_landlock(hook_only: SandboxPool) -> None:
    assert hook_only.landlock == "off"
    layers = hook_only.confinement()
    assert layers["audit_hook"] is True and layers["landlock"] is False
    assert layers["landlock_error"] == "turned off"
    assert "NO landlock (turned off)" in hook_only.confinement_line()
    with SandboxPool(jobs=1, limits=LIMITS, task=TASK, landlock="off") as explicit:
        assert explicit.confinement()["landlock"] is False
        assert explicit.confinement()["audit_hook"] is True


@pytest.mark.parametrize("h", HOSTILE, ids=[h.name for h in HOSTILE])
def test_audit_hook_refuses_with_landlock_off(
        hook_only: SandboxPool, h: Hostile, outside: Path, listener: socket.socket,
        signals_received: list[int]) -> None:
    workers = hook_only.worker_pids()
    result = run(hook_only, h, outside, listener.getsockname()[1])
    assert result["ok"] is False and result["error_kind"] == "exception", result
    assert result["error"].startswith(f"PermissionError: sandbox: {h.event} is not allowed"), result
    assert "[Errno" not in result["error"], result
    assert_untouched(outside, signals_received, listener)
    assert hook_only.worker_pids() == workers and hook_only.restarts == 0


@pytest.mark.parametrize("h", HOSTILE, ids=[h.name for h in HOSTILE])
def test_kernel_layer_alone_refuses_differently_or_not_at_all(
        kernel_only: SandboxPool, h: Hostile, outside: Path, listener: socket.socket,
        signals_received: list[int]) -> None:
    if h.min_abi > ABI:
        pytest.skip(f"Landlock ABI {ABI} does not cover {h.name} (needs {h.min_abi})")
    result = run(kernel_only, h, outside, listener.getsockname()[1])
    assert "sandbox:" not in str(result["error"]), result
    if h.kernel is None:
        # not a Landlock right: only the audit hook stands in the way
        assert result["ok"] is True, result
        return
    assert result["ok"] is False and result["error_kind"] == "exception", result
    assert result["error"].startswith("PermissionError: " + h.kernel), result
    assert_untouched(outside, signals_received, listener)


@pytest.mark.parametrize("h", HOSTILE, ids=[h.name for h in HOSTILE])
def test_with_both_layers_the_hook_refuses_first(
        both: SandboxPool, h: Hostile, outside: Path, listener: socket.socket,
        signals_received: list[int]) -> None:
    result = run(both, h, outside, listener.getsockname()[1])
    assert result["ok"] is False, result
    assert result["error"].startswith(f"PermissionError: sandbox: {h.event} is not allowed"), result
    assert_untouched(outside, signals_received, listener)
