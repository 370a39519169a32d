"""Trainer callbacks: the progress bar, the JSON-lines training log, and the resume point."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from codecot.progress import progress_bar


class ProgressCallback(TrainerCallback):
    """Shows training steps with :func:`codecot.progress.progress_bar` (tqdm on a terminal, a
    line every 30 s elsewhere); the bar starts at the step a resumed run starts from."""

    def __init__(self) -> None:
        self.bar: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.bar = progress_bar(state.max_steps, "train", unit="step")
        self.bar.update(state.global_step)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if self.bar is not None and logs and "loss" in logs:
            self.bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class RunLogCallback(TrainerCallback):
    """Records where training started and how fast it went; optionally appends one JSON line
    per training log (``step``, ``loss``, ``lr``, ``tokens_per_s``, ``tokens``) and per
    evaluation (``step``, ``eval_loss``, ``eval_token_accuracy``) to ``log_file``.

    Tokens are the non-padding input tokens the trainer counted (``num_input_tokens_seen``);
    ``tokens_per_s`` is measured since the previous training log.
    """

    def __init__(self, log_file: Path | None = None) -> None:
        self.log_file = log_file
        self.start_step = 0
        self.start_tokens = 0
        self.start_time = 0.0
        self._last: tuple[float, int] = (0.0, 0)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.start_step = state.global_step
        self.start_tokens = state.num_input_tokens_seen
        self.start_time = time.perf_counter()
        self._last = (self.start_time, self.start_tokens)

    def session_tokens(self, state: Any) -> int:
        """Tokens trained on since this process started training (a resumed run's own)."""
        return int(state.num_input_tokens_seen - self.start_tokens)

    def _write(self, entry: dict[str, Any]) -> None:
        if self.log_file is None:
            return
        with open(self.log_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if not logs:
            return
        if "loss" in logs:
            now, tokens = time.perf_counter(), int(state.num_input_tokens_seen)
            elapsed = now - self._last[0]
            rate = (tokens - self._last[1]) / elapsed if elapsed > 0 else 0.0
            self._last = (now, tokens)
            self._write({"step": state.global_step, "loss": logs["loss"],
                         "lr": logs.get("learning_rate"), "tokens_per_s": round(rate, 2),
                         "tokens": tokens})
        elif "eval_loss" in logs:
            self._write({"step": state.global_step, "eval_loss": logs["eval_loss"],
                         "eval_token_accuracy": logs.get("eval_mean_token_accuracy")})
