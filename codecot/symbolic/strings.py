"""Symbolic strings for the sandbox child: :class:`SymStr`, a ``str`` with a shadow term.

Modelled with Z3's string theory (no length pinned): ``+``, ``*`` (count pinned), comparisons,
``in``, ``len``, indexing and slicing with step 1, ``join``, ``replace``, ``find``/``index``,
``startswith``/``endswith``, ``removeprefix``/``removesuffix``, and the character classes
``isdigit isdecimal isnumeric isalpha isalnum isspace isupper islower isascii`` (as regular
languages over ASCII).  Modelled per character at the concrete length (the length is pinned):
iteration, reversal, slicing with other steps, ``upper lower swapcase casefold capitalize
title``, ``count`` of one character, ``split``/``rsplit`` on whitespace or one character, the
``strip`` family.  Case mapping and character classes assume ASCII text (an ``assume``
constraint); a string with other characters is pinned instead.  Everything else pins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from codecot.symbolic import terms as tm
from codecot.symbolic.recorder import REC
from codecot.symbolic.shadows import (
    ImmutableShadow,
    SymInt,
    install_fallbacks,
    int_term,
    mk_int,
    pin,
    pin_deep,
)
from codecot.symbolic.terms import BOOL, INT, STR, T, app, int_lit

_str_new = str.__new__
_plain = str.__str__
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_LOWER, _UPPER = tm.re_range("a", "z"), tm.re_range("A", "Z")
_DIGIT = tm.re_range("0", "9")
_ALPHA = tm.re_union(_LOWER, _UPPER)
_NOT_LOWER = tm.re_union(tm.re_range("\x00", "`"), tm.re_range("{", "\x7f"))
_NOT_UPPER = tm.re_union(tm.re_range("\x00", "@"), tm.re_range("[", "\x7f"))
_SPACE = tm.re_chars(WHITESPACE)
_CLASS_RE = {
    "isdigit": f"(re.+ {_DIGIT})", "isdecimal": f"(re.+ {_DIGIT})",
    "isnumeric": f"(re.+ {_DIGIT})", "isalpha": f"(re.+ {_ALPHA})",
    "isalnum": f"(re.+ {tm.re_union(_ALPHA, _DIGIT)})", "isspace": f"(re.+ {_SPACE})",
    "isupper": f"(re.++ (re.* {_NOT_LOWER}) {_UPPER} (re.* {_NOT_LOWER}))",
    "islower": f"(re.++ (re.* {_NOT_UPPER}) {_LOWER} (re.* {_NOT_UPPER}))",
}


def str_term(x: object) -> T | None:
    if isinstance(x, SymStr):
        return x._t
    if isinstance(x, str):
        return tm.str_lit(x)
    return None


def lit(value: str) -> Any:
    """``value`` as a shadowed string with a literal term (plain if Z3 cannot hold it)."""
    t = tm.str_lit(value)
    return value if t is None else SymStr(value, t)


def mk_str(value: str, term: T) -> Any:
    if term.lit:
        return lit(value)
    if len(term.text) > tm.MAX_TERM_CHARS:
        literal = tm.str_lit(value)
        if literal is None:
            return value
        REC.pin(term, literal)
        return SymStr(value, literal)
    return SymStr(value, term)


def int_to_str(x: SymInt) -> Any:
    v = int.__index__(x)
    t = x._t
    if t.lit:
        return lit(str(v))
    from_int = app(STR, "str.from_int", t)
    neg = tm.concat(tm.T(STR, '"-"', True), app(STR, "str.from_int", app(INT, "-", t)))
    return mk_str(str(v), tm.ite(app(BOOL, ">=", t, int_lit(0)), from_int, neg))


def _between(code: T, lo: str, hi: str) -> T:
    return tm.and_(app(BOOL, "<=", int_lit(ord(lo)), code), app(BOOL, "<=", code, int_lit(ord(hi))))


def _shift(c: T, lo: str, hi: str, delta: int) -> T:
    """The character ``c`` moved by ``delta`` code points when it lies in ``lo``..``hi``
    (integer code arithmetic: easier for the solver than regular expressions)."""
    code = tm.code_of(c)
    return app(STR, "str.from_code", tm.ite(_between(code, lo, hi),
                                           app(INT, "+", code, int_lit(delta)), code))


def _upper_c(c: T) -> T:
    return _shift(c, "a", "z", -32)


def _lower_c(c: T) -> T:
    return _shift(c, "A", "Z", 32)


def _swap_c(c: T) -> T:
    code = tm.code_of(c)
    moved = tm.ite(_between(code, "A", "Z"), app(INT, "+", code, int_lit(32)),
                   tm.ite(_between(code, "a", "z"), app(INT, "-", code, int_lit(32)), code))
    return app(STR, "str.from_code", moved)


def _norm_bound(x: T, length: T) -> T:
    """A slice bound made non-negative and clipped to the length, as Python does."""
    if x.lit:
        v = int(x.text) if not x.text.startswith("(") else -int(x.text[3:-1])
        if v >= 0:
            return tm.ite(app(BOOL, ">", x, length), length, x) if v else x
        shifted = app(INT, "+", length, x)
        return tm.ite(app(BOOL, "<", shifted, int_lit(0)), int_lit(0), shifted)
    shifted = app(INT, "+", x, length)
    neg = tm.ite(app(BOOL, "<", shifted, int_lit(0)), int_lit(0), shifted)
    pos = tm.ite(app(BOOL, ">", x, length), length, x)
    return tm.ite(app(BOOL, "<", x, int_lit(0)), neg, pos)


class SymStr(ImmutableShadow, str):
    """A str with a shadow term (sort String)."""

    _t: T

    def __new__(cls, value: str, term: T) -> SymStr:
        obj = _str_new(cls, value)
        obj._t = term
        return obj

    # helpers -----------------------------------------------------------------------------
    @property
    def _lit(self) -> bool:
        return self._t.lit

    def _chars(self) -> list[T]:
        """Character terms at the concrete length (pinned)."""
        v = _plain(self)
        if self._t.lit:
            return [tm.str_lit(c) or tm.T(STR, '""', True) for c in v]
        REC.pin(tm.length(self._t), int_lit(len(v)))
        return [tm.char_at(self._t, int_lit(i)) for i in range(len(v))]

    def _ascii(self) -> bool:
        """Assume the string is ASCII (recorded); False if it is not (the caller pins)."""
        v = _plain(self)
        if not v.isascii():
            return False
        if not self._t.lit:
            REC.assume(tm.in_re(self._t, tm.ASCII_RE))
        return True

    def _map(self, fn: Callable[[int, T], T], result: str) -> Any:
        if self._t.lit:
            return lit(result)
        if not self._ascii():
            pin(self)
            return lit(result)
        chars = self._chars()
        if not chars:
            return lit("")
        return mk_str(result, tm.concat(*(fn(i, c) for i, c in enumerate(chars))))

    # operators ---------------------------------------------------------------------------
    def __add__(self, o: object) -> Any:
        tb = str_term(o)
        if tb is None:
            return NotImplemented
        return mk_str(_plain(self) + _plain(o), tm.concat(self._t, tb))

    def __radd__(self, o: object) -> Any:
        ta = str_term(o)
        if ta is None:
            return NotImplemented
        return mk_str(_plain(o) + _plain(self), tm.concat(ta, self._t))

    def __mul__(self, n: object) -> Any:
        if not isinstance(n, int):
            return NotImplemented
        k = pin(n)
        v = _plain(self) * k
        if k <= 0:
            return lit("")
        if k > 64:
            pin(self)
            return lit(v)
        return mk_str(v, tm.concat(*([self._t] * k)))

    __rmul__ = __mul__

    def __mod__(self, args: object) -> Any:
        return lit(_plain(self) % pin_deep(args))

    def __rmod__(self, fmt: object) -> Any:
        return NotImplemented

    def _compare(self, o: object, op: str) -> Any:
        tb = str_term(o)
        if tb is None:
            return NotImplemented
        a, b = _plain(self), _plain(o)
        if op == "==":
            return REC.branch(tm.eq(self._t, tb), a == b)
        if op == "!=":
            return REC.branch(tm.not_(tm.eq(self._t, tb)), a != b)
        if op == "<":
            return REC.branch(app(BOOL, "str.<", self._t, tb), a < b)
        if op == "<=":
            return REC.branch(app(BOOL, "str.<=", self._t, tb), a <= b)
        if op == ">":
            return REC.branch(app(BOOL, "str.<", tb, self._t), a > b)
        return REC.branch(app(BOOL, "str.<=", tb, self._t), a >= b)

    def __eq__(self, o: object) -> Any: return self._compare(o, "==")
    def __ne__(self, o: object) -> Any: return self._compare(o, "!=")
    def __lt__(self, o: object) -> Any: return self._compare(o, "<")
    def __le__(self, o: object) -> Any: return self._compare(o, "<=")
    def __gt__(self, o: object) -> Any: return self._compare(o, ">")
    def __ge__(self, o: object) -> Any: return self._compare(o, ">=")

    def __hash__(self) -> int:
        return hash(pin(self))

    def __len__(self) -> int:
        n = len(_plain(self))
        if not self._t.lit:
            REC.pin(tm.length(self._t), int_lit(n))
        return n

    def sym_len(self) -> Any:
        """``len(self)`` as a shadowed int (nothing pinned)."""
        n = len(_plain(self))
        return SymInt(n, int_lit(n) if self._t.lit else tm.length(self._t))

    def __bool__(self) -> bool:
        v = _plain(self)
        return REC.branch(tm.not_(tm.eq(self._t, tm.T(STR, '""', True))), v != "")

    def __contains__(self, o: object) -> bool:
        tb = str_term(o)
        if tb is None:
            return str.__contains__(_plain(self), o)  # type: ignore[operator]  # raises
        result = str.__contains__(_plain(self), _plain(o))
        return REC.branch(app(BOOL, "str.contains", self._t, tb), result)

    def __getitem__(self, key: Any) -> Any:
        v = _plain(self)
        if isinstance(key, slice):
            return self._slice(key)
        if not isinstance(key, int):
            return str.__getitem__(v, key)
        i, ti = int.__index__(key), int_term(key)
        assert ti is not None
        n, length = len(v), tm.length(self._t)
        inside = -n <= i < n
        if self._t.lit and ti.lit:
            return lit(v[i])
        if ti.lit:
            cond = app(BOOL, "<", ti, length) if i >= 0 else app(BOOL, "<=", int_lit(-i), length)
            idx = ti if i >= 0 else app(INT, "+", length, ti)
        else:
            cond = tm.and_(app(BOOL, "<=", app(INT, "-", length), ti), app(BOOL, "<", ti, length))
            idx = tm.ite(app(BOOL, "<", ti, int_lit(0)), app(INT, "+", length, ti), ti)
        if not REC.branch(cond, inside):
            raise IndexError("string index out of range")
        return mk_str(v[i], tm.char_at(self._t, idx))

    def _slice(self, key: slice) -> Any:
        v = _plain(self)
        step = pin(key.step)
        if step is not None and not isinstance(step, int):
            return str.__getitem__(v, key)
        result = v[key.start if key.start is None else int.__index__(key.start):
                   key.stop if key.stop is None else int.__index__(key.stop):step]
        if self._t.lit and all(b is None or (int_term(b) or tm.T(INT, "", False)).lit
                               for b in (key.start, key.stop)):
            return lit(result)
        if step is None or step == 1:
            length = tm.length(self._t)
            bounds = []
            for b, default in ((key.start, int_lit(0)), (key.stop, length)):
                tb = None if b is None else int_term(b)
                bounds.append(default if tb is None else _norm_bound(tb, length))
            lo, hi = bounds
            return mk_str(result, tm.extract(self._t, lo, app(INT, "-", hi, lo)))
        start, stop = pin(key.start), pin(key.stop)
        chars = self._chars()
        picked = [chars[i] for i in range(len(v))[start:stop:step]]
        return lit("") if not picked else mk_str(result, tm.concat(*picked))

    def __iter__(self) -> Iterator[Any]:
        v = _plain(self)
        return iter([mk_str(c, t) for c, t in zip(v, self._chars(), strict=True)])

    def __reversed__(self) -> Iterator[Any]:
        return reversed(list(self.__iter__()))

    def __str__(self) -> Any:
        return self

    def __repr__(self) -> str:
        return str.__repr__(_plain(self) if not REC.active else pin(self))

    def __format__(self, spec: str) -> Any:
        if spec == "":
            return self
        return lit(format(pin(self), spec))

    def __reduce__(self) -> Any:
        return (str, (_plain(self),))

    # methods -----------------------------------------------------------------------------
    def join(self, iterable: Any) -> Any:
        items = list(iterable)
        result = str.join(_plain(self), [_plain(x) if isinstance(x, str) else x for x in items])
        if not items:
            return lit("")
        parts: list[T] = []
        for k, x in enumerate(items):
            if k:
                parts.append(self._t)
            t = str_term(x)
            if t is None:
                pin(self)
                return lit(result)
            parts.append(t)
        return mk_str(result, tm.concat(*parts))

    def replace(self, old: Any, new: Any, count: Any = -1) -> Any:
        count = pin(count)
        to, tn = str_term(old), str_term(new)
        result = str.replace(_plain(self), _plain(old), _plain(new), count)
        if to is None or tn is None:
            return lit(result)
        if count == 0:
            return self
        if _plain(old) == "" or count not in (-1, 1):
            pin(self), pin(old), pin(new)
            return lit(result)
        if not to.lit:
            REC.branch(tm.not_(tm.eq(to, tm.T(STR, '""', True))), True)
        op = "str.replace" if count == 1 else "str.replace_all"
        return mk_str(result, app(STR, op, self._t, to, tn))

    def count(self, sub: Any, *bounds: Any) -> Any:
        ts = str_term(sub)
        if ts is None or bounds:
            return str.count(pin(self), pin(sub), *(pin(b) for b in bounds))
        v, s = _plain(self), _plain(sub)
        result = v.count(s)
        if self._t.lit and ts.lit:
            return result
        if s == "":
            return mk_int(result, app(INT, "+", tm.length(self._t), int_lit(1)))
        if len(s) != 1:
            return str.count(pin(self), pin(sub))
        if not ts.lit:
            REC.pin(tm.length(ts), int_lit(1))
        chars = self._chars()
        if not chars:
            return 0
        ones = [tm.ite(tm.eq(c, ts), int_lit(1), int_lit(0)) for c in chars]
        return mk_int(result, ones[0] if len(ones) == 1 else app(INT, "+", *ones))

    def find(self, sub: Any, start: Any = None, end: Any = None) -> Any:
        ts = str_term(sub)
        st = 0 if start is None else start
        if ts is None or end is not None or not isinstance(st, int) or int.__index__(st) < 0:
            return str.find(pin(self), pin(sub), pin(start), pin(end))
        result = str.find(_plain(self), _plain(sub), int.__index__(st))
        tst = int_term(st)
        assert tst is not None
        return mk_int(result, app(INT, "str.indexof", self._t, ts, tst))

    def index(self, sub: Any, start: Any = None, end: Any = None) -> Any:
        found = self.find(sub, start, end)
        if found == -1:
            raise ValueError("substring not found")
        return found

    def startswith(self, prefix: Any, start: Any = None, end: Any = None) -> bool:
        return self._affix(prefix, start, end, "str.prefixof", str.startswith)

    def endswith(self, suffix: Any, start: Any = None, end: Any = None) -> bool:
        return self._affix(suffix, start, end, "str.suffixof", str.endswith)

    def _affix(self, x: Any, start: Any, end: Any, op: str, method: Any) -> bool:
        if isinstance(x, tuple):
            return any(self._affix(p, start, end, op, method) for p in x)
        tx = str_term(x)
        if tx is None or start is not None or end is not None:
            return bool(method(pin(self), pin_deep(x), pin(start), pin(end)))
        result = bool(method(_plain(self), _plain(x)))
        return REC.branch(app(BOOL, op, tx, self._t), result)

    def removeprefix(self, prefix: Any) -> Any:
        tp = str_term(prefix)
        if tp is None:
            return str.removeprefix(_plain(self), prefix)
        if not self.startswith(prefix):
            return self
        v = _plain(self)[len(_plain(prefix)):]
        lp = tm.length(tp)
        return mk_str(v, tm.extract(self._t, lp, app(INT, "-", tm.length(self._t), lp)))

    def removesuffix(self, suffix: Any) -> Any:
        ts = str_term(suffix)
        if ts is None:
            return str.removesuffix(_plain(self), suffix)
        if _plain(suffix) == "" or not self.endswith(suffix):
            return self
        v = _plain(self)[:-len(_plain(suffix))]
        return mk_str(v, tm.extract(self._t, int_lit(0),
                                    app(INT, "-", tm.length(self._t), tm.length(ts))))

    def upper(self) -> Any:
        return self._map(lambda i, c: _upper_c(c), _plain(self).upper())

    def lower(self) -> Any:
        return self._map(lambda i, c: _lower_c(c), _plain(self).lower())

    def casefold(self) -> Any:
        return self._map(lambda i, c: _lower_c(c), _plain(self).casefold())

    def swapcase(self) -> Any:
        return self._map(lambda i, c: _swap_c(c), _plain(self).swapcase())

    def capitalize(self) -> Any:
        return self._map(lambda i, c: _lower_c(c) if i else _upper_c(c), _plain(self).capitalize())

    def title(self) -> Any:
        if self._t.lit or not self._ascii():
            return lit(str.title(pin(self)))
        chars = self._chars()

        def fn(i: int, c: T) -> T:
            if i == 0:
                return _upper_c(c)
            return tm.ite(tm.in_re(chars[i - 1], _ALPHA), _lower_c(c), _upper_c(c))

        return self._map(fn, _plain(self).title())

    def _klass(self, name: str) -> bool:
        result = bool(getattr(str, name)(_plain(self)))
        if self._t.lit:
            return result
        if not self._ascii():
            return bool(getattr(str, name)(pin(self)))
        return REC.branch(tm.in_re(self._t, _CLASS_RE[name]), result)

    def isdigit(self) -> bool: return self._klass("isdigit")
    def isdecimal(self) -> bool: return self._klass("isdecimal")
    def isnumeric(self) -> bool: return self._klass("isnumeric")
    def isalpha(self) -> bool: return self._klass("isalpha")
    def isalnum(self) -> bool: return self._klass("isalnum")
    def isspace(self) -> bool: return self._klass("isspace")
    def isupper(self) -> bool: return self._klass("isupper")
    def islower(self) -> bool: return self._klass("islower")

    def isascii(self) -> bool:
        result = _plain(self).isascii()
        if self._t.lit:
            return result
        return REC.branch(tm.in_re(self._t, tm.ASCII_RE), result)

    def _strip(self, chars: Any, left: bool, right: bool) -> Any:
        v = _plain(self)
        if chars is not None and not isinstance(chars, str):
            return getattr(str, "strip" if left and right else "lstrip" if left else "rstrip")(
                v, chars)
        cs = WHITESPACE if chars is None else pin(chars)
        lo, hi = 0, len(v)
        if left:
            while lo < hi and v[lo] in cs:
                lo += 1
        if right:
            while hi > lo and v[hi - 1] in cs:
                hi -= 1
        result = v[lo:hi]
        if self._t.lit:
            return lit(result)
        if chars is None and not self._ascii():
            pin(self)
            return lit(result)
        terms = self._chars()
        member = tm.re_chars(cs) if cs else None

        def record(i: int, inside: bool) -> None:
            if member is None:
                return
            REC.branch(tm.in_re(terms[i], member), inside)

        if left:
            for i in range(lo):
                record(i, True)
            if lo < len(v):
                record(lo, False)
        if right:
            for i in range(hi, len(v)):
                record(i, True)
            if hi > lo and hi - 1 != lo:
                record(hi - 1, False)
        return mk_str(result, tm.extract(self._t, int_lit(lo), int_lit(hi - lo)))

    def strip(self, chars: Any = None) -> Any: return self._strip(chars, True, True)
    def lstrip(self, chars: Any = None) -> Any: return self._strip(chars, True, False)
    def rstrip(self, chars: Any = None) -> Any: return self._strip(chars, False, True)

    def split(self, sep: Any = None, maxsplit: Any = -1) -> Any:
        v = _plain(self)
        maxsplit = pin(maxsplit)
        if sep is not None:
            sep = pin(sep) if isinstance(sep, str) else sep
        result = str.split(v, sep, maxsplit)
        if self._t.lit:
            return [lit(p) for p in result]
        if maxsplit != -1 or (sep is not None and len(sep) != 1):
            pin(self)
            return [lit(p) for p in result]
        if sep is None and not self._ascii():
            pin(self)
            return [lit(p) for p in result]
        chars = self._chars()
        is_sep = [(c in WHITESPACE) if sep is None else c == sep for c in v]
        for t, flag in zip(chars, is_sep, strict=True):
            cond = tm.in_re(t, _SPACE) if sep is None else tm.eq(t, tm.str_lit(sep) or t)
            REC.branch(cond, flag)
        pieces: list[Any] = []
        start = 0
        for i in range(len(v) + 1):
            if i == len(v) or is_sep[i]:
                if sep is not None or i > start:
                    pieces.append(mk_str(v[start:i], tm.extract(self._t, int_lit(start),
                                                                int_lit(i - start))))
                start = i + 1
        return pieces

    def rsplit(self, sep: Any = None, maxsplit: Any = -1) -> Any:
        if pin(maxsplit) == -1:
            return self.split(sep)
        return [lit(p) for p in str.rsplit(pin(self), pin(sep), maxsplit)]


install_fallbacks(SymStr, str)
