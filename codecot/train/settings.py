"""The settings of one training run (``codecot train``'s options) and their checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument
from codecot.train.data import parse_mix

#: LoRA target: every linear layer of the model except the output head (PEFT's "all-linear").
ALL_LINEAR = "all-linear"
#: Dtypes the saved adapter weights may be written in (training itself keeps them float32).
ADAPTER_DTYPES = ("float32", "bfloat16")


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides a training run.

    ``max_steps`` (when set) wins over ``epochs``.  ``warmup`` is a fraction of the total steps
    when below 1, else a number of steps.  ``eval_steps`` 0 evaluates only at the end.
    ``threads`` None means every CPU this process may use.  ``batch_size`` rows make one
    optimizer step, run ``micro_batch`` rows per forward pass (gradients accumulated); the
    default micro-batch is 1 on the CPU (no padding, a quarter of the activation memory: a batch
    of 4 starter rows peaked near 15 GB in float32) and ``batch_size`` on CUDA.
    ``adapter_dtype`` is the dtype of the saved ``adapter_model.safetensors`` (bfloat16 halves
    its size).  ``eval_limit`` evaluates at most that many held-out rows, evenly spaced (an
    evaluation of every row can take long on a CPU).  ``skip_long`` drops rows longer than
    ``max_length`` tokens instead of cutting them.  ``whole_traces`` drops the training rows
    whose trace shows a cut value or leaves events out; ``mix`` (``FORM=WEIGHT,...``, see
    :func:`codecot.train.data.parse_mix`) then repeats or thins the training rows of each form.
    """

    dataset: Path
    output: Path
    model: str | None = None
    eval_dataset: Path | None = None
    eval_fraction: float = 0.1
    epochs: float = 1.0
    max_steps: int | None = None
    learning_rate: float = 2e-4
    warmup: float = 0.05
    batch_size: int = 4
    micro_batch: int | None = None
    max_length: int = 2048
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str = ALL_LINEAR
    seed: int = 0
    device: str = "auto"
    dtype: str = "auto"
    threads: int | None = None
    save_steps: int = 50
    eval_steps: int = 0
    log_file: Path | None = None
    restart: bool = False
    gradient_checkpointing: bool = False
    adapter_dtype: str = "float32"
    eval_limit: int | None = None
    skip_long: bool = False
    #: an adapter folder (``codecot train`` output) to go on training instead of a fresh LoRA
    init_adapter: Path | None = None
    mix: str = ""
    whole_traces: bool = False
    #: on the CPU, training steps project only completion positions through the LM head
    #: (:mod:`.loss`); TRL's own head does so on CUDA
    completion_logits: bool = True

    def check(self) -> None:
        """Raise :class:`InvalidArgument` for a value out of range."""
        positive = {"--batch-size": self.batch_size, "--micro-batch": self.micro_batch or 1,
                    "--max-length": self.max_length, "--lora-r": self.lora_r,
                    "--lora-alpha": self.lora_alpha, "--save-steps": self.save_steps}
        for name, value in positive.items():
            if value < 1:
                raise InvalidArgument(f"{name} {value}: must be at least 1")
        if self.micro_batch is not None and self.batch_size % self.micro_batch:
            raise InvalidArgument(f"--batch-size {self.batch_size} is not a multiple of "
                                  f"--micro-batch {self.micro_batch}")
        if self.eval_limit is not None and self.eval_limit < 1:
            raise InvalidArgument(f"--eval-limit {self.eval_limit}: must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise InvalidArgument(f"--max-steps {self.max_steps}: must be at least 1")
        if self.epochs <= 0:
            raise InvalidArgument(f"--epochs {self.epochs}: must be positive")
        if not self.learning_rate > 0:
            raise InvalidArgument(f"--lr {self.learning_rate}: must be positive")
        if not 0 <= self.lora_dropout < 1:
            raise InvalidArgument(f"--lora-dropout {self.lora_dropout}: must be in [0, 1)")
        if self.adapter_dtype not in ADAPTER_DTYPES:
            raise InvalidArgument(f"--adapter-dtype {self.adapter_dtype}: choose "
                                  f"{', '.join(ADAPTER_DTYPES)}")
        if self.warmup < 0 or self.eval_steps < 0:
            raise InvalidArgument("--warmup and --eval-steps must not be negative")
        self.mix_weights()
        if self.init_adapter is not None \
                and not (Path(self.init_adapter) / "adapter_config.json").is_file():
            raise InvalidArgument(f"--init-adapter {self.init_adapter}: no adapter_config.json "
                                  f"there (give a `codecot train` output folder)")

    def mix_weights(self) -> dict[str, float]:
        """``mix`` as weights by form (:func:`codecot.train.data.parse_mix`)."""
        return parse_mix(self.mix)

    def micro_batch_for(self, device: str) -> int:
        """Rows per forward pass on ``device`` (see the class docstring)."""
        if self.micro_batch is not None:
            return self.micro_batch
        return 1 if device == "cpu" else self.batch_size

    def target_modules_value(self) -> str | list[str]:
        """PEFT's ``target_modules``: ``"all-linear"`` or the comma-separated module names."""
        if self.target_modules == ALL_LINEAR:
            return ALL_LINEAR
        return [m.strip() for m in self.target_modules.split(",") if m.strip()]

    def fingerprint(self, dataset_sha256: str) -> str:
        """A digest of what a checkpoint depends on: the data and every setting except the run
        length, the output folder and logging (so a longer re-run may resume a shorter one)."""
        loose = {"output", "max_steps", "epochs", "log_file", "restart", "threads", "save_steps",
                 "eval_steps", "dataset", "adapter_dtype", "eval_limit", "completion_logits"}
        kept = {k: str(v) for k, v in asdict(self).items() if k not in loose}
        kept["dataset_sha256"] = dataset_sha256
        return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON values (paths as strings)."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
