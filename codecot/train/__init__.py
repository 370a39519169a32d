"""``codecot train``: LoRA fine-tuning of a narrator on a run's chat dataset (TRL + PEFT).

``data`` reads, deduplicates and splits the dataset; ``settings`` holds a run's options;
``hardware`` picks device, dtype and threads; ``build`` makes the ``SFTTrainer``; ``run`` drives
a (resumable) run and writes the outputs; ``card`` writes the training card and loss plot;
``adapter`` applies a saved adapter to a base model.  Importing this package imports no torch.
"""

from __future__ import annotations

from codecot.train.settings import TrainSettings

__all__ = ["TrainSettings"]
