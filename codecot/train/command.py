"""The ``codecot train`` command (DESIGN.md §7 "Closing the loop", issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def train_command(
    dataset: Annotated[Path, typer.Argument(help="Chat dataset JSONL (dataset.jsonl of `codecot run`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Adapter folder (checkpoints go to "
                                         "its checkpoints/ subfolder).")],
    model: Annotated[str | None, typer.Option(help="Base model: local folder, .gguf file or hub "
                                              "id (default: the embedded SmolLM2-135M-Instruct).")] = None,
    eval_dataset: Annotated[Path | None, typer.Option("--eval", help="Held-out JSONL; overrides "
                                                      "the split of DATASET.")] = None,
    eval_fraction: Annotated[float, typer.Option(help="Share of problem ids held out (by a hash "
                                                 "of the id).")] = 0.1,
    epochs: Annotated[float, typer.Option(help="Passes over the training rows.")] = 1.0,
    max_steps: Annotated[int | None, typer.Option(help="Stop after N optimizer steps (wins over "
                                                  "--epochs).")] = None,
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate (cosine schedule).")] = 2e-4,
    warmup: Annotated[float, typer.Option(help="Warm-up: a fraction of the steps if below 1, "
                                          "else a step count.")] = 0.05,
    batch_size: Annotated[int, typer.Option(help="Rows per optimizer step.")] = 4,
    micro_batch: Annotated[int | None, typer.Option(help="Rows per forward pass, gradients "
                                                    "accumulated (default: 1 on CPU, the whole "
                                                    "batch on CUDA).")] = None,
    max_length: Annotated[int, typer.Option(help="Longest row in tokens (longer rows are cut).")] = 2048,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha (scale = alpha / r).")] = 32,
    lora_dropout: Annotated[float, typer.Option(help="Dropout on the LoRA input.")] = 0.05,
    target_modules: Annotated[str, typer.Option(help="'all-linear' or comma-separated module "
                                                "names to adapt.")] = "all-linear",
    seed: Annotated[int, typer.Option(help="Seed of the adapter's initialisation, the row order "
                                      "and dropout.")] = 0,
    device: Annotated[str, typer.Option(help="auto (CUDA when present), cpu or cuda.")] = "auto",
    dtype: Annotated[str, typer.Option(help="auto (bfloat16 on CUDA and on CPUs with bf16 "
                                       "instructions, else float32), float32, bfloat16, float16.")] = "auto",
    threads: Annotated[int | None, typer.Option(help="Torch CPU threads (default: every CPU "
                                                "this process may use).")] = None,
    save_steps: Annotated[int, typer.Option(help="Write a checkpoint every N steps.")] = 50,
    eval_steps: Annotated[int, typer.Option(help="Also evaluate the held-out rows every N steps "
                                            "(0: only at the end).")] = 0,
    log_file: Annotated[Path | None, typer.Option(help="Append JSON lines (step, loss, lr, "
                                                  "tokens/s) to this file.")] = None,
    restart: Annotated[bool, typer.Option(help="Discard existing checkpoints instead of "
                                          "resuming from them.")] = False,
    gradient_checkpointing: Annotated[bool, typer.Option(help="Recompute activations in the "
                                                         "backward pass (less memory, slower).")] = False,
    adapter_dtype: Annotated[str, typer.Option(help="Dtype of the saved adapter weights: float32 "
                                               "or bfloat16 (half the size).")] = "float32",
    eval_limit: Annotated[int | None, typer.Option(help="Evaluate at most N held-out rows, "
                                                   "evenly spaced (default: all).")] = None,
    skip_long: Annotated[bool, typer.Option(help="Drop rows longer than --max-length instead of "
                                            "cutting them.")] = False,
    init_adapter: Annotated[Path | None, typer.Option(help="Go on training this adapter (a "
                                                      "`codecot train` folder, e.g. for expert "
                                                      "iteration) instead of a fresh LoRA; its "
                                                      "LoRA shape is kept.")] = None,
    mix: Annotated[str, typer.Option(help="Weigh the training rows by form: FORM=WEIGHT,... "
                                     "(forms grounded-forward, grounded-backward, blind-forward, "
                                     "blind-backward; a weight is copies per row: 0 drops the "
                                     "form, 0.25 keeps about a quarter; default 1).")] = "",
    whole_traces: Annotated[bool, typer.Option(help="Drop the training rows whose trace has a "
                                               "cut value or leaves events out.")] = False,
    completion_logits: Annotated[bool, typer.Option(
        "--completion-logits/--all-logits",
        help="On the CPU, project only the completion tokens through the LM head in training "
             "steps (the same loss, less work; TRL does so itself on CUDA); --all-logits "
             "uses TRL's own loss.")] = True,
) -> None:
    """Fine-tune a LoRA adapter for a narrator on a chat dataset (resumes after a kill)."""
    from codecot.train.card import summary_line
    from codecot.train.run import run_training
    from codecot.train.settings import TrainSettings

    settings = TrainSettings(
        dataset=dataset, output=output, model=model, eval_dataset=eval_dataset,
        eval_fraction=eval_fraction, epochs=epochs, max_steps=max_steps, learning_rate=lr,
        warmup=warmup, batch_size=batch_size, micro_batch=micro_batch, max_length=max_length,
        lora_r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
        target_modules=target_modules, seed=seed, device=device, dtype=dtype, threads=threads,
        save_steps=save_steps, eval_steps=eval_steps, log_file=log_file, restart=restart,
        gradient_checkpointing=gradient_checkpointing, adapter_dtype=adapter_dtype,
        eval_limit=eval_limit, skip_long=skip_long, init_adapter=init_adapter, mix=mix,
        whole_traces=whole_traces, completion_logits=completion_logits)
    result = run_training(settings)
    typer.echo(summary_line(result.card, result.adapter_dir))
