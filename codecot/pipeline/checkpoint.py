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

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from codecot.errors import InvalidArgument
from codecot.jsonl import dumps
from codecot.manifest import Progress, read_progress, write_progress

# Seconds to wait between appending a chunk and committing it: lets tests kill a run there.
_PAUSE = float(os.environ.get("CODECOT_TEST_COMMIT_PAUSE", "0") or 0)


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
        old = None if fresh else read_progress(outdir)
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
            write_progress(outdir, progress)
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
        write_progress(self.outdir, self.progress)


def _truncate(path: Path, size: int) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.truncate(size)
        fh.flush()
        os.fsync(fh.fileno())
