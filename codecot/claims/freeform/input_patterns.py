"""The backward patterns that read what the input must be, could be or is: necessities
(``x must be greater than 3``), goals, inputs and choices; in the order they are tried."""

from __future__ import annotations

import re
from collections.abc import Callable

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform.clause import (
    SUBJECT,
    VALUE,
    Clause,
    PatternTable,
    number_word,
    one_statement,
    registrar,
)
from codecot.claims.freeform.exprs import parse_expr
from codecot.claims.freeform.model import (
    NamedInputClaim,
    OutputClaim,
    Statement,
)
from codecot.claims.freeform.value_patterns import POSITIONS, atom_alone

#: This module's patterns, in the order they are tried
PATTERNS: PatternTable = []
pattern = registrar(PATTERNS)


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
         + SUBJECT + r")" + _MUST)
def _must(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    found = E.Name("__input__") if m.group("input") else clause.subject(m.group("subj"))
    if found is not None and m.group("pos"):
        found = E.Index(found, E.Const(POSITIONS[m.group("pos").lower()]))
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
        return one_statement("must", clause, M.ConditionOnInputClaim(modality=M.Modality.NECESSARY, condition=cond))
    value = clause.value(word)
    if value is None and m.group("unit") and number_word(word) is not None:
        value = E.Const(number_word(word))
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
            number = number_word(value.value)
            value = E.Const(number) if number is not None else value
        if not (isinstance(value, E.Const) and type(value.value) is int):
            return None
        bound = {"have at least": "be at least", "have at most": "be at most"}.get(rel, "be")
        subject, rel = E.Call("len", (subject,)), bound
    relation = _relation(subject, rel, value)
    if relation is None:
        return None
    return one_statement("must", clause, M.ConditionOnInputClaim(modality=M.Modality.NECESSARY,
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
        return atom_alone(clause, m)
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
        return one_statement("check", clause, M.CheckClaim(call=call, value=value))
    return one_statement("goal", clause, OutputClaim(value=value))


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
            return one_statement("input", clause, NamedInputClaim(named=tuple(pairs)))  # type: ignore[arg-type]
        return None
    call = parse_expr(text if re.match(r"^[^\W\d]\w*\(", text) else f"f({text})")
    if not isinstance(call, E.Call) or not call.args:
        return None
    return one_statement("input", clause, M.InputClaim(args=call.args))


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
    return choice_pair(clause, eq.group(1), None, value) or None


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
        out.extend(choice_pair(clause, pair.group("subj"), pair.group("value")))
    for atom in re.findall(r"@\d+", m.group("pairs")):  # `number = 4` written in one span
        text = clause.p.atom(atom) or ""
        eq = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*(.+)", text)
        if eq:
            value = parse_expr(eq.group(2))
            if value is not None and not E.free_names(value):
                out.extend(choice_pair(clause, eq.group(1), None, value))
    return out or None


def choice_pair(clause: Clause, subj: str, value_token: str | None,
                value: E.Expr | None = None) -> list[Statement]:
    subject = clause.subject(subj) if clause.p.atom(subj) is not None or subj.isidentifier() else None
    if value is None:
        value = clause.value(value_token)
    if subject is None or value is None or not isinstance(subject, E.Name):
        return []
    cond = E.Compare(subject, ("==",), (value,))
    return one_statement("let", clause, M.ConditionOnInputClaim(modality=M.Modality.CHOICE, condition=cond))


@pattern(r"^" + SUBJECT + r"\s+(?:could|can|might)\s+be\s+" + VALUE)
def _choice2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    if clause.direction != "backward":
        return None
    return choice_pair(clause, m.group("subj"), m.group("value")) or None
