"""Re-building a sandboxed concolic run in the parent: SMT-LIB text -> Z3 terms.

All terms of a run are parsed by one ``z3.parse_smt2_string`` call in the solver layer's
context, with the parameters' constants (:func:`codecot.solver.fresh`) as declarations.
"""

from __future__ import annotations

from typing import Any

import z3

from codecot.solver import SymValue, Unsupported, encode, fresh, opaque, parse_tag
from codecot.solver.context import ctx
from codecot.solver.values import constants
from codecot.symbolic.api import ConcolicRun, SymbolicPoint
from codecot.trace.values import decode


def _param_value(name: str, tag: str | None, concrete_repr: str) -> SymValue:
    if tag is not None:
        return fresh(name, tag)
    try:
        return encode(decode(concrete_repr))
    except Exception:
        return opaque()


def _script(terms: list[list[str]]) -> str:
    parts = []
    for i, (sort, text) in enumerate(terms):
        parts.append(f"(declare-const |__t{i}| {sort})(assert (= |__t{i}| {text}))")
    return "\n".join(parts)


class _Builder:
    def __init__(self, terms: list[Any]) -> None:
        self.terms = terms

    def value(self, desc: dict[str, Any] | None) -> SymValue:
        if desc is None:
            return opaque()
        tag = desc.get("t")
        if tag == "None":
            return encode(None)
        if tag == "opaque":
            return opaque()
        if tag == "tuple":
            items = tuple(self.value(i) for i in desc.get("items", []))
            return SymValue(parse_tag("tuple[" + ", ".join(str(i.type) for i in items) + "]")
                            if items else parse_tag("tuple[]"), raw=items) \
                if all(i.type.kind != "opaque" for i in items) else opaque()
        if "r" in desc:
            try:
                return encode(decode(desc["r"]))
            except Exception:
                return opaque()
        if "k" in desc and "v" in desc:
            try:
                return SymValue(parse_tag(str(tag)), raw=(self.terms[int(desc["k"])],
                                                          self.terms[int(desc["v"])]))
            except Unsupported:
                return opaque()
        if "s" in desc:
            try:
                return SymValue(parse_tag(str(tag)), raw=self.terms[int(desc["s"])])
            except Unsupported:
                return opaque()
        return opaque()


def rebuild(result: dict[str, Any]) -> ConcolicRun:
    """The :class:`ConcolicRun` of a :func:`codecot.symbolic.task.concolic_job` result."""
    concrete_reprs: dict[str, str] = dict(result.get("concrete") or {})
    params: dict[str, SymValue] = {}
    concrete: dict[str, object] = {}
    symbolic: list[str] = []
    decls: dict[str, Any] = {}
    for p in result.get("params") or []:
        name, tag = str(p["name"]), p.get("tag")
        rep = concrete_reprs.get(name, "None")
        try:
            concrete[name] = decode(rep)
        except Exception:
            concrete[name] = None
        value = _param_value(name, tag, rep)
        params[name] = value
        if tag is not None:
            symbolic.append(name)
            flat = constants(value)
            if value.type.kind == "tuple":
                for i, k in enumerate(flat):
                    decls[f"{name}[{i}]"] = k
            elif value.type.kind == "dict":
                decls[f"{name}.keys"], decls[f"{name}.values"] = flat
            else:
                decls[name] = flat[0]
    notes = tuple(result.get("notes") or ())
    if "terms" not in result:  # the sandbox itself failed (timeout, memory, crash)
        return ConcolicRun(False, str(result.get("error") or "failed"), params, concrete, None,
                           None, (), (), (), False, notes=notes)
    raw_terms: list[list[str]] = result.get("terms") or []
    terms: list[Any] = []
    if raw_terms:
        vec = z3.parse_smt2_string(_script(raw_terms), decls=decls, ctx=ctx().z3)
        terms = [vec[i].arg(1) for i in range(len(raw_terms))]
    b = _Builder(terms)
    constraints = tuple((str(k), terms[int(i)]) for k, i in result.get("constraints") or [])
    signature = tuple(raw_terms[int(i)][1] for _, i in result.get("constraints") or [])
    points = tuple(SymbolicPoint(int(pt["line"]), int(pt["iteration"]),
                                 {k: b.value(v) for k, v in pt["locals"].items()})
                   for pt in result.get("points") or [])
    ok = bool(result.get("ok"))
    output = b.value(result.get("output")) if ok else None
    if output is not None and output.type.kind == "opaque":
        output = None
    return ConcolicRun(
        ok=ok, error=result.get("error"), params=params, concrete=concrete, output=output,
        output_repr=result.get("output_repr"),
        path=tuple(c for k, c in constraints if k == "branch"),
        concretized=tuple(c for k, c in constraints if k != "branch"),
        points=points, complete=bool(result.get("complete")),
        constraints=constraints, symbolic_params=tuple(symbolic), signature=signature,
        notes=notes)
