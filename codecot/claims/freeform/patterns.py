"""Statements of one clause of free-form chain-of-thought.

A clause is first :func:`~codecot.claims.freeform.exprs.protect`-ed, so values are atoms
``@k``; then a table of patterns, most specific first, is tried on it.  Each pattern names what
it reads and builds the claims; a clause that no pattern matches is prose.  Only what a pattern
states is read: ``x is the index of 'o'`` is prose because ``the index of 'o'`` is no value,
``x is 4`` is a state claim.

Working written in parentheses is read too: a comparison after a stated truth value
(``is False (0 != -1)``) must have that truth value when evaluated as written, and where it is
the condition with values put in for names, each value is claimed for its name at the same
moment as the condition; an arithmetic chain (``(3 + 4 = 7)``) must hold as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.build_expr import is_boolean_shaped
from codecot.claims.freeform.exprs import Protected, parse_expr
from codecot.claims.freeform.model import (
    AppendClaim,
    BranchClaim,
    ComprehensionClaim,
    DeltaClaim,
    FreeCallClaim,
    NamedInputClaim,
    NothingAddedClaim,
    OutputClaim,
    Statement,
)

ATOM = r"@\d+"
_SUBJECT = (r"(?:(?:the|a\s+new)\s+(?:(?:new|final|current|updated|resulting)\s+value\s+of\s+|value\s+of\s+|"
            r"variable\s+|list\s+|string\s+|dictionary\s+|dict\s+|set\s+|counter\s+|tuple\s+|integer\s+|"
            r"number\s+|accumulator\s+|expression\s+|slice\s+)?)?"
            r"(?P<subj>@\d+|[^\W\d]\w*)")
_LEN_SUBJECT = r"(?:the\s+)?(?:length|size)\s+of\s+(?:the\s+\w+\s+)?(?P<lensubj>@\d+|[^\W\d]\w*)"
_VALUE = r"(?P<value>@\d+|[^\W\d]\w*)"
_TRUTH = (r"(?P<truth>`?(?:true|false)`?|@\d+|satisfied|met|not\s+met|not\s+satisfied|"
          r"no\s+longer\s+(?:true|met|satisfied))")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7,
             "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10}
_COUNTS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4,
           "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "zero": 0}
_LEAD = re.compile(
    r"^(?:(?:so|then|now|next|thus|therefore|hence|finally|also|and|here|therefore|again|"
    r"after\s+that|at\s+this\s+point|this\s+means(?:\s+that)?|which\s+means(?:\s+that)?|"
    r"as\s+a\s+result|in\s+this\s+case|we\s+see\s+that|we\s+get\s+that|we\s+find\s+that|"
    r"it\s+follows\s+that|note\s+that|remember\s+that|"
    r"after\s+the\s+loop|after\s+this|at\s+the\s+end(?:\s+of\s+the\s+(?:loop|function))?|first|second|third|"
    r"since|because|as|after\s+(?:processing|going\s+through|looping\s+over|visiting)\s+(?:all|every|each)"
    r"(?:\s+\w+){1,2}|after\s+the\s+[a-z]+(?=\s*,)|"
    r"afterwards|meanwhile|likewise|similarly|again|at\s+that\s+point|by\s+then|"
    r"after\s+@\d+|within\s+the\s+function|inside\s+the\s+function|in\s+the\s+function|"
    r"after\s+the\s+\w+\s+(?:element|character|item|iteration|pass|step|word|number|digit|value)|"
    r"for\s+@\d+(?=\s*,)|for\s+example|e\.g\.|in\s+particular|in\s+other\s+words|"
    r"initially|originally|at\s+first|at\s+the\s+(?:start|beginning)|before\s+the\s+loop|"
    r"i\s+think(?:\s+that)?|it\s+seems(?:\s+that)?|clearly|obviously|of\s+course|indeed|"
    r"for\s+(?:the\s+)?(?:output|result|return\s+value|answer|function|@\d+)\s+to\s+(?:be|return|equal|give|"
    r"produce)\s+@\d+(?=\s*,)|"
    r"(?:[\w@`' ]{0,40}?\s)?(?:confirms|shows|means|implies|tells\s+us|guarantees|ensures|proves)\s+that)"
    r"\b[,:]?\s*)+", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:would|suppose|supposing|imagine|hypothetically|otherwise)\b|"
                          r"\bif\s+(?:we|it|the|there|@\d+|[^\W\d]\w*\s+(?:were|was|is|had))\b", re.I)
_LOOKS_BACK = re.compile(r"\b(?:initially|originally|at\s+the\s+(?:start|beginning)|was|were|"
                         r"had\s+been|before\s+the\s+loop)\b", re.I)


@dataclass
class Found:
    """Statements read from a clause, and context it sets for later clauses."""

    statements: list[Statement] = field(default_factory=list)
    iteration: int | None = None
    bindings: tuple[tuple[str, E.Expr], ...] = ()
    line: int | None = None


@dataclass
class Clause:
    """A protected clause and its context while patterns read it."""

    p: Protected
    raw: str
    direction: str

    def expr(self, token: str | None) -> E.Expr | None:
        if token is None:
            return None
        text = self.p.atom(token)
        return parse_expr(text if text is not None else token)

    def value(self, token: str | None) -> E.Expr | None:
        """An atom read as a value: a placeholder or a bare number / True / False / None (a
        bare English word is none).  An atom written as a chain (``[4 + 8, 9 - 8] = [12, 1]``)
        is its last link; :func:`chain_working` reads the others."""
        if token is None:
            return None
        text = self.p.atom(token)
        if text is None and token.lower() not in ("true", "false", "none") \
                and not token.lstrip("-").isdigit():
            return None
        if text is not None and _TOP_EQ.search(text):
            links = [x.strip() for x in _TOP_EQ.split(text)]
            last = parse_expr(links[-1])
            return last if last is not None and not E.free_names(last) else None
        return self.expr(token)

    def subject(self, token: str | None) -> E.Expr | None:
        """A subject: a placeholder expression or a bare word that may name a variable."""
        if token is None:
            return None
        if self.p.atom(token) is None and token.lower() in _NOT_NAMES:
            return None
        return self.expr(token)


_TOP_EQ = re.compile(r"(?<![=!<>+\-*/%])=(?!=)")


def chain_working(clause: Clause) -> list[Statement]:
    """Name-free links of value atoms written as chains: ``[4 + 8, 9 - 8] = [12, 1]``."""
    out: list[Statement] = []
    for token in re.findall(r"@\d+", clause.p.text):
        text = clause.p.atom(token) or ""
        if not _TOP_EQ.search(text):
            continue
        exprs = [parse_expr(x.strip()) for x in _TOP_EQ.split(text)]
        if len(exprs) < 2 or any(x is None or E.free_names(x) or _comparison(x) for x in exprs):
            continue
        first = exprs[0]
        if first is None or isinstance(first, E.Const):
            continue
        out.append(Statement("working", ((M.StateClaim(target=first, chain=tuple(exprs[1:])),),),  # type: ignore[arg-type]
                             clause.raw, pure=True))
    return out


_NOT_NAMES = frozenset({
    # pronouns, articles and words for the program itself: never a variable in a sentence
    "it", "this", "that", "which", "what", "the", "a", "an", "we", "they", "there", "here",
    "function", "loop", "condition", "code", "program", "next", "then", "so", "now", "each",
    "every", "both", "all", "nothing", "everything", "none", "true", "false", "is", "and", "or",
    "not", "of", "in", "to", "for", "while", "if", "else", "also", "still", "them", "those", "these", "its", "their", "he", "she", "him", "her", "one", "another", "other",
})


def _truth(clause: Clause, token: str) -> bool | None:
    word = token.lower().strip("`").strip()
    atom = clause.p.atom(token.strip("`"))
    if atom is not None:
        word = atom.lower().strip()
    if word in ("true", "satisfied", "met"):
        return True
    if word in ("false",) or word.startswith(("not", "no longer")):
        return False
    return None


def _int(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    return _COUNTS.get(word)


# ---- outcome phrases, anywhere in a clause ---------------------------------------------------

_ENTERS = re.compile(
    r"\b(?:we\s+)?(?:enter|enters|entering|execute|executes|run|runs)\s+the\s+"
    r"(?P<what>if|loop|while|for|body|block|branch|if\s+block|if\s+body|loop\s+body|while\s+loop|"
    r"for\s+loop|if\s+statement|if\s+branch)\b"
    r"|\bthe\s+loop\s+(?:continues|runs\s+again|keeps\s+going)\b"
    r"|\bthe\s+(?P<what2>if|loop)\s+(?:block|body|branch)\s+(?:is\s+)?(?:executed|runs|taken)\b",
    re.I)
_SKIPS = re.compile(
    r"\b(?:we\s+)?(?:skip|skips|skipping|bypass)\s+the\s+(?P<what>if|loop|body|block|branch|"
    r"if\s+block|if\s+body|loop\s+body)\b"
    r"|\bthe\s+(?:while\s+|for\s+|outer\s+|inner\s+|main\s+)?loop\s+(?:terminates|ends|exits|stops|is\s+exited|finishes|"
    r"is\s+over|breaks)\b"
    r"|\b(?:we\s+)?(?:exit|exits|leave|leaves|break\s+out\s+of)\s+the\s+(?:while\s+|for\s+)?loop\b"
    r"|\bthe\s+loop\s+runs\s+out\s+of\s+(?:elements|items|values|characters|numbers)\b"
    r"|\bthe\s+(?P<what2>if|loop)\s+(?:block|body|branch)\s+(?:is\s+)?(?:skipped|not\s+executed|not\s+taken)\b"
    r"|\bthe\s+if\s+(?:condition\s+)?(?:is\s+)?not\s+(?:met|satisfied|taken)\b"
    r"|\b(?:we\s+)?(?:reach|reaches|go\s+to|goes\s+to|move\s+to|moves\s+to|enter|enters|take|takes|"
    r"fall\s+through\s+to)\s+the\s+(?P<what3>else)\s+(?:branch|block|clause|case)\b"
    r"|\bthe\s+(?P<what4>else)\s+(?:branch|block)\s+(?:is\s+)?(?:executed|runs|taken|entered)\b",
    re.I)


def _outcome(text: str) -> tuple[bool, bool | None] | None:
    """(taken, is-a-loop) of an outcome phrase in ``text``; None without one."""
    for regex, taken in ((_SKIPS, False), (_ENTERS, True)):
        m = regex.search(text)
        if m:
            groups = m.groupdict()
            what = (groups.get("what") or groups.get("what2") or groups.get("what3") or groups.get("what4")
                    or "").lower()
            phrase = m.group(0).lower()
            loop: bool | None = None
            if "loop" in phrase or "while" in what or "for" in what:
                loop = True
            elif "if" in what or what == "else":
                loop = False
            return taken, loop
    return None


# ---- working in parentheses --------------------------------------------------------------------

_PARENS = re.compile(r"\((?P<inner>[^()]{1,200})\)")


def _working(clause: Clause, condition: E.Expr | None, truth: bool | None,
             ) -> tuple[list[M.Claim], list[M.Claim]]:
    """Claims from parenthesized working: (pure checks, claims joint with the condition)."""
    pure: list[M.Claim] = []
    joint: list[M.Claim] = []
    for m in _PARENS.finditer(clause.p.text):
        inner = m.group("inner").strip()
        text = re.sub(r"@(\d+)", lambda g: clause.p.atoms[int(g.group(1))], inner)
        stated: bool | None = None
        tail = re.search(r"\s+(?:is|=|==|->|evaluates\s+to)\s+`?(true|false)`?\s*$", text, re.I)
        if tail:
            stated = tail.group(1).lower() == "true"
            text = text[:tail.start()]
        chain = [part.strip() for part in re.split(r"(?<![=!<>])=(?!=)", text)]
        exprs = [parse_expr(part) for part in chain]
        if any(x is None for x in exprs) or not exprs:
            continue
        items = [x for x in exprs if x is not None]
        if any(E.free_names(x) for x in items):
            continue
        if len(items) >= 2:
            pure.append(M.StateClaim(target=items[0], chain=tuple(items[1:])))
            continue
        work = items[0]
        if not _comparison(work):
            continue
        pairs = _substitution(condition, work) if condition is not None else []
        if stated is not None:
            want: bool | None = stated
        elif pairs:
            want = truth  # the condition with values put in: the same truth
        else:
            want = True  # a justification given beside it ("(2 != 1)"): asserted as true
        if want is None:
            continue
        pure.append(M.ConditionClaim(condition=work, truth=want))
        joint.extend(M.StateClaim(target=E.Name(n), chain=(v,)) for n, v in pairs)
    return pure, joint


def _comparison(expr: E.Expr) -> bool:
    return isinstance(expr, E.Compare | E.BoolOp) or (isinstance(expr, E.UnaryOp) and expr.op == "not")


def _substitution(pattern: E.Expr, filled: E.Expr) -> list[tuple[str, E.Expr]]:
    """Names of ``pattern`` and the constants standing in their place in ``filled`` when the two
    trees have the same shape; empty when they differ elsewhere."""
    out: list[tuple[str, E.Expr]] = []

    def walk(a: Any, b: Any) -> bool:
        if isinstance(a, E.Name):
            if isinstance(b, E.Const | E.ListExpr | E.TupleExpr | E.DictExpr | E.SetExpr) \
                    and not E.free_names(b):
                out.append((a.id, b))
                return True
            return bool(a == b)
        if type(a) is not type(b):
            return False
        if isinstance(a, tuple):
            return len(a) == len(b) and all(walk(x, y) for x, y in zip(a, b, strict=True))
        if hasattr(a, "__slots__") and not isinstance(a, E.Const):
            return all(walk(getattr(a, f), getattr(b, f)) for f in a.__slots__)
        return a == b

    if not walk(pattern, filled):
        return []
    seen: dict[str, E.Expr] = {}
    for name, value in out:
        if name in seen and seen[name] != value:
            return []
        seen[name] = value
    return list(seen.items())


# ---- the pattern table ------------------------------------------------------------------------

Reader = Callable[[Clause, "re.Match[str]"], list[Statement] | None]
_PATTERNS: list[tuple[re.Pattern[str], Reader]] = []


def pattern(regex: str) -> Callable[[Reader], Reader]:
    def register(fn: Reader) -> Reader:
        _PATTERNS.append((re.compile(regex, re.I), fn))
        return fn
    return register


def _one(kind: str, clause: Clause, *claims: M.Claim, pure: bool = False) -> list[Statement]:
    return [Statement(kind, (tuple(claims),), clause.raw, pure=pure)]


@pattern(r"^(?:the\s+)?(?:function\s+)?(?:@\d+\s+|\w+\s+)?(?:is|gets|was)\s+(?:called|invoked|executed|run)\s+"
         r"with\s+(?:the\s+)?(?:arguments?|inputs?|parameters?|values?)?\s*(?P<args>.+)$")
def _call(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _call_args(clause, m.group("args"))


@pattern(r"^(?:we\s+)?(?:call|calling|invoke|invoking|run|running|execute|executing)\s+"
         r"(?:the\s+function\s+)?(?:\w+\s+)?with\s+(?:the\s+)?(?:arguments?|inputs?)?\s*(?P<args>.+)$")
def _call2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _call_args(clause, m.group("args"))


@pattern(r"\b(?:trace|tracing|walk|walking|run|running|execute|executing|analy[sz]e|analy[sz]ing|evaluate|"
         r"evaluating|work\s+out|check|checking|compute|computing|look\s+at|consider|see\s+how|here's\s+how|"
         r"call|calling|classify|count)\b.*?(?P<atom>@\d+)")
def _traced_call(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    call = clause.expr(m.group("atom"))
    if isinstance(call, E.Call) and call.func not in E.BUILTIN_FUNCTIONS and call.args \
            and not any(E.free_names(a) for a in call.args):
        return _one("call", clause, FreeCallClaim(func=call.func, positional=call.args))
    text = clause.p.atom(m.group("atom")) or ""
    if re.match(r"^\s*[^\W\d]\w*\s*=(?!=)", text) and re.search(r"\bwith\s+@", clause.p.text):
        return _call_args(clause, m.group("atom"))
    return None


def _call_args(clause: Clause, args: str) -> list[Statement] | None:
    named: list[tuple[str, E.Expr]] = []
    positional: list[E.Expr] = []
    relative = re.search(r",\s*which\s+(?P<rest>.+)$", args)
    if relative:  # "with ops = [...], which contains 'pop' 3 times": about the last argument
        args = args[:relative.start()]
    for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", args):
        part = part.strip().rstrip(".")
        if not part:
            continue
        inner = clause.p.atom(part)
        text = inner if inner is not None else part
        eq = re.match(r"^([^\W\d]\w*)\s*=\s*(.+)$", re.sub(r"@(\d+)", lambda g: clause.p.atoms[int(g.group(1))], text))
        if eq:
            value = parse_expr(eq.group(2))
            if value is None:
                return None
            named.append((eq.group(1), value))
            continue
        value = clause.value(part) if inner is not None or part.lstrip("-").isdigit() else None
        if value is None:
            return None
        positional.append(value)
    if not named and not positional:
        return None
    out = _one("call", clause, FreeCallClaim(func=None, named=tuple(named), positional=tuple(positional)))
    if relative and named and not positional:
        about = f"{named[-1][0]} {relative.group('rest')}"
        out += read_clause(clause.p, about, clause.raw, clause.direction).statements
    return out


@pattern(r"^(?:the\s+)?(?:(?:first|second|third|next|last|final|other)\s+)?"
         r"(?P<which>while\s+|for\s+|if\s+|loop\s+|@\d+\s+)?(?:condition|(?<=the\s)(?P<check>check|test))\s+"
         r"(?:[`(]?(?P<cond>@\d+)[`)]?\s+)?"
         r"(?:is|evaluates\s+to|becomes|was|is\s+now|returns|will\s+be|remains|holds\s+as)\s+"
         r"(?:now\s+|still\s+|therefore\s+|also\s+)?" + _TRUTH + r"\b")
def _condition(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    cond = clause.expr(m.group("cond"))
    truth = _truth(clause, m.group("truth"))
    if truth is None:
        return None
    if cond is None and _outcome(clause.p.text) is None:
        which = (m.group("which") or "").strip()
        word = (clause.p.atom(which) or which).strip().lower()
        loop = True if word in ("while", "for", "loop") else False if word == "if" else None
        if m.group("check"):
            loop = False  # "the check": an if's test, not a loop's
        if loop is None and (which or clause.direction != "forward"):
            return None
        # "the condition is False": the next decision, loop or if, has that outcome
        return _one("branch", clause, BranchClaim(loop=loop, taken=truth))
    return _condition_statements(clause, cond, truth)


@pattern(r"^(?P<cond>@\d+)\s+(?P<verb>holds|is\s+satisfied|is\s+met|is\s+not\s+met|is\s+not\s+satisfied|"
         r"fails|does\s+not\s+hold|doesn't\s+hold)\b")
def _condition_holds(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``n > 2`` holds / is satisfied / fails."""
    cond = clause.expr(m.group("cond"))
    if cond is None or not (_comparison(cond) or is_boolean_shaped(cond)):
        return None
    truth = not re.search(r"not|fails|n't", m.group("verb"))
    return _condition_statements(clause, cond, truth)


@pattern(r"^" + _SUBJECT + r"\s+is\s+(?P<neg>not\s+)?(?P<rel>greater|larger|bigger|more|less|smaller|fewer)"
         r"\s+than\s+(?P<eq>or\s+equal\s+to\s+)?(?P<value>@\d+|[^\W\d]\w*)$")
def _compared(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``x`` is greater than ``3``: a condition on the state."""
    subject = clause.subject(m.group("subj"))
    value = clause.value(m.group("value")) or (clause.subject(m.group("value"))
                                               if m.group("value").isidentifier() else None)
    if subject is None or value is None:
        return None
    up = m.group("rel").lower() in ("greater", "larger", "bigger", "more")
    op = (">=" if up else "<=") if m.group("eq") else (">" if up else "<")
    cond = E.Compare(subject, (op,), (value,))
    return _one("condition", clause, M.ConditionClaim(condition=cond, truth=not m.group("neg")))


@pattern(r"^(?P<cond>@\d+)\s+(?:is|evaluates\s+to|becomes|is\s+now|returns|gives|was)\s+"
         r"(?:now\s+|still\s+|also\s+|therefore\s+|again\s+)?" + _TRUTH + r"\b")
def _condition2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    cond = clause.expr(m.group("cond"))
    truth = _truth(clause, m.group("truth"))
    if cond is None or truth is None or not (_comparison(cond) or is_boolean_shaped(cond)):
        return None
    return _condition_statements(clause, cond, truth)


def _condition_statements(clause: Clause, cond: E.Expr | None, truth: bool) -> list[Statement]:
    outcome = _outcome(clause.p.text)
    taken = outcome[0] if outcome else None
    pure, joint = _working(clause, cond, truth)
    out: list[Statement] = []
    if cond is not None:
        main: list[M.Claim] = [M.ConditionClaim(condition=cond, truth=truth, taken=taken), *joint]
        out.append(Statement("condition", (tuple(main),), clause.raw))
    elif outcome is not None:
        out.append(Statement("branch", ((BranchClaim(loop=outcome[1], taken=outcome[0]),),),
                             clause.raw))
    out.extend(Statement("working", ((c,),), clause.raw, pure=True) for c in pure)
    return out


@pattern(r"^(?:the\s+)?(?:(?:while|for)\s+)?loop(?:\s+body)?\s+(?:has\s+|will\s+)?(?:now\s+)?(?:runs|ran|run|executes|executed|execute|"
         r"iterates|iterated|repeats|is\s+executed|was\s+executed|runs\s+for|goes\s+through|completes|"
         r"completed|performs|performed)\s+(?:a\s+total\s+of\s+|exactly\s+|for\s+|only\s+)?"
         r"(?P<n>@\d+|\w+)\b(?!\s+(?:per|each|every|for\s+each|a\b|an\b))\s*(?:times?|iterations?)?\b")
def _loop_count(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    word = clause.p.atom(m.group("n")) or m.group("n")
    n = _int(word)
    if n is None:
        return None
    return _one("loop_end", clause, M.LoopEndClaim(iterations=n))


@pattern(r"\b(?:after|in\s+total\s+after|there\s+(?:are|were))\s+(?P<n>@\d+|\w+)\s+iterations?\b"
         r"|^it\s+(?:ran|runs|has\s+run|iterated|executed)\s+(?P<n2>@\d+|\w+)\s+times\b")
def _loop_count2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    token = m.group("n") or m.group("n2")
    n = _int(clause.p.atom(token) or token)
    if n is None:
        return None
    if m.group("n2"):
        return _one("loop_end", clause, M.LoopEndClaim(iterations=n))
    if not re.search(r"\bloop\b|\biterations?\b", clause.p.text, re.I):
        return None
    if not _SKIPS.search(clause.p.text) and not re.search(r"\b(?:total|there\s+(?:are|were))\b",
                                                          clause.p.text, re.I):
        return None
    return _one("loop_end", clause, M.LoopEndClaim(iterations=n))


@pattern(r"\b(?:we\s+)?(?:break|breaks)\s+(?:out\s+of\s+)?(?:the\s+)?(?:loop\s+)?(?:in|during|at|on)\s+"
         r"(?:the\s+)?(?:iteration\s+(?P<n>@\d+|\w+)|(?P<ord>\w+)\s+iteration)\b")
def _break_at(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    word = m.group("n") or m.group("ord") or ""
    n = _int(clause.p.atom(word) or word) or _ORDINALS.get(word.lower())
    if n is None:
        return None
    return _one("loop_end", clause, M.LoopEndClaim(iterations=n, how="break"))


@pattern(r"^" + _SUBJECT + r"\s+(?:increases|grows|goes\s+up|rises|decreases|drops|goes\s+down|falls)\s+"
         r"by\s+(?P<by>@\d+|\w+)(?:\s*(?:,\s*|\s+and\s+)(?:becomes|becoming|is\s+now|now\s+is|reaching|to)\s+"
         r"(?P<to>@\d+))?\s*$")
def _delta_active(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``count`` increases by 1 and becomes 3."""
    target = clause.subject(m.group("subj"))
    step = _int(clause.p.atom(m.group("by")) or m.group("by"))
    if target is None or step is None:
        return None
    if re.search(r"decreases|drops|down|falls", m.group(0), re.I):
        step = -step
    return _delta_statement(clause, target, step, m.group("to"))


def _delta_statement(clause: Clause, target: E.Expr, step: int, to_token: str | None) -> list[Statement]:
    """A change of ``target`` by ``step`` and, when the text gives it, the value it comes to."""
    out: list[M.Claim] = [DeltaClaim(target=target, delta=E.Const(step))]
    to = clause.value(to_token)
    if to is not None:
        out.append(M.StateClaim(target=target, chain=(to,)))
    return _one("delta", clause, *out)


@pattern(r"^" + _SUBJECT + r"\s+is\s+(?:then\s+|now\s+)?assigned\s+(?:the\s+value\s+(?:of\s+)?)?(?P<value>@\d+)"
         r"(?:\s*,\s*which\s+(?:gives|is|equals|evaluates\s+to)\s+(?P<which>@\d+))?\s*$")
def _is_assigned(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``x`` is assigned the value ``5``; ``y`` is assigned ``x * 2``, which gives ``24``."""
    if clause.direction != "forward":
        return None
    subject, value = clause.subject(m.group("subj")), clause.expr(m.group("value"))
    which = clause.value(m.group("which"))
    if subject is None or value is None:
        return None
    chain = (value,) if which is None else (value, which)
    if E.free_names(value) and which is None:
        return None  # "x is assigned y": read only with the value it comes to
    return _state_chain(clause, subject, chain) if len(chain) > 1 else _state(clause, subject, value)


@pattern(r"^(?:we\s+)?(?:then\s+|now\s+)?(?P<verb>concatenate|concatenating|add|adding|multiply|multiplying)\s+"
         r"(?P<a>@\d+)\s+(?:and|with|by)\s+(?P<b>@\d+)\s*,?\s+(?:to\s+get|gives|giving|which\s+gives|to\s+obtain|"
         r"results\s+in|yields)\s+(?P<value>@\d+)\s*$")
def _combine(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """We concatenate ``'a'`` and ``'b'`` to get ``'ab'``: working, checked as written."""
    a, b, value = clause.expr(m.group("a")), clause.expr(m.group("b")), clause.value(m.group("value"))
    if a is None or b is None or value is None:
        return None
    op = "*" if m.group("verb").lower().startswith("multipl") else "+"
    return _state(clause, E.BinOp(op, a, b), value)


@pattern(r"^" + _SUBJECT + r"\s+(?:is|gets)\s+(?P<verb>incremented|increased|decremented|decreased|"
         r"reduced|bumped)(?:\s+by\s+(?P<by>@\d+|\w+))?(?:\s*\(?\s*(?:to|so\s+it\s+is|now)\s+"
         r"(?P<to>@\d+)\)?)?")
def _delta(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    target = clause.subject(m.group("subj"))
    if target is None:
        return None
    by = m.group("by")
    step = 1 if by is None else _int(clause.p.atom(by) or by)
    if step is None:
        return None
    if m.group("verb").lower() in ("decremented", "decreased", "reduced"):
        step = -step
    return _delta_statement(clause, target, step, m.group("to"))


_VALUE_LIST = r"(?P<vals>@\d+(?:\s*,\s*@\d+)*(?:,?\s+(?:and|then)\s+|\s*,\s*)@\d+)"


@pattern(r"^(?:the\s+loop\s+variable\s+)?" + _SUBJECT + r"\s+(?:takes|took|will\s+take|goes\s+through|went\s+through|"
         r"runs\s+through|steps\s+through)\s+(?:on\s+)?(?:the\s+)?(?:values?\s+)?" + _VALUE_LIST + r"\s*(?:in\s+turn)?$")
def _takes_values(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``i takes the values 0, 1 and 2``: one state statement per value, in order."""
    target = clause.subject(m.group("subj"))
    values = [clause.value(tok) for tok in re.findall(ATOM, m.group("vals"))]
    if not isinstance(target, E.Name) or any(v is None or E.free_names(v) for v in values):
        return None
    return [Statement("state", ((M.StateClaim(target=target, chain=(v,)),),), clause.raw)
            for v in values if v is not None]


@pattern(r"^(?:(?:so\s+)?nothing|no\s+(?:element|item|value|character|number|word))\s+(?:is|gets)\s+"
         r"(?P<word>appended|added)(?:\s+to\s+(?:the\s+(?:list\s+|set\s+)?)?(?P<target>@\d+|[^\W\d]\w*))?\s*$"
         r"|^(?:(?:we|it|the\s+loop|@\d+)\s+)?(?:skips|skip|bypasses)\s+the\s+(?P<word2>append|add)(?:\s+call)?\s*$"
         r"|^(?P<item>@\d+)\s+is\s+not\s+(?P<word3>appended|added)"
         r"(?:\s+to\s+(?:the\s+(?:list\s+|set\s+)?)?(?P<target2>@\d+|[^\W\d]\w*))?\s*$")
def _nothing_added(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``nothing is appended``, ``the loop skips the append``, ```'x'` is not added to seen``."""
    if clause.direction != "forward":
        return None
    word = (m.group("word") or m.group("word2") or m.group("word3") or "").lower()
    word = "added" if word.startswith("add") else "appended"
    target_token = m.group("target") or m.group("target2")
    target = clause.subject(target_token) if target_token else None
    item = clause.value(m.group("item")) if m.group("item") else None
    if (target_token and target is None) or (m.group("item") and item is None):
        return None
    return _one("append", clause, NothingAddedClaim(target=target, item=item, word=word))


@pattern(r"^(?:the\s+(?:value|number|string|item|element|character|word)\s+(?=@))?"
         r"(?P<item>@\d+|[^\W\d]\w*)\s+(?:is|gets)\s+(?:appended|added)\s+to\s+"
         r"(?:the\s+(?:end\s+of\s+(?:the\s+)?)?(?:list\s+)?)?(?P<target>@\d+|[^\W\d]\w*)")
def _append(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    item, target = clause.expr(m.group("item")), clause.subject(m.group("target"))
    if item is None or target is None:
        return None
    return _one("append", clause, AppendClaim(target=target, item=item))


@pattern(r"^(?:we\s+)?(?:append|appends|add|adds)\s+(?P<item>@\d+|[^\W\d]\w*)\s+to\s+"
         r"(?:the\s+(?:list\s+)?)?(?P<target>@\d+|[^\W\d]\w*)")
def _append2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _append(clause, m)


@pattern(r"^(?P<call>@\d+)\s+(?:adds|appends)\s+(?P<item>@\d+)")
def _append3(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    call = clause.expr(m.group("call"))
    item = clause.expr(m.group("item"))
    if not isinstance(call, E.MethodCall) or call.method not in ("append", "add") or item is None:
        return None
    return _one("append", clause, AppendClaim(target=call.receiver, item=item))


_RETURNS_WHICH = r"(?:\s*,?\s*(?:which\s+is|i\.e\.|that\s+is|=)\s+(?P<which>@\d+))?"


@pattern(r"^(?:the\s+)?(?:function\s+|it\s+|we\s+|\w+\(\)\s+)?(?:now\s+|then\s+|finally\s+)?"
         r"(?:returns|will\s+return|would\s+return|return)\s+(?:the\s+value\s+of\s+)?(?:the\s+(?:tuple|list|string|dict|dictionary|"
         r"set|pair|value|integer|number)\s+(?=@))?(?P<value>@\d+|[^\W\d]\w*)" + _RETURNS_WHICH
         + r"(?P<rest>.*)$")
def _returns(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    rest = m.group("rest").strip()
    if re.match(r"(?:as\s+soon\s+as|when|whenever|if|once|unless|otherwise)\b", rest, re.I):
        return None  # "returns True as soon as the balance drops": what the code does, not the run
    if rest and not rest.startswith((",", ".", ";", "(", "to ", "as ", "at ")) \
            and not re.match(r"for\s+(?:the|this)\s+(?:given\s+)?inputs?\b", rest, re.I):
        return None  # "returns 'found at ' + str(i) for ...": the value goes on in words
    which = clause.value(m.group("which"))
    text = clause.p.atom(m.group("value")) or ""
    chain = [x.strip() for x in re.split(r"(?<![=!<>+\-*/%])=(?!=)", text)] if "=" in text else []
    if len(chain) >= 2:  # returns `-lo - 1 = -4 - 1 = -3`
        exprs = [parse_expr(x) for x in chain]
        if any(x is None for x in exprs) or E.free_names(exprs[-1]):  # type: ignore[arg-type]
            return None
        out = _one("return", clause, M.ReturnClaim(expr=exprs[0], value=exprs[-1]))  # type: ignore[arg-type]
        pure = [x for x in exprs[1:-1] if x is not None and not E.free_names(x)]
        if pure:
            out += _one("working", clause, M.StateClaim(target=pure[0], chain=(exprs[-1],)),  # type: ignore[arg-type]
                        pure=True)
        return out
    value = clause.subject(m.group("value"))
    if value is None:
        return None
    if which is not None:
        return _one("return", clause, M.ReturnClaim(expr=value, value=which))
    if E.free_names(value):
        # "returns positions": the value returned is that variable's value there
        return _one("return", clause, M.ReturnClaim(expr=value, value=value))
    return _one("return", clause, M.ReturnClaim(expr=None, value=value))


@pattern(r"^(?P<value>@\d+)\s+is\s+(?:then\s+|finally\s+)?returned(?:\s*,\s*which\s+is\s+(?P<which>@\d+))?$")
def _is_returned(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    value = clause.subject(m.group("value"))
    if value is None:
        return None
    which = clause.value(m.group("which"))
    if which is not None:
        return _one("return", clause, M.ReturnClaim(expr=value, value=which))
    return _one("return", clause, M.ReturnClaim(expr=value if E.free_names(value) else None, value=value))


@pattern(r"^(?:(?:the\s+)?(?:final\s+)?(?:return\s+value|returned\s+value|value\s+returned|output|answer|"
         r"predicted\s+output)|"
         r"(?:the\s+)(?:final\s+)?result|final\s+result)(?:\s+of\s+(?:the\s+function|the\s+call|@\d+|\w+))?"
         r"\s*(?:is|will\s+be|would\s+be|should\s+be|:|=|becomes)\s+(?:therefore\s+|thus\s+|then\s+)?"
         r"(?P<value>@\d+)")
def _output(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    value = clause.value(m.group("value"))
    if value is None:
        return None
    if E.free_names(value) and not isinstance(value, E.Call):
        return None
    if isinstance(value, E.Compare) and value.ops == ("==",) and isinstance(value.left, E.Call):
        return _one("output", clause, OutputClaim(call=value.left, value=value.comparators[0]))
    options: tuple[tuple[M.Claim, ...], ...] = ((OutputClaim(value=value),),)
    if re.match(r"^the\s+(?:final\s+)?result\b", clause.p.text, re.I):
        # "the result is 5" may speak of a variable called result
        options += ((M.StateClaim(target=E.Name("result"), chain=(value,)),),)
    return [Statement("output", options, clause.raw)]


@pattern(r"^(?:\[answer\]\s*)?(?:assert\s+)(?P<body>.+?)(?:\s*\[/answer\])?$")
def _assert(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    text = re.sub(r"@(\d+)", lambda g: clause.p.atoms[int(g.group(1))], m.group("body"))
    body = parse_expr(text)
    if not (isinstance(body, E.Compare) and body.ops == ("==",) and isinstance(body.left, E.Call)):
        return None
    call, value = body.left, body.comparators[0]
    if clause.direction == "backward":
        return [*_one("input", clause, M.InputClaim(args=call.args)),
                *_one("check", clause, M.CheckClaim(call=call, value=value))]
    return _one("output", clause, OutputClaim(call=call, value=value))


@pattern(r"^\[answer\]\s*(?P<body>.+?)\s*\[/answer\]$")
def _answer_block(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    text = re.sub(r"@(\d+)", lambda g: clause.p.atoms[int(g.group(1))], m.group("body")).strip()
    if clause.direction == "backward":
        call = parse_expr(text if text.startswith(("f(", "g(")) else f"f({text})")
        if isinstance(call, E.Call):
            return _one("input", clause, M.InputClaim(args=call.args))
        return None
    value = parse_expr(text)
    if value is None or E.free_names(value):
        return None
    return _one("output", clause, OutputClaim(value=value))


# backward: what the input must be, could be, is

_MUST_RELATIONS = (
    r"be\s+(?:greater|larger|more)\s+than", r"be\s+(?:less|smaller|fewer)\s+than", r"be\s+at\s+least",
    r"be\s+at\s+most", r"be\s+different\s+from", r"be\s+(?:exactly\s+)?equal\s+to", r"be\s+in",
    r"not\s+contain", r"not\s+include", r"not\s+be", r"occur\s+in", r"appear\s+in",
    r"have\s+(?:a\s+)?length\s+(?:of\s+)?(?:exactly\s+)?", r"have\s+at\s+least", r"have\s+at\s+most",
    r"have\s+(?:exactly\s+)?", r"start\s+with", r"begin\s+with", r"end\s+with", r"contain", r"include",
    r"equal", r"be\s+an?\s+(?:\w+\s+)?of\s+length\s+(?:exactly\s+)?", r"be\s+(?:exactly\s+)?",
)
_MUST = (r"\s+(?:must|has\s+to|needs\s+to|should|have\s+to)\s+(?:(?:therefore|also|then|still|exactly)\s+)?"
         r"(?P<rel>" + "|".join(f"{r}\\s+" if not r.endswith("?") else r for r in _MUST_RELATIONS) + r")"
         r"(?:the\s+(?:letter|character|value|number|string|substring|element|item|word|digit)\s+(?=@))?"
         r"(?P<value>@\d+|-?\d+|non-?empty|[^\W\d]\w*)(?P<unit>\s+(?:characters?|letters?|elements?|items?|entries|digits?|"
         r"values?|numbers?|words?))?")


@pattern(r"^(?:(?:the\s+)?(?:only\s+)?(?P<input>input|argument|parameter)"
         r"(?:\s+(?:string|list|number|integer|value|word|text|array|tuple|dictionary))?\b|"
         r"(?:the\s+(?P<pos>first|second|third|last)\s+(?:element|character|item|letter|entry|value|digit)\s+of\s+)?"
         + _SUBJECT + r")" + _MUST)
def _must(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    found = E.Name("__input__") if m.group("input") else clause.subject(m.group("subj"))
    if found is not None and m.group("pos"):
        found = E.Index(found, E.Const(_POSITION[m.group("pos").lower()]))
    rel = re.sub(r"\s+", " ", m.group("rel").lower().strip())
    rel = rel.replace(" exactly", "").replace("exactly ", "")
    if "of length" in rel:
        rel = "have length"  # "be a string of length 5"
    word = m.group("value")
    if found is None:
        return None
    subject: E.Expr = found
    if rel in ("be", "not be") and word.lower().replace("-", "") in _PROPERTIES:
        cond = _PROPERTIES[word.lower().replace("-", "")](subject)
        if rel == "not be":
            cond = E.UnaryOp("not", cond)
        return _one("must", clause, M.ConditionOnInputClaim(modality=M.Modality.NECESSARY, condition=cond))
    value = clause.value(word)
    if value is None and m.group("unit") and _int(word) is not None:
        value = E.Const(_int(word))
    if value is None and word.isidentifier() and not rel.startswith("have") and not m.group("unit"):
        value = clause.subject(word)  # "nums[1] must be target": another parameter
    if value is None:
        return None
    if m.group("unit") and "digit" in m.group("unit"):
        subject = E.Call("str", (subject,))  # "n must have 4 digits"
    if m.group("unit") or rel.startswith(("have a length", "have length", "have")):
        if not rel.startswith("have") and not m.group("unit"):
            return None
        if isinstance(value, E.Const) and isinstance(value.value, str):
            number = _int(value.value)
            value = E.Const(number) if number is not None else value
        if not (isinstance(value, E.Const) and type(value.value) is int):
            return None
        bound = {"have at least": "be at least", "have at most": "be at most"}.get(rel, "be")
        subject, rel = E.Call("len", (subject,)), bound
    relation = _relation(subject, rel, value)
    if relation is None:
        return None
    return _one("must", clause, M.ConditionOnInputClaim(modality=M.Modality.NECESSARY,
                                                       condition=relation))


_PROPERTIES: dict[str, Callable[[E.Expr], E.Expr]] = {
    "odd": lambda x: E.Compare(E.BinOp("%", x, E.Const(2)), ("==",), (E.Const(1),)),
    "even": lambda x: E.Compare(E.BinOp("%", x, E.Const(2)), ("==",), (E.Const(0),)),
    "positive": lambda x: E.Compare(x, (">",), (E.Const(0),)),
    "negative": lambda x: E.Compare(x, ("<",), (E.Const(0),)),
    "empty": lambda x: E.Compare(E.Call("len", (x,)), ("==",), (E.Const(0),)),
    "nonempty": lambda x: E.Compare(E.Call("len", (x,)), (">",), (E.Const(0),)),
}


def _relation(subject: E.Expr, rel: str, value: E.Expr) -> E.Expr | None:
    if rel in ("occur in", "appear in", "be in"):
        return E.Compare(subject, ("in",), (value,))
    if rel in ("not contain", "not include"):
        return E.Compare(value, ("not in",), (subject,))
    if rel in ("not be", "be different from"):
        return E.Compare(subject, ("!=",), (value,))
    ops = {"be": "==", "be equal to": "==", "equal": "==", "be greater than": ">",
           "be larger than": ">", "be more than": ">", "be less than": "<",
           "be smaller than": "<", "be fewer than": "<", "be at least": ">=", "be at most": "<="}
    if rel in ops:
        return E.Compare(subject, (ops[rel],), (value,))
    if rel in ("contain", "include"):
        return E.Compare(value, ("in",), (subject,))
    if rel in ("start with", "begin with"):
        return E.MethodCall(subject, "startswith", (value,))
    if rel == "end with":
        return E.MethodCall(subject, "endswith", (value,))
    return None


@pattern(r"^(?:we\s+know\s+that\s+|we\s+(?:need|want)\s+)?(?P<call>@\d+)\s*(?:==|must\s+(?:be|equal|return)|"
         r"should\s+(?:be|return)|to\s+(?:be|return|equal)|returns?)\s+(?P<value>@\d+)$")
def _goal(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``We know that f(??) == (2, 6, -1)``; ``we need f(x) to return 5``."""
    return _goal_parts(clause, clause.p.atom(m.group("call")) or "", m.group("value"))


@pattern(r"^(?:we\s+know\s+that\s+|we\s+(?:need|want)\s+)?(?P<atom>@\d+)$")
def _goal_atom(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The goal written as one comparison: ``f(??) == 35``."""
    text = clause.p.atom(m.group("atom")) or ""
    parts = text.split("==")
    if len(parts) != 2:
        return _atom_alone(clause, m)
    return _goal_parts(clause, parts[0], None, parts[1])


def _goal_parts(clause: Clause, text: str, value_token: str | None,
                value_text: str | None = None) -> list[Statement] | None:
    if clause.direction != "backward" or not re.fullmatch(r"[^\W\d]\w*\(.*\)", text.strip()):
        return None
    call = parse_expr(text.replace("??", "x"))
    value = clause.value(value_token) if value_text is None else parse_expr(value_text)
    if not isinstance(call, E.Call) or value is None or E.free_names(value):
        return None
    if call.args and not any(E.free_names(a) for a in call.args):
        return _one("check", clause, M.CheckClaim(call=call, value=value))
    return _one("goal", clause, OutputClaim(value=value))


@pattern(r"^(?:so\s+|thus\s+|therefore\s+)?(?:the|a|one|another|an)\s+(?:possible\s+|valid\s+|correct\s+|"
         r"suitable\s+|simplest\s+|example\s+)?(?:input|inputs|arguments?)\s+(?:that\s+works\s+|that\s+satisfies"
         r"\s+this\s+)?(?:could|can|would|might|is|are|will\s+be|should\s+be)\s+(?:be\s+)?(?P<args>.+)$")
def _input(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    if clause.direction != "backward":
        return None
    text = re.sub(r"@(\d+)", lambda g: clause.p.atoms[int(g.group(1))], m.group("args")).strip()
    text = re.sub(r"\s+itself$|[.,;:]+$", "", text)
    named = re.findall(r"([^\W\d]\w*)\s*=\s*(.+?)(?=\s*(?:,|\band\b)\s*[^\W\d]\w*\s*=|$)", text)
    if named and re.match(r"^\s*[^\W\d]\w*\s*=", text):
        pairs = [(n, parse_expr(v.strip().rstrip(","))) for n, v in named]
        if all(v is not None for _, v in pairs):
            return _one("input", clause, NamedInputClaim(named=tuple(pairs)))  # type: ignore[arg-type]
        return None
    call = parse_expr(text if re.match(r"^[^\W\d]\w*\(", text) else f"f({text})")
    if not isinstance(call, E.Call) or not call.args:
        return None
    return _one("input", clause, M.InputClaim(args=call.args))


# "An input such as [1, 2, 3] works"
pattern(r"^(?:so\s+|thus\s+|therefore\s+)?(?:an?\s+|any\s+)?(?:possible\s+|valid\s+)?(?:input|argument)\s+"
        r"(?:such\s+as|like)\s+(?P<args>@\d+)\s+(?:works|would\s+work|will\s+work|does\s+the\s+job|is\s+enough)$")(_input)


@pattern(r"^(?P<atom>@\d+)\s+(?:satisfies\s+(?:the|this|that|all|both|every)\b.*|works|fits|does\s+the\s+job)$")
def _works(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``x = 12`` satisfies the condition: a choice."""
    if clause.direction != "backward":
        return None
    eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", clause.p.atom(m.group("atom")) or "")
    value = parse_expr(eq.group(2)) if eq else None
    if eq is None or value is None or E.free_names(value):
        return None
    return _choice_pair(clause, eq.group(1), None, value) or None


_PAIR = re.compile(r"(?:^|,\s*|\s+and\s+)(?P<subj>@\d+|[^\W\d]\w*)\s*(?:=|to\s+be|be|as|equal\s+to)\s+"
                   r"(?P<value>@\d+|-?\d+)", re.I)


@pattern(r"^(?:let's\s+|let\s+us\s+|we\s+(?:can\s+|could\s+)?)?(?:choose|pick|set|take|try|use|let|select|"
         r"(?:a|one|the|our)\s+(?:natural\s+|simple\s+|simplest\s+|obvious\s+|easiest\s+|possible\s+|good\s+|"
         r"easy\s+)?(?:choice|option|pick)\s+is)"
         r"\s+(?P<pairs>.+)$")
def _choice(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    if clause.direction != "backward":
        return None
    out: list[Statement] = []
    for pair in _PAIR.finditer(m.group("pairs")):
        out.extend(_choice_pair(clause, pair.group("subj"), pair.group("value")))
    for atom in re.findall(r"@\d+", m.group("pairs")):  # `number = 4` written in one span
        text = clause.p.atom(atom) or ""
        eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", text)
        if eq:
            value = parse_expr(eq.group(2))
            if value is not None and not E.free_names(value):
                out.extend(_choice_pair(clause, eq.group(1), None, value))
    return out or None


def _choice_pair(clause: Clause, subj: str, value_token: str | None,
                 value: E.Expr | None = None) -> list[Statement]:
    subject = clause.subject(subj) if clause.p.atom(subj) is not None or subj.isidentifier() else None
    if value is None:
        value = clause.value(value_token)
    if subject is None or value is None or not isinstance(subject, E.Name):
        return []
    cond = E.Compare(subject, ("==",), (value,))
    return _one("let", clause, M.ConditionOnInputClaim(modality=M.Modality.CHOICE, condition=cond))


@pattern(r"^" + _SUBJECT + r"\s+(?:could|can|might)\s+be\s+" + _VALUE)
def _choice2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    if clause.direction != "backward":
        return None
    return _choice_pair(clause, m.group("subj"), m.group("value")) or None


# forward and backward facts about values

@pattern(r"^" + _LEN_SUBJECT + r"\s+(?:is|was|becomes|equals|=)\s+(?:now\s+|still\s+)?" + _VALUE)
def _length(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("lensubj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return _state(clause, E.Call("len", (subject,)), value)


@pattern(r"^" + _SUBJECT + r"\s*,?\s+(?:which\s+)?(?:has|contains|holds|keeps|still\s+has|now\s+has)\s+"
         r"(?P<item>@\d+)\s+(?:(?P<n>@\d+|\w+)\s+times|(?P<n2>once|twice|thrice))\b")
def _count_of(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``ops`` contains ``'pop'`` 3 times."""
    subject, item = clause.subject(m.group("subj")), clause.value(m.group("item"))
    word = m.group("n") or m.group("n2")
    n = _int(clause.p.atom(word) or word)
    if subject is None or item is None or n is None:
        return None
    return _state(clause, E.MethodCall(subject, "count", (item,)), E.Const(n))


@pattern(r"^" + _SUBJECT + r"\s+(?:has|contains|holds|keeps|still\s+has|now\s+has)\s+(?P<n>@\d+|\w+)\s+(?:elements?|items?|"
         r"characters?|entries|letters?|values?)\b")
def _has_n(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject = clause.subject(m.group("subj"))
    n = _int(clause.p.atom(m.group("n")) or m.group("n"))
    if subject is None or n is None:
        return None
    return _state(clause, E.Call("len", (subject,)), E.Const(n))


@pattern(r"^" + _SUBJECT + r"\s+(?:now\s+)?maps\s+(?P<key>@\d+)\s+to\s+" + _VALUE + r"\s*$")
def _maps(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The dictionary ``d`` now maps ``'a'`` to ``1``: ``d['a']`` is 1."""
    subject, key, value = clause.subject(m.group("subj")), clause.value(m.group("key")), clause.value(m.group("value"))
    if subject is None or key is None or value is None or not E.free_names(subject):
        return None
    return _state(clause, E.Index(subject, key), value)


@pattern(r"^the\s+(?:character|char|letter|element|item|value|entry)\s+at\s+(?:index|position)\s+(?P<index>@\d+)\s+"
         r"(?:of|in)\s+" + _SUBJECT + r"\s+(?:is|was|=)\s+" + _VALUE + r"\s*(?:$|[,;])")
def _at_index(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The character at index 2 of ``s`` is ``'c'``: ``s[2]``."""
    subject, index, value = clause.subject(m.group("subj")), clause.value(m.group("index")), clause.value(m.group("value"))
    if subject is None or index is None or value is None:
        return None
    return _state(clause, E.Index(subject, index), value)


@pattern(r"^(?:the\s+(?:string|list|word|sequence)\s+)?(?P<src>@\d+)\s+is\s+reversed\s*,?\s+"
         r"(?:to\s+get|to\s+give|giving|which\s+gives|to\s+obtain|resulting\s+in|and\s+becomes)\s+" + _VALUE + r"\s*$")
def _reversed(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The string ``'abc'`` is reversed to get ``'cba'``: ``'abc'[::-1]``."""
    src, value = clause.expr(m.group("src")), clause.value(m.group("value"))
    if src is None or value is None:
        return None
    return _state(clause, E.Slice(src, None, None, E.Const(-1)), value)


@pattern(r"^(?:so\s+|thus\s+|finally\s+)?(?:the\s+)?(?:list\s+|set\s+|dict(?:ionary)?\s+|generator\s+)?"
         r"comprehension\s+(?:then\s+)?(?:produces|gives|yields|builds|creates|returns|evaluates\s+to|results\s+in|"
         r"collects\s+(?:these|them|the\s+\w+)(?:\s+\w+)?\s+into|is)\s+(?:the\s+list\s+)?" + _VALUE + r"\s*$")
def _comprehension(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The list comprehension produces ``[5, 7, 9]``."""
    value = clause.value(m.group("value"))
    if clause.direction != "forward" or value is None or E.free_names(value):
        return None
    return _one("comprehension", clause, ComprehensionClaim(value=value))


_AGGREGATES = {"sum": "sum", "maximum": "max", "max": "max", "largest value": "max", "minimum": "min",
               "min": "min", "smallest value": "min"}


@pattern(r"^the\s+(?P<agg>sum|maximum|max|minimum|min|largest\s+value|smallest\s+value)\s+(?:of|in)\s+"
         + _SUBJECT + r"\s+(?:is|was|equals|=|is\s+now)\s+" + _VALUE + r"\s*(?:$|[,;])")
def _aggregate(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The sum of ``nums`` is 10: ``sum(nums)``."""
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    func = _AGGREGATES.get(re.sub(r"\s+", " ", m.group("agg").lower()))
    if subject is None or value is None or func is None:
        return None
    return _state(clause, E.Call(func, (subject,)), value)


_POSITION = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "seventh": 6,
             "eighth": 7, "ninth": 8, "tenth": 9, "last": -1, "penultimate": -2,
             "second-to-last": -2, "second to last": -2, "second last": -2}


@pattern(r"^the\s+(?P<pos>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|penultimate|"
         r"second(?:-to-|\s+to\s+|\s+)last|\d+(?:st|nd|rd|th))\s+(?:character|char|letter|element|item|entry|value)"
         r"\s+of\s+" + _SUBJECT + r"\s+(?:is|was|equals|=)\s+" + _VALUE + r"\s*(?:$|[,;])")
def _positional(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The last character of ``s`` is ``'n'``: ``s[-1]``; a literal subject makes it working."""
    word = re.sub(r"\s+", " ", m.group("pos").lower())
    index = _POSITION.get(word)
    if index is None:
        digits = re.sub(r"\D", "", word)
        index = int(digits) - 1 if digits and int(digits) > 0 else None
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if index is None or subject is None or value is None:
        return None
    return _state(clause, E.Index(subject, E.Const(index)), value)


@pattern(r"^(?P<call>@\d+)\s+(?:looks\s+for|searches\s+for|scans\s+for|finds|locates)\b.*?\b(?:is\s+)?"
         r"(?:at|in)\s+(?:index|position)\s+(?P<value>@\d+|-?\d+)\s*(?:$|[,;(])")
def _found_at(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``nums.index(7)`` looks for the first 7, which is at index 2."""
    call, value = clause.expr(m.group("call")), clause.value(m.group("value"))
    if not isinstance(call, E.MethodCall) or call.method not in ("index", "find", "rindex", "rfind") \
            or value is None:
        return None
    return _state(clause, call, value)


@pattern(r"(?:^|\s)(?P<src>@\d+)\s*,?\s+(?:which\s+)?(?:gives|produces|yields|generates)\s+(?:us\s+)?(?:the\s+)?"
         r"(?:(?:\w+|@\d+)\s+)?(?:values|numbers|integers|words|pairs|tuples|items|elements|characters|strings)\s+"
         r"(?P<vals>@\d+(?:\s*,\s*@\d+)*(?:\s*,?\s*and\s+@\d+)?)\s*$")
def _enumerated(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``range(10, 0, -3)`` produces the values 10, 7, 4 and 1: every item, in order."""
    src = clause.expr(m.group("src"))
    if not isinstance(src, E.Call | E.MethodCall):
        return None
    values = [clause.value(tok) for tok in re.findall(ATOM, m.group("vals"))]
    if len(values) < 2 or any(v is None or E.free_names(v) for v in values):
        return None
    return _state(clause, E.Call("list", (src,)), E.ListExpr(tuple(v for v in values if v is not None)))


@pattern(r"^(?:calling\s+)?(?:the\s+(?:slice|expression|subscript)\s+)?(?P<call>@\d+)\s+(?:is\s+called\s+and\s+)?"
         r"(?:returns|gives(?:\s+us)?|produces|evaluates\s+to|yields|results\s+in|"
         r"is\s+evaluated\s+to)\s+" + _VALUE)
def _call_value(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    rest = clause.p.text[m.end():].strip()
    if rest and not rest.startswith((",", ".", ";", "(", "because", "since", "as ", "which")):
        return None  # "divmod(123, 60) gives 2 hours with ...": the value goes on in words
    if _TOP_EQ.search(clause.p.atom(m.group("value")) or ""):
        return _echo_gives(clause, re.match(r"^(?P<echo>@\d+)\s+\w+(?:\s+\w+)?\s+(?P<value>@\d+)",
                                            clause.p.text) or m)
    call, value = clause.expr(m.group("call")), clause.value(m.group("value"))
    if isinstance(call, E.Index | E.Slice | E.BinOp) and value is not None \
            and not re.search(r"\breturns\b", m.group(0), re.I):
        # `s[1:3]` gives 'bc'; `a * b` evaluates to 12 (a condition that "gives" a value
        # is about what happens when it holds, so none is read)
        return _state(clause, call, value)
    if not isinstance(call, E.Call | E.MethodCall) or value is None:
        return None  # only a call returns or gives a value
    if not E.free_names(call) and not (isinstance(call, E.Call) and call.func not in E.BUILTIN_FUNCTIONS):
        return _state(clause, call, value)  # working: len('abc') gives 3
    if isinstance(call, E.Call) and call.func not in E.BUILTIN_FUNCTIONS:
        if any(E.free_names(a) for a in call.args):
            return None
        return _one("call_result", clause, M.CallResultClaim(call=call, value=value))
    return _state(clause, call, value)


@pattern(r"^(?P<atom>@\d+)$")
def _atom_alone(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """A clause that is one backticked statement: ``result = 8 + 5 = 13``, ``odd_count = 2``,
    ``int(' 12') = 12``, ``3 + 2*1 = 5``, or a comparison asserted as true: ``5 % 2 == 1``."""
    text = clause.p.atom(m.group("atom")) or ""
    if not clause.p.backticked[int(m.group("atom")[1:])] and not _TOP_EQ.search(text):
        return None
    return _assignment_text(clause, text)


def _assignment_text(clause: Clause, text: str) -> list[Statement] | None:
    parts = [x.strip() for x in re.split(r"(?<![=!<>+\-*/%])=(?!=)", text)]
    if len(parts) >= 2:
        exprs = [parse_expr(x) for x in parts]
        if any(x is None or _comparison(x) for x in exprs):
            return None  # "lo = 4 > hi = 3" is no chain of values
        target, *chain = [x for x in exprs if x is not None]
        if E.free_names(chain[-1]):
            return None  # "start = s.find('o')": the statement, no value
        if not E.free_names(target):
            if isinstance(target, E.Const):
                return None
            return _one("working", clause, M.StateClaim(target=target, chain=tuple(chain)), pure=True)
        return _state(clause, target, chain[0]) if len(chain) == 1 else \
            _state_chain(clause, target, tuple(chain))
    expr = parse_expr(text)
    if expr is not None and _comparison(expr) and not E.free_names(expr):
        return _one("working", clause, M.ConditionClaim(condition=expr, truth=True), pure=True)
    return None


def _state_chain(clause: Clause, target: E.Expr, chain: tuple[E.Expr, ...]) -> list[Statement] | None:
    """``result = 8 + 5 = 13``: the links without names are working, the last is the value."""
    if not isinstance(target, E.Name):
        return None
    links = chain if all(x is chain[-1] or E.free_names(x) for x in chain[:-1]) else (chain[-1],)
    claims: list[M.Claim] = [M.StateClaim(target=target, chain=links)]
    out = [Statement("state", (tuple(claims),), clause.raw)]
    if len(chain) >= 2 and not any(E.free_names(x) for x in chain):
        out.append(Statement("working", ((M.StateClaim(target=chain[0], chain=chain[1:]),),),
                             clause.raw, pure=True))
    return out


@pattern(r"^(?:(?:(?:we|it|the\s+function)\s+)?(?:start|starts|begin|begins|initialize|initializes|set|sets|"
         r"giving|gives|leaving|leaves|so|making|makes|now|with|and|then|resulting\s+in)"
         r"(?:\s+(?:out|off))?(?:\s+with)?\s+)?(?P<list>@\d+(?:\s*(?:,|and|,\s*and)\s*@\d+)*)$")
def _assignments(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``We start with a = 252, b = 105 and steps = 0``; ``giving res = [1, 4, 2] and lst = [3]``."""
    out: list[Statement] = []
    for token in re.findall(r"@\d+", m.group("list")):
        text = clause.p.atom(token) or ""
        if not _TOP_EQ.search(text):
            return None
        out.extend(_assignment_text(clause, text) or [])
    return out or None


@pattern(r"^" + _SUBJECT + r"\s+has\s+(?:a\s+)?length\s+(?:of\s+)?(?P<value>@\d+)")
def _has_length(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return _state(clause, E.Call("len", (subject,)), value)


@pattern(r"\b(?:raises|throws|raise|throw)\s+(?:an?\s+)?(?P<exc>[A-Z]\w*(?:Error|Exception|Interrupt|Iteration))\b")
def _raises(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``d['r']`` raises a ``KeyError``."""
    return _one("raise", clause, M.RaiseClaim(exc_type=m.group("exc")))


@pattern(r"^(?P<echo>@\d+)\s+(?:gives|yields|results\s+in|produces|makes\s+it|computes)\s+(?P<value>@\d+)")
def _echo_gives(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``result += n`` gives ``1 + 3 = 4``; ``popitem()`` gives ``k = 'a'``."""
    echo = clause.p.atom(m.group("echo")) or ""
    value_text = clause.p.atom(m.group("value")) or ""
    if not _TOP_EQ.search(echo) and not re.match(r"^\s*[^\W\d]\w*\s*=(?!=)", value_text):
        return None  # "s.find('a') gives 3" is a call's value, read by _call_value
    target = re.match(r"^\s*([^\W\d]\w*)\s*(?:[-+*/%]|//|\*\*)?=(?!=)", echo)
    if re.match(r"^\s*[^\W\d]\w*\s*=(?!=)", value_text):
        return _assignment_text(clause, value_text)
    if target is None:
        return None
    return _assignment_text(clause, f"{target.group(1)} = {value_text}")


@pattern(r"^(?P<call>@\d+)\b.*?\b(?:leaving|leaves|giving|resulting\s+in|so\s+that\s+it\s+is|to\s+get)\s+"
         r"(?P<value>@\d+)$")
def _leaving(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``results.pop(0)`` removes the first element, leaving ``[0, 2, 0, 2]``."""
    call = clause.expr(m.group("call"))
    value = clause.value(m.group("value"))
    if not isinstance(call, E.MethodCall) or value is None:
        return None
    if call.method in _MUTATORS and isinstance(call.receiver, E.Name):
        return _state(clause, call.receiver, value)  # what the object holds afterwards
    return _state(clause, call, value)  # the call's own value


_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                       "update", "popitem", "setdefault", "add", "discard"})


@pattern(r"\b(?:leaves|keeps|leaving|keeping)\s+" + _SUBJECT + r"\s+(?:unchanged\s+|the\s+same\s+)?"
         r"(?:at|as)\s+" + _VALUE)
def _leaves(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return _state(clause, subject, value)


@pattern(r"^(?P<subj>@\d+)\s+(?:is|was)\s+(?:still\s+|now\s+|also\s+)?(?P<truth>truthy|falsy|falsey|nonzero|non-zero|zero)\b")
def _truthy(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``b = 7`` is still truthy; ``n`` is zero."""
    text = clause.p.atom(m.group("subj")) or ""
    assigned = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", text)
    out: list[Statement] = []
    subject: E.Expr | None
    if assigned:
        subject = E.Name(assigned.group(1))
        out.extend(_assignment_text(clause, text) or [])
    else:
        subject = clause.subject(m.group("subj"))
    if subject is None or not E.free_names(subject):
        return out or None
    word = m.group("truth").lower()
    if word == "zero":
        cond: E.Expr = E.Compare(subject, ("==",), (E.Const(0),))
    elif word in ("nonzero", "non-zero"):
        cond = E.Compare(subject, ("!=",), (E.Const(0),))
    else:
        cond = subject if word == "truthy" else E.UnaryOp("not", subject)
    out.append(Statement("condition", ((M.ConditionClaim(condition=cond, truth=True),),), clause.raw))
    return out


@pattern(r"^" + _SUBJECT + r"\s+(?:is|was)\s+(?P<neg>not\s+|no\s+longer\s+|still\s+|now\s+)?(?:an?\s+)?empty\b")
def _emptiness(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject = clause.subject(m.group("subj"))
    if subject is None:
        return None
    empty = not (m.group("neg") or "").strip().startswith(("not", "no"))
    cond = E.Compare(E.Call("len", (subject,)), ("==" if empty else "!=",), (E.Const(0),))
    return _one("condition", clause, M.ConditionClaim(condition=cond, truth=True))


@pattern(r"^" + _SUBJECT + r"\s+(?:starts|begins|starts\s+out)\s+(?:as|with|at)\s+(?:an?\s+)?empty\s+"
         r"(?P<kind>list|string|dict|dictionary|set|tuple)\b")
def _starts_empty(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _empty_made(clause, m)


@pattern(r"^(?:we\s+)?(?:then\s+)?(?:set|sets|setting|update|updates|updating|change|changes|assign|reassign|reset|"
         r"resets)\s+"
         + _SUBJECT + r"\s+(?:to|as|equal\s+to)\s+" + _VALUE + r"$")
def _set_to(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """We set ``x`` to ``5``."""
    if clause.direction != "forward":
        return None
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return _state(clause, subject, value)


@pattern(r"^(?:the\s+value\s+)?(?P<value>@\d+)\s+is\s+(?:assigned|stored|saved)\s+(?:to|in|into)\s+" + _SUBJECT + r"$")
def _assigned_to(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The value ``5`` is assigned to ``x``."""
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return _state(clause, subject, value)


@pattern(r"^(?:an?\s+)?empty\s+(?P<kind>list|string|dict|dictionary|set|tuple)\s+(?:called\s+|named\s+)?"
         r"(?P<subj>@\d+|[^\W\d]\w*)\s+(?:is\s+)?(?:created|initialized|initialised|defined|made)\b")
def _empty_made(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject = clause.subject(m.group("subj"))
    if subject is None:
        return None
    empties: dict[str, E.Expr] = {"list": E.ListExpr(()), "string": E.Const(""),
                                  "dict": E.DictExpr((), ()), "dictionary": E.DictExpr((), ()),
                                  "set": E.Call("set", ()), "tuple": E.TupleExpr(())}
    empty = empties[m.group("kind").lower()]
    return _state(clause, subject, empty)


@pattern(r"^" + _SUBJECT + r"\s+(?:is|gets)\s+(?:created\s+and\s+)?(?:initialized|initialised|set|created)\s+(?:to|as)\s+"
         r"(?:an?\s+)?empty\s+(?P<kind>list|string|dict|dictionary|set|tuple)\b")
def _made_empty(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _empty_made(clause, m)


@pattern(r"^(?P<left>@\d+),?\s+which\s+is\s+(?P<value>@\d+)$")
def _which_is(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``range(9 - 3 + 1)``, which is ``range(7)``; ``shares = [each] * parts``, which is ..."""
    assigned = re.match(r"^\s*([^\W\d]\w*)\s*=(?!=)", clause.p.atom(m.group("left")) or "")
    if assigned:
        value = clause.value(m.group("value"))
        return _state(clause, E.Name(assigned.group(1)), value) if value is not None else None
    left, value = clause.expr(m.group("left")), clause.value(m.group("value"))
    if left is None or value is None or isinstance(left, E.Const):
        return None
    if not E.free_names(left) and not E.free_names(value):
        return _one("working", clause, M.StateClaim(target=left, chain=(value,)), pure=True)
    return _state(clause, left, value)


@pattern(r"^(?P<a>@\d+|[^\W\d]\w*)\s+and\s+(?P<b>@\d+|[^\W\d]\w*)\s+(?:both\s+)?(?:start|begin|are|are\s+set|are\s+initialized)"
         r"\s+(?:at\s+|as\s+|to\s+|with\s+)?(?P<value>@\d+)$")
def _both(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``fact_i`` and ``special_fact`` both start at 1."""
    value = clause.value(m.group("value"))
    out: list[Statement] = []
    for token in (m.group("a"), m.group("b")):
        subject = clause.subject(token)
        if not isinstance(subject, E.Name) or value is None:
            return None
        out.extend(_state(clause, subject, value) or [])
    return out or None


@pattern(r"^(?P<subj>@\d+)\s+to\s+(?P<value>@\d+)$")
def _ellipsis(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``x`` is initialized to ``1`` and ``odd_count`` to ``0``: the second half."""
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if not isinstance(subject, E.Name) or value is None:
        return None
    return _state(clause, subject, value)


@pattern(r"^(?:where|with|here)\s+(?P<left>@\d+)\s+(?:is|=|equals|being)\s+(?P<value>@\d+)$")
def _where_is(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``..., where -n is -1``."""
    left, value = clause.expr(m.group("left")), clause.value(m.group("value"))
    if left is None or value is None:
        return None
    return _state(clause, left, value)


_STATE_VERBS = (r"(?:is|are|gets|was)\s+(?:now\s+|still\s+|then\s+)?(?:initialized|initialised|set|"
                r"updated|assigned|reassigned|reset|changed|modified)\s+(?:to|as)|"
                r"(?:now\s+)?(?:becomes|became|remains|stays|stayed|remained|equals|holds|contains|stores|"
                r"turns\s+into|turned\s+into|grows\s+to|grew\s+to|shrinks\s+to|changes\s+to|changed\s+to|"
                r"goes\s+(?:up\s+|down\s+)?to|went\s+(?:up\s+|down\s+)?to|ends\s+(?:up\s+)?(?:at|as)|ended\s+(?:up\s+)?(?:at|as)|"
                r"comes\s+out\s+(?:to|as)|evaluates\s+to|is\s+evaluated\s+to|will\s+be|has\s+become|"
                r"remains\s+unchanged\s+at|stays\s+unchanged\s+at|gets|now\s+gets|"
                r"starts\s+(?:at|as|with)|starts\s+out\s+as|begins\s+(?:at|as))|"
                r"is\s+now|is\s+still|is\s+then|now\s+holds|now\s+has\s+the\s+value|has\s+the\s+value|"
                r"is\s+equal\s+to|=|:=|is|are|was|were")


@pattern(r"^(?:makes?\s+)?" + _SUBJECT + r"\s+(?P<verb>" + _STATE_VERBS + r")\s+"
         r"(?:now\s+|initially\s+|still\s+|then\s+|again\s+|currently\s+|finally\s+|also\s+|"
         r"updated\s+to\s+|set\s+to\s+|equal\s+to\s+)?" + _VALUE
         + r"(?P<rest>.*)$")
def _state_pattern(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject = clause.subject(m.group("subj"))
    value = clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    rest = m.group("rest").strip()
    if rest and not rest.startswith(("(", ",", ";", ".", "because", "since", "as ", "at ",
                                     "after", "now", "here", "again", "for ", "in ", "when")):
        return None  # "x is 3 more than y": the value continues in words
    if m.group("verb").strip() in ("=", ":=") and E.free_names(value):
        return None  # "start = s.find('o')": the statement echoed, no value stated
    if m.group("verb").strip() in ("is", "are") and isinstance(subject, E.Name) \
            and _comparison(value):
        return None
    out = _state(clause, subject, value)
    length = re.match(r"^,\s*(?:a|an)\s+\w+\s+of\s+length\s+(@\d+|\d+)", rest)
    if out and length:
        n = clause.value(length.group(1))
        if n is not None:
            out.append(Statement("value", ((M.StateClaim(target=E.Call("len", (subject,)), chain=(n,)),),),
                                 clause.raw))
    return out


@pattern(r"\bmakes?\s+" + _SUBJECT + r"\s+(?:equal\s+to\s+|equal\s+|become\s+|be\s+)?" + _VALUE + r"$")
def _makes(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return _state(clause, subject, value)


def _state(clause: Clause, subject: E.Expr, value: E.Expr) -> list[Statement] | None:
    if isinstance(subject, E.Call) and subject.func not in E.BUILTIN_FUNCTIONS \
            and not any(E.free_names(a) for a in subject.args) and not E.free_names(value):
        return _one("call_result", clause, M.CallResultClaim(call=subject, value=value))
    if not E.free_names(subject):
        if isinstance(subject, E.Const | E.ListExpr | E.TupleExpr | E.DictExpr | E.SetExpr) \
                or E.free_names(value):
            return None  # "'P' becomes 'p'": a description of values, not of the program's state
        return _one("working", clause, M.StateClaim(target=subject, chain=(value,)), pure=True)
    pure, _ = _working(clause, None, None)
    pure += [c for st in chain_working(clause) for o in st.options for c in o]
    claims: list[M.Claim] = [M.StateClaim(target=subject, chain=(value,))]
    out = [Statement("state" if isinstance(subject, E.Name) else "value", (tuple(claims),), clause.raw)]
    out.extend(Statement("working", ((c,),), clause.raw, pure=True) for c in pure)
    return out


@pattern(r"(?:\u2192|->|=>)")
def _arrows(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``s[0] == s[1]`` -> ``'a' == 'd'`` -> ``False``; ``('b', 2)`` -> ``inv = {1: 'a', 2: 'b'}``."""
    parts = [x.strip() for x in re.split(r"\u2192|->|=>", clause.p.text)]
    atoms = [x for x in parts if re.fullmatch(r"@\d+", x)]
    out: list[Statement] = []
    for part in parts:
        if re.fullmatch(r"@\d+", part) and re.match(r"^\s*[^\W\d]\w*\s*=(?!=)", clause.p.atom(part) or ""):
            out.extend(_assignment_text(clause, clause.p.atom(part) or "") or [])
    values = [clause.expr(a) for a in atoms]
    if len(values) >= 2 and all(v is not None for v in values) and not out:
        last = values[-1]
        assert last is not None
        if not E.free_names(last) and isinstance(last, E.Const):
            for v in values[:-1]:
                assert v is not None
                if isinstance(v, E.Const):
                    continue
                if _comparison(v) and isinstance(last.value, bool):
                    claim: M.Claim = M.ConditionClaim(condition=v, truth=last.value)
                else:
                    claim = M.StateClaim(target=v, chain=(last,))
                out.append(Statement("working" if not E.free_names(v) else "value", ((claim,),),
                                     clause.raw, pure=not E.free_names(v)))
    if not out:  # "'a' -> `isalpha()` is `True` -> append 'a'": read each part as a clause
        for part in parts:
            for regex, fn in _PATTERNS:
                if fn is _arrows:
                    continue
                found = regex.search(part)
                if found is None:
                    continue
                sub = Clause(Protected(part, clause.p.atoms, clause.p.backticked), clause.raw,
                             clause.direction)
                statements = fn(sub, found)
                if statements:
                    out.extend(statements)
                    break
    return out or None


@pattern(r"@\d+")
def _working_atoms(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """Arithmetic written out inside a span, as the last resort: ``1 + 2 + 2 + 4 = 8``."""
    out: list[Statement] = []
    for token in re.findall(r"@\d+", clause.p.text):
        text = clause.p.atom(token) or ""
        if "=" not in text or not clause.p.backticked[int(token[1:])]:
            continue
        parts = [x.strip() for x in re.split(r"(?<![=!<>+\-*/%])=(?!=)", text)]
        exprs = [parse_expr(x) for x in parts]
        if len(parts) >= 2 and all(x is not None and not E.free_names(x) and not _comparison(x)
                                   for x in exprs) and not isinstance(exprs[0], E.Const):
            out.extend(_one("working", clause, M.StateClaim(target=exprs[0], chain=tuple(exprs[1:])),  # type: ignore[arg-type]
                            pure=True))
    return out or None


@pattern(r"@\d+")
def _assignments_inside(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """Backticked ``name = literal`` anywhere in a forward clause (``the loop goes over
    `nums = [1, 2, 3]` ``): the variable has that value at some moment."""
    if clause.direction != "forward":
        return None
    out: list[Statement] = []
    for token in re.findall(r"@\d+", clause.p.text):
        k = int(token[1:])
        text = clause.p.atom(token) or ""
        if clause.p.backticked[k] and re.fullmatch(r"\s*[^\W\d]\w*\s*=(?!=)[^=]+", text):
            out.extend(_assignment_text(clause, text) or [])
    return out or None


@pattern(r".")
def _outcome_only(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    outcome = _outcome(clause.p.text)
    if outcome is None:
        return None
    return _one("branch", clause, BranchClaim(loop=outcome[1], taken=outcome[0]))


# ---- entry point -------------------------------------------------------------------------------

_ITERATION = re.compile(
    r"(?:^|\b(?:in|during|for|on|at)\s+)(?:the\s+)?(?:(?P<ord>first|second|third|fourth|fifth|sixth|"
    r"seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+(?:iteration|pass|loop\s+iteration)|"
    r"iteration\s+(?:#\s*)?(?P<num>\d+))\b"
    # "for the first character 'a',": the loop's first iteration (only after a preposition:
    # "The first character of s is ..." is a statement, not a context)
    r"|\b(?:for|on|at|with)\s+the\s+(?P<ord2>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"\d+(?:st|nd|rd|th))\s+(?:character|char|letter|element|item|number|word|value|digit)\b"
    r"(?:\s+(?:@\d+|'[^']{0,20}'|\"[^\"]{0,20}\"|-?\d+))?(?=\s*,)", re.I)
_BINDING = re.compile(r"^(?:for|when|with|if|in\s+the\s+iteration\s+(?:for|where|with))\s+"
                      r"(?P<name>@\d+|[^\W\d]\w*)\s*(?:=|==|is|being)\s+(?P<value>@\d+|-?\d+)\s*[,:]?\s*", re.I)
_BINDING_ATOM = re.compile(r"^(?:for|when|with)?\s*\(?(?P<atom>@\d+)\)?\s*:\s*|^(?:for|when|with)\s+\(?(?P<atom2>@\d+)\)?"
                           r"\s*(?:,\s*|$)", re.I)


def _binding(clause: Clause, m: re.Match[str]) -> tuple[E.Name | None, E.Expr | None]:
    """The (name, value) a loop-context opening gives: ``for ch = 'a'``, ``when `i = 2`:``."""
    groups = m.groupdict()
    atom = groups.get("atom") or groups.get("atom2")
    if atom is not None:
        eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", clause.p.atom(atom) or "")
        if eq is None:
            return None, None
        value = parse_expr(eq.group(2))
        if value is None or E.free_names(value):
            return None, None
        return E.Name(eq.group(1)), value
    name = clause.subject(m.group("name"))
    value = clause.value(m.group("value"))
    return (name if isinstance(name, E.Name) else None), value


_LINE_REF = re.compile(r"^\s*(?:\[L(?P<a>\d+)\](?:\s*,\s*\[L\d+\])*|(?:on|in|at)?\s*line\s+(?P<b>\d+))\s*[:,]?\s*",
                       re.I)
#: line tags inside a sentence ("so [L20] sets ..."): dropped before reading
INNER_LINE_TAG = re.compile(r"\[L\d+\]\s*")


def context_of(text: str) -> tuple[int | None, int | None]:
    """(iteration, line) named at the start of a heading or sentence (``Iteration 2``, ``In the
    second iteration``, ``[L5]``, ``On line 5``)."""
    m = _ITERATION.search(text[:80])
    iteration = None
    if m:
        word = (m.group("ord") or m.group("num") or m.group("ord2") or "").lower()
        iteration = _ORDINALS.get(word) or (int(re.sub(r"\D", "", word)) if re.sub(r"\D", "", word) else None)
    lm = _LINE_REF.match(text)
    line = int(lm.group("a") or lm.group("b")) if lm else None
    return iteration, line


def strip_context(text: str) -> tuple[str, int | None, int | None]:
    """``text`` without a leading line reference or iteration phrase, and what they named."""
    line = iteration = None
    lm = _LINE_REF.match(text)
    if lm:
        line = int(lm.group("a") or lm.group("b"))
        text = text[lm.end():]
    it = _ITERATION.match(text)
    if it:
        iteration, _ = context_of(text)
        text = text[it.end():].lstrip(" ,:")
    return text, iteration, line


_KEYWORD_ATOMS = frozenset({"if", "else", "elif", "while", "for", "break", "continue"})


def read_clause(p: Protected, body: str, raw: str, direction: str, *,
                choosing: bool = False) -> Found:
    """The statements of one clause (``body``: a stretch of the protected sentence ``p``) and
    the context it sets (see the module doc).  ``choosing``: an earlier clause of the sentence
    made a choice, so a bare ``name = value`` here is one more (``choose a = 1 and b = 2``)."""
    found = Found()
    clause = Clause(Protected(body, p.atoms, p.backticked), raw, direction)
    looks_back = bool(_LOOKS_BACK.search(body))
    if _HYPOTHETICAL.search(body):
        return found  # "the answer would be 0", "if we used ...": not a statement about the run
    # a keyword in backticks ("the `else` branch") is a word of the sentence, not a value
    body = re.sub(r"@(\d+)", lambda g: p.atoms[int(g.group(1))].strip()
                  if p.atoms[int(g.group(1))].strip() in _KEYWORD_ATOMS else g.group(0), body)
    body = _LEAD.sub("", body.strip()).strip().rstrip(".!;:").strip()
    if choosing and direction == "backward":
        m = re.fullmatch(r"(?:and\s+)?(@\d+)", body)
        text = clause.p.atom(m.group(1)) if m else None
        eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", text or "")
        if eq:
            value = parse_expr(eq.group(2))
            if value is not None and not E.free_names(value):
                found.statements.extend(_choice_pair(clause, eq.group(1), None, value))
                return found
    b = _BINDING.match(body) or _BINDING_ATOM.match(body)
    if b:
        name, value = _binding(clause, b)
        if name is not None and value is not None:
            found.bindings = ((name.id, value),)
            found.statements.append(Statement(
                "iteration", ((M.StateClaim(target=name, chain=(value,)),),), raw))
        body = body[b.end():]
    body = re.sub(r"\s+", " ", body)
    if not body:
        return found
    clause.p.text = body
    for regex, fn in _PATTERNS:
        m = regex.search(body)
        if m is None:
            continue
        statements = fn(clause, m)
        if statements:
            found.statements.extend(
                Statement(s.kind, s.options, s.clause, looks_back=looks_back, pure=s.pure)
                for s in statements)
            break
    return found
