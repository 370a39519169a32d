"""The SFT dataset: accepted rationales in chat-messages form (JSONL and Parquet).

Each row is ``{"id", "direction", "narrator", "prompt_form", "grounded", "messages": [system,
user, assistant]}``.  The system and user messages are exactly the *short* prompt a fine-tuned
HF narrator sends for the same record (:func:`codecot.narrate.prompts.short_messages`: the
numbered code, the call or the output, and in grounded rows the compact trace), so the rows
train any model directly; the assistant message is the accepted rationale, one step per line.
``codecot run`` writes one row per accepted rationale, grounded unless the rationale says it
was written blind (its ``grounded`` key); ``codecot train-data`` writes both forms.
``dataset.jsonl`` is appended chunk by chunk with the other outputs of a run;
``dataset.parquet`` is written from it at the end (it needs ``pyarrow``).  Both load with
``datasets.load_dataset("json" | "parquet", data_files=...)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from codecot.corpus import CorpusRecord
from codecot.narrate.prompts import short_messages

DATASET_JSONL = "dataset.jsonl"
DATASET_PARQUET = "dataset.parquet"
#: The prompt form of every row written here.
ROW_PROMPT_FORM = "short"


def grounded_of(rationale: dict[str, Any]) -> bool:
    """Whether a run's row for ``rationale`` shows the trace: its own ``grounded`` key when it
    has one (an HF rationale), else True (the template narrator writes from the trace)."""
    value = rationale.get("grounded")
    return value if isinstance(value, bool) else True


def chat_row(verdict: dict[str, Any], record: CorpusRecord, trace: dict[str, Any], *,
             grounded: bool | None = None) -> dict[str, Any]:
    """The dataset row of an accepted verdict record about ``record`` (traced as ``trace``);
    ``grounded`` None takes :func:`grounded_of` the verdict."""
    direction = str(verdict.get("direction"))
    shown = grounded_of(verdict) if grounded is None else grounded
    messages = short_messages(record, trace, direction, grounded=shown)
    messages.append({"role": "assistant", "content": str(verdict.get("text", ""))})
    return {"id": record.id, "direction": direction, "narrator": str(verdict.get("narrator")),
            "prompt_form": ROW_PROMPT_FORM, "grounded": shown, "messages": messages}


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
                        ("prompt_form", pa.string()), ("grounded", pa.bool_()),
                        ("messages", pa.list_(message))])
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = parquet_path.with_name(f".{parquet_path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, parquet_path)
    return len(rows)
