"""``codecot bench train``: training steps with the completion-only loss against TRL's own.

Each round runs ``steps`` optimizer steps of ``codecot train`` once per mode (``completion``:
:mod:`codecot.train.loss`; ``trl``: the ``SFTTrainer`` loss), from the same fresh LoRA on the
same rows (same seed), in a temporary folder, the order of the modes reversed on odd rounds so
that load on the machine hits both alike.  Per mode: the median tokens/s over the steps (each
run's first step left out: it warms up) and the training loss at every step.  Reported beside
them: the ratio of the medians and the largest relative difference between the two modes'
losses at the same step (they compute one loss; only rounding differs).
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument

MODES = ("completion", "trl")


def _step_logs(log_file: Path) -> list[dict[str, Any]]:
    lines = log_file.read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if "loss" in entry and "step" in entry]


def bench_train(dataset: Path, *, steps: int = 4, rounds: int = 2, model: str | None = None,
                max_length: int = 1024, threads: int | None = 2, dtype: str = "auto",
                device: str = "cpu", learning_rate: float = 6e-4) -> dict[str, Any]:
    """Measure both modes (see the module) on the first rows of ``dataset`` that fit in
    ``max_length`` tokens; on the CPU only, where they differ (elsewhere ``codecot train``
    keeps TRL's loss in both)."""
    if device != "cpu":
        raise InvalidArgument(
            f"codecot bench train --device {device}: the completion-only loss runs on the CPU "
            "only (on CUDA TRL's own loss already leaves prompt positions out), so both modes "
            "would time TRL's; use --device cpu")
    from codecot.train.run import run_training
    from codecot.train.settings import TrainSettings

    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    losses: dict[str, list[list[float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="codecot-bench-train-") as tmp:
        for index in range(rounds):
            order = MODES if index % 2 == 0 else MODES[::-1]
            for mode in order:
                out = Path(tmp) / f"{mode}-{index}"
                log_file = out / "log.jsonl"
                run_training(TrainSettings(
                    dataset=dataset, output=out, model=model, eval_fraction=0.0,
                    max_steps=steps, learning_rate=learning_rate, max_length=max_length,
                    skip_long=True, threads=threads, dtype=dtype, device=device,
                    log_file=log_file, completion_logits=mode == "completion"))
                logs = _step_logs(log_file)
                rates[mode].extend(float(e["tokens_per_s"]) for e in logs[1:])
                losses[mode].append([float(e["loss"]) for e in logs])
    medians = {mode: statistics.median(rates[mode]) if rates[mode] else None for mode in MODES}
    gaps = [abs(a - b) / max(abs(b), 1e-12)
            for run_a, run_b in zip(losses["completion"], losses["trl"], strict=True)
            for a, b in zip(run_a, run_b, strict=True)]
    ratio = (medians["completion"] / medians["trl"]
             if medians["completion"] and medians["trl"] else None)
    return {"dataset": str(dataset), "steps": steps, "rounds": rounds, "threads": threads,
            "dtype": dtype, "device": device,
            "tokens_per_s_median": medians, "speedup": ratio,
            "loss_max_relative_gap": max(gaps) if gaps else None,
            "losses": losses}
