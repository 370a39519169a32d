"""Guards for sandboxed children: namespaces, rlimits, captured output, entering the child.

The worker calls `prepare_worker` once; each forked child calls `enter_child` before the task
runs. `enter_child` ends by installing the PEP 578 audit hook of `codecot.sandbox.audit`,
which can never be removed; from then on the child may not start processes, send signals, use
sockets or ctypes, write or delete files outside its private directory, look into other
processes' /proc entries, or install trace/profile functions from untrusted code. The worker-level guards (`prepare_worker`) are
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
    try:
        # A handle without use_errno: a call then does not swap errno with ctypes' copy, which
        # costs the child page copies; a failed fork is reported without its errno.
        raw = ctypes.PyDLL(None).fork
    except (OSError, AttributeError):
        return os.fork
    raw.restype = ctypes.c_int
    raw.argtypes = []

    def fork() -> int:
        pid: int = raw()
        if pid < 0:
            raise OSError("fork failed")
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
    page of the worker's memory a child touches costs a page copy.  `hooks` holds the one audit
    hook, which `enter_child` takes out of the child's copy as it installs it.
    """

    private_dir: bytes
    capture_fd: int
    close_fds: tuple[int, ...]
    rlimits: tuple[tuple[int, tuple[int, int]], ...]
    writer: CappedWriter
    hooks: list[Callable[[str, tuple[Any, ...]], None]]
    death_signal: Callable[[], None] | None
    landlock: Callable[[], None] | None = None


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
    from the worker, see `prepare_worker`); None where libc cannot be reached.

    It calls `prctl` through a handle without errno swapping and without argument converters
    (plain ints): each of those touches more of the worker's memory in the child."""
    try:
        prctl = ctypes.PyDLL(None).prctl
    except (OSError, AttributeError):
        return None
    prctl.restype = ctypes.c_int
    option, number = PR_SET_PDEATHSIG, int(sig)

    def ask() -> None:
        prctl(option, number)

    ask()  # the first call resolves the symbol; let the worker pay for it
    return ask


def plan_child(
    limits: Limits,
    private_dir: str,
    capture_fd: int,
    close_fds: tuple[int, ...],
    hook: Callable[[str, tuple[Any, ...]], None] | None,
    death_signal: bool = True,
    landlock: Callable[[], None] | None = None,
) -> ChildPlan:
    """Work out the guards `enter_child` applies; call in the worker, once.

    `hook` is the audit hook (None only in tests that check the other layers on their own);
    `landlock` confines the child's file-system writes (see `codecot.sandbox.landlock`), or
    is None where Landlock is unavailable or off.  Also sets `HOME` and `TMPDIR` to
    `private_dir` in the worker's environment, which every child inherits.
    """
    os.environ["HOME"] = os.environ["TMPDIR"] = private_dir
    return ChildPlan(
        private_dir=os.fsencode(private_dir),
        capture_fd=capture_fd,
        close_fds=tuple(close_fds),
        rlimits=rlimits_for(limits),
        writer=CappedWriter(1, limits.output_chars),
        hooks=[hook] if hook is not None else [],
        death_signal=death_signal_function() if death_signal else None,
        landlock=landlock,
    )


def enter_child(plan: ChildPlan) -> CappedWriter:
    """Apply the per-job guards in a freshly forked child; returns the writer bound to stdout.

    The worker has already made the settings of `prepare_worker_guards` (inherited) and built
    `plan` (from `plan_child`). Here: new session, parent-death signal, stdout and stderr to
    the capture file, the worker's descriptors closed, chdir to the private directory, rlimits,
    the Landlock domain (if any: from then on the kernel refuses file-system changes outside
    the scratch directory and signals to processes outside the domain), the audit hook last
    (after it, ctypes and signals to other processes are gone for good).
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
    if plan.landlock is not None:
        plan.landlock()
    writer = plan.writer
    sys.stdout = sys.stderr = writer
    # Taken out of the (child's copy of the) plan: once installed, no Python object the program
    # can reach refers to the hook or its closure.
    if plan.hooks:
        sys.addaudithook(plan.hooks.pop())
    return writer


def _keep_stricter(which: int, pair: tuple[int, int]) -> None:
    """Where an existing hard limit is lower than ours, set the soft limit to the stricter."""
    cur_hard = resource.getrlimit(which)[1]
    if cur_hard != resource.RLIM_INFINITY:
        resource.setrlimit(which, (min(pair[0], cur_hard), cur_hard))
