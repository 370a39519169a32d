"""One training run, end to end: read and split the data, build the trainer, train (resuming
from the last checkpoint), evaluate the held-out rows, and write the adapter, the tokenizer,
``training_card.json`` and ``loss.png`` into the output folder.  The adapter weights are saved
in ``adapter_dtype`` (bfloat16 halves the file); the card records the dataset's
``prompt_form`` (the form every row names, e.g. ``short``), which the HF narrator reads to
prompt an adapter the way it was trained.

Checkpoints go to ``OUTPUT/checkpoints/`` every ``save_steps`` steps (the last two are kept).
``checkpoints/run.json`` holds a fingerprint of the data and the settings that shape training
(:meth:`TrainSettings.fingerprint`, which leaves out the run length): re-running a command
resumes from the last checkpoint when the fingerprint matches, refuses when it does not, and
``restart`` discards the checkpoints first.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument
from codecot.train.adapter import cast_adapter_weights
from codecot.train.card import CARD, LOSS_PNG, package_versions, write_card, write_loss_plot
from codecot.train.data import file_sha256, load_split, prompt_form_of
from codecot.train.hardware import require_train, resolve_device, resolve_dtype, set_threads
from codecot.train.settings import TrainSettings

RUN_MARKER = "run.json"


@dataclass
class TrainResult:
    """What a run produced: the card, the adapter folder, the trainer and the resume point."""

    card: dict[str, Any]
    adapter_dir: Path
    trainer: Any
    resumed_from_step: int


def prepare_checkpoints(folder: Path, fingerprint: str, restart: bool) -> str | None:
    """Make ``folder`` ready for this run's checkpoints; return the checkpoint to resume from."""
    from transformers.trainer_utils import get_last_checkpoint

    marker = folder / RUN_MARKER
    if restart and folder.exists():
        shutil.rmtree(folder)
    if folder.exists():
        try:
            found = json.loads(marker.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            found = None
        if found != fingerprint:
            raise InvalidArgument(
                f"{folder} holds checkpoints of another dataset or other settings; pass "
                f"--restart to discard them or choose another output folder")
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"fingerprint": fingerprint}) + "\n", encoding="utf-8")
    return get_last_checkpoint(str(folder))


def _last(log_history: list[dict[str, Any]], key: str) -> float | None:
    values = [float(e[key]) for e in log_history if key in e]
    return values[-1] if values else None


def run_training(settings: TrainSettings) -> TrainResult:
    """Train a LoRA adapter as ``settings`` say (see the module docstring)."""
    require_train()
    settings.check()
    started = time.perf_counter()
    split = load_split(settings.dataset, settings.eval_fraction, settings.eval_dataset,
                       settings.eval_limit)
    dataset_sha = file_sha256(settings.dataset)
    device = resolve_device(settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    threads = set_threads(settings.threads)
    out = Path(settings.output)
    out.mkdir(parents=True, exist_ok=True)

    from codecot.train.build import CHECKPOINTS, build_trainer
    from codecot.train.callbacks import ProgressCallback, RunLogCallback

    resume_from = prepare_checkpoints(out / CHECKPOINTS, settings.fingerprint(dataset_sha),
                                      settings.restart)
    run_log = RunLogCallback(settings.log_file)
    built = build_trainer(settings, split, device=device, dtype=dtype, threads=threads,
                          callbacks=[ProgressCallback(), run_log])
    trainer = built.trainer
    output = trainer.train(resume_from_checkpoint=resume_from)
    metrics: dict[str, float] = trainer.evaluate() if split.held_out else {}
    trainer.save_model(str(out))
    adapter_bytes = cast_adapter_weights(out, settings.adapter_dtype)

    state = trainer.state
    train_seconds = float(output.metrics.get("train_runtime", 0.0))
    session_tokens = run_log.session_tokens(state)
    card = {
        "dataset": {"path": str(settings.dataset), "sha256": dataset_sha},
        "eval_dataset": (None if settings.eval_dataset is None else
                         {"path": str(settings.eval_dataset),
                          "sha256": file_sha256(settings.eval_dataset)}),
        "rows": {"train": len(split.train), "held_out": len(split.held_out),
                 "train_used": len(trainer.train_dataset),
                 "lines": split.lines, "bad_lines": split.bad_lines,
                 "duplicates": split.duplicates, "too_long": split.too_long,
                 "cut_traces": split.cut_traces,
                 "train_forms": dict(sorted(Counter(r.form or "none"
                                                    for r in split.train).items())),
                 "train_ids": len({r.id for r in split.train}),
                 "held_out_ids": len({r.id for r in split.held_out})},
        "steps": int(state.global_step),
        "max_steps": int(state.max_steps),
        "epochs": None if state.epoch is None else round(float(state.epoch), 4),
        "resumed_from_step": run_log.start_step,
        "tokens_seen": int(state.num_input_tokens_seen),
        "session_tokens": session_tokens,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "train_seconds": round(train_seconds, 2),
        "tokens_per_s": round(session_tokens / train_seconds, 2) if train_seconds > 0 else None,
        "final_train_loss": _last(state.log_history, "loss"),
        "held_out_loss": metrics.get("eval_loss"),
        "held_out_token_accuracy": metrics.get("eval_mean_token_accuracy"),
        "prompt_form": prompt_form_of(settings.dataset),
        "adapter_dtype": settings.adapter_dtype,
        "adapter_bytes": adapter_bytes,
        "model": built.model_name,
        "model_arg": settings.model,
        "chat_template": "fallback" if built.fallback_template else "tokenizer",
        "lora": {"r": settings.lora_r, "alpha": settings.lora_alpha,
                 "dropout": settings.lora_dropout,
                 "target_modules": settings.target_modules_value()},
        "init_adapter": None if settings.init_adapter is None else str(settings.init_adapter),
        "mix": settings.mix_weights(),
        "whole_traces": settings.whole_traces,
        "completion_logits": settings.completion_logits and device == "cpu",
        "learning_rate": settings.learning_rate,
        "scheduler": "cosine",
        "warmup": settings.warmup,
        "batch_size": settings.batch_size,
        "micro_batch": settings.micro_batch_for(device),
        "max_length": settings.max_length,
        "seed": settings.seed,
        "dtype": dtype,
        "device": device,
        "threads": threads,
        "versions": package_versions(),
    }
    write_card(out / CARD, card)
    write_loss_plot(out / LOSS_PNG, state.log_history, f"codecot train: {built.model_name}")
    return TrainResult(card, out, trainer, run_log.start_step)
