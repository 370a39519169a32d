"""Free-form verdict records (DESIGN.md §3): what was read from a free-form rationale, and the
verdict of every statement.

:func:`free_plan` reads the text (:func:`codecot.claims.freeform.read_freeform`) and lists the
executions it needs: forward, the record's input; backward, every input the text proposes
(``the input could be ...``, ``[ANSWER] assert f(...) == ... [/ANSWER]``), every check, and the
record's input.  :func:`free_verdict_record` decides each statement once those traces exist and
applies the acceptance policy.  A record has ``format: "free"``, ``coverage``, ``sentences``
and one step per statement: ``{"index", "text" (its sentence), "span", "kind", "verdict",
"detail"}``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codecot.claims import expr as E
from codecot.claims import model as M
from codecot.claims.freeform import Reading, read_freeform
from codecot.claims.freeform.model import NamedInputClaim, OutputClaim
from codecot.claims.source import argument_sources, source_of
from codecot.corpus import CorpusRecord
from codecot.verify.backward import BackwardChecker, args_source
from codecot.verify.freeform import FreeChecker
from codecot.verify.policy import Policy, get_policy
from codecot.verify.verdicts import StepVerdict, Verdict

if TYPE_CHECKING:
    from codecot.symbolic.session import BackwardSession


@dataclass(frozen=True)
class FreePlan:
    """A read free-form rationale and the argument-list sources it needs executed."""

    rationale: dict[str, Any]
    record: CorpusRecord
    reading: Reading
    inputs: tuple[str, ...]
    #: why the text could not be read (the reader failed), else empty
    error: str = ""

    @property
    def direction(self) -> str:
        return str(self.rationale.get("direction") or "forward")


def _source(args: tuple[E.Expr, ...]) -> str | None:
    return args_source(args)


def _backward_sources(reading: Reading) -> list[str]:
    out: list[str] = []
    for sentence in reading.sentences:
        for st in sentence.statements:
            claim = st.options[0][0] if st.options and st.options[0] else None
            src = None
            if isinstance(claim, M.InputClaim):
                src = _source(claim.args)
            elif isinstance(claim, M.CheckClaim) and isinstance(claim.call, E.Call):
                src = _source(claim.call.args)
            if src is not None and src not in out:
                out.append(src)
    return out


def _for_record(reading: Reading, record: CorpusRecord, direction: str) -> Reading:
    """Statements made concrete for the record: an input given by parameter names in the
    parameters' order; in a backward rationale, a call of the entry function with literal
    arguments and its result is a check (it is executed)."""
    try:
        params = source_of(record.code).params(record.entry_name)
    except (SyntaxError, ValueError):
        params = []
    sentences = []
    for sentence in reading.sentences:
        statements = []
        for st in sentence.statements:
            claim = st.options[0][0] if st.options and st.options[0] else None
            if isinstance(claim, NamedInputClaim):
                names = dict(claim.named)
                if set(names) != set(params):
                    continue  # the names are not the parameters: not an input
                claim = M.InputClaim(args=tuple(names[n] for n in params))
                st = dataclasses.replace(st, options=((claim,),))
            elif (direction == "backward" and isinstance(claim, M.CallResultClaim)
                  and isinstance(claim.call, E.Call) and claim.call.func == record.entry_name):
                st = dataclasses.replace(st, kind="check", options=(
                    (M.CheckClaim(call=claim.call, value=claim.value),),))
            statements.append(st)
        sentences.append(dataclasses.replace(sentence, statements=tuple(statements)))
    return dataclasses.replace(reading, sentences=tuple(sentences))


def free_plan(rationale: dict[str, Any], record: CorpusRecord) -> FreePlan:
    direction = str(rationale.get("direction") or "forward")
    try:
        reading = _for_record(read_freeform(str(rationale.get("text") or ""), direction), record,
                              direction)
    except Exception as exc:  # a reader bug costs this rationale a clear verdict, never the run
        return FreePlan(rationale, record, Reading(()), (),
                        f"the free-form reader failed: {type(exc).__name__}: {exc}")
    if direction == "backward":
        inputs = tuple(dict.fromkeys([*_backward_sources(reading), record.input]))
    else:
        inputs = (record.input,)
    return FreePlan(rationale, record, reading, inputs)


def with_text(rationale: dict[str, Any]) -> dict[str, Any]:
    """The rationale record with its ``text``: as given, else the assistant turn of a chat
    ``messages`` list (the last one); the record is returned unchanged when it has neither."""
    if isinstance(rationale.get("text"), str):
        return rationale
    messages = rationale.get("messages")
    if isinstance(messages, list):
        turns = [m.get("content") for m in messages
                 if isinstance(m, dict) and m.get("role") == "assistant" and isinstance(m.get("content"), str)]
        if turns:
            return {**rationale, "text": turns[-1]}
    return rationale


def format_of(rationale: dict[str, Any], fmt: str) -> str:
    """``steps`` or ``free`` for a rationale under the ``--format`` setting (``auto``: steps when
    every non-blank line parses as a step of the narration language)."""
    if fmt != "auto":
        return fmt
    from codecot.claims.parse import StepParseError, parse_rationale

    text = str(rationale.get("text") or "")
    if not text.strip():
        return "steps"
    if len(text) > 200_000:
        return "free"
    steps = parse_rationale(text)
    return "free" if any(isinstance(s, StepParseError) for s in steps) else "steps"


def _reproduces(trace: dict[str, Any] | None, output: str | None, entry: str) -> tuple[Verdict, str]:
    if trace is None:
        return Verdict.UNKNOWN, "the input is not written as literals, so it was not executed"
    if not trace.get("ok"):
        return Verdict.REFUTED, f"running it fails: {trace.get('error')}"
    if trace.get("output") != output:
        return Verdict.REFUTED, f"{entry} returns {trace.get('output')} on it, not {output}"
    return Verdict.PROVED, ""


def free_verdict_record(p: FreePlan, traces: list[dict[str, Any] | None],
                        policy: Policy | None = None, *,
                        backward: Callable[[Any], BackwardSession | None] | None = None,
                        ) -> dict[str, Any]:
    """Decide every statement of ``p`` given the traces of ``p.inputs`` (same order)."""
    policy = policy or get_policy("free")
    record = p.record
    entry = record.entry_name
    by_source = dict(zip(p.inputs, traces, strict=False))
    own = by_source.get(record.input)
    results: list[StepVerdict] = []
    spans: list[list[int]] = []
    checker: FreeChecker | None = None
    back: BackwardChecker | None = None
    finals: list[str] = []
    if p.direction == "backward":
        sources = _backward_sources(p.reading)
        inputs = [s for s in sources if _is_input(p.reading, s)]
        final = by_source.get(inputs[-1]) if inputs else None
        checks = [by_source.get(s) for s in sources if s not in inputs]
        if record.output is not None:
            session = backward(_SessionPlan(p)) if backward is not None else None
            back = BackwardChecker(entry, [], record.output, final, checks, code=record.code,
                                   session=session, record_input=record.input)
        seen_ok = final if final is not None and final.get("ok") \
            and final.get("output") == record.output else own
        run = seen_ok
    else:
        run = own
    if run is not None and run.get("ok"):
        checker = FreeChecker(record.code, run, entry=entry,
                              backward=back.check if back is not None else None,
                              record_output=record.output if p.direction == "backward" else None,
                              arg_sources=argument_sources(record.code, record.input, entry))
    index = 0
    doubtful = False  # a sentence that looks like a choice but gave none was read
    for sentence in p.reading.sentences:
        if p.direction == "backward" and _CHOICE_WORDS.search(sentence.text) and not any(
                st.kind == "let" for st in sentence.statements):
            doubtful = True
        for st in sentence.statements:
            claim = st.options[0][0]
            if isinstance(claim, M.InputClaim):
                verdict, detail = _reproduces(by_source.get(_source(claim.args) or ""),
                                              record.output, entry)
                finals.append("input")
            elif isinstance(claim, M.CheckClaim) and isinstance(claim.call, E.Call):
                verdict, detail = _reproduces(by_source.get(_source(claim.call.args) or ""),
                                              record.output, entry)
            elif checker is None:
                verdict, detail = Verdict.UNKNOWN, (
                    "the record has no output" if record.output is None and p.direction == "backward"
                    else "the record's trace failed")
            else:
                verdict, detail = checker.check(st)
                if verdict is Verdict.REFUTED and doubtful and st.kind == "must":
                    verdict, detail = Verdict.UNKNOWN, (
                        f"{detail}; but an earlier sentence may make a choice that was not read")
            if isinstance(claim, OutputClaim) and p.direction == "forward":
                finals.append("answer")
                kind = "answer"
            elif isinstance(claim, OutputClaim):
                kind = "goal"
            else:
                kind = "input" if isinstance(claim, M.InputClaim) else st.kind
            results.append(StepVerdict(index, sentence.text, kind, verdict, detail))
            spans.append(list(sentence.span))
            index += 1
    accepted, reason = policy.accepts(results)
    if p.error:
        accepted, reason = False, p.error
    out = dict(p.rationale)
    out["format"] = "free"
    out["accepted"] = accepted
    out["coverage"] = round(p.reading.coverage, 4)
    out["sentences"] = len(p.reading.content)
    out["steps"] = [{**s.to_json(), "span": span} for s, span in zip(results, spans, strict=True)]
    if p.reading.truncated:
        out["truncated"] = True
    if not accepted:
        out["reason"] = reason
    out["policy"] = policy.name
    return out


_CHOICE_WORDS = re.compile(r"\b(?:choose|chose|choice|pick|picked|let's|let\s+us|we\s+take|assume|"
                           r"suppose|select|we\s+set|try|use|say|for\s+example|for\s+instance|e\.g)\b",
                           re.I)


def _is_input(reading: Reading, source: str) -> bool:
    for sentence in reading.sentences:
        for st in sentence.statements:
            claim = st.options[0][0]
            if isinstance(claim, M.InputClaim) and _source(claim.args) == source:
                return True
    return False


@dataclass(frozen=True)
class _SessionPlan:
    """What a backward session factory reads from a plan: the record, the final input, lines."""

    free: FreePlan

    @property
    def record(self) -> CorpusRecord:
        return self.free.record

    @property
    def inputs(self) -> tuple[str | None, ...]:
        inputs = [s for s in _backward_sources(self.free.reading) if _is_input(self.free.reading, s)]
        return (inputs[-1] if inputs else None,)

    @property
    def steps(self) -> list[Any]:
        return []
