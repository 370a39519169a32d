"""JSON Lines reading and writing that never crash on a bad line, and atomic file writes.

Reading yields, for each non-blank line, either the decoded object or a :class:`BadLine`
naming the line and what is wrong.  Writing appends one compact object per line and flushes,
so a killed run leaves at most one torn last line.  :func:`atomic_write_text` replaces a whole
file so that a reader sees the old or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
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
    """Append ``record`` to ``fh`` as one line and flush."""
    fh.write(dumps(record))
    fh.write("\n")
    fh.flush()


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a reader sees the old or the new file, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
