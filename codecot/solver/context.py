"""One Z3 context per thread and per process.

Z3 objects are neither thread- nor fork-safe, so every term this package builds belongs to the
context returned by :func:`ctx`.  A thread gets its own :class:`Z3Context` on first use; after a
``fork`` the child notices the changed process id and starts a fresh context instead of touching
the parent's.  Terms from different threads must never be mixed.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import z3


class Z3Context:
    """A Z3 context plus the sorts and constants the compiler uses again and again."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.z3: z3.Context = z3.Context()
        self.int_sort = z3.IntSort(self.z3)
        self.bool_sort = z3.BoolSort(self.z3)
        self.str_sort = z3.StringSort(self.z3)
        self.float_sort = z3.FPSort(11, 53, self.z3)
        self.rne = z3.RNE(self.z3)
        self.true = z3.BoolVal(True, self.z3)
        self.false = z3.BoolVal(False, self.z3)
        #: Caches owned by other modules (sorts of composite types, literal terms).
        self.cache: dict[Any, Any] = {}
        #: Literal terms of int, float and str values (see ``values.build_term``).
        self.literals: dict[Any, Any] = {}
        self.fresh_counter = 0


_local = threading.local()


def ctx() -> Z3Context:
    """Return this thread's context (created on first use, recreated after a fork)."""
    current: Z3Context | None = getattr(_local, "ctx", None)
    if current is None or current.pid != os.getpid():
        current = Z3Context()
        _local.ctx = current
    return current
