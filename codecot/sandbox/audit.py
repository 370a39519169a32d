"""The PEP 578 audit hook every sandboxed child installs last (see `make_audit_hook`).

It refuses, for the rest of the child's life, process creation, signals, sockets, ctypes,
writes and deletions outside the child's private directory, reads of other processes' /proc
entries, and trace/profile functions installed by untrusted code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

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
