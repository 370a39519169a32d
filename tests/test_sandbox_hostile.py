"""Hostile programs: each runs between two normal records in one `map` call.

Every test checks that (a) the hostile record gets the right error kind, (b) the normal
records around it come out exactly as when run alone, (c) the pool still works afterwards,
and (d) where relevant, that nothing escaped. The suite runs once per task in `TASKS`: the
sandbox's own `exec_call`, and the tracer's `trace_job` when it imports.
"""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codecot.sandbox import Limits, SandboxPool

LIMITS = Limits(cpu_seconds=1, wall_seconds=2, memory_mb=512, output_chars=1000)


def _importable(spec: str) -> bool:
    try:
        importlib.import_module(spec.partition(":")[0])
    except ImportError:
        return False
    return True


TASKS = [
    spec
    for spec in ("codecot.sandbox.tasks:exec_call", "codecot.trace.tracer:trace_job")
    if _importable(spec)
]

NORMAL_A = {"id": "before", "code": "def f(xs):\n    return sorted(xs)[::-1]", "input": "[3, 1, 2]"}
NORMAL_B = {
    "id": "after",
    "code": "def f(s):\n    print('counting', len(s))\n    return {c: s.count(c) for c in set(s)}",
    "input": "'abracadabra'",
}
VOLATILE = {"seconds"}


@pytest.fixture(scope="module", params=TASKS)
def pool(request: pytest.FixtureRequest) -> Iterator[SandboxPool]:
    with SandboxPool(jobs=2, limits=LIMITS, task=request.param) as p:
        yield p


@pytest.fixture(scope="module")
def alone(pool: SandboxPool) -> dict[str, dict[str, Any]]:
    """The normal records' results when run on their own."""
    return {r["id"]: stable(r) for r in (pool.run(NORMAL_A), pool.run(NORMAL_B))}


def stable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in VOLATILE}


def hostile(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], code: str, input_text: str = ""
) -> dict[str, Any]:
    """Run `code` between the normal records; check (b) and (c); return its result."""
    before, bad, after = pool.map(
        [NORMAL_A, {"id": "hostile", "code": code, "input": input_text}, NORMAL_B]
    )
    assert stable(before) == alone["before"]
    assert stable(after) == alone["after"]
    assert after["ok"] is True and after["stdout"].startswith("counting 11")
    assert bad["id"] == "hostile" and bad["ok"] is False
    again = pool.run({"id": "again", "code": "def f(x):\n    return x + 1", "input": "41"})
    assert again["ok"] is True and again["output"] == "42"
    return bad


def assert_kind(result: dict[str, Any], kind: str, *words: str) -> None:
    assert result["error_kind"] == kind, result
    for word in words:
        assert word in str(result["error"]), result


# -- time -------------------------------------------------------------------------------


def test_infinite_loop(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    bad = hostile(pool, alone, "def f():\n    while True:\n        pass")
    assert bad["error_kind"] == "timeout", bad
    # On a busy machine the 2 s wall clock may run out before 1 s of CPU is spent; with room
    # on the wall clock, the CPU limit is what stops the loop.
    roomy = Limits(cpu_seconds=1, wall_seconds=15, memory_mb=512, output_chars=1000)
    with SandboxPool(jobs=1, limits=roomy, task=pool.task) as spacious:
        looped = spacious.run({"id": "loop", "code": "def f():\n    while True:\n        pass", "input": ""})
    assert_kind(looped, "timeout", "CPU")


def test_sleep(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    bad = hostile(pool, alone, "import time\ndef f():\n    time.sleep(1000)")
    assert_kind(bad, "timeout", "wall-clock")


def test_disabling_alarms_does_not_disable_the_timeout(
    pool: SandboxPool, alone: dict[str, dict[str, Any]]
) -> None:
    code = (
        "import signal, time\n"
        "def f():\n"
        "    signal.alarm(0)\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "    while True:\n"
        "        time.sleep(0.01)"
    )
    assert_kind(hostile(pool, alone, code), "timeout", "wall-clock")


def test_ignoring_sigxcpu_still_hits_the_hard_cpu_limit(
    pool: SandboxPool, alone: dict[str, dict[str, Any]]
) -> None:
    code = "import signal\ndef f():\n    signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n    while True:\n        pass"
    assert_kind(hostile(pool, alone, code), "timeout")


def test_repr_that_hangs(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    code = "class A:\n    def __repr__(self):\n        while True:\n            pass\ndef f():\n    return A()"
    bad = hostile(pool, alone, code)
    if pool.task.endswith("exec_call"):
        # CPU-bound: the CPU limit, or on a busy machine the wall clock (test_infinite_loop
        # checks the CPU limit itself with room on the wall clock)
        assert bad["error_kind"] == "timeout", bad
    else:  # the tracer never calls a user-defined __repr__
        assert bad["error_kind"] in {"timeout", "unrepresentable_output"}


# -- memory -----------------------------------------------------------------------------


def test_huge_allocation(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    assert_kind(hostile(pool, alone, "def f():\n    return len(b'x' * 10**11)"), "memory")


def test_growing_list(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    code = "def f():\n    xs = []\n    while True:\n        xs.append('x' * 10**6 + str(len(xs)))"
    bad = hostile(pool, alone, code)
    if pool.task.endswith("exec_call"):
        assert_kind(bad, "memory")
    else:  # the tracer's two runs may run out of memory at different points
        assert bad["error_kind"] in {"memory", "nondeterministic"}


def test_huge_result(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    bad = hostile(pool, alone, "def f():\n    return list(range(3 * 10**6))")
    if pool.task.endswith("exec_call"):
        assert_kind(bad, "crash", "result too large")
    else:  # the tracer omits values too large to keep, so it may fail on its own terms
        assert bad["error_kind"] in {"crash", "unrepresentable_output", "memory", "timeout"}


def test_c_stack_overflow(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    code = (
        "import sys\n"
        "sys.setrecursionlimit(10**6)\n"
        "class Deep:\n"
        "    def __repr__(self):\n"
        "        return repr(Deep())\n"
        "def f():\n"
        "    return repr(Deep())"
    )
    assert_kind(hostile(pool, alone, code), "crash", "SIGSEGV")


# -- output -----------------------------------------------------------------------------


def test_stdout_flood(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    code = "def f():\n    for _ in range(100):\n        print('x' * 10**6)\n    return 'done'"
    before, flood, after = pool.map(
        [NORMAL_A, {"id": "flood", "code": code, "input": ""}, NORMAL_B]
    )
    assert stable(before) == alone["before"] and stable(after) == alone["after"]
    assert flood["ok"] is True
    cut = 100 * (10**6 + 1) - 1000
    if pool.task.endswith("exec_call"):
        assert flood["stdout"] == "x" * 1000 + f"[... {cut} chars cut]"
    else:  # the tracer runs the code twice but reports the first run's output only
        assert flood["stdout"] == "x" * 1000 + f"[... {cut} chars cut]"


def test_repr_that_raises(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    code = "class A:\n    def __repr__(self):\n        raise ValueError('no repr')\ndef f():\n    return A()"
    bad = hostile(pool, alone, code)
    if pool.task.endswith("exec_call"):
        assert_kind(bad, "exception", "ValueError: no repr")
    else:
        assert bad["error_kind"] in {"exception", "unrepresentable_output"}


# -- exits and signals ------------------------------------------------------------------


def test_sys_exit(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    bad = hostile(pool, alone, "import sys\ndef f():\n    sys.exit(3)")
    assert bad["error_kind"] in {"exception", "crash"}
    assert "SystemExit" in bad["error"]


def test_os_exit(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    bad = hostile(pool, alone, "import os\ndef f():\n    os._exit(7)")
    assert_kind(bad, "crash", "exited with status 7 without a result")


def test_keyboard_interrupt(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    bad = hostile(pool, alone, "def f():\n    raise KeyboardInterrupt")
    assert bad["error_kind"] in {"exception", "crash"}
    assert "KeyboardInterrupt" in bad["error"]


def test_kill_parent(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    workers = pool.worker_pids()
    bad = hostile(
        pool, alone, "import os, signal\ndef f():\n    os.kill(os.getppid(), signal.SIGKILL)"
    )
    assert_kind(bad, "exception", "PermissionError")
    assert pool.worker_pids() == workers and pool.restarts == 0


def test_kill_worker_by_pid(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    workers = pool.worker_pids()
    code = f"import os, signal\ndef f():\n    for pid in {workers!r}:\n        os.kill(pid, signal.SIGKILL)"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert pool.worker_pids() == workers and pool.restarts == 0


def test_kill_own_process_group_only_hurts_itself(
    pool: SandboxPool, alone: dict[str, dict[str, Any]]
) -> None:
    code = "import os, signal\ndef f():\n    os.killpg(0, signal.SIGKILL)"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")


def test_fork(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    assert_kind(
        hostile(pool, alone, "import os\ndef f():\n    return os.fork()"),
        "exception",
        "PermissionError",
    )


def test_ctypes(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    workers = pool.worker_pids()
    code = "import ctypes, os\ndef f():\n    return ctypes.CDLL(None).kill(os.getppid(), 9)"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert pool.worker_pids() == workers


def test_libc_write_through_ctypes_changes_nothing_outside(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Writing, truncating and deleting through libc: the audit hook refuses ctypes, and where
    a program got past it (e.g. by patching memory), Landlock refuses the calls themselves."""
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    path = str(sentinel).encode()
    code = (
        "import ctypes, os\n"
        "def f():\n"
        "    libc = ctypes.CDLL(None)\n"
        f"    fd = libc.open({path!r}, os.O_WRONLY | os.O_TRUNC)\n"
        "    libc.write(fd, b'pwned', 5)\n"
        f"    libc.unlink({path!r})\n"
        f"    libc.creat({str(tmp_path / 'new.txt').encode()!r}, 0o644)"
    )
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert sentinel.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentinel.txt"]


# -- files and processes ----------------------------------------------------------------


def test_write_outside(pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    code = f"def f():\n    with open({str(target)!r}, 'w') as h:\n        h.write('pwned')"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert not target.exists()


def test_write_outside_via_os_open_and_symlink(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "escaped.txt"
    code = (
        "import os\n"
        "def f():\n"
        f"    os.symlink({str(target)!r}, 'link')\n"
        "    try:\n"
        "        os.open('link', os.O_WRONLY | os.O_CREAT)\n"
        "    finally:\n"
        "        os.remove('link')"
    )
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert not target.exists()


def test_delete_outside(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    code = f"import os, shutil\ndef f():\n    os.remove({str(sentinel)!r})"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    code = f"import shutil\ndef f():\n    shutil.rmtree({str(tmp_path)!r})"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert sentinel.read_text() == "keep me"


def test_shell_commands(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    marker = tmp_path / "shell-ran"
    for code in (
        f"import os\ndef f():\n    return os.system('touch {marker}')",
        f"import subprocess\ndef f():\n    subprocess.run(['touch', {str(marker)!r}])",
        f"import os\ndef f():\n    os.execv('/usr/bin/touch', ['touch', {str(marker)!r}])",
    ):
        assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert not marker.exists()


def test_network(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    try:
        code = f"import socket\ndef f():\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)"
        assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()


# -- tampering --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patch",
    [
        "import builtins\n    builtins.len = lambda x: 42\n    builtins.repr = lambda x: 'hacked'",
        "import json\n    json.dumps = lambda *a, **k: 'hacked'\n    json.loads = None",
        "import sys\n    sys.settrace = lambda *a: None\n    sys.stdout = None",
        "import os\n    os.kill = lambda *a: None\n    os._exit = lambda *a: None",
    ],
    ids=["builtins", "json", "sys", "os"],
)
def test_monkey_patching_does_not_leak(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], patch: str
) -> None:
    code = f"def f():\n    {patch}\n    raise RuntimeError('patched')"
    bad = hostile(pool, alone, code)
    assert bad["error_kind"] in {"exception", "crash"}


def test_settrace_from_user_code_is_refused(
    pool: SandboxPool, alone: dict[str, dict[str, Any]]
) -> None:
    code = "import sys\ndef f():\n    sys.settrace(None)\n    return 'untraced'"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")


def test_posing_as_the_tracer_is_refused(
    pool: SandboxPool, alone: dict[str, dict[str, Any]]
) -> None:
    import codecot.sandbox.tasks as tasks

    fake = os.path.join(os.path.dirname(os.path.abspath(tasks.__file__)), "fake.py")
    code = f"import sys\ndef f():\n    exec(compile('import sys; sys.settrace(None)', {fake!r}, 'exec'))"
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")


def test_filling_the_scratch_space(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    if not all(info.get("tmpfs") for info in pool.worker_info()):
        pytest.skip("no private tmpfs here (not root?)")
    code = (
        "def f():\n"
        "    for i in range(100):\n"
        "        with open(f'blob{i}', 'wb') as h:\n"
        "            h.write(b'x' * (4 * 2**20))"
    )
    bad = hostile(pool, alone, code)
    if pool.task.endswith("exec_call"):
        assert_kind(bad, "exception", "No space left on device")
    else:
        assert bad["error_kind"] in {"exception", "nondeterministic"}


def test_other_processes_are_private(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    for code in (
        "import os\ndef f():\n    return open(f'/proc/{os.getppid()}/environ').read()",
        "import os\ndef f():\n    os.symlink('/proc/1', 'p')\n    try:\n        return os.listdir('p/fd')\n    finally:\n        os.remove('p')",
    ):
        assert_kind(hostile(pool, alone, code), "exception", "PermissionError")


def test_environment_is_minimal(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    os.environ["CODECOT_TEST_SECRET"] = "hunter2"
    try:
        with SandboxPool(jobs=1, limits=LIMITS, task=pool.task) as fresh:
            code = "import os\ndef f():\n    return sorted(os.environ)"
            result = fresh.run({"id": "env", "code": code, "input": ""})
    finally:
        del os.environ["CODECOT_TEST_SECRET"]
    if pool.task.endswith("exec_call"):
        names = eval(result["output"])  # a list of str, our own test's output
        assert "CODECOT_TEST_SECRET" not in names and "HOME" in names
    assert "hunter2" not in str(result)


# -- the audit hook cannot be talked round ----------------------------------------------------


def _outside_target(tmp_path: Path) -> Path:
    target = tmp_path / "escaped.txt"
    assert not target.exists()
    return target


def test_patching_posixpath_does_not_fool_the_hook(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    target = _outside_target(tmp_path)
    code = (
        "import posixpath, os\n"
        "def f():\n"
        "    here = os.getcwd()\n"
        "    posixpath._joinrealpath = lambda *a, **k: (here + '/x', True)\n"
        "    posixpath.realpath = lambda *a, **k: here + '/x'\n"
        f"    with open({str(target)!r}, 'w') as fh:\n"
        "        fh.write('escaped')"
    )
    assert_kind(hostile(pool, alone, code), "exception", "PermissionError")
    assert not target.exists()


def test_patching_builtins_does_not_fool_the_hook(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    target = _outside_target(tmp_path)
    code = (
        "import builtins\n"
        "def f():\n"
        "    builtins.isinstance = lambda *a: True\n"
        "    builtins.any = lambda *a: False\n"
        "    builtins.bool = lambda *a: True\n"
        f"    open({str(target)!r}, 'w').write('escaped')"
    )
    bad = hostile(pool, alone, code)
    assert not target.exists()
    # patched builtins may also break the task's own bookkeeping; never the hook
    assert bad["error_kind"] in {"exception", "crash"}, bad


def test_path_objects_cannot_run_code_inside_the_hook(
    pool: SandboxPool, alone: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    target = _outside_target(tmp_path)
    code = (
        "import os\n"
        "class P:\n"
        "    def __fspath__(self):\n"
        f"        return {str(target)!r}\n"
        "class S(str):\n"
        "    def startswith(self, *a):\n"
        "        return True\n"
        "def f():\n"
        "    for p in (P(), S(" + repr(str(target)) + ")):\n"
        "        try:\n"
        "            open(p, 'w').write('escaped')\n"
        "        except PermissionError:\n"
        "            pass\n"
        "    return 'refused'"
    )
    bad = pool.run({"id": "pathlike", "code": code, "input": ""})
    assert bad["ok"] is True and bad["output"] == "'refused'", bad
    assert not target.exists()
    inside = "def f():\n    import pathlib\n    pathlib.Path('ok.txt').write_text('x')\n    return 1"
    allowed = pool.run({"id": "pathlib", "code": inside, "input": ""})
    assert allowed["ok"] is True, allowed  # open() itself converts a pathlib path first


def test_trusted_functions_cannot_install_a_trace_function(
    pool: SandboxPool, alone: dict[str, dict[str, Any]]
) -> None:
    # run_child is sandbox code that calls whatever task its spec names: calling it with
    # sys.settrace as the task must not count as the tracer calling sys.settrace.
    code = (
        "import sys\n"
        "from codecot.sandbox import worker\n"
        "def spy(frame, event, arg):\n"
        "    return spy\n"
        "def f():\n"
        "    spec = worker.ChildSpec(sys.settrace, None, 1, str, 10)\n"
        "    try:\n"
        "        spec.task(spy)\n"
        "    except PermissionError:\n"
        "        pass\n"
        "    from codecot.trace import frames\n"
        "    try:\n"
        "        frames.trace_on(type('R', (), {'global_trace': spy})())\n"
        "    except PermissionError:\n"
        "        return 'refused'\n"
        "    return 'installed'"
    )
    bad = pool.run({"id": "settrace", "code": code, "input": ""})
    if pool.task.endswith("exec_call"):
        assert bad["ok"] is True and bad["output"] == "'refused'", bad
    else:  # the tracer records the PermissionError and the final result
        assert bad["ok"] is True and bad["output"] == "'refused'", bad


def test_stdout_is_one_runs_output(pool: SandboxPool, alone: dict[str, dict[str, Any]]) -> None:
    # the tracer runs the code twice; the record shows what one run printed
    assert alone["after"]["stdout"] == "counting 11\n"
