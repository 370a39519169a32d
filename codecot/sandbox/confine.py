"""Kernel-enforced confinement for a baseline tool's subprocess.

The benchmarks compare codecot with tools that must run the way their users run them, as a
fresh interpreter per record (PySnooper) or as their own command (CrossHair), so they cannot
be forked from a sandbox worker.  They still run corpus code, so :func:`confine_subprocess`
gives them the sandbox's kernel-enforced layers, applied in the child between fork and exec
(``preexec_fn``) and inherited by everything it starts:

- a new session (so a timeout kill reaches the whole group);
- CPU-time, address-space, file-size and process-count limits;
- an empty network namespace, where the kernel permits it;
- a Landlock domain (where the kernel has Landlock): file-system changes only beneath the
  subprocess's working directory (and ``/dev/null``), TCP bind and connect denied, signals to
  and abstract sockets of processes outside it denied;
- death with its parent.

What cannot be given to another interpreter is the audit hook, which lives in the worker's
own memory.  :attr:`SubprocessConfinement.layers` says what is enforced.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field
from typing import Any

from codecot.sandbox.guard import isolate_network, rlimits_for, set_parent_death_signal
from codecot.sandbox.landlock import build_ruleset, restrictor, set_no_new_privs
from codecot.sandbox.limits import Limits


@dataclass
class SubprocessConfinement:
    """A ``preexec_fn`` that confines a subprocess working in ``workdir``; close it after use."""

    workdir: str
    limits: Limits
    layers: dict[str, Any] = field(default_factory=dict)
    _ruleset_fd: int = -1

    def __post_init__(self) -> None:
        self.workdir = os.path.abspath(self.workdir)
        self.layers = {"rlimits": True, "session": True}
        try:
            ruleset = build_ruleset((self.workdir,))
        except OSError as exc:
            self.layers.update(landlock=False, landlock_error=str(exc.strerror or exc))
        else:
            self._ruleset_fd = ruleset.fd
            self.layers.update(landlock=True, **{k: v for k, v in ruleset.describe().items()
                                                 if k != "landlock"})
        self.layers["network_namespace"] = "when permitted"

    def __call__(self) -> None:
        """Runs in the child after fork, before exec: a failure aborts the exec."""
        os.setsid()
        for which, pair in rlimits_for(self.limits):
            resource.setrlimit(which, pair)
        isolate_network()
        set_parent_death_signal()
        if self._ruleset_fd >= 0:
            set_no_new_privs()
            restrictor(self._ruleset_fd)()

    def close(self) -> None:
        if self._ruleset_fd >= 0:
            os.close(self._ruleset_fd)
            self._ruleset_fd = -1

    def __enter__(self) -> SubprocessConfinement:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def confine_subprocess(workdir: str, *, cpu_seconds: float) -> SubprocessConfinement:
    """Confinement for subprocesses working in ``workdir`` (see the module): ``cpu_seconds``
    of CPU, 2 GiB of address space (an interpreter with its tool loaded), 1 MiB files, 64
    processes."""
    limits = Limits(cpu_seconds=cpu_seconds, wall_seconds=cpu_seconds, memory_mb=2048,
                    file_size_mb=1, max_processes=64)
    return SubprocessConfinement(workdir, limits)
