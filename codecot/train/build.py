"""Building the SFT trainer: the base model, the LoRA configuration and TRL's ``SFTTrainer``.

Rows are given to TRL in its conversational prompt/completion form (system and user messages
as the prompt, the assistant message as the completion) with ``completion_only_loss``: the
labels of every prompt token are -100, so the loss covers only the assistant turn and its
end-of-turn marker.  The base model is loaded through the HF narrator's loader
(:func:`codecot.narrate.hf.model.load_model`: local folders, ``.gguf`` files, hub ids, or the
embedded SmolLM2) in the run's dtype; in bfloat16 the trainer also runs under bfloat16 autocast
while the LoRA weights (and so the optimizer) stay float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument
from codecot.train.compat import quiet_checkpointing_alias
from codecot.train.data import ChatRow, DatasetSplit, drop_cut_traces, weigh_rows
from codecot.train.settings import TrainSettings
from codecot.train.template import ensure_chat_template

CHECKPOINTS = "checkpoints"


@dataclass
class BuiltTrainer:
    """A trainer ready to run, with what the card reports about it."""

    trainer: Any
    tokenizer: Any
    model_name: str
    device: str
    dtype: str
    threads: int
    fallback_template: bool
    split: DatasetSplit


def lora_config(settings: TrainSettings) -> Any:
    """PEFT's LoRA configuration for a causal LM from the run's settings."""
    from peft import LoraConfig

    return LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha,
                      lora_dropout=settings.lora_dropout,
                      target_modules=settings.target_modules_value(), bias="none",
                      task_type="CAUSAL_LM")


def sft_config(settings: TrainSettings, device: str, dtype: str, has_eval: bool) -> Any:
    """TRL's ``SFTConfig`` for the run (checkpoints under ``OUTPUT/checkpoints``)."""
    from transformers import TrainingArguments
    from trl import SFTConfig

    # transformers 5 renamed gradient checkpointing to activation checkpointing.
    renamed = "activation_checkpointing" in TrainingArguments.__dataclass_fields__
    checkpointing: dict[str, Any] = {("activation_checkpointing" if renamed else "gradient_checkpointing"):
                     settings.gradient_checkpointing}
    micro = settings.micro_batch_for(device)
    periodic_eval = has_eval and settings.eval_steps > 0
    return SFTConfig(
        output_dir=str(Path(settings.output) / CHECKPOINTS),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps if settings.max_steps is not None else -1,
        per_device_train_batch_size=micro,
        per_device_eval_batch_size=micro,
        gradient_accumulation_steps=settings.batch_size // micro,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=settings.warmup,
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=2,
        eval_strategy="steps" if periodic_eval else "no",
        eval_steps=settings.eval_steps if periodic_eval else None,
        seed=settings.seed,
        data_seed=settings.seed,
        bf16=dtype == "bfloat16",
        fp16=dtype == "float16",
        use_cpu=device == "cpu",
        **checkpointing,
        max_length=settings.max_length,
        completion_only_loss=True,
        include_num_input_tokens_seen="non_padding",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )


def to_dataset(rows: list[ChatRow]) -> Any:
    """A ``datasets.Dataset`` of prompt/completion rows."""
    from datasets import Dataset

    return Dataset.from_list([row.prompt_completion() for row in rows])


def row_tokens(tokenizer: Any, row: ChatRow) -> int:
    """The length of ``row`` in tokens, chat template included."""
    messages = [{"role": role, "content": content} for role, content in row.messages]
    return len(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"])


def drop_long_rows(tokenizer: Any, split: DatasetSplit, max_length: int) -> None:
    """Remove the rows longer than ``max_length`` tokens from both sides of ``split`` (counted
    in ``split.too_long``) instead of letting the trainer cut them."""
    for side in ("train", "held_out"):
        rows: list[ChatRow] = getattr(split, side)
        kept = [row for row in rows if row_tokens(tokenizer, row) <= max_length]
        split.too_long += len(rows) - len(kept)
        setattr(split, side, kept)
    if not split.train:
        raise InvalidArgument(f"every training row is longer than --max-length {max_length}")


def build_trainer(settings: TrainSettings, split: DatasetSplit, *, device: str, dtype: str,
                  threads: int, callbacks: list[Any]) -> BuiltTrainer:
    """Load the base model, wrap it with a fresh LoRA adapter (seeded), or with the trainable
    adapter of ``settings.init_adapter``, and build the trainer.  The training rows are first
    thinned: with ``settings.skip_long`` the rows longer than ``max_length`` go (both sides),
    with ``settings.whole_traces`` those with a cut trace; then ``settings.mix`` weighs them."""
    import datasets
    import transformers
    from transformers import PrinterCallback, set_seed
    from trl import SFTTrainer

    from codecot.narrate.hf.model import load_model
    from codecot.train.loss import completion_sft_trainer

    if dtype == "float16" and device == "cpu":
        raise InvalidArgument("--dtype float16 needs --device cuda; use bfloat16 or float32 on CPU")
    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    set_seed(settings.seed)
    loaded = load_model(settings.model, device=device, dtype=dtype)
    tokenizer = loaded.tokenizer
    fallback = ensure_chat_template(tokenizer)
    if settings.skip_long:
        drop_long_rows(tokenizer, split, settings.max_length)
    if settings.whole_traces:
        drop_cut_traces(split)
    split.train = weigh_rows(split.train, settings.mix_weights(), settings.seed)
    held_out = to_dataset(split.held_out) if split.held_out else None
    set_seed(settings.seed)  # the LoRA initialisation must not depend on how the model loaded
    model, peft_config = loaded.model, lora_config(settings)
    if settings.init_adapter is not None:
        from peft import PeftModel

        with quiet_checkpointing_alias():
            model = PeftModel.from_pretrained(model, str(settings.init_adapter), is_trainable=True)
        peft_config = None
    # On CUDA TRL's fused head already projects only the completion positions, in tiles.
    ours = settings.completion_logits and device == "cpu"
    trainer_class = completion_sft_trainer() if ours else SFTTrainer
    with quiet_checkpointing_alias():
        trainer = trainer_class(
            model=model,
            args=sft_config(settings, device, dtype, held_out is not None),
            train_dataset=to_dataset(split.train),
            eval_dataset=held_out,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=callbacks,
        )
    # Our own callbacks show progress and log; the default printer would print every log dict.
    trainer.remove_callback(PrinterCallback)
    return BuiltTrainer(trainer, tokenizer, loaded.name, device, dtype, threads, fallback, split)
