"""Keep the ``builtins`` module as it was between traced runs, cheaply.

Each traced run gets its own copy of the builtins as its module's ``__builtins__``, and the
real ``builtins`` module, which a program may patch (``import builtins; builtins.len = ...``),
is put back the way it was before the next run.

Copying the builtins, comparing them and freeing a copy each touch the reference count of every
builtin object, which in a forked sandbox child costs a page copy for every page those objects
sit on (about 60 pages).  So:

* :func:`prepare_spares`, called in the sandbox worker before it forks any child, makes the
  copies a child's runs will need; :func:`take_copy` hands them out (and keeps them referenced,
  so that they are never freed in the child), falling back to a fresh copy;
* :func:`snapshot` / :func:`restore` decide whether a run changed the builtins from the dict's
  version tag (PEP 509: CPython gives a dict a new version on every change), read without
  touching the builtins' values; where the running interpreter's dict layout does not pass a
  self-test, they compare the dicts item by item instead.
"""

from __future__ import annotations

import builtins
import ctypes
from collections.abc import Callable
from types import ModuleType
from typing import Any

# Builtin names used in this module resolve in a private snapshot taken at import (functions
# capture their module's ``__builtins__`` when defined), so a traced program that patches the
# ``builtins`` module cannot change what this module's own code calls.
__builtins__ = ModuleType("builtins")
vars(__builtins__).update(vars(builtins))

_BUILTINS = builtins.__dict__
_len = builtins.len
_dict = builtins.dict
_BaseException = builtins.BaseException

SPARES = 4
"""Copies a sandbox child uses: a pristine snapshot and a module copy for each of two runs."""

_VERSION_OFFSET = 3 * ctypes.sizeof(ctypes.c_ssize_t)  # after refcount, type, ma_used


def version_reader(target: dict[str, Any]) -> Callable[[], int] | None:
    """A function returning ``target``'s PEP 509 version tag, or None where this interpreter's
    dicts do not carry one at the expected place (checked on a scratch dict first)."""
    try:
        probe: dict[str, int] = {}
        tag = ctypes.c_uint64.from_address(id(probe) + _VERSION_OFFSET)
        used = ctypes.c_ssize_t.from_address(id(probe) + _VERSION_OFFSET - ctypes.sizeof(
            ctypes.c_ssize_t))
        before = tag.value
        probe["x"] = 1
        added = tag.value
        probe["x"] = 2
        replaced = tag.value
        if not (used.value == 1 and before != added != replaced != before and tag.value == replaced):
            return None
        field = ctypes.c_uint64.from_address(id(target) + _VERSION_OFFSET)
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    if _len(target) != ctypes.c_ssize_t.from_address(
        id(target) + _VERSION_OFFSET - ctypes.sizeof(ctypes.c_ssize_t)
    ).value:
        return None
    return lambda: int(field.value)


_version = version_reader(_BUILTINS)
_spares: list[dict[str, Any]] = []
_spares_version = -1
_kept: list[dict[str, Any]] = []


def prepare_spares(count: int = SPARES) -> None:
    """Make ``count`` copies of the builtins for the runs of the next forked children.

    Only where the version tag works (else a child compares item by item anyway, and spares
    would save little).  The copies are valid while the builtins keep their current version.
    """
    global _spares_version
    if _version is None:
        return
    _spares[:] = [_dict(_BUILTINS) for _ in range(count)]
    _spares_version = _version()


def take_copy() -> dict[str, Any]:
    """A copy of the builtins as they are now: a spare when one is left and still current,
    else a fresh copy.  Spares handed out stay referenced, so that freeing them never touches
    every builtin."""
    if _spares:
        if _version is not None and _version() == _spares_version:
            copy = _spares.pop()
            _kept.append(copy)
            return copy
        _spares.clear()
    return _dict(_BUILTINS)


def snapshot() -> tuple[dict[str, Any], int]:
    """The builtins before a run: a copy to restore from and the current version tag (-1 where
    there is no version tag)."""
    return take_copy(), (_version() if _version is not None else -1)


def restore(clean: dict[str, Any], version: int) -> None:
    """Undo any change a run made to the real ``builtins`` module since :func:`snapshot`."""
    current = _BUILTINS
    if _version is not None and _version() == version:
        return
    if _version is None:
        try:
            if _len(current) == _len(clean) and clean.items() <= current.items():
                return
        except _BaseException:  # a value the program put there compared badly
            pass
    current.clear()
    current.update(clean)
