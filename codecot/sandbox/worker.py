"""A sandbox worker: a warm "zygote" that forks one guarded child per job.

Run as `python -m codecot.sandbox.worker` by `SandboxPool`, which talks to it over the
worker's stdin/stdout with length-prefixed frames (see `protocol`):

1. the pool sends a config frame `{"task", "preload", "limits", "base_dir"}`;
2. the worker imports the task and preload modules, calls the task module's `warm_up()` if
   it has one (its own code on fixed inputs), reads its `SETTRACE_POLICY` if it has one (see
   `audit.make_audit_hook`), and answers `{"ready": true, ...}` (or `{"ready": false,
   "error": ...}` and exits);
3. then, for each payload frame it receives, it forks a child that applies the guards
   (`guard.enter_child`), runs `task(payload)` and leaves its reply (meta frame + body frame)
   in the worker's result file; the worker waits for the child to exit (enforcing the
   wall-clock limit), reaps it, and answers the pool with the reply: its own meta frame
   (the child's, plus the captured output, or the failure it classified) and the child's body
   frame, copied from the result file by `os.sendfile`.

The worker itself never runs user code.  After its warm-up it freezes its heap out of the
collector's reach, raises the collector's first threshold (`YOUNG_GC_THRESHOLD`) and parses
and writes protocol JSON with the C codec only: every page the worker or a child writes after
a fork costs a page fault, so both touch as little as they can.
"""

from __future__ import annotations

import errno
import gc
import importlib
import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codecot.sandbox.audit import SettracePolicy, make_audit_hook
from codecot.sandbox.guard import (
    ChildPlan,
    enter_child,
    fork_function,
    plan_child,
    prepare_worker,
    prepare_worker_guards,
)
from codecot.sandbox.landlock import build_ruleset, restrict_now, restrictor, set_no_new_privs
from codecot.sandbox.limits import MB_BYTES, Limits
from codecot.sandbox.protocol import (
    HEADER,
    FrameReader,
    compact_decoder,
    compact_encoder,
    dumps,
    frame,
    write_all,
)

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


def warm_up(spec: str) -> None:
    """Call the task module's `warm_up()`, if it has one, before the first fork.

    A task module may define `warm_up()` to run its own code on fixed, trusted inputs, so that
    CPython's adaptive interpreter has specialised that code and filled its caches in the
    worker once, instead of in every child (where each page written is a page copied).
    """
    hook = getattr(sys.modules[spec.partition(":")[0]], "warm_up", None)
    if callable(hook):
        hook()


YOUNG_GC_THRESHOLD = 10_000
"""The collector's first threshold in the worker and so in its children (CPython's default is
700): a child then runs few young collections, each of which touches pages it would not
otherwise write, while a program making cyclic garbage still has it collected."""

_POOL_SIZE = 16 * 1024  # CPython 3.10+ obmalloc pools (16 KiB, in 1 MiB arenas)
_POOL_HEADER = 48
_FILLERS: list[bytes] = []


def fill_pools(limit: int = 5_000) -> int:
    """Fill the free slots of the allocator's partly used pools with objects kept forever.

    A child's new objects then go to fresh pools, whose pages are new to the child (a zeroed
    page each), instead of to free slots scattered over pages it shares with the worker (a
    page copy each, for a few objects per page).  One size class (16 bytes each, 48..512) at a
    time, `bytes` objects are made until one lands at the start of a pool; at most `limit` per
    class.  Returns how many objects were kept.  Harmless where the allocator differs.
    """
    before = len(_FILLERS)
    for size in range(48, 513, 16):
        length = size - 33  # bytes objects take 33 bytes plus their length
        for _ in range(limit):
            blob = b"\0" * length
            _FILLERS.append(blob)
            if id(blob) % _POOL_SIZE == _POOL_HEADER:
                break
    return len(_FILLERS) - before


def settle_heap() -> None:
    """Once warm, before the first fork: keep the heap out of the collector's way (frozen,
    and a high first threshold) and fill the allocator's partly used pools, so that children
    copy fewer pages."""
    gc.collect()
    gc.freeze()
    fill_pools()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


def settrace_policy_for(spec: str) -> SettracePolicy | None:
    """The task module's `SETTRACE_POLICY` (see `audit.make_audit_hook`), if it has one."""
    policy = getattr(sys.modules[spec.partition(":")[0]], "SETTRACE_POLICY", None)
    if policy is None:
        return None
    off, on, function = policy
    return (off, on, function)


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
    plan: ChildPlan
    result_fd: int
    encode: Callable[[Any], str]
    max_result: int


def run_child(spec: ChildSpec, payload: dict[str, Any]) -> None:
    """Body of a forked child.

    Apply the guards, run the task on `payload`, append the reply (a meta frame and a body
    frame) to the worker's result file.
    """
    body = b""
    try:
        writer = enter_child(spec.plan)
    except BaseException as exc:  # reported as the job's result
        meta: dict[str, Any] = {"error_kind": "crash", "error": f"sandbox setup failed: {exc}"}
        dropped = 0
    else:
        meta = {}
        try:
            result = spec.task(payload)
            if type(result) is not dict:
                meta = {
                    "error_kind": "crash",
                    "error": f"task returned {type(result).__name__}, not a dict",
                }
            else:
                body = spec.encode(result).encode("ascii")
                if len(body) > spec.max_result:
                    meta = {
                        "error_kind": "crash",
                        "error": f"result too large ({len(body)} bytes; limit "
                        f"{spec.max_result} bytes)",
                    }
                    body = b""
        except MemoryError:
            body = b""
            meta = {"error_kind": "memory", "error": "MemoryError (memory limit reached)"}
        except BaseException as exc:  # every escape becomes a report
            body = b""
            meta = {"error_kind": "crash", "error": f"task raised {_describe(exc)}"}
        dropped = writer.dropped
    if meta or dropped:
        meta["dropped"] = dropped
        head = frame(spec.encode(meta).encode("ascii"))
    else:
        head = _CLEAN_HEAD
    parts = [head, len(body).to_bytes(4, "big"), body]
    written = os.writev(spec.result_fd, parts)
    if written < len(head) + 4 + len(body):  # a short write: finish it byte by byte
        view = memoryview(b"".join(parts))[written:]
        while view:
            view = view[os.write(spec.result_fd, view) :]


_CLEAN_HEAD = frame(b'{"dropped":0}')
_EMPTY_FRAME = frame(b"")
_HEAD_READ = 4096
"""Bytes of the result file read to find the reply's meta frame (larger metas are read whole)."""


def result_limit(limits: Limits) -> int:
    """The largest task result (JSON bytes) a child may send: it goes through a file, so the
    file-size limit caps it as well as `result_mb`."""
    return min(limits.result_mb, limits.file_size_mb) * MB_BYTES - 65_536


class Worker:
    """Runs jobs one at a time, each in a fresh guarded child.

    Every page of the worker's memory that the worker writes while a child is alive is copied
    (the child shares it); after the child has exited the page is only made writable again,
    which costs far less.  So while a child runs the worker only waits for it to exit
    (`_wait_exit`); the child leaves its reply in the worker's result file, of which the worker
    reads only the meta frame after reaping it: the body goes to the pool by `os.sendfile`.
    (Forking the next child ahead, while the current job runs, was measured: it costs more
    CPU than it saves, for the same reason.)
    """

    def __init__(
        self,
        task: Task,
        limits: Limits,
        base_dir: str,
        trusted: tuple[str, ...],
        protocol_fds: tuple[int, ...] = (),
        settrace: SettracePolicy | None = None,
        landlock_mode: str = "once",
        audit_hook: bool = True,
    ) -> None:
        self.limits = limits
        self.fork = fork_function()
        flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        self.capture_fd = os.open(os.path.join(base_dir, "capture"), flags, 0o600)
        self.result_fd = _result_file(base_dir)
        self.max_reply = limits.result_mb * MB_BYTES + (1 << 20)
        encode = compact_encoder()
        self.decode = compact_decoder()
        # One directory for the worker's life, emptied after each job: Landlock's rule names
        # its inode, so it must not be made afresh per job.
        self.private_dir = os.path.join(base_dir, "job")
        os.mkdir(self.private_dir, 0o700)
        prepare_worker_guards()
        # Descriptors open in the worker now (the protocol pipes among them); children close
        # them all but the result file.
        inherited = {int(n) for n in os.listdir("/proc/self/fd") if int(n) > 2}
        close_fds = tuple(
            fd for fd in sorted((inherited | set(protocol_fds)) - {self.result_fd}) if _is_open(fd)
        )
        hook = make_audit_hook(self.private_dir, trusted, settrace) if audit_hook else None
        confine, self.confinement = landlock_for(landlock_mode, self.private_dir)
        self.confinement["audit_hook"] = audit_hook
        plan = plan_child(
            limits, self.private_dir, self.capture_fd, close_fds, hook, landlock=confine
        )
        self.spec = ChildSpec(task, plan, self.result_fd, encode, result_limit(limits))
        self.pidfd_open: Callable[[int], int] | None = getattr(os, "pidfd_open", None)
        self.poller = select.poll()
        self.monotonic = time.monotonic

    def run_job(self, raw_payload: bytes, out_fd: int) -> None:
        """Run one job in a fresh child and write its reply frames for the pool to `out_fd`.

        The task's result goes from the result file to `out_fd` without passing through the
        worker's memory where the OS allows (`os.sendfile`)."""
        try:
            payload = self.decode(raw_payload)
        except ValueError as exc:
            self._refuse(out_fd, "bad_record", f"bad payload: {exc}")
            return
        deadline = self.monotonic() + self.limits.wall_seconds
        try:
            pid = self.fork()
        except OSError:
            self._refuse(out_fd, "crash", "fork failed")
            return
        if pid == 0:  # the child
            try:
                run_child(self.spec, payload)
            finally:
                os._exit(0)
        exited = self._wait_exit(pid, deadline)
        _kill_group(pid)
        _, status, usage = os.wait4(pid, 0)
        meta, body_at, body_size = self._result()
        if meta is None:
            meta = self._failure(status, usage, not exited)
        meta.update(self._take_output(int(meta.pop("dropped", 0) or 0)))
        _empty_dir(self.private_dir)
        if body_size:
            write_all(out_fd, self._meta_frame(meta))
            self._send_body(out_fd, body_at, body_size)
        else:
            write_all(out_fd, self._meta_frame(meta) + _EMPTY_FRAME)
        _rewind(self.result_fd)

    def stop(self) -> None:
        """Release the worker's capture and result files."""
        os.close(self.capture_fd)
        os.close(self.result_fd)

    def _wait_exit(self, pid: int, deadline: float) -> bool:
        """Wait for `pid` to exit until `deadline` without reaping it; False if it is still
        running.  Touches as little of the worker's memory as it can (see the class)."""
        pidfd = -1
        if self.pidfd_open is not None:
            try:
                pidfd = self.pidfd_open(pid)
            except OSError:
                pidfd = -1
        if pidfd < 0:
            return _poll_exit(pid, deadline)
        poller, monotonic = self.poller, self.monotonic
        poller.register(pidfd, select.POLLIN)
        try:
            while True:
                remaining = deadline - monotonic()
                if remaining <= 0:
                    return False
                if poller.poll(remaining * 1000 + 1):
                    return True
        finally:
            poller.unregister(pidfd)
            os.close(pidfd)

    def _result(self) -> tuple[dict[str, Any] | None, int, int]:
        """The reply the child left in the result file: its meta (None if there is no whole
        reply) and where its body frame (length prefix included) lies, as (offset, size); size
        0 when there is no body to send."""
        fd = self.result_fd
        size = os.lseek(fd, 0, os.SEEK_END)
        if size > self.max_reply:
            return {"error_kind": "crash", "error": "result too large"}, 0, 0
        head = os.pread(fd, min(size, _HEAD_READ), 0) if size >= 2 * HEADER.size else b""
        if not head:
            return None, 0, 0
        (meta_size,) = HEADER.unpack_from(head)
        body_at = HEADER.size + meta_size
        if body_at + HEADER.size > size:
            return None, 0, 0
        if body_at + HEADER.size > len(head):
            head = os.pread(fd, body_at + HEADER.size, 0)
        (body_size,) = HEADER.unpack_from(head, body_at)
        if body_at + HEADER.size + body_size > size:
            return None, 0, 0
        try:
            meta = self.decode(head[HEADER.size : body_at])
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            return {"error_kind": "crash", "error": "child sent a malformed reply"}, 0, 0
        if meta.get("error_kind"):
            return meta, 0, 0
        return meta, body_at, HEADER.size + body_size

    def _meta_frame(self, meta: dict[str, Any]) -> bytes:
        return frame(self.spec.encode(meta).encode("ascii"))

    def _refuse(self, out_fd: int, kind: str, error: str) -> None:
        """Reply that the job did not run."""
        write_all(out_fd, self._meta_frame({"error_kind": kind, "error": error}) + _EMPTY_FRAME)

    def _send_body(self, out_fd: int, offset: int, size: int) -> None:
        """Copy `size` bytes at `offset` of the result file to `out_fd`."""
        try:
            while size > 0:
                sent = os.sendfile(out_fd, self.result_fd, offset, size)
                if sent <= 0:
                    break
                offset += sent
                size -= sent
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
        if size > 0:  # sendfile is missing or stopped short: copy the rest by hand
            write_all(out_fd, os.pread(self.result_fd, size, offset))

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
        size = os.lseek(self.capture_fd, 0, os.SEEK_END)
        if not size:
            return {"stdout": "", "cut": dropped}
        data = os.pread(self.capture_fd, min(size, cap * 4 + 4), 0)
        os.ftruncate(self.capture_fd, 0)
        text = data.decode("utf-8", "replace")
        cut = max(0, len(text) - cap) + (size - len(data)) + dropped
        return {"stdout": text[:cap], "cut": cut}


def _result_file(base_dir: str) -> int:
    """The file children leave their replies in: an anonymous memory file where Linux has them
    (so that a job that fills its scratch space can still reply), else a file in `base_dir`.
    Its offset is shared with the children; the worker rewinds it after each job."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:
        try:
            return int(memfd_create("codecot-result", 0))
        except OSError:
            pass
    flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC
    return os.open(os.path.join(base_dir, "result"), flags, 0o600)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _rewind(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)


def _poll_exit(pid: int, deadline: float) -> bool:
    """`Worker._wait_exit` where pidfd_open is missing: poll without reaping."""
    while True:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(remaining, 0.002))


def landlock_for(mode: str, private_dir: str) -> tuple[Callable[[], None] | None, dict[str, Any]]:
    """The child's Landlock step for `mode` and what it enforces (for the ready message).

    `once` builds the ruleset here, in the worker, and children only enforce it; `per-child`
    builds it in every child (kept to measure the difference); `off` skips Landlock.  Where
    the kernel cannot, the step is None and the reason is reported."""
    if mode == "off":
        return None, {"landlock": False, "landlock_error": "turned off"}
    try:
        set_no_new_privs()
        if mode == "per-child":
            ruleset = build_ruleset((private_dir,))
            os.close(ruleset.fd)
            dirs = (private_dir,)

            def per_child() -> None:
                restrict_now(dirs)

            return per_child, ruleset.describe()
        ruleset = build_ruleset((private_dir,))
    except OSError as exc:
        return None, {"landlock": False, "landlock_error": str(exc.strerror or exc)}
    return restrictor(ruleset.fd), ruleset.describe()


def _empty_dir(path: str) -> None:
    """Remove whatever a job left in its private directory (which stays, with mode 0700).
    Raises if that fails: the worker then dies and is replaced."""
    os.chmod(path, 0o700)
    left = os.listdir(path)
    if not left:
        return
    for name in left:
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            _rmtree(full)
        else:
            os.unlink(full)
    if os.listdir(path):
        raise RuntimeError(f"cannot empty the job directory {path}")


def _rmtree(path: str) -> None:
    # shutil is imported only here: with it come zlib, bz2 and lzma, whose libraries would
    # add to what every fork copies.
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _kill_group(pid: int) -> None:
    """SIGKILL the child's process group (it is its own session leader) and the child."""
    for kill in (os.killpg, os.kill):
        try:  # noqa: SIM105 - cheaper than contextlib.suppress, which runs on every job
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


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
        warm_up(config["task"])
        worker = Worker(
            task,
            limits,
            base_dir,
            trusted_dirs_for(config["task"]),
            (proto_in, proto_out),
            settrace_policy_for(config["task"]),
            landlock_mode=str(config.get("landlock", "once")),
            audit_hook=bool(config.get("audit_hook", True)),
        )
    except BaseException as exc:  # reported to the pool, which raises
        write_all(proto_out, frame(dumps({"ready": False, "error": _describe(exc)})))
        return 1
    settle_heap()
    ready = {"ready": True, "pid": os.getpid(), **status, **worker.confinement}
    write_all(proto_out, frame(dumps(ready)))
    while True:
        payload = reader.read_frame()
        if payload is None:
            break
        worker.run_job(payload, proto_out)
    worker.stop()
    _rmtree(base_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
