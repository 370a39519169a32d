"""Free-form verdict records (``"format": "free"``) as a dataset curator reads them.

A free-form record's steps are statements, each with the span of the sentence it was read from.
A *sentence* here is one such span: its verdict is ``refuted`` when any of its statements is
refuted, else ``unknown`` when any is undecided (unknown or unparsed), else ``verified``
(backward ``proved``, ``proved_on_path`` and ``consistent`` count as verified).  Sentences the
reader found nothing in are *prose*: the record's ``sentences`` count less the spans with
statements.

:class:`FreeFigures` gathers per narrator/direction figures (rationales, acceptance, sentence
verdicts, coverage, and the statement kinds that were refuted); :func:`select_rationales`
picks the records the report shows in full, at most ``limit`` of them, rejected ones with a
refuted sentence first, taking narrators in turn, and counts the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecot.jsonl import iter_jsonl

SENTENCE_VERDICTS = ("verified", "refuted", "unknown", "prose")
GOOD = frozenset({"verified", "proved", "proved_on_path", "consistent"})
#: refuted statement kinds listed per narrator in the report
TOP_KINDS = 8


@dataclass(frozen=True)
class FreeSentence:
    """A sentence with statements: its span in the text, its verdict and its steps."""

    start: int
    end: int
    verdict: str
    steps: tuple[dict[str, Any], ...]


def is_free(rec: dict[str, Any]) -> bool:
    return rec.get("format") == "free"


def sentence_verdict(verdicts: Iterable[str]) -> str:
    """``refuted`` if any verdict is, else ``unknown`` if any is not good, else ``verified``."""
    words = list(verdicts)
    if "refuted" in words:
        return "refuted"
    if any(w not in GOOD for w in words):
        return "unknown"
    return "verified"


def _span(step: dict[str, Any], length: int) -> tuple[int, int] | None:
    span = step.get("span")
    if (isinstance(span, list | tuple) and len(span) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in span)):
        start, end = max(0, span[0]), min(length, span[1])
        if start < end:
            return start, end
    return None


def sentences_of(rec: dict[str, Any]) -> list[FreeSentence]:
    """The sentences of a free-form record that hold statements, in text order.

    Steps are grouped by span; a span that overlaps the one before it is merged into it (spans
    outside the text, or malformed, are dropped)."""
    text = str(rec.get("text") or "")
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for step in rec.get("steps") or []:
        if isinstance(step, dict):
            span = _span(step, len(text))
            if span is not None:
                groups.setdefault(span, []).append(step)
    merged: list[tuple[int, int, list[dict[str, Any]]]] = []
    for (start, end), steps in sorted(groups.items()):
        if merged and start < merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), prev[2] + steps)
        else:
            merged.append((start, end, list(steps)))
    return [FreeSentence(s, e, sentence_verdict(str(st.get("verdict")) for st in steps),
                         tuple(steps)) for s, e, steps in merged]


def sentence_counts(rec: dict[str, Any]) -> Counter[str]:
    """Sentences of the record by verdict, prose included."""
    counts: Counter[str] = Counter(s.verdict for s in sentences_of(rec))
    total = rec.get("sentences")
    read = sum(counts.values())
    if isinstance(total, int) and total > read:
        counts["prose"] = total - read
    return counts


def slot_of(rec: dict[str, Any]) -> str:
    return f"{rec.get('narrator')}/{rec.get('direction')}"


@dataclass
class _Slot:
    rationales: int = 0
    accepted: int = 0
    coverage: float = 0.0
    sentences: Counter[str] = field(default_factory=Counter)
    refuted_kinds: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    example: dict[str, str] = field(default_factory=dict)


class FreeFigures:
    """Figures of the free-form records of a run, per narrator/direction (add records, then
    :meth:`to_json`)."""

    def __init__(self) -> None:
        self.slots: dict[str, _Slot] = {}

    def add(self, rec: dict[str, Any]) -> None:
        """Count ``rec`` if it is a free-form verdict record (others are ignored)."""
        if not is_free(rec):
            return
        slot = self.slots.setdefault(slot_of(rec), _Slot())
        slot.rationales += 1
        slot.accepted += bool(rec.get("accepted"))
        cov = rec.get("coverage")
        slot.coverage += float(cov) if isinstance(cov, int | float) else 0.0
        slot.sentences.update(sentence_counts(rec))
        for step in rec.get("steps") or []:
            if not isinstance(step, dict):
                continue
            kind = str(step.get("kind"))
            slot.kinds[kind] += 1
            if step.get("verdict") == "refuted":
                slot.refuted_kinds[kind] += 1
                if kind not in slot.example:
                    slot.example[kind] = str(step.get("detail") or "")

    def to_json(self) -> dict[str, Any]:
        """``{"rationales", "by_slot": {slot: {...}}}`` (empty ``by_slot`` without free records)."""
        by_slot: dict[str, Any] = {}
        for name in sorted(self.slots):
            s = self.slots[name]
            refuted = sum(s.refuted_kinds.values())
            by_slot[name] = {
                "rationales": s.rationales, "accepted": s.accepted,
                "coverage_mean": round(s.coverage / s.rationales, 4) if s.rationales else 0.0,
                "sentences": {v: s.sentences[v] for v in SENTENCE_VERDICTS},
                "refuted_statements": refuted,
                "refuted_kinds": [
                    {"kind": kind, "refuted": n, "share": round(n / refuted, 4),
                     "statements": s.kinds[kind], "refuted_rate": round(n / s.kinds[kind], 4),
                     "example": s.example.get(kind, "")}
                    for kind, n in s.refuted_kinds.most_common(TOP_KINDS)],
            }
        return {"rationales": sum(s.rationales for s in self.slots.values()), "by_slot": by_slot}


@dataclass
class Selection:
    """The free-form records shown in full, and how many of each slot and outcome are not."""

    shown: list[dict[str, Any]]
    not_shown: dict[str, Counter[str]]
    limit: int

    @property
    def hidden(self) -> int:
        return sum(sum(c.values()) for c in self.not_shown.values())


def _priority(rec: dict[str, Any]) -> int:
    if rec.get("accepted"):
        return 2
    return 0 if any(s.verdict == "refuted" for s in sentences_of(rec)) else 1


def _free_records(outdir: Path) -> Iterator[dict[str, Any]]:
    for name in ("accepted.jsonl", "rejected.jsonl"):
        path = outdir / name
        if path.exists():
            for _, obj in iter_jsonl(path):
                if isinstance(obj, dict) and is_free(obj):
                    yield obj


def select_rationales(records: Iterable[dict[str, Any]], limit: int) -> Selection:
    """At most ``limit`` free-form records to show in full: rejected ones with a refuted
    sentence first, then other rejected ones, then accepted ones; within each group the slots
    take turns, each in file order.  Keeps at most ``limit`` records per (group, slot)."""
    limit = max(0, limit)
    pools: dict[tuple[int, str], list[dict[str, Any]]] = {}
    totals: dict[str, Counter[str]] = {}
    for rec in records:
        if not is_free(rec):
            continue
        slot = slot_of(rec)
        outcome = "accepted" if rec.get("accepted") else "rejected"
        totals.setdefault(slot, Counter())[outcome] += 1
        pool = pools.setdefault((_priority(rec), slot), [])
        if len(pool) < limit:
            pool.append(rec)
    shown: list[dict[str, Any]] = []
    for group in range(3):
        queues = [list(reversed(pools[k])) for k in sorted(pools) if k[0] == group]
        while len(shown) < limit and any(queues):
            for q in queues:
                if q and len(shown) < limit:
                    shown.append(q.pop())
    not_shown = {slot: Counter(c) for slot, c in totals.items()}
    for rec in shown:
        not_shown[slot_of(rec)]["accepted" if rec.get("accepted") else "rejected"] -= 1
    return Selection(shown, {s: +c for s, c in sorted(not_shown.items()) if +c}, limit)


def select_from_run(outdir: Path, limit: int) -> Selection:
    """:func:`select_rationales` over a run directory's accepted and rejected records."""
    return select_rationales(_free_records(outdir), limit)
