"""The HF narrator: a local transformers causal LM, grammar-constrained (DESIGN.md §7).

``HFNarrator(HFSettings(...))`` loads the model (default: the embedded SmolLM2-135M-Instruct)
and writes rationales with :meth:`HFNarrator.narrate` / :meth:`HFNarrator.narrate_many`.
Importing this package does not import torch; constructing the narrator does.
"""

from codecot.narrate.hf.narrator import HFNarrator, HFSettings

__all__ = ["HFNarrator", "HFSettings"]
