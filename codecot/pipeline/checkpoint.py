"""Crash-safe progress for ``codecot run``: append-only outputs plus an atomic manifest.

A run works in chunks of input records.  After a chunk, its output lines are appended to the
output files and fsynced; only then is ``progress.json`` replaced atomically (write a temporary
file, fsync, rename, fsync the directory) with the new byte length of every output file and the
number of input records done.  A run killed at any moment therefore leaves outputs that are a
committed prefix plus, possibly, some uncommitted tail (a torn last line included).  On restart
:meth:`Checkpoint.open` cuts every output file back to its committed length, and the run goes on
from the first record not committed: no duplicate and no loss.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from codecot.errors import InvalidArgument
from codecot.pipeline.jsonl import dumps

MANIFEST = "progress.json"
VERSION = 1
# Seconds to wait between appending a chunk and committing it: lets tests kill a run there.
_PAUSE = float(os.environ.get("CODECOT_TEST_COMMIT_PAUSE", "0") or 0)


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


class Checkpoint:
    """Owns a run directory's output files and its manifest.

    Use :meth:`open` to start or resume, :meth:`commit` after each chunk, :meth:`close` at the
    end.  ``resumed`` tells whether committed work was found.
    """

    def __init__(self, outdir: Path, names: Sequence[str], progress: Progress, resumed: bool) -> None:
        self.outdir = outdir
        self.names = tuple(names)
        self.progress = progress
        self.resumed = resumed
        self._files: dict[str, IO[str]] = {}
        for name in self.names:  # kept open for appends until close()
            self._files[name] = open(outdir / name, "a", encoding="utf-8")  # noqa: SIM115

    @classmethod
    def open(cls, outdir: Path, names: Sequence[str], config: dict[str, Any],
             fresh: bool = False) -> Checkpoint:
        """Start a run in ``outdir``, or resume the committed one with the same ``config``.

        Raises :class:`InvalidArgument` when ``outdir`` holds a run with another configuration
        (unless ``fresh``, which discards it) or committed output has gone missing.
        """
        outdir.mkdir(parents=True, exist_ok=True)
        manifest = outdir / MANIFEST
        old = None if fresh else _read_manifest(manifest)
        if old is not None and old.config != config:
            changed = sorted(k for k in set(old.config) | set(config)
                             if old.config.get(k) != config.get(k))
            raise InvalidArgument(
                f"{outdir} holds a run with other settings ({', '.join(changed)} differ); "
                "use the same command to resume it, or --fresh to start over")
        if old is None:
            progress = Progress(config=config, offsets=dict.fromkeys(names, 0))
            for name in names:
                _truncate(outdir / name, 0)
            atomic_write_text(manifest, json.dumps(progress.to_json(), indent=1) + "\n")
            return cls(outdir, names, progress, resumed=False)
        for name in names:
            committed = old.offsets.get(name, 0)
            path = outdir / name
            size = path.stat().st_size if path.exists() else 0
            if size < committed:
                raise InvalidArgument(
                    f"{path} is shorter ({size} bytes) than its committed length ({committed}); "
                    "the run directory was changed by hand; use --fresh to start over")
            _truncate(path, committed)  # drops whatever a kill left after the last commit
            old.offsets[name] = committed
        return cls(outdir, names, old, resumed=old.records_done > 0 or old.complete)

    def commit(self, lines: Mapping[str, Iterable[dict[str, Any]]], records: int,
               stage_seconds: dict[str, float]) -> None:
        """Append one chunk's output records and record ``records`` more input records done."""
        for name, recs in lines.items():
            fh = self._files[name]
            for rec in recs:
                fh.write(dumps(rec))
                fh.write("\n")
        for name, fh in self._files.items():
            fh.flush()
            os.fsync(fh.fileno())
            self.progress.offsets[name] = fh.tell()
        if _PAUSE:
            time.sleep(_PAUSE)
        self.progress.records_done += records
        self.progress.chunks_done += 1
        for stage, secs in stage_seconds.items():
            self.progress.stage_seconds[stage] = self.progress.stage_seconds.get(stage, 0.0) + secs
        self._write_manifest()

    def finish(self) -> None:
        """Mark the run complete (all records committed)."""
        self.progress.complete = True
        self._write_manifest()

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write_manifest(self) -> None:
        atomic_write_text(self.outdir / MANIFEST, json.dumps(self.progress.to_json(), indent=1) + "\n")


def read_progress(outdir: Path) -> Progress | None:
    """The progress of the run in ``outdir`` (None if it has none); raises
    :class:`InvalidArgument` for a damaged progress file."""
    return _read_manifest(outdir / MANIFEST)


def _read_manifest(path: Path) -> Progress | None:
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


def _truncate(path: Path, size: int) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.truncate(size)
        fh.flush()
        os.fsync(fh.fileno())
