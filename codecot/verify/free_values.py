"""Values of a free-form claim at a moment of the run, and the claim rewriting the checker
needs: a moment's variables decoded on first use (:class:`Env`), an expression's value there
(:func:`value_of`: a value, :data:`NA` when a name has none there, :data:`UNDECIDED` outside
the evaluator's subset, :data:`RAISES` when Python raises on it), equality where bools and
numbers do not mix (:func:`same`), a claim's expressions and its formula, a parameter
renamed in a claim, and what the run has instead of a claim that fails (:func:`described`)."""

from __future__ import annotations

from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform.model import AppendClaim, DeltaClaim
from codecot.claims.reference import NotInSubset, TooExpensive, evaluate
from codecot.claims.render import render_expr
from codecot.trace.values import decode, same_value
from codecot.verify.free_points import MISSING, Moment

NA = object()  # a claim that does not apply at a moment (a name out of scope there)
UNDECIDED = object()  # an expression outside what can be evaluated
BUILTIN_NAMES = frozenset(E.BUILTIN_FUNCTIONS) | {"str", "int", "list", "dict", "set", "tuple",
                                                    "float", "bool", "bytes"}


def same(a: Any, b: Any) -> bool:
    """Python ``==`` where bools and numbers do not mix (``True`` is not ``1`` here)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    return same_value(a, b) or (type(a) is type(b) and _eq(a, b))


def _eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


class Env(dict[str, Any]):
    """Variables of a moment, decoded on first use (missing ones raise KeyError)."""

    def __init__(self, m: Moment | None, globals_: dict[str, str]) -> None:
        super().__init__()
        self.m = m
        self.g = globals_

    def __missing__(self, name: str) -> Any:
        value = self.m.value(name, self.g) if self.m is not None else MISSING
        if value is MISSING:
            raise KeyError(name)
        self[name] = value
        return value


def value_of(expr: E.Expr, env: Any) -> Any:
    """The value of ``expr`` under ``env``: a Python value, NA (a name has no value there) or
    UNDECIDED (outside the subset).  An expression Python raises on has no value: UNDECIDED
    for the claim it is in, which then does not hold."""
    names = E.free_names(expr)
    scope: dict[str, Any] = {}
    for name in names:
        try:
            scope[name] = env[name]
        except KeyError:
            if name in BUILTIN_NAMES:
                continue
            return NA
    try:
        return evaluate(expr, scope)
    except (NotInSubset, TooExpensive, RecursionError, NameError):
        return UNDECIDED
    except Exception:
        return RAISES


class _Raises:
    """The value of an expression Python raises on: equal to nothing, falsy."""

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False


RAISES = _Raises()


def decoded_or_missing(rep: str) -> Any:
    try:
        return decode(rep)
    except (ValueError, SyntaxError):
        return MISSING


def exprs_of(claim: M.Claim) -> list[E.Expr]:
    out: list[E.Expr] = []
    for field in ("target", "condition", "value", "item", "delta", "expr", "call"):
        x = getattr(claim, field, None)
        if x is not None and type(x).__module__ == E.__name__:
            out.append(x)
    out.extend(getattr(claim, "chain", ()) or ())
    out.extend(getattr(claim, "args", ()) or ())
    return out


def formula_of(claim: M.Claim) -> E.Expr | None:
    if isinstance(claim, M.StateClaim):
        return E.Compare(claim.target, ("==",) * len(claim.chain), claim.chain)
    if isinstance(claim, M.ConditionClaim):
        return claim.condition if claim.truth else E.UnaryOp("not", claim.condition)
    return None


def renamed(claim: M.Claim, old: str, new: str) -> M.Claim:
    import dataclasses

    def swap(x: Any) -> Any:
        if isinstance(x, E.Name) and x.id == old:
            return E.Name(new)
        if isinstance(x, tuple):
            return tuple(swap(i) for i in x)
        if type(x).__module__ == E.__name__ and hasattr(x, "__slots__") and not isinstance(x, E.Const):
            return type(x)(**{f: swap(getattr(x, f)) for f in x.__slots__})
        return x

    if isinstance(claim, M.ConditionOnInputClaim):
        return dataclasses.replace(claim, condition=swap(claim.condition))
    return claim


def described(claim: M.Claim, m: Moment | None, globals_: dict[str, str]) -> str:
    """What the run has instead of ``claim`` at ``m``, in words."""
    env = Env(m, globals_)
    if isinstance(claim, M.StateClaim):
        target = value_of(claim.target, env)
        shown = render_expr(claim.chain[-1])
        if target is NA or target is UNDECIDED or target is RAISES:
            return f"{render_expr(claim.target)} is not {shown}"
        for link in claim.chain:
            if not same(target, value_of(link, env)):
                shown = render_expr(link)
                break
        return f"{render_expr(claim.target)} is {target!r} there, not {shown}"
    if isinstance(claim, M.ConditionClaim):
        return f"{render_expr(claim.condition)} is {not claim.truth}, not {claim.truth}"
    if isinstance(claim, DeltaClaim):
        return f"no line changes {render_expr(claim.target)} by {render_expr(claim.delta)} there"
    if isinstance(claim, AppendClaim):
        return f"{render_expr(claim.item)} is not appended to {render_expr(claim.target)} there"
    return "it does not hold"
