"""The patterns that read facts about values, forward and backward: lengths and counts, positions
(``the last character of s``), searches, enumerations, comprehensions, aggregates, call results,
raises, emptiness and states (``x is now 4``, arrows, working written out); in the order they
are tried, after the run's and the input's patterns."""

from __future__ import annotations

import re

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform.clause import (
    ATOM,
    LEN_SUBJECT,
    SUBJECT,
    TOP_EQ,
    VALUE,
    Clause,
    PatternTable,
    chain_working,
    is_comparison,
    number_word,
    one_statement,
    outcome_of,
    registrar,
    working_of,
)
from codecot.claims.freeform.exprs import Protected, parse_expr
from codecot.claims.freeform.model import (
    BranchClaim,
    ComprehensionClaim,
    Statement,
)

#: This module's patterns, in the order they are tried
PATTERNS: PatternTable = []
pattern = registrar(PATTERNS)


@pattern(r"^" + LEN_SUBJECT + r"\s+(?:is|was|becomes|equals|=)\s+(?:now\s+|still\s+)?" + VALUE)
def _length(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("lensubj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return state_statements(clause, E.Call("len", (subject,)), value)


@pattern(r"^" + SUBJECT + r"\s*,?\s+(?:which\s+)?(?:has|contains|holds|keeps|still\s+has|now\s+has)\s+"
         r"(?P<item>@\d+)\s+(?:(?P<n>@\d+|\w+)\s+times|(?P<n2>once|twice|thrice))\b")
def _count_of(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``ops`` contains ``'pop'`` 3 times."""
    subject, item = clause.subject(m.group("subj")), clause.value(m.group("item"))
    word = m.group("n") or m.group("n2")
    n = number_word(clause.p.atom(word) or word)
    if subject is None or item is None or n is None:
        return None
    return state_statements(clause, E.MethodCall(subject, "count", (item,)), E.Const(n))


@pattern(r"^" + SUBJECT + r"\s+(?:has|contains|holds|keeps|still\s+has|now\s+has)\s+(?P<n>@\d+|\w+)\s+(?:elements?|items?|"
         r"characters?|entries|letters?|values?)\b")
def _has_n(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject = clause.subject(m.group("subj"))
    n = number_word(clause.p.atom(m.group("n")) or m.group("n"))
    if subject is None or n is None:
        return None
    return state_statements(clause, E.Call("len", (subject,)), E.Const(n))


@pattern(r"^" + SUBJECT + r"\s+(?:now\s+)?maps\s+(?P<key>@\d+)\s+to\s+" + VALUE + r"\s*$")
def _maps(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The dictionary ``d`` now maps ``'a'`` to ``1``: ``d['a']`` is 1."""
    subject, key, value = clause.subject(m.group("subj")), clause.value(m.group("key")), clause.value(m.group("value"))
    if subject is None or key is None or value is None or not E.free_names(subject):
        return None
    return state_statements(clause, E.Index(subject, key), value)


@pattern(r"^the\s+(?:character|char|letter|element|item|value|entry)\s+at\s+(?:index|position)\s+(?P<index>@\d+)\s+"
         r"(?:of|in)\s+" + SUBJECT + r"\s+(?:is|was|=)\s+" + VALUE + r"\s*(?:$|[,;])")
def _at_index(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The character at index 2 of ``s`` is ``'c'``: ``s[2]``."""
    subject, index, value = clause.subject(m.group("subj")), clause.value(m.group("index")), clause.value(m.group("value"))
    if subject is None or index is None or value is None:
        return None
    return state_statements(clause, E.Index(subject, index), value)


@pattern(r"^(?:the\s+(?:string|list|word|sequence)\s+)?(?P<src>@\d+)\s+is\s+reversed\s*,?\s+"
         r"(?:to\s+get|to\s+give|giving|which\s+gives|to\s+obtain|resulting\s+in|and\s+becomes)\s+" + VALUE + r"\s*$")
def _reversed(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The string ``'abc'`` is reversed to get ``'cba'``: ``'abc'[::-1]``."""
    src, value = clause.expr(m.group("src")), clause.value(m.group("value"))
    if src is None or value is None:
        return None
    return state_statements(clause, E.Slice(src, None, None, E.Const(-1)), value)


@pattern(r"^(?:so\s+|thus\s+|finally\s+)?(?:the\s+)?(?:list\s+|set\s+|dict(?:ionary)?\s+|generator\s+)?"
         r"comprehension\s+(?:then\s+)?(?:produces|gives|yields|builds|creates|returns|evaluates\s+to|results\s+in|"
         r"collects\s+(?:these|them|the\s+\w+)(?:\s+\w+)?\s+into|is)\s+(?:the\s+list\s+)?" + VALUE + r"\s*$")
def _comprehension(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The list comprehension produces ``[5, 7, 9]``."""
    value = clause.value(m.group("value"))
    if clause.direction != "forward" or value is None or E.free_names(value):
        return None
    return one_statement("comprehension", clause, ComprehensionClaim(value=value))


_AGGREGATES = {"sum": "sum", "maximum": "max", "max": "max", "largest value": "max", "minimum": "min",
               "min": "min", "smallest value": "min"}


@pattern(r"^the\s+(?P<agg>sum|maximum|max|minimum|min|largest\s+value|smallest\s+value)\s+(?:of|in)\s+"
         + SUBJECT + r"\s+(?:is|was|equals|=|is\s+now)\s+" + VALUE + r"\s*(?:$|[,;])")
def _aggregate(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The sum of ``nums`` is 10: ``sum(nums)``."""
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    func = _AGGREGATES.get(re.sub(r"\s+", " ", m.group("agg").lower()))
    if subject is None or value is None or func is None:
        return None
    return state_statements(clause, E.Call(func, (subject,)), value)


POSITIONS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "seventh": 6,
            "eighth": 7, "ninth": 8, "tenth": 9, "last": -1, "penultimate": -2,
            "second-to-last": -2, "second to last": -2, "second last": -2}


@pattern(r"^the\s+(?P<pos>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|penultimate|"
         r"second(?:-to-|\s+to\s+|\s+)last|\d+(?:st|nd|rd|th))\s+(?:character|char|letter|element|item|entry|value)"
         r"\s+of\s+" + SUBJECT + r"\s+(?:is|was|equals|=)\s+" + VALUE + r"\s*(?:$|[,;])")
def _positional(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The last character of ``s`` is ``'n'``: ``s[-1]``; a literal subject makes it working."""
    word = re.sub(r"\s+", " ", m.group("pos").lower())
    index = POSITIONS.get(word)
    if index is None:
        digits = re.sub(r"\D", "", word)
        index = int(digits) - 1 if digits and int(digits) > 0 else None
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if index is None or subject is None or value is None:
        return None
    return state_statements(clause, E.Index(subject, E.Const(index)), value)


@pattern(r"^(?P<call>@\d+)\s+(?:looks\s+for|searches\s+for|scans\s+for|finds|locates)\b.*?\b(?:is\s+)?"
         r"(?:at|in)\s+(?:index|position)\s+(?P<value>@\d+|-?\d+)\s*(?:$|[,;(])")
def _found_at(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``nums.index(7)`` looks for the first 7, which is at index 2."""
    call, value = clause.expr(m.group("call")), clause.value(m.group("value"))
    if not isinstance(call, E.MethodCall) or call.method not in ("index", "find", "rindex", "rfind") \
            or value is None:
        return None
    return state_statements(clause, call, value)


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
    return state_statements(clause, E.Call("list", (src,)), E.ListExpr(tuple(v for v in values if v is not None)))


@pattern(r"^(?:calling\s+)?(?:the\s+(?:slice|expression|subscript)\s+)?(?P<call>@\d+)\s+(?:is\s+called\s+and\s+)?"
         r"(?:returns|gives(?:\s+us)?|produces|evaluates\s+to|yields|results\s+in|"
         r"is\s+evaluated\s+to)\s+" + VALUE)
def _call_value(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    rest = clause.p.text[m.end():].strip()
    if rest and not rest.startswith((",", ".", ";", "(", "because", "since", "as ", "which")):
        return None  # "divmod(123, 60) gives 2 hours with ...": the value goes on in words
    if TOP_EQ.search(clause.p.atom(m.group("value")) or ""):
        return _echo_gives(clause, re.match(r"^(?P<echo>@\d+)\s+\w+(?:\s+\w+)?\s+(?P<value>@\d+)",
                                            clause.p.text) or m)
    call, value = clause.expr(m.group("call")), clause.value(m.group("value"))
    if isinstance(call, E.Index | E.Slice | E.BinOp) and value is not None \
            and not re.search(r"\breturns\b", m.group(0), re.I):
        # `s[1:3]` gives 'bc'; `a * b` evaluates to 12 (a condition that "gives" a value
        # is about what happens when it holds, so none is read)
        return state_statements(clause, call, value)
    if not isinstance(call, E.Call | E.MethodCall) or value is None:
        return None  # only a call returns or gives a value
    if not E.free_names(call) and not (isinstance(call, E.Call) and call.func not in E.BUILTIN_FUNCTIONS):
        return state_statements(clause, call, value)  # working: len('abc') gives 3
    if isinstance(call, E.Call) and call.func not in E.BUILTIN_FUNCTIONS:
        if any(E.free_names(a) for a in call.args):
            return None
        return one_statement("call_result", clause, M.CallResultClaim(call=call, value=value))
    return state_statements(clause, call, value)


@pattern(r"^(?P<atom>@\d+)$")
def atom_alone(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """A clause that is one backticked statement: ``result = 8 + 5 = 13``, ``odd_count = 2``,
    ``int(' 12') = 12``, ``3 + 2*1 = 5``, or a comparison asserted as true: ``5 % 2 == 1``."""
    text = clause.p.atom(m.group("atom")) or ""
    if not clause.p.backticked[int(m.group("atom")[1:])] and not TOP_EQ.search(text):
        return None
    return _assignment_text(clause, text)


def _assignment_text(clause: Clause, text: str) -> list[Statement] | None:
    parts = [x.strip() for x in re.split(r"(?<![=!<>+\-*/%])=(?!=)", text)]
    if len(parts) >= 2:
        exprs = [parse_expr(x) for x in parts]
        if any(x is None or is_comparison(x) for x in exprs):
            return None  # "lo = 4 > hi = 3" is no chain of values
        target, *chain = [x for x in exprs if x is not None]
        if E.free_names(chain[-1]):
            return None  # "start = s.find('o')": the statement, no value
        if not E.free_names(target):
            if isinstance(target, E.Const):
                return None
            return one_statement("working", clause, M.StateClaim(target=target, chain=tuple(chain)), pure=True)
        return state_statements(clause, target, chain[0]) if len(chain) == 1 else \
            state_chain(clause, target, tuple(chain))
    expr = parse_expr(text)
    if expr is not None and is_comparison(expr) and not E.free_names(expr):
        return one_statement("working", clause, M.ConditionClaim(condition=expr, truth=True), pure=True)
    return None


def state_chain(clause: Clause, target: E.Expr, chain: tuple[E.Expr, ...]) -> list[Statement] | None:
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
        if not TOP_EQ.search(text):
            return None
        out.extend(_assignment_text(clause, text) or [])
    return out or None


@pattern(r"^" + SUBJECT + r"\s+has\s+(?:a\s+)?length\s+(?:of\s+)?(?P<value>@\d+)")
def _has_length(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return state_statements(clause, E.Call("len", (subject,)), value)


@pattern(r"\b(?:raises|throws|raise|throw)\s+(?:an?\s+)?(?P<exc>[A-Z]\w*(?:Error|Exception|Interrupt|Iteration))\b")
def _raises(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``d['r']`` raises a ``KeyError``."""
    return one_statement("raise", clause, M.RaiseClaim(exc_type=m.group("exc")))


@pattern(r"^(?P<echo>@\d+)\s+(?:gives|yields|results\s+in|produces|makes\s+it|computes)\s+(?P<value>@\d+)")
def _echo_gives(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``result += n`` gives ``1 + 3 = 4``; ``popitem()`` gives ``k = 'a'``."""
    echo = clause.p.atom(m.group("echo")) or ""
    value_text = clause.p.atom(m.group("value")) or ""
    if not TOP_EQ.search(echo) and not re.match(r"^\s*[^\W\d]\w*\s*=(?!=)", value_text):
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
        return state_statements(clause, call.receiver, value)  # what the object holds afterwards
    return state_statements(clause, call, value)  # the call's own value


_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                       "update", "popitem", "setdefault", "add", "discard"})


@pattern(r"\b(?:leaves|keeps|leaving|keeping)\s+" + SUBJECT + r"\s+(?:unchanged\s+|the\s+same\s+)?"
         r"(?:at|as)\s+" + VALUE)
def _leaves(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return state_statements(clause, subject, value)


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


@pattern(r"^" + SUBJECT + r"\s+(?:is|was)\s+(?P<neg>not\s+|no\s+longer\s+|still\s+|now\s+)?(?:an?\s+)?empty\b")
def _emptiness(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject = clause.subject(m.group("subj"))
    if subject is None:
        return None
    empty = not (m.group("neg") or "").strip().startswith(("not", "no"))
    cond = E.Compare(E.Call("len", (subject,)), ("==" if empty else "!=",), (E.Const(0),))
    return one_statement("condition", clause, M.ConditionClaim(condition=cond, truth=True))


@pattern(r"^" + SUBJECT + r"\s+(?:starts|begins|starts\s+out)\s+(?:as|with|at)\s+(?:an?\s+)?empty\s+"
         r"(?P<kind>list|string|dict|dictionary|set|tuple)\b")
def _starts_empty(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _empty_made(clause, m)


@pattern(r"^(?:we\s+)?(?:then\s+)?(?:set|sets|setting|update|updates|updating|change|changes|assign|reassign|reset|"
         r"resets)\s+"
         + SUBJECT + r"\s+(?:to|as|equal\s+to)\s+" + VALUE + r"$")
def _set_to(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """We set ``x`` to ``5``."""
    if clause.direction != "forward":
        return None
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return state_statements(clause, subject, value)


@pattern(r"^(?:the\s+value\s+)?(?P<value>@\d+)\s+is\s+(?:assigned|stored|saved)\s+(?:to|in|into)\s+" + SUBJECT + r"$")
def _assigned_to(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """The value ``5`` is assigned to ``x``."""
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return state_statements(clause, subject, value)


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
    return state_statements(clause, subject, empty)


@pattern(r"^" + SUBJECT + r"\s+(?:is|gets)\s+(?:created\s+and\s+)?(?:initialized|initialised|set|created)\s+(?:to|as)\s+"
         r"(?:an?\s+)?empty\s+(?P<kind>list|string|dict|dictionary|set|tuple)\b")
def _made_empty(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    return _empty_made(clause, m)


@pattern(r"^(?P<left>@\d+),?\s+which\s+is\s+(?P<value>@\d+)$")
def _which_is(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``range(9 - 3 + 1)``, which is ``range(7)``; ``shares = [each] * parts``, which is ..."""
    assigned = re.match(r"^\s*([^\W\d]\w*)\s*=(?!=)", clause.p.atom(m.group("left")) or "")
    if assigned:
        value = clause.value(m.group("value"))
        return state_statements(clause, E.Name(assigned.group(1)), value) if value is not None else None
    left, value = clause.expr(m.group("left")), clause.value(m.group("value"))
    if left is None or value is None or isinstance(left, E.Const):
        return None
    if not E.free_names(left) and not E.free_names(value):
        return one_statement("working", clause, M.StateClaim(target=left, chain=(value,)), pure=True)
    return state_statements(clause, left, value)


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
        out.extend(state_statements(clause, subject, value) or [])
    return out or None


@pattern(r"^(?P<subj>@\d+)\s+to\s+(?P<value>@\d+)$")
def _ellipsis(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``x`` is initialized to ``1`` and ``odd_count`` to ``0``: the second half."""
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if not isinstance(subject, E.Name) or value is None:
        return None
    return state_statements(clause, subject, value)


@pattern(r"^(?:where|with|here)\s+(?P<left>@\d+)\s+(?:is|=|equals|being)\s+(?P<value>@\d+)$")
def _where_is(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``..., where -n is -1``."""
    left, value = clause.expr(m.group("left")), clause.value(m.group("value"))
    if left is None or value is None:
        return None
    return state_statements(clause, left, value)


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


@pattern(r"^(?:makes?\s+)?" + SUBJECT + r"\s+(?P<verb>" + _STATE_VERBS + r")\s+"
         r"(?:now\s+|initially\s+|still\s+|then\s+|again\s+|currently\s+|finally\s+|also\s+|"
         r"updated\s+to\s+|set\s+to\s+|equal\s+to\s+)?" + VALUE
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
            and is_comparison(value):
        return None
    out = state_statements(clause, subject, value)
    length = re.match(r"^,\s*(?:a|an)\s+\w+\s+of\s+length\s+(@\d+|\d+)", rest)
    if out and length:
        n = clause.value(length.group(1))
        if n is not None:
            out.append(Statement("value", ((M.StateClaim(target=E.Call("len", (subject,)), chain=(n,)),),),
                                 clause.raw))
    return out


@pattern(r"\bmakes?\s+" + SUBJECT + r"\s+(?:equal\s+to\s+|equal\s+|become\s+|be\s+)?" + VALUE + r"$")
def _makes(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    subject, value = clause.subject(m.group("subj")), clause.value(m.group("value"))
    if subject is None or value is None:
        return None
    return state_statements(clause, subject, value)


def state_statements(clause: Clause, subject: E.Expr, value: E.Expr) -> list[Statement] | None:
    if isinstance(subject, E.Call) and subject.func not in E.BUILTIN_FUNCTIONS \
            and not any(E.free_names(a) for a in subject.args) and not E.free_names(value):
        return one_statement("call_result", clause, M.CallResultClaim(call=subject, value=value))
    if not E.free_names(subject):
        if isinstance(subject, E.Const | E.ListExpr | E.TupleExpr | E.DictExpr | E.SetExpr) \
                or E.free_names(value):
            return None  # "'P' becomes 'p'": a description of values, not of the program's state
        return one_statement("working", clause, M.StateClaim(target=subject, chain=(value,)), pure=True)
    pure, _ = working_of(clause, None, None)
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
                if is_comparison(v) and isinstance(last.value, bool):
                    claim: M.Claim = M.ConditionClaim(condition=v, truth=last.value)
                else:
                    claim = M.StateClaim(target=v, chain=(last,))
                out.append(Statement("working" if not E.free_names(v) else "value", ((claim,),),
                                     clause.raw, pure=not E.free_names(v)))
    if not out:  # "'a' -> `isalpha()` is `True` -> append 'a'": read each part as a clause
        # the whole table, which imports this module
        from codecot.claims.freeform.patterns import PATTERNS

        for part in parts:
            for regex, fn in PATTERNS:
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
        if len(parts) >= 2 and all(x is not None and not E.free_names(x) and not is_comparison(x)
                                   for x in exprs) and not isinstance(exprs[0], E.Const):
            out.extend(one_statement("working", clause, M.StateClaim(target=exprs[0], chain=tuple(exprs[1:])),  # type: ignore[arg-type]
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
    outcome = outcome_of(clause.p.text)
    if outcome is None:
        return None
    return one_statement("branch", clause, BranchClaim(loop=outcome[1], taken=outcome[0]))
