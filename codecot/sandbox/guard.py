"""Guards for sandboxed children: namespaces, rlimits, the audit hook, captured output.

The worker calls `prepare_worker` once; each forked child calls `enter_child` before the task
runs. `enter_child` ends by installing a PEP 578 audit hook, which can never be removed; from
then on the child may not start processes, send signals, use sockets or ctypes, write or delete
files outside its private directory, look into other processes' /proc entries, or install
trace/profile functions from untrusted code. The worker-level guards (`prepare_worker`) are
a private, empty network namespace and a size-limited private tmpfs for job directories.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from codecot.sandbox.limits import MB_BYTES as MB
from codecot.sandbox.limits import Limits

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_libc: Any = None


def _load_libc() -> Any:
    """libc through ctypes.PyDLL (calls keep the GIL), or None where it cannot be loaded."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.PyDLL(None, use_errno=True)
        except OSError:
            _libc = False
    return _libc or None


def isolate_network() -> bool:
    """Move this process into a new, empty network namespace; False where not permitted."""
    libc = _load_libc()
    if libc is None:
        return False
    try:
        return bool(libc.unshare(CLONE_NEWNET) == 0)
    except (AttributeError, OSError):
        return False


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only)."""
    libc = _load_libc()
    if libc is not None:
        try:
            libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        except (AttributeError, OSError):
            pass


def fork_function() -> Callable[[], int]:
    """The fastest available fork.

    libc's fork called directly skips CPython's at-fork hooks (random reseeding, threading and
    logging lock resets), which roughly halves the cost of a fork of a warm worker. This is
    safe because the worker is single-threaded and calls it outside any import. Falls back to
    `os.fork`.
    """
    libc = _load_libc()
    raw = getattr(libc, "fork", None) if libc is not None else None
    if raw is None:
        return os.fork
    raw.restype = ctypes.c_int
    raw.argtypes = []

    def fork() -> int:
        pid = int(raw())
        if pid < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return pid

    return fork


def mount_private_tmpfs(path: str, size_mb: int) -> bool:
    """Mount a size-limited tmpfs on `path`, visible only to this process and its children.

    Enters a new mount namespace first (root only). The size caps everything the worker's
    jobs can write, and tmpfs makes the per-job mkdir/rmdir cheap. False where not permitted.
    """
    libc = _load_libc()
    if libc is None:
        return False
    try:
        if libc.unshare(CLONE_NEWNS) != 0:
            return False
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            return False
        options = f"size={size_mb}m,mode=0700".encode()
        flags = MS_NOSUID | MS_NODEV
        return bool(libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", flags, options) == 0)
    except (AttributeError, OSError):
        return False


def prepare_worker(base_dir: str, limits: Limits) -> dict[str, bool]:
    """Once per worker: die with the pool, isolate the network, mount the scratch tmpfs.

    Returns what took effect (`netns`, `tmpfs`); each falls back silently.
    """
    set_parent_death_signal()
    return {
        "netns": isolate_network(),
        "tmpfs": mount_private_tmpfs(base_dir, limits.scratch_mb),
    }


def apply_rlimits(limits: Limits) -> None:
    """Set CPU, address-space, file-size and process limits for this process.

    The CPU limit is whole seconds (soft, SIGXCPU) plus one (hard, SIGKILL). Where an existing
    hard limit is lower than ours, the stricter one is kept.
    """
    for which, pair in rlimits_for(limits):
        try:
            resource.setrlimit(which, pair)
        except (ValueError, OSError):
            _keep_stricter(which, pair)


class CappedWriter:
    """A text stream standing in for sys.stdout/sys.stderr in the child.

    The first `cap` characters go straight to `fd` (the capture file, so output printed before
    a crash survives); later characters are only counted in `dropped`.
    """

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, fd: int, cap: int) -> None:
        self._fd = fd
        self._room = cap
        self._write = os.write
        self.dropped = 0

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        n = len(text)
        if self._room > 0:
            head = text[: self._room]
            self._room -= len(head)
            data = head.encode("utf-8", "replace")
            try:
                while data:
                    data = data[self._write(self._fd, data) :]
            except OSError:
                self._room = 0
            self.dropped += n - len(head)
        else:
            self.dropped += n
        return n

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd

    @property
    def closed(self) -> bool:
        return False


_ALWAYS_DENIED = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "pty.spawn",
        "signal.pthread_kill",
        "sys.setprofile",
        "resource.setrlimit",
        "resource.prlimit",
        "os.setxattr",
        "os.removexattr",
        "os.chflags",
        "os.lchflags",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sqlite3.enable_load_extension",
        "webbrowser.open",
    }
)
_DENIED_PREFIXES = ("socket.", "ctypes.", "_ctypes.")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_DIR_FLAGS = getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_PATH", 0)


def make_audit_hook(
    private_dir: str, trusted_dirs: tuple[str, ...]
) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook for a child whose private directory is `private_dir`.

    It raises PermissionError for: starting processes (subprocess, os.system/exec*/spawn*/
    posix_spawn*/fork/forkpty, pty.spawn), signals (os.kill/killpg, signal.pthread_kill), every
    socket.* and ctypes.* event, sys.setprofile, resource.setrlimit/prlimit, gc.get_objects/
    get_referrers/get_referents (they would expose this hook's state); opening for writing,
    creating, deleting, renaming, linking, chmod/chown/utime/truncate of any path outside
    `private_dir` (symlinks resolved; dir_fd= honoured; /dev/null may be written); opening a
    directory outside it with os.open (its descriptor would defeat the dir_fd check); reading
    or listing /proc/<pid> of another process. `sys.settrace` is allowed only when called from
    code whose file lies under one of `trusted_dirs` (the task's package), and no code may be
    compiled or built under such a file name unless it is that file's own source.
    """
    root = os.path.realpath(private_dir)
    root_slash = root + os.sep
    trusted = tuple(os.path.realpath(d) + os.sep for d in trusted_dirs)
    realpath, join, dirname, basename = (
        os.path.realpath,
        os.path.join,
        os.path.dirname,
        os.path.basename,
    )
    isabs, isdir, fsdecode, readlink = os.path.isabs, os.path.isdir, os.fsdecode, os.readlink
    getframe, getpid = sys._getframe, os.getpid

    def deny(event: str, what: object = "") -> None:
        detail = f" ({what})" if what != "" else ""
        raise PermissionError(f"sandbox: {event} is not allowed{detail}")

    def resolve(path: Any, dir_fd: Any, follow: bool) -> str:
        text = fsdecode(path)
        if dir_fd not in (None, -1) and not isabs(text):
            text = join(readlink(f"/proc/self/fd/{int(dir_fd)}"), text)
        if follow:
            return realpath(text)
        return join(realpath(dirname(text) or "."), basename(text))

    def inside(path: Any, dir_fd: Any = None, follow: bool = False) -> bool:
        if isinstance(path, int):
            return True  # an already-open descriptor: nothing new is reached by name
        try:
            full = resolve(path, dir_fd, follow)
        except (TypeError, ValueError, OSError):
            return False
        return full == root or full.startswith(root_slash)

    def check(event: str, path: Any, dir_fd: Any = None, follow: bool = False) -> None:
        if not inside(path, dir_fd, follow):
            deny(event, path)

    def same_as_file(source: Any, filename: str) -> bool:
        # The import system compiles a trusted module from its own file; anything else is not.
        if isinstance(source, str):
            source = source.encode("utf-8")
        if not isinstance(source, bytes):
            return False
        try:
            with open(filename, "rb") as handle:
                return bool(handle.read() == source)
        except OSError:
            return False

    def other_process(path: Any) -> bool:
        # /proc/<pid>/ of another process (its environ, cmdline, memory maps, open files).
        try:
            parts = realpath(fsdecode(path)).split(os.sep)
        except (TypeError, ValueError, OSError):
            return True
        return (
            len(parts) > 2
            and parts[1] == "proc"
            and parts[2].isdigit()
            and (int(parts[2]) != getpid())
        )

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writing = bool(flags & _WRITE_FLAGS) if mode is None else any(c in mode for c in "wax+")
            if writing:
                if path != "/dev/null":
                    check(event, path, follow=True)
            elif not isinstance(path, int):
                if mode is None and (flags & _DIR_FLAGS or isdir(path)):
                    # A directory descriptor outside would let dir_fd= calls escape the checks.
                    check(event, path, follow=True)
                elif other_process(path):
                    deny(event, "other processes' /proc entries are private")
            return
        if event in ("os.listdir", "os.scandir") and other_process(args[0] or "."):
            deny(event, "other processes' /proc entries are private")
        if event in _ALWAYS_DENIED or event.startswith(_DENIED_PREFIXES):
            deny(event)
        if event == "sys.settrace":
            caller = getframe(1).f_code.co_filename
            if not caller.startswith(trusted):
                deny(event, "only the tracer may set a trace function")
        elif event == "compile":
            filename = args[1]
            if (
                isinstance(filename, bytes | str)
                and fsdecode(filename).startswith(trusted)
                and not same_as_file(args[0], fsdecode(filename))
            ):
                deny(event, "code may not pose as the tracer")
        elif event == "code.__new__":
            filename = args[1]
            if isinstance(filename, bytes | str) and fsdecode(filename).startswith(trusted):
                deny(event, "code may not pose as the tracer")
        elif event in ("os.remove", "os.rmdir", "shutil.rmtree"):
            check(event, args[0], args[1])
        elif event == "os.mkdir":
            check(event, args[0], args[2])
        elif event == "os.chmod":
            check(event, args[0], args[2], follow=True)
        elif event == "os.chown" or event == "os.utime":
            check(event, args[0], args[3], follow=True)
        elif event == "os.truncate":
            check(event, args[0], follow=True)
        elif event in ("os.rename", "os.link"):
            check(event, args[0], args[2])
            check(event, args[1], args[3])
        elif event == "os.symlink":
            check(event, args[1], args[2])
        elif event in ("shutil.copyfile", "shutil.copytree", "shutil.copymode", "shutil.copystat"):
            check(event, args[1], follow=True)
        elif event == "shutil.move":
            check(event, args[0])
            check(event, args[1])
        elif event == "shutil.chown":
            check(event, args[0], follow=True)
        elif event == "shutil.unpack_archive":
            check(event, args[1] if args[1] is not None else ".", follow=True)
        elif event == "shutil.make_archive":
            check(event, args[0])
        elif event == "sqlite3.connect":
            database = args[0]
            if database not in (":memory:", b":memory:", ""):
                check(event, database, follow=True)

    return hook


def prepare_worker_guards() -> None:
    """Settings every child inherits from its worker, made once to keep forks cheap.

    Oversized writes must raise instead of killing the child, Ctrl-C in the pool's terminal
    must not reach the children, no core dumps, no bytecode caches written.
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.dont_write_bytecode = True


@dataclass(frozen=True)
class ChildPlan:
    """The per-job guards of `enter_child`, worked out once in the worker.

    Everything a child needs is built before the fork (the `writer` too: each child gets its own
    copy-on-write copy of the unused writer), so that a child does as little as possible: every
    page of the worker's memory a child touches costs a page copy.
    """

    private_dir: bytes
    capture_fd: int
    close_fds: tuple[int, ...]
    rlimits: tuple[tuple[int, tuple[int, int]], ...]
    writer: CappedWriter
    hook: Callable[[str, tuple[Any, ...]], None]
    death_signal: Callable[[], None] | None


def rlimits_for(limits: Limits) -> tuple[tuple[int, tuple[int, int]], ...]:
    """The `(resource, (soft, hard))` pairs that `apply_rlimits` sets for `limits`."""
    cpu = max(1, math.ceil(limits.cpu_seconds))
    return (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (limits.memory_mb * MB, limits.memory_mb * MB)),
        (resource.RLIMIT_FSIZE, (limits.file_size_mb * MB, limits.file_size_mb * MB)),
        (resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes)),
    )


def death_signal_function(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A function that asks for `sig` when the parent dies (no-new-privileges is inherited
    from the worker, see `prepare_worker`); None where libc cannot be reached."""
    libc = _load_libc()
    prctl = getattr(libc, "prctl", None) if libc is not None else None
    if prctl is None:
        return None
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    args = (PR_SET_PDEATHSIG, int(sig), 0, 0, 0)

    def ask() -> None:
        prctl(*args)

    ask()  # the first call resolves the symbol; let the worker pay for it
    return ask


def plan_child(
    limits: Limits,
    private_dir: str,
    capture_fd: int,
    close_fds: tuple[int, ...],
    hook: Callable[[str, tuple[Any, ...]], None],
    death_signal: bool = True,
) -> ChildPlan:
    """Work out the guards `enter_child` applies; call in the worker, once.

    Also sets `HOME` and `TMPDIR` to `private_dir` in the worker's environment, which every
    child inherits.
    """
    os.environ["HOME"] = os.environ["TMPDIR"] = private_dir
    return ChildPlan(
        private_dir=os.fsencode(private_dir),
        capture_fd=capture_fd,
        close_fds=tuple(close_fds),
        rlimits=rlimits_for(limits),
        writer=CappedWriter(1, limits.output_chars),
        hook=hook,
        death_signal=death_signal_function() if death_signal else None,
    )


def enter_child(plan: ChildPlan) -> CappedWriter:
    """Apply the per-job guards in a freshly forked child; returns the writer bound to stdout.

    The worker has already made the settings of `prepare_worker_guards` (inherited) and built
    `plan` (from `plan_child`). Here: new session, parent-death signal, stdout and stderr to
    the capture file, the worker's descriptors closed, chdir to the private directory, rlimits,
    the audit hook last (after it, ctypes and signals to other processes are gone for good).
    """
    os.setsid()
    if plan.death_signal is not None:
        plan.death_signal()
    os.dup2(plan.capture_fd, 1)
    os.dup2(plan.capture_fd, 2)
    for fd in plan.close_fds:
        try:  # noqa: SIM105 - contextlib would cost the child extra page faults
            os.close(fd)
        except OSError:
            pass
    os.chdir(plan.private_dir)
    setrlimit = resource.setrlimit
    for which, pair in plan.rlimits:
        try:
            setrlimit(which, pair)
        except (ValueError, OSError):
            _keep_stricter(which, pair)
    writer = plan.writer
    sys.stdout = sys.stderr = writer
    sys.addaudithook(plan.hook)
    return writer


def _keep_stricter(which: int, pair: tuple[int, int]) -> None:
    """Where an existing hard limit is lower than ours, set the soft limit to the stricter."""
    cur_hard = resource.getrlimit(which)[1]
    if cur_hard != resource.RLIM_INFINITY:
        resource.setrlimit(which, (min(pair[0], cur_hard), cur_hard))
