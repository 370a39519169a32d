"""Progress bars for long commands, on stderr.

On a terminal: a tqdm bar redrawn at most twice a second.  Elsewhere (a log file, a pipe, CI):
a plain line at most every :data:`LOG_INTERVAL_S` seconds and one at the end, so a job run
with ``nohup`` or under a scheduler still shows how far it has got.  ``CODECOT_PROGRESS=0``
turns both off.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: Seconds between progress lines when stderr is not a terminal.
LOG_INTERVAL_S = 30.0


class _Lines:
    """A file for tqdm that turns its carriage-return redraws into whole lines."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(total: int, desc: str, unit: str = "rec") -> Any:
    """A tqdm progress bar for ``total`` units of work (see the module docstring)."""
    from tqdm import tqdm

    off = os.environ.get("CODECOT_PROGRESS", "").strip() in ("0", "off", "false", "no")
    if sys.stderr.isatty():
        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                    disable=off, mininterval=0.5)
    return tqdm(total=total, desc=desc, unit=unit, file=_Lines(sys.stderr), ncols=100,
                ascii=True, disable=off, mininterval=LOG_INTERVAL_S, maxinterval=LOG_INTERVAL_S)
