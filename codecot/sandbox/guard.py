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


SettracePolicy = tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]
"""`(trace_off, trace_on, global_trace)`: see `make_audit_hook`."""


def make_audit_hook(
    private_dir: str,
    trusted_dirs: tuple[str, ...],
    settrace: SettracePolicy | None = None,
) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook for a child whose private directory is `private_dir`.

    It raises PermissionError for: starting processes (subprocess, os.system/exec*/spawn*/
    posix_spawn*/fork/forkpty, pty.spawn), signals (os.kill/killpg, signal.pthread_kill), every
    socket.* and ctypes.* event, sys.setprofile, resource.setrlimit/prlimit, gc.get_objects/
    get_referrers/get_referents; opening for writing, creating, deleting, renaming, linking,
    chmod/chown/utime/truncate of any path outside `private_dir` (symlinks resolved; dir_fd=
    honoured; /dev/null may be written); opening a directory outside it with os.open (its
    descriptor would defeat the dir_fd check); reading or listing /proc/<pid> of another
    process; setting a function's `__code__`.  Paths (and dir_fd, open modes) must be exact
    `str`/`bytes`/`int`: converting anything else (a path-like object, a str subclass) would run
    the program's own code inside the hook, so it is refused.

    `sys.settrace` is allowed only from the code of `settrace[0]` (which must set None) and of
    `settrace[1]`, and then only when the function that one installs (its local `fn`) is a
    method whose function is `settrace[2]` with its original code; with no policy it is always
    refused.  No code may be compiled or built under a file name in `trusted_dirs` unless it is
    that file's own source.

    The hook and its helpers read no module global and no builtin by name: everything they use
    is bound here, so a program that patches modules (`posixpath`, `os`) or `builtins` cannot
    change what they decide.  Only C functions are called on the program's data.
    """
    import _io
    import _stat
    import posix
    import types

    lstat, stat_path, readlink, getcwd, getpid = (
        posix.lstat, posix.stat, posix.readlink, posix.getcwd, posix.getpid
    )
    s_islnk, s_isdir = _stat.S_ISLNK, _stat.S_ISDIR
    open_file = _io.open
    getframe = sys._getframe
    str_t, bytes_t, int_t, none_t, type_of = str, bytes, int, type(None), type
    decode = bytes.decode
    join = "/".join
    os_error, permission_error = OSError, PermissionError
    write_flags, dir_flags = _WRITE_FLAGS, _DIR_FLAGS
    always_denied, denied_prefixes = _ALWAYS_DENIED, _DENIED_PREFIXES
    method_t = types.MethodType
    length = len

    def absolute(path: str) -> str:
        return path if path.startswith("/") else getcwd() + "/" + path

    off_code: Any = None
    on_code: Any = None
    trace_func: Any = None
    trace_code: Any = None
    if settrace is not None:
        off_code, on_code = settrace[0].__code__, settrace[1].__code__
        trace_func = settrace[2]
        trace_code = trace_func.__code__

    def deny(event: str, what: str = "") -> None:
        detail = " (" + what + ")" if what != "" else ""
        raise permission_error("sandbox: " + event + " is not allowed" + detail)

    def text_of(path: object) -> str:
        """An exact str or bytes path as text; anything else is refused."""
        kind = type_of(path)
        if kind is str_t:
            return path  # type: ignore[return-value]
        if kind is bytes_t:
            return decode(path, "utf-8", "surrogateescape")  # type: ignore[arg-type]
        raise permission_error("sandbox: paths must be str or bytes here")

    def real(path: str, follow_last: bool) -> str:
        """`os.path.realpath` (not strict) of an absolute path, from lstat/readlink only."""
        todo = path.split("/")
        todo.reverse()
        done: list[str] = []
        links = 0
        while todo:
            part = todo.pop()
            if part == "" or part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            last = True
            for rest in todo:
                if rest != "" and rest != ".":
                    last = False
                    break
            candidate = "/" + join(done) + ("/" if done else "") + part
            if last and not follow_last:
                done.append(part)
                continue
            try:
                mode = lstat(candidate).st_mode
            except os_error:
                done.append(part)
                continue
            if not s_islnk(mode):
                done.append(part)
                continue
            links += 1
            if links > 40:
                raise permission_error("sandbox: too many symbolic links")
            target = readlink(candidate)
            if target.startswith("/"):
                done = []
            more = target.split("/")
            more.reverse()
            todo.extend(more)
        return "/" + join(done)

    root = real(absolute(private_dir), True)
    trusted = tuple(real(absolute(d), True).rstrip("/") + "/" for d in trusted_dirs)

    def resolve(path: object, dir_fd: object, follow: bool) -> str:
        text = text_of(path)
        if type_of(dir_fd) is int_t and dir_fd != -1 and not text.startswith("/"):
            text = readlink("/proc/self/fd/" + int_t.__repr__(dir_fd)) + "/" + text
        elif type_of(dir_fd) is not none_t and type_of(dir_fd) is not int_t:
            raise permission_error("sandbox: dir_fd must be an int")
        return real(absolute(text), follow)

    def inside(path: object, dir_fd: object = None, follow: bool = False) -> bool:
        if type_of(path) is int_t:
            return True  # an already-open descriptor: nothing new is reached by name
        full = resolve(path, dir_fd, follow)
        return full == root or full.startswith(root + "/")

    def check(event: str, path: object, dir_fd: object = None, follow: bool = False) -> None:
        if not inside(path, dir_fd, follow):
            deny(event, text_of(path))

    def same_as_file(source: Any, filename: str) -> bool:
        # The import system compiles a trusted module from its own file; anything else is not.
        if type_of(source) is str_t:
            source = source.encode("utf-8")
        if type_of(source) is not bytes_t:
            return False
        try:
            with open_file(filename, "rb") as handle:
                data: bytes = handle.read()
            return data == source
        except os_error:
            return False

    def other_process(path: object) -> bool:
        # /proc/<pid>/ of another process (its environ, cmdline, memory maps, open files).
        parts = real(absolute(text_of(path)), True).split("/")
        return (
            length(parts) > 2
            and parts[1] == "proc"
            and parts[2].isdigit()
            and int_t(parts[2]) != getpid()
        )

    def is_dir(path: object) -> bool:
        try:
            return s_isdir(stat_path(text_of(path)).st_mode) != 0
        except os_error:
            return False

    def posing(filename: object) -> bool:
        kind = type_of(filename)
        if kind is not str_t and kind is not bytes_t:
            return False
        return absolute(text_of(filename)).startswith(trusted)

    def settrace_allowed() -> bool:
        caller = getframe(2)
        code = caller.f_code
        if code is off_code:
            return True
        if code is not on_code:
            return False
        fn = caller.f_locals.get("fn")
        return (
            type_of(fn) is method_t
            and fn.__func__ is trace_func  # type: ignore[union-attr]
            and fn.__func__.__code__ is trace_code  # type: ignore[union-attr]
        )

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if mode is None:
                writing = flags & write_flags != 0
            elif type_of(mode) is str_t:
                writing = "w" in mode or "a" in mode or "x" in mode or "+" in mode
            else:
                raise permission_error("sandbox: open mode must be a str")
            if writing:
                if type_of(path) is not str_t or path != "/dev/null":
                    check(event, path, follow=True)
            elif type_of(path) is not int_t:
                if mode is None and (flags & dir_flags or is_dir(path)):
                    # A directory descriptor outside would let dir_fd= calls escape the checks.
                    check(event, path, follow=True)
                elif other_process(path):
                    deny(event, "other processes' /proc entries are private")
            return
        if (event == "os.listdir" or event == "os.scandir") and other_process(
            args[0] if args[0] is not None else "."
        ):
            deny(event, "other processes' /proc entries are private")
        if event in always_denied or event.startswith(denied_prefixes):
            deny(event)
        if event == "sys.settrace":
            if not settrace_allowed():
                deny(event, "only the tracer may set a trace function")
        elif event == "object.__setattr__":
            if type_of(args[1]) is str_t and args[1] == "__code__":
                deny(event, "code objects of functions are fixed")
        elif event == "compile":
            filename = args[1]
            if posing(filename) and not same_as_file(args[0], text_of(filename)):
                deny(event, "code may not pose as the tracer")
        elif event == "code.__new__":
            if posing(args[1]):
                deny(event, "code may not pose as the tracer")
        elif event == "os.remove" or event == "os.rmdir" or event == "shutil.rmtree":
            check(event, args[0], args[1])
        elif event == "os.mkdir":
            check(event, args[0], args[2])
        elif event == "os.chmod":
            check(event, args[0], args[2], follow=True)
        elif event == "os.chown" or event == "os.utime":
            check(event, args[0], args[3], follow=True)
        elif event == "os.truncate":
            check(event, args[0], follow=True)
        elif event == "os.rename" or event == "os.link":
            check(event, args[0], args[2])
            check(event, args[1], args[3])
        elif event == "os.symlink":
            check(event, args[1], args[2])
        elif (
            event == "shutil.copyfile"
            or event == "shutil.copytree"
            or event == "shutil.copymode"
            or event == "shutil.copystat"
        ):
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
            if type_of(database) is str_t and (database == ":memory:" or database == ""):
                return
            if type_of(database) is bytes_t and database == b":memory:":
                return
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
