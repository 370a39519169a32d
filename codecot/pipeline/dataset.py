"""The SFT dataset: accepted rationales in chat-messages form (JSONL and Parquet).

Each row is ``{"id", "direction", "narrator", "messages": [system, user, assistant]}``: the
user message holds the numbered code and the question (forward: what does ``f(args)`` return;
backward: find an input such that ``f(??) == output``), the assistant message the accepted
rationale, one step per line.  ``dataset.jsonl`` is appended chunk by chunk with the other
outputs of a run; ``dataset.parquet`` is written from it at the end (it needs ``pyarrow``).
Both load with ``datasets.load_dataset("json" | "parquet", data_files=...)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from codecot.corpus import CorpusRecord

DATASET_JSONL = "dataset.jsonl"
DATASET_PARQUET = "dataset.parquet"

SYSTEM_PROMPT = (
    "You reason about Python code step by step. Write one step per line: refer to code lines as "
    "'Line N', write every value as a Python literal, and end with the final answer "
    "(forward: what the call returns) or the final input (backward: an input that gives the "
    "output).")


def numbered_code(code: str) -> str:
    """The code with right-aligned 1-based line numbers: ``  1 | def f(x):``."""
    lines = code.splitlines() or [""]
    width = len(str(len(lines)))
    return "\n".join(f"{i:>{width}} | {line}".rstrip() for i, line in enumerate(lines, start=1))


def question(record: CorpusRecord, direction: str) -> str:
    """The user's question about ``record`` in ``direction``."""
    entry = record.entry_name
    call = f"{entry}({record.input.strip().rstrip(',').strip()})"
    if direction == "backward":
        return (f"Find an input such that {entry}(??) == {record.output}. Reason backward from the "
                "output, one step per line, and end with the input.")
    return f"What does {call} return? Reason step by step, one step per line, and end with the answer."


def chat_row(verdict: dict[str, Any], record: CorpusRecord) -> dict[str, Any]:
    """The dataset row of an accepted verdict record about ``record``."""
    direction = str(verdict.get("direction"))
    user = f"```python\n{numbered_code(record.code)}\n```\n\n{question(record, direction)}"
    return {"id": record.id, "direction": direction, "narrator": str(verdict.get("narrator")),
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": str(verdict.get("text", ""))}]}


def write_parquet(jsonl_path: Path, parquet_path: Path) -> int:
    """Write the rows of ``jsonl_path`` to ``parquet_path`` atomically; return the row count.

    Raises ImportError when pyarrow is missing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    schema = pa.schema([("id", pa.string()), ("direction", pa.string()), ("narrator", pa.string()),
                        ("messages", pa.list_(message))])
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = parquet_path.with_name(f".{parquet_path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, parquet_path)
    return len(rows)
