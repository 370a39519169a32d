"""Prompts for model narrators: numbered code, the call or output, rules in words, examples.

:func:`build_messages` writes the chat messages for one record in one of two forms
(:data:`PROMPT_FORMS`):

* ``long`` (the bare model): a system message describing the narration language in words, then
  few-shot turns (a user turn with an example problem, an assistant turn with its template
  rationale), then the record's own problem.  Examples come from a small pool
  (``corpora/demo.jsonl`` plus :data:`POOL_STARTER_IDS`) narrated by the template narrator,
  ranked by how many program features (:func:`features`) they share with the record; the
  record itself (same id or same code) is never an example.
* ``short`` (a fine-tuned narrator, and the rows of every training dataset): the one-line
  :data:`SHORT_SYSTEM` message and the record's own problem, nothing else
  (:func:`short_messages`).

The problem (:func:`problem_text`) is the numbered code, the call (forward) or the output
(backward), and in grounded mode :func:`render_trace`, a compact line-by-line account of the
execution.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecot.claims.source import argument_sources
from codecot.corpus import CorpusRecord
from codecot.narrate.base import NarrationError
from codecot.trace.values import is_object_tag

#: Starter records added to the demo programs to form the example pool.
POOL_STARTER_IDS = ("starter_007", "starter_037", "starter_055", "starter_073", "starter_103",
                    "starter_157", "starter_217")

#: Prompt forms: ``long`` (rules and examples, for the bare model) and ``short`` (the problem
#: only, for a narrator fine-tuned on ``short`` rows).
PROMPT_FORMS = ("long", "short")

#: The system message of a short prompt (the task in one line; the form is learnt in training).
SHORT_SYSTEM = ("Narrate the Python code step by step in codecot's narration language, one step "
                "per line.")

#: Longest trace rendering, in lines; longer traces keep their start and end.
MAX_TRACE_LINES = 48
MAX_VALUE_CHARS = 60
#: What a trace rendering writes where it cut a value or left events out.
CUT_MARK = "..."
#: The heading of the trace section in a grounded prompt's user turn.
TRACE_HEADING = "Trace:"

_RULES_COMMON = """\
Write one step per line in the controlled English below, and nothing else: no commentary, \
no numbering, no blank lines, no markdown. Values are Python literals ('text', [1, 2], \
{'a': 1}, True, None); expressions are Python expressions. "Line N" refers to line N of the \
numbered code."""

_RULES_FORWARD = """\
You explain, step by step, how a Python function runs on a given call.
Step forms:
- Call f with x = 4 and y = 'a'.   (first step: the call and its arguments)
- Line N: <statement>, so <variable> is <value>.   (after an assignment; for arithmetic \
you may show the computation: so total is 3 + 5 = 8)
- Line N: the condition <condition> is True, so the branch is taken.   (or: is False, so \
the branch is skipped)
- Line N: iteration K begins with <variable> = <value>.   (a loop starts its K-th iteration)
- Line N (iteration K): <statement>, so <variable> is <value>.   (inside a loop)
- Line N: the condition <condition> is False, so the loop stops.
- Line N: the loop ends after K iterations.
- Line N: g(3) returns 6.   (a call of a helper function)
- Line N: the function returns <expression>, which is <value>.
- Last step: So f(<arguments>) returns <value>.
"""

_RULES_BACKWARD = """\
You explain, step by step, which input makes a Python function return a given output.
Step forms:
- We need f(x) to return <output>.   (first step)
- Line N: <expression> must be <value>.   (what the code requires at line N)
- Line N: <expression> must be greater than <value>.   (also: less than, at least, at most, \
different from, in <collection>, empty, non-empty, even, odd)
- Let x be <value>.   (choose each argument)
- Check: f(<arguments>) returns <output>.
- Last step: So the input is <arguments>.   (the arguments, comma-separated)
"""


def features(code: str) -> frozenset[str]:
    """Program features used to match examples: loops, branches, strings, containers, ..."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return frozenset()
    found: set[str] = set()
    funcs = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    if len(funcs) > 1:
        found.add("helper")
    kinds: dict[type, str] = {
        ast.For: "for", ast.While: "while", ast.If: "if", ast.Try: "try", ast.Break: "break",
        ast.Continue: "continue", ast.AugAssign: "augassign", ast.Dict: "dict",
        ast.List: "list", ast.Subscript: "subscript", ast.Slice: "slice",
        ast.ListComp: "comprehension", ast.GeneratorExp: "comprehension",
        ast.SetComp: "comprehension", ast.DictComp: "comprehension", ast.Raise: "raise",
        ast.BoolOp: "boolop", ast.IfExp: "ifexp", ast.Tuple: "tuple",
    }
    for node in ast.walk(tree):
        kind = kinds.get(type(node))
        if kind:
            found.add(kind)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add("str")
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                found.add("method")
            elif isinstance(node.func, ast.Name) and node.func.id in funcs:
                found.add("recursion" if len(funcs) == 1 else "helper")
        if isinstance(node, ast.BinOp):
            found.add("arith")
    return frozenset(found)


def numbered(code: str) -> str:
    """``code`` with its 1-based line numbers, as ``  3 | text``."""
    lines = code.split("\n")
    width = len(str(len(lines)))
    return "\n".join(f"{i:>{width}} | {line}" for i, line in enumerate(lines, 1))


def _short(value: str) -> str:
    if len(value) <= MAX_VALUE_CHARS:
        return value
    return value[:MAX_VALUE_CHARS - len(CUT_MARK)] + CUT_MARK


def shown_arguments(record: CorpusRecord, trace: dict[str, Any]) -> dict[str, str] | None:
    """The entry call's arguments by name as a prompt shows them: the traced value, or, for
    an object (a function, a bound method, an instance), the input's own text for it
    (``op=double``, not ``op=<function object>``); None when the trace has no arguments."""
    args = trace.get("args")
    if args is None:
        return None
    types = trace.get("types") or {}
    objects = {k for k in args if is_object_tag(types.get(k, ""))}
    if not objects:
        return dict(args)
    entry = str(trace.get("entry") or record.entry or "f")
    sources = argument_sources(record.code, record.input, entry)
    return {k: sources.get(k, v) if k in objects else v for k, v in args.items()}


def call_text(entry: str, args: dict[str, str] | None, record: CorpusRecord) -> str:
    """The call ``f(arg1, arg2)`` as Python source (``args`` as :func:`shown_arguments`
    gives them; None: the record's input)."""
    if args is not None:
        return f"{entry}({', '.join(args.values())})"
    return f"{entry}({record.input})"


def render_trace(trace: dict[str, Any], entry_args: dict[str, str] | None = None) -> str:
    """A compact account of the execution: per executed line, the variables it changed.

    ``entry_args`` (from :func:`shown_arguments`) replaces the arguments of the entry call's
    line; other calls show their traced values."""
    out: list[str] = []
    previous: dict[int, dict[str, str]] = {}
    for ev in trace.get("events", []):
        kind = ev.get("event")
        line = ev.get("line")
        depth = ev.get("depth", 0)
        where = f"line {line}" + (f" [{ev.get('func')}]" if depth else "")
        if kind == "call":
            shown = entry_args if depth == 0 and entry_args is not None else ev.get("args", {})
            args = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
            out.append(f"call {ev.get('func')}({args})")
            previous[depth] = dict(ev.get("args", {}))
        elif kind == "line":
            now = ev.get("vars", {})
            before = previous.get(depth, {})
            changed = [f"{k} = {_short(v)}" for k, v in now.items() if before.get(k) != v]
            previous[depth] = dict(now)
            if changed:
                out.append(f"{where}: " + ", ".join(changed))
        elif kind == "branch":
            out.append(f"{where}: condition {'True' if ev.get('taken') else 'False'}")
        elif kind == "loop_iter":
            out.append(f"{where}: iteration {ev.get('iteration')}")
        elif kind == "loop_end":
            out.append(f"{where}: loop ends after {ev.get('iterations')} iterations")
        elif kind == "return":
            out.append(f"{where}: {ev.get('func')} returns {_short(str(ev.get('value')))}")
        elif kind == "exception":
            out.append(f"{where}: raises {ev.get('type')}")
        elif kind == "caught":
            out.append(f"{where}: {ev.get('type')} caught")
    if len(out) > MAX_TRACE_LINES:
        head = MAX_TRACE_LINES * 2 // 3
        tail = MAX_TRACE_LINES - head - 1
        skipped = f"{CUT_MARK} ({len(out) - head - tail} more events) {CUT_MARK}"
        out = [*out[:head], skipped, *out[-tail:]]
    return "\n".join(out)


def trace_is_whole(user_text: str) -> bool:
    """Whether a user turn of :func:`problem_text` shows its whole trace: True when it has no
    trace section (blind) or its trace section holds no :data:`CUT_MARK` (no value was cut, no
    events left out).  A value whose own text holds ``...`` also counts as cut."""
    _, found, rest = user_text.partition(f"\n{TRACE_HEADING}\n")
    if not found:
        return True
    return CUT_MARK not in rest.split("\n\n", 1)[0]


def problem_text(record: CorpusRecord, trace: dict[str, Any], direction: str,
                 grounded: bool) -> str:
    """The user turn for one record: numbered code, the call or output, maybe the trace."""
    entry = str(trace.get("entry") or record.entry or "f")
    parts = ["Code:", numbered(record.code), ""]
    output = trace.get("output") if trace.get("ok") else None
    if output is None:
        output = record.output
    args = shown_arguments(record, trace)
    if direction == "forward":
        parts.append(f"Call: {call_text(entry, args, record)}")
    else:
        parts.append(f"Output: {entry}(...) returns {output}")
    if grounded:
        parts += ["", TRACE_HEADING, render_trace(trace, args)]
    parts += ["", f"Write the {direction} rationale."]
    return "\n".join(parts)


def system_text(direction: str) -> str:
    """The system message: the task and the narration language in words."""
    rules = _RULES_FORWARD if direction == "forward" else _RULES_BACKWARD
    return rules + "\n" + _RULES_COMMON


@dataclass(frozen=True)
class Example:
    """A pool program with its trace and template rationales."""

    record: CorpusRecord
    trace: dict[str, Any]
    features: frozenset[str]
    rationales: tuple[tuple[str, str], ...]  # (direction, text)

    def rationale(self, direction: str) -> str | None:
        return next((text for d, text in self.rationales if d == direction), None)


def _pool_records() -> list[CorpusRecord]:
    from codecot.corpus import load_records

    root = Path(__file__).resolve().parent.parent
    found: list[CorpusRecord] = []
    for base in (root / "corpora", root.parent / "corpora"):
        demo, starter = base / "demo.jsonl", base / "starter.jsonl"
        if demo.is_file() and starter.is_file():
            found += [r for r in load_records(demo) if isinstance(r, CorpusRecord)]
            found += [r for r in load_records(starter)
                      if isinstance(r, CorpusRecord) and r.id in POOL_STARTER_IDS]
            break
    return found


@functools.cache
def example_pool() -> tuple[Example, ...]:
    """The pool, traced in the sandbox and narrated by the template narrator (built once)."""
    from codecot.narrate.template import TemplateNarrator
    from codecot.trace.run import trace_records

    records = _pool_records()
    narrator = TemplateNarrator(variety=False, max_iterations=2)
    pool = []
    for rec, trace in zip(records, trace_records(records, jobs=1), strict=True):
        if not trace.get("ok"):
            continue
        texts = []
        for direction in ("forward", "backward"):
            try:
                texts.append((direction, narrator.narrate(rec, trace, direction).text))
            except NarrationError:
                continue
        pool.append(Example(rec, trace, features(rec.code), tuple(texts)))
    return tuple(pool)


def choose_examples(record: CorpusRecord, direction: str, count: int,
                    pool: tuple[Example, ...]) -> list[Example]:
    """The ``count`` pool examples most similar to ``record`` (never the record itself).

    Similarity is the Jaccard overlap of :func:`features`; ties go to shorter rationales, then
    to pool order, so the choice is deterministic.
    """
    mine = features(record.code)
    scored = []
    for i, ex in enumerate(pool):
        text = ex.rationale(direction)
        if text is None or ex.record.id == record.id or ex.record.code == record.code:
            continue
        union = mine | ex.features
        score = len(mine & ex.features) / len(union) if union else 0.0
        scored.append((-score, len(text), i, ex))
    scored.sort(key=lambda t: t[:3])
    return [ex for *_, ex in scored[:count]]


def short_messages(record: CorpusRecord, trace: dict[str, Any], direction: str, *,
                   grounded: bool) -> list[dict[str, str]]:
    """The short prompt: :data:`SHORT_SYSTEM` and the record's problem (no rules, no examples).

    The narrator sends exactly these messages when its prompt form is ``short``, and the
    dataset rows of ``codecot run`` and ``codecot train-data`` are these messages plus the
    rationale as the assistant's turn.
    """
    return [{"role": "system", "content": SHORT_SYSTEM},
            {"role": "user", "content": problem_text(record, trace, direction, grounded)}]


def build_messages(record: CorpusRecord, trace: dict[str, Any], direction: str, *,
                   grounded: bool, examples: int = 2,
                   pool: tuple[Example, ...] | None = None,
                   prompt_form: str = "long") -> list[dict[str, str]]:
    """Chat messages asking for ``record``'s rationale in ``direction``, in ``prompt_form``
    (see the module docstring; ``examples`` and ``pool`` matter only to the long form)."""
    if prompt_form not in PROMPT_FORMS:
        raise ValueError(f"prompt form {prompt_form!r}: choose {' or '.join(PROMPT_FORMS)}")
    if prompt_form == "short":
        return short_messages(record, trace, direction, grounded=grounded)
    chosen = choose_examples(record, direction, examples,
                             example_pool() if pool is None else pool)
    messages = [{"role": "system", "content": system_text(direction)}]
    for ex in chosen:
        messages.append({"role": "user",
                         "content": problem_text(ex.record, ex.trace, direction, grounded)})
        messages.append({"role": "assistant", "content": ex.rationale(direction) or ""})
    messages.append({"role": "user", "content": problem_text(record, trace, direction, grounded)})
    return messages
