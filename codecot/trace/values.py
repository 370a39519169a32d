"""Traced values as Python-literal reprs with type tags, and the safe way back.

``encode(value)`` returns ``(repr, tag)``.  For the builtin literal types (``int float complex
str bytes bool None list tuple dict set frozenset``, exact types only, nested) and ``range``
(``range(2, 7)``, tag ``range``) the repr equals
the builtin ``repr`` and is built here from the types' own C-level ``__repr__`` slots (which user
code cannot replace), so a program that monkey-patches ``builtins`` or defines odd ``__repr__``
methods cannot change or hang it.  Anything else, including subclasses of the literal types, is
written ``<ClassName object>`` with tag ``object:ClassName``; no user method is ever called.

Values too large to keep become an explicit marker such as ``<omitted list len=100000>`` with tag
``omitted:list``: a string whose repr would exceed :data:`MAX_REPR_CHARS`, containers holding more
than :data:`MAX_ELEMENTS` elements in all, nesting deeper than :data:`MAX_DEPTH`, ints too long
for ``int -> str`` (``<omitted int bits=N>``) and self-referencing containers
(``<omitted list recursive>``).  Sizes are checked before any text is built.

``decode(text)`` turns a repr back into the value by walking its AST; nothing is evaluated.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import math
import sys
from types import ModuleType
from typing import Any

# Builtin names used in this module resolve in a private snapshot taken at import (functions
# capture their module's ``__builtins__`` when defined), so a traced program that patches the
# ``builtins`` module cannot change what the tracer's own code calls.
__builtins__ = ModuleType("builtins")
vars(__builtins__).update(vars(builtins))

MAX_REPR_CHARS = 10_000
MAX_ELEMENTS = 2_000
MAX_DEPTH = 100
# int -> str is limited to 4300 digits by default (about 14284 bits); stay below it.
_MAX_INT_BITS = 14_000
_SMALL_INT = 10**100

# Captured at import so that a program patching ``builtins`` cannot subvert the encoder.
_type = builtins.type
_len = builtins.len
_id = builtins.id
_sorted = builtins.sorted
_isinstance = builtins.isinstance
_float = builtins.float
_complex = builtins.complex
_frozenset = builtins.frozenset
_set = builtins.set
_ValueError = builtins.ValueError
_int_repr = int.__repr__
_int_bits = int.bit_length
_float_repr = float.__repr__
_complex_repr = complex.__repr__
_str_repr = str.__repr__
_bytes_repr = bytes.__repr__
_str_join = str.join
_dict_items = dict.items
_dict_keys = dict.keys
_dict_values = dict.values
_map = builtins.map
_list = builtins.list
_type_name = type.__dict__["__name__"].__get__
_range_repr = range.__repr__
_range_start = range.__dict__["start"].__get__
_range_stop = range.__dict__["stop"].__get__
_range_step = range.__dict__["step"].__get__

_SCALAR_TAGS: dict[type, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    type(None): "None",
    bytes: "bytes",
    complex: "complex",
}
_CONTAINER_NAMES: dict[type, str] = {
    list: "list",
    tuple: "tuple",
    dict: "dict",
    set: "set",
    frozenset: "frozenset",
}


class _TooBig(Exception):
    """Raised inside the encoder when a value exceeds a limit."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class _Budget:
    """Characters and elements still allowed for the value being encoded."""

    __slots__ = ("active", "chars", "elems")

    def __init__(self) -> None:
        self.chars = MAX_REPR_CHARS
        self.elems = MAX_ELEMENTS
        self.active: set[int] = _set()


def _union(tags: list[str]) -> str:
    """Sorted ``A | B`` of distinct tags; ``list[]`` is dropped beside another ``list[...]``."""
    distinct = _sorted(_set(tags))
    if _len(distinct) > 1:
        kept = [
            t for t in distinct if not (t.endswith("[]") and any(o != t and o.startswith(t[:-1])
                                                                 for o in distinct))
        ]
        distinct = kept
    return " | ".join(distinct)


def _scalar(value: Any, t: type, budget: _Budget) -> tuple[str, str]:
    if t is int:
        if _int_bits(value) > _MAX_INT_BITS:
            raise _TooBig("int")
        try:
            text = _int_repr(value)
        except _ValueError:  # the program lowered sys.set_int_max_str_digits
            raise _TooBig("int") from None
    elif t is str:
        if _len(value) > budget.chars:
            raise _TooBig("str")
        text = _str_repr(value)
    elif t is float:
        text = _float_repr(value)
    elif t is bool:
        text = "True" if value else "False"
    elif value is None:
        text = "None"
    elif t is bytes:
        if _len(value) > budget.chars:
            raise _TooBig("bytes")
        text = _bytes_repr(value)
    else:
        text = _complex_repr(value)
    budget.chars -= _len(text)
    if budget.chars < 0:
        raise _TooBig("chars")
    return text, _SCALAR_TAGS[t]


_CHEAP_TYPES = frozenset({bool, type(None), float})
_INT_TYPES = frozenset({int, bool})
_STR_TYPES = (frozenset({str}), frozenset({bytes}))
_repr = builtins.repr
_max = builtins.max
_sum = builtins.sum


_INT_LIMIT = 1 << _MAX_INT_BITS
_int_digits_limit = sys.get_int_max_str_digits
_min = builtins.min


def _flat_ok(items: Any, chars: int) -> frozenset[type] | None:
    """The element types of ``items`` when builtin ``repr`` may render them: all of them
    bools/None/floats, all ints (of bounded size) or all strs/all bytes (of bounded length)."""
    types = _frozenset(_map(_type, items))
    if types <= _CHEAP_TYPES:
        return types
    if types <= _INT_TYPES:
        if 0 < _int_digits_limit() <= 4300:
            return types  # repr refuses huge ints quickly by itself
        ok = _max(items) < _INT_LIMIT and _min(items) > -_INT_LIMIT
        return types if ok else None
    if types in _STR_TYPES:
        return types if _sum(_map(_len, items)) <= chars else None
    return None


_FLAT_TAGS: dict[tuple[type, object], str] = {}
_tuple = builtins.tuple


def _names(types: Any) -> list[str]:
    return _list(_map(_SCALAR_TAGS.__getitem__, types))


def _flat_tag(t: type, name: str, key: Any) -> str:
    if t is tuple:
        return "tuple[" + _str_join(", ", _names(key)) + "]"
    if t is dict:
        ktypes, vtypes = key
        if not ktypes:
            return "dict[]"
        return "dict[" + _union(_names(ktypes)) + ", " + _union(_names(vtypes)) + "]"
    return name + "[" + _union(_names(key)) + "]" if key else name + "[]"


def _flat(value: Any, t: type, name: str, chars: int) -> tuple[str, str, bool] | None:
    """Fast path for a container whose elements are all scalars of the kinds in ``_flat_ok``:
    builtin ``repr`` runs only C code there and gives exactly the literal repr."""
    if t is dict:
        ktypes = _flat_ok(_dict_keys(value), chars)
        vtypes = _flat_ok(_dict_values(value), chars) if ktypes is not None else None
        if ktypes is None or vtypes is None:
            return None
        key: object = (ktypes, vtypes)
    else:
        types = _flat_ok(value, chars)
        if types is None:
            return None
        key = _tuple(_map(_type, value)) if t is tuple else types
    tag = _FLAT_TAGS.get((t, key))
    if tag is None:
        tag = _FLAT_TAGS[(t, key)] = _flat_tag(t, name, key)
    try:
        text = _repr(value)
    except _ValueError:  # an int past the int -> str limit the program set
        raise _TooBig("int") from None
    return text, tag, t is tuple or t is frozenset


_repeat = itertools.repeat
_chain = itertools.chain.from_iterable
_TUPLE_ONLY = frozenset({tuple})
_TUPLE_TAGS: dict[tuple[type, ...], str] = {}


def _tuple_tag(signature: tuple[type, ...]) -> str:
    tag = _TUPLE_TAGS.get(signature)
    if tag is None:
        tag = _TUPLE_TAGS[signature] = "tuple[" + _str_join(", ", _names(signature)) + "]"
    return tag


def _tuples(value: Any, t: type, name: str, budget: _Budget) -> tuple[str, str, bool] | None:
    """Fast path for a list, set or frozenset of tuples of scalars (as in ``_flat_ok``), such
    as ``[(1, 'a'), (2, 'b')]``: builtin ``repr`` gives the literal repr in C.  Declines (None)
    values near the limits, so that the general path decides exactly where they are cut; one
    clearly over the character limit raises as the general path would."""
    if t is dict or t is tuple or _frozenset(_map(_type, value)) != _TUPLE_ONLY:
        return None
    inner = _sum(_map(_len, value))
    if inner > budget.elems:
        return None
    if _flat_ok(_list(_chain(value)), budget.chars) is None:
        return None
    signatures = _set(_map(_tuple, _map(_map, _repeat(_type), value)))
    try:
        text = _repr(value)
    except _ValueError:  # an int past the int -> str limit the program set
        raise _TooBig("int") from None
    if _len(text) > budget.chars:
        # the general path counts at least one character per character of the repr
        raise _TooBig("chars")
    if _len(text) + 4 * (_len(value) + 1) > budget.chars:
        return None
    budget.elems -= inner
    budget.chars -= _len(text)
    tag = name + "[" + _union(_list(_map(_tuple_tag, signatures))) + "]"
    return text, tag, t is frozenset


def _encode(value: Any, budget: _Budget, depth: int) -> tuple[str, str, bool]:
    """(repr, tag, frozen): ``frozen`` says the repr cannot change while the value lives."""
    t = _type(value)
    if t in _SCALAR_TAGS:
        text, tag = _scalar(value, t, budget)
        return text, tag, True
    if t is range:
        bounds = (_range_start(value), _range_stop(value), _range_step(value))
        if any(_int_bits(b) > _MAX_INT_BITS for b in bounds):
            raise _TooBig("int")
        text = _range_repr(value)
        budget.chars -= _len(text)
        if budget.chars < 0:
            raise _TooBig("chars")
        return text, "range", True
    name = _CONTAINER_NAMES.get(t)
    if name is None:
        cls = _type_name(t)
        text = "<" + cls + " object>"
        budget.chars -= _len(text)
        if budget.chars < 0:
            raise _TooBig("chars")
        return text, "object:" + cls, True
    if depth >= MAX_DEPTH:
        raise _TooBig("depth")
    n = _len(value)
    budget.elems -= n
    if budget.elems < 0:
        raise _TooBig("elements")
    flat = _flat(value, t, name, budget.chars)
    if flat is not None:
        budget.chars -= _len(flat[0])
        if budget.chars < 0:
            raise _TooBig("chars")
        return flat
    if n and depth + 1 < MAX_DEPTH:
        nested = _tuples(value, t, name, budget)
        if nested is not None:
            return nested
    key = _id(value)
    if key in budget.active:
        raise _TooBig("recursive")
    budget.active.add(key)
    frozen = t is tuple or t is frozenset
    parts: list[str] = []
    tags: list[str] = []
    if t is dict:
        vtags: list[str] = []
        for k, v in _dict_items(value):
            ktext, ktag, _ = _encode(k, budget, depth + 1)
            vtext, vtag, _ = _encode(v, budget, depth + 1)
            parts.append(ktext + ": " + vtext)
            tags.append(ktag)
            vtags.append(vtag)
        budget.active.discard(key)
        text = "{" + _str_join(", ", parts) + "}"
        tag = "dict[" + _union(tags) + ", " + _union(vtags) + "]" if n else "dict[]"
    else:
        for item in value:
            itext, itag, ifz = _encode(item, budget, depth + 1)
            parts.append(itext)
            tags.append(itag)
            frozen = frozen and ifz
        budget.active.discard(key)
        body = _str_join(", ", parts)
        if t is list:
            text = "[" + body + "]"
        elif t is tuple:
            text = "(" + body + ",)" if n == 1 else "(" + body + ")"
        elif n == 0:
            text = name + "()"
        elif t is set:
            text = "{" + body + "}"
        else:
            text = "frozenset({" + body + "})"
        if t is tuple:
            tag = "tuple[" + _str_join(", ", tags) + "]"
        else:
            tag = name + "[" + _union(tags) + "]" if n else name + "[]"
    budget.chars -= 2 * n + 2
    if budget.chars < 0:
        raise _TooBig("chars")
    return text, tag, frozen


def _omitted(value: Any, reason: str) -> tuple[str, str, bool]:
    t = _type(value)
    name = _CONTAINER_NAMES.get(t) or _SCALAR_TAGS.get(t) or _type_name(t)
    if t is int:
        return "<omitted int bits=" + _int_repr(_int_bits(value)) + ">", "omitted:int", True
    if reason == "recursive":
        return "<omitted " + name + " recursive>", "omitted:" + name, False
    if reason == "depth":
        return "<omitted " + name + " depth>", "omitted:" + name, False
    size = _int_repr(_len(value))
    return "<omitted " + name + " len=" + size + ">", "omitted:" + name, t in _SCALAR_TAGS


def encode_frozen(value: Any) -> tuple[str, str, bool]:
    """``encode`` plus a flag saying the repr can be reused while ``value`` itself is alive."""
    t = _type(value)
    if t is int:
        if -_SMALL_INT < value < _SMALL_INT:
            return _int_repr(value), "int", True
    elif t is str:
        if _len(value) < 1000:
            return _str_repr(value), "str", True
    elif t is bool:
        return ("True" if value else "False"), "bool", True
    elif value is None:
        return "None", "None", True
    elif t in _CONTAINER_NAMES and _len(value) <= MAX_ELEMENTS:
        try:
            flat = _flat(value, t, _CONTAINER_NAMES[t], MAX_REPR_CHARS)
        except _TooBig as too_big:
            return _omitted(value, too_big.reason)
        if flat is not None:
            return flat if _len(flat[0]) <= MAX_REPR_CHARS else _omitted(value, "chars")
    try:
        result = _encode(value, _Budget(), 0)
    except _TooBig as too_big:
        return _omitted(value, too_big.reason)
    if _len(result[0]) > MAX_REPR_CHARS:
        return _omitted(value, "chars")
    return result


_FLAT_LEAVES = frozenset({"int", "str", "bool", "None", "bytes"})


def fingerprint(value: Any, tag: str) -> tuple[object, ...] | None:
    """A cheap snapshot of a mutable container of ints/strs/bools/bytes/None, else ``None``.

    While :func:`unchanged` holds for the snapshot, ``encode(value)`` gives the same result, so a
    tracer can reuse an earlier encoding of a list or dict that the program did not touch.
    """
    t = _type(value)
    if t is not list and t is not dict and t is not set:
        return None
    if _len(value) < 8:
        return None  # encoding a small container again costs about as much as checking it
    inner = tag[tag.find("[") + 1 : -1]
    if inner and not all(part in _FLAT_LEAVES for part in inner.replace(", ", " | ").split(" | ")):
        return None
    if t is dict:
        return (_list(_dict_items(value)), _list(_map(_type, _dict_keys(value))),
                _list(_map(_type, _dict_values(value))))
    return (_list(value), _list(_map(_type, value)))


def unchanged(value: Any, snapshot: tuple[object, ...]) -> bool:
    """True when ``value`` still matches a :func:`fingerprint` taken earlier."""
    if _type(value) is dict:
        return (
            _list(_dict_items(value)) == snapshot[0]
            and _list(_map(_type, _dict_keys(value))) == snapshot[1]
            and _list(_map(_type, _dict_values(value))) == snapshot[2]
        )
    items = _list(value)
    return items == snapshot[0] and _list(_map(_type, items)) == snapshot[1]


def encode(value: object) -> tuple[str, str]:
    """``(repr, type tag)`` of ``value``; see the module docstring for limits and markers."""
    text, tag, _ = encode_frozen(value)
    return text, tag


def type_tag(value: object) -> str:
    """The type tag of ``value`` (``int``, ``list[int | str]``, ``object:Foo``, ...)."""
    return encode_frozen(value)[1]


def is_literal_tag(tag: str) -> bool:
    """True when a value with this tag has a decodable literal repr."""
    return "object:" not in tag and not tag.startswith("omitted:")


def is_object_tag(tag: str) -> bool:
    """True when a value with this tag is itself an object with no literal repr (a function, an
    instance), not a container that holds one."""
    return tag.startswith("object:")


# --- decoding ------------------------------------------------------------------------------

_NAMES: dict[str, object] = {
    "nan": _float("nan"),
    "inf": _float("inf"),
    "infj": _complex(0.0, _float("inf")),
    "nanj": _complex(0.0, _float("nan")),
}
_CONSTANT_TYPES = (int, float, complex, str, bytes, bool, type(None))


def _real(node: ast.expr) -> float:
    """The real part of a complex literal, keeping ``-0`` as ``-0.0``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _real(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    value = _node(node)
    if _type(value) not in (int, float):
        raise _ValueError("bad complex literal")
    return _float(value)


def _node(node: ast.expr | None) -> Any:
    if isinstance(node, ast.Constant):
        if _type(node.value) not in _CONSTANT_TYPES:
            raise _ValueError("not a literal: " + _type_name(_type(node.value)))
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return _NAMES[node.id]
        raise _ValueError("name not allowed: " + node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _node(node.operand)
        if _type(operand) not in (int, float, complex):
            raise _ValueError("unary sign on a non-number")
        if not isinstance(node.op, ast.USub):
            return operand
        if _type(operand) is complex:
            # ``-1j`` is the repr of complex(0.0, -1.0): keep the real part's sign
            return _complex(operand.real, -operand.imag)
        return -operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        imag = _node(node.right)
        if _type(imag) is not complex or imag.real != 0:
            raise _ValueError("only complex literals may use + or -")
        im = imag.imag
        return _complex(_real(node.left), -im if isinstance(node.op, ast.Sub) else im)
    if isinstance(node, ast.Tuple):
        return tuple(_node(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_node(e) for e in node.elts]
    if isinstance(node, ast.Set):
        return {_node(e) for e in node.elts}
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _ValueError("dict unpacking not allowed")
        return {_node(k): _node(v) for k, v in zip(node.keys, node.values, strict=True)}
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
            and not node.keywords and 1 <= _len(node.args) <= 3):
        bounds = [_node(a) for a in node.args]
        if all(_type(b) is int for b in bounds):
            return range(*bounds)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("set", "frozenset")
        and not node.keywords
    ):
        if not node.args:
            return _set() if node.func.id == "set" else _frozenset()
        if node.func.id == "frozenset" and _len(node.args) == 1 and isinstance(node.args[0], ast.Set):
            return _frozenset(_node(node.args[0]))
    raise _ValueError("not a literal: " + _type_name(_type(node)))


def decode(text: str) -> object:
    """The value a literal repr denotes; ``ValueError`` if ``text`` is not such a repr."""
    if _type(text) is not str:
        raise _ValueError("repr must be a str")
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _node(tree.body)
    except _ValueError:
        raise
    except (SyntaxError, TypeError, RecursionError, MemoryError) as err:
        raise _ValueError("not a literal repr: " + _type_name(_type(err))) from None


def same_value(a: Any, b: Any) -> bool:
    """Equality that treats nan as equal to nan and keeps types apart (1 vs 1.0 vs True)."""
    ta, tb = _type(a), _type(b)
    if ta is not tb:
        return False
    if ta is float:
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if ta is complex:
        return same_value(a.real, b.real) and same_value(a.imag, b.imag)
    if ta in (list, tuple):
        return _len(a) == _len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict:
        if _len(a) != _len(b):
            return False
        return all(k in b and same_value(v, b[k]) for k, v in a.items())
    return a == b
