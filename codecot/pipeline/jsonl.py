"""JSON Lines reading and writing that never crash on a bad line.

Reading yields, for each non-blank line, either the decoded object or a :class:`BadLine`
naming the line and what is wrong.  Writing appends one compact object per line and flushes,
so a killed run leaves at most one torn last line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class BadLine:
    """A line of a JSONL file that is not a JSON object."""

    path: str
    line_no: int
    message: str

    def describe(self) -> str:
        return f"{self.path} line {self.line_no}: {self.message}"


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Yield ``(line_no, object_or_BadLine)`` for each non-blank line (1-based line numbers)."""
    name = str(path)
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield line_no, BadLine(name, line_no, f"malformed JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield line_no, BadLine(name, line_no, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield line_no, obj


def dumps(obj: dict[str, Any]) -> str:
    """One compact JSON line (unicode kept readable)."""
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records to ``path`` (replacing it); return how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            write_line(fh, rec)
            count += 1
    return count


def write_line(fh: IO[str], record: dict[str, Any]) -> None:
    fh.write(dumps(record))
    fh.write("\n")
    fh.flush()
