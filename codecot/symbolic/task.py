"""The sandbox task: one concolic run of a corpus function, serialised as JSON.

:func:`concolic_job` gets ``{"id", "code", "input", "entry"?, "lines"?}``, rewrites the code
(:mod:`codecot.symbolic.rewrite`), gives the parameters symbolic shadows, calls the entry
function under ``sys.settrace`` (recording the entry frame's locals before each line runs) and
returns::

    {"id", "ok", "error", "error_kind", "output_repr", "complete", "notes",
     "params": [{"name", "tag", "symbolic"}], "concrete": {name: repr},
     "terms": [[sort, smtlib text], ...], "constraints": [[kind, term index], ...],
     "output": VALUE, "points": [{"line", "iteration", "locals": {name: VALUE}}]}

where a VALUE is ``{"t": tag, "s": term index}`` (symbolic), ``{"t": tag, "r": repr}``
(concrete), ``{"t": "tuple", "items": [VALUE, ...]}``, ``{"t": "dict[K, V]", "k": term index, "v": term
index}`` (the keys and values sequences) or ``{"t": "opaque"}``.  Runs in the
child: no z3 here (its C calls are forbidden by the sandbox), terms are SMT-LIB text.
"""

from __future__ import annotations

import inspect
import sys
from types import FrameType
from typing import Any

from codecot.sandbox.tasks import USER_FILENAME, entry_name, evaluate_arguments
from codecot.symbolic import terms as tm
from codecot.symbolic.builtins_ import HELPERS
from codecot.symbolic.dicts import SymDict
from codecot.symbolic.floats import SymFloat
from codecot.symbolic.recorder import REC
from codecot.symbolic.rewrite import rewrite
from codecot.symbolic.shadows import SymInt, pin_deep
from codecot.symbolic.strings import SymStr
from codecot.symbolic.terms import FLOAT, INT, STR, T, float_lit, int_lit, seq_sort

MAX_POINTS = 400
SCALAR_TAGS = ("int", "str", "bool", "float")
#: key types of a symbolic dict parameter
DICT_KEY_TAGS = ("int", "str")
_settrace = sys.settrace


class _Terms:
    """Distinct terms of one run, referred to by index."""

    def __init__(self) -> None:
        self.items: list[list[str]] = []
        self.index: dict[str, int] = {}

    def add(self, t: T) -> int:
        key = t.sort + "\x00" + t.text
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.items)
            self.items.append([t.sort, t.text])
        return found


def _describe_error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- symbolic parameters -------------------------------------------------------------------


def _shape(value: Any) -> str | None:
    """The type tag of a value that can be made symbolic, else None."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float):
        return "float"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str" if tm.str_lit(value) is not None else None
    if isinstance(value, list) and value:
        shapes = {_shape(v) for v in value}
        if len(shapes) == 1 and None not in shapes:
            inner = shapes.pop()
            if inner is not None and not inner.startswith("tuple"):
                return f"list[{inner}]"
    if isinstance(value, tuple) and value:
        items = [_shape(v) for v in value]
        if all(i in SCALAR_TAGS for i in items):
            return "tuple[" + ", ".join(str(i) for i in items) + "]"
    if type(value) is dict and value:
        keys = {_shape(k) for k in value}
        vals = {_shape(v) for v in value.values()}
        if len(keys) == 1 and len(vals) == 1 and None not in vals:
            k, v = keys.pop(), vals.pop()
            if k in DICT_KEY_TAGS and v is not None and not v.startswith("tuple"):
                return f"dict[{k}, {v}]"
    return None


def dict_tags(tag: str) -> tuple[str, str]:
    """The key and value tags of ``dict[K, V]`` (K is int or str, so the first comma splits)."""
    k, v = tag[5:-1].split(", ", 1)
    return k, v


def sort_of_tag(tag: str) -> str:
    if tag == "int":
        return INT
    if tag == "str":
        return STR
    if tag == "bool":
        return "Bool"
    if tag == "float":
        return FLOAT
    if tag.startswith("list[") and tag.endswith("]"):
        return seq_sort(sort_of_tag(tag[5:-1]))
    raise ValueError(tag)


def _symbolise(value: Any, tag: str, term: T) -> Any:
    if tag == "int":
        return SymInt(value, term)
    if tag == "str":
        return SymStr(value, term)
    if tag == "float":
        return SymFloat(value, term)
    if tag == "bool":
        # a bool cannot carry a shadow (no subclasses): its value is a decision of the path,
        # recorded as a branch so that exploration and search flip it
        REC.branch(term, bool(value))
        return value
    inner = tag[5:-1]
    REC.pin(tm.length(term), int_lit(len(value)))
    return [_symbolise(v, inner, tm.nth(term, int_lit(i))) for i, v in enumerate(value)]


def _make_dict(name: str, value: dict[Any, Any], tag: str) -> SymDict:
    """A dict parameter: keys and values are the items of two sequences (see symbolic.dicts)."""
    ktag, vtag = dict_tags(tag)
    keys = tm.var(f"{name}.keys", seq_sort(sort_of_tag(ktag)))
    values = tm.var(f"{name}.values", seq_sort(sort_of_tag(vtag)))
    n = len(value)
    REC.assume(tm.eq(tm.length(values), tm.length(keys)))
    REC.pin(tm.length(keys), int_lit(n))
    if n > 1:
        REC.assume(tm.app("Bool", "distinct", *(tm.nth(keys, int_lit(i)) for i in range(n))))
    return SymDict([(_symbolise(k, ktag, tm.nth(keys, int_lit(i))),
                     _symbolise(v, vtag, tm.nth(values, int_lit(i))))
                    for i, (k, v) in enumerate(value.items())])


def _make_param(name: str, value: Any, hint: str | None = None) -> tuple[Any, str | None]:
    tag = _shape(value)
    if tag is None and hint is not None and hint.startswith("list[") and value == [] \
            and type(value) is list:
        tag = hint
    if tag is None and hint is not None and hint.startswith("dict[") and value == {} \
            and type(value) is dict and dict_tags(hint)[0] in DICT_KEY_TAGS:
        tag = hint
    if tag is None:
        return value, None
    if tag.startswith("dict["):
        return _make_dict(name, value, tag), tag
    if tag.startswith("tuple["):
        items = tag[6:-1].split(", ")
        return tuple(_symbolise(v, t, tm.var(f"{name}[{i}]", sort_of_tag(t)))
                     for i, (v, t) in enumerate(zip(value, items, strict=True))), tag
    return _symbolise(value, tag, tm.var(name, sort_of_tag(tag))), tag


# --- values -> JSON ---------------------------------------------------------------------------


def _has_sym(x: Any, depth: int = 0) -> bool:
    if isinstance(x, SymInt | SymStr | SymFloat):
        return not x._t.lit
    if depth > 20:
        return False
    if isinstance(x, list | tuple | set | frozenset):
        return any(_has_sym(i, depth + 1) for i in x)
    if isinstance(x, dict):
        return any(_has_sym(k, depth + 1) or _has_sym(v, depth + 1) for k, v in x.items())
    return False


def _elem(x: Any) -> tuple[str, T] | None:
    """(tag, term) of a value as a sequence element."""
    if isinstance(x, bool):
        return "bool", tm.bool_lit(x)
    if isinstance(x, SymInt | SymStr | SymFloat):
        return ("int" if isinstance(x, SymInt) else "str" if isinstance(x, SymStr)
                else "float"), x._t
    if isinstance(x, float):
        return "float", float_lit(x)
    if isinstance(x, int):
        return "int", int_lit(x)
    if isinstance(x, str):
        t = tm.str_lit(x)
        return None if t is None else ("str", t)
    if isinstance(x, list) and x:
        items = [_elem(i) for i in x]
        tags = {i[0] for i in items if i is not None}
        if None in items or len(tags) != 1:
            return None
        tag = tags.pop()
        return f"list[{tag}]", tm.seq_of(seq_sort(sort_of_tag(tag)), [i[1] for i in items if i])
    return None


def _dict_terms(x: dict[Any, Any]) -> tuple[str, T, T] | None:
    """(tag, keys term, values term) of a dict whose keys share an int/str type and whose
    values share one type, else None."""
    if not x:
        return None
    items = list(x.items())
    keys = [_elem(k) for k, _ in items]
    values = [_elem(v) for _, v in items]
    ktags = {k[0] for k in keys if k is not None}
    vtags = {v[0] for v in values if v is not None}
    if None in keys or None in values or len(ktags) != 1 or len(vtags) != 1:
        return None
    ktag, vtag = ktags.pop(), vtags.pop()
    if ktag not in DICT_KEY_TAGS:
        return None
    return (f"dict[{ktag}, {vtag}]",
            tm.seq_of(seq_sort(sort_of_tag(ktag)), [k[1] for k in keys if k is not None]),
            tm.seq_of(seq_sort(sort_of_tag(vtag)), [v[1] for v in values if v is not None]))


def _plain_repr(x: Any) -> str:
    was, REC.active = REC.active, False
    try:
        return repr(x)
    finally:
        REC.active = was


def describe(x: Any, table: _Terms, output: bool = False) -> dict[str, Any]:
    """The JSON description of a value (see the module doc)."""
    if x is None:
        return {"t": "None"}
    if not _has_sym(x):
        try:
            return {"t": "?", "r": _plain_repr(x)}
        except Exception:
            return {"t": "opaque"}
    if isinstance(x, tuple):
        return {"t": "tuple", "items": [describe(i, table, output) for i in x]}
    if isinstance(x, dict):
        found_dict = _dict_terms(x)
        if found_dict is not None:
            tag, keys, values = found_dict
            return {"t": tag, "k": table.add(keys), "v": table.add(values)}
    found = _elem(x)
    if found is not None:
        return {"t": found[0], "s": table.add(found[1])}
    if output:
        pinned = pin_deep(x)
        return {"t": "?", "r": _plain_repr(pinned)}
    return {"t": "opaque"}


# --- tracing the entry frame -------------------------------------------------------------------


class _Tracer:
    """Records the entry frame's locals before each wanted line runs."""

    def __init__(self, entry: Any, wanted: set[int] | None, table: _Terms) -> None:
        self.entry = entry
        self.wanted = wanted
        self.table = table
        self.root: FrameType | None = None
        self.points: list[dict[str, Any]] = []
        self.counts: dict[int, int] = {}

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code is self.entry and self.root is None:
            self.root = frame
            return self.local_trace
        return None

    def local_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and frame is self.root:
            line = frame.f_lineno
            self.counts[line] = self.counts.get(line, 0) + 1
            if (self.wanted is None or line in self.wanted) and len(self.points) < MAX_POINTS:
                was, REC.active = REC.active, False
                try:
                    self.points.append({"line": line, "iteration": self.counts[line], "locals": {
                        k: describe(v, self.table) for k, v in frame.f_locals.items()}})
                finally:
                    REC.active = was
        return self.local_trace


def _trace_off() -> None:
    _settrace(None)


def _trace_on(tracer: _Tracer) -> None:
    fn = tracer.global_trace
    _settrace(fn)


#: Read by the sandbox worker: only these functions may call ``sys.settrace`` in a child.
SETTRACE_POLICY = (_trace_off, _trace_on, _Tracer.global_trace)


# --- the job ----------------------------------------------------------------------------------


def concolic_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one record concolically (see the module doc)."""
    REC.reset()
    out: dict[str, Any] = {"id": payload.get("id"), "ok": False, "error": None,
                           "error_kind": None, "output_repr": None, "complete": True,
                           "notes": [], "params": [], "concrete": {}, "terms": [],
                           "constraints": [], "output": None, "points": []}
    try:
        tree = rewrite(str(payload.get("code", "")))
        code = compile(tree, USER_FILENAME, "exec")
    except (SyntaxError, ValueError) as exc:
        out.update(error=_describe_error(exc), error_kind="syntax_error")
        return out
    ns: dict[str, Any] = {"__name__": "__codecot_user__", "__builtins__": __builtins__}
    ns.update(HELPERS)
    try:
        exec(code, ns)
        args, kwargs = evaluate_arguments(str(payload.get("input", "")), ns)
        func = ns[entry_name(payload, ns)]
        bound = inspect.signature(func).bind(*args, **kwargs)
    except BaseException as exc:
        out.update(error=_describe_error(exc), error_kind="bad_input")
        return out
    table = _Terms()
    params = []
    for name, value in bound.arguments.items():
        out["concrete"][name] = _plain_repr(value)
        kind = inspect.signature(func).parameters[name].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            tag = None
        else:
            REC.active = True
            new, tag = _make_param(name, value, (payload.get("tags") or {}).get(name))
            REC.active = False
            if tag is not None:
                bound.arguments[name] = new
        if tag is None:
            REC.incomplete(f"parameter {name} is not symbolic")
        params.append({"name": name, "tag": tag, "symbolic": tag is not None})
    out["params"] = params
    lines = payload.get("lines")
    tracer = _Tracer(func.__code__, None if lines is None else set(lines), table)
    REC.active = True
    _trace_on(tracer)
    try:
        result = func(*bound.args, **bound.kwargs)
    except BaseException as exc:
        _trace_off()
        REC.active = False
        out.update(error=_describe_error(exc), error_kind="exception")
    else:
        _trace_off()
        out["output"] = describe(result, table, output=True)
        REC.active = False
        out.update(ok=True, output_repr=_plain_repr(result))
    out["constraints"] = [[kind, table.add(t)] for kind, t in REC.constraints]
    out["terms"] = table.items
    out["points"] = tracer.points
    out["complete"] = REC.complete
    out["notes"] = list(REC.notes)
    return out
