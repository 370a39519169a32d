"""A clause of free-form chain-of-thought while the patterns read it, and what the pattern
modules share: the regex pieces of subjects, values and truth words, :class:`Clause` (its atoms
read as values, subjects and expressions), the outcome phrases and the working written in
parentheses that several patterns read, and the pattern tables' decorator factory.

Working written in parentheses is read too: a comparison after a stated truth value
(``is False (0 != -1)``) must have that truth value when evaluated as written, and where it is
the condition with values put in for names, each value is claimed for its name at the same
moment as the condition; an arithmetic chain (``(3 + 4 = 7)``) must hold as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform.exprs import Protected, parse_expr
from codecot.claims.freeform.model import Statement

ATOM = r"@\d+"
SUBJECT = (r"(?:(?:the|a\s+new)\s+(?:(?:new|final|current|updated|resulting)\s+value\s+of\s+|value\s+of\s+|"
           r"variable\s+|list\s+|string\s+|dictionary\s+|dict\s+|set\s+|counter\s+|tuple\s+|integer\s+|"
           r"number\s+|accumulator\s+|expression\s+|slice\s+)?)?"
            r"(?P<subj>@\d+|[^\W\d]\w*)")
LEN_SUBJECT = r"(?:the\s+)?(?:length|size)\s+of\s+(?:the\s+\w+\s+)?(?P<lensubj>@\d+|[^\W\d]\w*)"
VALUE = r"(?P<value>@\d+|[^\W\d]\w*)"
TRUTH = (r"(?P<truth>`?(?:true|false)`?|@\d+|satisfied|met|not\s+met|not\s+satisfied|"
         r"no\s+longer\s+(?:true|met|satisfied))")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7,
             "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10}
_COUNTS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4,
           "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "zero": 0}


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
        if text is not None and TOP_EQ.search(text):
            links = [x.strip() for x in TOP_EQ.split(text)]
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


TOP_EQ = re.compile(r"(?<![=!<>+\-*/%])=(?!=)")


def chain_working(clause: Clause) -> list[Statement]:
    """Name-free links of value atoms written as chains: ``[4 + 8, 9 - 8] = [12, 1]``."""
    out: list[Statement] = []
    for token in re.findall(r"@\d+", clause.p.text):
        text = clause.p.atom(token) or ""
        if not TOP_EQ.search(text):
            continue
        exprs = [parse_expr(x.strip()) for x in TOP_EQ.split(text)]
        if len(exprs) < 2 or any(x is None or E.free_names(x) or is_comparison(x) for x in exprs):
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


def truth_of(clause: Clause, token: str) -> bool | None:
    word = token.lower().strip("`").strip()
    atom = clause.p.atom(token.strip("`"))
    if atom is not None:
        word = atom.lower().strip()
    if word in ("true", "satisfied", "met"):
        return True
    if word in ("false",) or word.startswith(("not", "no longer")):
        return False
    return None


def number_word(word: str) -> int | None:
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
SKIPS = re.compile(
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


def outcome_of(text: str) -> tuple[bool, bool | None] | None:
    """(taken, is-a-loop) of an outcome phrase in ``text``; None without one."""
    for regex, taken in ((SKIPS, False), (_ENTERS, True)):
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


def working_of(clause: Clause, condition: E.Expr | None, truth: bool | None,
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
        if not is_comparison(work):
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


def is_comparison(expr: E.Expr) -> bool:
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


# ---- pattern tables ---------------------------------------------------------------------------

#: A pattern's reader: the statements it reads from a clause its regex matched, or None
Reader = Callable[[Clause, "re.Match[str]"], list[Statement] | None]
#: Patterns in the order they are tried: (compiled regex, reader)
PatternTable = list[tuple["re.Pattern[str]", Reader]]


def registrar(table: PatternTable) -> Callable[[str], Callable[[Reader], Reader]]:
    """The decorator factory of ``table``: ``@pattern(regex)`` appends the regex (compiled,
    case-insensitive) and the function it decorates, so a module's patterns are tried in the
    order they are written."""
    def pattern(regex: str) -> Callable[[Reader], Reader]:
        def register(fn: Reader) -> Reader:
            table.append((re.compile(regex, re.I), fn))
            return fn
        return register
    return pattern


def one_statement(kind: str, clause: Clause, *claims: M.Claim, pure: bool = False) -> list[Statement]:
    return [Statement(kind, (tuple(claims),), clause.raw, pure=pure)]
