"""Kernel-enforced file-system confinement of sandboxed children with Landlock (Linux >= 5.13).

The audit hook of `guard` lives in the child's own memory, which a program can reach (e.g.
through ctypes); a Landlock domain lives in the kernel and cannot be lifted by the process it
confines.  The ruleset handles every right the running kernel's ABI knows that changes the
file system:

- ABI 1: write a file, remove a file or directory, make a regular file, directory, symlink,
  socket, fifo, character or block device;
- ABI 2: link or rename across directories (`REFER`);  ABI 3: truncate;  ABI 5: device ioctls;
- ABI 4: TCP bind and connect, with no port allowed (denied outright);
- ABI 6: scopes: no signals to, and no connections to abstract unix sockets of, processes
  outside the domain (the worker, the pool, anything else).

They are granted only beneath one directory (the worker's stable scratch directory, in which
each job's private directory is made) and, as a file, `/dev/null` (write and truncate).
Reading and executing stay allowed everywhere: the interpreter still imports modules.

Landlock rules name inodes, not paths: the ruleset is built ONCE in the worker
(`build_ruleset`), from a descriptor of the directory that is then closed, and the ruleset's
descriptor is inherited by every forked child, which only calls `restrict_self` (one
`prctl` plus one syscall).  The directory must therefore stay the same inode for the worker's
life.  Everything here degrades to "not available" (with the reason) where the kernel, the
LSM list or the platform lacks Landlock.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

SYS_CREATE_RULESET = 444
SYS_ADD_RULE = 445
SYS_RESTRICT_SELF = 446
"""Landlock's syscall numbers: the same in the generic table and on x86_64."""
_SYSCALL_MACHINES = frozenset({"x86_64", "aarch64", "arm64", "riscv64", "loongarch64"})

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13
FS_TRUNCATE = 1 << 14
FS_IOCTL_DEV = 1 << 15

NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

_WRITE_RIGHTS_BY_ABI: tuple[tuple[int, int], ...] = (
    (
        1,
        FS_WRITE_FILE
        | FS_REMOVE_DIR
        | FS_REMOVE_FILE
        | FS_MAKE_CHAR
        | FS_MAKE_DIR
        | FS_MAKE_REG
        | FS_MAKE_SOCK
        | FS_MAKE_FIFO
        | FS_MAKE_BLOCK
        | FS_MAKE_SYM,
    ),
    (2, FS_REFER),
    (3, FS_TRUNCATE),
    (5, FS_IOCTL_DEV),
)
_FILE_RIGHTS = FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV | FS_READ_FILE | FS_EXECUTE
"""The rights a rule on a non-directory may carry."""

_FS_NAMES = {
    FS_WRITE_FILE: "write_file",
    FS_REMOVE_DIR: "remove_dir",
    FS_REMOVE_FILE: "remove_file",
    FS_MAKE_CHAR: "make_char",
    FS_MAKE_DIR: "make_dir",
    FS_MAKE_REG: "make_reg",
    FS_MAKE_SOCK: "make_sock",
    FS_MAKE_FIFO: "make_fifo",
    FS_MAKE_BLOCK: "make_block",
    FS_MAKE_SYM: "make_sym",
    FS_REFER: "refer",
    FS_TRUNCATE: "truncate",
    FS_IOCTL_DEV: "ioctl_dev",
}


class _RulesetAttr(ctypes.Structure):
    """`struct landlock_ruleset_attr` (linux/landlock.h); its size tells the kernel which
    fields the caller knows: 8 bytes up to ABI 3, 16 with `handled_access_net`, 24 with
    `scoped`."""

    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    """`struct landlock_path_beneath_attr`, packed: a u64 then an s32 (12 bytes)."""

    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


@dataclass(frozen=True)
class Ruleset:
    """A built ruleset: its descriptor (inherited by forked children) and what it enforces."""

    fd: int
    abi: int
    handled_fs: int
    handled_net: int
    scoped: int

    def describe(self) -> dict[str, object]:
        """What the ruleset enforces, JSON-able (for the pool's `confinement()`)."""
        scopes = [
            name
            for bit, name in ((SCOPE_SIGNAL, "signal"), (SCOPE_ABSTRACT_UNIX_SOCKET, "abstract_unix"))
            if self.scoped & bit
        ]
        net = [
            name
            for bit, name in ((NET_BIND_TCP, "bind_tcp"), (NET_CONNECT_TCP, "connect_tcp"))
            if self.handled_net & bit
        ]
        return {
            "landlock": True,
            "abi": self.abi,
            "fs_rights": [n for bit, n in _FS_NAMES.items() if self.handled_fs & bit],
            "net_denied": net,
            "scopes": scopes,
        }


def _libc(use_errno: bool) -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL(None, use_errno=use_errno)
        lib.syscall.restype = ctypes.c_long
        return lib
    except (OSError, AttributeError):
        return None


def abi_version() -> tuple[int, str]:
    """The kernel's Landlock ABI version and, when it is 0 (unusable), the reason."""
    if not sys.platform.startswith("linux"):
        return 0, f"not Linux ({sys.platform})"
    machine = os.uname().machine
    if machine not in _SYSCALL_MACHINES:
        return 0, f"syscall numbers unknown on {machine}"
    lib = _libc(use_errno=True)
    if lib is None:
        return 0, "libc cannot be loaded"
    version = int(lib.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION))
    if version < 0:
        err = ctypes.get_errno()
        if err == 38:  # ENOSYS
            return 0, "the kernel has no Landlock"
        if err == 95:  # EOPNOTSUPP
            return 0, "Landlock is disabled (not in the kernel's lsm= list)"
        return 0, f"Landlock probe failed: {os.strerror(err)}"
    return version, ""


def handled_fs_rights(abi: int) -> int:
    """Every file-system right that changes something, as far as ABI `abi` knows them."""
    rights = 0
    for since, bits in _WRITE_RIGHTS_BY_ABI:
        if abi >= since:
            rights |= bits
    return rights


def set_no_new_privs() -> None:
    """`prctl(PR_SET_NO_NEW_PRIVS, 1)`, which `restrict_self` requires of unprivileged callers;
    inherited by children and never undone."""
    lib = _libc(use_errno=True)
    if lib is None or lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError("prctl(PR_SET_NO_NEW_PRIVS) failed")


def build_ruleset(
    writable_dirs: tuple[str, ...], writable_files: tuple[str, ...] = ("/dev/null",)
) -> Ruleset:
    """Create a ruleset that allows file-system changes only beneath `writable_dirs` (and
    writing, truncating, device ioctls on `writable_files`), denies TCP, and scopes signals and
    abstract unix sockets.  Raises OSError where Landlock is unavailable or a call fails.

    The returned descriptor is close-on-exec but survives fork; the paths' descriptors are
    closed here: a rule holds its inode by itself.
    """
    abi, reason = abi_version()
    if abi < 1:
        raise OSError(reason)
    lib = _libc(use_errno=True)
    assert lib is not None  # abi_version loaded it
    handled_fs = handled_fs_rights(abi)
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET if abi >= 6 else 0
    attr = _RulesetAttr(handled_fs, handled_net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    fd = int(lib.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in writable_dirs:
            _add_path_rule(lib, fd, path, handled_fs)
        for path in writable_files:
            _add_path_rule(lib, fd, path, handled_fs & _FILE_RIGHTS)
    except BaseException:
        os.close(fd)
        raise
    return Ruleset(fd, abi, handled_fs, handled_net, scoped)


def _add_path_rule(lib: ctypes.CDLL, ruleset_fd: int, path: str, rights: int) -> None:
    path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneathAttr(rights, path_fd)
        done = lib.syscall(SYS_ADD_RULE, ruleset_fd, RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        if done != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"landlock_add_rule({path!r}) failed: {os.strerror(err)}")
    finally:
        os.close(path_fd)


def restrictor(ruleset_fd: int) -> Callable[[], None]:
    """A function for a forked child: enforce the ruleset `ruleset_fd` on the calling process
    (and everything it starts), then close the descriptor.  Raises OSError if the kernel
    refuses, so that the job fails closed.

    The calls go through a libc handle without errno swapping and with plain int arguments
    (each converter or errno copy would touch more of the worker's memory in the child);
    only the failure path asks for errno.  No-new-privileges must already be set (it is
    inherited from the worker)."""
    raw = ctypes.PyDLL(None).syscall
    raw.restype = ctypes.c_long
    fd = int(ruleset_fd)
    close = os.close
    # A call on no descriptor fails (EBADF) and changes nothing; made here, it lets the worker
    # pay for the first call's set-up instead of every child.
    raw(SYS_RESTRICT_SELF, -1, 0)

    def restrict() -> None:
        if raw(SYS_RESTRICT_SELF, fd, 0) != 0:
            lib = _libc(use_errno=True)
            err = 0
            if lib is not None and lib.syscall(SYS_RESTRICT_SELF, fd, 0) != 0:
                err = ctypes.get_errno()
            if err:
                raise OSError(err, f"landlock_restrict_self failed: {os.strerror(err)}")
        close(fd)

    return restrict


def restrict_now(writable_dirs: tuple[str, ...]) -> Ruleset:
    """Build a ruleset and enforce it on this process at once (the per-child variant, measured
    against building it once per worker)."""
    ruleset = build_ruleset(writable_dirs)
    try:
        set_no_new_privs()
        restrictor(ruleset.fd)()
    except BaseException:
        os.close(ruleset.fd)
        raise
    return ruleset
