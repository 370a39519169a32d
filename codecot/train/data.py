"""Reading a chat dataset for training: deduplication, the held-out split, prompt/completion rows.

Rows are those of ``codecot run``'s ``dataset.jsonl`` (``codecot/pipeline/dataset.py``):
``{"id", "direction", "narrator", "grounded", "messages": [system, user, assistant]}``; a row's
*form* (``grounded-forward``, ``blind-backward``, ...) comes from its ``direction`` and
``grounded`` keys, and :func:`weigh_rows` repeats or thins the training rows of each form.  Rows are
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
from codecot.narrate.prompts import trace_is_whole

ROLES = ("system", "user", "assistant")
#: The prompt forms of dataset rows, as ``--mix`` names them.
FORMS = ("grounded-forward", "grounded-backward", "blind-forward", "blind-backward")


@dataclass(frozen=True)
class ChatRow:
    """One training example: the problem id and its chat messages (the last is the assistant's)."""

    id: str
    messages: tuple[tuple[str, str], ...]
    #: one of :data:`FORMS`, or None when the row names no direction or no ``grounded``
    form: str | None = None

    def key(self) -> str:
        """The deduplication key: the messages' roles and contents."""
        return json.dumps(self.messages, ensure_ascii=False)

    def prompt_completion(self) -> dict[str, Any]:
        """The row in TRL's conversational prompt/completion form (loss on the completion only)."""
        msgs = [{"role": role, "content": content} for role, content in self.messages]
        return {"prompt": msgs[:-1], "completion": msgs[-1:]}

    def trace_is_whole(self) -> bool:
        """False when the row's prompt shows a trace with a cut value or events left out."""
        return all(trace_is_whole(content) for role, content in self.messages if role == "user")


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
    #: training rows dropped for a cut trace (``--whole-traces``)
    cut_traces: int = 0


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def id_fraction(problem_id: str) -> float:
    """A stable number in [0, 1) for a problem id, or any text (its sha256 prefix over 2**64)."""
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
    return ChatRow(str(obj["id"]), tuple(messages), form_of(obj))


def form_of(obj: dict[str, Any]) -> str | None:
    """A row's form (one of :data:`FORMS`) from its ``direction`` and ``grounded`` keys."""
    direction, grounded = obj.get("direction"), obj.get("grounded")
    if direction not in ("forward", "backward") or not isinstance(grounded, bool):
        return None
    return f"{'grounded' if grounded else 'blind'}-{direction}"


def parse_mix(text: str | None) -> dict[str, float]:
    """``--mix``: ``FORM=WEIGHT`` pairs, comma-separated, as a dict (forms not named: 1).

    A weight is how many times each row of that form goes into the training rows: 0 leaves
    the form out, 2 repeats every row, 0.25 keeps about a quarter of them (:func:`weigh_rows`).
    """
    mix: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, eq, value = (p.strip() for p in part.partition("="))
        if name not in FORMS or not eq:
            raise InvalidArgument(f"--mix {part.strip()!r}: write FORM=WEIGHT with FORM one of "
                                  f"{', '.join(FORMS)}")
        if name in mix:
            raise InvalidArgument(f"--mix names {name} twice")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not 0 <= weight < float("inf"):
            raise InvalidArgument(f"--mix {name}={value}: the weight must be a number >= 0")
        mix[name] = weight
    return mix


def keep_fraction(row: ChatRow, seed: int) -> float:
    """A stable number in [0, 1) for a row's messages and a seed (which rows a fractional
    weight keeps)."""
    return id_fraction(f"{seed}:{row.key()}")


def weigh_rows(rows: list[ChatRow], mix: dict[str, float], seed: int) -> list[ChatRow]:
    """``rows`` with each row repeated ``int(w)`` times, plus once more when its
    :func:`keep_fraction` falls below the rest of ``w``, where ``w`` is its form's weight in
    ``mix`` (1 for a form not named and for rows of no form).  Copies stay next to each other
    in file order (the trainer shuffles)."""
    if mix and not any(row.form in mix for row in rows):
        raise InvalidArgument(f"--mix: no training row is of the forms it names "
                              f"({', '.join(mix)}); rows need 'direction' and 'grounded' keys")
    out: list[ChatRow] = []
    for row in rows:
        weight = mix.get(row.form, 1.0) if row.form is not None else 1.0
        copies = int(weight) + (keep_fraction(row, seed) < weight - int(weight))
        out.extend([row] * copies)
    if not out:
        raise InvalidArgument("--mix leaves no training row")
    return out


def drop_cut_traces(split: DatasetSplit) -> None:
    """Remove the training rows whose trace is cut (:meth:`ChatRow.trace_is_whole`), counted
    in ``split.cut_traces``; held-out rows stay."""
    kept = [row for row in split.train if row.trace_is_whole()]
    split.cut_traces += len(split.train) - len(kept)
    split.train = kept
    if not split.train:
        raise InvalidArgument("--whole-traces leaves no training row")


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
