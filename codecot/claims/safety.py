"""Whether a whitelisted Python operation is safe to run in the main process.

Both evaluators of claim expressions (:mod:`codecot.claims.reference` and the solver's folding)
call whitelisted builtins and methods on concrete values.  Before such a call runs,
:func:`call_refusal` / :func:`method_refusal` say why it must not (or ``None``): a result that
could exceed :data:`MAX_SIZE` characters or items (``bytes(10**9)``, ``'{:>999999999}'``,
``'x' * 10**5`` joined with itself, a translation table that widens every character), a codec
outside the standard ones (looking one up may import code), or a format field that reads an
attribute (``'{0.__class__}'``).  Each caller raises its own exception with the reason.
"""

from __future__ import annotations

import re
import string
from collections.abc import ItemsView, KeysView, Mapping, ValuesView
from itertools import islice
from typing import Any

#: Largest str/bytes/list/tuple/dict/set an operation may build or consume.
MAX_SIZE = 100_000

#: Codecs ``str.encode`` / ``bytes.decode`` may use (normalized: lower case, ``-`` as ``_``).
CODECS = frozenset({
    "utf_8", "utf8", "u8", "utf", "ascii", "us_ascii", "latin_1", "latin1", "iso_8859_1",
    "iso8859_1", "l1", "utf_16", "utf16", "utf_16_le", "utf_16_be", "utf_32", "utf32",
    "utf_32_le", "utf_32_be", "cp1252",
})
#: Error handlers Python itself defines.
ERROR_HANDLERS = frozenset({
    "strict", "ignore", "replace", "backslashreplace", "xmlcharrefreplace", "namereplace",
    "surrogateescape", "surrogatepass",
})

_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})
_DIGITS = re.compile(r"\d+")
_TEXT = (str, bytes)


def text_size(value: Any, limit: int = MAX_SIZE) -> int:
    """An upper bound of ``len(repr(value))`` and ``len(str(value))``; counting stops once it
    passes ``limit`` (a list holding one long string many times is not walked to the end)."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        v = stack.pop()
        if isinstance(v, str):
            total += (2 * len(v) if v.isascii() and v.isprintable() else 10 * len(v)) + 2
        elif isinstance(v, bytes):
            total += 4 * len(v) + 3
        elif isinstance(v, bool) or v is None:
            total += 5
        elif isinstance(v, int):
            total += v.bit_length() * 31 // 100 + 2
        elif isinstance(v, float | complex):
            total += 50
        elif isinstance(v, Mapping):
            total += 2 + 4 * len(v)
            stack.extend(islice(v.items(), limit))
        elif isinstance(v, range):
            total += 40 + 3 * text_size(max(abs(v.start), abs(v.stop), abs(v.step)))
        elif isinstance(v, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
            total += 20 + 2 * len(v)
            stack.extend(islice(v, limit))
        else:
            total += 100
    return total


def call_refusal(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str | None:
    """Why the builtin call ``name(*args, **kwargs)`` must not run, or ``None``."""
    if name == "bytes" and args and isinstance(args[0], int) and args[0] > MAX_SIZE:
        return "bytes() too large"
    if name in ("str", "repr") and args and text_size(args[0]) > MAX_SIZE:
        return f"{name}() too long"
    if name in ("str", "bytes") and (len(args) > 1 or kwargs):  # str(b, 'utf-8'): a codec
        return _codec_refusal(args[1:], kwargs)
    return None


def method_refusal(receiver: Any, method: str, args: tuple[Any, ...],
                   kwargs: Mapping[str, Any]) -> str | None:
    """Why ``receiver.method(*args, **kwargs)`` must not run, or ``None`` (a call Python
    rejects anyway is let through, so that it raises as in Python)."""
    if not isinstance(receiver, _TEXT):
        return None
    if method in _PADDING:
        width = _argument(args, kwargs, 0, "width", 0)
        return "padding too large" if isinstance(width, int) and width > MAX_SIZE else None
    if method == "expandtabs":
        size = _argument(args, kwargs, 0, "tabsize", 8)
        tab: Any = "\t" if isinstance(receiver, str) else b"\t"
        if isinstance(size, int) and len(receiver) + receiver.count(tab) * size > MAX_SIZE:
            return "expanded tabs too long"
        return None
    if method == "replace":
        return _replace_refusal(receiver, args)
    if method == "join" and args:
        return _join_refusal(receiver, args[0])
    if method in ("encode", "decode"):
        return _codec_refusal(args, kwargs)
    if method == "translate" and isinstance(receiver, str) and args:
        return _translate_refusal(receiver, args[0])
    if method == "format" and isinstance(receiver, str):
        return _format_refusal(receiver, args, kwargs)
    return None


def _argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], pos: int, name: str,
              default: Any) -> Any:
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name, default)


def _replace_refusal(receiver: Any, args: tuple[Any, ...]) -> str | None:
    if len(args) < 2 or not all(isinstance(a, type(receiver)) for a in args[:2]):
        return None
    old, new = args[0], args[1]
    hits = receiver.count(old) if old else len(receiver) + 1
    if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
        hits = min(hits, args[2])
    if len(receiver) + hits * max(0, len(new) - len(old)) > MAX_SIZE:
        return "replacement too long"
    return None


def _join_refusal(sep: Any, items: Any) -> str | None:
    try:
        if iter(items) is items:
            return None  # a one-shot iterator: the caller materialises it first
        parts = list(islice(items, MAX_SIZE + 1))
    except TypeError:
        return None
    if not all(isinstance(p, type(sep)) for p in parts):
        return None  # Python raises TypeError
    if sum(map(len, parts)) + len(sep) * max(len(parts) - 1, 0) > MAX_SIZE:
        return "joined text too long"
    return None


def _codec_refusal(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str | None:
    encoding = _argument(args, kwargs, 0, "encoding", "utf-8")
    errors = _argument(args, kwargs, 1, "errors", "strict")
    if isinstance(encoding, str):
        key = encoding.strip().lower().replace("-", "_").replace(" ", "_")
        if key not in CODECS:
            return f"codec {encoding!r}"
    if isinstance(errors, str) and errors not in ERROR_HANDLERS:
        return f"error handler {errors!r}"
    return None


def _translate_refusal(text: str, table: Any) -> str | None:
    if isinstance(table, Mapping):
        values: Any = table.values()
    elif isinstance(table, list | tuple | str):
        values = table
    else:
        return None
    widest = max((len(v) for v in islice(values, MAX_SIZE + 1) if isinstance(v, str)), default=1)
    return "translated text too long" if len(text) * max(widest, 1) > MAX_SIZE else None


def _format_refusal(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str | None:
    try:
        fields = [f for f in string.Formatter().parse(fmt) if f[1] is not None]
    except ValueError:
        return None  # malformed: Python raises ValueError
    widest = 0
    for _, name, spec, _ in fields:
        if "." in (name or "") or "{" in (spec or ""):
            return "format field with an attribute or a nested field"
        for digits in _DIGITS.findall(spec or ""):
            if len(digits) > 6:
                return "format width too large"
            widest = max(widest, int(digits))
    values = [*args, *kwargs.values()]
    largest = max((len(v) if isinstance(v, str) else text_size(v) for v in values), default=0)
    if len(fmt) + len(fields) * (max(largest, 0) + widest) > MAX_SIZE:
        return "formatted text too long"
    return None
