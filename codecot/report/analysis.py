"""Error-mode analysis of a run directory (``accepted.jsonl``, ``rejected.jsonl``, ``errors.jsonl``).

Every step that is not good (refuted, unknown or unparsed) gets an *error mode*, derived from
its claim kind, verdict and detail (:func:`error_mode`):

========================  =====================================================================
wrong value               a refuted state, return, call, raise/catch or other value claim
wrong branch              a refuted condition or (free-form) branch (branch taken / loop test)
wrong loop count          a refuted loop start, loop end or loop summary
over-claimed necessity    a refuted ``must`` / ``then must`` (only a choice holds)
inconsistent choice       a refuted ``let`` (the choice cannot give the output)
wrong answer              a refuted final answer, final input or check
unparsed                  a step the grammar does not parse
unknown                   a step the verifier could not decide
========================  =====================================================================

:func:`analyze` returns plain JSON-able figures; the HTML report and ``summary.json`` both use
them.  Free-form records (``"format": "free"``) also feed ``free``: per narrator/direction,
sentence verdicts, coverage and the most common refuted statement kinds
(:mod:`codecot.report.freeform`).  Guided rationales feed ``resamples``: per narrator/direction
and step kind, how often a step was sampled again (:mod:`codecot.report.resamples`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codecot.jsonl import iter_jsonl
from codecot.report.freeform import FreeFigures
from codecot.report.resamples import ResampleFigures

MODES = ("wrong value", "wrong branch", "wrong loop count", "over-claimed necessity",
         "inconsistent choice", "wrong answer", "unparsed", "unknown")
GOOD = frozenset({"verified", "proved", "proved_on_path", "consistent"})
LOOP_KINDS = frozenset({"loop_iter", "loop_end", "loop_skip"})
ANSWER_KINDS = frozenset({"answer", "input", "check"})
NECESSITY_KINDS = frozenset({"must", "then-must"})
BINS = 10
EXAMPLES_PER_MODE = 4

_DETAIL = re.compile(r"^(?P<lead>.*?)\b(?:is|are|returns|runs|gives)\s+(?P<true>.+?),\s+not\s+"
                     r"(?P<claimed>.+)$", re.DOTALL)


def error_mode(kind: str, verdict: str, detail: str = "") -> str | None:
    """The error mode of a step, or None for a good step."""
    if verdict in GOOD:
        return None
    if verdict == "unparsed" or kind == "unparsed":
        return "unparsed"
    if verdict != "refuted":
        return "unknown"
    if kind in ANSWER_KINDS:
        return "wrong answer"
    if kind in NECESSITY_KINDS:
        return "over-claimed necessity"
    if kind == "let":
        return "inconsistent choice"
    if kind in ("condition", "branch"):
        return "wrong branch"
    if kind in LOOP_KINDS:
        return "wrong loop count"
    return "wrong value"


def claimed_and_true(detail: str) -> tuple[str | None, str | None]:
    """Split a refuted step's detail (``"... x is 3, not 4"``) into (claimed, true), if it can."""
    m = _DETAIL.match(detail.strip())
    if not m:
        return None, None
    return m.group("claimed").strip(), m.group("true").strip()


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if path.exists():
        for _, obj in iter_jsonl(path):
            if isinstance(obj, dict):
                yield obj


def _slot(rec: dict[str, Any]) -> str:
    return f"{rec.get('narrator')}/{rec.get('direction')}"


def analyze(outdir: Path) -> dict[str, Any]:
    """Figures of a run directory: acceptance, errors, steps by kind and mode, first errors."""
    slots: dict[str, Counter[str]] = {}
    step_kinds: dict[str, Counter[str]] = {}
    refuted_by_kind: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    modes_by_slot: dict[str, Counter[str]] = {}
    first_mode: Counter[str] = Counter()
    bins = [0] * BINS
    first_positions: list[float] = []
    reasons: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    mutants: dict[str, Counter[str]] = {}
    free = FreeFigures()
    resamples = ResampleFigures()

    for outcome in ("accepted", "rejected"):
        for rec in _records(outdir / f"{outcome}.jsonl"):
            slots.setdefault(_slot(rec), Counter())[outcome] += 1
            free.add(rec)
            resamples.add(rec)
            steps = rec.get("steps") or []
            if outcome == "rejected":
                reasons[_reason_word(str(rec.get("reason", "")))] += 1
            mutation = rec.get("mutation")
            if isinstance(mutation, dict):
                mutants.setdefault(str(mutation.get("operator")), Counter())[outcome] += 1
            first: int | None = None
            for step in steps:
                kind, verdict = str(step.get("kind")), str(step.get("verdict"))
                detail = str(step.get("detail") or "")
                step_kinds.setdefault(kind, Counter())[verdict] += 1
                if verdict == "refuted":
                    refuted_by_kind[kind] += 1
                mode = error_mode(kind, verdict, detail)
                if mode is None:
                    continue
                modes[mode] += 1
                modes_by_slot.setdefault(_slot(rec), Counter())[mode] += 1
                if first is None:
                    first = int(step.get("index", 0))
                    first_mode[mode] += 1
                seen = {(e["id"], e["operator"]) for e in examples[mode]}
                key = (rec.get("id"), (mutation or {}).get("operator") if isinstance(
                    mutation, dict) else None)
                if len(examples[mode]) < EXAMPLES_PER_MODE and key not in seen:
                    examples[mode].append(_example(rec, step, mode))
            if first is not None and steps:
                pos = first / max(1, len(steps) - 1)
                first_positions.append(pos)
                bins[min(BINS - 1, int(pos * BINS))] += 1

    errors_by_kind: Counter[str] = Counter()
    errors_by_stage: Counter[str] = Counter()
    error_examples: list[dict[str, Any]] = []
    for rec in _records(outdir / "errors.jsonl"):
        slots.setdefault(_slot(rec), Counter())["errors"] += 1
        errors_by_kind[str(rec.get("error_kind"))] += 1
        errors_by_stage[str(rec.get("stage"))] += 1
        if len(error_examples) < 8:
            error_examples.append({k: rec.get(k) for k in ("id", "narrator", "direction", "stage",
                                                           "error_kind", "error")})

    by_slot = {}
    for name in sorted(slots):
        c = slots[name]
        total = c["accepted"] + c["rejected"] + c["errors"]
        narrated = c["accepted"] + c["rejected"]
        by_slot[name] = {"accepted": c["accepted"], "rejected": c["rejected"], "errors": c["errors"],
                         "total": total,
                         "acceptance": round(c["accepted"] / total, 4) if total else 0.0,
                         "acceptance_of_narrated": round(c["accepted"] / narrated, 4)
                         if narrated else 0.0}
    positions = sorted(first_positions)
    return {
        "by_slot": by_slot,
        "errors": {"total": sum(errors_by_kind.values()), "by_kind": dict(errors_by_kind),
                   "by_stage": dict(errors_by_stage), "examples": error_examples},
        "steps_by_kind": {k: dict(v) for k, v in sorted(step_kinds.items())},
        "refuted_by_kind": dict(refuted_by_kind.most_common()),
        "error_modes": {m: modes[m] for m in MODES if modes[m]},
        "error_modes_by_slot": {s: {m: c[m] for m in MODES if c[m]}
                                for s, c in sorted(modes_by_slot.items())},
        "rejection_reasons": dict(reasons.most_common()),
        "first_error": {"rationales": len(positions), "bins": bins,
                        "bin_edges": [round(i / BINS, 2) for i in range(BINS + 1)],
                        "median": positions[len(positions) // 2] if positions else None,
                        "mode_of_first_error": {m: first_mode[m] for m in MODES if first_mode[m]}},
        "examples": {m: ex for m, ex in examples.items() if ex},
        "mutants": {op: {"accepted": c["accepted"], "rejected": c["rejected"]}
                    for op, c in sorted(mutants.items())},
        "free": free.to_json(),
        "resamples": resamples.to_json(),
    }


def _reason_word(reason: str) -> str:
    """A rejection reason without its step number: ``step 4 is refuted`` -> ``step is refuted``."""
    return re.sub(r"\bstep \d+\b", "step", reason) or "(none)"


def _example(rec: dict[str, Any], step: dict[str, Any], mode: str) -> dict[str, Any]:
    detail = str(step.get("detail") or "")
    claimed, true = claimed_and_true(detail) if step.get("verdict") == "refuted" else (None, None)
    mutation = rec.get("mutation")
    return {"id": rec.get("id"), "narrator": rec.get("narrator"), "direction": rec.get("direction"),
            "index": step.get("index"), "kind": step.get("kind"), "verdict": step.get("verdict"),
            "text": step.get("text"), "claimed": claimed, "true": true, "detail": detail,
            "mode": mode,
            "operator": mutation.get("operator") if isinstance(mutation, dict) else None}
