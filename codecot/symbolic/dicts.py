"""Symbolic dict parameters for the sandbox child: :class:`SymDict`.

A dict parameter ``d`` with ``n`` entries is described by two sequence constants, ``d.keys`` and
``d.values`` (insertion order), whose length is pinned to ``n`` by the run's first constraint;
entry ``i`` has the key ``(seq.nth d.keys i)`` and the value ``(seq.nth d.values i)``, each a
shadow of its type (an int or str key, a value of any type a list may hold).  The domain
assumptions (equal lengths, distinct keys) are recorded as ``assume`` constraints.

Keys stay symbolic: hashing a shadow would pin it, so a :class:`SymDict` stores its entries
under their plain keys and keeps the key objects beside them.  Every lookup (``d[k]``, ``in``,
``get``, ``pop``, ``setdefault``, assignment, deletion, ``update``, ``==``) records what decided
it as a branch: found at entry ``j`` is ``key_j == k``; not found is ``key_i != k`` for every
entry.  Where the key types cannot be compared as terms (an int key looked up with a symbolic
float, an object of a user class) the keys involved are pinned instead.  Iteration, ``keys()``,
``values()``, ``items()``, ``popitem()`` and ``copy()`` hand out the shadowed key and value
objects in insertion order; code that hashes a key elsewhere (a plain dict or set built from
them) pins it there, which is recorded as usual.
"""

from __future__ import annotations

import copy
import reprlib
from collections.abc import ItemsView, Iterable, Iterator, KeysView, ValuesView
from typing import Any

from codecot.symbolic import terms as tm
from codecot.symbolic.floats import SymFloat
from codecot.symbolic.recorder import REC
from codecot.symbolic.shadows import SymInt, pin, pin_deep
from codecot.symbolic.strings import SymStr
from codecot.symbolic.terms import FLOAT, INT, STR, T, int_lit

_MISSING = object()
_int_index = int.__index__


def plain_key(k: Any) -> Any:
    """The plain value of a key, without pinning it (hashing that is free of recording)."""
    if isinstance(k, SymStr):
        return str.__str__(k)
    if isinstance(k, SymInt):
        return _int_index(k)
    if isinstance(k, SymFloat):
        return float.__float__(k)
    return k


def key_term(k: Any) -> T | None:
    """The term of a key as an int, str or float (None for other objects)."""
    t: T | None = getattr(k, "_t", None)
    if t is not None and isinstance(k, SymInt | SymStr | SymFloat):
        return t
    if isinstance(k, bool):
        return int_lit(int(k))
    if isinstance(k, int):
        return int_lit(_int_index(k))
    if isinstance(k, float):
        return tm.float_lit(k)
    if isinstance(k, str):
        return tm.str_lit(k)
    return None


def _family(x: Any) -> str | None:
    if isinstance(x, str):
        return "str"
    if isinstance(x, int | float | complex):
        return "number"
    if x is None:
        return "None"
    if isinstance(x, tuple | frozenset):
        return type(x).__name__
    return None  # an object whose equality we do not know


def _compare(stored: Any, probe: Any) -> T | None:
    """The condition ``stored == probe`` as a term; None when it is decided by the types alone
    (nothing to record), after pinning both when it can only be decided concretely."""
    ts, tp = key_term(stored), key_term(probe)
    if ts is not None and tp is not None and ts.sort == tp.sort:
        if (ts.lit and tp.lit) or ts.text == tp.text:
            return None
        return tm.eq(ts, tp)
    fs, fp = _family(plain_key(stored)), _family(plain_key(probe))
    if fs is not None and fp is not None and fs != fp:
        return None  # e.g. a str never equals an int
    if ts is not None and tp is not None and {ts.sort, tp.sort} <= {INT, FLOAT}:
        pass  # an int against a float: decided on the pinned values below
    elif ts is not None and tp is not None and STR in (ts.sort, tp.sort):
        return None
    pin_deep(stored)
    pin_deep(probe)
    return None


def record_lookup(stored_keys: Iterable[Any], probe: Any, found: Any) -> None:
    """Record why ``probe`` was (``found`` is the matching stored key) or was not found."""
    if not REC.active:
        return
    if found is not _MISSING:
        cond = _compare(found, probe)
        if cond is not None:
            REC.branch(cond, True)
        return
    conds = [c for c in (_compare(k, probe) for k in stored_keys) if c is not None]
    if conds:
        REC.branch(tm.or_(*conds), False)


def find_in(mapping: dict[Any, Any], probe: Any) -> Any:
    """The key of the plain dict ``mapping`` that equals ``probe`` (recorded), else _MISSING."""
    p = plain_key(probe)
    found: Any = _MISSING
    if isinstance(mapping, SymDict):
        return mapping._find(probe)
    try:
        present = p in mapping
    except TypeError:
        present = False
    if present:
        for k in list(dict.keys(mapping)):
            if plain_key(k) == p:
                found = k
                break
    record_lookup(list(dict.keys(mapping)), probe, found)
    return found


class _Keys(KeysView):
    _mapping: SymDict

    def __iter__(self) -> Iterator[Any]:
        return iter(self._mapping)

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self._mapping)

    def __repr__(self) -> str:
        return f"dict_keys({list(self)!r})"


class _Values(ValuesView):
    _mapping: SymDict

    def __iter__(self) -> Iterator[Any]:
        return self._mapping._iter_values()

    def __reversed__(self) -> Iterator[Any]:
        return reversed(list(self._mapping._iter_values()))

    def __repr__(self) -> str:
        return f"dict_values({list(self)!r})"


class _Items(ItemsView):
    _mapping: SymDict

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self._mapping._iter_items()

    def __reversed__(self) -> Iterator[tuple[Any, Any]]:
        return reversed(list(self._mapping._iter_items()))

    def __repr__(self) -> str:
        return f"dict_items({list(self)!r})"


class SymDict(dict):
    """A dict whose keys keep their shadows (see the module doc).

    The underlying dict maps plain keys to the values; ``_kobj`` maps the same plain keys, in
    the same order, to the key objects.
    """

    def __init__(self, entries: Iterable[tuple[Any, Any]] = ()) -> None:
        dict.__init__(self)
        self._kobj: dict[Any, Any] = {}
        for k, v in entries:
            self._insert(k, v)

    def _insert(self, k: Any, v: Any) -> None:
        p = plain_key(k)
        dict.__setitem__(self, p, v)
        self._kobj[p] = k

    def _find(self, probe: Any) -> Any:
        """The stored key object equal to ``probe`` (the lookup recorded), else _MISSING."""
        p = plain_key(probe)
        try:
            present = dict.__contains__(self, p)
        except TypeError:
            raise TypeError(f"unhashable type: '{type(probe).__name__}'") from None
        found = self._kobj[p] if present else _MISSING
        record_lookup(self._kobj.values(), probe, found)
        return found

    # lookups ---------------------------------------------------------------------------------
    def __getitem__(self, k: Any) -> Any:
        found = self._find(k)
        if found is _MISSING:
            raise KeyError(k)
        return dict.__getitem__(self, plain_key(found))

    def __contains__(self, k: object) -> bool:
        return self._find(k) is not _MISSING

    def get(self, k: Any, default: Any = None) -> Any:
        found = self._find(k)
        return default if found is _MISSING else dict.__getitem__(self, plain_key(found))

    def __setitem__(self, k: Any, v: Any) -> None:
        found = self._find(k)
        if found is _MISSING:
            self._insert(k, v)
        else:
            dict.__setitem__(self, plain_key(found), v)

    def __delitem__(self, k: Any) -> None:
        found = self._find(k)
        if found is _MISSING:
            raise KeyError(k)
        p = plain_key(found)
        dict.__delitem__(self, p)
        del self._kobj[p]

    def pop(self, k: Any, *default: Any) -> Any:
        if len(default) > 1:
            raise TypeError(f"pop expected at most 2 arguments, got {1 + len(default)}")
        found = self._find(k)
        if found is _MISSING:
            if default:
                return default[0]
            raise KeyError(k)
        p = plain_key(found)
        del self._kobj[p]
        return dict.pop(self, p)

    def setdefault(self, k: Any, default: Any = None) -> Any:
        found = self._find(k)
        if found is _MISSING:
            self._insert(k, default)
            return default
        return dict.__getitem__(self, plain_key(found))

    def popitem(self) -> tuple[Any, Any]:
        if not len(self):
            raise KeyError("popitem(): dictionary is empty")
        _, v = dict.popitem(self)
        _, k = self._kobj.popitem()
        return k, v

    def update(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 argument, got {len(args)}")
        if args:
            other = args[0]
            if isinstance(other, SymDict):
                for k, v in list(other._iter_items()):
                    self[k] = v
            elif isinstance(other, dict):
                for k in list(dict.keys(other)):
                    self[k] = dict.__getitem__(other, k)
            elif hasattr(other, "keys"):
                for k in list(other.keys()):
                    self[k] = other[k]
            else:
                for i, item in enumerate(other):
                    pair = list(item)
                    if len(pair) != 2:
                        raise ValueError(f"dictionary update sequence element #{i} has length "
                                         f"{len(pair)}; 2 is required")
                    self[pair[0]] = pair[1]
        for k, v in kwargs.items():
            self[k] = v

    def clear(self) -> None:
        dict.clear(self)
        self._kobj.clear()

    def copy(self) -> SymDict:
        return SymDict(list(self._iter_items()))

    def __copy__(self) -> SymDict:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> SymDict:
        return SymDict([(k, copy.deepcopy(v, memo)) for k, v in self._iter_items()])

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (dict, ({pin(k): pin_deep(v) for k, v in self._iter_items()},))

    @classmethod
    def fromkeys(cls, iterable: Iterable[Any], value: Any = None) -> dict[Any, Any]:
        return dict.fromkeys(iterable, value)

    # iteration -------------------------------------------------------------------------------
    def _checked(self, items: list[Any]) -> Iterator[Any]:
        n = len(self)
        for x in items:
            yield x
            if len(self) != n:
                raise RuntimeError("dictionary changed size during iteration")

    def __iter__(self) -> Iterator[Any]:
        return self._checked(list(self._kobj.values()))

    def __reversed__(self) -> Iterator[Any]:
        return self._checked(list(reversed(self._kobj.values())))

    def _iter_values(self) -> Iterator[Any]:
        return self._checked(list(dict.values(self)))

    def _iter_items(self) -> Iterator[tuple[Any, Any]]:
        return self._checked(list(zip(self._kobj.values(), dict.values(self), strict=True)))

    def keys(self) -> Any:
        return _Keys(self)

    def values(self) -> Any:
        return _Values(self)

    def items(self) -> Any:
        return _Items(self)

    # comparison and operators ----------------------------------------------------------------
    def __eq__(self, other: object) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        if len(self) != len(other):
            return False
        for k, v in list(self._iter_items()):
            found = find_in(other, k)
            if found is _MISSING:
                return False
            w = dict.__getitem__(other, plain_key(found))
            if not (v is w or v == w):
                return False
        return True

    def __ne__(self, other: object) -> Any:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None

    def __or__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        new = self.copy()
        new.update(other)
        return new

    def __ror__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        new = SymDict(list(dict.items(other)))
        new.update(self)
        return new

    def __ior__(self, other: Any) -> Any:
        self.update(other)
        return self

    @reprlib.recursive_repr("{...}")
    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self._iter_items()) + "}"

    __str__ = __repr__


def sym_type(x: Any) -> type:
    """``type(x)`` as the user program would see it without shadows."""
    t = type(x)
    if t is SymDict:
        return dict
    if t is SymInt:
        return int
    if t is SymStr:
        return str
    if t is SymFloat:
        return float
    return t
