"""The ``narrate`` stage: traces in, rationale records out (one per record and direction).

:func:`narrate_records` asks any narrator for one rationale at a time;
:func:`narrate_records_batched` hands all of them to the HF narrator at once, which batches
generation.  Both write the same records, in input order.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.narrate.base import NarrationError, Narrator, Rationale

if TYPE_CHECKING:
    from codecot.narrate.hf.narrator import HFNarrator, Item


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


def narrate_records_batched(
    records: Sequence[CorpusRecord | RecordError],
    traces: Iterable[dict[str, Any]],
    narrator: HFNarrator,
    directions: tuple[str, ...],
    sink: Callable[[dict[str, Any]], None],
    error_sink: Callable[[dict[str, Any]], None],
    bar: Any = None,
) -> NarrateSummary:
    """The ``narrate`` stage for a batching narrator: same records out as
    :func:`narrate_records`, in input order.

    ``bar`` (a tqdm bar) counts rationales and shows generated tokens per second.
    """
    summary = NarrateSummary()
    items: list[Item] = [(rec, trace, d)
                         for rec, trace in traced_pairs(records, traces, summary, error_sink)
                         for d in directions]
    started = time.perf_counter()
    count = [0]

    def on_tokens(n: int) -> None:
        count[0] += n
        if bar is not None:
            bar.set_postfix_str(f"{count[0] / max(time.perf_counter() - started, 1e-9):.1f} tok/s",
                                refresh=False)

    results = narrator.narrate_many(items, on_tokens=on_tokens,
                                    on_done=(bar.update if bar is not None else None))
    for (rec, _, direction), result in zip(items, results, strict=True):
        emit(summary, rec.id, direction, result, sink, error_sink)
    return summary
