"""The ``narrate`` stage: traces in, rationale records out (one per record and direction)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.narrate.base import NarrationError, Narrator, Rationale


@dataclass
class NarrateSummary:
    rationales: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        errs = sum(self.errors.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items()))
        return f"wrote {self.rationales} rationales; {errs} records not narrated" + (
            f" ({detail})" if detail else "")


def directions_of(direction: str) -> tuple[str, ...]:
    if direction == "both":
        return ("forward", "backward")
    if direction in ("forward", "backward"):
        return (direction,)
    raise ValueError(f"--direction must be forward, backward or both, not {direction!r}")


def traced_pairs(records: Sequence[CorpusRecord | RecordError], traces: Iterable[dict[str, Any]],
                 summary: NarrateSummary, error_sink: Callable[[dict[str, Any]], None],
                 ) -> list[tuple[CorpusRecord, dict[str, Any]]]:
    """The (record, trace) pairs that can be narrated; the others go to ``error_sink``."""
    pairs = []
    for rec, trace in zip(records, traces, strict=True):
        if isinstance(rec, RecordError) or not trace.get("ok"):
            kind = "bad_record" if isinstance(rec, RecordError) else str(trace.get("error_kind"))
            summary.errors[kind] += 1
            error_sink({"id": rec.id, "error_kind": kind, "error": trace.get("error")})
        else:
            pairs.append((rec, trace))
    return pairs


def emit(summary: NarrateSummary, record_id: str, direction: str,
         result: Rationale | NarrationError, sink: Callable[[dict[str, Any]], None],
         error_sink: Callable[[dict[str, Any]], None]) -> None:
    """Send one narration result to ``sink`` (a rationale) or ``error_sink`` (a failure)."""
    if isinstance(result, NarrationError):
        summary.errors["narration"] += 1
        error_sink({"id": record_id, "direction": direction, "error_kind": "narration",
                    "error": str(result)})
    else:
        summary.rationales += 1
        sink(result.to_json())


def narrate_records(
    records: Sequence[CorpusRecord | RecordError],
    traces: Iterable[dict[str, Any]],
    narrator: Narrator,
    directions: tuple[str, ...],
    sink: Callable[[dict[str, Any]], None],
    error_sink: Callable[[dict[str, Any]], None],
) -> NarrateSummary:
    """Narrate each record with its trace; failures go to ``error_sink`` with the reason."""
    summary = NarrateSummary()
    for rec, trace in traced_pairs(records, traces, summary, error_sink):
        for direction in directions:
            result: Rationale | NarrationError
            try:
                result = narrator.narrate(rec, trace, direction)
            except NarrationError as exc:
                result = exc
            emit(summary, rec.id, direction, result, sink, error_sink)
    return summary
