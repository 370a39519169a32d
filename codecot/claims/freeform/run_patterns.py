"""The patterns that read a clause about the run's course: calls, conditions with their working,
loop counts and breaks, increments, appends and ``nothing is appended``, returns, the output and
``assert f(...) == v``; in the order they are tried."""

from __future__ import annotations

import re

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.build_expr import is_boolean_shaped
from codecot.claims.freeform.clause import (
    ATOM,
    ORDINALS,
    SKIPS,
    SUBJECT,
    TRUTH,
    Clause,
    PatternTable,
    is_comparison,
    number_word,
    one_statement,
    outcome_of,
    registrar,
    truth_of,
    working_of,
)
from codecot.claims.freeform.exprs import parse_expr
from codecot.claims.freeform.model import (
    AppendClaim,
    BranchClaim,
    DeltaClaim,
    FreeCallClaim,
    NothingAddedClaim,
    OutputClaim,
    Statement,
)
from codecot.claims.freeform.value_patterns import state_chain, state_statements

#: This module's patterns, in the order they are tried
PATTERNS: PatternTable = []
pattern = registrar(PATTERNS)


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
        return one_statement("call", clause, FreeCallClaim(func=call.func, positional=call.args))
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
    out = one_statement("call", clause, FreeCallClaim(func=None, named=tuple(named), positional=tuple(positional)))
    if relative and named and not positional:
        about = f"{named[-1][0]} {relative.group('rest')}"
        from codecot.claims.freeform.patterns import read_clause  # it imports this module

        out += read_clause(clause.p, about, clause.raw, clause.direction).statements
    return out


@pattern(r"^(?:the\s+)?(?:(?:first|second|third|next|last|final|other)\s+)?"
         r"(?P<which>while\s+|for\s+|if\s+|loop\s+|@\d+\s+)?(?:condition|(?<=the\s)(?P<check>check|test))\s+"
         r"(?:[`(]?(?P<cond>@\d+)[`)]?\s+)?"
         r"(?:is|evaluates\s+to|becomes|was|is\s+now|returns|will\s+be|remains|holds\s+as)\s+"
         r"(?:now\s+|still\s+|therefore\s+|also\s+)?" + TRUTH + r"\b")
def _condition(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    cond = clause.expr(m.group("cond"))
    truth = truth_of(clause, m.group("truth"))
    if truth is None:
        return None
    if cond is None and outcome_of(clause.p.text) is None:
        which = (m.group("which") or "").strip()
        word = (clause.p.atom(which) or which).strip().lower()
        loop = True if word in ("while", "for", "loop") else False if word == "if" else None
        if m.group("check"):
            loop = False  # "the check": an if's test, not a loop's
        if loop is None and (which or clause.direction != "forward"):
            return None
        # "the condition is False": the next decision, loop or if, has that outcome
        return one_statement("branch", clause, BranchClaim(loop=loop, taken=truth))
    return _condition_statements(clause, cond, truth)


@pattern(r"^(?P<cond>@\d+)\s+(?P<verb>holds|is\s+satisfied|is\s+met|is\s+not\s+met|is\s+not\s+satisfied|"
         r"fails|does\s+not\s+hold|doesn't\s+hold)\b")
def _condition_holds(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``n > 2`` holds / is satisfied / fails."""
    cond = clause.expr(m.group("cond"))
    if cond is None or not (is_comparison(cond) or is_boolean_shaped(cond)):
        return None
    truth = not re.search(r"not|fails|n't", m.group("verb"))
    return _condition_statements(clause, cond, truth)


@pattern(r"^" + SUBJECT + r"\s+is\s+(?P<neg>not\s+)?(?P<rel>greater|larger|bigger|more|less|smaller|fewer)"
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
    return one_statement("condition", clause, M.ConditionClaim(condition=cond, truth=not m.group("neg")))


@pattern(r"^(?P<cond>@\d+)\s+(?:is|evaluates\s+to|becomes|is\s+now|returns|gives|was)\s+"
         r"(?:now\s+|still\s+|also\s+|therefore\s+|again\s+)?" + TRUTH + r"\b")
def _condition2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    cond = clause.expr(m.group("cond"))
    truth = truth_of(clause, m.group("truth"))
    if cond is None or truth is None or not (is_comparison(cond) or is_boolean_shaped(cond)):
        return None
    return _condition_statements(clause, cond, truth)


def _condition_statements(clause: Clause, cond: E.Expr | None, truth: bool) -> list[Statement]:
    outcome = outcome_of(clause.p.text)
    taken = outcome[0] if outcome else None
    pure, joint = working_of(clause, cond, truth)
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
    n = number_word(word)
    if n is None:
        return None
    return one_statement("loop_end", clause, M.LoopEndClaim(iterations=n))


@pattern(r"\b(?:after|in\s+total\s+after|there\s+(?:are|were))\s+(?P<n>@\d+|\w+)\s+iterations?\b"
         r"|^it\s+(?:ran|runs|has\s+run|iterated|executed)\s+(?P<n2>@\d+|\w+)\s+times\b")
def _loop_count2(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    token = m.group("n") or m.group("n2")
    n = number_word(clause.p.atom(token) or token)
    if n is None:
        return None
    if m.group("n2"):
        return one_statement("loop_end", clause, M.LoopEndClaim(iterations=n))
    if not re.search(r"\bloop\b|\biterations?\b", clause.p.text, re.I):
        return None
    if not SKIPS.search(clause.p.text) and not re.search(r"\b(?:total|there\s+(?:are|were))\b",
                                                          clause.p.text, re.I):
        return None
    return one_statement("loop_end", clause, M.LoopEndClaim(iterations=n))


@pattern(r"\b(?:we\s+)?(?:break|breaks)\s+(?:out\s+of\s+)?(?:the\s+)?(?:loop\s+)?(?:in|during|at|on)\s+"
         r"(?:the\s+)?(?:iteration\s+(?P<n>@\d+|\w+)|(?P<ord>\w+)\s+iteration)\b")
def _break_at(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    word = m.group("n") or m.group("ord") or ""
    n = number_word(clause.p.atom(word) or word) or ORDINALS.get(word.lower())
    if n is None:
        return None
    return one_statement("loop_end", clause, M.LoopEndClaim(iterations=n, how="break"))


@pattern(r"^" + SUBJECT + r"\s+(?:increases|grows|goes\s+up|rises|decreases|drops|goes\s+down|falls)\s+"
         r"by\s+(?P<by>@\d+|\w+)(?:\s*(?:,\s*|\s+and\s+)(?:becomes|becoming|is\s+now|now\s+is|reaching|to)\s+"
         r"(?P<to>@\d+))?\s*$")
def _delta_active(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """``count`` increases by 1 and becomes 3."""
    target = clause.subject(m.group("subj"))
    step = number_word(clause.p.atom(m.group("by")) or m.group("by"))
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
    return one_statement("delta", clause, *out)


@pattern(r"^" + SUBJECT + r"\s+is\s+(?:then\s+|now\s+)?assigned\s+(?:the\s+value\s+(?:of\s+)?)?(?P<value>@\d+)"
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
    return state_chain(clause, subject, chain) if len(chain) > 1 else state_statements(clause, subject, value)


@pattern(r"^(?:we\s+)?(?:then\s+|now\s+)?(?P<verb>concatenate|concatenating|add|adding|multiply|multiplying)\s+"
         r"(?P<a>@\d+)\s+(?:and|with|by)\s+(?P<b>@\d+)\s*,?\s+(?:to\s+get|gives|giving|which\s+gives|to\s+obtain|"
         r"results\s+in|yields)\s+(?P<value>@\d+)\s*$")
def _combine(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    """We concatenate ``'a'`` and ``'b'`` to get ``'ab'``: working, checked as written."""
    a, b, value = clause.expr(m.group("a")), clause.expr(m.group("b")), clause.value(m.group("value"))
    if a is None or b is None or value is None:
        return None
    op = "*" if m.group("verb").lower().startswith("multipl") else "+"
    return state_statements(clause, E.BinOp(op, a, b), value)


@pattern(r"^" + SUBJECT + r"\s+(?:is|gets)\s+(?P<verb>incremented|increased|decremented|decreased|"
         r"reduced|bumped)(?:\s+by\s+(?P<by>@\d+|\w+))?(?:\s*\(?\s*(?:to|so\s+it\s+is|now)\s+"
         r"(?P<to>@\d+)\)?)?")
def _delta(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    target = clause.subject(m.group("subj"))
    if target is None:
        return None
    by = m.group("by")
    step = 1 if by is None else number_word(clause.p.atom(by) or by)
    if step is None:
        return None
    if m.group("verb").lower() in ("decremented", "decreased", "reduced"):
        step = -step
    return _delta_statement(clause, target, step, m.group("to"))


_VALUE_LIST = r"(?P<vals>@\d+(?:\s*,\s*@\d+)*(?:,?\s+(?:and|then)\s+|\s*,\s*)@\d+)"


@pattern(r"^(?:the\s+loop\s+variable\s+)?" + SUBJECT + r"\s+(?:takes|took|will\s+take|goes\s+through|went\s+through|"
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
    return one_statement("append", clause, NothingAddedClaim(target=target, item=item, word=word))


@pattern(r"^(?:the\s+(?:value|number|string|item|element|character|word)\s+(?=@))?"
         r"(?P<item>@\d+|[^\W\d]\w*)\s+(?:is|gets)\s+(?:appended|added)\s+to\s+"
         r"(?:the\s+(?:end\s+of\s+(?:the\s+)?)?(?:list\s+)?)?(?P<target>@\d+|[^\W\d]\w*)")
def _append(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    item, target = clause.expr(m.group("item")), clause.subject(m.group("target"))
    if item is None or target is None:
        return None
    return one_statement("append", clause, AppendClaim(target=target, item=item))


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
    return one_statement("append", clause, AppendClaim(target=call.receiver, item=item))


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
        out = one_statement("return", clause, M.ReturnClaim(expr=exprs[0], value=exprs[-1]))  # type: ignore[arg-type]
        pure = [x for x in exprs[1:-1] if x is not None and not E.free_names(x)]
        if pure:
            out += one_statement("working", clause, M.StateClaim(target=pure[0], chain=(exprs[-1],)),  # type: ignore[arg-type]
                        pure=True)
        return out
    value = clause.subject(m.group("value"))
    if value is None:
        return None
    if which is not None:
        return one_statement("return", clause, M.ReturnClaim(expr=value, value=which))
    if E.free_names(value):
        # "returns positions": the value returned is that variable's value there
        return one_statement("return", clause, M.ReturnClaim(expr=value, value=value))
    return one_statement("return", clause, M.ReturnClaim(expr=None, value=value))


@pattern(r"^(?P<value>@\d+)\s+is\s+(?:then\s+|finally\s+)?returned(?:\s*,\s*which\s+is\s+(?P<which>@\d+))?$")
def _is_returned(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    value = clause.subject(m.group("value"))
    if value is None:
        return None
    which = clause.value(m.group("which"))
    if which is not None:
        return one_statement("return", clause, M.ReturnClaim(expr=value, value=which))
    return one_statement("return", clause, M.ReturnClaim(expr=value if E.free_names(value) else None, value=value))


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
        return one_statement("output", clause, OutputClaim(call=value.left, value=value.comparators[0]))
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
        return [*one_statement("input", clause, M.InputClaim(args=call.args)),
                *one_statement("check", clause, M.CheckClaim(call=call, value=value))]
    return one_statement("output", clause, OutputClaim(call=call, value=value))


@pattern(r"^\[answer\]\s*(?P<body>.+?)\s*\[/answer\]$")
def _answer_block(clause: Clause, m: re.Match[str]) -> list[Statement] | None:
    text = re.sub(r"@(\d+)", lambda g: clause.p.atoms[int(g.group(1))], m.group("body")).strip()
    if clause.direction == "backward":
        call = parse_expr(text if text.startswith(("f(", "g(")) else f"f({text})")
        if isinstance(call, E.Call):
            return one_statement("input", clause, M.InputClaim(args=call.args))
        return None
    value = parse_expr(text)
    if value is None or E.free_names(value):
        return None
    return one_statement("output", clause, OutputClaim(value=value))
