"""Claims and expressions -> canonical narration text.

:func:`render_expr` writes Python-like source with the fewest parentheses that keep the tree
(literals exactly as ``repr`` writes them).  :func:`render_claim` writes one step; ``variant``
picks among the wording variants of the claim's kind (taken modulo :func:`variant_count`), and
every variant parses back (:func:`codecot.claims.parse.parse_step`) to a claim equal to the one
rendered, for claims in the parser's canonical form (see :func:`codecot.claims.literals.
literal_expr`; e.g. ``-5`` is ``Const(-5)``, never ``UnaryOp('-', Const(5))``).

Where an expression would begin with a word the parser reads as a keyword in that place (a
variable named ``then`` at the start of a step, ``now`` after "is", ``even`` after "be") it is
put in parentheses.  ``ValueError`` is raised for claims no step can express (an iteration
loop claim without its iteration, a return claim of a non-call, an unknown loop-end reason).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from codecot.claims.expr import (
    Attribute,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    DictExpr,
    Expr,
    IfExp,
    Index,
    Lambda,
    ListExpr,
    MethodCall,
    Name,
    SetExpr,
    Slice,
    TupleExpr,
    UnaryOp,
)
from codecot.claims.model import (
    AnswerClaim,
    CallClaim,
    CallResultClaim,
    CatchClaim,
    CheckClaim,
    Claim,
    ConditionClaim,
    ConditionOnInputClaim,
    GoalClaim,
    InputClaim,
    LoopEndClaim,
    LoopIterClaim,
    LoopSkipClaim,
    Modality,
    RaiseClaim,
    ReturnClaim,
    StateClaim,
)
from codecot.claims.parse import is_boolean_shaped

#: Words read as keywords where a step (or the text after "Line N:") begins.
STEP_START_WORDS = frozenset({
    "the", "iteration", "iterations", "this", "call", "calling", "we", "so", "therefore",
    "thus", "then", "given", "let", "choose", "after", "in", "not", "lambda",
})
#: Words read as keywords right after "is" (a state value).
AFTER_IS_WORDS = frozenset({"now"})
#: Words read as keywords right after "be" (a relation).
AFTER_BE_WORDS = frozenset({
    "equal", "different", "greater", "more", "less", "fewer", "at", "in", "even", "odd",
    "empty", "nonempty", "positive", "negative", "divisible", "not",
})
#: Words read as keywords as the first argument after "the input is".
INPUT_WORDS = frozenset({"empty", "no"})
#: Words read as keywords where a binding name is expected ("with no arguments").
BINDING_WORDS = frozenset({"no"})
#: Words read as keywords right after "So" (and "Therefore").
AFTER_SO_WORDS = frozenset({"the"})

_PREC_IF, _PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP = 1, 2, 3, 4, 5
_PREC_ARITH, _PREC_TERM, _PREC_UNARY, _PREC_POW, _PREC_ATOM = 6, 7, 8, 9, 10
_BINARY_PREC = {"+": _PREC_ARITH, "-": _PREC_ARITH, "*": _PREC_TERM, "/": _PREC_TERM,
                "//": _PREC_TERM, "%": _PREC_TERM, "**": _PREC_POW}
_FIRST_WORD = re.compile(r"[^\W\d]\w*")


# ---- expressions ----------------------------------------------------------------------------


def render_expr(expr: Expr) -> str:
    """Python-like source for ``expr`` (standalone: ``is`` needs no parentheses here)."""
    return _expr(expr, _PREC_IF, top=False)


def render_value(value: Any) -> str:
    """``repr``-exact literal text for a Python value held by :class:`Const`."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value)  # 'inf', '-inf', '1e-05', '-0.0' are all parseable
    if value is None or isinstance(value, bool | int | str | bytes | complex):
        return repr(value)
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({render_value(value[0])},)"
        return "(" + ", ".join(render_value(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, frozenset):
        if not value:
            return "frozenset()"
        return "frozenset({" + ", ".join(render_value(v) for v in value) + "})"
    if isinstance(value, set):
        if not value:
            return "set()"
        return "{" + ", ".join(render_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render_value(k)}: {render_value(v)}"
                               for k, v in value.items()) + "}"
    raise ValueError(f"no literal form for {type(value).__name__}")


def _const_prec(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return _PREC_ATOM
    if isinstance(value, int | float) and (value < 0 or (value == 0 and math.copysign(
            1.0, value) < 0)):
        return _PREC_UNARY
    if isinstance(value, complex) and value.real != 0:
        return _PREC_ATOM  # repr writes '(1+2j)'
    return _PREC_ATOM


def _prec(expr: Expr) -> int:
    if isinstance(expr, Const):
        return _const_prec(expr.value)
    if isinstance(expr, IfExp):
        return _PREC_IF
    if isinstance(expr, BoolOp):
        return _PREC_OR if expr.op == "or" else _PREC_AND
    if isinstance(expr, UnaryOp):
        return _PREC_NOT if expr.op == "not" else _PREC_UNARY
    if isinstance(expr, Compare):
        return _PREC_CMP
    if isinstance(expr, BinOp):
        return _BINARY_PREC[expr.op]
    return _PREC_ATOM


def _expr(expr: Expr, prec: int, top: bool) -> str:
    """Render ``expr`` where an expression of precedence >= ``prec`` is expected; ``top``
    means the English level of a step, where a comparison with ``is`` needs parentheses."""
    text = _bare(expr, top)
    own = _prec(expr)
    if own < prec or (top and isinstance(expr, Compare) and any(
            op in ("is", "is not") for op in expr.ops)):
        return f"({text})"
    return text


def _items(items: Sequence[Expr]) -> str:
    return ", ".join(_expr(i, _PREC_IF, False) for i in items)


def _bare(expr: Expr, top: bool) -> str:
    if isinstance(expr, Const):
        return render_value(expr.value)
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, ListExpr):
        return f"[{_items(expr.items)}]"
    if isinstance(expr, TupleExpr):
        if len(expr.items) == 1:
            return f"({_expr(expr.items[0], _PREC_IF, False)},)"
        return f"({_items(expr.items)})"
    if isinstance(expr, SetExpr):
        return f"{{{_items(expr.items)}}}" if expr.items else "set()"
    if isinstance(expr, DictExpr):
        pairs = (f"{_expr(k, _PREC_IF, False)}: {_expr(v, _PREC_IF, False)}"
                 for k, v in zip(expr.keys, expr.values, strict=True))
        return "{" + ", ".join(pairs) + "}"
    if isinstance(expr, UnaryOp):
        if expr.op == "not":
            return f"not {_expr(expr.operand, _PREC_NOT, top)}"
        return f"{expr.op}{_expr(expr.operand, _PREC_UNARY, top)}"
    if isinstance(expr, BinOp):
        p = _BINARY_PREC[expr.op]
        if expr.op == "**":
            return f"{_expr(expr.left, _PREC_ATOM, top)} ** {_expr(expr.right, _PREC_UNARY, top)}"
        return f"{_expr(expr.left, p, top)} {expr.op} {_expr(expr.right, p + 1, top)}"
    if isinstance(expr, BoolOp):
        p = _prec(expr)
        return f" {expr.op} ".join(_expr(o, p + 1, top) for o in expr.operands)
    if isinstance(expr, Compare):
        parts = [_expr(expr.left, _PREC_ARITH, top)]
        for op, right in zip(expr.ops, expr.comparators, strict=True):
            parts.append(f"{op} {_expr(right, _PREC_ARITH, top)}")
        return " ".join(parts)
    if isinstance(expr, IfExp):
        return (f"{_expr(expr.body, _PREC_OR, top)} if {_expr(expr.test, _PREC_OR, False)} "
                f"else {_expr(expr.orelse, _PREC_IF, top)}")
    if isinstance(expr, Index):
        return f"{_expr(expr.value, _PREC_ATOM, top)}[{_expr(expr.index, _PREC_IF, False)}]"
    if isinstance(expr, Slice):
        parts = [_expr(p, _PREC_IF, False) if p is not None else ""
                 for p in (expr.lower, expr.upper)]
        text = ":".join(parts)
        if expr.step is not None:
            text += ":" + _expr(expr.step, _PREC_IF, False)
        return f"{_expr(expr.value, _PREC_ATOM, top)}[{text}]"
    if isinstance(expr, Call):
        return f"{expr.func}({_arguments(expr.args, expr.kwargs)})"
    if isinstance(expr, MethodCall):
        return (f"{_receiver(expr.receiver, top)}.{expr.method}"
                f"({_arguments(expr.args, expr.kwargs)})")
    if isinstance(expr, Attribute):
        return f"{_receiver(expr.value, top)}.{expr.attr}"
    if isinstance(expr, Lambda):
        params = ", ".join(expr.params)
        text = f"lambda {params}: {_expr(expr.body, _PREC_IF, False)}" if params else \
            f"lambda: {_expr(expr.body, _PREC_IF, False)}"
        return f"({text})"  # parenthesized everywhere: it ends at no comma or 'and' otherwise
    raise ValueError(f"not an expression: {expr!r}")


def _arguments(args: Sequence[Expr], kwargs: Sequence[tuple[str, Expr]]) -> str:
    """A call's arguments: the positional ones, then ``name=value`` for each keyword."""
    named = [f"{name}={_expr(value, _PREC_IF, False)}" for name, value in kwargs]
    return ", ".join([_items(args), *named] if args else named)


def _receiver(expr: Expr, top: bool) -> str:
    # Python reads `1.real` as a malformed float, so an int receiver gets parentheses.
    if isinstance(expr, Const) and isinstance(expr.value, int) and not isinstance(
            expr.value, bool):
        return f"({_bare(expr, top)})"
    return _expr(expr, _PREC_ATOM, top)


def _slot(expr: Expr, reserved: frozenset[str] = frozenset(), prec: int = _PREC_IF) -> str:
    """An expression in an English sentence, parenthesized if it would start with a word
    the parser reads as a keyword there."""
    text = _expr(expr, prec, top=True)
    match = _FIRST_WORD.match(text)
    if match and match.group().lower() in reserved:
        return f"({text})"
    return text


def _subject(expr: Expr) -> str:
    return _slot(expr, STEP_START_WORDS)


# ---- claims ---------------------------------------------------------------------------------


def _header(claim: Claim, with_iteration: bool = True) -> str:
    iteration = claim.iteration if with_iteration else None
    if claim.line is not None:
        suffix = f" (iteration {iteration})" if iteration is not None else ""
        return f"Line {claim.line}{suffix}: "
    if iteration is not None:
        return f"In iteration {iteration}: "
    return ""


def _line_ref(claim: Claim) -> str:
    suffix = f" (iteration {claim.iteration})" if claim.iteration is not None else ""
    return f"Line {claim.line}{suffix}"


def _chain(chain: Sequence[Expr], first_reserved: frozenset[str] = frozenset()) -> str:
    return " = ".join(_slot(v, first_reserved if i == 0 else frozenset())
                      for i, v in enumerate(chain))


def _binding_name(name: str) -> str:
    return f"({name})" if name.lower() in BINDING_WORDS else name


def _echo(code: str) -> str:
    """An echoed statement whose first word would be read as a keyword gets it in parentheses."""
    match = _FIRST_WORD.match(code)
    if match and match.group().lower() in STEP_START_WORDS:
        return f"({match.group()}){code[match.end():]}"
    return code


def _bindings(pairs: Sequence[tuple[str, Expr]]) -> str:
    parts = [f"{_binding_name(name)} = {_slot(value, prec=_PREC_NOT)}" for name, value in pairs]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _state(c: StateClaim, v: int) -> list[str]:
    target = _subject(c.target)
    head = _header(c)
    ambiguous = (len(c.chain) == 1 and isinstance(c.chain[0], Const)
                 and isinstance(c.chain[0].value, bool) and is_boolean_shaped(c.target))
    if c.code is not None:
        code = _echo(c.code)
        return [f"{head}{code}, so {target} is {_chain(c.chain, AFTER_IS_WORDS)}",
                f"{head}{code}, so {target} becomes {_chain(c.chain)}",
                f"{head}{code}, so {target} is now {_chain(c.chain)}"]
    out = [f"{head}{target} is now {_chain(c.chain)}", f"{head}{target} becomes {_chain(c.chain)}",
           f"{head}{target} equals {_chain(c.chain)}"]
    if not ambiguous:
        out.insert(0, f"{head}{target} is {_chain(c.chain, AFTER_IS_WORDS)}")
    if c.line is not None:
        out.append(f"After {_line_ref(c)}, {_slot(c.target)} is now {_chain(c.chain)}")
    return out


_TAKEN = ("the branch is taken", "the branch runs", "we enter the branch", "the loop continues")
_SKIPPED = ("the branch is skipped", "the branch is not taken", "we skip the branch",
            "the loop stops")


def _condition(c: ConditionClaim, v: int) -> list[str]:
    head = _header(c)
    truth = "True" if c.truth else "False"
    forms = [f"the condition {_slot(c.condition)} is {truth}"]
    if is_boolean_shaped(c.condition):
        forms.insert(0, f"{_subject(c.condition)} is {truth}")
    if c.taken is None:
        return [head + f for f in forms]
    outcomes = _TAKEN if c.taken else _SKIPPED
    return [f"{head}{forms[i % len(forms)]}, so {o}" for i, o in enumerate(outcomes)]


def _loop_iter(c: LoopIterClaim, v: int) -> list[str]:
    if c.iteration is None:
        raise ValueError("a loop_iter claim needs its iteration")
    head = _header(c, with_iteration=False)
    tail = f" with {_bindings(c.bindings)}" if c.bindings else ""
    k = c.iteration
    return [f"{head}iteration {k} begins{tail}", f"{head}iteration {k} of the loop begins{tail}",
            f"{head}iteration {k} starts{tail}"]


def _loop_skip(c: LoopSkipClaim, v: int) -> list[str]:
    head = _header(c)
    return [f"{head}iterations {c.first} to {c.last} run the same way",
            f"{head}iterations {c.first} through {c.last} run the same way",
            f"{head}iterations {c.first} to {c.last} are similar"]


def _loop_end(c: LoopEndClaim, v: int) -> list[str]:
    head = _header(c)
    n = c.iterations
    if c.how == "break":
        return [f"{head}the loop breaks in iteration {n}",
                f"{head}we break out of the loop in iteration {n}"]
    if c.how != "exhausted":
        raise ValueError(f"a loop_end claim reads 'exhausted' or 'break', not {c.how!r}")
    return [f"{head}the loop ends after {_plural(n, 'iteration')}",
            f"{head}the loop finishes after {_plural(n, 'iteration')}",
            f"{head}the loop stops after {_plural(n, 'iteration')}",
            f"{head}the loop runs {_plural(n, 'time')}"]


def _call_result(c: CallResultClaim, v: int) -> list[str]:
    if not isinstance(c.call, Call | MethodCall):
        raise ValueError("a call_result claim needs a call")
    return [f"{_header(c)}{_subject(c.call)} returns {_slot(c.value)}"]


def _returned(c: ReturnClaim) -> str:
    if c.expr is None:
        return _slot(c.value)
    return f"{_slot(c.expr)}, which is {_slot(c.value)}"


def _return(c: ReturnClaim, v: int) -> list[str]:
    head = _header(c)
    what = _returned(c)
    if c.func is not None:
        func = f"({c.func})" if c.func.lower() in STEP_START_WORDS else c.func
        return [f"{head}{func} returns {what}", f"{head}{func} returns {what} to its caller"]
    out = [f"{head}the function returns {what}"]
    if c.line is not None:
        out.append(f"{_line_ref(c)} returns {what}")
    return out


def _raise(c: RaiseClaim, v: int) -> list[str]:
    out = [f"{_header(c)}this raises {c.exc_type}"]
    if c.line is not None:
        out.insert(0, f"{_line_ref(c)} raises {c.exc_type}")
    return out


def _catch(c: CatchClaim, v: int) -> list[str]:
    head = _header(c)
    return [f"{head}the except clause catches {c.exc_type}",
            f"{head}the except block catches {c.exc_type}",
            f"{head}the exception {c.exc_type} is caught"]


def _call(c: CallClaim, v: int) -> list[str]:
    head = _header(c)
    args = _bindings(c.args) if c.args else "no arguments"
    return [f"{head}Call {c.func} with {args}", f"{head}We call {c.func} with {args}",
            f"{head}Calling {c.func} with {args}"]


def _compare_text(call: Expr, value: Expr, reserved: frozenset[str] = frozenset()) -> str:
    """``call == value``, the call parenthesized if it would start with a word of ``reserved``
    (one the parser reads as a keyword in that place)."""
    return f"{_slot(call, reserved, _PREC_ARITH)} == {_expr(value, _PREC_ARITH, True)}"


def _answer(c: AnswerClaim, v: int) -> list[str]:
    head = _header(c)
    return [f"{head}So {_slot(c.call, AFTER_SO_WORDS)} returns {_slot(c.value)}",
            f"{head}Therefore {_slot(c.call, AFTER_SO_WORDS)} returns {_slot(c.value)}",
            f"{head}Therefore {_compare_text(c.call, c.value, AFTER_SO_WORDS)}",
            f"{head}The answer is {_compare_text(c.call, c.value)}"]


def _check(c: CheckClaim, v: int) -> list[str]:
    head = _header(c)
    return [f"{head}Check: {_slot(c.call)} returns {_slot(c.value)}",
            f"{head}Check: {_compare_text(c.call, c.value)}",
            f"{head}Verify: {_slot(c.call)} returns {_slot(c.value)}"]


def _goal(c: GoalClaim, v: int) -> list[str]:
    head = _header(c)
    return [f"{head}We need {_slot(c.call)} to return {_slot(c.value)}",
            f"{head}We want {_slot(c.call)} to return {_slot(c.value)}",
            f"{head}We need {_slot(c.call)} to be {_slot(c.value)}"]


def _input(c: InputClaim, v: int) -> list[str]:
    head = _header(c)
    if not c.args:
        return [f"{head}So the input is empty", f"{head}The input is empty",
                f"{head}So the arguments are no arguments"]
    args = ", ".join(_slot(a, INPUT_WORDS if i == 0 else frozenset())
                     for i, a in enumerate(c.args))
    return [f"{head}So the input is {args}", f"{head}The input is {args}",
            f"{head}So the arguments are {args}"]


_MUST_FORMS: dict[str, tuple[str, ...]] = {
    "==": ("must be {v}", "must equal {v}", "must be equal to {v}"),
    "!=": ("must not be {v}", "must be different from {v}"),
    ">": ("must be greater than {v}", "must be more than {v}"),
    "<": ("must be less than {v}", "must be fewer than {v}"),
    ">=": ("must be at least {v}", "must be greater than or equal to {v}"),
    "<=": ("must be at most {v}", "must be less than or equal to {v}"),
    "in": ("must be in {v}",),
    "not in": ("must not be in {v}",),
}
_BE_FORMS: dict[str, tuple[str, ...]] = {
    "==": ("{v}", "equal to {v}"), "!=": ("different from {v}",),
    ">": ("greater than {v}", "more than {v}"), "<": ("less than {v}", "fewer than {v}"),
    ">=": ("at least {v}", "greater than or equal to {v}"),
    "<=": ("at most {v}", "less than or equal to {v}"), "in": ("in {v}",),
}


def _simple_compare(cond: Expr) -> Compare | None:
    if isinstance(cond, Compare) and len(cond.ops) == 1:
        return cond
    return None


def _names(expr: Expr) -> set[str]:
    """Variable names read by ``expr`` (``expr.free_names`` trips over string fields)."""
    out: set[str] = set()
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            out.add(node.id)
        elif isinstance(node, tuple):
            stack.extend(node)
        elif node is not None and not isinstance(node, Const | str):
            stack.extend(getattr(node, f) for f in node.__slots__)
    return out


def _satisfy_subject(cond: Expr) -> Expr:
    names = sorted(_names(cond))
    return Name(names[0]) if names else cond


def _relations(cond: Expr, bare: bool, after: frozenset[str] = frozenset()) -> list[str]:
    """``SUBJECT must ...`` sentences (``bare`` when it opens the step, so the subject is
    guarded against step-start keywords; else against the ``after`` words, those the parser
    reads as keywords after the word before it, ``So``)."""
    subject: Callable[[Expr], str] = _subject if bare else (lambda e: _slot(e, after))
    cmp = _simple_compare(cond)
    out: list[str] = []
    if cmp is not None and cmp.ops[0] in _MUST_FORMS:
        op, left, right = cmp.ops[0], cmp.left, cmp.comparators[0]
        reserved = AFTER_BE_WORDS if op in ("==",) else frozenset()
        for form in _MUST_FORMS[op]:
            value = _slot(right, reserved if form.startswith("must be {") else frozenset())
            out.append(f"{subject(left)} {form.format(v=value)}")
        if op in ("in", "not in"):
            verb = "must contain" if op == "in" else "must not contain"
            out.append(f"{subject(right)} {verb} {_slot(left)}")
    out.append(f"{subject(_satisfy_subject(cond))} must satisfy {_slot(cond)}")
    return out


def _choices(cond: Expr, head: str) -> list[str]:
    cmp = _simple_compare(cond)
    out: list[str] = []
    if cmp is not None and cmp.ops[0] in _BE_FORMS:
        op, left, right = cmp.ops[0], cmp.left, cmp.comparators[0]
        for form in _BE_FORMS[op]:
            value = _slot(right, AFTER_BE_WORDS if form == "{v}" else frozenset())
            rel = form.format(v=value)
            out.append(f"{head}Let {_slot(left)} be {rel}")
            out.append(f"{head}{_subject(left)} can be {rel}")
        if op == "==":
            out.insert(1, f"{head}Choose {_slot(left)} = {_slot(right)}")
    out.append(f"{head}Let {_slot(_satisfy_subject(cond))} satisfy {_slot(cond)}")
    return out


def _requirement(c: ConditionOnInputClaim, v: int) -> list[str]:
    head = _header(c)
    if c.modality is Modality.CHOICE:
        return _choices(c.condition, head)
    if c.modality is Modality.CONDITIONAL:
        rels = _relations(c.condition, bare=False)
        return [f"{head}Then {r}" for r in rels] + [f"{head}Given these choices, {rels[0]}"]
    if c.modality is Modality.NECESSARY:
        return [head + r for r in _relations(c.condition, bare=True)] + [
            f"{head}So {r}" for r in _relations(c.condition, bare=False, after=AFTER_SO_WORDS)[:1]]
    raise ValueError("a requirement claim is 'must', 'then-must' or 'let'")


_RENDERERS: dict[type[Claim], Callable[[Any, int], list[str]]] = {
    StateClaim: _state, ConditionClaim: _condition, LoopIterClaim: _loop_iter,
    LoopSkipClaim: _loop_skip, LoopEndClaim: _loop_end, CallResultClaim: _call_result,
    ReturnClaim: _return, RaiseClaim: _raise, CatchClaim: _catch, CallClaim: _call,
    AnswerClaim: _answer, CheckClaim: _check, GoalClaim: _goal, InputClaim: _input,
    ConditionOnInputClaim: _requirement,
}


def render_variants(claim: Claim) -> list[str]:
    """Every wording of ``claim`` (each ends with a period)."""
    renderer = _RENDERERS.get(type(claim))
    if renderer is None:
        raise ValueError(f"no wording for {type(claim).__name__}")
    return [_capitalize(text) + "." for text in renderer(claim, 0)]


def variant_count(claim: Claim) -> int:
    """How many wordings :func:`render_claim` can choose from for ``claim``."""
    return len(render_variants(claim))


def render_claim(claim: Claim, variant: int = 0) -> str:
    """Canonical text of ``claim``; ``variant`` (modulo :func:`variant_count`) picks the
    wording."""
    variants = render_variants(claim)
    return variants[variant % len(variants)]


def _capitalize(text: str) -> str:
    # Keywords are case-insensitive; names are not, so only an English first word changes.
    match = _FIRST_WORD.match(text)
    if match and match.group().lower() in {"the", "iteration", "iterations", "this", "we"}:
        return text[0].upper() + text[1:]
    return text
