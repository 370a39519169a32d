"""Reading a chat dataset for training: deduplication, the held-out split, prompt/completion rows.

Rows are those of ``codecot run``'s ``dataset.jsonl`` (``codecot/pipeline/dataset.py``):
``{"id", "direction", "narrator", "messages": [system, user, assistant]}``.  Rows are
deduplicated by their messages (the first occurrence is kept) and split by problem id: an id
goes to the held-out side when the first 8 bytes of ``sha256(id)``, read as a fraction of 2**64,
fall below the held-out fraction, so every row of an id (both directions) lands on the same side
and an id's side does not depend on the rest of the file.  When that leaves the held-out side
empty although the fraction is positive and there are at least two ids, the id with the smallest
hash is held out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class ChatRow:
    """One training example: the problem id and its chat messages (the last is the assistant's)."""

    id: str
    messages: tuple[tuple[str, str], ...]

    def key(self) -> str:
        """The deduplication key: the messages' roles and contents."""
        return json.dumps(self.messages, ensure_ascii=False)

    def prompt_completion(self) -> dict[str, Any]:
        """The row in TRL's conversational prompt/completion form (loss on the completion only)."""
        msgs = [{"role": role, "content": content} for role, content in self.messages]
        return {"prompt": msgs[:-1], "completion": msgs[-1:]}


@dataclass
class DatasetSplit:
    """Train and held-out rows, with how many input lines were read, bad or duplicated (and
    rows dropped for their length, see ``--skip-long``)."""

    train: list[ChatRow] = field(default_factory=list)
    held_out: list[ChatRow] = field(default_factory=list)
    lines: int = 0
    bad_lines: int = 0
    duplicates: int = 0
    too_long: int = 0


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def id_fraction(problem_id: str) -> float:
    """A stable number in [0, 1) for a problem id (its sha256 prefix over 2**64)."""
    head = hashlib.sha256(problem_id.encode("utf-8")).digest()[:8]
    return int.from_bytes(head, "big") / 2.0**64


def parse_row(obj: Any) -> ChatRow | None:
    """The chat row of a decoded JSON line, or None when it is not a usable dataset row.

    A usable row has an ``id`` and a ``messages`` list of ``{"role", "content"}`` objects with
    known roles that ends with a non-empty assistant message after at least one other message.
    """
    if not isinstance(obj, dict) or "id" not in obj or not isinstance(obj.get("messages"), list):
        return None
    messages: list[tuple[str, str]] = []
    for msg in obj["messages"]:
        if not isinstance(msg, dict):
            return None
        role, content = msg.get("role"), msg.get("content")
        if role not in ROLES or not isinstance(content, str):
            return None
        messages.append((role, content))
    if len(messages) < 2 or messages[-1][0] != "assistant" or not messages[-1][1].strip():
        return None
    return ChatRow(str(obj["id"]), tuple(messages))


def read_rows(path: Path) -> tuple[list[ChatRow], int, int, int]:
    """``(unique rows, lines, bad lines, duplicates)`` of a dataset JSONL file."""
    if not path.is_file():
        raise InvalidArgument(f"dataset {path} does not exist or is not a file")
    rows: list[ChatRow] = []
    seen: set[str] = set()
    lines = bad = duplicates = 0
    with open(path, encoding="utf-8") as fh:
        for text in fh:
            if not text.strip():
                continue
            lines += 1
            try:
                row = parse_row(json.loads(text))
            except json.JSONDecodeError:
                row = None
            if row is None:
                bad += 1
                continue
            key = row.key()
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            rows.append(row)
    return rows, lines, bad, duplicates


def prompt_form_of(path: Path) -> str | None:
    """The ``prompt_form`` every row of a dataset file names (``short`` for the rows of
    ``codecot run`` and ``codecot train-data``), or None when rows name none or differ."""
    forms: set[Any] = set()
    with open(path, encoding="utf-8") as fh:
        for text in fh:
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and "messages" in obj:
                forms.add(obj.get("prompt_form"))
    form = forms.pop() if len(forms) == 1 else None
    return form if isinstance(form, str) else None


def held_out_ids(ids: set[str], fraction: float) -> set[str]:
    """The ids that go to the held-out side for ``fraction`` (see the module docstring)."""
    if not 0.0 <= fraction < 1.0:
        raise InvalidArgument(f"--eval-fraction {fraction}: must be at least 0 and below 1")
    chosen = {i for i in ids if id_fraction(i) < fraction}
    if not chosen and fraction > 0 and len(ids) >= 2:
        chosen = {min(ids, key=id_fraction)}
    if chosen == ids:  # never hold everything out
        chosen.discard(max(chosen, key=id_fraction))
    return chosen


def spread(rows: list[ChatRow], limit: int | None) -> list[ChatRow]:
    """At most ``limit`` of ``rows``, evenly spaced in file order (all of them for None)."""
    if limit is None or len(rows) <= limit:
        return rows
    return [rows[i * len(rows) // limit] for i in range(limit)]


def load_split(path: Path, eval_fraction: float = 0.1,
               eval_path: Path | None = None, eval_limit: int | None = None) -> DatasetSplit:
    """Read ``path`` and split it; an explicit ``eval_path`` file is the held-out side instead.
    ``eval_limit`` keeps at most that many held-out rows (:func:`spread`)."""
    rows, lines, bad, duplicates = read_rows(path)
    split = DatasetSplit(lines=lines, bad_lines=bad, duplicates=duplicates)
    if eval_path is not None:
        split.train = rows
        split.held_out, _, _, _ = read_rows(eval_path)
    else:
        held = held_out_ids({r.id for r in rows}, eval_fraction)
        split.train = [r for r in rows if r.id not in held]
        split.held_out = [r for r in rows if r.id in held]
    split.held_out = spread(split.held_out, eval_limit)
    if not split.train:
        raise InvalidArgument(f"dataset {path}: no usable training rows ({lines} lines, "
                              f"{bad} not chat rows, {duplicates} duplicates)")
    return split
