"""Corpus records (DESIGN.md §3): CRUXEval-compatible JSONL of programs and inputs.

A record is ``{"id", "code", "input", "output"?, "entry"?}``.  ``input`` is the source text of
an argument list, evaluated (inside the sandbox only) in the namespace of ``code``; it may name
globals the code defines, end with a trailing comma, or be empty.  ``output`` is the ``repr`` of
the result, optional for forward work.  ``entry`` defaults to the only top-level function, else
``f``.  Keys beyond these are kept in ``extra`` and written back unchanged.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecot.jsonl import BadLine, iter_jsonl

CORE_KEYS = ("id", "code", "input", "output", "entry")


@dataclass(frozen=True)
class CorpusRecord:
    """One program with one input."""

    id: str
    code: str
    input: str
    output: str | None = None
    entry: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "code": self.code, "input": self.input}
        if self.output is not None:
            out["output"] = self.output
        if self.entry is not None:
            out["entry"] = self.entry
        out.update(self.extra)
        return out

    def payload(self) -> dict[str, Any]:
        """The job sent to the sandboxed tracer."""
        return {"id": self.id, "code": self.code, "input": self.input, "entry": self.entry}

    @property
    def entry_name(self) -> str:
        """The entry function: ``entry`` if given, else the only top-level function, else ``f``."""
        return self.entry or default_entry(self.code)


@dataclass(frozen=True)
class RecordError:
    """A corpus line that cannot become a record; ``id`` is the record's id when it has one."""

    id: str
    line_no: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "ok": False, "error_kind": "bad_record", "error": self.message}


def default_entry(code: str) -> str:
    """The only top-level function of ``code``, else ``f`` (also when the code does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return "f"
    funcs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return funcs[0] if len(funcs) == 1 else "f"


def record_from_json(obj: dict[str, Any], line_no: int, source: str = "") -> CorpusRecord | RecordError:
    """Validate one decoded JSON object as a corpus record."""
    where = f"{source} line {line_no}" if source else f"line {line_no}"
    rid = obj.get("id")
    ident = str(rid) if isinstance(rid, str | int) and str(rid) else f"line{line_no}"
    if not isinstance(rid, str | int) or not str(rid):
        return RecordError(ident, line_no, f"{where}: record has no 'id'")
    problems = []
    for key in ("code", "input"):
        if key not in obj:
            problems.append(f"missing '{key}'")
        elif not isinstance(obj[key], str):
            problems.append(f"'{key}' must be a string, got {type(obj[key]).__name__}")
    for key in ("output", "entry"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            problems.append(f"'{key}' must be a string, got {type(obj[key]).__name__}")
    if problems:
        return RecordError(ident, line_no, f"{where} (id {ident}): " + "; ".join(problems))
    extra = {k: v for k, v in obj.items() if k not in CORE_KEYS}
    return CorpusRecord(
        id=ident, code=obj["code"], input=obj["input"], output=obj.get("output"),
        entry=obj.get("entry"), extra=extra,
    )


def read_corpus(path: str | Path) -> Iterator[CorpusRecord | RecordError]:
    """Read a corpus file; a malformed line yields a :class:`RecordError`, never an exception.

    Duplicate ids are reported as errors on their second and later occurrences.
    """
    seen: set[str] = set()
    for line_no, item in iter_jsonl(path):
        if isinstance(item, BadLine):
            yield RecordError(f"line{line_no}", line_no, item.describe())
            continue
        rec = record_from_json(item, line_no, str(path))
        if isinstance(rec, CorpusRecord):
            if rec.id in seen:
                yield RecordError(rec.id, line_no, f"{path} line {line_no}: duplicate id {rec.id!r}")
                continue
            seen.add(rec.id)
        yield rec


def load_records(path: str | Path, limit: int | None = None) -> list[CorpusRecord | RecordError]:
    out: list[CorpusRecord | RecordError] = []
    for rec in read_corpus(path):
        if limit is not None and len(out) >= limit:
            break
        out.append(rec)
    return out


def packaged_corpus(name: str) -> Path:
    """Path of a corpus shipped with the project (``demo`` or ``starter``)."""
    here = Path(__file__).resolve().parent
    for base in (here / "corpora", here.parent / "corpora"):
        candidate = base / f"{name}.jsonl"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no packaged corpus named {name!r}")
