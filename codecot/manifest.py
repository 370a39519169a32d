"""``progress.json``, the manifest of a ``codecot run`` directory: its format, reading and writing.

The manifest names the run's settings and what has been committed (input records done, byte
length of every output file, seconds per stage).  It is always replaced atomically, so a
reader sees a whole manifest.  :mod:`codecot.pipeline.checkpoint` keeps it up to date during a
run; the report reads it to describe a run that was killed or is still going.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument
from codecot.jsonl import atomic_write_text

MANIFEST = "progress.json"
VERSION = 1


@dataclass
class Progress:
    """What ``progress.json`` holds: the run's identity and what has been committed."""

    config: dict[str, Any]
    records_done: int = 0
    chunks_done: int = 0
    offsets: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    complete: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "config": self.config, "records_done": self.records_done,
                "chunks_done": self.chunks_done, "offsets": self.offsets,
                "stage_seconds": {k: round(v, 4) for k, v in self.stage_seconds.items()},
                "complete": self.complete}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Progress:
        return cls(config=obj["config"], records_done=int(obj["records_done"]),
                   chunks_done=int(obj.get("chunks_done", 0)),
                   offsets={k: int(v) for k, v in obj["offsets"].items()},
                   stage_seconds={k: float(v) for k, v in obj.get("stage_seconds", {}).items()},
                   complete=bool(obj.get("complete", False)))


def write_progress(outdir: Path, progress: Progress) -> None:
    """Replace ``outdir/progress.json`` atomically with ``progress``."""
    atomic_write_text(outdir / MANIFEST, json.dumps(progress.to_json(), indent=1) + "\n")


def read_progress(outdir: Path) -> Progress | None:
    """The progress of the run in ``outdir`` (None if it has none); raises
    :class:`InvalidArgument` for a damaged progress file."""
    path = outdir / MANIFEST
    if not path.exists():
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        if obj.get("version") != VERSION:
            raise InvalidArgument(f"{path}: unknown manifest version {obj.get('version')!r}")
        return Progress.from_json(obj)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidArgument):
            raise
        raise InvalidArgument(f"{path} is not a codecot progress file ({exc}); "
                              "use --fresh to start over") from exc
