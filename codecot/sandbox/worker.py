"""A sandbox worker: a warm "zygote" that forks one guarded child per job.

Run as `python -m codecot.sandbox.worker` by `SandboxPool`, which talks to it over the
worker's stdin/stdout with length-prefixed frames (see `protocol`):

1. the pool sends a config frame `{"task", "preload", "limits", "base_dir"}`;
2. the worker imports the task and preload modules and answers `{"ready": true, ...}`
   (or `{"ready": false, "error": ...}` and exits);
3. then, for each payload frame it receives, it forks a child that applies the guards
   (`guard.enter_child`) and runs `task(payload)`, enforces the wall-clock limit, reaps the
   child and answers with a reply (meta frame + body frame).

The worker itself never runs user code.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codecot.sandbox.guard import (
    CappedWriter,
    enter_child,
    fork_function,
    make_audit_hook,
    prepare_worker,
    prepare_worker_guards,
)
from codecot.sandbox.limits import MB_BYTES, Limits
from codecot.sandbox.protocol import FrameReader, dumps, frame, write_all

Task = Callable[[dict[str, Any]], Any]

_SIGNAL_HINTS: dict[int, str] = {
    signal.SIGSEGV: " (C stack overflow?)",
    signal.SIGBUS: " (memory exhausted?)",
    signal.SIGABRT: " (aborted by the interpreter or a C library)",
}


def load_task(spec: str) -> Task:
    """Import `"module:function"` and return the function."""
    module_name, sep, func_name = spec.partition(":")
    if not sep or not module_name or not func_name:
        raise ValueError(f"task must be 'module:function', got {spec!r}")
    module = importlib.import_module(module_name)
    func = getattr(module, func_name)
    if not callable(func):
        raise TypeError(f"task {spec!r} is not callable")
    return func


def trusted_dirs_for(spec: str) -> tuple[str, ...]:
    """Directories whose code may call sys.settrace in the child: the task's package, ours."""
    module = sys.modules[spec.partition(":")[0]]
    dirs = {os.path.dirname(os.path.abspath(__file__))}
    if getattr(module, "__file__", None):
        dirs.add(os.path.dirname(os.path.abspath(module.__file__ or "")))
    return tuple(sorted(dirs))


def signal_name(sig: int) -> str:
    """`SIGSEGV` for 11, and so on."""
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _describe(exc: BaseException) -> str:
    """`TypeName: message`, robust against exceptions whose str() misbehaves."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except BaseException:  # a hostile __str__ must not break the report
        text = "<unprintable message>"
    return f"{name}: {text}" if text else name


@dataclass(frozen=True)
class ChildSpec:
    """Everything a forked child needs, fixed per worker."""

    task: Task
    limits: Limits
    private_dir: str
    capture_fd: int
    hook: Callable[[str, tuple[Any, ...]], None]
    encode: Callable[[Any], str]


def run_child(
    spec: ChildSpec, payload: dict[str, Any], result_fd: int, close_fds: tuple[int, ...]
) -> None:
    """Body of a forked child.

    Apply the guards, run the task on `payload`, send meta+body frames to `result_fd`.
    """
    write, encode, limits = os.write, spec.encode, spec.limits
    body = b""
    dropped = 0
    writer: CappedWriter | None = None
    try:
        writer = enter_child(limits, spec.private_dir, spec.capture_fd, close_fds, spec.hook)
    except BaseException as exc:  # reported as the job's result
        meta: dict[str, Any] = {"error_kind": "crash", "error": f"sandbox setup failed: {exc}"}
    else:
        meta = {}
        try:
            result = spec.task(payload)
            if not isinstance(result, dict):
                meta = {
                    "error_kind": "crash",
                    "error": f"task returned {type(result).__name__}, not a dict",
                }
            else:
                body = encode(result).encode("ascii")
                if len(body) > limits.result_mb * MB_BYTES:
                    meta = {
                        "error_kind": "crash",
                        "error": f"result too large ({len(body)} bytes; limit "
                        f"{limits.result_mb} MB)",
                    }
                    body = b""
        except MemoryError:
            body = b""
            meta = {"error_kind": "memory", "error": "MemoryError (memory limit reached)"}
        except BaseException as exc:  # every escape becomes a report
            body = b""
            meta = {"error_kind": "crash", "error": f"task raised {_describe(exc)}"}
        dropped = writer.dropped
    meta["dropped"] = dropped
    data = frame(encode(meta).encode("ascii")) + frame(body)
    view = memoryview(data)
    while view:
        view = view[write(result_fd, view) :]


@dataclass(frozen=True)
class _Child:
    pid: int
    result_fd: int
    private_dir: str


class Worker:
    """Runs jobs one at a time, each in a fresh guarded child.

    (Forking the next child ahead, while the current job runs, was measured: it costs more
    CPU than it saves, since every page the worker then touches is copied on write.)
    """

    def __init__(
        self,
        task: Task,
        limits: Limits,
        base_dir: str,
        trusted: tuple[str, ...],
        protocol_fds: tuple[int, ...] = (),
    ) -> None:
        self.limits = limits
        self.fork = fork_function()
        capture_fd = os.open(
            os.path.join(base_dir, "capture"),
            os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
            0o600,
        )
        self.capture_fd = capture_fd
        self.max_reply = limits.result_mb * MB_BYTES + (1 << 20)
        encode = json.JSONEncoder(separators=(",", ":")).encode
        encode({"warm": [1, 2.5, None, True, "x"]})
        private_dir = os.path.join(base_dir, "job")
        self.spec = ChildSpec(
            task, limits, private_dir, capture_fd, make_audit_hook(private_dir, trusted), encode
        )
        prepare_worker_guards()
        # Descriptors open in the worker now (the protocol pipes among them); children close them.
        self.inherited_fds = frozenset(
            {int(n) for n in os.listdir("/proc/self/fd") if int(n) > 2} | set(protocol_fds)
        )

    def run_job(self, raw_payload: bytes) -> bytes:
        """Run one job in a fresh child; returns the reply frames for the pool."""
        try:
            payload = json.loads(raw_payload)
        except ValueError as exc:
            return self._reply({"error_kind": "bad_record", "error": f"bad payload: {exc}"}, b"")
        deadline = time.monotonic() + self.limits.wall_seconds
        child = self._spawn(payload)
        if child is None:
            return self._reply({"error_kind": "crash", "error": "fork failed"}, b"")
        try:
            meta, body = self._collect(child.pid, child.result_fd, deadline)
        finally:
            os.close(child.result_fd)
        meta.update(self._take_output(int(meta.pop("dropped", 0) or 0)))
        _remove_dir(child.private_dir)
        return self._reply(meta, body)

    def stop(self) -> None:
        """Release the worker's capture file."""
        os.close(self.capture_fd)

    def _spawn(self, payload: dict[str, Any]) -> _Child | None:
        """Fork a child that guards itself and runs `payload`; None if fork fails."""
        spec = self.spec
        os.mkdir(spec.private_dir, 0o700)
        result_r, result_w = os.pipe()
        held = (set(self.inherited_fds) | {result_r, self.capture_fd}) - {result_w}
        try:
            pid = self.fork()
        except OSError:
            for fd in (result_r, result_w):
                os.close(fd)
            _remove_dir(spec.private_dir)
            return None
        if pid == 0:  # the child
            try:
                run_child(spec, payload, result_w, tuple(held))
            finally:
                os._exit(0)
        os.close(result_w)
        return _Child(pid, result_r, spec.private_dir)

    def _collect(self, pid: int, read_fd: int, deadline: float) -> tuple[dict[str, Any], bytes]:
        """Wait for the child's reply until `deadline`, reap it, classify how it ended."""
        reader = FrameReader(read_fd)
        frames: list[bytes] = []
        poller = select.poll()
        poller.register(read_fd, select.POLLIN)
        timed_out = too_large = False
        while len(frames) < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if not poller.poll(remaining * 1000):
                continue
            if not reader.read_some():
                break
            while len(frames) < 2:
                data = reader.next_frame()
                if data is None:
                    break
                frames.append(data)
            pending = reader.pending_size()
            if pending is not None and pending > self.max_reply:
                too_large = True
                break
        if len(frames) < 2 and not timed_out and not too_large:
            timed_out = not self._wait_exit(pid, deadline)
        _kill_group(pid)
        _, status, usage = os.wait4(pid, 0)
        if len(frames) == 2:
            try:
                meta = json.loads(frames[0])
            except ValueError:
                meta = None
            if isinstance(meta, dict):
                return meta, frames[1]
            return {"error_kind": "crash", "error": "child sent a malformed reply"}, b""
        if too_large:
            return {"error_kind": "crash", "error": "result too large"}, b""
        return self._failure(status, usage, timed_out), b""

    def _wait_exit(self, pid: int, deadline: float) -> bool:
        """Wait for `pid` to exit until `deadline`; False if it is still running."""
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = -1
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                if pidfd >= 0:
                    ready, _, _ = select.select([pidfd], [], [], remaining)
                    if ready:
                        return True
                else:  # no pidfd_open: poll without reaping (the caller reaps)
                    if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                        return True
                    time.sleep(min(remaining, 0.005))
        finally:
            if pidfd >= 0:
                os.close(pidfd)

    def _failure(self, status: int, usage: Any, timed_out: bool) -> dict[str, Any]:
        """Classify a child that sent no reply."""
        limits = self.limits
        cpu = usage.ru_utime + usage.ru_stime
        cpu_limit = f"CPU time limit of {limits.cpu_seconds:g} s exceeded"
        if timed_out:
            if cpu >= limits.cpu_seconds:
                return {"error_kind": "timeout", "error": cpu_limit}
            return {
                "error_kind": "timeout",
                "error": f"wall-clock limit of {limits.wall_seconds:g} s exceeded",
            }
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_seconds):
                return {"error_kind": "timeout", "error": cpu_limit}
            name = signal_name(sig)
            if usage.ru_maxrss * 1024 >= 0.9 * limits.memory_mb * MB_BYTES:
                return {
                    "error_kind": "memory",
                    "error": f"killed by {name} at the memory limit of {limits.memory_mb} MB",
                }
            return {"error_kind": "crash", "error": f"killed by {name}{_SIGNAL_HINTS.get(sig, '')}"}
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return {"error_kind": "crash", "error": f"exited with status {code} without a result"}

    def _take_output(self, dropped: int) -> dict[str, Any]:
        """The captured stdout+stderr of the finished child (capped), then reset the file."""
        cap = self.limits.output_chars
        size = os.fstat(self.capture_fd).st_size
        if not size:
            return {"stdout": "", "cut": dropped}
        data = os.pread(self.capture_fd, min(size, cap * 4 + 4), 0)
        os.ftruncate(self.capture_fd, 0)
        text = data.decode("utf-8", "replace")
        cut = max(0, len(text) - cap) + (size - len(data)) + dropped
        return {"stdout": text[:cap], "cut": cut}

    @staticmethod
    def _reply(meta: dict[str, Any], body: bytes) -> bytes:
        return frame(dumps(meta)) + frame(body)


def _remove_dir(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _kill_group(pid: int) -> None:
    """SIGKILL the child's process group (it is its own session leader) and the child."""
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(target, signal.SIGKILL)


def main() -> int:
    """Worker entry point: handshake, then serve jobs until stdin closes."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints from imported modules must not corrupt the protocol
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reader = FrameReader(proto_in)
    raw = reader.read_frame()
    if raw is None:
        return 0
    config = json.loads(raw)
    try:
        limits = Limits.from_dict(config.get("limits", {}))
        base_dir = config["base_dir"]
        os.makedirs(base_dir, mode=0o700, exist_ok=True)
        status = prepare_worker(base_dir, limits)
        task = load_task(config["task"])
        for name in config.get("preload", ()):
            importlib.import_module(name)
        worker = Worker(
            task, limits, base_dir, trusted_dirs_for(config["task"]), (proto_in, proto_out)
        )
    except BaseException as exc:  # reported to the pool, which raises
        write_all(proto_out, frame(dumps({"ready": False, "error": _describe(exc)})))
        return 1
    # Keep the warm heap out of the collector's way so children copy fewer pages.
    gc.collect()
    gc.freeze()
    write_all(proto_out, frame(dumps({"ready": True, "pid": os.getpid(), **status})))
    while True:
        payload = reader.read_frame()
        if payload is None:
            break
        write_all(proto_out, worker.run_job(payload))
    worker.stop()
    shutil.rmtree(base_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
