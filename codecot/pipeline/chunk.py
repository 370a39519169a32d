"""The stages of ``codecot run`` on one chunk of input records, shared by both engines.

A chunk is a list of :class:`Item` (an input record and its position in the corpus).  The
stages are plain functions so the local engine can call them in turn and the Ray engine can wrap
each in a ``map_batches`` step:

* :func:`trace_items` — trace every record in the sandbox pool;
* :func:`split_ready` — records whose trace failed (or whose stated output is not what the
  function returns) become error rows, one per (narrator, direction) *slot*;
  :class:`FileRationales` stands in for narration when rationales come from a file;
* :func:`narrate_ready` — each narrator writes each direction; failures become error rows;
* :func:`verify_rationales_of` — verdicts, routed to the accepted or rejected file; each
  accepted one also gives a chat row for ``dataset.jsonl``.

Every input record yields exactly one :class:`Row` per slot in ``accepted.jsonl``,
``rejected.jsonl`` or ``errors.jsonl``.  Rows sort by (record position, slot), which makes the
output order the same whatever the engine or the chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from codecot.corpus import CorpusRecord, RecordError
from codecot.narrate.base import NarrationError, Narrator
from codecot.pipeline.dataset import chat_row
from codecot.sandbox import SandboxPool
from codecot.verify.policy import Policy

ACCEPTED, REJECTED, ERRORS = "accepted.jsonl", "rejected.jsonl", "errors.jsonl"
DATASET = "dataset.jsonl"
OUTPUT_FILES = (ACCEPTED, REJECTED, ERRORS, DATASET)


@dataclass(frozen=True)
class Item:
    """One input record and its 0-based position in the corpus (after ``--limit``)."""

    index: int
    record: CorpusRecord | RecordError


@dataclass(frozen=True)
class Ready:
    """A record whose trace succeeded; ``record.output`` is the traced output."""

    index: int
    record: CorpusRecord
    trace: dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One output line: ``record`` goes to ``file``; ``slot`` numbers the (narrator, direction)."""

    index: int
    slot: int
    file: str
    record: dict[str, Any]


@dataclass(frozen=True)
class Slots:
    """The (narrator name, direction) pairs of a run, in output order."""

    narrators: tuple[str, ...]
    directions: tuple[str, ...]

    def all(self) -> list[tuple[int, str, str]]:
        return [(n * len(self.directions) + d, name, direction)
                for n, name in enumerate(self.narrators)
                for d, direction in enumerate(self.directions)]

    def slot(self, narrator: str, direction: str) -> int:
        return self.narrators.index(narrator) * len(self.directions) + self.directions.index(direction)

    def errors(self, index: int, rid: str, stage: str, kind: str, message: str) -> list[Row]:
        """The same error, once per slot."""
        return [Row(index, slot, ERRORS, error_record(rid, name, direction, stage, kind, message))
                for slot, name, direction in self.all()]


def error_record(rid: str, narrator: str | None, direction: str | None, stage: str, kind: str,
                 message: str) -> dict[str, Any]:
    return {"id": rid, "narrator": narrator, "direction": direction, "stage": stage,
            "error_kind": kind, "error": message}


class FileRationales:
    """Rationales read from a file instead of narrated (e.g. ``codecot mutate`` output).

    A record's slots are the positions of its rationales in the file, so each rationale gives
    exactly one output row; a record that fails to trace gives one error row per rationale.
    """

    def __init__(self, rationales: Sequence[dict[str, Any]]) -> None:
        self.by_id: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for pos, rat in enumerate(rationales):
            self.by_id.setdefault(str(rat.get("id")), []).append((pos, rat))

    def errors(self, index: int, rid: str, stage: str, kind: str, message: str) -> list[Row]:
        return [Row(index, pos, ERRORS, error_record(rid, rat.get("narrator"), rat.get("direction"),
                                                     stage, kind, message))
                for pos, rat in self.by_id.get(rid, [])]

    def rationales(self, ready: Sequence[Ready]) -> list[tuple[int, int, dict[str, Any]]]:
        return [(r.index, pos, rat) for r in ready for pos, rat in self.by_id.get(r.record.id, [])]


def trace_items(items: Sequence[Item], pool: SandboxPool) -> list[dict[str, Any]]:
    """One trace record per item, in order (malformed records give ``bad_record`` traces)."""
    from codecot.trace.run import trace_records

    return list(trace_records([it.record for it in items], pool=pool))


ErrorRows = Callable[[int, str, str, str, str], list[Row]]


def split_ready(items: Sequence[Item], traces: Sequence[dict[str, Any]],
                errors: ErrorRows) -> tuple[list[Ready], list[Row]]:
    """Records ready to narrate, and error rows for those that are not.

    ``errors(index, record_id, stage, error_kind, message)`` makes the error rows of a record
    (one per slot: see :meth:`Slots.errors`).
    """
    ready: list[Ready] = []
    rows: list[Row] = []
    for item, trace in zip(items, traces, strict=True):
        rec = item.record
        if isinstance(rec, RecordError):
            rows += errors(item.index, rec.id, "read", "bad_record", rec.message)
        elif not trace.get("ok"):
            kind = str(trace.get("error_kind") or "trace_failed")
            rows += errors(item.index, rec.id, "trace", kind,
                           f"record {rec.id}: {trace.get('error') or 'trace failed'}")
        elif "expected_output" in trace:
            rows += errors(item.index, rec.id, "trace", "output_mismatch",
                           f"record {rec.id}: its output is {rec.output} but "
                           f"{rec.entry_name}({rec.input}) returns {trace.get('output')}")
        else:
            ready.append(Ready(item.index, _with_output(rec, str(trace["output"])), trace))
    return ready, rows


def _with_output(rec: CorpusRecord, output: str) -> CorpusRecord:
    if rec.output == output:
        return rec
    return CorpusRecord(id=rec.id, code=rec.code, input=rec.input, output=output, entry=rec.entry,
                        extra=rec.extra)


def narrate_ready(ready: Sequence[Ready], narrators: Sequence[Narrator],
                  directions: Sequence[str], slots: Slots,
                  ) -> tuple[list[tuple[int, int, dict[str, Any]]], list[Row]]:
    """Rationales as ``(index, slot, rationale_record)``, and error rows for failed narrations.

    ``narrators`` pair with ``slots.narrators`` (the names given on the command line); a
    rationale's ``narrator`` key is that name, and the narrator's own name, when it differs,
    goes into ``narrator_detail``.

    A narrator with a ``narrate_many(jobs)`` method (jobs are ``(record, trace, direction)``;
    it returns one Rationale or NarrationError per job) gets each direction as one batch.
    """
    rationales: list[tuple[int, int, dict[str, Any]]] = []
    rows: list[Row] = []
    for name, narrator in zip(slots.narrators, narrators, strict=True):
        for direction in directions:
            slot = slots.slot(name, direction)
            for r, result in zip(ready, _narrate_all(narrator, ready, direction), strict=True):
                if isinstance(result, Exception):
                    kind = "narration" if isinstance(result, NarrationError) else "narrator_crash"
                    msg = str(result) if kind == "narration" else f"{type(result).__name__}: {result}"
                    rows.append(Row(r.index, slot, ERRORS, error_record(
                        r.record.id, name, direction, "narrate", kind, msg)))
                else:
                    rec = result.to_json()
                    if rec.get("narrator") != name:
                        rec["narrator_detail"] = rec.get("narrator")
                        rec["narrator"] = name
                    rationales.append((r.index, slot, rec))
    return rationales, rows


def _narrate_all(narrator: Narrator, ready: Sequence[Ready], direction: str) -> list[Any]:
    batch = getattr(narrator, "narrate_many", None)
    if batch is not None and ready:
        try:
            out = list(batch([(r.record, r.trace, direction) for r in ready]))
            if len(out) == len(ready):
                return out
        except Exception as exc:  # a broken batch falls back to one record at a time
            if not ready[1:]:
                return [exc]
    results: list[Any] = []
    for r in ready:
        try:
            results.append(narrator.narrate(r.record, r.trace, direction))
        except Exception as exc:
            results.append(exc)
    return results


def verify_rationales_of(rationales: Sequence[tuple[int, int, dict[str, Any]]],
                         ready: Sequence[Ready], policy: Policy, jobs: int | None, *,
                         fmt: str = "steps", free_policy: Policy | None = None) -> list[Row]:
    """Verify each rationale against its record and trace; route the verdicts.

    ``fmt`` (``steps``, ``free`` or ``auto``) and ``free_policy`` are passed to
    :func:`codecot.pipeline.verify_stage.verify_rationales`."""
    from codecot.pipeline.verify_stage import verify_rationales

    by_id = {r.record.id: r.record for r in ready}
    traces = {r.record.id: r.trace for r in ready}
    try:
        out: list[dict[str, Any]] = []
        verify_rationales([rat for _, _, rat in rationales], by_id, out.append, policy=policy,
                          jobs=jobs, known_traces=traces, fmt=fmt, free_policy=free_policy)
        verdicts: list[dict[str, Any] | Exception] = list(out)
    except Exception:  # isolate the rationale that breaks the verifier
        verdicts = []
        for _, _, rat in rationales:
            one: list[dict[str, Any]] = []
            try:
                verify_rationales([rat], by_id, one.append, policy=policy, jobs=1,
                                  known_traces=traces, fmt=fmt, free_policy=free_policy)
                verdicts.append(one[0])
            except Exception as exc:
                verdicts.append(exc)
    rows: list[Row] = []
    for (index, slot, rat), verdict in zip(rationales, verdicts, strict=True):
        if isinstance(verdict, Exception):
            rows.append(Row(index, slot, ERRORS, {
                "id": rat.get("id"), "narrator": rat.get("narrator"),
                "direction": rat.get("direction"), "stage": "verify", "error_kind": "verifier_crash",
                "error": f"{type(verdict).__name__}: {verdict}", "text": rat.get("text")}))
        elif verdict.get("accepted"):
            rows.append(Row(index, slot, ACCEPTED, verdict))
            rid = str(rat.get("id"))
            rows.append(Row(index, slot, DATASET, chat_row(verdict, by_id[rid], traces[rid])))
        else:
            rows.append(Row(index, slot, REJECTED, verdict))
    return rows


def sort_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.index, r.slot))


def by_file(rows: Sequence[Row]) -> dict[str, list[dict[str, Any]]]:
    """Group sorted rows by output file (every output file present)."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in OUTPUT_FILES}
    for row in rows:
        out[row.file].append(row.record)
    return out
