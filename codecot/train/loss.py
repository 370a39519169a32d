"""The training loss computed on completion positions only.

TRL's ``SFTTrainer`` scores the next token through a fused LM head.  On CUDA it projects only
the positions whose label is kept; elsewhere it projects every position, in float32 (to keep
tile shapes fixed for compilers), and then zeroes the prompt positions.  A codecot row is mostly
prompt (code and trace), so on a CPU most of that work is thrown away.

:func:`completion_loss` runs the model's backbone, keeps the hidden states whose next-token
label is not ``-100`` and projects only those through the LM head, in the model's dtype (under
autocast when training in bfloat16), then takes the summed cross-entropy in float32.  The
result is the same loss: the same tokens, the same normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The label of a position that does not count (Hugging Face's convention).
IGNORED = -100


@dataclass(frozen=True)
class CompletionLoss:
    """A micro-batch's loss and the per-token figures TRL logs beside it."""

    loss: Any
    tokens: int
    correct: int
    entropy_sum: float


def causal_parts(model: Any) -> tuple[Any, Any]:
    """The backbone (a module returning ``last_hidden_state``) and the LM head of ``model``, a
    causal LM or a PEFT model wrapping one."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    backbone = getattr(inner, inner.base_model_prefix)
    return backbone, inner.get_output_embeddings()


def completion_loss(model: Any, inputs: dict[str, Any],
                    num_items_in_batch: Any = None) -> CompletionLoss:
    """The next-token loss of ``inputs["labels"]`` (shifted by one), summed over kept positions
    and divided by ``num_items_in_batch`` (their count when not given)."""
    import torch
    import torch.nn.functional as F

    backbone, head = causal_parts(model)
    features = {k: v for k, v in inputs.items() if k not in ("labels", "completion_mask")}
    features["use_cache"] = False
    hidden = backbone(**features).last_hidden_state[:, :-1]
    targets = inputs["labels"][:, 1:].to(hidden.device)
    kept = targets != IGNORED
    with torch.autocast(hidden.device.type, enabled=False):
        logits = F.linear(hidden[kept].float(), head.weight.float(),
                          None if head.bias is None else head.bias.float())
    log_probs = F.log_softmax(logits, dim=-1)
    wanted = targets[kept]
    summed = -log_probs.gather(1, wanted.unsqueeze(1)).sum()
    count = int(kept.sum())
    divisor = num_items_in_batch if num_items_in_batch is not None else max(count, 1)
    with torch.no_grad():
        entropy_sum = float(-(log_probs.exp() * log_probs).sum())
        correct = int((log_probs.argmax(dim=-1) == wanted).sum())
    return CompletionLoss(summed / divisor, count, correct, entropy_sum)


def completion_sft_trainer() -> type:
    """A subclass of TRL's ``SFTTrainer`` whose training steps use :func:`completion_loss` and
    log the same metrics (``entropy``, ``mean_token_accuracy``, ``num_tokens``).  Evaluation
    keeps TRL's own loss, so held-out figures compare with runs made without it."""
    from trl import SFTTrainer

    class CompletionSFTTrainer(SFTTrainer):
        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            if return_outputs or not model.training:
                return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                            num_items_in_batch=num_items_in_batch)
            result = completion_loss(model, inputs, num_items_in_batch)
            loss = result.loss
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes
            metrics = self._metrics["train"]
            tokens = max(result.tokens, 1)
            metrics["entropy"].append(result.entropy_sum / tokens)
            metrics["mean_token_accuracy"].append(result.correct / tokens)
            self._total_train_tokens += int(inputs["attention_mask"].sum())
            metrics["num_tokens"] = [self._total_train_tokens]
            return loss

    return CompletionSFTTrainer
